"""WindowOp: appends one column per window function to its input (see sql/windows.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from helios_core.sql.expr import Field
from helios_core.sql.operators.base import Operator, collect, names
from helios_core.sql.operators.join import eval_on_table


class WindowOp(Operator):
    def __init__(self, fields: list[Field], child: Operator, specs: list[Any]) -> None:
        super().__init__(fields, [child])
        self.specs = specs

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        from helios_core.sql.windows import compute_window

        t = collect(self.children[0], ctx)
        if t.num_rows == 0:
            return
        cols = [c.combine_chunks() for c in t.columns]
        for spec in self.specs:
            ctx.check_cancel()
            cols.append(compute_window(spec, t, ctx, eval_on_table))
        yield pa.RecordBatch.from_arrays(cols, names=names(len(cols)))

    def label(self) -> str:
        return "WindowAgg"

    def details(self) -> list[str]:
        return ["Functions: " + ", ".join(s.name for s in self.specs)]
