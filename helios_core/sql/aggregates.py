"""Aggregate functions: PostgreSQL result types and their vectorized implementations.

Two ways to compute an aggregate, chosen per call:

* direct: one of Arrow's hash aggregates on the argument column (count, sum, avg, min, max,
  bool_and/or, stddev/variance) — the fast path of analytic queries;
* list: Arrow's ``list`` hash aggregate gathers each group's values (in ORDER BY order when
  the call has one); ``finish_from_lists`` then drops filtered rows / NULLs, de-duplicates for
  DISTINCT and reduces (parent group, value) pairs to one value per group. Used for DISTINCT,
  ORDER BY inside the call, string_agg, array_agg, json[b]_agg, percentiles, mode.

PostgreSQL result types: count -> bigint; sum(smallint|integer) -> bigint, sum(bigint|numeric)
-> numeric, sum(real) -> real, sum(double) -> double; avg(integer types|numeric) -> numeric,
avg(float) -> double; stddev/variance(integer types|numeric) -> numeric, (float) -> double.
"""

from __future__ import annotations

import decimal
import json
import math
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core import plugin_extensions
from helios_core.errors import FeatureNotSupported, HeliosError, UndefinedFunction
from helios_core.sql import types as T
from helios_core.sql.expr import Compiled
from helios_core.sql.functions import decimals as D
from helios_core.sql.functions import network, range_aggregates
from helios_core.sql.functions import numeric_special as NS
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.functions.compare import interval_key
from helios_core.sql.functions.vec import Vec
from helios_core.sql.operators.sort import sortable

INTS = ("int2", "int4", "int8")
# types PostgreSQL 15 orders but gives no min/max aggregate
_NO_MIN_MAX = ("json", "xml", "macaddr", "macaddr8", "bit", "varbit")
FLOATS = ("float4", "float8")

# aliases -> canonical
CANONICAL = {
    "every": "bool_and",
    "stddev": "stddev_samp",
    "variance": "var_samp",
    "json_agg": "json_agg",
    "group_concat": "string_agg",
    "logicaland": "bool_and",
    "logicalor": "bool_or",
    "arrayagg": "array_agg",
}

DIRECT = {"count", "count_star", "sum", "avg", "min", "max", "bool_and", "bool_or", "stddev_samp",
          "stddev_pop", "var_samp", "var_pop"}

# hypothetical-set aggregates: name(values) WITHIN GROUP (ORDER BY columns), where the values would fall
HYPOTHETICAL = ("rank", "dense_rank", "percent_rank", "cume_dist")

# the statistics aggregates of two double precision arguments (Y, X)
TWO_FLOAT_ARGS = ("corr", "covar_pop", "covar_samp", "regr_count", "regr_sxx", "regr_syy", "regr_sxy",
                  "regr_avgx", "regr_avgy", "regr_r2", "regr_slope", "regr_intercept")

# aggregates over lists that keep NULL inputs
KEEPS_NULLS = {"array_agg", "json_agg", "jsonb_agg", "rank", "dense_rank", "percent_rank", "cume_dist"}


@attrs.define(eq=False)
class AggSpec:
    """One aggregate call of a query."""

    name: str
    args: list[Compiled]
    result_type: T.SqlType
    distinct: bool = False
    filter: Compiled | None = None
    order: list[tuple[Compiled, bool, bool | None]] = attrs.Factory(list)  # (expr, desc, nulls_first)
    direct_args: list[Any] = attrs.Factory(list)  # constant extra args (separator, fraction)
    label: str = ""
    user: Any = None  # a CREATE AGGREGATE's call (helios_core.sql.user_aggregates.calls.AggregateCall)

    @property
    def uses_lists(self) -> bool:
        if self.user is not None or self.name not in DIRECT or self.distinct or self.order:
            return True
        if self.name in ("min", "max") and self.args and _ordered_by_key(self.args[0].type):
            return True
        return self.name in ("sum", "avg") and bool(self.args) and self.args[0].type.name == "interval"


def _ordered_by_key(t: T.SqlType) -> bool:
    """Types whose Arrow values do not order as PostgreSQL orders them (enums by declaration,
    intervals by their span, citext without regard to case, inet/cidr by family and network):
    min/max compare their sort keys."""
    return t.labels is not None or t.name in ("interval", "citext", *network.NETWORK_TYPES) or t.is_array


def result_type(name: str, arg_types: list[T.SqlType]) -> T.SqlType:
    """PostgreSQL's result type of aggregate ``name`` over arguments of these types."""
    a = arg_types[0] if arg_types else None
    if name in ("count", "count_star"):
        return T.INT8
    if a is not None and a.name == "unknown" and name not in ("count",):
        a = T.TEXT
    if name == "sum":
        _need_numeric(name, a)
        if a.name in ("int2", "int4"):
            return T.INT8
        if a.name in ("int8", "numeric"):
            return T.NUMERIC
        return a
    if name == "avg":
        _need_numeric(name, a)
        if a.name in INTS or a.name == "numeric":
            return T.NUMERIC
        if a.name == "interval":
            return T.INTERVAL
        return T.FLOAT8
    if name in ("stddev_samp", "stddev_pop", "var_samp", "var_pop"):
        _need_numeric(name, a)
        return T.FLOAT8 if a.name in FLOATS else T.NUMERIC
    if name in ("min", "max"):
        if a.is_rowtype or a.name in _NO_MIN_MAX or a.category == "G":  # arrays: in array order
            raise UndefinedFunction(f"function {name}({a.sql_name()}) does not exist",
                                    hint="No function matches the given name and argument types. "
                                         "You might need to add explicit type casts.")
        return a
    if name in ("bool_and", "bool_or"):
        if a.name != "bool":
            raise UndefinedFunction(f"function {name}({a.sql_name()}) does not exist")
        return T.BOOL
    if name == "string_agg":
        return T.BYTEA if a.name == "bytea" else T.TEXT
    if name == "array_agg":
        return a if a.is_array else T.array_of(a)
    if name in ("json_agg", "json_object_agg"):
        return T.JSON
    if name in ("jsonb_agg", "jsonb_object_agg"):
        return T.JSONB
    if name == "percentile_cont":
        return T.INTERVAL if a is not None and a.name == "interval" else T.FLOAT8
    if name in ("percentile_disc", "mode", "any_value"):
        return a
    if name in ("bit_and", "bit_or", "bit_xor"):
        if a is None or not (a.name in INTS or a.name in ("bit", "varbit")):
            shown = a.sql_name() if a is not None else ""
            raise UndefinedFunction(f"function {name}({shown}) does not exist",
                                    hint="No function matches the given name and argument types. "
                                         "You might need to add explicit type casts.")
        return a
    if name == "regr_count":
        return T.INT8
    if name in ("rank", "dense_rank"):
        return T.INT8
    if name in ("percent_rank", "cume_dist"):
        return T.FLOAT8
    if name in TWO_FLOAT_ARGS:
        return T.FLOAT8
    if name in ("range_agg", "range_intersect_agg"):
        return range_aggregates.result_type(name, a)
    plugin = plugin_extensions.aggregate(name)
    if plugin is not None:
        rt = plugin.return_type
        return T.type_from_name(rt([t.sql_name() for t in arg_types]) if callable(rt) else rt)
    raise UndefinedFunction(f"function {name} does not exist")


def _need_numeric(name: str, a: T.SqlType | None) -> None:
    if a is None or not (a.name in INTS or a.name in FLOATS or a.name in ("numeric", "interval", "money")):
        shown = a.sql_name() if a is not None else ""
        raise UndefinedFunction(f"function {name}({shown}) does not exist",
                                hint="No function matches the given name and argument types. "
                                     "You might need to add explicit type casts.")


# ------------------------------------------------------------------------------- direct path
def prepare_direct_arg(spec: AggSpec, arr: pa.Array) -> pa.Array:
    """Cast an argument column so Arrow's aggregate yields PostgreSQL's result type."""
    t = spec.args[0].type if spec.args else None
    if spec.name == "sum" and t is not None:
        if t.name in ("int2", "int4"):
            return arr.cast(pa.int64())
        if t.name == "int8":
            return arr.cast(pa.decimal128(38, 0))
    if spec.name in ("avg",) and t is not None and t.name in INTS:
        return arr.cast(pa.decimal128(38, 0))
    if spec.name in ("avg", "stddev_samp", "stddev_pop", "var_samp", "var_pop") and t is not None:
        if t.name in FLOATS:
            return arr.cast(pa.float64())
        if spec.name != "avg":
            # exact: sums of x and x*x in decimal256 (PostgreSQL computes these in numeric)
            if pa.types.is_decimal(arr.type):
                # x*x needs twice the digits: measure what the values use (an unconstrained
                # column's are stored at scale 16 in 76 digits)
                arr = D.as_values_scale(arr) if arr.type == T.NUMERIC_STORAGE_ARROW else D.narrow(arr)
                if 2 * arr.type.precision + 1 > D.MAX256:
                    raise FeatureNotSupported(f"{spec.name}() over numeric values of more than "
                                              f"{(D.MAX256 - 1) // 2} digits is not supported by HeliosDB")
                return arr.cast(pa.decimal256(arr.type.precision, arr.type.scale))
            return arr.cast(pa.decimal256(19, 0))
    return arr


def is_exact_moment(spec: AggSpec) -> bool:
    """stddev/variance over integers or numeric: computed exactly from sum(x), sum(x*x), count."""
    return spec.name in ("stddev_samp", "stddev_pop", "var_samp", "var_pop") and bool(spec.args) and \
        spec.args[0].type.name not in FLOATS


def is_float_extreme(spec: AggSpec) -> bool:
    """min/max over floats: PostgreSQL orders NaN above every number."""
    return spec.name in ("min", "max") and bool(spec.args) and spec.args[0].type.name in FLOATS


def is_float_sum(spec: AggSpec) -> bool:
    """sum/avg over floats: PostgreSQL raises 22003 when finite inputs overflow to infinity."""
    return spec.name in ("sum", "avg") and bool(spec.args) and spec.args[0].type.name in FLOATS


def _check_float_overflow(r: pa.Array, nonfinite_inputs: pa.Array) -> None:
    bad = pc.and_(pc.invert(pc.is_finite(r)), pc.equal(pc.fill_null(nonfinite_inputs, 0), 0))
    if pc.any(pc.fill_null(bad, False)).as_py():
        raise HeliosError("value out of range: overflow", sqlstate="22003")


def is_float_accum(spec: AggSpec) -> bool:
    """avg/variance/stddev over floats: PostgreSQL's float8_accum keeps a running count, sum and
    sum of squared deviations, and raises 22003 when finite inputs make either infinite."""
    return spec.name in ("avg", "stddev_samp", "stddev_pop", "var_samp", "var_pop") and bool(spec.args) and \
        spec.args[0].type.name in FLOATS


# below this bound on (2 * rows * largest magnitude) no square of float8_accum's can overflow
_ACCUM_SAFE = 1e154


def _float_bounds(arr: pa.Array | pa.ChunkedArray) -> tuple[float | None, float | None]:
    """Least and greatest of a float column (NaN when it holds one), by numpy where there are
    no NULLs: Arrow's min_max of doubles takes 5x numpy's time (65 against 13 ms for 10M)."""
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    if arr.null_count or not pa.types.is_floating(arr.type) or not any(len(c) for c in chunks):
        mm = pc.min_max(arr)
        return mm["min"].as_py(), mm["max"].as_py()
    values = [c.to_numpy(zero_copy_only=False) for c in chunks if len(c)]
    # numpy's min and max carry a NaN through (Python's min() of floats would not)
    return float(np.min([v.min() for v in values])), float(np.max([v.max() for v in values]))


def float_accum_may_overflow(arr: pa.Array | pa.ChunkedArray) -> bool:
    """A cheap bound first: only inputs this large can make float8_accum's terms infinite."""
    low, high = _float_bounds(arr)  # all values finite (the usual case): no filtered copy of the input
    if low is not None and math.isfinite(low) and math.isfinite(high) and \
            2.0 * len(arr) * max(abs(low), abs(high)) < _ACCUM_SAFE:
        return False
    finite = pc.filter(arr, pc.fill_null(pc.is_finite(arr), False))
    if len(finite) == 0:
        return False
    mm = pc.min_max(finite)
    peak = max(abs(mm["min"].as_py()), abs(mm["max"].as_py()))
    return 2.0 * len(finite) * peak >= _ACCUM_SAFE


def check_float_accum(values: list) -> None:
    """float8_accum over one group's inputs in input order (Youngs-Cramer, as PostgreSQL 15
    computes it): 22003 when the running sum or sum of squared deviations turns infinite while
    the sum so far and the input are finite. Per-row Python, run only for groups that
    ``float_accum_may_overflow`` flags."""
    n = sx = sxx = 0.0
    for x in values:
        if x is None:
            continue
        n1, sx1 = n + 1.0, sx + x
        if n > 0.0:
            tmp = x * n1 - sx1
            sxx1 = sxx + tmp * tmp / (n1 * n)
            if math.isinf(sx1) or math.isinf(sxx1):
                if not math.isinf(sx) and not math.isinf(x):
                    raise HeliosError("value out of range: overflow", sqlstate="22003")
                sxx1 = math.nan
        else:
            sxx1 = math.nan if (math.isnan(x) or math.isinf(x)) else sxx
        n, sx, sxx = n1, sx1, sxx1


def extra_columns(spec: AggSpec, col: str, arr: pa.Array) -> dict[str, pa.Array]:
    """Additional work-table columns a direct aggregate reads (x*x for exact variance)."""
    if is_float_sum(spec):  # one byte a row: summed per group, as int64
        return {col + "inf": pc.cast(pc.invert(pc.is_finite(arr)), pa.int8())}
    if is_exact_moment(spec):
        return {col + "sq": pc.multiply(arr, arr)}
    if is_float_extreme(spec):
        return {col + "nan": pc.cast(pc.is_nan(arr), pa.int8())}
    return {}


def direct_aggregations(spec: AggSpec, col: str, out: str) -> list[tuple]:
    """Arrow hash aggregations (column, function, options) implementing a direct aggregate."""
    n = spec.name
    if n in ("count", "count_star"):
        return [(col, "count", pc.CountOptions(mode="only_valid"))]
    extra = [(col + "inf", "sum", pc.ScalarAggregateOptions(min_count=1))] if is_float_sum(spec) else []
    if n == "sum":
        return [(col, "sum", pc.ScalarAggregateOptions(min_count=1))] + extra
    if n == "avg":
        return [(col, "sum", pc.ScalarAggregateOptions(min_count=1)),
                (col, "count", pc.CountOptions(mode="only_valid"))] + extra
    if is_float_extreme(spec):
        return [(col, n, pc.ScalarAggregateOptions(min_count=1)),
                (col + "nan", "sum", pc.ScalarAggregateOptions(min_count=1)),
                (col, "count", pc.CountOptions(mode="only_valid"))]
    if n in ("min", "max"):
        return [(col, n, pc.ScalarAggregateOptions(min_count=1))]
    if n == "bool_and":
        return [(col, "all", pc.ScalarAggregateOptions(min_count=1))]
    if n == "bool_or":
        return [(col, "any", pc.ScalarAggregateOptions(min_count=1))]
    if is_exact_moment(spec):
        return [(col, "sum", pc.ScalarAggregateOptions(min_count=1)),
                (col + "sq", "sum", pc.ScalarAggregateOptions(min_count=1)),
                (col, "count", pc.CountOptions(mode="only_valid"))]
    if n in ("stddev_samp", "var_samp"):
        return [(col, "stddev" if n.startswith("stddev") else "variance", pc.VarianceOptions(ddof=1, min_count=1))]
    if n in ("stddev_pop", "var_pop"):
        return [(col, "stddev" if n.startswith("stddev") else "variance", pc.VarianceOptions(ddof=0, min_count=1))]
    raise AssertionError(n)


def unscaled_int64(arr: pa.Array, rows: int) -> pa.Array | None:
    """decimal128(p<=18, s) values as their unscaled int64 (a strided view, no decimal math), when
    summing ``rows`` of them cannot overflow int64; None otherwise."""
    t = arr.type
    if not pa.types.is_decimal128(t) or t.precision > 18 or len(arr) == 0:
        return None
    if arr.null_count:
        return None
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    parts = []
    for c in chunks:
        if len(c):
            words = np.frombuffer(c.buffers()[1], dtype=np.int64)
            parts.append(words[2 * c.offset: 2 * (c.offset + len(c)): 2])
    out = pa.array(np.concatenate(parts) if len(parts) != 1 else np.ascontiguousarray(parts[0]))
    mm = pc.min_max(out)
    peak = max(abs(mm["min"].as_py() or 0), abs(mm["max"].as_py() or 0))
    if peak * max(rows, 1) >= 2**62:
        return None
    return out


def int64_to_decimal(sums: pa.Array, scale: int) -> pa.Array:
    """int64 unscaled sums -> decimal128(38, scale) (two's complement words, no per-value work)."""
    if isinstance(sums, pa.ChunkedArray):
        sums = sums.combine_chunks()
    valid = pc.is_valid(sums).to_numpy(zero_copy_only=False)
    lo = pc.fill_null(sums, 0).to_numpy(zero_copy_only=False).astype(np.int64)
    words = np.empty(2 * len(lo), np.int64)
    words[0::2] = lo
    words[1::2] = lo >> 63
    out = pa.Array.from_buffers(pa.decimal128(38, scale), len(lo), [None, pa.py_buffer(words.tobytes())])
    if not valid.all():
        out = pc.if_else(pa.array(valid), out, pa.nulls(len(lo), out.type))
    return out


def finish_direct(spec: AggSpec, cols: list[pa.Array], F: Any, int_scale: int | None = None) -> pa.Array:
    """Turn Arrow's aggregate output column(s) into the PostgreSQL-typed result (``int_scale``:
    the sums are unscaled int64 of decimals with that scale)."""
    n = spec.name
    if int_scale is not None and n in ("sum", "avg"):
        cols = [int64_to_decimal(cols[0], int_scale)] + list(cols[1:])
    if n in ("count", "count_star"):
        return cols[0].cast(pa.int64())
    if is_float_sum(spec) and len(cols) == (2 if n == "sum" else 3):
        _check_float_overflow(cols[0], cols[-1])
        cols = cols[:-1]
    if n == "sum":
        r = cols[0]
        if spec.result_type.name == "float4":
            r = r.cast(pa.float32())
        return r
    if n == "avg":
        s, c = cols
        if spec.result_type.name == "float8":
            return pc.divide(s.cast(pa.float64()), pc.if_else(pc.equal(c, 0), None, c).cast(pa.float64()))
        cnt = pc.if_else(pc.equal(c, 0), pa.scalar(None, pa.int64()), c)
        own = quotients_at_own_scale(s, cnt)
        if own is not None:
            return own
        s = _narrow_decimal(s)
        num = Vec(s, T.NUMERIC, False)
        den = Vec(_narrow_decimal(cnt.cast(pa.decimal128(38, 0))), T.NUMERIC, False)
        return F.binary_op("/", num, den).broadcast(len(s)).array
    if is_float_extreme(spec):
        r, nans, cnt = cols
        nans = pc.fill_null(nans, 0)
        has_nan = pc.greater(nans, 0) if n == "max" else pc.and_(pc.greater(nans, 0), pc.equal(nans, cnt))
        nan = pa.scalar(float("nan"), r.type if pa.types.is_floating(r.type) else pa.float64())
        return pc.if_else(has_nan, nan, r)
    if is_exact_moment(spec):
        sx, sxx, c = cols
        scale = sx.type.scale if pa.types.is_decimal(sx.type) else 0
        out = [NW.moment(n, int(k), x, xx, scale) if k else None
               for x, xx, k in zip(NW.to_decimals(sx), NW.to_decimals(sxx), c.to_pylist(), strict=True)]
        return NS.from_python(out)
    if n in ("stddev_samp", "stddev_pop", "var_samp", "var_pop"):
        return cols[0]
    return cols[0]


# up to this many results, avg(numeric) values of different display scales keep each its own
# (Python per value); past it they share the largest scale (Arrow, trailing zeros)
OWN_SCALE_LIMIT = 10_000


def quotients_at_own_scale(sums: pa.Array, counts: pa.Array) -> pa.Array | None:
    """sum / count per row at the display scale PostgreSQL gives each quotient (avg(x) of one group
    prints 1.5000000000000000, of another 0.00000000000000000000), as a numeric array of per-value
    scales; None when every quotient has the same scale (the caller's Arrow division is exact then)
    or there are more than OWN_SCALE_LIMIT rows."""
    n = len(sums)
    if n < 2 or n > OWN_SCALE_LIMIT:
        return None
    num = NW.to_decimals(sums)
    den = counts.to_pylist()
    pairs = [(a, decimal.Decimal(int(b))) if a is not None and b else None for a, b in zip(num, den, strict=True)]
    scales = {NW.div_scale(*p) for p in pairs if p is not None and p[0].is_finite()}
    if len(scales) < 2 or any(p is not None and not p[0].is_finite() for p in pairs):
        return None
    return NW.from_decimals([None if p is None else NW.divide(*p) for p in pairs])


def _narrow_decimal(a: pa.Array) -> pa.Array:
    """A decimal array cast to the smallest precision its values need (keeps later arithmetic
    inside decimal128)."""
    if not pa.types.is_decimal(a.type) or a.type.precision <= 20:
        return a
    mm = pc.min_max(a)
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    if lo is None:
        return a
    digits = max(len(str(abs(int(v)))) for v in (lo, hi)) + a.type.scale
    p = max(digits + 1, a.type.scale + 1, 1)
    if p >= a.type.precision:
        return a
    return a.cast(pa.decimal128(p, a.type.scale) if p <= 38 else pa.decimal256(p, a.type.scale))


def float_to_numeric(r: pa.Array) -> pa.Array:
    """float8 -> numeric with 16 decimals (PostgreSQL's scale for these results)."""
    vals = r.to_pylist()
    import decimal

    q = decimal.Decimal(1).scaleb(-16)
    out = []
    for v in vals:
        if v is None:
            out.append(None)
        else:
            d = decimal.Decimal(repr(v))
            out.append(d.quantize(q) if abs(d) < decimal.Decimal(10) ** 50 else d)
    return pa.array(out, pa.decimal256(76, 16))


# --------------------------------------------------------------------------------- list path
def _string_agg(spec: AggSpec, p_np: np.ndarray, flat: list[pa.Array], ngroups: int) -> pa.Array:
    """string_agg(value, delimiter) over text or bytea: each non-NULL value after a group's first is
    preceded by its row's delimiter (a NULL delimiter adds nothing), as PostgreSQL concatenates."""
    binary = spec.args[0].type.name == "bytea"
    kind = pa.binary() if binary else pa.string()
    vals = flat[0] if flat[0].type == kind else flat[0].cast(kind)
    if len(flat) > 1:  # a delimiter per row
        delims = pc.fill_null(flat[1] if flat[1].type == kind else flat[1].cast(kind), b"" if binary else "")
        first = np.ones(len(p_np), bool)
        first[1:] = p_np[1:] != p_np[:-1]
        joined = pc.binary_join_element_wise(delims, vals, b"" if binary else "")
        pieces = pc.if_else(pa.array(first), vals, joined)
        return pc.binary_join(rebuild_lists(p_np, pieces, ngroups), b"" if binary else "")
    sep = spec.direct_args[0] if spec.direct_args else None
    if sep is None:
        sep = b"" if binary else ""
    elif binary and isinstance(sep, str):
        sep = sep.encode()
    return pc.binary_join(rebuild_lists(p_np, vals, ngroups), pa.scalar(sep, kind))


def rebuild_lists(parents: np.ndarray, values: pa.Array, ngroups: int) -> pa.Array:
    """ListArray of ngroups lists from values sorted by parent (empty groups -> NULL)."""
    counts = np.bincount(parents, minlength=ngroups) if len(parents) else np.zeros(ngroups, np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    mask = pa.array(counts == 0)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values, mask=mask)


def place(parent_ids: pa.Array, values: pa.Array, ngroups: int) -> pa.Array:
    """An array of ngroups entries: values[i] at parent_ids[i], NULL elsewhere."""
    idx = np.full(ngroups, -1, np.int64)
    idx[parent_ids.to_numpy(zero_copy_only=False)] = np.arange(len(parent_ids))
    m = idx < 0
    return values.take(pa.array(np.where(m, 0, idx), mask=m)) if len(values) else pa.nulls(ngroups, values.type)


def finish_from_lists(spec: AggSpec, lists: list[pa.Array], mask_list: pa.Array | None, ngroups: int,
                      F: Any, ctx: Any = None) -> pa.Array:
    """Compute the aggregate from per-group lists of its argument(s) (see module docstring)."""
    first = lists[0]
    parents = pc.list_parent_indices(first)
    flat = [pc.list_flatten(lst) for lst in lists]
    keep = None
    if mask_list is not None:
        keep = pc.fill_null(pc.list_flatten(mask_list), False)
    plugin = plugin_extensions.aggregate(spec.name) if spec.name not in DIRECT and spec.user is None else None
    if spec.name not in KEEPS_NULLS and plugin is None and spec.user is None:
        valid = pc.is_valid(flat[0])
        if spec.name in ("jsonb_object_agg", "json_object_agg"):
            valid = pa.array(np.ones(len(flat[0]), bool))
        keep = valid if keep is None else pc.and_(keep, valid)
    if keep is not None:
        parents = parents.filter(keep)
        flat = [f.filter(keep) for f in flat]
    if spec.distinct:
        def distinct_key(i: int, f: pa.Array) -> pa.Array:
            citext_arg = i < len(spec.args) and spec.args[i].type.name == "citext"
            return pc.utf8_lower(f) if citext_arg else sortable(f)

        tbl = pa.table({"p": parents, **{f"v{i}": distinct_key(i, f) for i, f in enumerate(flat)},
                        "r": pa.array(np.arange(len(parents), dtype=np.int64))})
        g = tbl.group_by(["p"] + [f"v{i}" for i in range(len(flat))], use_threads=False).aggregate([("r", "min")])
        desc, nulls_first = False, None
        if len(flat) == 1 and spec.order:  # DISTINCT x ORDER BY x [DESC] [NULLS FIRST|LAST]
            desc, nulls_first = spec.order[0][1], spec.order[0][2]
        if nulls_first is None:
            nulls_first = desc
        g = g.sort_by([("p", "ascending")] + [(f"v{i}", "descending" if desc else "ascending",
                                               "at_start" if nulls_first else "at_end") for i in range(len(flat))])
        rows = g.column("r_min").combine_chunks()
        parents = parents.take(rows)
        flat = [f.take(rows) for f in flat]
    p_np = parents.to_numpy(zero_copy_only=False).astype(np.int64) if len(parents) else np.zeros(0, np.int64)
    vals = flat[0]
    name = spec.name
    if spec.user is not None:  # CREATE AGGREGATE's
        return spec.user.finish(ctx, p_np, flat, ngroups)
    if plugin is not None:  # helios_sql_aggregates
        out = plugin.impl(p_np, flat, ngroups)
        want = spec.result_type.arrow_type
        if pa.types.is_list(out.type) and pa.types.is_list(want) and pa.types.is_list(out.type.value_type) and \
                not pa.types.is_list(want.value_type):
            return out  # an array of arrays: an array type holds any number of dimensions
        return out.cast(want) if out.type != want else out
    if name in ("count", "count_star"):
        return pa.array(np.bincount(p_np, minlength=ngroups).astype(np.int64))
    if name in DIRECT:
        inner = AggSpec(name=name, args=spec.args, result_type=spec.result_type)
        if name in ("sum", "avg") and spec.args[0].type.name == "interval":
            return _interval_reduce(name, p_np, vals, ngroups, F)
        if name in ("min", "max") and _ordered_by_key(spec.args[0].type):
            return _keyed_extreme(name, p_np, vals, spec.args[0].type, ngroups)
        arr = prepare_direct_arg(inner, vals)
        tbl = pa.table({"p": parents, "v": arr, **extra_columns(inner, "v", arr)})
        aggs = direct_aggregations(inner, "v", "o")
        g = tbl.group_by("p", use_threads=False).aggregate(aggs)
        out_cols = [g.column(f"{col}_{fn}").combine_chunks() for col, fn, _ in aggs]
        res = finish_direct(inner, out_cols, F)
        placed = place(g.column("p").combine_chunks(), res, ngroups)
        return placed
    if name == "string_agg":
        return _string_agg(spec, p_np, flat, ngroups)
    if name == "array_agg":
        out = rebuild_lists(p_np, vals, ngroups)
        if pa.types.is_list(vals.type):
            _check_accumulated_arrays(out)
        return out
    if name in ("json_agg", "jsonb_agg"):
        fname = "to_json" if name == "json_agg" else "to_jsonb"
        et = spec.args[0].type
        js = F.call_function(fname, [Vec(vals, et, False)]).broadcast(len(vals)).array if len(vals) else pa.array(
            [], pa.string())
        js = pc.fill_null(js, "null")
        lists_ = rebuild_lists(p_np, js, ngroups)
        # json_agg starts each record or array element on a line of its own, as PostgreSQL does
        multiline = name == "json_agg" and (et.is_rowtype or et.element is not None)
        body = pc.binary_join(lists_, ", \n " if multiline else ", ")
        return pc.binary_join_element_wise("[", body, "]", "")
    if name in ("json_object_agg", "jsonb_object_agg"):
        fname = "to_json" if name == "json_object_agg" else "to_jsonb"
        keys = flat[0].cast(pa.string()) if flat[0].type != pa.string() else flat[0]
        if keys.null_count:
            raise HeliosError("field name must not be null", sqlstate="22004")
        vt = spec.args[1].type
        vj = F.call_function(fname, [Vec(flat[1], vt, False)]).broadcast(len(flat[1])).array if len(
            flat[1]) else pa.array([], pa.string())
        vj = pc.fill_null(vj, "null")
        out: list[str | None] = [None] * ngroups
        groups: dict[int, dict[str, str] | list[tuple[str, str]]] = {}
        for p, k, v in zip(p_np.tolist(), keys.to_pylist(), vj.to_pylist(), strict=True):
            if name == "jsonb_object_agg":
                groups.setdefault(p, {})[k] = v  # type: ignore[index]
            else:
                groups.setdefault(p, []).append((k, v))  # type: ignore[union-attr]
        for p, d in groups.items():
            items = sorted(d.items(), key=lambda kv: (len(kv[0].encode()), kv[0].encode())) if isinstance(
                d, dict) else d
            if name == "json_object_agg":  # PostgreSQL's json text: '{ "a" : 1, "b" : 2 }'
                out[p] = "{ " + ", ".join(json.dumps(k, ensure_ascii=False) + " : " + v for k, v in items) + " }"
            else:
                out[p] = "{" + ", ".join(json.dumps(k, ensure_ascii=False) + ": " + v for k, v in items) + "}"
        return pa.array(out, pa.string())
    if name in ("percentile_cont", "percentile_disc"):
        return percentile_from_sorted(spec, p_np, vals, ngroups, F)
    if name == "mode":
        out_v: list[Any] = [None] * ngroups
        from collections import Counter

        per: dict[int, list] = {}
        for p, v in zip(p_np.tolist(), vals.to_pylist(), strict=True):
            per.setdefault(p, []).append(v)
        for p, vs in per.items():
            c = Counter(vs)
            best = max(c.values())
            out_v[p] = min((v for v in c if c[v] == best), key=lambda x: (x is None, x))
        return pa.array(out_v, type=vals.type)
    if name == "any_value":
        tbl = pa.table({"p": parents, "v": vals})
        g = tbl.group_by("p", use_threads=False).aggregate([("v", "first")])
        return place(g.column("p").combine_chunks(), g.column("v_first").combine_chunks(), ngroups)
    if name in ("bit_and", "bit_or", "bit_xor"):
        out_b: list[Any] = [None] * ngroups
        for p, v in zip(p_np.tolist(), vals.to_pylist(), strict=True):
            if v is None:
                continue
            cur = out_b[p]
            out_b[p] = v if cur is None else ((cur & v) if name == "bit_and" else (cur | v) if name == "bit_or"
                                              else (cur ^ v))
        return pa.array(out_b, type=vals.type)
    if name in ("range_agg", "range_intersect_agg"):
        return range_aggregates.finish(name, p_np, vals, spec.args[0].type, spec.result_type, ngroups)
    if name in TWO_FLOAT_ARGS:
        return _two_variable_statistics(name, p_np, vals, flat[1], ngroups)
    if name in HYPOTHETICAL:
        return _hypothetical(spec, p_np, flat, ngroups)
    raise UndefinedFunction(f"aggregate {name} is not supported")


def _hypothetical(spec: AggSpec, p_np: np.ndarray, flat: list[pa.Array], ngroups: int) -> pa.Array:
    """rank, dense_rank, percent_rank and cume_dist of the hypothetical row ``spec.direct_args[0]``
    among each group's rows, ordered as ``spec.direct_args[1]`` says ((desc, nulls_first) per column)."""
    hyp, dirs = spec.direct_args
    cols = [f.to_pylist() for f in flat]

    def cmp(row: tuple) -> int:
        """-1: the row sorts before the hypothetical one, 0: peers, 1: after."""
        for v, h, (desc, nulls_first) in zip(row, hyp, dirs, strict=True):
            if v is None and h is None:
                continue
            if v is None or h is None:
                first = v is None  # the row's NULL sorts first when NULLs go first
                return (-1 if first else 1) if nulls_first else (1 if first else -1)
            if v == h:
                continue
            less = v < h
            return (-1 if less else 1) if not desc else (1 if less else -1)
        return 0

    before = [0] * ngroups
    peers = [0] * ngroups
    total = [0] * ngroups
    distinct_before: list[set] = [set() for _ in range(ngroups)]
    for i, p in enumerate(p_np.tolist()):
        row = tuple(c[i] for c in cols)
        total[p] += 1
        c = cmp(row)
        if c < 0:
            before[p] += 1
            if spec.name == "dense_rank":
                distinct_before[p].add(row)
        elif c == 0:
            peers[p] += 1
    if spec.name == "rank":
        return pa.array([b + 1 for b in before], pa.int64())
    if spec.name == "dense_rank":
        return pa.array([len(d) + 1 for d in distinct_before], pa.int64())
    if spec.name == "percent_rank":
        return pa.array([b / n if n else 0.0 for b, n in zip(before, total, strict=True)], pa.float64())
    return pa.array([(b + q + 1) / (n + 1) for b, q, n in zip(before, peers, total, strict=True)], pa.float64())


def _two_variable_statistics(name: str, p_np: np.ndarray, ys_arr: pa.Array, xs_arr: pa.Array,
                             ngroups: int) -> pa.Array:
    """corr, covar_* and regr_*(Y, X) of each group over the rows where both are not NULL, from
    N, Sx, Sy and the centred sums Sxx, Syy, Sxy accumulated one row at a time in the order
    PostgreSQL's float8_regr_accum uses (Youngs and Cramer), so the last digits agree."""
    acc: dict[int, list[float]] = {}
    for p, y, x in zip(p_np.tolist(), ys_arr.to_pylist(), xs_arr.to_pylist(), strict=True):
        if y is None or x is None:
            continue
        st = acc.get(p)
        if st is None:
            st = acc[p] = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        n, sx, sxx, sy, syy, sxy = st
        n += 1.0
        sx += x
        sy += y
        if n > 1.0:
            tx = x * n - sx
            ty = y * n - sy
            scale = 1.0 / (n * (n - 1.0))
            sxx += tx * tx * scale
            syy += ty * ty * scale
            sxy += tx * ty * scale
        else:
            sxx = syy = sxy = 0.0
            if not math.isfinite(x):
                sxx = sxy = float("nan")
            if not math.isfinite(y):
                syy = sxy = float("nan")
        st[:] = [n, sx, sxx, sy, syy, sxy]
    if name == "regr_count":
        counts = [0] * ngroups
        for p, st in acc.items():
            counts[p] = int(st[0])
        return pa.array(counts, pa.int64())
    out: list[float | None] = [None] * ngroups
    for p, (n, sx, sxx, sy, syy, sxy) in acc.items():
        r: float | None
        if name == "covar_pop":
            r = sxy / n
        elif name == "covar_samp":
            r = sxy / (n - 1.0) if n > 1 else None
        elif name == "corr":
            r = None if sxx == 0 or syy == 0 else sxy / (sxx * syy) ** 0.5
        elif name == "regr_sxx":
            r = sxx
        elif name == "regr_syy":
            r = syy
        elif name == "regr_sxy":
            r = sxy
        elif name == "regr_avgx":
            r = sx / n
        elif name == "regr_avgy":
            r = sy / n
        elif name == "regr_r2":
            r = None if sxx == 0 else 1.0 if syy == 0 else (sxy * sxy) / (sxx * syy)
        elif name == "regr_slope":
            r = None if sxx == 0 else sxy / sxx
        else:  # regr_intercept
            r = None if sxx == 0 else (sy - sx * sxy / sxx) / n
        out[p] = r
    return pa.array(out, pa.float64())


def percentile_from_sorted(spec: AggSpec, p_np: np.ndarray, vals: pa.Array, ngroups: int, F: Any,
                           counts: np.ndarray | None = None) -> pa.Array:
    """percentile_cont/disc of each group: ``p_np`` the group of each value, non-decreasing, and the
    values sorted by the WITHIN GROUP order inside each group (NULLs and filtered rows left out);
    ``counts``, each group's number of values, when the caller has them already."""
    frac = spec.direct_args[0] if spec.direct_args else None
    if frac is None:
        return pa.nulls(ngroups, spec.result_type.arrow_type)
    if isinstance(frac, list):  # percentile_cont(ARRAY[...]): one value per fraction, in an array
        elem = spec.result_type.element or spec.result_type
        counts = np.bincount(p_np, minlength=ngroups) if len(p_np) else np.zeros(ngroups, np.int64)
        each = [pa.nulls(ngroups, elem.arrow_type) if f is None else percentile_from_sorted(
            attrs.evolve(spec, direct_args=[f], result_type=elem), p_np, vals, ngroups, F).to_pylist()
                for f in frac]
        each = [e.to_pylist() if isinstance(e, pa.Array) else e for e in each]
        out = [[e[g] for e in each] if counts[g] else None for g in range(ngroups)]
        return pa.array(out, spec.result_type.arrow_type)
    frac = float(frac)
    if not 0.0 <= frac <= 1.0:
        raise HeliosError(f"percentile value {frac:g} is not between 0 and 1", sqlstate="22003")
    # values arrive sorted by the WITHIN GROUP order inside each group
    if counts is None:
        counts = np.bincount(p_np, minlength=ngroups) if len(p_np) else np.zeros(ngroups, np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    has = counts > 0
    if spec.name == "percentile_disc":
        k = np.maximum(np.ceil(frac * counts).astype(np.int64) - 1, 0)
        pos = np.where(has, starts + k, 0)
        taken = vals.take(pa.array(pos, mask=~has)) if len(vals) else pa.nulls(ngroups, vals.type)
        return taken
    fv = vals.cast(pa.float64()).to_numpy(zero_copy_only=False) if len(vals) else np.zeros(0)
    rown = frac * (counts - 1)
    lo = np.floor(rown).astype(np.int64)
    hi = np.ceil(rown).astype(np.int64)
    lo_v = np.where(has, fv[np.where(has, starts + lo, 0)] if len(fv) else 0.0, 0.0)
    hi_v = np.where(has, fv[np.where(has, starts + hi, 0)] if len(fv) else 0.0, 0.0)
    res = lo_v + (rown - lo) * (hi_v - lo_v)
    return pa.array(res, pa.float64(), mask=~has)


def _keyed_extreme(name: str, p_np: np.ndarray, vals: pa.Array, t: T.SqlType, ngroups: int) -> pa.Array:
    """min/max per group by the values' sort keys (see _ordered_by_key); per-row Python."""
    if t.is_array:
        keys = [None if v is None else _array_key(v) for v in vals.to_pylist()]
    elif t.labels is not None:
        keys = pc.index_in(vals, value_set=pa.array(list(t.labels), pa.string())).to_pylist()
    elif t.name == "citext":
        keys = pc.utf8_lower(vals).to_pylist()
    elif t.name in network.NETWORK_TYPES:
        keys = network.sort_key(vals).to_pylist()
    else:
        keys = interval_key(vals).to_pylist()
    best: list[int | None] = [None] * ngroups
    for i, (g, k) in enumerate(zip(p_np.tolist(), keys, strict=True)):
        if k is None:
            continue
        j = best[g]
        if j is None or (k <= keys[j] if name == "min" else k >= keys[j]):
            best[g] = i  # on a tie the later value, as PostgreSQL's *_smaller/*_larger return
    return vals.take(pa.array(best, pa.int64()))


def _array_key(value: Any) -> Any:
    """An array as PostgreSQL orders arrays: element by element, a NULL element after any value,
    a shorter array before a longer one it begins."""
    if isinstance(value, list):
        return [(1, None) if v is None else (0, _array_key(v)) for v in value]
    return value


def _interval_reduce(name: str, p_np: np.ndarray, vals: pa.Array, ngroups: int, F: Any) -> pa.Array:
    sums: list[Any] = [None] * ngroups
    counts = [0] * ngroups
    for p, v in zip(p_np.tolist(), vals.to_pylist(), strict=True):
        if v is None:
            continue
        cur = sums[p]
        sums[p] = (v.months, v.days, v.nanoseconds) if cur is None else (
            cur[0] + v.months, cur[1] + v.days, cur[2] + v.nanoseconds)
        counts[p] += 1
    out = pa.array([None if s is None else pa.MonthDayNano(list(s)) for s in sums],
                   pa.month_day_nano_interval())
    if name == "sum":
        return out
    cnt = pa.array([c if c else None for c in counts], pa.int64())
    return F.binary_op("/", Vec(out, T.INTERVAL, False), Vec(cnt.cast(pa.float64()), T.FLOAT8, False)).array


def _check_accumulated_arrays(groups: pa.Array) -> None:
    """array_agg over arrays makes one more dimension: PostgreSQL's checks on the inputs.

    Per-group Python over the collected sub-arrays (array_agg of arrays only)."""
    from helios_core.errors import HeliosError
    from helios_core.sql.functions.array_dims import dims_of

    for group in groups.to_pylist():
        shapes = set()
        for sub in group or []:
            if sub is None:
                raise HeliosError("cannot accumulate null arrays", sqlstate="22004")
            if not sub:
                raise HeliosError("cannot accumulate empty arrays", sqlstate="2202E")
            shapes.add(tuple(dims_of(sub)))
        if len(shapes) > 1:
            raise HeliosError("cannot accumulate arrays of different dimensionality", sqlstate="2202E")
