"""Hyperbolic and degree-based trigonometry, float overflow/underflow checks and the numeric
scale functions; every expected value is PostgreSQL 15's answer."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions import to_text


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    yield s
    s.close()


def row(session, sql: str) -> list[str | None]:
    r = session.execute(sql)[-1]
    out = []
    for b in r.batches:
        for i, c in enumerate(r.columns):
            out.extend(to_text(b.column(i), T.type_by_oid(c.type_oid)).to_pylist())
    return out


@pytest.mark.parametrize(("sql", "want"), [
    ("select sind(30), cosd(60), tand(45), cotd(45)", ["0.5", "0.5", "1", "1"]),
    ("select asind(0.5), acosd(0.5), atand(1), atan2d(1, 1)", ["30", "60", "45", "45"]),
    ("select sind(-720), cosd(-720), tand(-720), cotd(-720)", ["-0", "1", "0", "-Infinity"]),
    ("select sind(15), cosd(15), tand(15), cotd(15)",
     ["0.2588190451025208", "0.9659258262890683", "0.26794919243112275", "3.7320508075688767"]),
    ("select tand(90), cotd(0), tand(-90), tand(270), cotd(180)",
     ["Infinity", "Infinity", "-Infinity", "-Infinity", "-Infinity"]),
    ("select asind(-0.875), acosd(-0.875), atand(-0.875), atan2d(-7, 3)",
     ["-61.04497562814015", "151.04497562814015", "-41.18592516570965", "-66.80140948635182"]),
    ("select atan2d(3, -3), atan2d(-3, 0), atan2d(0, 0)", ["135", "-90", "0"]),
    ("select sinh(1000::float8), cosh(-1000::float8), tanh(1000::float8), asinh(0::float8)",
     ["Infinity", "Infinity", "1", "0"]),
    ("select acosh(1::float8), atanh(1), atanh(-1), atanh(0.5)",
     ["0", "Infinity", "-Infinity", "0.5493061443340548"]),
    ("select sind('NaN'), acosh('NaN'), sinh(null)", ["NaN", "NaN", None]),
    ("select exp(-740::float8), exp('-Infinity'::float8), radians(0::float8)", ["4.2e-322", "0", "0"]),
    ("select scale(1.230), min_scale(1.230), trim_scale(1.230), min_scale(100), trim_scale(-0.50)",
     ["3", "2", "1.23", "0", "-0.5"]),
    ("select factorial(5), factorial(0), factorial(20::bigint)", ["120", "1", "2432902008176640000"]),
])
def test_values_match_postgresql(session, sql, want):
    assert row(session, sql) == want


@pytest.mark.parametrize(("sql", "state", "message"), [
    ("select sind('Infinity'::float8)", "22003", "input is out of range"),
    ("select acosh(0.5)", "22003", "input is out of range"),
    ("select atanh(2)", "22003", "input is out of range"),
    ("select asind(1.5)", "22003", "input is out of range"),
    ("select degrees('1e308'::float8)", "22003", "value out of range: overflow"),
    ("select radians('1e-323'::float8)", "22003", "value out of range: underflow"),
    ("select exp(-745.2::float8)", "22003", "value out of range: underflow"),
    ("select exp(710::float8)", "22003", "value out of range: overflow"),
    ("select factorial(-1)", "22003", "factorial of a negative number is undefined"),
    ("select min_scale(2.5::float8)", "42883", "function min_scale(double precision) does not exist"),
    ("select factorial(2.5)", "42883", "function factorial(numeric) does not exist"),
])
def test_errors_match_postgresql(session, sql, state, message):
    with pytest.raises(HeliosError) as ei:
        row(session, sql)
    assert ei.value.sqlstate == state
    assert message in str(ei.value)
