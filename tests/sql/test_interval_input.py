"""Interval input as PostgreSQL 15 reads it: units inside the text, SQL qualifiers (DAY TO HOUR),
ISO 8601, unit clashes, and the range errors (22015 for a field, 22008 for the whole value).

Expected values are PostgreSQL 15's answers, written here as (months, days, microseconds).
"""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError

H = 3_600_000_000
M = 60_000_000
S = 1_000_000


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    yield s
    s.close()


def value(session, sql: str) -> tuple[int, int, int]:
    v = session.execute(sql)[0].rows()[0][0]
    return v.months, v.days, v.nanoseconds // 1000


@pytest.mark.parametrize(("literal", "expected"), [
    ("'-1 +02:03'", (0, -1, 2 * H + 3 * M)),            # a number left of a time is days
    ("'-1 days +02:03'", (0, -1, 2 * H + 3 * M)),
    ("'1.5 weeks'", (0, 10, 12 * H)),
    ("'1.5 months'", (1, 15, 0)),
    ("'1.5 hour'", (0, 0, 90 * M)),
    ("'10 years -11 month -12 days +13:14'", (109, -12, 13 * H + 14 * M)),
    ("'@ 1 minute'", (0, 0, M)),
    ("'4 millenniums 5 centuries 4 decades 1 year 4 months 4 days 17 minutes 31 seconds'",
     (54496, 4, 17 * M + 31 * S)),
    ("'100000000y 10mon -1000000000d -100000h -10min -10.000001s ago'",
     (-1200000010, 1000000000, 100000 * H + 10 * M + 10 * S + 1)),
    ("'1-2'", (14, 0, 0)),
    ("'P1Y2M3DT4H5M6S'", (14, 3, 4 * H + 5 * M + 6 * S)),
    ("'P0002-10-15T10:30:20'", (34, 15, 10 * H + 30 * M + 20 * S)),
    ("'P00021015T103020'", (34, 15, 10 * H + 30 * M + 20 * S)),
    ("'P0002-10'", (34, 0, 0)),
    ("'PT10:30'", (0, 0, 10 * H + 30 * M)),
    ("'P1.1Y0M3DT4H5M6S'", (13, 3, 4 * H + 5 * M + 6 * S)),
    ("'P10.5e4Y'", (1260000, 0, 0)),
])
def test_interval_text(session, literal: str, expected: tuple[int, int, int]) -> None:
    assert value(session, f"select interval {literal}") == expected
    assert value(session, f"select {literal}::interval") == expected


@pytest.mark.parametrize(("sql", "expected"), [
    ("interval '1' year", (12, 0, 0)),
    ("interval '1-2' year to month", (14, 0, 0)),
    ("interval '1 2' day to hour", (0, 1, 2 * H)),
    ("interval '1 2:03:04' day to hour", (0, 1, 2 * H)),       # lower fields are dropped
    ("interval '1 2:03:04' day to minute", (0, 1, 2 * H + 3 * M)),
    ("interval '1 2:03' minute to second", (0, 1, 2 * M + 3 * S)),  # h:m read as m:s
    ("interval '123 11' day to hour", (0, 123, 11 * H)),
    ("interval '12:34.5678' minute to second(2)", (0, 0, 12 * M + 34_570_000)),
    ("interval '1.234' second(2)", (0, 0, 1_230_000)),
    ("interval '1.5' hour", (0, 0, H)),                          # HOUR keeps whole hours
])
def test_sql_qualifiers(session, sql: str, expected: tuple[int, int, int]) -> None:
    assert value(session, f"select {sql}") == expected


@pytest.mark.parametrize("text", [
    "1 second 2 seconds", "10 milliseconds 20 milliseconds", "5.5 seconds 3 milliseconds",
    "1:20:05 5 microseconds", "1 day 1 day", "123 11", "123 2:03 -2:04", "", "P.Y0M3DT4H5M6S",
    "1 fortnight",
])
def test_invalid_syntax(session, text: str) -> None:
    with pytest.raises(HeliosError) as err:
        session.execute(f"select interval '{text}'")
    assert err.value.sqlstate == "22007"
    assert str(err.value) == f'invalid input syntax for type interval: "{text}"'
    assert err.value.position == len("select interval ") + 1  # at the quoted literal


@pytest.mark.parametrize(("text", "sqlstate"), [
    ("2147483648 days", "22015"), ("-2147483649 days", "22015"), ("2147483648 months", "22015"),
    ("2147483648 years", "22015"), ("2147483647 weeks", "22015"), ("1 week 2147483647 days", "22015"),
    ("2147483647 decades", "22015"), ("P2147483648", "22015"), ("9223372036854775808 microsecond", "22015"),
    ("2147483647 years", "22008"),                  # fits the field, not the interval
])
def test_range_errors(session, text: str, sqlstate: str) -> None:
    with pytest.raises(HeliosError) as err:
        session.execute(f"select interval '{text}'")
    assert err.value.sqlstate == sqlstate
    if sqlstate == "22015":
        assert str(err.value) == f'interval field value out of range: "{text}"'


@pytest.mark.parametrize("sql", [
    "select '3000000 months'::interval / 0.001",
    "select '3000000 days'::interval * 1000",
    "select justify_hours(interval '2147483647 days 24 hrs')",
    "select justify_days(interval '2147483647 months 30 days')",
    "select '256 microseconds'::interval * (2^55)::float8",
    "select interval '1 day' + interval '2147483647 days'",
])
def test_arithmetic_out_of_range_is_22008(session, sql: str) -> None:
    with pytest.raises(HeliosError) as err:
        session.execute(sql)
    assert err.value.sqlstate == "22008"
    assert str(err.value) == "interval out of range"


def test_time_part_beyond_storage_is_refused_not_wrapped(session) -> None:
    """PostgreSQL keeps 64-bit microseconds; HeliosDB's time part is 64-bit nanoseconds, so
    beyond about 2,562,047 hours it refuses (22008) rather than store a wrong value."""
    assert value(session, "select interval '2562047 hours'") == (0, 0, 2562047 * H)
    with pytest.raises(HeliosError) as err:
        session.execute("select interval '2562047788 hours'")
    assert err.value.sqlstate == "22008"
