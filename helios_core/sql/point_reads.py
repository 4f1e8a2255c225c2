"""Primary-key point reads of prepared plans, run without the operator tree.

A prepared ``SELECT cols FROM t WHERE pk = $1`` plans to a projection of plain columns over a
primary-key lookup. Executing that tree costs several generators, batch constructions and
renames around one ``txn.lookup`` that returns the row; for the OLTP path that is most of
the statement. ``point_read_of`` recognises the shape once per plan; ``PointRead.run`` does
the same work directly: the key evaluated exactly as the scan evaluates it, the lookup in
the statement's transaction (its snapshot: MVCC as the scan sees it), the row's columns
in the projection's order, named as the plan names them. Privileges were checked when the
plan was made, and a plan is re-made whenever they may have changed (the plan generation).
Anything else (a residual filter, time travel, computed output, rowids, stored NaN numerics)
keeps the operator tree.
"""

from __future__ import annotations

from typing import Any

import attrs
import pyarrow as pa

from helios_core.sql.operators.basic import Project
from helios_core.sql.operators.scan import TableScan, lookup_key


@attrs.define(eq=False)
class PointRead:
    scan: TableScan
    picks: list[int]  # the scan's column index of each result column
    schema: pa.Schema  # the plan's result schema

    def run(self, ctx: Any) -> list[pa.RecordBatch] | None:
        """The result batches (none or one row); None when the operator tree must run instead."""
        if ctx.as_of is not None:
            return None
        scan = self.scan
        key = lookup_key(scan.pk_lookup, ctx)
        if key is None:
            return []
        ctx.check_cancel()
        b = ctx.txn.lookup(scan.schema_name, scan.table, key, columns=scan.columns)
        if not b.num_rows:
            return []
        cols = [b.column(i) for i in self.picks]
        schema = self.schema
        if any(c.type != f.type for c, f in zip(cols, schema, strict=True)):
            schema = pa.schema([pa.field(f.name, c.type) for c, f in zip(cols, schema, strict=True)])
        return [pa.RecordBatch.from_arrays(cols, schema=schema)]


def point_read_of(plan: Any) -> PointRead | None:
    """The plan as a PointRead when it is one primary-key lookup of plain columns, else None."""
    if getattr(plan, "subplans", None):
        return None
    root = getattr(plan, "root", None)
    if isinstance(root, Project) and len(root.children) == 1 and isinstance(root.children[0], TableScan):
        scan = root.children[0]
        picks = [e.column for e in root.exprs]
    elif isinstance(root, TableScan):
        scan = root
        picks = list(range(len(scan.columns)))
    else:
        return None
    if type(scan) is not TableScan or scan.pk_lookup is None or scan.as_of is not None or scan.residual is not None \
            or scan.pushed or scan.with_rowid or scan.unconstrained_numeric or len(scan.fields) != len(scan.columns):
        return None
    if any(p is None or not 0 <= p < len(scan.columns) for p in picks) or len(picks) != len(plan.columns):
        return None
    return PointRead(scan, picks, plan.schema)
