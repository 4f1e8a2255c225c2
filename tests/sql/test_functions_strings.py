"""String functions, each checked against PostgreSQL 15's answer."""

from __future__ import annotations

import pyarrow as pa
import pytest

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions import Vec, call_function, cast, to_text
from helios_core.sql.functions import number_literal as N
from helios_core.sql.functions import string_literal as L


def shown(v: Vec) -> str | None:
    return to_text(v.array, v.type).to_pylist()[0]


def f(name: str, *args: Vec) -> str | None:
    return shown(call_function(name, list(args)))


NULL = Vec.null(T.UNKNOWN)


@pytest.mark.parametrize(("name", "args", "want"), [
    ("substring", (L("hello"), N("2"), N("3")), "ell"),
    ("substring", (L("hello"), N("0"), N("3")), "he"),
    ("substring", (L("hello"), N("-1")), "hello"),
    ("substr", (L("hello"), N("3")), "llo"),
    ("substring", (L("foobar"), L("o.b")), "oob"),
    ("substring", (L("foobar"), L("o(.)b")), "o"),
    ("strpos", (L("hello"), L("lo")), "4"),
    ("strpos", (L("héllo"), L("l")), "3"),
    ("split_part", (L("a,b,c"), L(","), N("2")), "b"),
    ("split_part", (L("a,b,c"), L(","), N("5")), ""),
    ("split_part", (L("a,b,c"), L(","), N("-1")), "c"),
    ("lpad", (L("hi"), N("5"), L("xy")), "xyxhi"),
    ("rpad", (L("hi"), N("5"), L("xy")), "hixyx"),
    ("lpad", (L("hello"), N("3")), "hel"),
    ("left", (L("hello"), N("-2")), "hel"),
    ("right", (L("hello"), N("-2")), "llo"),
    ("right", (L("hello"), N("2")), "lo"),
    ("repeat", (L("ab"), N("0")), ""),
    ("repeat", (L("ab"), N("3")), "ababab"),
    ("reverse", (L("abc"),), "cba"),
    ("initcap", (L("hello WORLD 3rd-x"),), "Hello World 3rd-X"),
    ("length", (L("héllo"),), "5"),
    ("octet_length", (L("héllo"),), "6"),
    ("trim", (L("  x  "),), "x"),
    ("btrim", (L("xxaxx"), L("x")), "a"),
    ("ltrim", (L("xxa"), L("x")), "a"),
    ("rtrim", (L("a  "),), "a"),
    ("concat", (L("a"), NULL, N("1"), Vec.const(True, T.BOOL)), "a1t"),
    ("concat_ws", (L(","), L("a"), NULL, L("b")), "a,b"),
    ("format", (L("%s|%I|%L|%L"), L("x"), L("My Col"), L("it's"), NULL), "x|\"My Col\"|'it''s'|NULL"),
    ("format", (L("%2$s %1$s"), L("a"), L("b")), "b a"),
    ("md5", (L(""),), "d41d8cd98f00b204e9800998ecf8427e"),
    ("to_hex", (N("-1"),), "ffffffff"),
    ("to_hex", (cast(N("255"), T.INT8),), "ff"),
    ("ascii", (L("A"),), "65"),
    ("chr", (N("65"),), "A"),
    ("starts_with", (L("hello"), L("he")), "t"),
    ("regexp_replace", (L("abcabc"), L("b"), L("X")), "aXcabc"),
    ("regexp_replace", (L("abcabc"), L("B"), L("X"), L("gi")), "aXcaXc"),
    ("regexp_replace", (L("abc"), L("(b)"), L("[\\1]")), "a[b]c"),
    ("regexp_match", (L("foobar"), L("(o+)(b)")), "{oo,b}"),
    ("regexp_split_to_array", (L("a1b22c"), L("\\d+")), "{a,b,c}"),
    ("translate", (L("12345"), L("143"), L("ax")), "a2x5"),
    ("quote_ident", (L("Foo"),), '"Foo"'),
    ("quote_ident", (L("foo"),), "foo"),
    ("quote_literal", (L("O'Reilly"),), "'O''Reilly'"),
    ("upper", (L("straße"),), "STRAßE"),
    ("lower", (L("ÀB"),), "àb"),
    ("string_to_array", (L("a,b,,c"), L(",")), '{a,b,"",c}'),
])
def test_string_function(name, args, want):
    assert f(name, *args) == want


def test_char_n_arguments_lose_padding():
    assert f("char_length", cast(L("abc"), T.type_from_name("char(5)"))) == "3"


def test_null_arguments_give_null():
    for name, args in (("upper", (NULL,)), ("substring", (L("abc"), NULL)), ("replace", (L("a"), NULL, L("b"))),
                       ("split_part", (NULL, L(","), N("1"))), ("lpad", (L("a"), NULL))):
        assert f(name, *args) is None


def test_column_inputs_and_per_row_arguments():
    col = Vec.of(pa.array(["hello", None, "ab"]), T.TEXT)
    assert call_function("upper", [col]).to_pylist() == ["HELLO", None, "AB"]
    starts = Vec.of(pa.array([2, 1, 3], pa.int32()), T.INT4)
    assert call_function("substring", [col, starts, N("2")]).to_pylist() == ["el", None, ""]
    assert call_function("length", [col]).to_pylist() == [5, None, 2]


def test_errors():
    with pytest.raises(HeliosError) as e:
        call_function("substring", [L("hello"), N("2"), N("-1")])
    assert e.value.sqlstate == "22011"
    with pytest.raises(HeliosError) as e:
        call_function("upper", [N("1")])
    assert e.value.sqlstate == "42883"
    assert e.value.message == "function upper(integer) does not exist"
    with pytest.raises(HeliosError) as e:
        call_function("split_part", [L("a"), L(","), N("0")])
    assert e.value.sqlstate == "22023"
    with pytest.raises(HeliosError) as e:
        call_function("no_such_function", [N("1")])
    assert e.value.sqlstate == "42883"


def test_bytea_concatenation_and_length():
    from helios_core.sql.functions import binary_op

    v = binary_op("||", cast(L("\\x0102"), T.BYTEA), L("\\x03"))
    assert v.type == T.BYTEA
    assert shown(v) == "\\x010203"
    assert f("length", v) == "3"
    assert f("md5", v) == "5289df737df57326fcdd22597afb1fac"


def test_regexp_replace_references():
    assert f("regexp_replace", L("hello"), L("[aeiou]"), L("[\\1]"), L("g")) == "h[]ll[]"
    assert f("regexp_replace", L("hello"), L("(l)"), L("<\\2>")) == "he<>lo"
    assert f("regexp_replace", L("abc"), L("(b)"), L("[\\1\\&]")) == "a[bb]c"
