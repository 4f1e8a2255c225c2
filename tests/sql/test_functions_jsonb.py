"""json/jsonb operators and functions against PostgreSQL 15's answers."""

from __future__ import annotations

import pyarrow as pa
import pytest

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions import Vec, binary_op, call_function, cast, to_text
from helios_core.sql.functions import number_literal as N
from helios_core.sql.functions import string_literal as L
from helios_core.sql.functions.jsonb import expand_array_elements, expand_each


def shown(v: Vec) -> str | None:
    return to_text(v.array, v.type).to_pylist()[0]


def jb(text: str) -> Vec:
    return cast(L(text), T.JSONB)


DOC = '{"b": [1, 2.50, {"c": null}], "a": "x", "aa": true}'


@pytest.mark.parametrize(("left", "o", "right", "want"), [
    (jb(DOC), "->", L("b"), '[1, 2.50, {"c": null}]'),
    (jb("[1,2,3]"), "->", N("-1"), "3"),
    (jb("[1,2,3]"), "->>", N("5"), None),
    (jb(DOC), "->>", L("a"), "x"),
    (jb(DOC), "->", L("missing"), None),
    (jb('{"a":{"b":[10,20]}}'), "#>", L("{a,b,1}"), "20"),
    (jb('{"a":{"b":[10,20]}}'), "#>>", L("{a,b}"), "[10, 20]"),
    (jb('{"a":1,"b":2}'), "@>", L('{"a":1}'), "t"),
    (jb("[1,2,[3]]"), "@>", L("[[3]]"), "t"),
    (jb("[1,2]"), "@>", L("1"), "t"),
    (jb('{"a":1}'), "<@", L('{"a":1,"b":2}'), "t"),
    (jb('{"a":1}'), "?", L("a"), "t"),
    (jb('["a","b"]'), "?", L("b"), "t"),
    (jb('{"a":1,"b":2}'), "?&", L("{a,c}"), "f"),
    (jb('{"a":1,"b":2}'), "?|", L("{a,c}"), "t"),
    (jb('{"a":1,"b":2}'), "-", L("a"), '{"b": 2}'),
    (jb("[1,2,3]"), "-", N("1"), "[1, 3]"),
    (jb('{"a":{"b":1,"c":2}}'), "#-", L("{a,b}"), '{"a": {"c": 2}}'),
    (jb('{"a":1}'), "||", L('{"b":2}'), '{"a": 1, "b": 2}'),
    (jb("[1]"), "||", L("2"), "[1, 2]"),
    (jb('{"a":1}'), "=", L('{ "a" : 1 }'), "t"),
])
def test_jsonb_operators(left, o, right, want):
    assert shown(binary_op(o, left, right)) == want


def test_json_operators_on_json():
    j = cast(L('{"b": 1, "a": [1, 2]}'), T.JSON)
    assert shown(binary_op("->", j, L("a"))) == "[1, 2]"
    assert binary_op("->", j, L("a")).type == T.JSON
    assert shown(binary_op("->>", j, L("b"))) == "1"


@pytest.mark.parametrize(("name", "args", "want"), [
    ("jsonb_build_object", (L("k"), N("1"), L("d"), cast(L("2024-01-01"), T.DATE), L("n"), Vec.null(),
                            L("f"), cast(N("1.5"), T.FLOAT8)), '{"d": "2024-01-01", "f": 1.5, "k": 1, "n": null}'),
    ("json_build_object", (L("a"), N("1"), L("b"), L("x")), '{"a" : 1, "b" : "x"}'),
    ("jsonb_build_array", (N("1"), L("x"), Vec.null(), Vec.const(True, T.BOOL)), '[1, "x", null, true]'),
    ("jsonb_typeof", (jb("1.5"),), "number"),
    ("jsonb_set", (jb('{"a":[1,2]}'), L("{a,0}"), L('"z"')), '{"a": ["z", 2]}'),
    ("jsonb_set", (jb('{"a":1}'), L("{b}"), L("2")), '{"a": 1, "b": 2}'),
    ("jsonb_array_length", (jb("[1,2,3]"),), "3"),
    ("to_jsonb", (cast(L("text"), T.TEXT),), '"text"'),
    ("to_jsonb", (cast(L("{1,2}"), T.array_of(T.INT4)),), "[1, 2]"),
    ("to_jsonb", (cast(L("2024-01-01 10:00+00"), T.TIMESTAMPTZ),), '"2024-01-01T10:00:00+00:00"'),
    ("jsonb_strip_nulls", (jb('{"a":null,"b":1}'),), '{"b": 1}'),
    ("jsonb_extract_path_text", (jb('{"a":{"b":"x"}}'), L("a"), L("b")), "x"),
    ("jsonb_insert", (jb("[1,2]"), L("{1}"), L("9")), "[1, 9, 2]"),
    ("jsonb_insert", (jb("[1,2]"), L("{1}"), L("9"), Vec.const(True, T.BOOL)), "[1, 2, 9]"),
    ("jsonb_pretty", (jb('{"a": [1, {"b": null}], "c": {}}'),),
     '{\n    "a": [\n        1,\n        {\n            "b": null\n        }\n    ],\n    "c": {}\n}'),
])
def test_json_functions(name, args, want):
    assert shown(call_function(name, list(args))) == want


def test_jsonb_input_normalization():
    assert shown(jb("1e2")) == "100"
    assert shown(jb('{"a": "\\u00e9\\n"}')) == '{"a": "é\\n"}'
    assert shown(jb('{"b":1,"a":2,"b":3}')) == '{"a": 2, "b": 3}'


def test_expansion_helpers_for_table_functions():
    col = Vec.of(pa.array(['[1, "a"]', None, "[]", '[{"x": 1}]']), T.JSONB)
    parents, elems = expand_array_elements(col)
    assert parents.to_pylist() == [0, 0, 3]
    assert to_text(elems.array, elems.type).to_pylist() == ["1", '"a"', '{"x": 1}']
    parents, elems = expand_array_elements(col, as_text=True)
    assert elems.to_pylist() == ["1", "a", '{"x": 1}']
    p, k, v = expand_each(Vec.of(pa.array(['{"b": 1, "a": [2]}']), T.JSONB))
    assert (p.to_pylist(), k.to_pylist(), v.to_pylist()) == ([0, 0], ["a", "b"], ["[2]", "1"])


def test_json_errors():
    with pytest.raises(HeliosError) as e:
        call_function("jsonb_array_length", [jb('{"a":1}')])
    assert e.value.sqlstate == "22023"
    with pytest.raises(HeliosError) as e:
        call_function("jsonb_build_object", [L("a")])
    assert e.value.sqlstate == "22023"
    with pytest.raises(HeliosError) as e:
        binary_op("-", jb('{"a":1}'), N("0"))
    assert e.value.sqlstate == "22023"
