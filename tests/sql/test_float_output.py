"""extra_float_digits: 1 (the default) prints the shortest exact digits, 0 or less rounds to
6 (real) / 15 (double precision) significant digits plus the setting, as PostgreSQL 15 does."""

from __future__ import annotations

import pytest

from helios_core.engine import Engine


@pytest.fixture
def session():
    return Engine.open(None).connect()


def _text(session, sql: str) -> tuple:
    return session.execute(sql)[-1].rows()[0]


def test_rounded_float_output(session):
    sql = ("select 0.091189064::real::text, (1.0/3)::float8::text, 'NaN'::float4::text, 1e20::float8::text, "
           "'-Infinity'::float8::text")
    assert _text(session, sql) == ("0.091189064", "0.3333333333333333", "NaN", "1e+20", "-Infinity")
    session.execute("set extra_float_digits = 0")
    assert _text(session, sql) == ("0.0911891", "0.333333333333333", "NaN", "1e+20", "-Infinity")
    session.execute("set extra_float_digits = -3")
    assert _text(session, "select 0.091189064::real::text, (1.0/3)::float8::text") == ("0.0912", "0.333333333333")
    session.execute("reset extra_float_digits")
    assert _text(session, "select 0.091189064::real::text") == ("0.091189064",)
