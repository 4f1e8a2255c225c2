"""extra_float_digits: 1 (the default) prints the shortest exact digits, 0 or less rounds to
6 (real) / 15 (double precision) significant digits plus the setting, as PostgreSQL 15 does."""

from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from helios_core.engine import Engine
from helios_core.sql.functions import text_out


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


VALUES = [0.0, -0.0, 1.0, -1.5, 0.1, 1e-4, 1.2345e-5, -3e-7, 123456.0, 1234567.0, 98765432.1, 1e14, 1.5e15,
          -2.5e16, 1e100, 1.7976931348623157e308, 5e-324, math.inf, -math.inf, math.nan, None, 0.30000000000000004]


@pytest.mark.parametrize(("arrow_type", "fixed_below"), [(pa.float64(), 15), (pa.float32(), 6)])
def test_a_few_values_print_as_many_do(arrow_type, fixed_below):
    """A few values (value by value in Python) and many (Arrow kernels) give the same texts."""
    values = pa.array(VALUES, arrow_type)
    many = text_out.float_text(pa.concat_arrays([values] * 3), fixed_below).to_pylist()[:len(VALUES)]
    assert len(values) <= text_out.FLOAT_TEXT_PER_VALUE_ROWS < 3 * len(values)
    few = [text_out._float_text_one(x, fixed_below, text_out._FLOAT8_DIFFERS if fixed_below == 15
                                    else text_out._FLOAT4_DIFFERS) if x is not None else None
           for x in pc.cast(values, pa.string()).to_pylist()]
    assert text_out.float_text(values, fixed_below).to_pylist() == few == many
    assert many[:4] == ["0", "-0", "1", "-1.5"]


def test_values_near_the_fixed_notation_edges_print_as_one_by_one():
    """Arrays whose magnitudes all lie in [1e-4, 1e10) skip the layout regex; values at and just
    past either edge (and arrays with one such value) print as the value-by-value rules do."""
    edges = [1e-4, math.nextafter(1e-4, 0), math.nextafter(1e-4, 1), 1e10, math.nextafter(1e10, 0),
             9999999999.999998, 0.00010000000000000002, 123.456, -0.0, 0.0]
    inside = [x for x in edges if x == 0 or 1e-4 <= abs(x) < 1e10]
    for values in ([*inside, None] * 5, [*edges, None] * 5, [-x for x in inside] * 6):
        arr = pa.array(values, pa.float64())
        reference = [text_out._float_text_one(x, 15, text_out._FLOAT8_DIFFERS) if x is not None else None
                     for x in pc.cast(arr, pa.string()).to_pylist()]
        assert text_out.float_text(arr, 15).to_pylist() == reference
