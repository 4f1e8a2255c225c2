"""RANGE frames with an offset (``RANGE BETWEEN '1 year' PRECEDING AND 2 FOLLOWING``).

PostgreSQL decides which rows are in range with the in_range support function of the ORDER BY
key's type: numbers take a number offset (integers an integer, floats float8, numeric numeric),
date/timestamp/time/interval keys an interval, and other key types no offset at all. The offset
is typed at planning time by those rules, with PostgreSQL's errors, and at run time each row's
frame edge is found by binary search over its partition's sorted keys with in_range's own
rules: NULL keys are peers of each other only, NaN is past every other number, and an infinite
offset reaches every row from an infinite base of the other sign.
"""

from __future__ import annotations

import decimal
import math
from typing import Any

import numpy as np
import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.expr import Compiled
from helios_core.sql.functions import datetime_ops
from helios_core.sql.functions import numeric_special as NS
from helios_core.sql.functions.intervals import make_intervals

INTEGERS = ("int2", "int4", "int8")
FLOATS = ("float4", "float8")
DATETIMES = ("date", "timestamp", "timestamptz", "time", "timetz", "interval")
US_PER_DAY = 86_400_000_000


def type_offset(builder: Any, key_type: T.SqlType, off: Compiled) -> Compiled:
    """The offset coerced to the type in_range takes for this key type (PostgreSQL's errors if none)."""
    kt, ot = key_type.base.name if key_type.base is not None else key_type.name, off.type.name
    if kt in INTEGERS:
        want = {"unknown": key_type}.get(ot) or (off.type if ot in INTEGERS else None)
    elif kt in FLOATS:
        want = T.FLOAT8 if ot in ("unknown", *INTEGERS, *FLOATS, "numeric") else None
    elif kt == "numeric":
        want = T.NUMERIC if ot in ("unknown", *INTEGERS, "numeric") else None
    elif kt in DATETIMES:
        want = T.INTERVAL if ot in ("unknown", "interval") else None
    else:
        raise HeliosError(f"RANGE with offset PRECEDING/FOLLOWING is not supported for column type "
                          f"{key_type.sql_name()}", sqlstate="0A000")
    if want is None:
        raise HeliosError(f"RANGE with offset PRECEDING/FOLLOWING is not supported for column type "
                          f"{key_type.sql_name()} and offset type {off.type.sql_name()}", sqlstate="0A000",
                          hint="Cast the offset value to an appropriate type.")
    return off if want.name == ot else builder.coerce(off, want)


def _interval_span(iv: Any) -> int:
    """An interval as PostgreSQL compares it: months of 30 days, days of 24 hours, in microseconds."""
    return (iv.months * 30 + iv.days) * US_PER_DAY + iv.nanoseconds // 1000


def _key_values(keys: pa.Array, kind: str) -> list:
    """The sorted keys as Python values in_range can compare (None for NULL)."""
    if kind in ("date", "timestamp", "timestamptz"):
        micros = keys.cast(pa.int32()).cast(pa.int64()) if kind == "date" else keys.cast(pa.int64())
        scale = US_PER_DAY if kind == "date" else 1
        return [None if v is None else v * scale for v in micros.to_pylist()]
    if kind == "time":
        return keys.cast(pa.int64()).to_pylist()
    if kind == "timetz":  # by UTC time, as timetz compares
        return [None if v is None else (v["time"].hour * 3600 + v["time"].minute * 60 + v["time"].second) * 10**6
                + v["time"].microsecond - v["offset"] * 10**6 for v in keys.to_pylist()]
    if kind == "interval":
        return [None if v is None else _interval_span(v) for v in keys.to_pylist()]
    if kind == "numeric":
        return _decimals(keys)
    if kind in FLOATS:
        return [None if v is None else float(v) for v in keys.to_pylist()]
    return keys.to_pylist()


def _decimals(arr: pa.Array) -> list:
    """numeric values as Decimals, NaN and the infinities included (numeric_special's struct form)."""
    if NS.is_special(arr):
        return NS.to_python(arr)
    return [None if v is None else decimal.Decimal(str(v)) for v in arr.to_pylist()]


def _offset_value(off_array: pa.Array, kind: str, is_start: bool) -> Any:
    off = _decimals(off_array)[0] if kind == "numeric" else off_array[0].as_py()
    if off is None:
        raise HeliosError(f"frame {'starting' if is_start else 'ending'} offset must not be null", sqlstate="22004")
    if kind in DATETIMES:
        if kind in ("time", "timetz"):  # PostgreSQL adds only the time part of the interval to a time
            off = off.nanoseconds // 1000
        else:
            off = _interval_span(off) if kind == "interval" else off
        negative = (off if isinstance(off, int) else _interval_span(off)) < 0
    else:
        off = off if kind == "numeric" else float(off) if kind in FLOATS else int(off)
        negative = _is_nan(off)
        negative = negative or off < 0
    if negative:
        raise HeliosError("invalid preceding or following size in window function", sqlstate="22013")
    return off


def _is_nan(v: Any) -> bool:
    return v.is_nan() if isinstance(v, decimal.Decimal) else isinstance(v, float) and math.isnan(v)


def _is_inf(v: Any) -> bool:
    return v.is_infinite() if isinstance(v, decimal.Decimal) else isinstance(v, float) and math.isinf(v)


def _bounds(kv: list, off: Any, sub: bool, kind: str) -> list:
    """base -/+ offset for every row; for date and timestamp keys calendar arithmetic (a month is not
    30 days), in the session time zone for timestamptz."""
    if kind in ("date", "timestamp", "timestamptz"):
        n = len(kv)
        iv = make_intervals(pa.array([off.months] * n, pa.int32()), pa.array([off.days] * n, pa.int32()),
                            pa.array([off.nanoseconds] * n, pa.int64()))
        ts = pa.array(kv, pa.int64()).cast(pa.timestamp("us", tz="UTC") if kind == "timestamptz"
                                            else pa.timestamp("us"))
        return datetime_ops.timestamp_plus_interval(ts, iv, -1 if sub else 1, kind == "timestamptz").cast(
            pa.int64()).to_pylist()
    out = []
    for base in kv:
        if base is None or _is_nan(base) or (_is_inf(off) and _is_inf(base)):
            out.append(None)  # in_range decides these without a sum
        else:
            out.append(base - off if sub else base + off)
    return out


def in_range(val: Any, base: Any, bound: Any, off: Any, sub: bool, less: bool) -> bool:
    """PostgreSQL's in_range(val, base, offset, sub, less) for non-NULL val and base (bound = base -/+ offset)."""
    if _is_nan(val):
        return True if _is_nan(base) else not less
    if _is_nan(base):
        return less
    if _is_inf(off) and _is_inf(base):
        if base > 0 if sub else base < 0:
            return True
        return val <= base if less else val >= base  # inf + inf stays inf
    return val <= bound if less else val >= bound


def range_bounds(kind_type: T.SqlType, keys: pa.Array, off_value: pa.Array, preceding: bool, is_start: bool,
                 desc: bool, pstart: np.ndarray, pend: np.ndarray, gstart: np.ndarray, gend: np.ndarray
                 ) -> np.ndarray:
    """Frame start (or end, exclusive) in sorted positions for every row of a RANGE offset frame."""
    kind = kind_type.base.name if kind_type.base is not None else kind_type.name
    off = _offset_value(off_value, kind, is_start)  # an array of one value
    kv = _key_values(keys, kind)
    n = len(kv)
    out = np.empty(n, np.int64)
    sub = preceding != desc
    less = desc if is_start else not desc
    bounds = _bounds(kv, off, sub, kind)
    for i in range(n):
        base = kv[i]
        if base is None:  # NULLs are peers of each other only
            out[i] = gstart[i] if is_start else gend[i]
            continue
        lo, hi = int(pstart[i]), int(pend[i])
        while lo < hi and kv[lo] is None:  # NULLs sorted first
            lo += 1
        while hi > lo and kv[hi - 1] is None:  # NULLs sorted last
            hi -= 1
        # the start is the first row in range; the end the first row past the range
        a, b = lo, hi
        while a < b:
            mid = (a + b) // 2
            ok = in_range(kv[mid], base, bounds[i], off, sub, less)
            if ok if is_start else not ok:
                b = mid
            else:
                a = mid + 1
        out[i] = a
    return out
