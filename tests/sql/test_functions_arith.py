"""Arithmetic operators: PostgreSQL's result types, integer overflow (22003), division by
zero (22012), float semantics, and exact numeric (TPC-H Q1 never leaves decimals)."""

from __future__ import annotations

import decimal

import pyarrow as pa
import pytest

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions import Vec, binary_op, cast, to_text, unary_op
from helios_core.sql.functions import number_literal as N
from helios_core.sql.functions import string_literal as L


def shown(v: Vec) -> str | None:
    return to_text(v.array, v.type).to_pylist()[0]


def op(a: Vec, o: str, b: Vec) -> Vec:
    return binary_op(o, a, b)


def typed(text: str, typename: str) -> Vec:
    return cast(L(text), T.type_from_name(typename))


def state_of(fn) -> str:
    with pytest.raises(HeliosError) as e:
        fn()
    return e.value.sqlstate


@pytest.mark.parametrize(("a", "o", "b", "result", "typ"), [
    ("7", "/", "2", "3", "integer"), ("-7", "/", "2", "-3", "integer"), ("7", "%", "-3", "1", "integer"),
    ("-7", "%", "3", "-1", "integer"), ("2", "^", "10", "1024", "double precision"),
    ("1.0", "/", "3", "0.33333333333333333333", "numeric"), ("2.50", "*", "1.1", "2.750", "numeric"),
    ("10.5", "-", "0.25", "10.25", "numeric"), ("5", "%", "2.5", "0.0", "numeric"),
    ("5", "/", "2.0", "2.5000000000000000", "numeric"), ("10", "+", "1.5", "11.5", "numeric"),
    ("2.0", "^", "3", "8.0000000000000000", "numeric"),
])
def test_literal_arithmetic(a, o, b, result, typ):
    v = op(N(a), o, N(b))
    assert shown(v) == result
    assert v.type.sql_name() == typ


def test_result_types_follow_promotion():
    assert op(typed("1", "int2"), "+", typed("1", "int2")).type == T.INT2
    assert op(typed("1", "int2"), "+", typed("1", "int8")).type == T.INT8
    assert op(N("1"), "+", typed("1.5", "real")).type == T.FLOAT8
    assert op(typed("1.5", "real"), "*", typed("2", "real")).type == T.FLOAT4
    assert op(typed("1.5", "real"), "+", N("1.5")).type == T.FLOAT8
    assert op(N("1"), "+", L("2")).type == T.INT4  # unknown literal takes the other side's type


@pytest.mark.parametrize(("a", "o", "b", "message"), [
    (("2147483647", "int"), "+", ("1", "int"), "integer out of range"),
    (("-2147483648", "int"), "/", ("-1", "int"), "integer out of range"),
    (("9223372036854775807", "bigint"), "*", ("2", "int"), "bigint out of range"),
    (("32767", "int2"), "+", ("1", "int2"), "smallint out of range"),
    (("-9223372036854775808", "bigint"), "-", ("1", "int"), "bigint out of range"),
])
def test_integer_overflow_is_22003(a, o, b, message):
    with pytest.raises(HeliosError) as e:
        op(typed(*a), o, typed(*b))
    assert (e.value.sqlstate, e.value.message) == ("22003", message)


def test_overflow_detected_inside_columns():
    col = Vec.of(pa.array([1, 2, 2147483647, None], pa.int32()), T.INT4)
    assert state_of(lambda: op(col, "+", N("1"))) == "22003"
    assert op(col, "*", N("0")).to_pylist() == [0, 0, 0, None]
    assert state_of(lambda: unary_op("-", typed("-2147483648", "int"))) == "22003"


@pytest.mark.parametrize(("a", "o", "b"), [("1", "/", "0"), ("1.5", "/", "0"), ("5", "%", "0"),
                                           ("1.5", "%", "0.0")])
def test_division_by_zero_is_22012(a, o, b):
    with pytest.raises(HeliosError) as e:
        op(N(a), o, N(b))
    assert (e.value.sqlstate, e.value.message) == ("22012", "division by zero")


def test_division_by_zero_float_and_null_rows():
    assert state_of(lambda: op(typed("1", "float8"), "/", typed("0", "float8"))) == "22012"
    col = Vec.of(pa.array([None, 4], pa.int32()), T.INT4)
    div = Vec.of(pa.array([0, 2], pa.int32()), T.INT4)
    assert op(col, "/", div).to_pylist() == [None, 2]  # strict: a NULL row never divides


def test_min_int_modulo_minus_one_is_zero():
    assert shown(op(typed("-2147483648", "int"), "%", typed("-1", "int"))) == "0"


def test_float_semantics():
    assert shown(op(typed("0.1", "float8"), "+", typed("0.2", "float8"))) == "0.30000000000000004"
    assert shown(op(typed("NaN", "float8"), "=", typed("NaN", "float8"))) == "t"
    assert shown(op(typed("NaN", "float8"), ">", typed("1e308", "float8"))) == "t"
    assert shown(op(typed("Infinity", "float8"), "*", N("2"))) == "Infinity"
    assert state_of(lambda: op(typed("1e308", "float8"), "*", N("10"))) == "22003"
    assert shown(op(typed("1e-5", "float8"), "*", typed("1e-300", "float8"))) == "1.0000000000000001e-305"
    assert state_of(lambda: op(typed("0", "float8"), "^", N("-1"))) == "2201F"
    assert state_of(lambda: op(typed("-8", "float8"), "^", typed("0.5", "float8"))) == "2201F"
    assert state_of(lambda: op(typed("1.5", "float8"), "%", N("1"))) == "42883"


def test_operator_resolution_errors():
    assert state_of(lambda: op(N("1"), "+", L("a"))) == "22P02"
    assert state_of(lambda: op(L("a"), "+", L("b"))) == "42725"
    assert state_of(lambda: op(N("1"), "+", Vec.const(True, T.BOOL))) == "42883"
    with pytest.raises(HeliosError) as e:
        op(N("1"), "+", Vec.const(True, T.BOOL))
    assert e.value.message == "operator does not exist: integer + boolean"


def test_numeric_is_exact_beyond_decimal128():
    big = op(typed("9223372036854775807", "numeric"), "+", N("1"))
    assert shown(big) == "9223372036854775808"
    prod = op(N("123456789012345678901234567890.12"), "*", N("98765432109876543210.98"))
    assert shown(prod) == "12193263113702179522617558295481414418287658588617.5176"
    assert shown(op(N("2"), "/", typed("3", "numeric(10,4)"))) == "0.66666666666666666667"


def test_tpch_q1_expression_stays_exact_decimal128():
    n = 10_000
    price = pa.array([decimal.Decimal("104949.50") - i for i in range(n)], pa.decimal128(15, 2))
    disc = pa.array([decimal.Decimal("0.04") + decimal.Decimal(i % 7) / 100 for i in range(n)], pa.decimal128(15, 2))
    tax = pa.array([decimal.Decimal("0.02") + decimal.Decimal(i % 5) / 100 for i in range(n)], pa.decimal128(15, 2))
    t = T.type_from_name("numeric(15,2)")
    p, d, x = Vec.of(price, t), Vec.of(disc, t), Vec.of(tax, t)
    charge = op(op(p, "*", op(N("1"), "-", d)), "*", op(N("1"), "+", x))
    assert pa.types.is_decimal128(charge.array.type)
    assert charge.array.type.scale == 6
    got = charge.array.to_pylist()
    want = [pr * (1 - di) * (1 + tx) for pr, di, tx in zip(price.to_pylist(), disc.to_pylist(), tax.to_pylist(),
                                                            strict=True)]
    assert got == want
    assert shown(op(op(typed("17.5", "numeric(15,2)"), "*", op(N("1"), "-", typed("0.04", "numeric(15,2)"))),
                    "*", op(N("1"), "+", typed("0.02", "numeric(15,2)")))) == "17.136000"


def test_unary_operators():
    assert shown(unary_op("-", N("5"))) == "-5"
    assert shown(unary_op("-", N("1.50"))) == "-1.50"
    assert shown(unary_op("@", N("-3"))) == "3"
    assert shown(unary_op("|/", N("16"))) == "4"
    assert shown(unary_op("~", N("5"))) == "-6"
    assert shown(unary_op("-", typed("1 day", "interval"))) == "-1 days"


def test_bitwise():
    assert shown(op(N("12"), "&", N("10"))) == "8"
    assert shown(op(N("12"), "|", N("3"))) == "15"
    assert shown(op(N("12"), "#", N("10"))) == "6"
    assert shown(op(N("1"), "<<", N("4"))) == "16"
