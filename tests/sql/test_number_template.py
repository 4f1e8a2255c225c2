"""to_char(number, template) as PostgreSQL 15 lays it out (functions.number_template): literal text
and quoted strings kept, RN, TH, V, EEEE, L, PL/SG/MI/S/PR, FM, blanks for a lone integer zero,
'#' on overflow, NaN and infinities, each number type's own digits. Every expected value below is
what PostgreSQL 15.18 printed for the same call; tests/differential/test_to_char_numbers.py
compares many more with a live PostgreSQL where one is installed."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError

CASES = [
    ("0.5::numeric", "0.00%", " 0.50%"),
    ("12", '999"pct"', "  12pct"),
    ("3.14159", '9.99 "rad"', " 3.14 rad"),
    ("485", "RN", "        CDLXXXV"),
    ("1994", "FMRN", "MCMXCIV"),
    ("7", "FMrn", "vii"),
    ("12", "FM99th", "12th"),
    ("1", "9TH", " 1ST"),
    ("23", "FM99TH", "23RD"),
    ("123.45", "L999.99", "  123.45"),
    ("12345", "9.99EEEE", " 1.23e+04"),
    ("9.999", "9.99EEEE", " 10.00e+00"),
    ("12345::float8", "9.99EEEE", " 1.23e+04"),
    ("12.4", "99V9", " 124"),
    ("-12", "SG99", "-12"),
    ("12", "PL99", "+ 12"),
    ("-0.1", "FM9.99", "-.1"),
    ("0", "FM9.99", "0."),
    ("1234.5", "$9,999.00", "$ 1,234.50"),
    ("0.5", "$9,999.00", "$      .50"),
    ("5", "00009", " 00005"),
    ("-5", "9999MI", "   5-"),
    ("42", "x99y", "x 42y"),
    ("7.5", "9.9 ab", " 7.5 a"),
    ("1e9", "999", " ###"),
    ("100", "FM999.", "100"),
    ("12345.678", "99G999D99", " 12,345.68"),
    ("-3", "000PR", "<003>"),
    ("3", "FM000PR", "003"),
    ("-1234.5", "9,999.99PR", "<1,234.50>"),
    ("0.05", ".99", " .##"),
    ("-2.5", "9", "-3"),
    ("-12.3", "S999.9", " -12.3"),
    ("12", "999S", " 12+"),
    ("-0.5", "9.0", " -.5"),
    ("0.5", "FM999.990", ".500"),
    ("1234567.891", "FM$999,999,990.00", "$1,234,567.89"),
    ("-42.5", "FM$999,999,990.00", "$-42.50"),
    ("0", "FM$999,999,990.00", "$0.00"),
    ("1.5::float4", "9.999999", " 1.50000"),
    ("'NaN'::numeric", "999.9", " NaN"),
    ("'NaN'::numeric", "9.99", " #.##"),
    ("'-Infinity'::numeric", "9.99", "-#.##"),
    ("'Infinity'::float8", "9.9", " #.#"),
    ("'NaN'::float8", "9999.99", "  NaN"),
    ("12::int2", "9V99", " ###"),
    ("123456789012345678::int8", "9.99EEEE", " 1.23e+17"),
    ("2147483647", "9.99EEEE", " 2.15e+09"),
    ("-0.001::float8", "9.99", " -.00"),
    ("-0.001", "9.99", "  .00"),
    ("1e100::numeric", "9.99EEEE", " 1.00e+100"),
]

ERRORS = [
    ("1", "9.9.9", "42601"),  # multiple decimal points
    ("1", "99V9.9", "42601"),  # V and a decimal point
    ("1", "SS99", "42601"),  # S twice
    ("1", "S99PR", "42601"),  # PR with S
    ("1", "9EEEEPR", "42601"),  # EEEE not last
    ("1", "PR9", "42601"),  # 9 after PR
    ("1", "FM9EEEE", "42601"),  # EEEE with FM
    ("0.5", "th", "22P02"),  # an ordinal of '.'
    ("'Infinity'::numeric", "RN", "0A000"),  # Roman numerals of infinity
]


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    yield s
    s.close()


def _one(session, sql: str):
    return list(session.execute(sql))[-1].rows()[0][0]


@pytest.mark.parametrize("value, template, want", CASES)
def test_to_char_lays_numbers_out_as_postgres(session, value, template, want):
    assert _one(session, f"SELECT to_char({value}, '{template}')") == want


@pytest.mark.parametrize("value, template, sqlstate", ERRORS)
def test_to_char_refuses_what_postgres_refuses(session, value, template, sqlstate):
    with pytest.raises(HeliosError) as err:
        _one(session, f"SELECT to_char({value}, '{template}')")
    assert err.value.sqlstate == sqlstate


def test_to_char_over_a_column_with_nulls(session):
    rows = list(session.execute(
        "SELECT to_char(x, 'FM$999,999,990.00') FROM (VALUES (1234567.891), (NULL), (-42.5)) v(x)"))[-1].rows()
    assert rows == [("$1,234,567.89",), (None,), ("$-42.50",)]
