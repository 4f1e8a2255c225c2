"""UNION / INTERSECT / EXCEPT [ALL] over inputs already cast to the same column types."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.sql.expr import Field
from helios_core.sql.operators.base import Operator, batch_of, collect, table_batches, to_table, unify_batches
from helios_core.sql.operators.basic import per_value_scales
from helios_core.sql.operators.sort import distinct_table, sortable


def keep_value_scales(batches: list[pa.RecordBatch], fields: list[Field]) -> list[pa.RecordBatch]:
    """Inputs whose numeric columns come with different scales keep each value's own scale
    (basic.per_value_scales); inputs of one scale are left as they are (no per-value work)."""
    batches = [b for b in batches if b.num_rows] or batches[:1]
    if len(batches) < 2:
        return batches
    for i, f in enumerate(fields[:batches[0].num_columns]):
        if f.type.name == "numeric" and f.type.element is None and \
                len({getattr(b.column(i).type, "scale", None) for b in batches}) > 1:
            return per_value_scales(batches, fields)
    return batches


class Append(Operator):
    """UNION ALL: the rows of every input in turn."""

    def __init__(self, fields: list[Field], children: list[Operator]) -> None:
        super().__init__(fields, children)

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        if not any(f.type.name == "numeric" and f.type.element is None for f in self.fields):
            for c in self.children:
                for b in c.execute(ctx):
                    ctx.check_cancel()
                    yield b
            return
        # numeric columns: the inputs' values keep their own scales ('1.1' and 2 print as 1.1 and 2),
        # which needs every input's scale first
        batches = []
        for c in self.children:
            for b in c.execute(ctx):
                ctx.check_cancel()
                batches.append(b)
        yield from keep_value_scales(batches, self.fields)

    def label(self) -> str:
        return "Append"


class SetOp(Operator):
    """UNION (distinct), INTERSECT [ALL], EXCEPT [ALL] by counting rows per side."""

    def __init__(self, fields: list[Field], left: Operator, right: Operator, kind: str, all_: bool) -> None:
        super().__init__(fields, [left, right])
        self.kind = kind
        self.all = all_

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        lt = collect(self.children[0], ctx)
        rt = collect(self.children[1], ctx)
        if self.kind == "union":
            both = to_table(unify_batches(keep_value_scales(lt.to_batches() + rt.to_batches(), self.fields),
                                          self.fields) or [], self.fields)
            yield from table_batches(distinct_table(both, None, self.fields))
            return
        n = lt.num_columns
        if n == 0:  # rows of no columns are all equal: only the counts matter
            lc, rc = lt.num_rows, rt.num_rows
            if self.kind == "intersect":
                copies = min(lc, rc) if self.all else int(lc > 0 and rc > 0)
            else:
                copies = max(lc - rc, 0) if self.all else int(lc > 0 and rc == 0)
            if copies:
                yield batch_of([], copies)
            return
        batches = unify_batches(lt.to_batches() + rt.to_batches(), self.fields)
        both = to_table(batches, self.fields)
        side = np.concatenate([np.zeros(lt.num_rows, np.int64), np.ones(rt.num_rows, np.int64)])
        data = {f"k{i}": sortable(both.column(i)) for i in range(n)}
        data["__l"] = pa.array(1 - side)
        data["__r"] = pa.array(side)
        data["__row"] = pa.array(np.arange(len(side), dtype=np.int64))
        work = pa.table(data)
        keys = [f"k{i}" for i in range(n)]
        g = work.group_by(keys, use_threads=False).aggregate([("__l", "sum"), ("__r", "sum"), ("__row", "min")])
        lc = g.column("__l_sum").to_numpy()
        rc = g.column("__r_sum").to_numpy()
        first = g.column("__row_min").to_numpy()
        if self.kind == "intersect":
            copies = np.minimum(lc, rc) if self.all else ((lc > 0) & (rc > 0)).astype(np.int64)
        else:
            copies = np.maximum(lc - rc, 0) if self.all else ((lc > 0) & (rc == 0)).astype(np.int64)
        order = np.argsort(first, kind="stable")
        rows = np.repeat(first[order], copies[order])
        yield from table_batches(both.take(pa.array(rows, pa.int64())))

    def label(self) -> str:
        return f"{'HashSetOp ' if self.kind != 'union' else ''}{self.kind.capitalize()}{' All' if self.all else ''}"


_ = pc
