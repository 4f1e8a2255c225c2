"""A scan's WHERE handed to the GROUP BY above it as a column of flags, instead of applied.

TPC-H Q1's WHERE keeps 98% of lineitem: filtering copied seven columns of six million rows
to drop 2% of them, 40% of the query. When a GROUP BY aggregate reads a table scan directly
and each of its group keys and aggregate arguments can be computed on any row without an
error (a column, a constant, exact numeric + - * of those), the scan hands its batches over
unfiltered with one more column, ``1`` where every term holds and ``0`` elsewhere; the
aggregate groups by it as one more key and drops the groups of 0. A group's rows, and so its
aggregates, are then exactly the rows the WHERE keeps. A batch whose terms keep less than
``KEEP_FRACTION`` of it (the aggregate would work through the rows the copy drops), or whose
terms raise, is filtered as before and flagged all 1.

Not for EXPLAIN ANALYZE (its row counts are each node's own) and not for grand aggregates,
grouping sets, DISTINCT, FILTER, ordered or list aggregates: only sum/avg of numerics,
min/max, count and count(*).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from helios_core import pooled_arrays
from helios_core.errors import HeliosError

KEEP_COLUMN = "__keep"
KEEP_FRACTION = 0.75  # a batch kept at least this much is handed over whole
_FLAG_TYPE = pa.int8()  # an integer key: the dense group-id path takes it as well as hashing does
_ANY_ARGUMENT = frozenset({"min", "max", "count", "count_star"})
_NUMERIC_ARGUMENT = frozenset({"sum", "avg"})


def applies(keys: list[Any], aggs: list[Any], grouping_sets: Any, scan: Any) -> bool:
    """Whether a GROUP BY reading table scan ``scan`` may take the scan's terms as a flag column."""
    if not keys or grouping_sets is not None or scan.residual is None:
        return False
    if scan.pk_lookup is not None or scan.index_use is not None or scan.score or scan.with_rowid:
        return False
    if not all(k.column is not None for k in keys):
        return False
    for spec in aggs:
        if spec.uses_lists or spec.distinct or spec.filter is not None or spec.order or spec.user is not None:
            return False
        if spec.name in _NUMERIC_ARGUMENT:
            if len(spec.args) != 1 or spec.args[0].type.name != "numeric" or not computable_on_any_row(spec.args[0]):
                return False
        elif spec.name not in _ANY_ARGUMENT or not all(computable_on_any_row(a) for a in spec.args):
            return False
    return True


def read_columns(keys: list[Any], aggs: list[Any]) -> frozenset[int]:
    """The scan columns such a GROUP BY reads (its keys, and the columns in its arguments)."""
    out: set[int] = set()

    def visit(c: Any) -> None:
        if c.column is not None:
            out.add(c.column)
        elif c.arith is not None:
            visit(c.arith[1])
            visit(c.arith[2])

    for c in [*keys, *(a for spec in aggs for a in spec.args)]:
        visit(c)
    return frozenset(out)


def computable_on_any_row(c: Any) -> bool:
    """A column, a constant, or exact numeric + - * of such: computable on any row (numeric
    arithmetic neither overflows nor divides)."""
    if c.column is not None or c.const is not None:
        return True
    if c.arith is not None and c.type.name == "numeric":
        _op, left, right = c.arith
        return computable_on_any_row(left) and computable_on_any_row(right)
    return False


def flagged(b: pa.RecordBatch, parts: list[Any], filter_batch: Any, ctx: Any,
            read: frozenset[int] | None = None) -> pa.RecordBatch | None:
    """``b`` with its flag column (the terms ``parts`` evaluated on every row), or, when they keep
    too little of it, the rows they keep flagged all 1 (filtered by the mask already computed, not
    evaluated again; only the columns in ``read`` are filtered, ``_kept_columns``), or when one
    raises, ``filter_batch(b)`` flagged all 1; None when no row is left."""
    try:
        kept = _kept_rows(b, parts, ctx)
    except (HeliosError, pa.ArrowInvalid):
        kept = _FILTER  # the ordinary way below raises only where PostgreSQL would
    if kept is None:
        return None
    if kept is _EVERY_ROW:
        return _with_flags(b, None)
    if kept is not _FILTER:
        count = kept.true_count
        if count == 0:
            return None
        if count >= KEEP_FRACTION * b.num_rows:
            return _with_flags(b, kept)
        return _with_flags(_kept_columns(b, kept, count, read), None)
    out = filter_batch(b)
    return None if out is None else _with_flags(out, None)


def all_kept(flags: pa.ChunkedArray) -> bool:
    """Whether every flag is 1 (each batch was filtered, as CB5's are): the aggregate then need
    not group by the flags (a second key costs CB5 a third of its grouping)."""
    return len(flags) == 0 or pc.min(flags).as_py() == 1


def _kept_columns(b: pa.RecordBatch, kept: pa.BooleanArray, count: int, read: frozenset[int] | None
                  ) -> pa.RecordBatch:
    """``b.filter(kept)`` for the columns the aggregate reads; a column only the WHERE read (CB5's
    dates and discounts) is never looked at again, so it stands as a zero-copy slice of itself of
    the kept length (the batches keep one schema, and nothing is copied for it)."""
    if read is None or len(read) == b.num_columns:
        return b.filter(kept)
    order = sorted(read)
    filtered = b.select(order).filter(kept)  # one selection for every column read
    at = {i: k for k, i in enumerate(order)}
    cols = [filtered.column(at[i]) if i in at else b.column(i).slice(0, count) for i in range(b.num_columns)]
    return pa.RecordBatch.from_arrays(cols, schema=b.schema)


def _with_flags(b: pa.RecordBatch, kept: pa.BooleanArray | None) -> pa.RecordBatch:
    """``b`` and its flag column: 1 where ``kept`` holds (None: on every row)."""
    flags = pooled_arrays.int8_ones(b.num_rows) if kept is None else pc.cast(kept, _FLAG_TYPE)
    return b.append_column(KEEP_COLUMN, flags)


_EVERY_ROW = object()  # no term depends on the row, and each holds
_FILTER = object()  # a term raised: the batch is filtered the ordinary way


def _kept_rows(b: pa.RecordBatch, parts: list[Any], ctx: Any) -> pa.BooleanArray | object | None:
    """The rows every term holds on (NULL as not), ``_EVERY_ROW``, or None when a constant term is
    not true."""
    mask = None
    for part in parts:
        v = part.evaluate(b, ctx)
        if v.scalar:
            if v.value() is not True:
                return None
            continue
        mask = v.array if mask is None else pc.and_kleene(mask, v.array)
    if mask is None:
        return _EVERY_ROW
    return pc.fill_null(mask, False) if mask.null_count else mask
