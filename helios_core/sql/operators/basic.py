"""Row-shaping operators: one row, VALUES, filter, projection, limit, shared CTE results."""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.expr import Compiled, Field
from helios_core.sql.functions import numeric_special as NS
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.operators.base import Operator, batch_of, collect, table_batches, unify_batches
from helios_core.sql.operators.sort import Sort


class OneRow(Operator):
    """A single row with no columns: the input of SELECT without FROM."""

    def __init__(self) -> None:
        super().__init__([])

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        yield batch_of([], 1)

    def label(self) -> str:
        return "Result"


def _is_numeric_array(a: pa.Array) -> bool:
    return pa.types.is_decimal(a.type) or pa.types.is_null(a.type) or NS.is_special(a) or NW.is_wide(a)


def _values_at_own_scale(arr: pa.Array) -> list:
    """The Decimals of a numeric array at the scale each prints with. Unconstrained numeric
    storage keeps no scale per value (all sit at its 16 places): its values take the smallest
    scale that shows every value of the array exactly, the scale ``text_out.numeric_text`` prints."""
    values = NW.to_decimals(arr)
    if arr.type != T.NUMERIC_STORAGE_ARROW:
        return values
    finite = [d for d in values if d is not None and d.is_finite()]
    places = max((max(0, -d.normalize().as_tuple().exponent) for d in finite), default=0)
    step = decimal.Decimal(1).scaleb(-places)
    return [d.quantize(step) if d is not None and d.is_finite() else d for d in values]


def per_value_scales(batches: list[pa.RecordBatch], fields: list[Field]) -> list[pa.RecordBatch]:
    """numeric VALUES rows written with different scales ('0', '4.2', '1.000') keep each its own
    scale, as PostgreSQL prints them: such a column becomes wide (numeric_wide) instead of being
    brought to the largest scale."""
    widen = []
    for i, f in enumerate(fields[:batches[0].num_columns]):
        arrays = [b.column(i) for b in batches]
        if f.type.name != "numeric" or f.type.element is not None or not all(_is_numeric_array(a) for a in arrays):
            continue
        scales = {NW.scale_of(d) for a in arrays for d in _values_at_own_scale(a) if d is not None and d.is_finite()}
        if len(scales) > 1:
            widen.append(i)
    if not widen:
        return batches
    return [pa.RecordBatch.from_arrays([NW.from_decimals(_values_at_own_scale(c)) if i in widen else c
                                        for i, c in enumerate(b.columns)], names=b.schema.names) for b in batches]


class Values(Operator):
    """VALUES (...), (...): each cell an expression evaluated against one empty row."""

    def __init__(self, fields: list[Field], rows: list[list[Compiled]]) -> None:
        super().__init__(fields)
        self.rows = rows

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        one = batch_of([], 1)
        batches = []
        for row in self.rows:
            cols = [c.array(one, ctx) for c in row]
            batches.append(batch_of(cols))
        if not batches:
            return
        batches = unify_batches(per_value_scales(batches, self.fields), self.fields)
        yield from table_batches(pa.Table.from_batches(batches))

    def label(self) -> str:
        return 'Values Scan on "*VALUES*"'


def apply_scan_terms(b: pa.RecordBatch, parts: list[Compiled], simple: list[int], ctx: Any,
                     first: pa.BooleanArray | None = None) -> pa.RecordBatch | None:
    """``apply_conjuncts`` for a scan's terms, where ``simple[i]`` marks ``column op constant``
    (1: over a fixed-width column, or two fixed-width columns compared; 2: over a string column;
    0: anything else).

    Those have no side effects and cost a comparison each, while filtering the batch costs a
    copy of every column: so the masks of one level are combined and the batch filtered once
    (TPC-H Q6's five range terms filtered the batch five times). The string terms come after
    the others, on the rows those left: ``l_shipmode IN ('MAIL', 'SHIP')`` hashes every string it
    sees (1.6 ms per 131,072 rows against 0.06 for a date comparison). A simple term that raises
    is left to ``apply_conjuncts``, which tries it after the others as before.

    ``first``: a mask of the rows already chosen (a join's keys, ``join_key_filter``), combined
    with the fixed-width terms' masks so that one copy does for both, or applied first when
    there are none (the other terms then see only its rows).
    """
    levels = list(simple) + [0] * (len(parts) - len(simple))
    if first is not None and 1 not in levels:
        b = _filtered(b, first)
        first = None
    if first is None and (len(parts) < 2 or not any(simple)):
        return apply_conjuncts(b, parts, ctx)
    rest = [part for part, level in zip(parts, levels, strict=True) if not level]
    for wanted in sorted({level for level in levels if level}):
        mask = first if wanted == 1 else None
        for part, level in zip(parts, levels, strict=True):
            if level != wanted:
                continue
            try:
                v = part.evaluate(b, ctx)
            except (HeliosError, pa.ArrowInvalid):
                rest.append(part)
                continue
            if v.scalar:
                if v.value() is not True:
                    return None
                continue
            mask = v.array if mask is None else pc.and_kleene(mask, v.array)
        if mask is not None:
            b = _filtered(b, mask)
            if b.num_rows == 0:
                return None
    return apply_conjuncts(b, rest, ctx) if rest else b


def _filtered(b: pa.RecordBatch, mask: pa.Array) -> pa.RecordBatch:
    """``b.filter(mask)``, except that a mask true on every row keeps the batch as it is (a time
    range that holds the whole chunk): filtering copies every column."""
    if isinstance(mask, pa.BooleanArray) and mask.null_count == 0 and mask.true_count == len(mask):
        return b
    return b.filter(mask)


def apply_conjuncts(b: pa.RecordBatch, parts: list[Compiled], ctx: Any) -> pa.RecordBatch | None:
    """The rows of b for which every predicate is true, filtering after each one (so later,
    costlier terms see fewer rows); None when no row is left."""
    deferred: list[Compiled] = []
    for part in sorted(parts, key=lambda p: p.const is None):  # constants first, as PostgreSQL folds
        try:
            v = part.evaluate(b, ctx)
        except (HeliosError, pa.ArrowInvalid):
            if len(parts) == 1:
                raise
            # PostgreSQL orders quals by cost and stops at the first false one: a term that
            # fails may never run on the rows another term removes, so try it last
            deferred.append(part)
            continue
        if v.scalar:
            if v.value() is not True:
                return None
            continue
        b = _filtered(b, v.array)
        if b.num_rows == 0:
            return None
    for part in deferred:
        v = part.evaluate(b, ctx)
        if v.scalar:
            if v.value() is not True:
                return None
            continue
        b = _filtered(b, v.array)
        if b.num_rows == 0:
            return None
    return b


class Filter(Operator):
    """Keeps rows where the predicate is true (NULL and false are dropped)."""

    def __init__(self, child: Operator, pred: Compiled, text: str = "", parts: list[Compiled] | None = None
                 ) -> None:
        super().__init__(child.fields, [child])
        self.pred = pred
        self.parts = parts or [pred]
        self.text = text or pred.label

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        for b in self.children[0].execute(ctx):
            ctx.check_cancel()
            if b.num_rows == 0:
                continue
            out = apply_conjuncts(b, self.parts, ctx)
            if out is not None and out.num_rows:
                yield out

    def ordering(self) -> list[Any]:
        return self.children[0].ordering()  # drops rows, keeps their order

    def label(self) -> str:
        return "Filter"

    def details(self) -> list[str]:
        return [f"Filter: {self.text}"]


class Project(Operator):
    """Computes one output column per expression."""

    def __init__(self, child: Operator, exprs: list[Compiled], fields: list[Field]) -> None:
        super().__init__(fields, [child])
        self.exprs = exprs

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        for b in self.children[0].execute(ctx):
            ctx.check_cancel()
            n = b.num_rows
            if n == 0:
                continue
            cols = [e.array(b, ctx) for e in self.exprs]
            yield batch_of(cols, n)

    def ordering(self) -> list[Any]:
        """The input's order, as far as its sort columns are passed through unchanged."""
        out_of = {e.column: i for i, e in enumerate(reversed(self.exprs)) if e.column is not None}
        last = len(self.exprs) - 1
        kept = []
        for k in self.children[0].ordering():
            if k.index not in out_of:
                break
            kept.append(attrs.evolve(k, index=last - out_of[k.index]))
        return kept

    def label(self) -> str:
        return "Project"

    def details(self) -> list[str]:
        return ["Output: " + ", ".join(e.label or f.name for e, f in zip(self.exprs, self.fields, strict=False))]


class Limit(Operator):
    """LIMIT/OFFSET (expressions evaluated once per execution; NULL limit = no limit)."""

    def __init__(self, child: Operator, limit: Compiled | None, offset: Compiled | None) -> None:
        super().__init__(child.fields, [child])
        self.limit = limit
        self.offset = offset

    def _value(self, c: Compiled | None, ctx: Any, what: str) -> int | None:
        if c is None:
            return None
        v = c.evaluate(batch_of([], 1), ctx).value()
        if v is None:
            return None
        v = int(v)
        if v < 0:
            raise HeliosError(f"{what} must not be negative", sqlstate="2201W" if what == "LIMIT" else "2201X")
        return v

    ties: list[int] | None = None

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        limit = self._value(self.limit, ctx, "LIMIT")
        skip = self._value(self.offset, ctx, "OFFSET") or 0
        if limit == 0:
            return
        if self.ties is not None and limit is not None:
            yield from self._with_ties(ctx, limit, skip)
            return
        child = self.children[0]
        if limit is not None and isinstance(child, Sort):  # ORDER BY ... LIMIT: the sort keeps its top k only
            child.top_k = skip + limit
        it = child.execute(ctx)
        try:
            for b in it:
                ctx.check_cancel()
                if skip:
                    if b.num_rows <= skip:
                        skip -= b.num_rows
                        continue
                    b = b.slice(skip)
                    skip = 0
                if limit is not None:
                    if b.num_rows >= limit:
                        yield b.slice(0, limit)
                        return
                    limit -= b.num_rows
                yield b
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    def _with_ties(self, ctx: Any, limit: int, skip: int) -> Iterator[pa.RecordBatch]:
        """FETCH FIRST n ROWS WITH TIES: also the rows equal to the n-th on the ORDER BY keys."""
        t = collect(self.children[0], ctx).slice(skip)
        if t.num_rows <= limit:
            yield from table_batches(t)
            return
        last = [t.column(i)[limit - 1] for i in self.ties or []]
        end = limit
        while end < t.num_rows and all(
                (t.column(i)[end].as_py() == v.as_py()) for i, v in zip(self.ties or [], last, strict=True)):
            end += 1
        yield from table_batches(t.slice(0, end))

    def ordering(self) -> list[Any]:
        return self.children[0].ordering()

    def required_ordering(self) -> list[list[int]]:
        return [list(self.ties)] if self.ties else []  # WITH TIES compares neighbours in sort order

    def label(self) -> str:
        return "Limit"


class Shared(Operator):
    """A CTE result computed at most once per execution and read by every reference.

    Computed lazily, as PostgreSQL's CTE scan does: batches are produced when a reference first
    needs them and kept for the other references, so ``WITH RECURSIVE r AS (... no end ...)
    SELECT * FROM r LIMIT 3`` stops after three rows.

    A CTE whose body reads columns of an outer query (``per_outer_row``) is computed again
    each time it is read: its rows depend on the outer row being evaluated.
    """

    def __init__(self, child: Operator, name: str, *, per_outer_row: bool = False) -> None:
        super().__init__(child.fields, [child])
        self.name = name
        self.per_outer_row = per_outer_row

    def batches(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        if self.per_outer_row:
            yield from self.children[0].execute(ctx)
            return
        key = ("cte", id(self))
        state = ctx.subquery_cache.get(key)
        if state is None:
            state = ctx.subquery_cache[key] = _SharedState(self.children[0].execute(ctx))
        i = 0
        while True:
            if i < len(state.produced):
                yield state.produced[i]
                i += 1
                continue
            if state.source is None:
                return
            b = next(state.source, None)
            if b is None:
                state.source = None
                return
            if b.num_rows:
                state.produced.append(b)

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        yield from self.batches(ctx)

    def label(self) -> str:
        return f"CTE {self.name}"


class _SharedState:
    """A CTE's batches so far and what produces the rest (None once exhausted)."""

    __slots__ = ("produced", "source")

    def __init__(self, source: Iterator[pa.RecordBatch]) -> None:
        self.source: Iterator[pa.RecordBatch] | None = source
        self.produced: list[pa.RecordBatch] = []


class SharedRef(Operator):
    """A reference to a CTE (keeps EXPLAIN honest: the CTE body is shown once)."""

    def __init__(self, shared: Shared, fields: list[Field]) -> None:
        super().__init__(fields, [])
        self.shared = shared

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        yield from self.shared.batches(ctx)

    def label(self) -> str:
        return f"CTE Scan on {self.shared.name}"


class TableSource(Operator):
    """Rows produced by a callable per execution (virtual tables, worktables)."""

    def __init__(self, fields: list[Field], produce: Any, text: str) -> None:
        super().__init__(fields)
        self.produce = produce
        self.text = text

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        t = self.produce(ctx)
        if isinstance(t, pa.RecordBatch):
            t = pa.Table.from_batches([t])
        yield from table_batches(t)

    def label(self) -> str:
        return self.text


def filter_mask(arr: pa.Array) -> pa.Array:
    return pc.fill_null(arr, False) if arr.null_count else arr
