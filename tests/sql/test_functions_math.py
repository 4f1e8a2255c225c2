"""Math functions: PostgreSQL's overloads (int -> double precision), exact numeric results,
domain errors (2201E/2201F), greatest/least, and plugin-registered functions."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlFunction
from helios_core.sql import types as T
from helios_core.sql.functions import Vec, call_function, cast, common_type, register_function, to_text
from helios_core.sql.functions import number_literal as N
from helios_core.sql.functions import string_literal as L


def shown(v: Vec) -> str | None:
    return to_text(v.array, v.type).to_pylist()[0]


def f(name: str, *args: Vec) -> Vec:
    return call_function(name, list(args))


@pytest.mark.parametrize(("name", "args", "want", "typ"), [
    ("ceil", ("5",), "5", "double precision"), ("round", ("5",), "5", "double precision"),
    ("abs", ("-5",), "5", "integer"), ("sign", ("-5",), "-1", "double precision"),
    ("sqrt", ("4",), "2", "double precision"), ("power", ("2", "3"), "8", "double precision"),
    ("mod", ("7", "2"), "1", "integer"), ("round", ("2.345", "2"), "2.35", "numeric"),
    ("round", ("-2.5",), "-3", "numeric"), ("trunc", ("-2.7",), "-2", "numeric"),
    ("round", ("1234.5", "-2"), "1200", "numeric"), ("trunc", ("1.999", "1"), "1.9", "numeric"),
    ("log", ("100",), "2", "double precision"), ("exp", ("1",), "2.718281828459045", "double precision"),
    ("ln", ("2.0",), "0.6931471805599453", "numeric"), ("exp", ("1.0",), "2.7182818284590452", "numeric"),
    ("sqrt", ("2.0",), "1.414213562373095", "numeric"), ("sqrt", ("2",), "1.4142135623730951", "double precision"),
    ("log", ("2.0", "8"), "3.0000000000000000", "numeric"), ("div", ("7.5", "2"), "3", "numeric"),
    ("width_bucket", ("5.35", "0.024", "10.06", "5"), "3", "integer"), ("ceil", ("-1.5",), "-1", "numeric"),
    ("abs", ("-1.50",), "1.50", "numeric"), ("round", ("9.995", "2"), "10.00", "numeric"),
    ("floor", ("-1.5",), "-2", "numeric"), ("gcd", ("12", "18"), "6", "integer"), ("lcm", ("4", "6"), "12", "integer"),
    ("greatest", ("1", "2.5", "-3"), "2.5", "numeric"), ("least", ("3", "1", "2"), "1", "integer"),
])
def test_math(name, args, want, typ):
    v = f(name, *[N(a) for a in args])
    assert shown(v) == want
    assert v.type.sql_name() == typ


def test_float_rounding_is_half_even():
    assert shown(f("round", cast(N("2.5"), T.FLOAT8))) == "2"
    assert shown(f("round", cast(N("3.5"), T.FLOAT8))) == "4"


def test_pi_random_and_greatest_with_nulls():
    assert shown(f("pi")) == "3.141592653589793"
    r = f("random").value()
    assert 0.0 <= r < 1.0
    assert shown(f("greatest", Vec.null(), N("2"))) == "2"
    assert shown(f("least", L("b"), L("a"))) == "a"


@pytest.mark.parametrize(("name", "args", "state"), [
    ("sqrt", ("-1",), "2201F"), ("ln", ("0",), "2201E"), ("ln", ("-1.0",), "2201E"), ("log", ("0",), "2201E"),
    ("mod", ("1", "0"), "22012"), ("abs", ("-2147483648",), "22003"), ("width_bucket", ("1", "0", "0", "2"), "2201G"),
])
def test_math_errors(name, args, state):
    with pytest.raises(HeliosError) as e:
        f(name, *[N(a) if a != "-2147483648" else cast(N(a), T.INT4) for a in args])
    assert e.value.sqlstate == state


def test_columns_are_vectorized_and_keep_nulls():
    col = Vec.of(pa.array([1.44, None, 9.0]), T.FLOAT8)
    assert f("sqrt", col).to_pylist() == [1.2, None, 3.0]
    ints = Vec.of(pa.array([-3, None, 4], pa.int64()), T.INT8)
    assert f("abs", ints).to_pylist() == [3, None, 4]


def test_common_type_rules():
    assert common_type([T.INT4, T.NUMERIC]) == T.NUMERIC
    assert common_type([T.INT4, T.FLOAT8, T.UNKNOWN]) == T.FLOAT8
    assert common_type([T.UNKNOWN, T.UNKNOWN]) == T.TEXT
    assert common_type([T.VARCHAR, T.TEXT]) == T.TEXT
    assert common_type([T.DATE, T.TIMESTAMP]) == T.TIMESTAMP
    assert common_type([T.TIMESTAMP, T.TIMESTAMPTZ]) == T.TIMESTAMPTZ
    assert common_type([T.type_from_name("numeric(10,2)"), T.type_from_name("numeric(10,2)")]).typmod != -1
    with pytest.raises(HeliosError) as e:
        common_type([T.INT4, T.TEXT], "CASE")
    assert (e.value.sqlstate, e.value.message) == ("42804", "CASE types integer and text cannot be matched")


def test_register_plugin_function():
    register_function(SqlFunction(name="double_it", impl=lambda a: pc.multiply(a[0], 2), return_type="bigint",
                                  arg_types=["bigint"]))
    col = Vec.of(pa.array([1, None, 21], pa.int32()), T.INT4)
    out = call_function("double_it", [col])
    assert out.type == T.INT8
    assert out.to_pylist() == [2, None, 42]
    assert shown(call_function("DOUBLE_IT", [N("5")])) == "10"


def test_misc_functions():
    assert shown(f("pg_typeof", N("1.5"))) == "numeric"
    assert shown(f("pg_typeof", cast(L("x"), T.type_from_name("varchar(3)")))) == "character varying"
    u = f("gen_random_uuid")
    assert u.type == T.UUID and len(shown(u)) == 36
    assert shown(f("encode", cast(L("\\x48656c6c6f"), T.BYTEA), L("base64"))) == "SGVsbG8="
    assert shown(f("decode", L("SGVsbG8="), L("base64"))) == "\\x48656c6c6f"
    assert shown(f("encode", cast(L("\\x00ff41"), T.BYTEA), L("escape"))) == "\\000\\377A"
    assert shown(f("coalesce", Vec.null(), N("2"))) == "2"
    assert shown(f("nullif", N("1"), N("1"))) is None
    assert shown(f("nullif", N("1"), N("2"))) == "1"
    assert shown(f("num_nulls", Vec.null(), N("1"), Vec.null())) == "2"
    assert shown(f("md5", cast(L("\\x616263"), T.BYTEA))) == "900150983cd24fb0d6963f7d28e17f72"


def test_numeric_transcendentals_round_each_value_at_postgres_scale():
    col = Vec.of(pa.array([0, 3.33, -7.5, 0.05, 99999999.99]).cast(pa.decimal128(10, 2)), T.type_from_name("numeric(10,2)"))
    x = call_function("abs", [col])
    from helios_core.sql.functions import binary_op

    x = binary_op("+", x, N("1"))
    import decimal

    got = [decimal.Decimal(v) for v in to_text(f("ln", x).array, T.NUMERIC).to_pylist()]
    want = ["0.0000000000000000", "1.4655675420143985", "2.1400661634962708", "0.048790164169432003",
            "18.420680753852365"]
    assert got == [decimal.Decimal(w) for w in want]
    got = [decimal.Decimal(v) for v in to_text(f("log", N("10"), x).array, T.NUMERIC).to_pylist()]
    want = ["0", "0.6364878963533654", "0.9294189257142927", "0.021189299069938073", "8.000000004299515"]
    assert got == [decimal.Decimal(w) for w in want]


def test_float_edge_functions():
    assert shown(f("cbrt", N("27"))) == "3.0000000000000004"
    assert shown(f("cbrt", N("2"))) == "1.2599210498948734"
    assert shown(f("degrees", cast(N("1.0"), T.FLOAT8))) == "57.29577951308232"
    with pytest.raises(HeliosError) as e:
        f("sin", cast(L("Infinity"), T.FLOAT8))
    assert e.value.sqlstate == "22003"
    assert shown(f("power", N("0"), cast(N("0"), T.NUMERIC))) == "1.0000000000000000"
