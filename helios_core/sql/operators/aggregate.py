"""GROUP BY (with GROUPING SETS / ROLLUP / CUBE) and aggregates, on Arrow's hash aggregation.

The input is evaluated into one work table (key columns, one argument column per aggregate,
FILTER masks, ORDER BY keys, and the input row number ``__row``). Each grouping set is one
``Table.group_by``; every group is identified by its first input row (``__row`` min), which
lines up the direct pass and the per-aggregate list passes, and gives the output a stable
order (first appearance).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core import parallel, pooled_arrays
from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.sql.aggregates import (
    AggSpec,
    check_float_accum,
    direct_aggregations,
    extra_columns,
    finish_direct,
    finish_from_lists,
    float_accum_may_overflow,
    is_float_accum,
    percentile_from_sorted,
    prepare_direct_arg,
    unscaled_int64,
)
from helios_core.sql.expr import Compiled, Field
from helios_core.sql.functions import numeric_special as NS
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.operators import aggregate_by_ids, byte_keys, group_runs, kept_rows_column
from helios_core.sql.operators.base import Operator, collect, names
from helios_core.sql.operators.join import eval_on_table
from helios_core.sql.operators.scan import TableScan
from helios_core.sql.operators.sort import equality_key, sortable, typed_sortable
from helios_core.sql.planner.decimal_fast import sum_fits_int64, unscaled_of


def _groupable(a: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    t = a.type
    if pa.types.is_interval(t) or pa.types.is_list(t) or pa.types.is_struct(t) or pa.types.is_null(t) or \
            isinstance(t, pa.ExtensionType):
        if isinstance(a, pa.ChunkedArray):
            a = a.combine_chunks()
        return sortable(a) if not pa.types.is_null(t) else pa.nulls(len(a), pa.int8())
    if pa.types.is_dictionary(t):
        if isinstance(a, pa.ChunkedArray):
            a = a.combine_chunks()
        return a.dictionary_decode()
    return a


def _input(c: Compiled, t: Any, ctx: Any) -> pa.Array | pa.ChunkedArray:
    """An aggregate's input over every row: a plain column as the chunks it came in (Arrow's
    hash aggregation reads chunked input, so concatenating the chunks first only copies)."""
    if c.column is not None:
        return t.column(c.column)
    return eval_on_table(c, t, ctx)


def _filtered_input(c: Compiled, t: Any, ctx: Any, mask: Any) -> pa.Array | pa.ChunkedArray:
    """An argument under FILTER (WHERE ...): computed over every row, and when that fails (a
    division by zero, an overflow) over the rows the FILTER keeps only, as PostgreSQL computes it
    (``sum(y / x) FILTER (WHERE x <> 0)``); the rows left out read as NULL, which the FILTER's mask
    drops anyway."""
    try:
        return _input(c, t, ctx)
    except HeliosError:
        keep = np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool) if mask is not None else None
        if keep is None or keep.all():
            raise
    values = _input(c, t.filter(pa.array(keep)), ctx)
    positions = pa.array(np.where(keep, np.cumsum(keep) - 1, 0), pa.int64(), mask=~keep)
    return pc.take(values, positions)


_SCALAR_KERNELS = {"count": pc.count, "sum": pc.sum, "min": pc.min, "max": pc.max, "all": pc.all, "any": pc.any,
                   "stddev": pc.stddev, "variance": pc.variance}


def _scalar_aggregate(work: pa.Table, aggs: list[tuple]) -> pa.Table:
    """The one-row result ``Table.group_by(...).aggregate(aggs)`` gives when every row is in one
    group (columns named ``<column>_<function>``), from Arrow's scalar aggregate kernels: the
    grand aggregate (no GROUP BY) pays no hash table."""
    out: dict[str, pa.Array] = {}
    for agg in aggs:
        col, fn = agg[0], agg[1]
        opts = agg[2] if len(agg) > 2 else None
        name = f"{col}_{fn}"
        if name in out:
            continue
        if col == "__row" and fn == "min":
            out[name] = pa.array([0], pa.int64())  # the first input row
            continue
        value = _SCALAR_KERNELS[fn](work.column(col), options=opts)
        out[name] = pa.repeat(value, 1)
    return pa.table(out)


def _widest_integers(tables: list[pa.Table]) -> list[pa.Table]:
    """Work slices whose unscaled values came out in different integer widths (each slice's
    bound picks its own: ``decimal_fast.unscaled_of``) with each such column in its widest."""
    if len({t.schema for t in tables}) <= 1:
        return tables
    widest: dict[str, pa.DataType] = {}
    for t in tables:
        for f in t.schema:
            if pa.types.is_signed_integer(f.type) and (f.name not in widest or f.type.bit_width > widest[f.name].bit_width):
                widest[f.name] = f.type
    return [t.cast(pa.schema([f.with_type(widest.get(f.name, f.type)) if pa.types.is_signed_integer(f.type) else f
                              for f in t.schema])) for t in tables]


def _data_identity(a: pa.Array | pa.ChunkedArray) -> tuple:
    """What makes two arrays hold the same values without comparing them: their type and, chunk
    by chunk, the buffers (addresses), offset and length they view."""
    if pa.types.is_dictionary(a.type):  # its buffers do not include the dictionary's
        return (id(a),)
    chunks = a.chunks if isinstance(a, pa.ChunkedArray) else [a]
    return (a.type, tuple((tuple(b.address if b is not None else None for b in c.buffers()), c.offset, len(c))
                          for c in chunks))


def _check_float_accum_by_group(work: pa.Table, ks: list[str], col: str) -> None:
    """PostgreSQL's float8_accum overflow check for each group, its inputs in input order (only
    reached when the input holds values large enough for it to matter)."""
    if not ks:
        check_float_accum(work.column(col).to_pylist())
        return
    lists = work.select([*ks, col]).group_by(ks, use_threads=False).aggregate([(col, "list")])
    for values in lists.column(f"{col}_list").to_pylist():
        check_float_accum(values)


def _hash_aggregate(work: pa.Table, ks: list[str], aggs: list[tuple]) -> pa.Table:
    """``work.group_by(ks).aggregate(aggs)`` computing each distinct aggregation once
    (``distinct_aggregations``); the output has every requested column all the same."""
    unique, copies = distinct_aggregations(work, ks, aggs)
    work, coded = byte_keys.as_codes(work, [k for k in ks if all(src != k for src, *_ in unique)])
    out = work.group_by(ks, use_threads=True).aggregate(unique)
    if coded:
        out = byte_keys.as_strings(out, coded)
    for name, src in copies:
        if name not in out.column_names:
            out = out.append_column(name, out.column(src))
    return out


def distinct_aggregations(work: pa.Table, ks: list[str], aggs: list[tuple]
                          ) -> tuple[list[tuple], list[tuple[str, str]]]:
    """The aggregations to compute for ``aggs``, and (output name, the computed one it copies) for
    the rest: aggregates over columns that view the same values (``sum(x)`` beside ``avg(x)``)
    share one, and counts of NULL-free columns are every group's row count, counted once (over
    ``__row``, never NULL, when the rows are numbered; Q1's four counts were four passes)."""
    first_of: dict[tuple, str] = {}
    same: dict[str, str] = {}
    for name in work.column_names:
        if name not in ks:
            same[name] = first_of.setdefault(_data_identity(work.column(name)), name)
    unique: dict[tuple, tuple] = {}
    copies: list[tuple[str, str]] = []
    counted = "__row" if "__row" in same else None  # the one NULL-free column every such count reads
    for agg in aggs:
        col, fn = agg[0], agg[1]
        opts = agg[2] if len(agg) > 2 else None
        src = same.get(col, col)
        if fn == "count" and str(opts) == "CountOptions(mode=NON_NULL)" and work.column(col).null_count == 0:
            counted = counted or src
            src = counted
        key = (src, fn, str(opts))
        taken = next((k for k in unique if k[:2] == (src, fn)), None)
        if taken is not None and taken != key:  # the same output name for other options: no sharing
            src, key = col, (col, fn, str(opts))
        unique.setdefault(key, (src, fn, opts) if opts is not None else (src, fn))
        if src != col:
            copies.append((f"{col}_{fn}", f"{src}_{fn}"))
    return list(unique.values()), copies


def _first_of_each_value(work: pa.Table, ks: list[str], cols: list[str], types: list[Any] = ()) -> pa.Table:
    """The rows of ``work`` that are the first of their (group, values) combination, in input
    order: what a DISTINCT aggregate needs of its input, and a group's first row always stays
    (so its ``__row`` minimum, which lines groups up, is unchanged). Values compare as the list
    path's de-duplication compares them (``sortable``)."""
    ks = [k for k in ks if k != "__one"]  # the grand aggregate's constant key tells nothing apart
    data = {f"k{i}": work.column(k) for i, k in enumerate(ks)}
    data.update({f"v{i}": sortable(equality_key(work.column(c), types[i]) if i < len(types) else work.column(c))
                 for i, c in enumerate(cols)})  # (``types``: the arguments' SQL types, whose = decides)
    data["__row"] = work.column("__row")
    firsts = pa.table(data).group_by([*(f"k{i}" for i in range(len(ks))), *(f"v{i}" for i in range(len(cols)))],
                                     use_threads=True).aggregate([("__row", "min")]).column("__row_min")
    return work.take(firsts.sort())


# Input rows per slice when the work table is built by slices (int64 arrays of 4 MB). The two
# threads building slices let the GIL go at every numpy call; at 131,072 rows a call was short
# enough that the hand-offs (each a context switch) cost more than the smaller arrays saved:
# TPC-H Q1 136 -> 112 ms in process, 310 -> 115 switches a query.
WORK_SLICE_ROWS = 1 << 19


_EXACT_KEY = (pa.types.is_integer, pa.types.is_timestamp, pa.types.is_date, pa.types.is_string,
              pa.types.is_large_string, pa.types.is_boolean, pa.types.is_decimal)


def _exact_keys(work: pa.Table, ks: list[str]) -> bool:
    """Every group key's equality is Arrow's value equality (``_EXACT_KEY``)."""
    return all(any(test(work.schema.field(k).type) for test in _EXACT_KEY) for k in ks)


def _percentile_shape(spec: AggSpec) -> bool:
    """percentile_cont/disc of one argument over one WITHIN GROUP key, not DISTINCT."""
    return spec.name in ("percentile_cont", "percentile_disc") and not spec.distinct and len(spec.order) == 1 \
        and len(spec.args) == 1


def _percentile_by_sorting(spec: AggSpec, j: int, work: pa.Table, ks: list[str], has_mask: bool,
                           first: pa.Array, ngroups: int, F: Any, memo: dict) -> pa.Array | None:
    """percentile_cont/disc per group from one sort by (group keys, the WITHIN GROUP key): each
    group is then a run of rows already in value order, so no per-group lists are gathered (the
    list pass sorts every row, reorders the whole work table and groups it again on one thread).
    None when the keys' equality is not plain value equality (floats' NaN, nested values)."""
    if not _percentile_shape(spec) or "__one" in ks or not len(first) or not _exact_keys(work, ks):
        return None
    desc, nulls_first = spec.order[0][1], spec.order[0][2]
    runs = _percentile_by_runs(spec, j, work, ks, has_mask, first, ngroups, F, desc, memo)
    if runs is not None:
        return runs
    order = pc.sort_indices(work, sort_keys=[*((k, "ascending", "at_end") for k in ks), (
        f"o{j}_0", "descending" if desc else "ascending", "at_start" if (desc if nulls_first is None else nulls_first)
        else "at_end")])
    n = len(order)
    changed = np.zeros(n, bool)
    changed[0] = True
    for k in ks:
        key = work.column(k).take(order).combine_chunks()
        same = pc.equal(key.slice(1), key.slice(0, n - 1))
        both_null = pc.and_(key.slice(1).is_null(), key.slice(0, n - 1).is_null())
        same = pc.fill_null(pc.or_kleene(same, both_null), False).to_numpy(zero_copy_only=False)
        changed[1:] |= ~same
    starts = np.flatnonzero(changed)
    if len(starts) != ngroups:
        return None
    segment = np.cumsum(changed) - 1
    rows = work.column("__row").take(order).to_numpy()
    # the group (first-appearance order, as ``first`` lists them) of each run: its smallest input row
    group_of_run = np.searchsorted(first.to_numpy(zero_copy_only=False), np.minimum.reduceat(rows, starts))
    values = work.column(f"a{j}_0").take(order).combine_chunks()
    keep = values.is_valid()
    if has_mask:
        keep = pc.and_(keep, pc.fill_null(work.column(f"m{j}").take(order).combine_chunks(), False))
    keep_np = keep.to_numpy(zero_copy_only=False)
    per_run = percentile_from_sorted(spec, segment[keep_np], values.filter(keep), ngroups, F)
    run_of_group = np.empty(ngroups, np.int64)
    run_of_group[group_of_run] = np.arange(ngroups)
    return per_run.take(pa.array(run_of_group))


def _runs_apply(spec: AggSpec, j: int, work: pa.Table) -> bool:
    """Whether ``_percentile_by_runs`` can take this percentile: a WITHIN GROUP key of plain
    numbers (floats, integers, timestamps, dates) that is the aggregate's value."""
    arg, key = work.column(f"a{j}_0"), work.column(f"o{j}_0")
    return arg.type == key.type and arg.type.id in _RUN_SORTABLE


def _sorted_runs(j: int, work: pa.Table, ks: list[str], has_mask: bool, desc: bool, memo: dict) -> tuple:
    """The percentile's values put into one run per group, each run sorted: (each value's group,
    the values, the runs' starts). The expensive part, which needs nothing of the other
    aggregates (``HashAggregate._one_set`` begins it on a worker thread beside them)."""
    arg = work.column(f"a{j}_0").combine_chunks()
    raw = _RUN_SORTABLE[arg.type.id]
    gid, _count, _ = aggregate_by_ids.group_ids(work, ks, memo)
    raw_values = arg.view(raw).to_numpy(zero_copy_only=False)
    if arg.null_count or has_mask:
        keep = arg.is_valid()
        if has_mask:
            keep = pc.and_(keep, pc.fill_null(work.column(f"m{j}").combine_chunks(), False))
        kept = np.flatnonzero(keep.to_numpy(zero_copy_only=False))
        by_group = kept[np.argsort(gid[kept], kind="stable")]
        groups, values = gid[by_group], raw_values[by_group]
        starts = np.flatnonzero(np.diff(groups, prepend=-1)) if len(groups) else np.zeros(0, np.int64)
    else:
        runs = aggregate_by_ids.run_starts(work, ks, memo)
        if runs is not None:  # each group one run (a chunk stored by its keys): already in order
            groups, values = gid, pooled_arrays.converted(raw_values, raw_values.dtype, copy=True)
            starts = runs
        else:
            by_group = np.argsort(gid, kind="stable")
            groups, values = gid[by_group], raw_values[by_group]
            starts = np.flatnonzero(np.diff(groups, prepend=-1))
    group_runs.sort_runs(values, starts, desc)
    return groups, values, starts


PARALLEL_MIN_ROWS = 1 << 16  # inputs below this are aggregated on one thread (no hand-off to pay for)


def _percentile_by_runs(spec: AggSpec, j: int, work: pa.Table, ks: list[str], has_mask: bool,
                        first: pa.Array, ngroups: int, F: Any, desc: bool, memo: dict) -> pa.Array | None:
    """The same answer as the sort below, for a percentile ``_runs_apply`` takes: the rows are put
    into one run per group and each run's values are sorted on their own (operators.group_runs),
    instead of one sort of every row by all the keys. None for any other kind of key."""
    if not _runs_apply(spec, j, work):
        return None
    gid, count, firsts = aggregate_by_ids.group_ids(work, ks, memo)
    if count != ngroups:
        return None
    started = memo.pop(("sorted runs", j), None)
    groups, values, starts = started.result() if started is not None else _sorted_runs(j, work, ks, has_mask, desc,
                                                                                        memo)
    arg = work.column(f"a{j}_0")
    # group ids follow first appearance in the work table's row order; ``first`` lists groups by
    # their smallest input row: the two are lined up through each group's smallest row
    rows = work.column("__row")
    if firsts is not None and aggregate_by_ids.rows_increasing(work, memo):  # a group's first position: its smallest row
        first_row = rows.take(pa.array(firsts)).to_numpy()
    else:
        first_row = np.full(count, np.iinfo(np.int64).max, np.int64)
        np.minimum.at(first_row, gid, rows.combine_chunks().to_numpy())
    id_of_group = np.empty(ngroups, np.int64)
    id_of_group[np.searchsorted(first.to_numpy(zero_copy_only=False), first_row)] = np.arange(ngroups)
    counts = np.zeros(ngroups, np.int64)
    counts[groups[starts]] = np.diff(np.append(starts, len(groups)))
    raw = _RUN_SORTABLE[arg.type.id]
    per_id = percentile_from_sorted(spec, groups, pa.array(values, raw).view(arg.type), ngroups, F, counts)
    return per_id.take(pa.array(id_of_group))


def _begin_sorted_runs(aggs: list[AggSpec], work: pa.Table, ks: list[str], memo: dict) -> None:
    """For a large grouped input, begin each percentile's run sorting (``_sorted_runs``) on a
    worker thread while this thread does the direct aggregates: numpy's sorts and gathers release
    the GIL (a 10M-row rollup's p95 beside its count, avg and FILTER count: 238 -> 165 ms on two
    cores). The group ids both sides read are computed first, here."""
    if work.num_rows < PARALLEL_MIN_ROWS or "__one" in ks:
        return
    for j, spec in enumerate(aggs):
        if not spec.uses_lists or not _percentile_shape(spec) or not _runs_apply(spec, j, work) \
                or not _exact_keys(work, ks):
            continue
        aggregate_by_ids.group_ids(work, ks, memo)
        aggregate_by_ids.run_starts(work, ks, memo)
        aggregate_by_ids.rows_increasing(work, memo)
        memo[("sorted runs", j)] = parallel.start(_sorted_runs, j, work, ks, f"m{j}" in work.column_names,
                                                  spec.order[0][1], memo)


# value types whose order is their raw numbers' order (as numpy sorts them)
_RUN_SORTABLE = {**{t.id: t for t in (pa.float64(), pa.float32(), pa.int64(), pa.int32(), pa.int16(), pa.int8())},
                 pa.date32().id: pa.int32(), pa.timestamp("us").id: pa.int64()}  # any unit and zone: one id


# SQL types whose equality is Arrow's value equality (no padding, case folding, -0.0 or NaN)
PLAIN_EQUALITY = {"int2", "int4", "int8", "date", "timestamp", "timestamptz", "bool", "text", "varchar", "numeric"}


def _grand_count_distinct(spec: AggSpec, values: pa.Array | pa.ChunkedArray) -> pa.Array | None:
    """count(DISTINCT x) over the whole input as the number of Arrow's unique values (one hash
    pass; NULL is not counted), when x's equality is plain value equality; None otherwise."""
    if spec.name != "count" or not spec.distinct or spec.order or len(spec.args) != 1 \
            or spec.args[0].type.name not in PLAIN_EQUALITY or spec.args[0].type.labels is not None:
        return None
    if not any(test(values.type) for test in (pa.types.is_integer, pa.types.is_date, pa.types.is_timestamp,
                                               pa.types.is_boolean, pa.types.is_string, pa.types.is_large_string,
                                               pa.types.is_decimal128)):
        return None
    distinct = pc.unique(values)
    return pa.array([len(distinct) - distinct.null_count], pa.int64())


class _Batched:
    """A table whose batches are materialized once, so per-batch expression caches hit."""

    def __init__(self, t: pa.Table) -> None:
        self._t = t
        self._batches = t.to_batches()
        self.num_rows = t.num_rows

    def to_batches(self) -> list[pa.RecordBatch]:
        return self._batches

    def column(self, i: int) -> pa.ChunkedArray:
        return self._t.column(i)

    def filter(self, mask: pa.Array) -> pa.Table:
        return self._t.filter(mask)


class HashAggregate(Operator):
    def __init__(self, fields: list[Field], child: Operator, keys: list[Compiled], aggs: list[AggSpec],
                 grouping_sets: list[list[int]] | None, grouping_calls: list[list[int]]) -> None:
        super().__init__(fields, [child])
        self.keys = keys
        self.aggs = aggs
        self.grouping_sets = grouping_sets
        self.grouping_calls = grouping_calls
        self.order_free = False  # set when a sort above orders every group (lowering.free_group_order)
        if type(child) is TableScan and kept_rows_column.applies(keys, aggs, grouping_sets, child):
            # its WHERE comes as a column of flags (operators.kept_rows_column); a copy of the scan, as a
            # plan may share one scan among several readers
            scan = copy.copy(child)
            scan.keep_flags = True
            scan.flag_read_columns = kept_rows_column.read_columns(keys, aggs)
            self.children[0] = scan

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        F = ctx.fn
        t = self._rows_counted(ctx)
        if t is None:
            t = collect(self.children[0], ctx)
        ctx.check_cancel()
        n = t.num_rows
        flags_at = t.num_columns - 1 if t.num_columns and t.column_names[-1] == kept_rows_column.KEEP_COLUMN \
            else None  # the scan's WHERE as a column: grouped by, its 0 groups dropped (kept_rows_column)
        built = self._work_by_slices(t, ctx, flags_at) if n > WORK_SLICE_ROWS and self._computes_inputs() else None
        if built is None:
            cols, key_arrays, int_scales, special_aggs = self._work_columns(_Batched(t), n, 0, n, ctx, flags_at)
            ctx.check_cancel()
            work = pa.table(cols) if cols else pa.table({"__one": pa.array(np.zeros(n, np.int8))})
        else:
            work, key_arrays, int_scales, special_aggs = built
        for s in self._sets():
            ctx.check_cancel()
            yield self._one_set(work, s, key_arrays, F, n, int_scales, special_aggs, ctx)

    def _rows_counted(self, ctx: Any) -> pa.Table | None:
        """count(*) alone over a whole table, without grouping: the input as its number of rows
        (a table of no columns), counted by the scan without reading them (TableScan.count_rows).
        None for any other aggregate or input."""
        child = self.children[0]
        if self.keys or self.grouping_sets is not None or type(child) is not TableScan or not self.aggs or any(
                spec.name != "count_star" or spec.args or spec.distinct or spec.filter is not None or spec.order
                or spec.user is not None for spec in self.aggs):
            return None
        n = child.count_rows(ctx)
        return None if n is None else pa.table([pa.nulls(n)], names=["_"]).select([])

    def _groups_unordered(self, cols: dict[str, Any], key_arrays: list) -> bool:
        """Whether the groups may come out in any order: a sort above orders every group
        (``order_free``), there is one grouping set, and every key is grouped in its own form
        (the output keys are then the hash aggregation's, not taken from each group's first row)."""
        return self.order_free and self.grouping_sets is None and \
            all(cols[f"g{i}"] is arr for i, arr in enumerate(key_arrays))

    def _sets(self) -> list[list[int]]:
        return self.grouping_sets if self.grouping_sets is not None else [list(range(len(self.keys)))]

    def _plain_arguments(self) -> bool:
        """Every group key and aggregate argument is a column, a constant or arithmetic on them,
        with no FILTER or ordering: building them has no side effect and reads no session state,
        so slices may be built on two threads at once."""
        plain = kept_rows_column.computable_on_any_row
        return all(plain(k) for k in self.keys) and all(
            spec.filter is None and not spec.order and not spec.uses_lists and all(plain(a) for a in spec.args)
            for spec in self.aggs)

    def _computes_inputs(self) -> bool:
        """Whether some aggregate's argument is computed (not a column read as it is): only then
        does building the work table by slices save anything."""
        return any(spec.args and spec.args[0].column is None for spec in self.aggs)

    def _work_by_slices(self, t: pa.Table, ctx: Any, flags_at: int | None = None
                        ) -> tuple[pa.Table, list, dict, set] | None:
        """The work table built ``WORK_SLICE_ROWS`` input rows at a time, as one table of their
        chunks: the computed arguments' intermediate arrays are then about a megabyte, reused
        from the allocator and still in cache, instead of whole-input arrays. None when the
        slices did not come out alike (numeric NaN/Infinity in some, another type or fast
        path): the caller builds it over the whole input. When every argument is a column, a
        constant or arithmetic on them, the two halves of the slices are built on two threads at
        once (numpy's copies and arithmetic release the GIL; Q1's work table was half its time)."""
        n = t.num_rows
        works: list[pa.Table] = []
        keys: list[list] = [[] for _ in self.keys]
        first: tuple = ()
        offsets = list(range(0, n, WORK_SLICE_ROWS))

        def build(span: list[int]) -> list[tuple[dict, list, dict, set]]:
            out = []
            for offset in span:
                ctx.check_cancel()
                piece = t.slice(offset, WORK_SLICE_ROWS)
                out.append(self._work_columns(_Batched(piece), piece.num_rows, offset, n, ctx, flags_at))
            return out

        if len(offsets) >= 4 and self._plain_arguments():
            half = len(offsets) // 2
            built = [b for part in parallel.map_in_parallel(build, [offsets[:half], offsets[half:]]) for b in part]
        else:
            built = build(offsets)
        for work, (_cols, key_arrays, int_scales, special_aggs) in zip(
                _widest_integers([pa.table(cols) for cols, *_ in built]), built, strict=True):
            if not first:
                first = (work.schema, int_scales, special_aggs)
            elif (work.schema, int_scales, special_aggs) != first:
                return None
            works.append(work)
            for i, arr in enumerate(key_arrays):
                keys[i].extend(arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr])
        if any(len({c.type for c in chunks}) != 1 for chunks in keys):
            return None
        return pa.concat_tables(works), [pa.chunked_array(chunks) for chunks in keys], first[1], first[2]

    def _work_columns(self, t: Any, n: int, offset: int, total: int, ctx: Any, flags_at: int | None = None
                      ) -> tuple[dict, list, dict, set]:
        """The work table's columns over the rows of ``t`` (input rows ``offset``..): group keys
        ``g<i>``, each aggregate's argument ``a<j>`` (list aggregates: ``a<j>_<i>``, FILTER masks
        ``m<j>``, ORDER BY keys ``o<j>_<i>``), the input row number ``__row``; with the
        aggregates whose sums are unscaled int64 (their scales) and those over numeric
        NaN/Infinity. ``total`` is the whole input's row count: an unscaled int64 sum is taken only
        when that many of these values cannot overflow it."""
        cols: dict[str, Any] = {}
        key_arrays = []
        for i, k in enumerate(self.keys):
            arr = _input(k, t, ctx)
            key_arrays.append(arr)
            cols[f"g{i}"] = _groupable(equality_key(arr, k.type))
        if flags_at is not None:
            cols[kept_rows_column.KEEP_COLUMN] = t.column(flags_at)
        sets = self._sets()
        if any(spec.uses_lists for spec in self.aggs) or (any(sets) and not self._groups_unordered(cols, key_arrays)):
            # input row numbers line groups up (and order them); a grand aggregate of direct
            # aggregates alone needs neither them nor a constant key, nor do groups a sort reorders
            cols["__row"] = pa.array(pooled_arrays.arange(offset, n))
            cols["__one"] = pa.array(np.zeros(n, np.int8))
        int_scales: dict[int, int] = {}
        unscaled_memo: dict = {}
        special_aggs: set[int] = set()
        for j, spec in enumerate(self.aggs):
            ctx.check_cancel()  # each argument is a pass over the whole input: timeouts act in between
            mask = None
            if spec.filter is not None:
                mask = pc.fill_null(eval_on_table(spec.filter, t, ctx), False)
            if spec.uses_lists:
                for i, a in enumerate(spec.args):
                    cols[f"a{j}_{i}"] = _filtered_input(a, t, ctx, mask)
                    if NW.is_wide(cols[f"a{j}_{i}"]):  # as decimals where they fit (count: equal values)
                        cols[f"a{j}_{i}"] = NW.order_key(cols[f"a{j}_{i}"]) if spec.name == "count" else \
                            NS.from_python(NW.to_decimals(cols[f"a{j}_{i}"]))
                        if NW.is_wide(cols[f"a{j}_{i}"]):
                            raise FeatureNotSupported(f"{spec.name}() over numeric values of more than 76 digits "
                                                      "is not supported by HeliosDB")
                    if NS.is_special(cols[f"a{j}_{i}"]) and spec.name != "array_agg":
                        raise FeatureNotSupported(f"{spec.name}() over numeric NaN/Infinity is not supported")
                if not spec.args:
                    cols[f"a{j}_0"] = pa.array(np.ones(n, np.int8))
                if mask is not None:
                    cols[f"m{j}"] = mask
                for i, (o, _, _) in enumerate(spec.order):
                    cols[f"o{j}_{i}"] = typed_sortable(eval_on_table(o, t, ctx), o.type)
            else:
                if mask is None and spec.name in ("sum", "avg") and spec.result_type.name == "numeric" \
                        and (spec.args[0].arith is not None or spec.args[0].column is not None):
                    # sum(a) and sum(a * (1 - b)) over small decimals: the int64 unscaled values directly
                    u = unscaled_of(spec.args[0], t, unscaled_memo)
                    if u is not None and not isinstance(u[0], int) and sum_fits_int64(u[0], total, unscaled_memo):
                        cols[f"a{j}"] = pa.array(u[0])
                        int_scales[j] = u[1]
                        continue
                if spec.name == "count_star":
                    arr = pooled_arrays.int8_ones(n)  # count(*): only its length is read
                else:
                    arr = _filtered_input(spec.args[0], t, ctx, mask)
                if NW.is_wide(arr):  # wide numerics: as decimals where they fit (NaN/Infinity as below)
                    arr = NS.from_python(NW.to_decimals(arr))
                    if NW.is_wide(arr) and spec.name not in ("count", "count_star"):
                        raise FeatureNotSupported(f"{spec.name}() over numeric values of more than 76 digits is "
                                                  "not supported by HeliosDB")
                if NS.is_special(arr):  # numeric NaN/Infinity: finite part here, specials counted aside
                    if isinstance(arr, pa.ChunkedArray):
                        arr = arr.combine_chunks()
                    if spec.name not in ("sum", "avg", "min", "max", "count", *NS.MOMENTS):
                        raise FeatureNotSupported(f"{spec.name}() over numeric NaN/Infinity is not supported")
                    kinds = arr.field(1)
                    for kind, tag in ((NS.NAN, "nan"), (NS.POS_INF, "pinf"), (NS.NEG_INF, "ninf")):
                        hit = pc.fill_null(pc.and_(arr.is_valid(), pc.equal(kinds, kind)), False)
                        if mask is not None:
                            hit = pc.and_(hit, mask)
                        cols[f"{tag}{j}"] = pc.cast(hit, pa.int64())
                    special_aggs.add(j)
                    arr = pc.if_else(arr.is_valid(), pa.scalar(1, pa.int8()), pa.scalar(None, pa.int8())) \
                        if spec.name == "count" else NS.finite_only(arr)
                arr = prepare_direct_arg(spec, arr)
                if mask is not None:
                    arr = pc.if_else(mask, arr, pa.nulls(n, arr.type))
                if spec.name in ("sum", "avg") and spec.result_type.name == "numeric":
                    memo_key = ("int64 input", spec.args[0].column) if mask is None and spec.args[0].column is not None \
                        else None
                    fast = unscaled_memo[memo_key] if memo_key in unscaled_memo else unscaled_int64(arr, total)
                    if memo_key is not None:
                        unscaled_memo[memo_key] = fast
                    if fast is not None:
                        int_scales[j] = arr.type.scale
                        arr = fast
                cols[f"a{j}"] = arr
                cols.update(extra_columns(spec, f"a{j}", arr))
        return cols, key_arrays, int_scales, special_aggs

    def _one_set(self, work: pa.Table, s: list[int], key_arrays: list[pa.Array], F: Any, n: int,
                 int_scales: dict[int, int], special_aggs: set[int] = frozenset(), ctx: Any = None
                 ) -> pa.RecordBatch:
        ks = [f"g{i}" for i in s] or ["__one"]
        memo: dict = {}  # the group ids of ks, computed once for the direct and the ordered aggregates
        direct = [(j, spec) for j, spec in enumerate(self.aggs) if not spec.uses_lists]
        numbered = "__row" in work.column_names or not s  # groups lined up by their first row
        aggs: list[tuple] = [("__row", "min")] if numbered else []
        for j, spec in direct:
            aggs.extend(direct_aggregations(spec, f"a{j}", ""))
            if j in special_aggs:
                aggs.extend((f"{tag}{j}", "sum") for tag in ("nan", "pinf", "ninf"))
        if n == 0:
            if s:
                return pa.RecordBatch.from_arrays(
                    [pa.array([], type=f.type.arrow_type) for f in self.fields], names=names(len(self.fields)))
            main = None
            ngroups = 1
            first = pa.array([], pa.int64())
        elif not s:
            main = _scalar_aggregate(work, aggs)  # one group: Arrow's scalar kernels, no hashing
            ngroups = 1
            first = main.column("__row_min").combine_chunks()
        else:
            _begin_sorted_runs(self.aggs, work, ks, memo)
            flagged = kept_rows_column.KEEP_COLUMN in work.column_names and not kept_rows_column.all_kept(
                work.column(kept_rows_column.KEEP_COLUMN))
            if flagged:
                ks = [*ks, kept_rows_column.KEEP_COLUMN]
            main = aggregate_by_ids.aggregate(work, ks, aggs, memo)
            if main is None:
                main = _hash_aggregate(work, ks, aggs)
            if flagged:  # the groups of rows the scan's WHERE does not keep
                main = main.filter(pc.equal(main.column(kept_rows_column.KEEP_COLUMN), 1))
            ngroups = main.num_rows
            first = None  # groups in the hash aggregation's order: a sort above orders them
            if numbered:
                main = main.take(pc.sort_indices(main.column("__row_min")))
                first = main.column("__row_min").combine_chunks()
        for j, spec in direct:
            if n and is_float_accum(spec) and float_accum_may_overflow(work.column(f"a{j}")):
                _check_float_accum_by_group(work, ks if s else [], f"a{j}")
        results: dict[int, pa.Array] = {}
        for j, spec in direct:
            if main is None:
                fns = direct_aggregations(spec, f"a{j}", "")
                empty_cols = []
                for col, fn, _ in fns:
                    empty_cols.append(pa.array([0], pa.int64()) if fn == "count" else pa.nulls(1, work.column(col).type))
                results[j] = finish_direct(spec, empty_cols, F)
                continue
            fns = direct_aggregations(spec, f"a{j}", "")
            out_cols = [main.column(f"{col}_{fn}").combine_chunks() for col, fn, _ in fns]
            results[j] = finish_direct(spec, out_cols, F, int_scales.get(j))
            if j in special_aggs and spec.name != "count":
                counts = [main.column(f"{tag}{j}_sum").combine_chunks() for tag in ("nan", "pinf", "ninf")]
                results[j] = NS.moment_result(spec.name, results[j], out_cols[2], *counts) \
                    if spec.name in NS.MOMENTS else NS.aggregate_result(spec.name, results[j], *counts)
        for j, spec in enumerate(self.aggs):
            if not spec.uses_lists:
                continue
            nargs = max(1, len(spec.args))
            arg_cols = [f"a{j}_{i}" for i in range(nargs)]
            has_mask = f"m{j}" in work.column_names
            if main is None:
                lists = [pa.ListArray.from_arrays(pa.array([0, 0], pa.int32()), pa.array([], work.column(c).type))
                         for c in arg_cols]
                mask_list = None
            elif (fast := _percentile_by_sorting(spec, j, work, ks, has_mask, first, ngroups, F, memo)
                  if s else None if has_mask else _grand_count_distinct(spec, work.column(arg_cols[0]))) is not None:
                results[j] = fast
                continue
            else:
                w = work
                if spec.distinct and not spec.order:
                    w = _first_of_each_value(w, ks, arg_cols + ([f"m{j}"] if has_mask else []),
                                             [a.type for a in spec.args])
                if spec.order:
                    spec_keys = [(f"o{j}_{i}", "descending" if desc else "ascending",
                                  "at_start" if (desc if nf is None else nf) else "at_end")
                                 for i, (_, desc, nf) in enumerate(spec.order)]
                    # only the columns the list pass reads are reordered (not every aggregate's input)
                    needed = [*ks, *arg_cols, *([f"m{j}"] if has_mask else []), "__row"]
                    w = work.select(needed).take(pc.sort_indices(work, sort_keys=spec_keys))
                # Acero cannot collect list, struct or interval values: collect their positions
                nested = {c: w.column(c).combine_chunks() for c in arg_cols
                          if pa.types.is_list(w.column(c).type) or pa.types.is_struct(w.column(c).type)
                          or pa.types.is_interval(w.column(c).type)}
                for c in nested:
                    w = w.set_column(w.column_names.index(c), c, pa.array(np.arange(w.num_rows), pa.int64()))
                lst_aggs = [(c, "list") for c in arg_cols] + ([(f"m{j}", "list")] if has_mask else []) + [
                    ("__row", "min")]
                g = w.group_by(ks, use_threads=False).aggregate(lst_aggs)
                g = g.take(pc.sort_indices(g.column("__row_min")))
                lists = [g.column(f"{c}_list").combine_chunks() for c in arg_cols]
                for i, c in enumerate(arg_cols):
                    if c in nested:
                        pos = lists[i]
                        lists[i] = pa.ListArray.from_arrays(pos.offsets, nested[c].take(pos.values),
                                                            mask=pos.is_null())
                mask_list = g.column(f"m{j}_list").combine_chunks() if has_mask else None
            results[j] = finish_from_lists(spec, lists, mask_list, ngroups, F, ctx)
        out = []
        for i, arr in enumerate(key_arrays):
            if i in s and main is not None:
                grouped = work.column(f"g{i}")
                # the group keys as the hash aggregation returned them, unless grouping changed their
                # form (another type, or values made equal: citext's case, unbounded bpchar's blanks)
                same = grouped.type == arr.type and f"g{i}" in main.column_names and \
                    equality_key(arr, self.keys[i].type) is arr
                out.append(main.column(f"g{i}") if same else arr.take(first))
            else:
                out.append(pa.nulls(ngroups, arr.type))
        for j in range(len(self.aggs)):
            out.append(results[j])
        for call in self.grouping_calls:
            v = 0
            for i in call:
                v = (v << 1) | (0 if i in s else 1)
            out.append(pa.array(np.full(ngroups, v, np.int32)))
        out = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in out]
        if not out:
            return pa.RecordBatch.from_arrays([pa.nulls(ngroups)], names=["_"]).select([])
        return pa.RecordBatch.from_arrays(out, names=names(len(out)))

    def label(self) -> str:
        if self.grouping_sets is not None:
            return "MixedAggregate"
        return "HashAggregate" if self.keys else "Aggregate"

    def details(self) -> list[str]:
        out = []
        if self.keys:
            out.append("Group Key: " + ", ".join(k.label for k in self.keys))
        return out
