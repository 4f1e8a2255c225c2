"""Date/time arithmetic: date +/- int, timestamp +/- interval, timestamp - timestamp, interval math.

Calendar arithmetic (adding months with end-of-month clamping) is vectorized with civil-date
formulas over Arrow integer kernels; interval * / number is per-row Python (PostgreSQL's
cascade of fractional months into days and seconds has no kernel).
"""

from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import DivisionByZero, HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions import timetz
from helios_core.sql.functions.cast import ts_to_tstz, tstz_to_ts
from helios_core.sql.functions.intervals import interval_fields, intervals_from_rows, make_intervals
from helios_core.sql.functions.vec import Vec, full

US_PER_DAY = 86_400_000_000


def _i64(x: pa.Array) -> pa.Array:
    return x.cast(pa.int64())


def _floordiv(a: pa.Array, b: int) -> pa.Array:
    return pc.floor(pc.divide(a.cast(pa.float64()), float(b))).cast(pa.int64())


def days_from_civil(y: pa.Array, m: pa.Array, d: pa.Array) -> pa.Array:
    """Days since 1970-01-01 of proleptic Gregorian (y, m, d) arrays."""
    y = _i64(y)
    m = _i64(m)
    d = _i64(d)
    y = pc.subtract(y, pc.cast(pc.less_equal(m, 2), pa.int64()))
    era = _floordiv(y, 400)
    yoe = pc.subtract(y, pc.multiply(era, 400))
    mp = pc.if_else(pc.greater(m, 2), pc.subtract(m, 3), pc.add(m, 9))
    doy = pc.add(pc.divide(pc.add(pc.multiply(mp, 153), 2), 5), pc.subtract(d, 1))
    doe = pc.add(pc.subtract(pc.add(pc.multiply(yoe, 365), pc.divide(yoe, 4)), pc.divide(yoe, 100)), doy)
    return pc.subtract(pc.add(pc.multiply(era, 146097), doe), 719468)


def days_in_month(y: pa.Array, m: pa.Array) -> pa.Array:
    y = _i64(y)
    leap = pc.and_(pc.equal(pc.subtract(y, pc.multiply(_floordiv(y, 4), 4)), 0),
                   pc.or_(pc.not_equal(pc.subtract(y, pc.multiply(_floordiv(y, 100), 100)), 0),
                          pc.equal(pc.subtract(y, pc.multiply(_floordiv(y, 400), 400)), 0)))
    table = pa.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], pa.int64())
    base = pc.take(table, pc.subtract(_i64(m), 1))
    return pc.add(base, pc.cast(pc.and_(leap, pc.equal(m, 2)), pa.int64()))


def add_months_to_micros(us: pa.Array, months: pa.Array) -> pa.Array:
    """Wall-clock micros + months, clamping the day to the end of the target month."""
    days = _floordiv(us, US_PER_DAY)
    tod = pc.subtract(us, pc.multiply(days, US_PER_DAY))
    dates = days.cast(pa.int32()).cast(pa.date32())
    y, m, d = pc.year(dates), pc.month(dates), pc.day(dates)
    total = pc.add(pc.add(pc.multiply(_i64(y), 12), pc.subtract(_i64(m), 1)), _i64(months))
    ny = _floordiv(total, 12)
    nm = pc.add(pc.subtract(total, pc.multiply(ny, 12)), 1)
    nd = pc.min_element_wise(_i64(d), days_in_month(ny, nm))
    nd_days = days_from_civil(ny, nm, nd)
    return pc.add(pc.multiply(nd_days, US_PER_DAY), tod)


def timestamp_plus_interval(ts: pa.Array, iv: pa.Array, sign: int, tz: bool) -> pa.Array:
    """timestamp[tz] +/- interval: months, then days (in local time for timestamptz), then time.
    'infinity' and '-infinity' stay as they are, as in PostgreSQL."""
    raw = ts.cast(pa.int64())
    infinite = pc.fill_null(pc.is_in(raw, value_set=pa.array([2**63 - 1, -(2**63)], pa.int64())), False)
    if pc.any(infinite).as_py():
        finite = _plus_interval(pc.if_else(infinite, 0, raw).cast(ts.type), iv, sign, tz)
        return pc.if_else(infinite, raw, finite.cast(pa.int64())).cast(finite.type)
    return _plus_interval(ts, iv, sign, tz)


def _plus_interval(ts: pa.Array, iv: pa.Array, sign: int, tz: bool) -> pa.Array:
    months, days, nanos = interval_fields(iv)
    if sign < 0:
        months, days, nanos = pc.negate(months), pc.negate(days), pc.negate(nanos)
    local = tstz_to_ts(ts) if tz else ts.cast(pa.timestamp("us"))
    us = local.cast(pa.int64())
    if pc.any(pc.not_equal(months, 0)).as_py():
        us = add_months_to_micros(us, pc.fill_null(months, 0))
    us = pc.add_checked(us, pc.multiply(_i64(pc.fill_null(days, 0)), US_PER_DAY))
    if tz:
        # only a row whose months or days moved goes through the wall clock and back (PostgreSQL
        # re-reads the zone's offset there); the time part is added to the instant itself
        moved = pc.fill_null(pc.or_(pc.not_equal(months, 0), pc.not_equal(days, 0)), False)
        instant = ts.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
        if pc.any(moved).as_py():
            us = pc.if_else(moved, ts_to_tstz(us.cast(pa.timestamp("us"))).cast(pa.int64()), instant)
        else:
            us = instant
    us = pc.add_checked(us, pc.divide(nanos, 1000))
    return us.cast(pa.timestamp("us", tz="UTC") if tz else pa.timestamp("us"))


def timestamp_diff(a: pa.Array, b: pa.Array) -> pa.Array:
    """timestamp - timestamp = interval of days and time (PostgreSQL justifies hours into days)."""
    diff = pc.subtract(a.cast(pa.int64()), b.cast(pa.int64()))
    days = pc.divide(diff, US_PER_DAY)  # truncates toward zero like PostgreSQL
    rest = pc.subtract(diff, pc.multiply(days, US_PER_DAY))
    return make_intervals(None, days, pc.multiply(rest, 1000), n=len(diff))


def interval_add(a: pa.Array, b: pa.Array, sign: int) -> pa.Array:
    m1, d1, n1 = interval_fields(a)
    m2, d2, n2 = interval_fields(b)
    f = pc.add_checked if sign > 0 else pc.subtract_checked
    try:
        return make_intervals(f(m1, m2), f(d1, d2), f(n1, n2))
    except pa.ArrowInvalid:
        raise HeliosError("interval out of range", sqlstate="22008") from None


def interval_negate(a: pa.Array) -> pa.Array:
    m, d, n = interval_fields(a)
    return make_intervals(pc.negate(m), pc.negate(d), pc.negate(n))


def interval_scale(iv: pa.Array, factor: pa.Array, divide: bool) -> pa.Array:
    # Per-row Python: PostgreSQL's interval_mul/interval_div cascade fractions month->day->time
    out = []
    for v, f in zip(iv.to_pylist(), factor.to_pylist(), strict=True):
        if v is None or f is None:
            out.append(None)
            continue
        f = float(f)
        if divide:
            if f == 0:
                raise DivisionByZero("division by zero")
            res = _interval_div(v.months, v.days, v.nanoseconds // 1000, f)
        else:
            res = _interval_mul(v.months, v.days, v.nanoseconds // 1000, f)
        out.append(res)
    return intervals_from_rows(out)


def _tsround(x: float) -> float:
    return round(x * 1e6) / 1e6


def _interval_mul(months: int, days: int, us: int, factor: float) -> tuple[int, int, int]:
    rm = months * factor
    if math.isnan(rm) or math.isinf(rm) or abs(rm) > 2**31 or not math.isfinite(us * factor):
        raise HeliosError("interval out of range", sqlstate="22008")
    r_month = int(rm)
    r_day = int(days * factor)
    month_remainder_days = _tsround((months * factor - r_month) * 30)
    sec_remainder = _tsround((days * factor - r_day + month_remainder_days - int(month_remainder_days)) * 86400)
    if abs(sec_remainder) >= 86400:
        r_day += int(sec_remainder / 86400)
        sec_remainder -= int(sec_remainder / 86400) * 86400
    r_day += int(month_remainder_days)
    r_time = round(us * factor + sec_remainder * 1e6)
    return r_month, r_day, int(r_time)


def _interval_div(months: int, days: int, us: int, factor: float) -> tuple[int, int, int]:
    if not all(math.isfinite(x / factor) for x in (months, days, us)):
        raise HeliosError("interval out of range", sqlstate="22008")
    r_month = int(months / factor)
    r_day = int(days / factor)
    month_remainder_days = _tsround((months / factor - r_month) * 30)
    sec_remainder = _tsround((days / factor - r_day + month_remainder_days - int(month_remainder_days)) * 86400)
    if abs(sec_remainder) >= 86400:
        r_day += int(sec_remainder / 86400)
        sec_remainder -= int(sec_remainder / 86400) * 86400
    r_day += int(month_remainder_days)
    r_time = round(us / factor + sec_remainder * 1e6)
    return r_month, r_day, int(r_time)


def datetime_arith(op: str, l: Vec, r: Vec) -> Vec | None:
    """Date/time +, -, *, / for resolved operand types; None when no such operator exists."""
    from helios_core.sql.functions.cast import cast

    a, b = l.type.name, r.type.name
    (la, ra), scalar = full([l, r])
    ints = ("int2", "int4", "int8")

    def out(arr: pa.Array, t: T.SqlType) -> Vec:
        return Vec(arr, t, scalar)

    if op == "+":
        if a == "date" and b in ints:
            return out(_date_add_days(la, ra, 1), T.DATE)
        if a in ints and b == "date":
            return out(_date_add_days(ra, la, 1), T.DATE)
        if a == "interval" and b in ("date", "timestamp", "timestamptz", "time"):
            return datetime_arith("+", r, l)
        if a == "date" and b == "interval":
            ts = cast(l, T.TIMESTAMP).array
            return out(timestamp_plus_interval(ts, ra, 1, False), T.TIMESTAMP)
        if a in ("timestamp", "timestamptz") and b == "interval":
            return out(timestamp_plus_interval(la, ra, 1, a == "timestamptz"), l.type.base)
        if a == "date" and b == "timetz":  # the wall time on that date at the value's offset
            local = pc.add(pc.multiply(la.cast(pa.int32()).cast(pa.int64()), US_PER_DAY),
                           ra.field("time").cast(pa.int64()))
            utc = pc.subtract(local, pc.multiply(ra.field("offset").cast(pa.int64()), 1_000_000))
            return out(pc.if_else(ra.is_valid(), utc, pa.scalar(None, pa.int64())).cast(
                pa.timestamp("us", tz="UTC")), T.TIMESTAMPTZ)
        if a == "timetz" and b == "date":
            return datetime_arith("+", r, l)
        if a == "timetz" and b == "interval":
            return out(timetz.round_to(la, _time_add(la.field("time"), ra, 1)), T.TIMETZ)
        if a == "date" and b == "time":
            ts = pc.add(pc.multiply(la.cast(pa.int32()).cast(pa.int64()), US_PER_DAY), ra.cast(pa.int64()))
            return out(ts.cast(pa.timestamp("us")), T.TIMESTAMP)
        if a == "time" and b == "date":
            return datetime_arith("+", r, l)
        if a == "time" and b == "interval":
            return out(_time_add(la, ra, 1), T.TIME)
        if a == "interval" and b == "timetz":
            return datetime_arith("+", r, l)
        if a == "interval" and b == "interval":
            return out(interval_add(la, ra, 1), T.INTERVAL)
    if op == "-":
        if a == "timetz" and b == "interval":
            return out(timetz.round_to(la, _time_add(la.field("time"), ra, -1)), T.TIMETZ)
        if a == "date" and b in ints:
            return out(_date_add_days(la, ra, -1), T.DATE)
        if a == "date" and b == "date":
            return out(pc.subtract(la.cast(pa.int32()), ra.cast(pa.int32())), T.INT4)
        if a == "date" and b == "interval":
            ts = cast(l, T.TIMESTAMP).array
            return out(timestamp_plus_interval(ts, ra, -1, False), T.TIMESTAMP)
        if a in ("timestamp", "timestamptz") and b == "interval":
            return out(timestamp_plus_interval(la, ra, -1, a == "timestamptz"), l.type.base)
        if a in ("timestamp", "timestamptz", "date") and b in ("timestamp", "timestamptz", "date"):
            from helios_core.sql.functions.resolve import common_type

            ct = common_type([l.type, r.type])
            if ct.name == "date":
                ct = T.TIMESTAMP
            x, y = cast(l, ct).broadcast(len(la)).array, cast(r, ct).broadcast(len(la)).array
            return out(timestamp_diff(x, y), T.INTERVAL)
        if a == "time" and b == "time":
            diff = pc.subtract(la.cast(pa.int64()), ra.cast(pa.int64()))
            return out(make_intervals(None, None, pc.multiply(diff, 1000), n=len(diff)), T.INTERVAL)
        if a == "time" and b == "interval":
            return out(_time_add(la, ra, -1), T.TIME)
        if a == "interval" and b == "interval":
            return out(interval_add(la, ra, -1), T.INTERVAL)
    if op == "*":
        if a == "interval" and (r.type.is_numeric_family):
            return out(interval_scale(la, _as_float(ra), False), T.INTERVAL)
        if b == "interval" and l.type.is_numeric_family:
            return out(interval_scale(ra, _as_float(la), False), T.INTERVAL)
    if op == "/" and a == "interval" and r.type.is_numeric_family:
        return out(interval_scale(la, _as_float(ra), True), T.INTERVAL)
    return None


def _as_float(a: pa.Array) -> pa.Array:
    return a.cast(pa.float64())


def _date_add_days(d: pa.Array, n: pa.Array, sign: int) -> pa.Array:
    days = d.cast(pa.int32()).cast(pa.int64())
    f = pc.add_checked if sign > 0 else pc.subtract_checked
    res = f(days, n.cast(pa.int64()))
    mm = pc.min_max(res)
    if mm["max"].as_py() is not None and (mm["max"].as_py() > 2_147_483_647 - 2440588 or
                                          mm["min"].as_py() < -2440588 - 4713 * 366):
        raise HeliosError("date out of range", sqlstate="22008")
    return res.cast(pa.int32()).cast(pa.date32())


def _time_add(t: pa.Array, iv: pa.Array, sign: int) -> pa.Array:
    _, _, ns = interval_fields(iv)
    us = pc.add(t.cast(pa.int64()), pc.multiply(pc.divide(ns, 1000), sign))
    tod = pc.subtract(us, pc.multiply(_floordiv(us, US_PER_DAY), US_PER_DAY))
    return tod.cast(pa.time64("us"))
