"""Date/time arithmetic and functions (PostgreSQL 15 answers; session TimeZone respected)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions import Vec, binary_op, call_function, cast, runtime, to_text
from helios_core.sql.functions import number_literal as N
from helios_core.sql.functions import string_literal as L


def shown(v: Vec) -> str | None:
    return to_text(v.array, v.type).to_pylist()[0]


def typed(text: str, typename: str) -> Vec:
    return cast(L(text), T.type_from_name(typename))


def f(name: str, *args: Vec) -> str | None:
    return shown(call_function(name, list(args)))


D, TS, TSTZ, IV, TM = "date", "timestamp", "timestamptz", "interval", "time"


@pytest.mark.parametrize(("a", "o", "b", "want"), [
    ((("2024-01-31", D)), "+", N("1"), "2024-02-01"),
    (("2024-03-01", D), "-", ("2024-01-01", D), "60"),
    (("2024-01-31", D), "+", ("1 month", IV), "2024-02-29 00:00:00"),
    (("2024-01-31 10:00", TS), "+", ("1 mon 1 day 1 hour", IV), "2024-03-01 11:00:00"),
    (("2024-03-01", TS), "-", ("2024-01-01 10:00", TS), "59 days 14:00:00"),
    (("2024-01-01 00:00+00", TSTZ), "-", ("1 day", IV), "2023-12-31 00:00:00+00"),
    (("1 day", IV), "*", N("1.5"), "1 day 12:00:00"),
    (("1 mon", IV), "/", N("3"), "10 days"),
    (("1 day 2 hours", IV), "+", ("3 hours", IV), "1 day 05:00:00"),
    (("23:00", TM), "+", ("2 hours", IV), "01:00:00"),
    (("10:00", TM), "-", ("08:30", TM), "01:30:00"),
    (("2024-01-01", D), "+", ("10:30", TM), "2024-01-01 10:30:00"),
    (("2024-01-01", TS), "-", ("2023-12-25", D), "7 days"),
    (("2 hours", IV), "*", N("2"), "04:00:00"),
    (("2024-02-29", D), "-", ("1 year", IV), "2023-02-28 00:00:00"),
    (("2024-01-01 10:00", TS), "+", L("1 day"), "2024-01-02 10:00:00"),
])
def test_datetime_arithmetic(a, o, b, want):
    left = typed(*a) if isinstance(a, tuple) else a
    right = typed(*b) if isinstance(b, tuple) else b
    assert shown(binary_op(o, left, right)) == want


def test_date_plus_unknown_is_ambiguous_like_postgres():
    with pytest.raises(HeliosError) as e:
        binary_op("-", typed("2024-01-01", D), L("1 day"))
    assert e.value.sqlstate == "42725"


def test_interval_arithmetic_over_columns():
    ts = Vec.of(pa.array([dt.datetime(2024, 1, 31), None, dt.datetime(2023, 12, 31, 23, 59)], pa.timestamp("us")),
                T.TIMESTAMP)
    out = binary_op("+", ts, typed("1 mon 1 minute", IV))
    assert to_text(out.array, out.type).to_pylist() == ["2024-02-29 00:01:00", None, "2024-02-01 00:00:00"]


def test_timestamptz_arithmetic_crosses_dst_in_local_time():
    with runtime.use(timezone="America/New_York"):
        t = typed("2024-03-09 12:00", TSTZ)
        assert shown(binary_op("+", t, typed("1 day", IV))) == "2024-03-10 12:00:00-04"
        assert shown(binary_op("+", t, typed("24 hours", IV))) == "2024-03-10 13:00:00-04"
        assert f("date_trunc", L("day"), typed("2024-03-10 12:00", TSTZ)) == "2024-03-10 00:00:00-05"
        assert f("extract", L("hour"), typed("2024-01-01 00:00+00", TSTZ)) == "19"
        assert f("to_char", typed("2024-01-01 00:00+00", TSTZ), L("YYYY-MM-DD HH24 TZ")) == "2023-12-31 19 EST"
        assert f("timezone", L("UTC"), typed("2024-01-01 12:00", TS)) == "2024-01-01 07:00:00-05"
        assert f("timezone", L("Asia/Tokyo"), typed("2024-01-01 12:00+00", TSTZ)) == "2024-01-01 21:00:00"


@pytest.mark.parametrize(("name", "args", "want"), [
    ("extract", (L("year"), ("2024-01-02 03:04:05.5", TS)), "2024"),
    ("extract", (L("second"), ("2024-01-02 03:04:05.5", TS)), "5.500000"),
    ("extract", (L("epoch"), ("2024-01-02 03:04:05.5", TS)), "1704164645.500000"),
    ("extract", (L("dow"), ("2024-01-02", D)), "2"),
    ("extract", (L("epoch"), ("1 day 2 hours", IV)), "93600.000000"),
    ("extract", (L("hour"), ("26 hours", IV)), "26"),
    ("extract", (L("month"), ("14 months", IV)), "2"),
    ("extract", (L("julian"), ("2024-01-01", D)), "2460311"),
    ("extract", (L("week"), ("2024-01-01", D)), "1"),
    ("extract", (L("milliseconds"), ("10:00:01.5", TM)), "1500.000"),
    ("extract", (L("quarter"), ("2024-08-01", D)), "3"),
    ("extract", (L("isodow"), ("2024-01-07", D)), "7"),
    ("extract", (L("doy"), ("2024-12-31", D)), "366"),
    ("extract", (L("century"), ("2000-12-31", D)), "20"),
    ("date_part", (L("year"), ("2024-01-02", TS)), "2024"),
    ("date_trunc", (L("month"), ("2024-03-15", D)), "2024-03-01 00:00:00+00"),
    ("date_trunc", (L("week"), ("2024-03-15 10:00", TS)), "2024-03-11 00:00:00"),
    ("date_trunc", (L("hour"), ("2024-03-15 10:47:12", TS)), "2024-03-15 10:00:00"),
    ("date_trunc", (L("quarter"), ("2024-05-15", TS)), "2024-04-01 00:00:00"),
    ("date_trunc", (L("decade"), ("2024-05-15", TS)), "2020-01-01 00:00:00"),
    ("date_trunc", (L("hour"), ("1 day 02:34:56", IV)), "1 day 02:00:00"),
    ("age", (("2024-03-15", TS), ("2023-01-31 10:00", TS)), "1 year 1 mon 14 days 14:00:00"),
    ("age", (("2023-01-31", TS), ("2024-03-15", TS)), "-1 years -1 mons -15 days"),
    ("to_char", (("2024-01-02 15:04:05.123", TS), L("YYYY-MM-DD HH24:MI:SS.MS Mon Month Dy Day HH12 AM FMDD DDD Q")),
     "2024-01-02 15:04:05.123 Jan January   Tue Tuesday   03 PM 2 002 1"),
    ("to_char", (N("1234.5"), L("9999.99")), " 1234.50"),
    ("to_char", (N("1234.5"), L("FM9,999.00")), "1,234.50"),
    ("to_char", (N("-12"), L("999")), " -12"),
    ("to_char", (N("0.5"), L("0.99")), " 0.50"),
    ("to_timestamp", (L("2024-01-02 10:00"), L("YYYY-MM-DD HH24:MI")), "2024-01-02 10:00:00+00"),
    ("to_date", (L("02 Jan 2024"), L("DD Mon YYYY")), "2024-01-02"),
    ("to_timestamp", (N("1704164645.5"),), "2024-01-02 03:04:05.5+00"),
    ("make_date", (N("2024"), N("2"), N("29")), "2024-02-29"),
    ("make_time", (N("8"), N("15"), N("23.5")), "08:15:23.5"),
    ("make_interval", (N("0"), N("0"), N("0"), N("3"), N("2")), "3 days 02:00:00"),
    ("make_timestamp", (N("2024"), N("1"), N("2"), N("3"), N("4"), N("5.5")), "2024-01-02 03:04:05.5"),
    ("justify_hours", (("27 hours", IV),), "1 day 03:00:00"),
    ("justify_days", (("35 days", IV),), "1 mon 5 days"),
    ("justify_interval", (("1 mon -1 hour", IV),), "29 days 23:00:00"),
])
def test_datetime_functions(name, args, want):
    vs = [typed(*a) if isinstance(a, tuple) else a for a in args]
    assert f(name, *vs) == want


def test_now_is_the_transaction_clock():
    fixed = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
    with runtime.use(now=fixed):
        assert f("now") == "2024-05-06 07:08:09.123456+00"
        assert f("current_date") == "2024-05-06"
        assert f("localtimestamp") == "2024-05-06 07:08:09.123456"
        assert f("current_timestamp", N("0")) == "2024-05-06 07:08:09+00"
        assert f("age", typed("2000-05-06", TS)) == "24 years"
    with runtime.use(now=fixed, timezone="Asia/Tokyo"):
        assert f("now") == "2024-05-06 16:08:09.123456+09"
        assert f("current_date") == "2024-05-06"


def test_datetime_errors():
    with pytest.raises(HeliosError) as e:
        call_function("extract", [L("hour"), typed("2024-01-01", D)])
    assert e.value.sqlstate == "0A000"  # a unit this type lacks; an unknown unit is 22023 (below)
    with pytest.raises(HeliosError) as e:
        call_function("make_date", [N("2023"), N("2"), N("29")])
    assert e.value.sqlstate == "22008"
    with pytest.raises(HeliosError) as e:
        call_function("date_trunc", [L("fortnight"), typed("2024-01-01", TS)])
    assert e.value.sqlstate == "22023"


@pytest.mark.parametrize(("value", "fmt", "want"), [
    ("0", "9999", "    0"), ("0.5", "99.9", "   .5"), ("0", "99.9", "   .0"), ("0", "FM9999.00", ".00"),
    ("-0.01", "S999", "  +0"), ("123456", "99.9", " ##.#"), ("-123456", "99.9", "-##.#"), ("0.5", "0.99", " 0.50"),
    ("-0.5", "9.99", " -.50"), ("5", "FM999", "5"), ("1234.5", "9,999.99", " 1,234.50"), ("12", "0000", " 0012"),
    ("-12", "FM9999", "-12"), ("3.14159", "FM999.999", "3.142"), ("3", "FM999.999", "3."), ("0", "FM999.999", "0."),
    ("-7", "S999", "  -7"), ("7", "999S", "  7+"), ("-7", "999MI", "  7-"), ("-7", "999PR", "  <7>"),
    ("99999", "999,999", "  99,999"), ("5", "999,999", "       5"),
])
def test_to_char_number_layout(value, fmt, want):
    assert f("to_char", N(value), L(fmt)) == want


@pytest.mark.parametrize(("iv", "want"), [("36 hours", "36:00:00"), ("2 days 3 hours", "03:00:00"),
                                          ("-1 hour -30 minutes", "-01:-30:00"), ("-25 hours", "-25:00:00")])
def test_to_char_interval(iv, want):
    assert f("to_char", typed(iv, IV), L("HH24:MI:SS")) == want


def test_julian_of_timestamp_is_fractional():
    assert f("extract", L("julian"), typed("1999-12-28 13:45:30.5", TS)) == "2451541.57326967592592592593"


@pytest.mark.parametrize(("sql", "expected"), [
    ("select make_interval(days => 10)::text", "10 days"),
    ("select make_interval(1, hours => 2, secs => 1.5)::text", "1 year 02:00:01.5"),
    ("select make_interval(weeks => 1)::text", "7 days"),
    ("select make_date(year => 2024, month => 2, day => 29)::text", "2024-02-29"),
    ("select make_timestamptz(2024, 1, 2, 3, 4, 5.5, timezone => 'UTC')::text", "2024-01-02 03:04:05.5+00"),
])
def test_date_time_constructors_take_named_arguments(sql, expected):
    """PostgreSQL's own parameter names (make_interval's left out ones are 0), answers from PostgreSQL 15."""
    import helios_core

    session = helios_core.connect()
    session.execute("set timezone = 'UTC'")
    assert session.execute(sql)[0].rows() == [(expected,)]
    with pytest.raises(HeliosError, match=r"function make_interval\(nope => \?\) does not exist"):
        session.execute("select make_interval(nope => 1)")
