"""Text input of integers, ISO dates and numeric(p,s) taken by Arrow's parser where its syntax is
a subset of PostgreSQL's (helios_core.sql.functions.cast._strict_parse): the values and errors
stay PostgreSQL 15's where the two parsers differ (hexadecimal, year 0, rounding, range)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture(scope="module")
def s():
    session = helios_core.connect()
    yield session
    session.close()


def one(s, sql):
    return s.execute(sql)[-1].rows()[0][0]


@pytest.mark.parametrize("sql, want", [
    ("select '+7'::int4", 7),
    ("select '007'::int2", 7),
    ("select ' 5'::int4", 5),
    ("select '-0'::int8", 0),
    ("select '-32768'::int2", -32768),
    ("select '9223372036854775807'::int8", 9223372036854775807),
    ("select '1.234'::numeric(15,2)", Decimal("1.23")),
    ("select '1e2'::numeric(15,2)", Decimal("100.00")),
    ("select '-.5'::numeric(15,2)", Decimal("-0.50")),
    ("select '2024-01-31'::date", dt.date(2024, 1, 31)),
])
def test_values(s, sql, want):
    assert one(s, sql) == want


@pytest.mark.parametrize("sql, sqlstate", [
    ("select '0x10'::int4", "22P02"),  # Arrow reads hexadecimal; PostgreSQL 15 does not
    ("select '1_000'::int4", "22P02"),
    ("select '32768'::int2", "22003"),
    ("select '99999999999'::int4", "22003"),
    ("select '9223372036854775808'::int8", "22003"),
    ("select '0000-01-01'::date", "22008"),  # no year zero
    ("select '2024-02-30'::date", "22008"),
    ("select '12345678901234.5'::numeric(15,2)", "22003"),
])
def test_errors(s, sql, sqlstate):
    with pytest.raises(HeliosError) as err:
        s.execute(sql)
    assert err.value.sqlstate == sqlstate


def test_text_into_typed_columns(s):
    s.execute("create table strict_in (a int2, b int4, c bigint, d numeric(15,2), e date)")
    s.execute("insert into strict_in select '1', '2', '3', '4.555', '2024-01-02'")
    assert s.execute("select * from strict_in")[-1].rows() == [(1, 2, 3, Decimal("4.56"), dt.date(2024, 1, 2))]


def test_timestamptz_with_offsets_in_any_session_zone(s):
    s.execute("set timezone = 'Europe/Paris'")
    try:
        rows = s.execute("select x::timestamptz = '2024-01-02 03:04:05Z'::timestamptz from (values "
                         "('2024-01-02 03:04:05+00'), ('2024-01-02 04:04:05+01:00'), ('2024-01-01 21:34:05-0530'), "
                         "('2024-01-02T03:04:05Z')) v(x)")[-1].rows()
        assert rows == [(True,)] * 4
        # without an offset the session's zone applies (Paris is UTC+1 in January)
        assert one(s, "select '2024-01-02 04:04:05'::timestamptz = '2024-01-02 03:04:05+00'::timestamptz")
        with pytest.raises(HeliosError) as err:
            s.execute("select '0000-01-02 03:04:05+00'::timestamptz")
        assert err.value.sqlstate == "22008"
    finally:
        s.execute("reset timezone")
