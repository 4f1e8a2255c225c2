"""time_bucket(width, ts [, offset | origin]) as TimescaleDB defines it.

The bucket holding ``ts`` starts at ``origin + k * width`` for the largest k that does not
pass ``ts`` (floor, also before the origin). The default origin is Monday 2000-01-03
(so weekly buckets start on Mondays), and 2000-01-01 for widths in months; an ``offset``
interval shifts every bucket by that much. With an ``origin`` this is PostgreSQL's
``date_bin(width, ts, origin)``. timestamptz is bucketed on UTC; integer columns take
integer widths (``time_bucket(10, n)``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.sql.functions.interval_input import parse_interval_value
from helios_core.sql.functions.intervals import interval_fields
from helios_core.timeseries.durations import USEC_PER_DAY

DEFAULT_ORIGIN_USEC = 946_857_600_000_000  # 2000-01-03 00:00:00 UTC, a Monday
MONTH_ORIGIN_MONTHS = 2000 * 12  # 2000-01-01


def _widths(arr: pa.Array, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(months, microseconds) per row of an interval (or interval text) argument."""
    months, usec = _widths_signed(arr, n)
    if ((months != 0) & (usec != 0)).any():
        raise FeatureNotSupported("month intervals cannot have day or time component")
    if ((months < 0) | (usec < 0) | ((months == 0) & (usec == 0))).any():
        raise HeliosError("period must be greater than 0", sqlstate="22023")
    return months, usec


def _usec(arr: pa.Array) -> np.ndarray:
    if pa.types.is_date32(arr.type):
        return arr.fill_null(0).cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64) * USEC_PER_DAY
    if pa.types.is_timestamp(arr.type):
        return arr.cast(pa.timestamp("us", tz=arr.type.tz)).fill_null(0).cast(pa.int64()).to_numpy(
            zero_copy_only=False)
    raise TypeError(f"time_bucket does not take {arr.type}")


def _back(usec: np.ndarray, like: pa.Array, mask: np.ndarray | None) -> pa.Array:
    if pa.types.is_date32(like.type):
        return pa.array((usec // USEC_PER_DAY).astype(np.int32), mask=mask).cast(pa.date32())
    return pa.array(usec, pa.int64(), mask=mask).cast(pa.timestamp("us", tz=like.type.tz))


def _floor_months(t: np.ndarray, months: np.ndarray, origin_months: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Month buckets: the month of t counted from the origin month, floored to the width."""
    local = t - shift
    month_index = (local.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64) + 1970 * 12)
    k = np.floor_divide(month_index - origin_months, months)
    start = (k * months + origin_months - 1970 * 12).astype("datetime64[M]").astype("datetime64[us]").astype(np.int64)
    return start + shift


def time_bucket(args: list[pa.Array]) -> pa.Array:
    """The impl of the SqlFunction: one bucket start per row. Constant arguments arrive one
    element long (``scalar_constants``): a width that is one literal is parsed once."""
    n = next((len(a) for a in args if len(a) != 1), 1)  # the rows' length (0 for an empty batch)
    ts = args[1]
    mask = np.asarray(ts.is_null()) if ts.null_count else None
    fixed = _constant_width(args[0]) if len(args) == 2 and len(ts) == n and n and not pa.types.is_integer(ts.type) \
        else None
    if fixed is not None:  # the usual call: one width (one element or repeated), the default origin
        return _back(_plain_or_month_buckets(_usec(ts), *fixed), ts, mask)
    args = [pa.repeat(a[0], n) if len(a) == 1 and n != 1 else a for a in args]  # the per-row way: full arrays
    width, ts = args[0], args[1]
    if pa.types.is_integer(ts.type):
        return _integer_buckets(args)
    months, usec = _widths(width, n)
    t = _usec(ts)
    origin = np.full(n, DEFAULT_ORIGIN_USEC, np.int64)
    shift = np.zeros(n, np.int64)
    origin_given = False
    if len(args) > 2:
        extra = args[2]
        if pa.types.is_interval(extra.type) or pa.types.is_string(extra.type):
            m, off = _widths_signed(extra, n)
            if (m != 0).any():
                raise FeatureNotSupported("an offset in months is not supported")
            shift = off
        else:
            origin = _usec(extra)
            origin_given = True
    out = np.empty(n, np.int64)
    plain = months == 0
    if plain.any():
        w = usec[plain]
        o = origin[plain] + shift[plain]
        out[plain] = np.floor_divide(t[plain] - o, w) * w + o
    if (~plain).any():
        if origin_given:
            o = origin[~plain]
            if (o % USEC_PER_DAY).any() or (o.astype("datetime64[us]").astype("datetime64[D]")
                                             != o.astype("datetime64[us]").astype("datetime64[M]")).any():
                raise FeatureNotSupported("an origin for month buckets must be the first of a month at midnight")
            origin_months = o.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64) + 1970 * 12
        else:
            origin_months = np.full(int((~plain).sum()), MONTH_ORIGIN_MONTHS, np.int64)
        out[~plain] = _floor_months(t[~plain], months[~plain], origin_months, shift[~plain])
    return _back(out, ts, mask)


def _constant_width(arr: pa.Array) -> tuple[int, int] | None:
    """(months, microseconds) of a width that is one value on every row, else None."""
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)) or arr.null_count:
        return None
    if len(arr) > 1 and not pc.all(pc.equal(arr, arr[0])).as_py():
        return None
    months, usec = _widths(arr.slice(0, 1), 1)
    return int(months[0]), int(usec[0])


def _plain_or_month_buckets(t: np.ndarray, months: int, usec: int) -> np.ndarray:
    """Buckets of one width from the default origin (scalar arithmetic over the whole array)."""
    if months == 0:
        return np.floor_divide(t - DEFAULT_ORIGIN_USEC, usec) * usec + DEFAULT_ORIGIN_USEC
    n = len(t)
    return _floor_months(t, np.full(n, months, np.int64), np.full(n, MONTH_ORIGIN_MONTHS, np.int64),
                         np.zeros(n, np.int64))


def _widths_signed(arr: pa.Array, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(months, microseconds) of an offset, which may be negative or zero."""
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        # each distinct text parsed once (a literal width arrives repeated on every row)
        coded = pc.dictionary_encode(arr)
        parsed = [parse_interval_value(s) for s in coded.dictionary.to_pylist()] + [(0, 0, 0)]  # last: NULL
        codes = pc.fill_null(coded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        months = np.array([r[0] for r in parsed], np.int64)[codes]
        usec = np.array([r[1] * USEC_PER_DAY + r[2] for r in parsed], np.int64)[codes]
    else:
        m, d, ns = interval_fields(arr)
        months = m.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        usec = d.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64) * USEC_PER_DAY + \
            ns.fill_null(0).to_numpy(zero_copy_only=False) // 1000
    if len(months) == 1 and n > 1:
        months, usec = np.repeat(months, n), np.repeat(usec, n)
    return months, usec


def _integer_buckets(args: list[pa.Array]) -> pa.Array:
    width, ts = args[0], args[1]
    if not pa.types.is_integer(width.type):
        raise TypeError("integer time_bucket takes an integer width")
    w = width.to_numpy(zero_copy_only=False).astype(np.int64)
    if (w <= 0).any():
        raise HeliosError("period must be greater than 0", sqlstate="22023")
    t = ts.to_numpy(zero_copy_only=False).astype(np.int64)
    off = args[2].to_numpy(zero_copy_only=False).astype(np.int64) if len(args) > 2 else 0
    out = np.floor_divide(t - off, w) * w + off
    return pa.array(out).cast(ts.type)


def return_type(types: list[str]) -> str:
    """The type of the time argument (text literals are read as timestamptz)."""
    t = types[1] if len(types) > 1 else "timestamptz"
    return "timestamptz" if t in ("unknown", "text") else t
