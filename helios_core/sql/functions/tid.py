"""The ``tid`` type: a row version's address, ``(block,offset)``, what ``ctid`` holds.

PostgreSQL's ctid names a tuple's place in the heap. HeliosDB has no heap pages; a row's
``ctid`` is derived from its row id (helios_core.storage), laid out as pages of 256 rows:
block ``rowid // 256``, offset ``rowid % 256 + 1``. It is unique among a table's rows and
stable while the row lives, so the idioms that use it work: telling duplicate rows apart
(``DELETE FROM t a USING t b WHERE a.ctid < b.ctid AND ...``), deleting one row found by a
subquery (``WHERE ctid = (SELECT ctid ... LIMIT 1)``), editing a row of a table without a key.
Unlike PostgreSQL's, it does not change when the row is updated. Values are int64
``block << 16 | offset``, so Arrow's integer comparisons order them as PostgreSQL orders tids.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import HeliosError
from helios_core.storage.layer import ROWID_BRANCH_SHIFT

ROWS_PER_BLOCK = 256
# as tidin reads it: from the first "(", each number (spaces before it, an optional "+") directly
# followed by "," then ")"; what comes after ")" is not read
_TEXT = re.compile(r"\(\s*\+?([0-9]+),\s*\+?([0-9]+)\)")
_MAX_BLOCK = 0xFFFFFFFF
_MAX_OFFSET = 0xFFFF


def from_rowids(rowids: pa.Array, lineage: list[int]) -> pa.Array:
    """The ctid of each row id read on a branch (``lineage``: its id, then its ancestors'). A row id carries the id of the branch that wrote
    the row; the block numbers of rows inherited from ancestors start at ``depth << 24`` (depth 0:
    the branch itself), so that every row of the table has its own ctid and, on a branch that has
    not forked, they count from (0,1) as PostgreSQL's do."""
    ids = np.asarray(rowids.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
    depth = np.full(len(ids), 255, dtype=np.int64)
    owner = ids >> ROWID_BRANCH_SHIFT
    for level, branch_id in enumerate(lineage[:255]):
        depth[owner == branch_id] = level
    seq = ids & ((1 << ROWID_BRANCH_SHIFT) - 1)
    block = (depth << 24) | ((seq // ROWS_PER_BLOCK) & 0xFFFFFF)
    values = (block << 16) | (seq % ROWS_PER_BLOCK + 1)
    return pa.array(values, pa.int64(), mask=np.asarray(rowids.is_null().to_numpy(zero_copy_only=False)))


def text(arr: pa.Array) -> pa.Array:
    """Output: ``(block,offset)``, a column at a time."""
    v = arr.cast(pa.int64())
    block = pc.cast(pc.shift_right(v, 16), pa.string())
    offset = pc.cast(pc.bit_wise_and(v, 0xFFFF), pa.string())
    return pc.binary_join_element_wise("(", block, ",", offset, ")", "")


def parse(arr: pa.Array) -> pa.Array:
    """Input: ``(block,offset)`` with PostgreSQL's 22P02 for anything else."""
    out = []
    for s in arr.cast(pa.string()).to_pylist():
        if s is None:
            out.append(None)
            continue
        start = s.find("(")
        m = _TEXT.match(s, start) if start >= 0 else None
        if m is None or int(m[1]) > _MAX_BLOCK or int(m[2]) > _MAX_OFFSET:
            raise HeliosError(f'invalid input syntax for type tid: "{s}"', sqlstate="22P02")
        out.append(int(m[1]) << 16 | int(m[2]))
    return pa.array(out, pa.int64())
