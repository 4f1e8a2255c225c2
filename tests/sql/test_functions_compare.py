"""Comparisons, three-valued logic, IS [NOT] DISTINCT FROM, LIKE/ILIKE/SIMILAR TO/regex."""

from __future__ import annotations

import pyarrow as pa
import pytest

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions import Vec, binary_op, cast, to_text, unary_op
from helios_core.sql.functions import number_literal as N
from helios_core.sql.functions import string_literal as L


def shown(v: Vec) -> str | None:
    return to_text(v.array, v.type).to_pylist()[0]


def typed(text: str, typename: str) -> Vec:
    return cast(L(text), T.type_from_name(typename))


def state_of(fn) -> str:
    with pytest.raises(HeliosError) as e:
        fn()
    return e.value.sqlstate


NULL = Vec.null(T.UNKNOWN)
TRUE = Vec.const(True, T.BOOL)
FALSE = Vec.const(False, T.BOOL)
NULLB = Vec.null(T.BOOL)


@pytest.mark.parametrize(("left", "o", "right", "want"), [
    (N("1"), "<", N("2.5"), "t"),
    (L("abc"), "<", L("abd"), "t"),
    (NULL, "=", N("1"), None),
    (typed("a", "char(3)"), "=", typed("a  ", "char(5)"), "t"),
    (typed("a", "char(3)"), "=", typed("a  ", "text"), "f"),
    (typed("1 day", "interval"), "=", typed("24 hours", "interval"), "t"),
    (typed("1 mon", "interval"), ">", typed("29 days", "interval"), "t"),
    (typed("2024-01-01", "date"), "<", typed("2024-01-01 00:00:01", "timestamp"), "t"),
    (typed("2024-01-01", "date"), "=", typed("2024-01-01 00:00:00+00", "timestamptz"), "t"),
    (typed("{1,2}", "int[]"), "<", typed("{1,3}", "int[]"), "t"),
    (typed("{1,2}", "int[]"), "=", L("{1,2}"), "t"),
    (N("1"), "=", L("1"), "t"),
    (N("1.0"), "=", N("1"), "t"),
    (typed("1.5", "float8"), ">", N("1.25"), "t"),
    (typed("5", "bigint"), "<>", typed("5", "int2"), "f"),
    (typed('{"a": 1}', "jsonb"), "=", L('{"a":1}'), "t"),
    (typed("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "uuid"), "=",
     L("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), "t"),
])
def test_comparisons(left, o, right, want):
    assert shown(binary_op(o, left, right)) == want


def test_comparison_type_errors():
    assert state_of(lambda: binary_op("=", L("abc"), N("1"))) == "22P02"
    assert state_of(lambda: binary_op("=", typed("1", "text"), N("1"))) == "42883"
    assert state_of(lambda: binary_op("<", typed("2024-01-01", "date"), N("1"))) == "42883"
    assert state_of(lambda: binary_op("=", typed("{}", "json"), typed("{}", "json"))) == "42883"


def test_three_valued_logic():
    assert shown(binary_op("and", NULLB, FALSE)) == "f"
    assert shown(binary_op("and", NULLB, TRUE)) is None
    assert shown(binary_op("or", NULLB, TRUE)) == "t"
    assert shown(binary_op("or", NULLB, FALSE)) is None
    assert shown(unary_op("not", NULLB)) is None
    assert shown(unary_op("is unknown", NULLB)) == "t"
    assert shown(unary_op("is not true", NULLB)) == "t"
    assert shown(unary_op("is false", FALSE)) == "t"
    assert shown(unary_op("is null", N("1"))) == "f"
    assert shown(binary_op("and", L("t"), TRUE)) == "t"  # unknown literal read as boolean
    assert state_of(lambda: binary_op("and", N("1"), TRUE)) == "42804"


def test_logic_over_columns():
    a = Vec.of(pa.array([True, True, False, None, None]), T.BOOL)
    b = Vec.of(pa.array([True, None, None, False, None]), T.BOOL)
    assert binary_op("and", a, b).to_pylist() == [True, None, False, False, None]
    assert binary_op("or", a, b).to_pylist() == [True, True, None, None, None]


def test_is_distinct_from():
    assert shown(binary_op("is distinct from", N("1"), NULL)) == "t"
    assert shown(binary_op("is not distinct from", NULL, NULL)) == "t"
    assert shown(binary_op("is distinct from", N("1"), N("1.0"))) == "f"
    col = Vec.of(pa.array([1, None, 3], pa.int32()), T.INT4)
    other = Vec.of(pa.array([1, None, None], pa.int32()), T.INT4)
    assert binary_op("is distinct from", col, other).to_pylist() == [False, False, True]


@pytest.mark.parametrize(("s", "o", "p", "want"), [
    ("abc", "like", "a%", "t"), ("ABC", "ilike", "a_c", "t"), ("abc", "not like", "a%", "f"),
    ("a_b", "like", "a\\_b", "t"), ("axb", "like", "a\\_b", "f"), ("100%", "like", "100\\%", "t"),
    ("abc", "similar to", "(a|b)%", "t"), ("abc", "similar to", "b%", "f"), ("a.c", "similar to", "a.c", "t"),
    ("abc", "~", "^a.c$", "t"), ("ABC", "~*", "b", "t"), ("abc", "!~", "z", "t"), ("abc", "!~*", "B", "f"),
    ("line1\nline2", "like", "line1%", "t"),
])
def test_pattern_matching(s, o, p, want):
    assert shown(binary_op(o, L(s), L(p))) == want


def test_like_over_column_and_per_row_patterns():
    col = Vec.of(pa.array(["apple", "banana", None, "avocado"]), T.TEXT)
    assert binary_op("like", col, L("a%")).to_pylist() == [True, False, None, True]
    pats = Vec.of(pa.array(["%le", "b%", "x", None]), T.TEXT)
    assert binary_op("like", col, pats).to_pylist() == [True, True, None, None]


def test_like_on_non_text_is_42883():
    assert state_of(lambda: binary_op("like", N("1"), L("1"))) == "42883"


def test_operand_types_for_untyped_literals():
    from helios_core.sql.functions import operand_types

    text_array = T.array_of(T.TEXT)
    assert operand_types("#>>", T.JSONB, T.UNKNOWN) == (T.JSONB, text_array)
    assert operand_types("->>", T.JSONB, T.UNKNOWN) == (T.JSONB, T.TEXT)
    assert operand_types("@>", T.UNKNOWN, T.JSONB) == (T.JSONB, T.JSONB)
    assert operand_types("+", T.TIMESTAMP, T.UNKNOWN) == (T.TIMESTAMP, T.INTERVAL)
    assert operand_types("*", T.INTERVAL, T.UNKNOWN) == (T.INTERVAL, T.FLOAT8)
    assert operand_types("+", T.DATE, T.UNKNOWN) == (T.DATE, T.UNKNOWN)  # ambiguous: binary_op decides
    assert operand_types("=", T.INT4, T.UNKNOWN) == (T.INT4, T.INT4)
    assert operand_types("like", T.UNKNOWN, T.TEXT) == (T.TEXT, T.TEXT)
    assert operand_types("=", T.UNKNOWN, T.UNKNOWN) == (T.UNKNOWN, T.UNKNOWN)
    # what binary_op itself does with the same literals
    doc = cast(L('{"x": [1, "a"]}'), T.JSONB)
    assert shown(binary_op("#>>", doc, L("{x,1}"))) == "a"
