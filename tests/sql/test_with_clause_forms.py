"""WITH in front of VALUES, and aggregates over a scalar subquery (one reading a WITH query
included), answered as PostgreSQL 15 answers them."""

from __future__ import annotations

import pytest

import helios_core


@pytest.fixture
def s():
    s = helios_core.connect()
    yield s
    s.close()


def _rows(s, sql):
    return s.execute(sql)[-1].rows()


def test_with_then_values(s):
    assert _rows(s, "with cte(foo) as (values (42)) values ((select foo from cte))") == [(42,)]
    assert _rows(s, "with cte(foo) as (values (42)) values (1), (2)") == [(1,), (2,)]
    r = s.execute("with c as (select 1) values (3)")[-1]
    assert [c.name for c in r.columns] == ["column1"]


def test_aggregate_of_a_scalar_subquery(s):
    assert _rows(s, "select max((select sum(x) from (values (1), (2)) t(x)))") == [(3,)]
    assert _rows(s, "with a as (select 1 as id union all select 2) select max((select sum(id) from a)) as agg") \
        == [(3,)]
    s.execute("create table g (k int, v int)")
    s.execute("insert into g values (1, 10), (1, 20), (2, 5)")
    assert _rows(s, "select k, sum((select v * 2)) from g group by k order by k") == [(1, 60), (2, 10)]


def _error(s, sql):
    from helios_core.errors import HeliosError

    with pytest.raises(HeliosError) as e:
        s.execute(sql)
    return e.value


def test_a_plain_with_query_sees_only_those_before_it(s):
    sql = "WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a"
    e = _error(s, sql)
    assert (e.sqlstate, e.message, e.position) == ("42P01", 'relation "b" does not exist', sql.index("b)") + 1)
    assert e.hint == "Use WITH RECURSIVE, or re-order the WITH items to remove forward references."
    assert _rows(s, "WITH b AS (SELECT 2), a AS (SELECT * FROM b) SELECT * FROM a") == [(2,)]
    assert _rows(s, "WITH RECURSIVE a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a") == [(1,)]
    s.execute("create table b (v int)")  # not seen from a's body, the table of that name is read
    s.execute("insert into b values (7)")
    assert _rows(s, "WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a") == [(7,)]


def test_mutual_recursion_and_column_count_errors(s):
    sql = ("WITH RECURSIVE x (id) AS (SELECT 1 UNION ALL SELECT id+1 FROM y WHERE id < 5), "
           "y (id) AS (SELECT 1 UNION ALL SELECT id+1 FROM x WHERE id < 5) SELECT * FROM x")
    e = _error(s, sql)
    assert (e.sqlstate, e.message, e.position) == (
        "0A000", "mutual recursion between WITH items is not implemented", sql.index("x (id)") + 1)
    e = _error(s, "WITH x(n, b) AS (SELECT 1) SELECT * FROM x")
    assert (e.sqlstate, e.position) == ("42P10", 6)


def test_a_with_list_of_the_recursive_query_reaches_both_terms(s):
    sql = ("WITH RECURSIVE t(j) AS (WITH RECURSIVE s(i) AS (VALUES (1) UNION ALL SELECT i+1 FROM s WHERE i < 3) "
           "SELECT i FROM s UNION ALL SELECT j+1 FROM t WHERE j < 3) SELECT * FROM t")
    assert _rows(s, sql) == [(1,), (2,), (3,), (2,), (3,), (3,)]


def test_recursive_column_types_must_agree_typmod_included(s):
    sql = ("WITH RECURSIVE foo(i) AS (SELECT i::numeric(3,0) FROM (VALUES (1), (2)) t(i) UNION ALL "
           "SELECT (i+1)::numeric(10,0) FROM foo WHERE i < 10) SELECT * FROM foo")
    e = _error(s, sql)
    assert (e.sqlstate, e.message, e.position) == (
        "42804", ('recursive query "foo" column 1 has type numeric(3,0) in non-recursive term but type numeric '
                 "overall"), sql.index("i::numeric") + 1)
    assert _rows(s, "WITH RECURSIVE foo(i) AS (SELECT i::numeric(3,0) FROM (VALUES (1)) t(i) UNION ALL "
                    "SELECT (i+1)::numeric(3,0) FROM foo WHERE i < 3) SELECT * FROM foo") == [(1,), (2,), (3,)]


def test_a_recursive_query_whose_own_with_defines_its_name_is_not_recursive(s):
    sql = ("WITH RECURSIVE w1(c1) AS (WITH RECURSIVE w6(c6) AS (WITH w6(c6) AS (SELECT 1) SELECT * FROM w6) "
           "SELECT * FROM w6) SELECT * FROM w1")
    assert _rows(s, sql) == [(1,)]
