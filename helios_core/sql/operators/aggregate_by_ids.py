"""Direct aggregates of integer-keyed groups from dense group ids, without hashing.

When every GROUP BY key is an integer, a date or a timestamp, ``group_runs.group_ids`` numbers
the groups by offsets from the keys' least values (no hash table). Counts, and sums of
floats and of integers small enough for float64 to hold exactly, are then ``np.bincount`` of
those ids: one pass each, in input order, so each group's float sum adds its values in the
order the rows came, as PostgreSQL's sequential scan does (Arrow's threaded hash aggregation
adds partial sums in whatever order its threads finish). Anything else (other functions, other
types, keys with NULLs or far apart, few rows) is left to the hash aggregation: ``aggregate``
returns None. So are groups with no float sum among their aggregates whose keys do not come in
runs: the order of additions then shows nowhere, and Arrow's hashing on its two threads is
quicker than these numpy passes (CB5's 10,000 suppliers over 1.1M rows: 19 -> 6 ms; 6M rows of
7 to 100,000 random keys in first-appearance order, hashed and sorted by first row: 214-226 ->
28-130 ms). Keys in runs (a time-series chunk sorted by them) are summed a run at a time here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core import pooled_arrays
from helios_core.sql.operators import group_runs

MIN_ROWS = 1 << 16  # below this Arrow's hash aggregation costs as little
_EXACT_IN_FLOAT64 = 2.0 ** 53
_COUNT_VALID = str(pc.CountOptions(mode="only_valid"))  # the options aggregates.direct_aggregations gives
_SUM_OF_SOME = str(pc.ScalarAggregateOptions(min_count=1))


def increasing(rows: pa.ChunkedArray | pa.Array) -> bool:
    """Whether the work table's row numbers only grow, slice by slice (no 80 MB temporaries)."""
    chunks = rows.chunks if isinstance(rows, pa.ChunkedArray) else [rows]
    last = None
    for chunk in chunks:
        if not len(chunk):
            continue
        values = chunk.to_numpy(zero_copy_only=False)
        if (last is not None and values[0] <= last) or (len(values) > 1 and not (values[1:] > values[:-1]).all()):
            return False
        last = values[-1]
    return True


def group_ids(work: pa.Table, ks: list[str], memo: dict) -> tuple[np.ndarray, int, np.ndarray | None]:
    """``group_runs.group_ids`` of the key columns ``ks``, computed once per work table and keys."""
    key = tuple(ks)
    if key not in memo:
        ids, count, firsts, runs = group_runs.group_ids_and_runs([work.column(k).combine_chunks() for k in ks])
        if runs is not None:
            memo[("run starts", key)] = runs
        memo[key] = ids, count, firsts
    return memo[key]


def run_starts(work: pa.Table, ks: list[str], memo: dict) -> np.ndarray | None:
    """Where each group's rows begin when every group is one run of rows (a time-series chunk
    stored sorted by its keys gives that), else None; computed once per work table and keys.
    Groups are numbered by first appearance, so in that case group i is the i-th run."""
    key = ("run starts", tuple(ks))
    if key not in memo:
        gid, count, _ = group_ids(work, ks, memo)
        changes = np.flatnonzero(gid[1:] != gid[:-1]) + 1
        memo[key] = np.concatenate(([0], changes)) if len(changes) == count - 1 else None
    return memo[key]


def _per_group_total(values: np.ndarray, gid: Any, starts: np.ndarray | None, count: int) -> np.ndarray:
    """Each group's total of integer or boolean ``values``, exactly: one add per run where the
    groups are runs, else counted by id (``gid`` as a callable giving the intp ids)."""
    if starts is not None:
        return np.add.reduceat(values, starts, dtype=np.int64)
    if values.dtype == np.bool_:
        return np.bincount(gid()[values], minlength=count).astype(np.int64)
    return np.rint(np.bincount(gid(), weights=values, minlength=count)).astype(np.int64)


def rows_increasing(work: pa.Table, memo: dict) -> bool:
    """``increasing`` of the work table's ``__row``, checked once per work table."""
    if "__row increasing" not in memo:
        memo["__row increasing"] = increasing(work.column("__row"))
    return memo["__row increasing"]


def _supported(work: pa.Table, aggs: list[tuple]) -> bool:
    for agg in aggs:
        col, fn = agg[0], agg[1]
        opts = agg[2] if len(agg) > 2 else None
        t = work.column(col).type
        if (col, fn) == ("__row", "min"):
            continue
        if fn == "count" and str(opts) == _COUNT_VALID:
            continue
        if fn == "sum" and str(opts) == _SUM_OF_SOME and (
                t == pa.float64() or pa.types.is_signed_integer(t)):
            continue
        return False
    return True


def aggregate(work: pa.Table, ks: list[str], aggs: list[tuple], memo: dict) -> pa.Table | None:
    """What ``work.group_by(ks).aggregate(aggs)`` gives (the keys, then ``{col}_{fn}`` per
    aggregation), groups in first-appearance order (any order when the rows are not numbered:
    no ``__row``, see ``_unordered``); None when this module does not take it."""
    n = work.num_rows
    if n < MIN_ROWS or not ks or "__one" in ks or not _supported(work, aggs):
        return None
    if not all(pa.types.is_integer(t) or pa.types.is_timestamp(t) or pa.types.is_date(t)
               for t in (work.column(k).type for k in ks)):
        return None
    if not any(fn == "sum" and pa.types.is_floating(work.column(col).type) for col, fn, *_ in aggs) \
            and not group_runs.keys_in_runs([work.column(k) for k in ks]):
        return None  # exact either way, and Arrow's threaded hashing is quicker (module docstring)
    if "__row" not in work.column_names:
        done = _unordered(work, ks, aggs)
        if done is not None:
            return done
    gid, count, firsts = group_ids(work, ks, memo)
    if firsts is None or ("__row" in work.column_names and not rows_increasing(work, memo)):
        return None  # the keys were hashed, or the first row of a group is not its smallest
    where = pa.array(firsts)
    out: dict[str, Any] = {k: work.column(k).take(where) for k in ks}
    starts = run_starts(work, ks, memo)
    ids: list[np.ndarray] = []

    def intp_ids() -> np.ndarray:  # what bincount indexes by: converted once, and only if asked for
        if not ids:
            ids.append(pooled_arrays.converted(gid, np.intp))
        return ids[0]

    sizes = np.diff(starts, append=n) if starts is not None else np.bincount(intp_ids(), minlength=count)
    if "__row" in work.column_names:
        out["__row_min"] = work.column("__row").combine_chunks().take(where)
    return _aggregated(work, aggs, out, intp_ids, starts, count, sizes)


def _unordered(work: pa.Table, ks: list[str], aggs: list[tuple]) -> pa.Table | None:
    """The groups in key order rather than first appearance (a sort above orders them), for
    float sums added in row order: each row's id is its keys' offset from their least values
    (``group_runs.offset_ids``), so no pass numbers the groups by first appearance or finds each
    one's first row; the groups no row has are dropped at the end. None when the keys are not
    such offsets, or lie in runs of rows (the ordered path sums those a run at a time)."""
    found = group_runs.offset_ids([work.column(k).combine_chunks() for k in ks])
    if found is None:
        return None
    ids, span, key_values = found
    sizes = np.bincount(ids, minlength=span)
    present = np.flatnonzero(sizes)
    out = _aggregated(work, aggs, {}, lambda: ids, None, span, sizes)
    if out is None:
        return None
    where = pa.array(present)
    keys = {k: arr.cast(work.column(k).type) if arr.type != work.column(k).type else arr
            for k, arr in zip(ks, key_values(present), strict=True)}
    return pa.table({**keys, **{name: col.take(where) for name, col in zip(out.column_names, out.columns,
                                                                          strict=True)}})


def _aggregated(work: pa.Table, aggs: list[tuple], out: dict[str, Any], intp_ids: Any, starts: np.ndarray | None,
                count: int, sizes: np.ndarray) -> pa.Table | None:
    """``out`` with each aggregation of ``aggs`` per group id (``intp_ids()`` the rows' ids,
    ``count`` of them, ``sizes`` their row counts, ``starts`` where each group's run begins when
    groups are runs); None when a sum could round in float64."""
    n = work.num_rows
    for agg in aggs:
        col, fn = agg[0], agg[1]
        name = f"{col}_{fn}"
        if name in out:
            continue
        arr = work.column(col).combine_chunks()
        valid = arr.is_valid().to_numpy(zero_copy_only=False) if arr.null_count else None
        counts = sizes if valid is None else _per_group_total(valid, intp_ids, starts, count)
        if fn == "count":
            out[name] = pa.array(counts, pa.int64())
            continue
        values = (pc.fill_null(arr, 0) if arr.null_count else arr).to_numpy(zero_copy_only=False)
        if pa.types.is_integer(arr.type):
            low, high = (int(values.min()), int(values.max())) if len(values) else (0, 0)
            if max(-low, high) * n >= _EXACT_IN_FLOAT64:
                return None  # a sum float64 might round: the hash aggregation sums exactly
            if low == high == 0:  # e.g. no infinite input
                sums = pa.array(np.zeros(count, np.int64))
            elif low == high == 1 and valid is None:  # count(*)'s ones: the group sizes
                sums = pa.array(sizes.astype(np.int64))
            elif low >= 0 and high <= 1:  # flags (a FILTER's count): the ones counted, no float weights
                sums = pa.array(_per_group_total(values.astype(bool), intp_ids, starts, count))
            else:
                sums = pa.array(_per_group_total(values, intp_ids, starts, count))
        else:  # floats: added one by one in row order, as PostgreSQL does
            sums = pa.array(np.bincount(intp_ids(), weights=values, minlength=count))
        out[name] = pc.if_else(pa.array(counts > 0), sums, pa.nulls(count, sums.type))
    return pa.table(out)
