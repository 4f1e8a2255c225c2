"""A hash join's build-side keys narrowing the scan that feeds its other side (a runtime filter).

TPC-H Q3 joins 147,000 qualifying orders with the lineitem rows shipped after a date: the scan
filtered 3.2 million lineitem rows (copying each of their columns), the hash join matched them,
and 30,000 pairs came out. An inner or semi join drops every row of its right side whose key is
not among the left side's keys, so once the left side is gathered, its integer keys make a
table of flags over their range, and the right side's scan keeps only the rows whose key is
flagged (DuckDB and ClickHouse filter joins' probe sides the same way): their mask is combined
with the masks of the scan's fixed-width terms, one copy for both, and its other terms see only
the rows kept (``basic.apply_scan_terms``). Applied only where the rows it removes could never be joined:
the join's one key compared as integers (or as dates, or timestamps, of one type), a plain
table scan as the right input, no EXPLAIN ANALYZE (whose row counts show what each node gives).
Written here because Arrow's ``is_in`` builds its hash set again for every batch.
"""

from __future__ import annotations

import threading
from typing import Any

import attrs
import numpy as np
import pyarrow as pa

from helios_core import bool_arrays
from helios_core.sql import plan_costs
from helios_core.sql.operators.base import collect
from helios_core.sql.operators.scan import TableScan

__all__ = ["KeyFilter", "collect_narrowed", "install", "right_first"]

MAX_SPAN = 1 << 24  # flags (bytes) at most: 16 MB
SPAN_PER_KEY = 256  # and at most this many flags per build-side row (sparse keys are left alone)
TRIAL_ROWS = 200_000  # rows tested before a filter that removes almost nothing is dropped
KEEP_ALL = 0.9  # "almost nothing": it kept more than this share
RIGHT_FIRST = 8  # an inner join gathers its right side first when estimated this many times smaller


@attrs.define(eq=False)
class KeyFilter:
    """The build side's key values as flags over ``low .. low + len(flags) - 1``, whose first and
    last flags are false (no key is ``low`` or the last value): a key outside the range, clipped
    to an end, reads false without a range check of its own."""

    column: int  # the scan's output column holding the key
    low: int
    flags: np.ndarray  # bool per value in the range
    seen: int = 0  # rows tested so far, and kept (approximate under parallel batches)
    kept: int = 0
    offered: int = 0  # rows the scan gave before narrowing (exact: counted under the lock)
    lock: threading.Lock = attrs.Factory(threading.Lock)

    def hits(self, b: pa.RecordBatch) -> pa.BooleanArray | None:
        """Which rows of ``b`` have a key of the build side's, or None: every row, or untested.
        Once it has kept nearly every row of the first ``TRIAL_ROWS`` (Q12's orders: every
        lineitem row has its order), it lets the rest through untested."""
        with self.lock:
            self.offered += b.num_rows
        if self.seen >= TRIAL_ROWS and self.kept > KEEP_ALL * self.seen:
            return None
        col = b.column(self.column)
        raw = _integers(col)
        if raw is None:
            return None
        # a key far outside the range may wrap in int64 into it: a false match the join then drops
        index = raw if self.low == 0 and raw.dtype == np.int64 else np.subtract(raw, self.low, dtype=np.int64)
        hit = np.take(self.flags, index, mode="clip")
        if col.null_count:
            hit &= col.is_valid().to_numpy(zero_copy_only=False)
        kept = int(np.count_nonzero(hit))
        self.seen += len(hit)
        self.kept += kept
        return None if kept == len(hit) else bool_arrays.from_numpy(hit)


def _integers(col: pa.Array) -> np.ndarray | None:
    """An integer-like column's values as numpy (the slots of NULLs hold anything)."""
    t = col.type
    if pa.types.is_signed_integer(t) or pa.types.is_date(t) or pa.types.is_timestamp(t):
        width = t.bit_width
        dtype = {64: np.int64, 32: np.int32, 16: np.int16, 8: np.int8}.get(width)
        if dtype is None or col.buffers()[1] is None:
            return None
        return np.frombuffer(col.buffers()[1], dtype)[col.offset:col.offset + len(col)]
    return None


def _comparable(left: pa.DataType, right: pa.DataType) -> bool:
    if pa.types.is_signed_integer(left) and pa.types.is_signed_integer(right):
        return True
    return left == right and (pa.types.is_date(left) or pa.types.is_timestamp(left))


def install(kind: str, gathered_keys: list[pa.Array], key: Any, side: Any, ctx: Any) -> int | None:
    """Put a KeyFilter from the gathered side's keys on the other input's (``side``) scan of
    ``key`` for this execution (``ctx.runtime_filters``); the id to take it off with, or None
    when the join does not qualify (see module docstring)."""
    if kind not in ("inner", "semi") or len(gathered_keys) != 1 or type(side) is not TableScan \
            or key.column is None or ctx.op_stats is not None:
        return None
    keys = gathered_keys[0]
    if isinstance(keys, pa.ChunkedArray):
        keys = keys.combine_chunks()
    if not _comparable(keys.type, side.fields[key.column].type.arrow_type) or len(keys) == 0:
        return None
    raw = _integers(keys)
    if raw is None:
        return None
    if keys.null_count:
        raw = raw[keys.is_valid().to_numpy(zero_copy_only=False)]
        if not len(raw):
            return None
    low, high = int(raw.min()), int(raw.max())
    span = high - low + 1
    if span > MAX_SPAN or span > SPAN_PER_KEY * len(raw) or low == np.iinfo(np.int64).min:
        return None  # (the least int64 leaves no room for the false flag before it)
    # flags from 0 when that costs little more (positive keys: probe keys index them unshifted)
    base = 0 if low > 0 and high + 2 <= min(MAX_SPAN, SPAN_PER_KEY * len(raw)) else low - 1
    flags = np.zeros(high - base + 2, np.bool_)  # a false flag before the least key and after the greatest
    flags[raw.astype(np.int64) - base] = True
    ctx.runtime_filters[id(side)] = KeyFilter(key.column, base, flags)
    return id(side)


def collect_narrowed(side: Any, kind: str, other_keys: list[pa.Array], key: Any, ctx: Any) -> tuple[pa.Table, int]:
    """``collect(side)``, its scan narrowed by the other side's keys when the join qualifies; and
    the rows it would have had unnarrowed (the join sizes its hash table by those, so that which
    of several matching rows comes first, what UPDATE ... FROM takes, does not change)."""
    narrowed = install(kind, other_keys, key, side, ctx)
    try:
        table = collect(side, ctx)
        return table, table.num_rows if narrowed is None else ctx.runtime_filters[narrowed].offered
    finally:
        if narrowed is not None:
            ctx.runtime_filters.pop(narrowed, None)


def right_first(kind: str, left_keys: list[Any], right_keys: list[Any], left: Any, right: Any, ctx: Any) -> bool:
    """Whether an inner join should gather its right input first and narrow its left scan: the
    left is a plain table scan keyed by one column of a type the flags compare, and the right is
    estimated (plan_costs, as EXPLAIN prints) at most 1/RIGHT_FIRST of its rows."""
    if kind != "inner" or len(left_keys) != 1 or type(left) is not TableScan or left_keys[0].column is None \
            or ctx.op_stats is not None \
            or not _comparable(left_keys[0].type.arrow_type, right_keys[0].type.arrow_type):
        return False
    try:
        return plan_costs.estimate(right, ctx).rows * RIGHT_FIRST <= plan_costs.estimate(left, ctx).rows
    except Exception:  # noqa: BLE001 - an estimate is advice: without one, the usual order
        return False
