"""Date/time functions: now(), date_trunc, extract/date_part, age, to_char, to_timestamp,
make_*, justify_*, AT TIME ZONE.

Field extraction and truncation are Arrow temporal kernels (on local wall time for
timestamptz, in the session TimeZone). age(), to_char(), to_timestamp(text, fmt) and
justify_* are per-row Python (calendar borrow rules and template languages have no kernel).
"""

from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import HeliosError, InvalidParameterValue
from helios_core.sql import far_dates
from helios_core.sql import types as T
from helios_core.sql.functions import datetime_template, number_template, runtime
from helios_core.sql.functions import numeric_special as NS
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.functions.cast import cast, ts_to_tstz, tstz_to_ts
from helios_core.sql.functions.datetime_decode import ABBREVIATIONS
from helios_core.sql.functions.distinct_values import per_distinct
from helios_core.sql.functions.intervals import interval_fields, intervals_from_rows, make_intervals
from helios_core.sql.functions.registry import define, no_function, scalar
from helios_core.sql.functions.vec import Vec, full

US_PER_DAY = 86_400_000_000
EPOCH = dt.datetime(1970, 1, 1)


def _now_us() -> int:
    now = runtime.transaction_now()
    return int((now - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) / dt.timedelta(microseconds=1))


@scalar("now", "current_timestamp", "transaction_timestamp", nargs=(0, 1))
def _now(args: list[Vec]) -> Vec:
    us = _now_us()
    if args and args[0].value() is not None:
        p = int(args[0].value())
        unit = 10 ** (6 - min(p, 6))
        us = round(us / unit) * unit
    return Vec(pa.array([us], T.TIMESTAMPTZ.arrow_type), T.TIMESTAMPTZ, True)


@scalar("statement_timestamp", "clock_timestamp", nargs=0, volatile=True)
def _stmt_now(args: list[Vec]) -> Vec:
    now = runtime.statement_now()
    us = int((now - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) / dt.timedelta(microseconds=1))
    return Vec(pa.array([us], T.TIMESTAMPTZ.arrow_type), T.TIMESTAMPTZ, True)


@scalar("current_date", nargs=0)
def _current_date(args: list[Vec]) -> Vec:
    return cast(_now([]), T.DATE)


@scalar("localtimestamp", nargs=(0, 1))
def _localtimestamp(args: list[Vec]) -> Vec:
    return cast(_now(args), T.TIMESTAMP)


@scalar("current_time", "localtime", nargs=(0, 1))
def _current_time(args: list[Vec]) -> Vec:
    return cast(_now(args), T.TIME)


@scalar("timeofday", nargs=0, volatile=True)
def _timeofday(args: list[Vec]) -> Vec:
    return Vec.const(dt.datetime.now(dt.UTC).strftime("%a %b %d %H:%M:%S.%f %Y UTC"), T.TEXT)


# ---------------------------------------------------------------------------------- sources

def _temporal_source(v: Vec, fname: str, args: list[Vec]) -> Vec:
    if v.type.name == "unknown":
        return cast(v, T.TIMESTAMPTZ)
    if v.type.name in ("date", "timestamp", "timestamptz", "time", "interval", "timetz"):
        return v
    raise no_function(fname, args)


def _field_name(v: Vec, fname: str) -> str:
    if not v.type.is_string_family:
        raise no_function(fname, [v])
    if not v.scalar:
        distinct = pc.unique(v.array).to_pylist()
        if not distinct:  # no rows (e.g. a planner's type probe): any valid field will do
            return "day"
        if len(distinct) != 1:
            raise HeliosError(f"{fname}() with a per-row field name is not supported by HeliosDB",
                              sqlstate="0A000")
        v = Vec(pa.array(distinct, v.array.type), v.type, True)
    f = v.value()
    if f is None:
        return ""
    return str(f).strip().lower()


_FIELD_ALIASES = {
    "years": "year", "y": "year", "yr": "year", "yrs": "year", "months": "month", "mon": "month",
    "mons": "month", "days": "day", "d": "day", "hours": "hour", "h": "hour", "hr": "hour", "hrs": "hour",
    "minutes": "minute", "m": "minute", "min": "minute", "mins": "minute", "seconds": "second",
    "s": "second", "sec": "second", "secs": "second", "milliseconds": "milliseconds", "millisecond":
    "milliseconds", "ms": "milliseconds", "msec": "milliseconds", "microseconds": "microseconds",
    "microsecond": "microseconds", "us": "microseconds", "usec": "microseconds", "weeks": "week",
    "w": "week", "quarters": "quarter", "qtr": "quarter", "decades": "decade", "centuries": "century",
    "millennia": "millennium", "millenniums": "millennium", "timezone_m": "timezone_minute",
    "timezone_h": "timezone_hour",
}


def _unsupported_unit(message: str) -> HeliosError:
    """A unit that exists but not for this type: PostgreSQL's 0A000 (an unknown unit is 22023)."""
    return HeliosError(message, sqlstate="0A000")


def _canon_field(f: str) -> str:
    return _FIELD_ALIASES.get(f, f)


def _local_ts(v: Vec) -> pa.Array:
    """Wall-clock timestamp[us] of a date/timestamp/timestamptz Vec (session TimeZone)."""
    if v.type.name == "timestamptz":
        return tstz_to_ts(v.array)
    if v.type.name == "date":
        return cast(Vec(v.array, T.DATE), T.TIMESTAMP).array
    return v.array.cast(pa.timestamp("us"))


def _dec_from_scaled(ints: pa.Array, scale: int) -> pa.Array:
    """Exact decimal of ints / 10**scale (reinterpreting the unscaled integer)."""
    d = ints.cast(pa.int64()).cast(pa.decimal128(19, 0))
    if scale == 0:
        return d
    return d.view(pa.decimal128(19, scale))


def _extract_fields(field: str, v: Vec) -> tuple[pa.Array, int]:
    """(scaled integer values, scale) of one field: value = ints / 10**scale."""
    f = _canon_field(field)
    t = v.type.name
    if t == "interval":
        return _extract_interval(f, v.array)
    if t in ("time", "timetz"):
        if t == "timetz" and pa.types.is_struct(v.array.type):
            off = v.array.field("offset").cast(pa.int64())
            if f in ("timezone", "timezone_hour", "timezone_minute"):
                sign = pc.sign(off)
                part = {"timezone": off, "timezone_hour": pc.multiply(pc.divide(pc.abs(off), 3600), sign),
                        "timezone_minute": pc.multiply(pc.divide(pc.remainder(pc.abs(off), 3600), 60), sign)}[f]
                return part, 0
            if f == "epoch":  # seconds since 00:00 UTC
                return pc.subtract(v.array.field("time").cast(pa.int64()), pc.multiply(off, 1_000_000)), 6
            v = Vec(v.array.field("time"), T.TIME, v.scalar)
        us = v.array.cast(pa.int64())
        ts = us.cast(pa.timestamp("us"))
        if f in ("year", "month", "day", "dow", "doy", "week", "quarter", "epoch", "decade", "century",
                 "millennium", "isodow", "isoyear", "julian"):
            if f == "epoch":
                return us, 6
            raise _unsupported_unit(f'unit "{field}" not supported for type time without time zone')
    elif t == "date" and f in ("hour", "minute", "second", "milliseconds", "microseconds", "timezone",
                               "timezone_hour", "timezone_minute"):
        raise _unsupported_unit(f'unit "{field}" not supported for type date')
    else:
        ts = _local_ts(v)
    if f == "epoch":
        if t == "timestamptz":
            return v.array.cast(pa.int64()), 6
        if t == "date":
            return pc.divide(ts.cast(pa.int64()), 1_000_000), 0
        return ts.cast(pa.int64()), 6
    if f == "second":
        us = pc.add(pc.multiply(pc.second(ts).cast(pa.int64()), 1_000_000),
                    pc.add(pc.multiply(pc.millisecond(ts).cast(pa.int64()), 1000), pc.microsecond(ts)))
        return us, 6
    if f == "milliseconds":
        us = pc.add(pc.multiply(pc.second(ts).cast(pa.int64()), 1_000_000),
                    pc.add(pc.multiply(pc.millisecond(ts).cast(pa.int64()), 1000), pc.microsecond(ts)))
        return us, 3
    if f == "microseconds":
        us = pc.add(pc.multiply(pc.second(ts).cast(pa.int64()), 1_000_000),
                    pc.add(pc.multiply(pc.millisecond(ts).cast(pa.int64()), 1000), pc.microsecond(ts)))
        return us, 0
    if f in ("year", "isoyear"):  # Arrow counts years astronomically (0 is 1 BC); PostgreSQL has no year 0
        y = (pc.year if f == "year" else pc.iso_year)(ts).cast(pa.int64())
        return pc.if_else(pc.greater(y, 0), y, pc.subtract(y, 1)), 0
    simple = {
        "month": pc.month, "day": pc.day, "hour": pc.hour, "minute": pc.minute,
        "quarter": pc.quarter, "doy": pc.day_of_year, "week": pc.iso_week,
        "dow": lambda a: pc.day_of_week(a, count_from_zero=True, week_start=7),
        "isodow": lambda a: pc.day_of_week(a, count_from_zero=False, week_start=1),
    }
    if f in simple:
        return simple[f](ts).cast(pa.int64()), 0
    if f in ("decade", "century", "millennium"):
        y = pc.year(ts).cast(pa.int64())
        if f == "decade":
            return pc.floor(pc.divide(y.cast(pa.float64()), 10.0)).cast(pa.int64()), 0
        div = 100 if f == "century" else 1000
        # 1..100 is the first century; 100 BC..1 BC (astronomical -99..0) is century -1
        return pc.if_else(pc.greater(y, 0), pc.add(pc.divide(pc.subtract(y, 1), div), 1),
                          pc.negate(pc.divide(pc.subtract(div, y), div))), 0
    if f == "julian":
        return pc.add(_floor_days(ts.cast(pa.int64())), 2440588), 0
    if f in ("timezone", "timezone_hour", "timezone_minute"):
        if t != "timestamptz":
            raise _unsupported_unit(f'unit "{field}" not supported for type {v.type}')
        off = pc.divide(pc.subtract(ts.cast(pa.int64()), v.array.cast(pa.int64())), 1_000_000)
        if f == "timezone":
            return off, 0
        return (pc.divide(off, 3600) if f == "timezone_hour" else pc.divide(pc.remainder(off, 3600), 60)
                if hasattr(pc, "remainder") else pc.divide(off, 60)), 0
    raise InvalidParameterValue(f'unit "{field}" not recognized for type {v.type}')


def _extract_interval(f: str, arr: pa.Array) -> tuple[pa.Array, int]:
    months, days, nanos = interval_fields(arr)
    months = months.cast(pa.int64())
    days = days.cast(pa.int64())
    us = pc.divide(nanos, 1000)
    if f == "epoch":
        # PostgreSQL: 365.25 days per year, 30 days per month
        years = pc.divide(months, 12)
        rest_m = pc.subtract(months, pc.multiply(years, 12))
        total = pc.add(pc.add(pc.multiply(years, 31_557_600_000_000), pc.multiply(rest_m, 30 * US_PER_DAY)),
                       pc.add(pc.multiply(days, US_PER_DAY), us))
        return total, 6
    if f == "year":
        return pc.divide(months, 12), 0
    if f == "month":
        return pc.subtract(months, pc.multiply(pc.divide(months, 12), 12)), 0
    if f == "day":
        return days, 0
    if f == "hour":
        return pc.divide(us, 3_600_000_000), 0
    if f == "minute":
        return pc.divide(pc.subtract(us, pc.multiply(pc.divide(us, 3_600_000_000), 3_600_000_000)), 60_000_000), 0
    if f in ("second", "milliseconds", "microseconds"):
        s = pc.subtract(us, pc.multiply(pc.divide(us, 60_000_000), 60_000_000))
        return s, {"second": 6, "milliseconds": 3, "microseconds": 0}[f]
    if f == "quarter":
        return pc.add(pc.divide(pc.subtract(months, pc.multiply(pc.divide(months, 12), 12)), 3), 1), 0
    if f in ("decade", "century", "millennium"):
        return pc.divide(pc.divide(months, 12), {"decade": 10, "century": 100, "millennium": 1000}[f]), 0
    raise _unsupported_unit(f'unit "{f}" not supported for type interval')


# fields whose value at ±infinity is ±Infinity; every other field of an infinite date or timestamp is NULL
_UNBOUNDED_FIELDS = {"year", "decade", "century", "millennium", "julian", "isoyear", "epoch"}


def _infinite_rows(src: Vec) -> tuple[Vec, pa.Array, pa.Array] | None:
    """(src with its infinite values put at the epoch, +infinity rows, -infinity rows) of a date or
    timestamp that holds 'infinity' or '-infinity'; None when it holds none."""
    if src.type.name not in ("date", "timestamp", "timestamptz"):
        return None
    ints = pa.int32() if src.type.name == "date" else pa.int64()
    raw = src.array.cast(ints)
    high, low = (2**31 - 1, -(2**31)) if src.type.name == "date" else (2**63 - 1, -(2**63))
    pos = pc.fill_null(pc.equal(raw, high), False)
    neg = pc.fill_null(pc.equal(raw, low), False)
    if not pc.any(pc.or_(pos, neg)).as_py():
        return None
    finite = pc.if_else(pc.or_(pos, neg), pa.scalar(0, ints), raw).cast(src.array.type)
    return Vec(finite, src.type, src.scalar), pos, neg


def _numeric_at_infinity(out: Vec, field: str, pos: pa.Array, neg: pa.Array) -> Vec:
    """extract()'s numeric result with PostgreSQL's answer on infinite rows: ±Infinity for the
    unbounded fields, NULL for the others."""
    inf = pc.or_(pos, neg)
    values = out.array
    if _canon_field(field) not in _UNBOUNDED_FIELDS:
        return Vec(pc.if_else(inf, pa.scalar(None, values.type), values), out.type, out.scalar)
    kinds = pc.if_else(pos, pa.scalar(NS.POS_INF, pa.int8()),
                       pc.if_else(neg, pa.scalar(NS.NEG_INF, pa.int8()), pa.scalar(NS.FINITE, pa.int8())))
    return Vec(NS.make(values, kinds, values.is_valid()), out.type, out.scalar)


def _float_at_infinity(out: pa.Array, field: str, pos: pa.Array, neg: pa.Array) -> pa.Array:
    """date_part()'s float8 result on infinite rows (as _numeric_at_infinity)."""
    if _canon_field(field) not in _UNBOUNDED_FIELDS:
        return pc.if_else(pc.or_(pos, neg), pa.scalar(None, pa.float64()), out)
    return pc.if_else(pos, float("inf"), pc.if_else(neg, float("-inf"), out))


def _per_field_value(fname: str, impl, at: int = 0):
    """A function of (field, value, ...) that also takes a field name (argument ``at``) varying per
    row, such as a column of unit or zone names: the rows of each distinct name are computed
    together and put back in order."""
    def run(args: list[Vec]) -> Vec:
        if len(args) <= at:
            return impl(args)
        names = args[at]
        if names.scalar or not names.type.is_string_family or len(names.array) == 0:
            return impl(args)
        n = len(names.array)
        parts, positions = [], []
        for name in pc.unique(names.array.drop_null()).to_pylist():
            rows = pc.indices_nonzero(pc.fill_null(pc.equal(names.array, name), False))
            sub = [a if a.scalar else Vec(pc.take(a.array, rows), a.type, False) for a in args]
            sub[at] = Vec(pa.array([name], names.array.type), names.type, True)
            out = impl(sub)
            parts.append(out.array if not out.scalar else pa.repeat(out.array[0], len(rows)))
            positions.append(rows)
        null_rows = pc.indices_nonzero(names.array.is_null())
        if not parts:  # every name NULL
            sub = list(args)
            sub[at] = Vec(pa.array([None], names.array.type), names.type, True)
            return impl(sub).broadcast(n)
        parts.append(pa.nulls(len(null_rows), parts[0].type))
        positions.append(null_rows)
        combined = pa.concat_arrays([p.cast(parts[0].type) for p in parts])
        order = pc.sort_indices(pa.concat_arrays([p.cast(pa.uint64()) for p in positions]))
        assert len(order) == n
        return Vec(pc.take(combined, order), out.type, False)

    run.__name__ = f"_{fname}_per_field"
    return run


@scalar("extract", nargs=2)
def _extract(args: list[Vec]) -> Vec:
    field = _field_name(args[0], "extract")
    src = _temporal_source(args[1], "extract", args)
    return per_distinct(src, lambda values: _extract_of(field, values))


def _extract_of(field: str, src: Vec) -> Vec:
    infinite = _infinite_rows(src)
    if infinite is not None:
        src = infinite[0]
    if _canon_field(field) == "julian" and src.type.name in ("timestamp", "timestamptz"):
        out = _julian_of_timestamp(src)
    else:
        ints, scale = _extract_fields(field, src)
        out = Vec(_dec_from_scaled(ints, scale), T.NUMERIC, src.scalar)
    return out if infinite is None else _numeric_at_infinity(out, field, infinite[1], infinite[2])


def _floor_days(us: pa.Array) -> pa.Array:
    """Whole days since 1970 of microsecond counts, rounded down (exact for any timestamp)."""
    days = pc.divide(us, US_PER_DAY)
    return pc.subtract(days, pc.cast(pc.greater(pc.multiply(days, US_PER_DAY), us), pa.int64()))


def _julian_of_timestamp(src: Vec) -> Vec:
    """Julian day with the time of day as a fraction (numeric division, PostgreSQL's scale)."""
    from helios_core.sql.functions.operators import binary_op

    us = _local_ts(src).cast(pa.int64())
    days = _floor_days(us)
    tod = pc.subtract(us, pc.multiply(days, US_PER_DAY))
    # PostgreSQL divides the microseconds of the day by those of a whole day, both scale 0
    frac = binary_op("/", Vec(_dec_from_scaled(tod, 0), T.NUMERIC, src.scalar),
                     Vec(_dec_from_scaled(pa.array([US_PER_DAY], pa.int64()), 0), T.NUMERIC, True))
    whole = Vec(pc.add(days, 2440588), T.INT8, src.scalar)
    return binary_op("+", whole, frac)


def _date_part_one(args: list[Vec]) -> Vec:
    field = _field_name(args[0], "date_part")
    src = _temporal_source(args[1], "date_part", args)
    return per_distinct(src, lambda values: _date_part_of(field, values))


def _date_part_of(field: str, src: Vec) -> Vec:
    if src.type.name == "date":
        src = cast(src, T.TIMESTAMP)
    infinite = _infinite_rows(src)
    if infinite is not None:
        src = infinite[0]
    if _canon_field(field) == "julian":  # the time of day is a fraction of the Julian day
        us = _local_ts(src).cast(pa.int64())
        days = _floor_days(us)
        out = pc.add(pc.add(days, 2440588).cast(pa.float64()),
                     pc.divide(pc.subtract(us, pc.multiply(days, US_PER_DAY)).cast(pa.float64()), float(US_PER_DAY)))
    else:
        ints, scale = _extract_fields(field, src)
        as_float = ints.cast(pa.float64(), safe=False)  # past 2^53 microseconds: rounded, as PostgreSQL's float8
        out = pc.divide(as_float, float(10 ** scale)) if scale else as_float
    if infinite is not None:
        out = _float_at_infinity(out, field, infinite[1], infinite[2])
    return Vec(out, T.FLOAT8, src.scalar)


define("date_part", _per_field_value("date_part", _date_part_one), nargs=2)


# ---------------------------------------------------------------------------------- date_trunc

_TRUNC_UNITS = {"microseconds": "microsecond", "milliseconds": "millisecond", "second": "second",
                "minute": "minute", "hour": "hour", "day": "day", "week": "week", "month": "month",
                "quarter": "quarter", "year": "year"}


def _date_trunc_one(args: list[Vec]) -> Vec:
    field = _canon_field(_field_name(args[0], "date_trunc"))
    src = _temporal_source(args[1], "date_trunc", args)
    if len(args) == 3 and not args[2].scalar:  # a zone per row: not a function of the value alone
        return _date_trunc_of(field, src, args)
    return per_distinct(src, lambda values: _date_trunc_of(field, values, args))


def _date_trunc_of(field: str, src: Vec, args: list[Vec]) -> Vec:
    if src.type.name == "date":
        src = cast(src, T.TIMESTAMPTZ)
    if src.type.name == "interval":
        return _trunc_interval(field, src)
    if src.type.name not in ("timestamp", "timestamptz"):
        raise no_function("date_trunc", args)
    tz_ctx = None
    if len(args) == 3:
        tz_ctx = args[2].value()
    with runtime.use(timezone=tz_ctx) if tz_ctx else _nullctx():
        local = _local_ts(src)
        out = _trunc_local(field, local)
        if src.type.name == "timestamptz":
            out = ts_to_tstz(out)
    return Vec(out, src.type.base, src.scalar)


define("date_trunc", _per_field_value("date_trunc", _date_trunc_one), nargs=(2, 3))


class _nullctx:
    def __enter__(self):
        return None

    def __exit__(self, *a):
        return False


def _trunc_local(field: str, ts: pa.Array) -> pa.Array:
    if field in _TRUNC_UNITS:
        unit = _TRUNC_UNITS[field]
        if unit == "microsecond":
            return ts
        return pc.floor_temporal(ts, unit=unit, week_starts_monday=True)
    if field in ("decade", "century", "millennium"):
        from helios_core.sql.functions.datetime_ops import days_from_civil

        y = pc.year(ts).cast(pa.int64())
        if field == "decade":
            ny = pc.multiply(pc.floor(pc.divide(y.cast(pa.float64()), 10.0)).cast(pa.int64()), 10)
        else:
            size = 100 if field == "century" else 1000
            ny = pc.add(pc.multiply(pc.divide(pc.subtract(y, 1), size), size), 1)
        days = days_from_civil(ny, pa.repeat(pa.scalar(1, pa.int64()), len(ts)),
                               pa.repeat(pa.scalar(1, pa.int64()), len(ts)))
        return pc.multiply(days, US_PER_DAY).cast(pa.timestamp("us"))
    raise InvalidParameterValue(f'unit "{field}" not recognized for type timestamp without time zone')


def _trunc_interval(field: str, v: Vec) -> Vec:
    m, d, ns = interval_fields(v.array)
    us = pc.divide(ns, 1000)
    order = ["microseconds", "milliseconds", "second", "minute", "hour", "day", "month", "year", "decade",
             "century", "millennium"]
    if field not in order:
        raise _unsupported_unit(f'unit "{field}" not supported for type interval')
    lvl = order.index(field)
    unit_us = {"milliseconds": 1000, "second": 1_000_000, "minute": 60_000_000, "hour": 3_600_000_000}
    if field in unit_us:
        us = pc.multiply(pc.divide(us, unit_us[field]), unit_us[field])
    elif lvl >= order.index("day"):
        us = pc.multiply(us, 0)
    if lvl >= order.index("month"):
        d = pc.multiply(d, 0)
    if lvl >= order.index("year"):
        size = {"year": 12, "decade": 120, "century": 1200, "millennium": 12000}[field]
        m = pc.multiply(pc.divide(m, size), size)
    return Vec(make_intervals(m, d, pc.multiply(us, 1000)), T.INTERVAL, v.scalar)


# ------------------------------------------------------------------------------------- age

_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def _dim(y: int, m: int) -> int:
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    return 29 if m == 2 and leap else _DAYS[m - 1]


def age_parts(a: dt.datetime, b: dt.datetime) -> tuple[int, int, int]:
    """PostgreSQL's timestamp_age(a, b) as (months, days, micros)."""
    neg = a < b
    f = [a.microsecond - b.microsecond, a.second - b.second, a.minute - b.minute, a.hour - b.hour,
         a.day - b.day, a.month - b.month, a.year - b.year]
    if neg:
        f = [-x for x in f]
    us, sec, mi, hr, mday, mon, yr = f
    while us < 0:
        us += 1_000_000
        sec -= 1
    while sec < 0:
        sec += 60
        mi -= 1
    while mi < 0:
        mi += 60
        hr -= 1
    while hr < 0:
        hr += 24
        mday -= 1
    while mday < 0:
        ref = a if neg else b
        mday += _dim(ref.year, ref.month)
        mon -= 1
    while mon < 0:
        mon += 12
        yr -= 1
    if neg:
        us, sec, mi, hr, mday, mon, yr = (-x for x in (us, sec, mi, hr, mday, mon, yr))
    return yr * 12 + mon, mday, ((hr * 60 + mi) * 60 + sec) * 1_000_000 + us


@scalar("age", nargs=(1, 2))
def _age(args: list[Vec]) -> Vec:
    vs = [_temporal_source(a, "age", args) for a in args]
    if any(v.type.name not in ("date", "timestamp", "timestamptz") for v in vs):
        raise no_function("age", args)
    if len(vs) == 1:
        today = cast(_now([]), T.DATE)
        first = cast(today, T.TIMESTAMP if vs[0].type.name != "timestamptz" else T.TIMESTAMPTZ)
        vs = [first, vs[0]]
    tz = any(v.type.name == "timestamptz" for v in vs)
    locs = [Vec(_local_ts(v), T.TIMESTAMP, v.scalar) for v in vs]
    del tz
    (a, b), all_scalar = full(locs)
    # Per-row Python: PostgreSQL's field-wise borrow rules
    out = []
    for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True):
        if x is None or y is None:
            out.append(None)
            continue
        mo, d, us = age_parts(x, y)
        out.append((mo, d, us * 1000))
    return Vec(pa.array(out, pa.month_day_nano_interval()), T.INTERVAL, all_scalar)


# -------------------------------------------------------------------------------- make_*

def _ints(args: list[Vec], fname: str) -> list[Vec]:
    return [cast(a, T.INT4) if a.type.name in ("int2", "int8", "unknown", "numeric") else a for a in args]


def _days_of(y: int, m: int, d: int) -> int:
    """Days since 1970 of a year (negative: BC, as make_date takes it), month and day; 22008 when
    there is no such date."""
    year = y if y > 0 else y + 1  # -44 is 44 BC, astronomical -43; there is no year 0
    if y == 0 or not 1 <= m <= 12 or not 1 <= d <= _month_length(year, m):
        raise HeliosError(f"date field value out of range: {y}-{m:02d}-{d:02d}", sqlstate="22008")
    days = far_dates.days_from_civil(year, m, d)
    if not far_dates.DATE_MIN_DAYS <= days <= far_dates.DATE_MAX_DAYS:
        raise HeliosError(f"date out of range: {y}-{m:02d}-{d:02d}", sqlstate="22008")
    return days


def _month_length(year: int, month: int) -> int:
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 29 if month == 2 and leap else _DAYS[month - 1]


@scalar("make_date", "date_from_parts", nargs=3)
def _make_date(args: list[Vec]) -> Vec:
    arrays, s = full(_ints(args, "make_date"))
    out = [None if None in row else _days_of(*row) for row in zip(*(a.to_pylist() for a in arrays), strict=True)]
    return Vec(pa.array(out, pa.int32()).cast(pa.date32()), T.DATE, s)


def _time_micros(h: int, mi: int, sec: float) -> int:
    """Microseconds of a time of day from make_time/make_timestamp's fields (24:00:00 at most)."""
    micros = (h * 3600 + mi * 60) * 1_000_000 + round(sec * 1_000_000)
    if not (0 <= h <= 24 and 0 <= mi < 60 and 0 <= sec <= 60) or micros > US_PER_DAY:
        seconds = f"{sec:g}".rjust(2, "0")  # C's %02g
        raise HeliosError(f"time field value out of range: {h}:{mi:02d}:{seconds}", sqlstate="22008")
    return micros


def _make_ts_py(y, mo, d, h, mi, sec) -> int:
    return _days_of(y, mo, d) * US_PER_DAY + _time_micros(h, mi, sec)


@scalar("make_timestamp", "timestamp_from_parts", nargs=6)
def _make_timestamp(args: list[Vec]) -> Vec:
    ints = _ints(args[:5], "make_timestamp") + [cast(args[5], T.FLOAT8)]
    arrays, s = full(ints)
    out = []
    for row in zip(*(a.to_pylist() for a in arrays), strict=True):
        out.append(None if None in row else _make_ts_py(*row))
    return Vec(pa.array(out, pa.int64()).cast(pa.timestamp("us")), T.TIMESTAMP, s)


def _make_timestamptz(args: list[Vec]) -> Vec:
    ts = _make_timestamp(args[:6])
    if len(args) == 7:
        # the zone argument reads like a timestamp literal's: a bare offset is ISO (east of UTC)
        if args[6].value() is None:
            return Vec.null(T.TIMESTAMPTZ) if ts.scalar else Vec(pa.nulls(len(ts.array), pa.timestamp("us", tz="UTC")),
                                                                   T.TIMESTAMPTZ, False)
        zone = _offset_or_named_zone(str(args[6].value()))
        with runtime.use(timezone=zone):
            return Vec(ts_to_tstz(ts.array), T.TIMESTAMPTZ, ts.scalar)
    return Vec(ts_to_tstz(ts.array), T.TIMESTAMPTZ, ts.scalar)


define("make_timestamptz", _per_field_value("make_timestamptz", _make_timestamptz, at=6), nargs=(6, 7))


@scalar("make_time", "time_from_parts", nargs=3)  # sqlglot: make_time -> TimeFromParts
def _make_time(args: list[Vec]) -> Vec:
    ints = _ints(args[:2], "make_time") + [cast(args[2], T.FLOAT8)]
    arrays, s = full(ints)
    out = []
    for h, m, sec in zip(*(a.to_pylist() for a in arrays), strict=True):
        if None in (h, m, sec):
            out.append(None)
            continue
        out.append(_time_micros(h, m, sec))
    return Vec(pa.array(out, pa.int64()).cast(pa.time64("us")), T.TIME, s)


@scalar("make_interval", nargs=(0, 7))
def _make_interval(args: list[Vec]) -> Vec:
    """make_interval(years, months, weeks, days, hours, mins, secs) (positional)."""
    vals = list(args) + [Vec.const(0, T.INT4)] * (7 - len(args))
    vals = _ints(vals[:6], "make_interval") + [cast(vals[6], T.FLOAT8)]
    arrays, s = full(vals)
    out = []
    for y, mo, w, d, h, mi, sec in zip(*(a.to_pylist() for a in arrays), strict=True):
        if None in (y, mo, w, d, h, mi, sec):
            out.append(None)
            continue
        us = (h * 3600 + mi * 60) * 1_000_000 + round(sec * 1_000_000)
        out.append((y * 12 + mo, w * 7 + d, us * 1000))
    return Vec(pa.array(out, pa.month_day_nano_interval()), T.INTERVAL, s)


# ------------------------------------------------------------------------------- justify

def _justify(kind: str, months: int, days: int, us: int) -> tuple[int, int, int]:
    if kind in ("hours", "interval"):
        whole = int(us / US_PER_DAY)
        us -= whole * US_PER_DAY
        days += whole
    if kind in ("days", "interval"):
        whole = int(days / 30)
        days -= whole * 30
        months += whole
    if kind in ("days", "interval"):
        if months > 0 and (days < 0 or (kind == "interval" and days == 0 and us < 0)):
            days += 30
            months -= 1
        elif months < 0 and (days > 0 or (kind == "interval" and days == 0 and us > 0)):
            days -= 30
            months += 1
    if kind in ("hours", "interval"):
        if days > 0 and us < 0:
            us += US_PER_DAY
            days -= 1
        elif days < 0 and us > 0:
            us -= US_PER_DAY
            days += 1
    return months, days, us


def _make_justify(kind: str):
    @scalar("justify_" + kind)
    def impl(args: list[Vec]) -> Vec:
        v = cast(args[0], T.INTERVAL) if args[0].type.name == "unknown" else args[0]
        if v.type.name != "interval":
            raise no_function("justify_" + kind, args)
        # Per-row Python: sign fix-ups between fields
        out = []
        for x in v.array.to_pylist():
            if x is None:
                out.append(None)
                continue
            out.append(_justify(kind, x.months, x.days, x.nanoseconds // 1000))
        return Vec(intervals_from_rows(out), T.INTERVAL, v.scalar)

    return impl


for _k in ("hours", "days", "interval"):
    _make_justify(_k)


@scalar("isfinite")
def _isfinite(args: list[Vec]) -> Vec:
    v = args[0]
    if v.type.name in ("date", "timestamp", "timestamptz"):  # 'infinity' and '-infinity' are not finite
        infinite = _infinite_rows(v)
        if infinite is not None:
            return Vec(pc.if_else(v.array.is_valid(), pc.invert(pc.or_(infinite[1], infinite[2])),
                                  pa.scalar(None, pa.bool_())), T.BOOL, v.scalar)
    return Vec(pc.if_else(v.array.is_valid(), True, pa.scalar(None, pa.bool_())), T.BOOL, v.scalar)


# ---------------------------------------------------------------------------- AT TIME ZONE

def _timezone_one(args: list[Vec]) -> Vec:
    """timezone(zone, ts) = ts AT TIME ZONE zone."""
    zone = args[0]
    src = args[1]
    if src.type.name == "unknown":
        src = cast(src, T.TIMESTAMPTZ)
    if src.type.name == "date":
        src = cast(src, T.TIMESTAMPTZ)
    if not zone.scalar and len(zone.array) == 0:  # no rows (a planner's type probe): any zone will do
        zone = Vec(pa.array(["UTC"]), T.TEXT, True)
    if not zone.scalar:
        raise HeliosError("AT TIME ZONE with a per-row interval is not supported by HeliosDB", sqlstate="0A000")
    z = zone.value()
    if z is None:
        return Vec.null(T.TIMESTAMP)
    if zone.type.name == "interval":
        v = zone.value()
        z = _fixed_zone(v.days * 86400 + v.nanoseconds // 1_000_000_000)
    else:
        z = _abbreviated_zone(str(z))
    with runtime.use(timezone=str(z)):
        if src.type.name == "timestamptz":
            return Vec(tstz_to_ts(src.array), T.TIMESTAMP, src.scalar)
        if src.type.name == "timestamp":
            return Vec(ts_to_tstz(src.array), T.TIMESTAMPTZ, src.scalar)
    raise no_function("timezone", args)


define("timezone", _per_field_value("timezone", _timezone_one), nargs=2)


def _offset_or_named_zone(text: str) -> str:
    """make_timestamptz's zone: a numeric offset east of UTC ('+1', '+10:00:01', '+1000' for
    hhmm), an abbreviation of the default set, or a zone name."""
    m = re.fullmatch(r"\s*([+-])(\d+)(?::(\d*))?(?::(\d*))?\s*", text)
    if m is None:
        return _abbreviated_zone(text)
    digits = m.group(2)
    if m.group(3) is None and len(digits) > 2:  # +hhmm
        hours, minutes, seconds = int(digits[:-2]), int(digits[-2:]), 0
    else:
        hours, minutes, seconds = int(digits), int(m.group(3) or 0), int(m.group(4) or 0)
    if hours > 15 or minutes > 59 or seconds > 59:
        raise InvalidParameterValue(f'numeric time zone "{text}" out of range')
    east = (hours * 3600 + minutes * 60 + seconds) * (-1 if m.group(1) == "-" else 1)
    return _fixed_zone(east)


def _abbreviated_zone(name: str) -> str:
    """AT TIME ZONE reads a zone abbreviation of PostgreSQL's default set before a zone name: 'PST'
    is UTC-8 whatever the date; a dynamic one ('MSK') follows the zone it stands for."""
    meaning = ABBREVIATIONS.get(name.strip().lower())
    if meaning is None:
        return name
    if isinstance(meaning, str):
        return meaning
    return _fixed_zone(meaning[0])


def _fixed_zone(secs: int) -> str:
    """A fixed offset (seconds east of UTC) as a POSIX zone string ('<+05:00>-05:00')."""
    sign = "-" if secs < 0 else "+"
    secs = abs(secs)
    hhmm = f"{secs // 3600:02d}:{(secs % 3600) // 60:02d}" + (f":{secs % 60:02d}" if secs % 60 else "")
    return f"<{sign}{hhmm}>{'+' if sign == '-' else '-'}{hhmm}"


# --------------------------------------------------------------------------------- to_char

def _fmt_interval(months: int, days: int, us: int, fmt: str) -> str:
    """to_char(interval): HH24 counts all hours of the time part (36:00:00), fields keep signs."""
    neg = us < 0
    a = -us if neg else us
    hours, rem = divmod(a, 3_600_000_000)
    mins, rem = divmod(rem, 60_000_000)
    secs, micros = divmod(rem, 1_000_000)
    def signed(v: int) -> str:  # each field carries the interval's sign, as PostgreSQL's tm fields do
        return f"-{v:02d}" if neg and v else f"{v:02d}"

    years, mons = int(months / 12), months - int(months / 12) * 12
    values = {"HH24": signed(hours), "HH12": signed((hours % 12) or 12), "HH": signed((hours % 12) or 12),
              "MI": signed(mins), "SS": signed(secs), "MS": f"{micros // 1000:03d}", "US": f"{micros:06d}",
              "DD": f"{days:02d}", "D": str(days), "MM": f"{mons:02d}", "YYYY": f"{years:04d}", "Y": str(years)}
    out = []
    i = 0
    keys = sorted(values, key=len, reverse=True)
    while i < len(fmt):
        if fmt[i] == '"':
            j = fmt.find('"', i + 1)
            j = len(fmt) if j < 0 else j
            out.append(fmt[i + 1:j])
            i = j + 1
            continue
        k = next((k for k in keys if fmt.upper().startswith(k, i)), None)
        if k:
            out.append(values[k])
            i += len(k)
        else:
            out.append(fmt[i])
            i += 1
    return "".join(out)


def _zone_abbrev(tzname: str, local: dt.datetime, offset_s: int) -> str:
    """The zone abbreviation PostgreSQL prints for TZ ('UTC', 'EST', or '+05' for bare offsets)."""
    from helios_core.sql.functions.text_out import session_tz_info

    if tzname.upper() in ("UTC", "GMT", "Z", "ETC/UTC"):
        return tzname.upper() if tzname.upper() != "ETC/UTC" else "UTC"
    zone = session_tz_info(tzname)
    if isinstance(zone, dt.timezone):
        return _offset_abbrev(offset_s)
    return zone.tzname(local) or _offset_abbrev(offset_s)  # tzdata's own abbreviation ('EST', '+1030')


def _offset_abbrev(off: int) -> str:
    sign = "-" if off < 0 else "+"
    off = abs(off)
    s = f"{sign}{off // 3600:02d}"
    if off % 3600:
        s += f":{(off % 3600) // 60:02d}"
    return s


@scalar("to_char", nargs=2)
def _to_char(args: list[Vec]) -> Vec:
    src, fmt = args
    fmt = cast(fmt, T.TEXT)
    if src.type.name == "unknown":
        src = cast(src, T.TIMESTAMPTZ)
    tname = src.type.name
    if tname in ("timestamp", "timestamptz", "date"):
        infinite = _infinite_rows(src)  # to_char of ±infinity is NULL
        if infinite is not None:
            src = infinite[0]
        local = Vec(_local_ts(src), T.TIMESTAMP, src.scalar)
        (a, f), all_scalar = full([local, fmt])
        offsets = None
        if tname == "timestamptz":
            offsets = pc.divide(pc.subtract(local.broadcast(len(a)).array.cast(pa.int64()),
                                            src.broadcast(len(a)).array.cast(pa.int64())), 1_000_000).to_pylist()
        tzname = runtime.timezone()
        out = []
        for i, (x, ff) in enumerate(zip(a.cast(pa.int64()).to_pylist(), f.to_pylist(), strict=True)):
            if x is None or ff is None or (infinite is not None and (infinite[1][i].as_py() or
                                                                     infinite[2][i].as_py())):
                out.append(None)
                continue
            offset = offsets[i] if offsets else 0

            def zone(x=x, offset=offset) -> tuple[str, int]:
                return _zone_abbrev(tzname, datetime_template.Moment.of(x).python(), offset), offset

            out.append(datetime_template.format_moment(x, ff, zone))
        return Vec(pa.array(out, pa.string()), T.TEXT, all_scalar)
    if tname == "interval":
        (a, f), all_scalar = full([src, fmt])
        out = []
        for x, ff in zip(a.to_pylist(), f.to_pylist(), strict=True):
            if x is None or ff is None:
                out.append(None)
                continue
            out.append(_fmt_interval(x.months, x.days, x.nanoseconds // 1000, ff))
        return Vec(pa.array(out, pa.string()), T.TEXT, all_scalar)
    if src.type.is_numeric_family:
        kind = "int4" if tname in ("int2", "int4") else "int8" if tname == "int8" else tname if tname in ("float4", "float8") else "numeric"
        num = cast(src, T.NUMERIC) if kind == "numeric" else src
        (a, f), all_scalar = full([num, fmt])
        if kind != "numeric":
            values = a.to_pylist()
        elif NW.is_wide(a):  # past Arrow's 76 digits
            values = NW.to_decimals(a)
        else:
            values = NS.to_python(a)  # numeric NaN and ±Infinity too
        out = [None if x is None or ff is None else number_template.format_number(x, ff, kind)
               for x, ff in zip(values, f.to_pylist(), strict=True)]
        return Vec(pa.array(out, pa.string()), T.TEXT, all_scalar)
    raise no_function("to_char", args)


# ------------------------------------------------------------------------- to_timestamp

_PARSE_TOKENS = {
    "YYYY": r"(?P<Y>\d{4})", "YY": r"(?P<y2>\d{2})", "MM": r"(?P<M>\d{1,2})", "DD": r"(?P<D>\d{1,2})",
    "HH24": r"(?P<H>\d{1,2})", "HH12": r"(?P<h>\d{1,2})", "HH": r"(?P<h>\d{1,2})", "MI": r"(?P<mi>\d{1,2})",
    "SS": r"(?P<S>\d{1,2})", "MS": r"(?P<ms>\d{1,3})", "US": r"(?P<us>\d{1,6})",
    "AM": r"(?P<ap>[AaPp]\.?[Mm]\.?)", "PM": r"(?P<ap>[AaPp]\.?[Mm]\.?)",
    "MONTH": r"(?P<mon>[A-Za-z]+)", "MON": r"(?P<mon>[A-Za-z]{3})", "DAY": r"[A-Za-z]+", "DY": r"[A-Za-z]{3}",
    "DDD": r"(?P<doy>\d{1,3})", "TZ": r"(?P<tz>[A-Za-z]+)", "OF": r"(?P<of>[+-]\d{1,2}(?::?\d{2})?)",
}


def _format_regex(fmt: str) -> re.Pattern:
    out = []
    i = 0
    up = fmt.upper()
    keys = sorted(_PARSE_TOKENS, key=len, reverse=True)
    while i < len(fmt):
        if up.startswith("FM", i):
            i += 2
            continue
        k = next((k for k in keys if up.startswith(k, i)), None)
        if k:
            out.append(_PARSE_TOKENS[k])
            i += len(k)
        elif fmt[i] == '"':
            j = fmt.find('"', i + 1)
            out.append(re.escape(fmt[i + 1:j]))
            i = j + 1
        elif fmt[i].isspace():
            out.append(r"\s*")
            i += 1
        else:
            out.append(r"\s*" + re.escape(fmt[i]) + r"?\s*" if not fmt[i].isalnum() else re.escape(fmt[i]))
            i += 1
    return re.compile(r"^\s*" + "".join(out), re.IGNORECASE)


def _parse_with_format(txt: str, fmt: str) -> tuple[dt.datetime, int | None]:
    m = _format_regex(fmt).match(txt)
    if not m:
        raise HeliosError(f'invalid value "{txt}" for "{fmt}"', sqlstate="22007")
    g = {k: v for k, v in m.groupdict().items() if v is not None}
    y = int(g["Y"]) if "Y" in g else (2000 + int(g["y2"]) if int(g["y2"]) < 70 else 1900 + int(g["y2"])) \
        if "y2" in g else 1
    if "mon" in g:
        name = g["mon"][:3].lower()
        mo = next((i + 1 for i, n in enumerate(datetime_template.MONTHS) if n[:3].lower() == name), None)
        if mo is None:
            raise HeliosError(f'invalid value "{g["mon"]}" for "Mon"', sqlstate="22007")
    else:
        mo = int(g.get("M", 1))
    d = int(g.get("D", 1))
    h = int(g.get("H", g.get("h", 0)))
    if "ap" in g and "h" in g:
        h = h % 12 + (12 if g["ap"].lower().startswith("p") else 0)
    us = int(g.get("us", "0").ljust(6, "0")) if "us" in g else int(g.get("ms", "0").ljust(3, "0")) * 1000
    try:
        res = dt.datetime(y, mo, d, h, int(g.get("mi", 0)), int(g.get("S", 0)), us)
    except ValueError as e:
        raise HeliosError(f"date/time field value out of range: {e}", sqlstate="22008") from None
    if "doy" in g:
        res = dt.datetime(y, 1, 1) + dt.timedelta(days=int(g["doy"]) - 1)
    off = None
    if "of" in g:
        o = g["of"]
        sign = -1 if o[0] == "-" else 1
        parts = o[1:].replace(":", "")
        off = sign * (int(parts[:2]) * 3600 + (int(parts[2:4]) * 60 if len(parts) > 2 else 0))
    return res, off


@scalar("to_timestamp", nargs=(1, 2))
def _to_timestamp(args: list[Vec]) -> Vec:
    if len(args) == 1:
        v = cast(args[0], T.FLOAT8)
        a = v.array
        if pc.any(pc.fill_null(pc.is_nan(a), False)).as_py():
            raise HeliosError("timestamp cannot be NaN", sqlstate="22008")
        infinite = pc.fill_null(pc.is_inf(a), False)
        finite = pc.if_else(infinite, 0.0, a)
        low, high = far_dates.TS_MIN_US / 1e6, (far_dates.TS_MAX_US + 1) / 1e6
        outside = pc.fill_null(pc.or_(pc.less(finite, low), pc.greater_equal(finite, high)), False)
        if pc.any(outside).as_py():
            seconds = pc.filter(finite, outside)[0].as_py()
            raise HeliosError(f'timestamp out of range: "{seconds:g}"', sqlstate="22008")
        us = pc.round(pc.multiply(finite, 1e6)).cast(pa.int64())
        us = pc.if_else(infinite, pc.if_else(pc.greater(a, 0), far_dates.TS_INFINITY, far_dates.TS_NEG_INFINITY), us)
        return Vec(us.cast(pa.timestamp("us", tz="UTC")), T.TIMESTAMPTZ, v.scalar)
    s, f = (cast(a, T.TEXT) for a in args)
    (a, b), all_scalar = full([s, f])
    out = []
    # Per-row Python: template-driven parsing
    for x, ff in zip(a.to_pylist(), b.to_pylist(), strict=True):
        if x is None or ff is None:
            out.append(None)
            continue
        local, off = _parse_with_format(x, ff)
        us = int((local - EPOCH) / dt.timedelta(microseconds=1))
        if off is not None:
            out.append(us - off * 1_000_000)
        else:
            out.append(("local", us))
    local_idx = [i for i, v in enumerate(out) if isinstance(v, tuple)]
    if local_idx:
        loc = pa.array([out[i][1] for i in local_idx], pa.int64()).cast(pa.timestamp("us"))
        conv = ts_to_tstz(loc).cast(pa.int64()).to_pylist()
        for i, c in zip(local_idx, conv, strict=True):
            out[i] = c
    return Vec(pa.array(out, pa.int64()).cast(pa.timestamp("us", tz="UTC")), T.TIMESTAMPTZ, all_scalar)


@scalar("to_date", nargs=2)
def _to_date(args: list[Vec]) -> Vec:
    s, f = (cast(a, T.TEXT) for a in args)
    (a, b), all_scalar = full([s, f])
    out = []
    for x, ff in zip(a.to_pylist(), b.to_pylist(), strict=True):
        out.append(None if x is None or ff is None else _parse_with_format(x, ff)[0].date())
    return Vec(pa.array(out, pa.date32()), T.DATE, all_scalar)


@scalar("date_bin", nargs=3)
def _date_bin(args: list[Vec]) -> Vec:
    """date_bin(stride, source, origin): the start of the stride-wide bin, counted from origin, that
    holds source, in exact integer microseconds as PostgreSQL (each row its own stride)."""
    src = _temporal_source(args[1], "date_bin", args)
    if src.type.name not in ("timestamp", "timestamptz"):
        raise no_function("date_bin", args)
    stride, origin = cast(args[0], T.INTERVAL), cast(args[2], src.type)
    (st, a, o), all_scalar = full([stride, src, origin])
    months, days, nanos = interval_fields(st)
    ai, oi = a.cast(pa.int64()), o.cast(pa.int64())
    infinite = pc.is_in(ai, value_set=pa.array([far_dates.TS_INFINITY, far_dates.TS_NEG_INFINITY], pa.int64()))
    if pc.any(pc.is_in(oi, value_set=pa.array([far_dates.TS_INFINITY, far_dates.TS_NEG_INFINITY],
                                               pa.int64()))).as_py():
        raise HeliosError("origin out of range", sqlstate="22008")
    if pc.any(pc.and_(pc.not_equal(months, 0), pc.invert(infinite))).as_py():
        raise HeliosError("timestamps cannot be binned into intervals containing months or years",
                          sqlstate="0A000")
    try:
        step = pc.add_checked(pc.multiply_checked(days.cast(pa.int64()), US_PER_DAY), pc.divide(nanos, 1000))
        step = pc.if_else(infinite, 1, step)
        diff = pc.subtract_checked(pc.if_else(infinite, oi, ai), oi)
    except pa.ArrowInvalid:
        raise HeliosError("interval out of range", sqlstate="22008") from None
    if pc.any(pc.less_equal(step, 0)).as_py():
        raise HeliosError("stride must be greater than zero", sqlstate="22023")
    whole = pc.divide(diff, step)  # truncated toward zero: one bin earlier below the origin
    whole = pc.subtract(whole, pc.cast(pc.greater(pc.multiply(whole, step), diff), pa.int64()))
    try:
        out = pc.add_checked(oi, pc.multiply_checked(whole, step))
    except pa.ArrowInvalid:
        raise HeliosError("timestamp out of range", sqlstate="22008") from None
    if pc.any(pc.or_(pc.less(out, far_dates.TS_MIN_US), pc.greater(out, far_dates.TS_MAX_US))).as_py():
        raise HeliosError("timestamp out of range", sqlstate="22008")
    return Vec(pc.if_else(infinite, ai, out).cast(a.type), src.type, all_scalar)
