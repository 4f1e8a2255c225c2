"""WindowOp: appends one column per window function to its input (see sql/windows.py).

The rows leave in the order PostgreSQL's WindowAgg leaves them: the windows are evaluated in
PostgreSQL's order (sql/window_order.py), the rows re-sorted as its sorts would leave them
(operators/pg_tie_order.py) only when a window needs an order the previous one does not give.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from helios_core.sql.expr import Field
from helios_core.sql.operators import pg_tie_order
from helios_core.sql.operators.base import Operator, collect, names
from helios_core.sql.operators.join import eval_on_table
from helios_core.sql.window_order import already_sorted, evaluation_order


class WindowOp(Operator):
    def __init__(self, fields: list[Field], child: Operator, specs: list[Any]) -> None:
        super().__init__(fields, [child])
        self.specs = specs

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        from helios_core.sql.windows import compute_window, window_sort_keys

        t = collect(self.children[0], ctx)
        if t.num_rows == 0:
            return
        results: list[pa.Array | None] = [None] * len(self.specs)
        current: list = []
        for i in evaluation_order([s.sort_items for s in self.specs]):
            ctx.check_cancel()
            spec = self.specs[i]
            if not already_sorted(current, spec.sort_items):
                keys, spec_keys = window_sort_keys(spec, t, ctx, eval_on_table)
                if spec_keys and t.num_rows > 1:
                    perm = pa.array(pg_tie_order.sort_order(pa.table(keys), spec_keys))
                    t = t.take(perm)
                    results = [None if r is None else r.take(perm) for r in results]
                current = spec.sort_items
            results[i] = compute_window(spec, t, ctx, eval_on_table)
        cols = [c.combine_chunks() for c in t.columns] + results
        yield pa.RecordBatch.from_arrays(cols, names=names(len(cols)))

    def label(self) -> str:
        return "WindowAgg"

    def details(self) -> list[str]:
        return ["Functions: " + ", ".join(s.name for s in self.specs)]
