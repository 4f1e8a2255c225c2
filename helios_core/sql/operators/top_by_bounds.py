"""``ORDER BY pk [DESC] LIMIT k`` of a table read from the chunks whose keys lead, not the whole table.

The latest rows of a large table (``SELECT * FROM t ORDER BY id DESC LIMIT 20``) are the
commonest top-k an application asks for, and reading every chunk's key to find them costs the
table's size. Every chunk knows the smallest and largest key it holds (``ReadOps.key_bounds``:
a segment's statistics, or worked out once and kept with the chunk). Chunks are read in the
order of the bound that leads (largest first for DESC), in groups of about k rows, then twice
as many each time (a chunk of more rows is read alone); once k rows are found, the k-th key bounds what a chunk not yet read must hold to matter, and the read stops at
the first chunk whose bound cannot beat it. Visibility is the scan's as always: a chunk's bound
covers every version it holds, so a chunk skipped holds no visible row that beats the k-th.

Only for a table's one-column integer primary key: its values are unique and never NULL, so
no two rows tie and the rows found are the ones, in the order, a full top-k gives whatever
order the chunks were read in. Anything else (a filter, an index, time travel, computed output,
other keys) keeps the full read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from helios_core.sql.operators.base import batch_of, to_table
from helios_core.sql.operators.basic import Project
from helios_core.sql.operators.scan import TableScan
from helios_core.sql.operators.sort import Sort, top_k_table

_INTEGER_KEYS = ("int2", "int4", "int8")


def _shape(sort: Any) -> tuple[TableScan, Project | None, str] | None:
    """(the scan, the projection of plain columns above it or None, the key's stored column)."""
    if len(sort.keys) != 1:
        return None
    child = sort.children[0]
    project = None
    index = sort.keys[0].index
    if type(child) is Project:
        project = child
        if any(e.column is None for e in project.exprs):
            return None
        index = project.exprs[index].column
        child = project.children[0]
    if type(child) is not TableScan:
        return None
    scan = child
    if scan.residual is not None or scan.pushed or scan.prune_terms or scan.pk_lookup is not None \
            or scan.index is not None or scan.index_use is not None or scan.as_of is not None or scan.with_rowid \
            or scan.guard is not None or scan.score or scan.unconstrained_numeric \
            or len(scan.fields) != len(scan.columns) or not 0 <= index < len(scan.columns):
        return None
    column = scan.columns[index]
    if scan.primary_key != [column] or scan.fields[index].type.name not in _INTEGER_KEYS:
        return None
    return scan, project, column


def reader(sort: Sort) -> Callable[[Any, int], pa.Table | None] | None:
    """The sort's bounded reader (``Sort.bounded_top``) when it orders a table by its integer
    primary key alone, else None; decided once, when the plan is made."""
    shape = _shape(sort)
    if shape is None:
        return None
    return lambda ctx, k: _top_rows(sort, shape, ctx, k)


def _top_rows(sort: Sort, shape: tuple[TableScan, Project | None, str], ctx: Any, k: int) -> pa.Table | None:
    """The first ``k`` rows of the sort's input by its key, read chunk group by chunk group; None
    under time travel or EXPLAIN ANALYZE (the caller reads everything)."""
    if ctx.as_of is not None or ctx.op_stats is not None or k <= 0:
        return None
    scan, project, column = shape
    descending = sort.keys[0].descending
    bounds = ctx.txn.key_bounds(scan.schema_name, scan.table, column)
    unknown = {cid for cid, lo, _hi, _n in bounds if lo is None}
    known = sorted((b for b in bounds if b[1] is not None), key=(lambda b: -b[2]) if descending else (lambda b: b[1]))
    best: pa.Table | None = None
    threshold = None
    at, budget = 0, k
    while at < len(known) or unknown:
        group, rows = set(unknown), 0
        unknown = set()
        while at < len(known):
            cid, lo, hi, n = known[at]
            if threshold is not None and (hi <= threshold if descending else lo >= threshold):
                at = len(known)  # sorted by this bound: none after it can beat the k-th row either
                break
            if group and rows + n > budget:
                break
            group.add(cid)
            rows += n
            at += 1
        budget *= 2
        if not group:
            break
        batches = []
        for b in scan.chunk_rows(ctx, group):
            ctx.check_cancel()
            if b.num_rows:
                batches.append(b if project is None else batch_of([e.array(b, ctx) for e in project.exprs],
                                                                  b.num_rows))
        if batches:
            found = to_table(batches, sort.fields)
            best = found if best is None else pa.concat_tables([best, found])
            best = top_k_table(best, sort.keys, k, sort.fields)
            if best.num_rows >= k:
                threshold = best.column(sort.keys[0].index)[k - 1].as_py()
    return best if best is not None else to_table([], sort.fields)
