"""CREATE TYPE name AS RANGE: the range type, its multirange type (named by PostgreSQL's rule or
by multirange_type_name), their constructors, columns, operators and aggregates, and what is
refused. Expected answers are PostgreSQL 15's."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture()
def s():
    session = helios_core.connect()
    session.execute('create type textrange as range (subtype = text, collation = "C")')
    yield session
    session.close()


def rows(s, sql: str) -> list[tuple]:
    res = s.execute(sql)[-1]
    out: list[tuple] = []
    for b in res.batches:
        out.extend(zip(*(c.to_pylist() for c in b.columns), strict=True))
    return out


def test_literals_constructors_and_operators(s) -> None:
    assert rows(s, "select textrange('a','z')::text, '[a,z)'::textrange @> 'b'::text, "
                   "textmultirange(textrange('a','c'), textrange('b','d'))::text, "
                   "('(\"\\\\\",a)'::textrange)::text") == [("[a,z)", True, "{[a,d)}", '("\\\\",a)')]
    with pytest.raises(HeliosError, match="range lower bound must be less than or equal to range upper bound"):
        s.execute("select textrange('a','Z')")  # C collation: 'Z' sorts before 'a'
    with pytest.raises(HeliosError, match='malformed range literal'):
        s.execute("select '(,,a)'::textrange")


def test_columns_order_and_aggregates(s) -> None:
    s.execute("create table trt (tr textrange)")
    s.execute("insert into trt values ('[,\"q\")'), (textrange('b','g')), ('empty'), ('[a,)')")
    assert rows(s, "select tr::text as shown, isempty(tr), lower(tr), upper_inf(tr) from trt order by tr") == [
        ("empty", True, None, False), ("(,q)", False, None, False), ("[a,)", False, "a", True),
        ("[b,g)", False, "b", False)]
    assert rows(s, "select count(*) from trt where tr @> 'e'::text") == [(3,)]
    assert rows(s, "select range_agg(tr)::text from trt") == [("{(,)}",)]
    assert rows(s, "select pg_typeof(tr)::text from trt limit 1") == [("textrange",)]
    assert rows(s, "select pg_typeof(range_agg(tr))::text from trt") == [("textmultirange",)]


def test_multirange_names_and_drop(s) -> None:
    s.execute("create type intr as range (subtype = int4)")
    assert rows(s, "select intr_multirange(intr(1,10))::text, intr(1,5,'[]')::text") == [("{[1,10)}", "[1,6)")]
    s.execute("create type floatr as range (subtype = float8, subtype_diff = float8mi, "
              "multirange_type_name = floats)")
    assert rows(s, "select floats(floatr(1.5, 3), floatr(2, 4))::text") == [("{[1.5,4)}",)]
    s.execute("create type cashrange as range (subtype = money)")
    assert rows(s, "select ('(2,5)'::cashrange * '[3,9)'::cashrange)::text") == [("[$3.00,$5.00)",)]
    s.execute("drop type intr")
    with pytest.raises(HeliosError, match='type "intr_multirange" does not exist'):
        s.execute("select '{}'::intr_multirange")
    s.execute("create type intmultirange as (x int, y int)")
    with pytest.raises(HeliosError, match='type "intmultirange" already exists'):
        s.execute("create type intrange as range (subtype = int)")
    with pytest.raises(HeliosError, match="cannot drop type floats because type floatr requires it"):
        s.execute("drop type floats")


@pytest.mark.parametrize(("sql", "message"), [
    ("create type bogus as range (subtype = float8, subtype_diff = float4mi)",
     r"function float4mi\(double precision, double precision\) does not exist"),
    ("create type bogus as range (subtype = int4, canonical = foo)", "canonical functions"),
    ("create type bogus as range (subtype = int4, collation = \"C\")", "subtype does not support collation"),
    ("create type bogus as range (subtype = text, collation = \"en_US\")", "not supported"),
    ("create type bogus as range (subtype = jsonb)", "range types over jsonb are not supported"),
    ("create type bogus as range (subtype = interval)", "range types over interval are not supported"),
    ("create type bogus as range (subtype = interval[])", r"range types over interval\[\] are not supported"),
    ("create type bogus as range (collation = \"C\")", 'type attribute "subtype" is required'),
    ("create type bogus as range (subtype = int4, multirange_type_name = int)", 'type "int4" already exists'),
])
def test_refusals(s, sql: str, message: str) -> None:
    with pytest.raises(HeliosError, match=message) as e:
        s.execute(sql)
    if "not supported" in message or "canonical" in message:
        assert e.value.sqlstate == "0A000"


@pytest.mark.parametrize(("literal", "message", "detail"), [
    ("{,}", 'malformed multirange literal: "{,}"', "Expected range start."),
    ("{[a,z) - }", 'malformed multirange literal: "{[a,z) - }"', "Expected comma or end of multirange."),
    ('{(",a)}', 'malformed multirange literal: "{(",a)}"', "Unexpected end of input."),
    ("{(,,a)}", 'malformed range literal: "(,,a)"', "Too many commas."),
    ("{(],a)}", 'malformed range literal: "(]"', "Missing comma after lower bound."),
    ("{(a,))}", 'malformed multirange literal: "{(a,))}"', "Expected comma or end of multirange."),
])
def test_multirange_literal_errors(s, literal: str, message: str, detail: str) -> None:
    """multirange_in finds each range's extent first, then reads it as a range literal."""
    with pytest.raises(HeliosError) as e:
        s.execute(f"select '{literal}'::textmultirange")
    assert str(e.value) == message and e.value.detail == detail


def test_bound_quoting(s) -> None:
    """range_bound_escape doubles quotes and backslashes inside quoted bounds."""
    got = rows(s, "select textrange('\"', '\"', '[]')::text, textmultirange(textrange('\\\\', 'a'))::text")
    assert got == [('["""",""""]', '{["\\\\\\\\",a)}')]  # PostgreSQL 15: ["""",""""] and {["\\\\",a)}


def test_range_over_a_domain(s) -> None:
    """Bounds are the domain's values (its checks apply to constructor arguments and literals);
    DROP DOMAIN refuses while the range type uses it and CASCADE takes the range type along."""
    s.execute("create domain posint as int4 check (value > 0)")
    s.execute("create type posr as range (subtype = posint)")
    assert rows(s, "select ('[4,50)'::posr @> 7::posint)::text, ('{[4,50)}'::posr_multirange @> 7)::text") == [
        ("true", "true")]
    for sql in ("select posr(-1, 5)", "select '[-1,5)'::posr"):
        with pytest.raises(HeliosError, match='value for domain posint violates check constraint "posint_check"'):
            s.execute(sql)
    with pytest.raises(HeliosError, match="cannot drop type posint because other objects depend on it") as e:
        s.execute("drop domain posint")
    assert e.value.detail == "type posr depends on type posint"
    s.execute("drop domain posint cascade")
    with pytest.raises(HeliosError, match='type "posr_multirange" does not exist'):
        s.execute("select '{}'::posr_multirange")


def test_creating_needs_create_on_both_schemas(s) -> None:
    """The multirange type goes to its own schema: CREATE is needed there too."""
    s.execute("create role range_maker")
    s.execute("create schema mr_sch")
    s.execute("grant create on schema public to range_maker")
    s.execute("set role range_maker")
    with pytest.raises(HeliosError, match="permission denied for schema mr_sch"):
        s.execute("create type mytype as range (subtype = int4, multirange_type_name = mr_sch.mr_type)")
    s.execute("reset role")
    s.execute("grant create on schema mr_sch to range_maker")
    s.execute("set role range_maker")
    s.execute("create type mytype as range (subtype = int4, multirange_type_name = mr_sch.mr_type)")
    assert rows(s, "select mr_sch.mr_type(mytype(1, 3))::text") == [("{[1,3)}",)]


def test_range_over_an_array(s) -> None:
    """Array bounds order as array_cmp does; a bound is quoted only for range_bound_escape's
    characters (commas, not braces)."""
    s.execute("create type arrayrange as range (subtype = int4[])")
    assert rows(s, "select arrayrange(array[1,2], array[2,1])::text, "
                   "(array[1,1] <@ arrayrange(array[1,2], array[2,1]))::text, "
                   "(array[1,3] <@ arraymultirange(arrayrange(array[1,2], array[2,1])))::text") == [
        ('["{1,2}","{2,1}")', "false", "true")]
    with pytest.raises(HeliosError, match="range lower bound must be less than or equal to range upper bound"):
        s.execute("select arrayrange(array[2,1], array[1,2])")
    s.execute("create table ar (r arrayrange)")
    s.execute("insert into ar values (arrayrange('{3}','{4}')), ('empty'), (arrayrange('{1}','{4}'))")
    assert rows(s, "select r::text as shown from ar order by r") == [("empty",), ("[{1},{4})",), ("[{3},{4})",)]
    assert rows(s, "select (arrayrange(array[1], array[1,null]) * arrayrange(array[1,0], array[3]))::text") == [
        ('["{1,0}","{1,NULL}")',)]
