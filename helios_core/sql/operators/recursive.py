"""WITH RECURSIVE: iterate the recursive term over the rows the previous step produced."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.sql.expr import Field
from helios_core.sql.operators.base import Operator, collect, table_batches, to_table, unify_batches
from helios_core.sql.operators.sort import distinct_table

MAX_ITERATIONS = 1_000_000


class WorkTable(Operator):
    """The recursive CTE's self-reference: the rows of the previous iteration."""

    def __init__(self, fields: list[Field], name: str) -> None:
        super().__init__(fields)
        self.name = name

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        t = ctx.subquery_cache.get(("worktable", id(self)))
        if t is not None:
            yield from table_batches(t)

    def label(self) -> str:
        return f"WorkTable Scan on {self.name}"


class RecursiveUnion(Operator):
    def __init__(self, fields: list[Field], anchor: Operator, recursive: Operator, worktable: WorkTable,
                 distinct: bool) -> None:
        super().__init__(fields, [anchor, recursive])
        self.worktable = worktable
        self.distinct = distinct

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        anchor, rec = self.children
        work = collect(anchor, ctx)
        if self.distinct:
            work = distinct_table(work)
        seen = work
        yield from table_batches(work)
        key = ("worktable", id(self.worktable))
        stale = self._reading_worktable()
        for _ in range(MAX_ITERATIONS):
            ctx.check_cancel()
            if work.num_rows == 0:
                return
            ctx.subquery_cache[key] = work
            for shared_id in stale:  # a WITH inside the recursive term reads this step's worktable
                ctx.subquery_cache.pop(("cte", shared_id), None)
            if self.distinct:
                new = collect(rec, ctx)
                if new.num_rows:
                    both = to_table(unify_batches(seen.to_batches() + new.to_batches(), self.fields), self.fields)
                    before = seen.num_rows
                    d = distinct_table(both)
                    new = d.slice(before) if d.num_rows > before else d.slice(0, 0)
                    seen = d
                if new.num_rows == 0:
                    return
                yield from table_batches(new)
            else:
                # UNION ALL hands each row on as the recursive term makes it, as PostgreSQL does: a
                # consumer that stops early (LIMIT) stops a recursive term that would never end
                produced = []
                for b in rec.execute(ctx):
                    ctx.check_cancel()
                    if b.num_rows:
                        produced.append(b)
                        yield b
                new = to_table(produced, self.fields) if produced else work.slice(0, 0)
                if new.num_rows == 0:
                    return
            work = new
        raise HeliosError("recursive query did not terminate", sqlstate="54001")

    def _reading_worktable(self) -> list[int]:
        """ids of the common tables within the recursive term whose rows depend on the worktable."""
        found: list[int] = []
        memo: dict[int, bool] = {}

        def reads(op: Operator) -> bool:
            if id(op) in memo:
                return memo[id(op)]
            memo[id(op)] = False
            hit = op is self.worktable
            kids = list(op.children)
            shared = getattr(op, "shared", None)
            if isinstance(shared, Operator):
                kids.append(shared)
            for k in kids:
                hit = reads(k) or hit
            if hit and type(op).__name__ == "Shared":
                found.append(id(op))
            memo[id(op)] = hit
            return hit

        reads(self.children[1])
        return found

    def label(self) -> str:
        return "Recursive Union"
