"""Range and multirange set operators (+ - *), &< and &>, the functions behind the operators
(range_contains, multirange_overlaps_range, ...), range_agg / range_intersect_agg, unnest of a
multirange and the range-to-multirange cast. Expected answers are PostgreSQL 15's."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture(scope="module")
def s():
    session = helios_core.connect()
    yield session
    session.close()


def rows(s, sql: str) -> list[tuple]:
    """The rows of the last statement's result (cast range values to text in the SQL)."""
    res = s.execute(sql)[-1]
    out: list[tuple] = []
    for b in res.batches:
        out.extend(zip(*(c.to_pylist() for c in b.columns), strict=True))
    return out


def one(s, sql: str) -> tuple:
    return rows(s, sql)[0]


@pytest.mark.parametrize(("sql", "want"), [
    ("select numrange(1,3) * numrange(2,4), numrange(1,2) * numrange(3,4)", ("[2,3)", "empty")),
    ("select numrange(1.5,2) + numrange(2,3.5), int4range(1,3) + int4range(3,4)", ("[1.5,3.5)", "[1,4)")),
    ("select int4range(1,5) - int4range(2,7), int4range(1,5) - int4range(0,9), int4range(1,5) - int4range(7,9)",
     ("[1,2)", "empty", "[1,5)")),
    ("select '[1,10]'::int4range - '(5,20)'::int4range", ("[1,6)",)),
    ("select numrange(1,10) &< numrange(3,10), numrange(1,11) &< numrange(3,10), 'empty'::numrange &< numrange(1,2)",
     (True, False, False)),
    ("select numrange(3,4) &> numrange(3,10), numrange(2,11) &> numrange(3,10)", (True, False)),
    ("select '{[1,10)}'::int4multirange - '{[2,3),[5,6)}'", ("{[1,2),[3,5),[6,10)}",)),
    ("select '{[1,10)}'::int4multirange * '{[2,3),[5,16)}', '{[1,10)}'::int4multirange + '{[2,3),[5,16)}'",
     ("{[2,3),[5,10)}", "{[1,16)}")),
    ("select '{[1,2),[5,9)}'::int4multirange &< int4range(3,9), int4range(1,2) &> '{[1,2),[5,9)}'::int4multirange",
     (True, True)),
    ("select '{}'::int4multirange &< '{[1,2)}'::int4multirange, '{}'::int4multirange - '{[1,2)}'::int4multirange",
     (False, "{}")),
])
def test_set_and_bound_operators(s, sql: str, want: tuple) -> None:
    got = one(s, "select " + ", ".join(f"({e})::text" for e in sql.removeprefix("select ").split(", ")))
    assert got == tuple(w if isinstance(w, str) else "true" if w else "false" for w in want)


@pytest.mark.parametrize(("sql", "message"), [
    ("select int4range(1,10) - int4range(3,4)", "result of range difference would not be contiguous"),
    ("select numrange(1,2) + numrange(3,4)", "result of range union would not be contiguous"),
    ("select int4range(1,2) + '{[3,4)}'::int4multirange", "operator does not exist"),
])
def test_refusals(s, sql: str, message: str) -> None:
    with pytest.raises(HeliosError, match=message):
        s.execute(sql)


def test_operator_functions(s) -> None:
    assert one(s, "select range_contains(int4range(1,5), int4range(2,3)), "
                  "range_contained_by(numrange(1,2), numrange(0,9)), range_adjacent(numrange(2,3), numrange(3.1,4)), "
                  "multirange_contains_multirange('{[1,3)}'::int4multirange, '{[1,2)}'), "
                  "elem_contained_by_multirange(2.0, '{[1,3)}'::nummultirange), "
                  "range_overlaps_multirange(numrange(1,2), '{[3,4)}'::nummultirange)") == (
        True, True, False, True, True, False)
    assert one(s, "select range_minus(numrange(10.1,12.2,'[]'), numrange(110.0,120.2,'(]'))::text") == \
        ("[10.1,12.2]",)
    with pytest.raises(HeliosError, match=r"function range_contains\(integer, integer\) does not exist"):
        s.execute("select range_contains(1, 2)")


def test_range_aggregates(s) -> None:
    data = "(values (int4range(1,5)), (int4range(3,7)), (null), (int4range(20,30))) t(x)"
    assert one(s, f"select range_agg(x)::text, range_intersect_agg(x)::text from {data}") == \
        ("{[1,7),[20,30)}", "empty")
    assert one(s, f"select range_agg(x)::text, range_intersect_agg(x)::text from {data} where false") == (None, None)
    multi = "(values ('{[1,5),[8,9)}'::int4multirange), ('{[3,7)}')) t(x)"
    assert one(s, f"select range_agg(x)::text, range_intersect_agg(x)::text from {multi}") == \
        ("{[1,7),[8,9)}", "{[3,5)}")
    got = rows(s, "select k, range_agg(x)::text from (values (1,int4range(1,5)), (1,int4range(5,7)), "
                    "(2,'empty')) t(k,x) group by k order by k")
    assert got == [(1, "{[1,7)}"), (2, "{}")]


def test_unnest_and_cast(s) -> None:
    assert rows(s, "select unnest('{[1,2),[3,4)}'::int4multirange)::text") == [("[1,2)",), ("[3,4)",)]
    assert rows(s, "select * from unnest('{}'::int4multirange)") == []
    assert one(s, "select int4range(1,5)::int4multirange::text, 'empty'::int4range::int4multirange::text") == (
        "{[1,5)}", "{}")
    with pytest.raises(HeliosError, match="int4range"):
        s.execute("create table range_cast_t (m int4multirange); insert into range_cast_t values (int4range(1,2))")


def test_hash_join_on_ranges_and_arrays(s) -> None:
    """Join keys of ranges, multiranges and arrays compare across the two sides (their surrogate
    ranks are taken over both sides at once)."""
    s.execute("create table jr1 (m nummultirange, a int[]); create table jr2 (m nummultirange, a int[])")
    s.execute("insert into jr1 values ('{[1.1,2.2)}', '{1,2}'), ('{(,)}', '{3}'), ('{}', '{4}')")
    s.execute("insert into jr2 values ('{[1.1,2.2)}', '{3}'), ('{}', '{5}'), ('{[1,2)}', '{1,2}')")
    assert rows(s, "select jr1.m::text from jr1 join jr2 using (m) order by jr1.m") == [("{}",), ("{[1.1,2.2)}",)]
    assert rows(s, "select jr1.a::text from jr1 join jr2 using (a) order by jr1.a") == [("{1,2}",), ("{3}",)]


def test_infinite_date_bounds(s) -> None:
    """±infinity dates (date32's extremes) are bounds like others; canonicalization leaves them
    as they are, as daterange_canonical does."""
    assert one(s, "select daterange('-infinity'::date, '2000-01-01'::date, '()')::text, "
                  "daterange('2000-01-01'::date, 'infinity'::date, '[]')::text, "
                  "('[-infinity,2000-01-01)'::daterange @> '1999-12-31'::date)::text, "
                  "upper('[2000-01-01,infinity]'::daterange)::text") == (
        "(-infinity,2000-01-01)", "[2000-01-01,infinity]", "true", "infinity")


def test_adjacency_with_multiranges_uses_outer_bounds(s) -> None:
    """range -|- multirange: the range ends where the multirange begins or begins where it ends;
    touching an inner range of the multirange from the other side is not adjacency."""
    mr = "int4multirange(int4range(100,200), int4range(400,500))"
    assert one(s, f"select (int4range(200,400) -|- {mr})::text, (int4range(90,100) -|- {mr})::text, "
                  f"({mr} -|- int4range(500,600))::text") == ("false", "true", "true")


def test_numeric_bounds_print_their_own_digits(s) -> None:
    """A stored numeric bound prints the same whatever the other rows hold (5 stays 5 beside 1.1)."""
    s.execute("create table nr_digits (r numrange)")
    s.execute("insert into nr_digits values ('(,5)'), ('[1.1,2.2)'), (numrange(1.5, 3))")
    assert rows(s, "select r::text from nr_digits order by r") == [("(,5)",), ("[1.1,2.2)",), ("[1.5,3)",)]
