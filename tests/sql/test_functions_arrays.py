"""Arrays: construction, functions, operators, ANY/ALL three-valued logic, unnest helper."""

from __future__ import annotations

import pyarrow as pa
import pytest

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions import Vec, binary_op, call_function, cast, to_text
from helios_core.sql.functions import number_literal as N
from helios_core.sql.functions import string_literal as L
from helios_core.sql.functions.arrays import any_all, unnest


def shown(v: Vec) -> str | None:
    return to_text(v.array, v.type).to_pylist()[0]


def arr(*items: Vec) -> Vec:
    return call_function("array", list(items))


def ints(text: str) -> Vec:
    return cast(L(text), T.array_of(T.INT4))


NULL = Vec.null(T.UNKNOWN)


@pytest.mark.parametrize(("name", "args", "want"), [
    ("array", (N("1"), N("2"), NULL), "{1,2,NULL}"),
    ("array_length", (ints("{1,2,3}"), N("1")), "3"),
    ("array_length", (ints("{}"), N("1")), None),
    ("cardinality", (ints("{1,2}"),), "2"),
    ("array_position", (arr(L("a"), L("b"), L("c")), L("b")), "2"),
    ("array_positions", (ints("{1,2,1}"), N("1")), "{1,3}"),
    ("array_append", (ints("{1}"), N("2")), "{1,2}"),
    ("array_prepend", (N("0"), ints("{1}")), "{0,1}"),
    ("array_cat", (ints("{1}"), ints("{2,3}")), "{1,2,3}"),
    ("array_remove", (ints("{1,2,1}"), N("1")), "{2}"),
    ("array_replace", (ints("{1,2,1}"), N("1"), N("9")), "{9,2,9}"),
    ("array_to_string", (arr(L("a"), NULL, L("c")), L(",")), "a,c"),
    ("array_to_string", (arr(L("a"), NULL, L("c")), L(","), L("*")), "a,*,c"),
    ("array_upper", (ints("{1,2}"), N("1")), "2"),
    ("array_dims", (ints("{1,2,3}"),), "[1:3]"),
    ("array_ndims", (ints("{1}"),), "1"),
    ("trim_array", (ints("{1,2,3}"), N("1")), "{1,2}"),
])
def test_array_functions(name, args, want):
    assert shown(call_function(name, list(args))) == want


@pytest.mark.parametrize(("left", "o", "right", "want"), [
    (ints("{1}"), "||", ints("{2}"), "{1,2}"),
    (ints("{1}"), "||", N("2"), "{1,2}"),
    (N("0"), "||", ints("{1}"), "{0,1}"),
    (ints("{1,2}"), "@>", ints("{2}"), "t"),
    (ints("{1,2}"), "&&", ints("{3}"), "f"),
    (ints("{1,2}"), "<@", ints("{1,2,3}"), "t"),
    (ints("{1,2}"), "@>", L("{1}"), "t"),
])
def test_array_operators(left, o, right, want):
    assert shown(binary_op(o, left, right)) == want


@pytest.mark.parametrize(("left", "o", "array", "is_all", "want"), [
    (N("2"), "=", "{1,2}", False, "t"),
    (N("3"), "=", "{1,NULL}", False, None),
    (N("3"), "<>", "{1,2}", True, "t"),
    (N("1"), "=", "{}", True, "t"),
    (N("1"), "=", "{}", False, "f"),
    (Vec.null(T.INT4), "=", "{1}", False, None),
    (N("1"), "<", "{2,NULL}", True, None),
    (N("5"), "<", "{2,NULL}", True, "f"),
])
def test_any_all(left, o, array, is_all, want):
    assert shown(any_all(o, left, ints(array), is_all)) == want


def test_any_over_columns():
    left = Vec.of(pa.array([1, 2, None, 4], pa.int32()), T.INT4)
    arrays = Vec.of(pa.array([[1, 2], [3], [1], None], pa.list_(pa.int32())), T.array_of(T.INT4))
    assert any_all("=", left, arrays, False).to_pylist() == [True, False, None, None]
    assert any_all("=", left, ints("{1,4}"), False).to_pylist() == [True, False, None, True]


def test_unnest_helper():
    col = Vec.of(pa.array([[1, 2], None, [], [3]], pa.list_(pa.int64())), T.array_of(T.INT8))
    parents, elems = unnest(col)
    assert parents.to_pylist() == [0, 0, 3]
    assert elems.to_pylist() == [1, 2, 3]
    assert elems.type == T.INT8


def test_array_of_text_quoting_and_common_type():
    assert shown(arr(L("a b"), L(""), L("NULL"), L('x"y'))) == '{"a b","","NULL","x\\"y"}'
    assert arr(N("1"), N("2.5")).type == T.array_of(T.NUMERIC)
    with pytest.raises(HeliosError) as e:
        arr(N("1"), cast(L("x"), T.TEXT))
    assert e.value.sqlstate == "42804"


def test_scalar_arrays_broadcast_against_columns():
    col = Vec.of(pa.array(["abc", "x", None]), T.TEXT)
    out = call_function("array_position", [arr(L("abc"), call_function("lpad", [L("x"), N("0"), L("*")])), col])
    assert out.to_pylist() == [1, None, None]
    assert Vec(ints("{1,2}").array, T.array_of(T.INT4), True).broadcast(3).to_pylist() == [[1, 2]] * 3
