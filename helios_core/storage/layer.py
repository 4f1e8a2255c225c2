"""Branches and the per-branch, per-table version store ("layer").

A branch is metadata: (parent, fork_ts). Its layer of a table holds only the
versions the branch wrote itself, the primary-key index of those versions and
*tombstones*: the commit timestamps at which the branch deleted or replaced rows it
inherited. Reading table T on branch B at ts::

    rows(B, T, ts) = own versions of B visible at ts
                   + rows(parent, T, min(ts, fork_ts)) minus rowids B tombstoned at or before ts

so creating a branch copies nothing, whatever the table size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from helios_core.storage.keyindex import KeyIndex
from helios_core.storage.locmap import LocMap
from helios_core.storage.versions import Chunk

if TYPE_CHECKING:  # pragma: no cover
    from helios_core.storage.txn import Transaction

ROWID_BRANCH_SHIFT = 40


class Tombstones(dict):
    """rowid -> ended stamp, with a generation counter so readers can cache its arrays."""

    gen = 0

    def __setitem__(self, key: int, value: int) -> None:
        self.gen += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: int) -> None:
        self.gen += 1
        super().__delitem__(key)


def python_values(arr: Any) -> list[Any]:
    """An Arrow array as a Python list; integers and floats without nulls through numpy, which
    converts them several times faster than ``to_pylist`` (a million-row COPY's key list)."""
    t = arr.type
    if arr.null_count == 0 and (pa.types.is_integer(t) or pa.types.is_floating(t)):
        return arr.to_numpy(zero_copy_only=False).tolist()
    return arr.to_pylist()


class Layer:
    """Versions of one table (data_id) written on one branch."""

    def __init__(self, branch: Branch, data_id: int, pk_cols: tuple[str, ...]) -> None:
        self.branch = branch
        self.data_id = data_id
        self.key = (branch.branch_id, data_id)
        self.pk_cols = pk_cols
        self.chunks: dict[int, Chunk] = {}
        self.rowloc = LocMap()  # rowid -> packed location of its newest committed version
        self.pk = KeyIndex()  # key -> rowid that last took this key (may be stale; verified)
        self.tomb: Tombstones = Tombstones()  # inherited rowid -> ended stamp (commit ts or -txid)
        self._tomb_arrays: tuple[int, np.ndarray, np.ndarray] | None = None
        self.pending_new: list[tuple[int, int, Transaction]] = []  # rowid ranges of open inserts
        self.appended = 0  # chunks written since the memtable's size classes were last counted
        self.claimed: set[int] = set()  # chunk ids a pack is rewriting: compaction leaves them alone (repack)
        self.index_maps: dict[str, Any] = {}  # column -> its small chunks' value map (secondary_index)

    def keys_of(self, batch: Any) -> list[Any]:
        """Primary-key values of a physical batch, in Python form (bulk, not per row)."""
        cols = [python_values(batch.column(c)) for c in self.pk_cols]
        if len(cols) == 1:
            return cols[0]
        return list(zip(*cols, strict=True))

    def key_at(self, chunk: Chunk, pos: int) -> Any:
        arrs = chunk.key_arrays
        if arrs is None:
            arrs = chunk.key_arrays = [chunk.data.column(c) for c in self.pk_cols]
        if len(arrs) == 1:
            a = arrs[0]
            if isinstance(a, np.ndarray):
                return int(a[pos])
            if pa.types.is_integer(a.type) and a.null_count == 0:
                # integer keys read through a zero-copy numpy view: an Arrow scalar per point read
                # costs several times the index lookup itself
                chunk.key_arrays = [a.to_numpy(zero_copy_only=True)]
                return int(chunk.key_arrays[0][pos])
            return a[pos].as_py()
        return tuple(a[pos].as_py() for a in arrs)

    def pending_owner(self, rowid: int) -> Transaction | None:
        for lo, hi, txn in self.pending_new:
            if lo <= rowid < hi:
                return txn
        return None

    def dead_tombs(self, ts: int, txid: int) -> np.ndarray | None:
        """Inherited rowids this branch deleted as seen by snapshot (ts, txid)."""
        if not self.tomb:
            return None
        cached = self._tomb_arrays
        gen = self.tomb.gen
        if cached is not None and cached[0] == gen:
            keys, vals = cached[1], cached[2]
        else:
            tomb = dict(self.tomb)
            keys = np.fromiter(tomb.keys(), dtype=np.int64, count=len(tomb))
            vals = np.fromiter(tomb.values(), dtype=np.int64, count=len(tomb))
            self._tomb_arrays = (gen, keys, vals)
        dead = (vals > 0) & (vals <= ts)
        if txid:
            dead |= vals == -txid
        return keys[dead]


class Branch:
    """A branch of one database: name, parent, fork timestamp, and its own layers."""

    def __init__(
        self, branch_id: int, db: str, name: str, parent: Branch | None, fork_ts: int | None, created_ts: int
    ) -> None:
        self.branch_id = branch_id
        self.db = db
        self.name = name
        self.parent = parent
        self.fork_ts = fork_ts
        self.created_ts = created_ts
        self.layers: dict[int, Layer] = {}
        self.next_seq = 0
        self.dropped = False

    def alloc_rowids(self, n: int) -> int:
        start = (self.branch_id << ROWID_BRANCH_SHIFT) | self.next_seq
        self.next_seq += n
        return start

    def note_rowid(self, rowid: int) -> None:
        """Recovery: keep the sequence ahead of every rowid seen in the WAL."""
        if rowid >> ROWID_BRANCH_SHIFT == self.branch_id:
            seq = (rowid & ((1 << ROWID_BRANCH_SHIFT) - 1)) + 1
            self.next_seq = max(self.next_seq, seq)
