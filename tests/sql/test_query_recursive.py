"""WITH RECURSIVE: rows handed on as the recursive term makes them, WITH queries inside the
recursive term re-read on every step, SEARCH DEPTH/BREADTH FIRST and CYCLE clauses.

Expected answers were recorded from PostgreSQL 15 running the same statements."""
from __future__ import annotations

from tests.sql.pg_answers import make_test

CASES = [
    # the inner recursion never ends: only a consumer that stops pulling (LIMIT) ends the query
    ('with recursive q as (select a from u union all (with recursive x as (select a from u union all (select * from q union all select * from x)) select * from x)) select * from q limit 8',
     ['a'],
     [(1,), (2,), (5,), (1,), (2,), (5,), (1,), (2,)],
     None),
    ('with recursive n(i) as (select 1 union all select i + 1 from n) select * from n limit 5',
     ['i'],
     [(1,), (2,), (3,), (4,), (5,)],
     None),
    # a WITH inside the recursive term reads the worktable: computed again at every step
    ('with recursive n(i) as (select 1 union all (with w as (select i from n) select i + 1 from w where i < 4)) select * from n',
     ['i'],
     [(1,), (2,), (3,), (4,)],
     None),
    ("with recursive x(s) as ((values ('a'), ('b')) union all (with z as not materialized (select * from x) select z.s || z1.s from z cross join z as z1 where length(z.s || z1.s) < 3)) select * from x order by s",
     ['s'],
     [('a',), ('aa',), ('ab',), ('b',), ('ba',), ('bb',)],
     None),
    # SEARCH and CYCLE clauses
    ('with recursive g(f, t) as (values (1, 2), (2, 3), (3, 1), (1, 4)), s(f, t) as (select f, t from g where f = 1 union all select g.f, g.t from g, s where g.f = s.t) cycle f, t set is_cycle using path select f, t, is_cycle, path::text from s order by f, t, is_cycle, array_length(path, 1)',
     ['f', 't', 'is_cycle', 'path'],
     [(1, 2, False, '{"(1,2)"}'), (1, 2, True, '{"(1,2)","(2,3)","(3,1)","(1,2)"}'), (1, 4, False, '{"(1,4)"}'), (1, 4, False, '{"(1,2)","(2,3)","(3,1)","(1,4)"}'), (2, 3, False, '{"(1,2)","(2,3)"}'), (3, 1, False, '{"(1,2)","(2,3)","(3,1)"}')],
     None),
    ("with recursive n as (select 0 as x union all select (x + 1) % 4 from n) cycle x set c to 'Y' default 'N' using p select x, c, p::text from n",
     ['x', 'c', 'p'],
     [(0, 'N', '{(0)}'), (1, 'N', '{(0),(1)}'), (2, 'N', '{(0),(1),(2)}'), (3, 'N', '{(0),(1),(2),(3)}'), (0, 'Y', '{(0),(1),(2),(3),(0)}')],
     None),
    ('with recursive g(f, t) as (values (1, 2), (2, 3), (1, 4), (4, 5)), s(f, t) as (select f, t from g where f = 1 union all select g.f, g.t from g, s where g.f = s.t) search depth first by f, t set seq select f, t, seq::text from s order by f, t',
     ['f', 't', 'seq'],
     [(1, 2, '{"(1,2)"}'), (1, 4, '{"(1,4)"}'), (2, 3, '{"(1,2)","(2,3)"}'), (4, 5, '{"(1,4)","(4,5)"}')],
     None),
    ('with recursive g(f, t) as (values (1, 2), (2, 3), (1, 4), (4, 5)), s(f, t) as (select f, t from g where f = 1 union all select g.f, g.t from g, s where g.f = s.t) search breadth first by f, t set seq select f, t, seq::text from s order by seq',
     ['f', 't', 'seq'],
     [(1, 2, '(0,1,2)'), (1, 4, '(0,1,4)'), (2, 3, '(1,2,3)'), (4, 5, '(1,4,5)')],
     None),
    ('with recursive n as (select 0 as x union all select (x + 1) % 3 from n) search depth first by x set seq cycle x set c using p select x, seq::text, c from n',
     ['x', 'seq', 'c'],
     [(0, '{(0)}', False), (1, '{(0),(1)}', False), (2, '{(0),(1),(2)}', False), (0, '{(0),(1),(2),(0)}', True)],
     None),
    ('with recursive s(f, t) as (select 1, 2 union all select s.f, s.t from s) cycle f set c using c select * from s',
     None,
     None,
     '42601'),  # cycle mark column name and cycle path column name are the same
    ('with recursive s(f, t) as (select 1, 2 union all select f, t from s) search depth first by foo set seq select * from s',
     None,
     None,
     '42601'),  # search column "foo" not in WITH query column list
    # the shape PostgreSQL requires of a self-referencing recursive query
    ('with recursive x(n) as (select 1 intersect select n+1 from x) select * from x',
     None,
     None,
     '42P19'),  # recursive query "x" does not have the form non-recursive-term UNION [ALL] recursive-term
    ('with recursive x(n) as (select n from x) select * from x',
     None,
     None,
     '42P19'),  # recursive query "x" does not have the form non-recursive-term UNION [ALL] recursive-term
    ('with recursive x(n) as (select n from x union all select 1) select * from x',
     None,
     None,
     '42P19'),  # recursive reference to query "x" must not appear within its non-recursive term
    ('with recursive x(n) as (select a from u where a = 1 union all select x.n+1 from u left join x on x.n = u.a where n < 10) select * from x',
     None,
     None,
     '42P19'),  # recursive reference to query "x" must not appear within an outer join
    ('with recursive x(n) as (select a from u where a = 1 union all select x.n+1 from x full join u on x.n = u.a where n < 10) select * from x',
     None,
     None,
     '42P19'),  # recursive reference to query "x" must not appear within an outer join
    ('with recursive x(n) as (select a from u where a = 1 union all select x.n+1 from x left join u on x.n = u.a where n < 4) select * from x',
     ['n'],
     [(1,), (2,), (3,), (4,)],
     None),
    ('with recursive x(n) as (select 1 union all select n+1 from x where n in (select * from x)) select * from x',
     None,
     None,
     '42P19'),  # recursive reference to query "x" must not appear within a subquery
    ('with recursive x(n) as (select 1 union all select count(*) from x) select * from x',
     None,
     None,
     '42P19'),  # aggregate functions are not allowed in a recursive query's recursive term
    ('with recursive x(n) as (select 1 union all select n+1 from x order by 1) select * from x',
     None,
     None,
     '0A000'),  # ORDER BY in a recursive query is not implemented
    ('with recursive x(n) as (select 1 union all select n+1 from x limit 10) select * from x',
     None,
     None,
     '0A000'),  # LIMIT in a recursive query is not implemented
    ('with recursive x(n) as (select 1 union all select n+1 from x for update) select * from x',
     None,
     None,
     '0A000'),  # FOR UPDATE/SHARE in a recursive query is not implemented
    ('with recursive x(n) as (select 1 union all select x.n+1 from x, x x2 where x.n < 3) select * from x',
     None,
     None,
     '42P19'),  # recursive reference to query "x" must not appear more than once
    ('with recursive x(n) as (select 1 union all select n+1 from (select * from x) s where n < 3) select * from x',
     ['n'],
     [(1,), (2,), (3,)],
     None),
    ('with recursive x(n) as (select 1 union all select (select count(*) from u) + n from x where n < 3) select * from x',
     None,
     None,
     '42804'),  # recursive query "x" column 1 has type integer in non-recursive term but type bigint overall
    # a WITH query's column list longer than its columns
    ('with x(n, b) as (select 1) select * from x',
     None,
     None,
     '42P10'),  # WITH query "x" has 1 columns available but 2 columns specified
    ('with x(n) as (select 1, 2) select * from x',
     ['n', '?column?'],
     [(1, 2)],
     None),
    # * in the recursive term is the CTE's own columns; a SEARCH column named twice
    ('with recursive a as (select 1 as b union all select * from a) cycle b set c using p select b, c, p::text from a',
     ['b', 'c', 'p'],
     [(1, False, '{(1)}'), (1, True, '{(1),(1)}')],
     None),
    ('with recursive s(f, t) as (select 1, 2 union all select s.f, s.t from s) search depth first by f, t, f set seq select * from s',
     None,
     None,
     '42701'),  # search column "f" specified more than once
]

test_matches_postgresql = make_test(CASES)


def test_view_keeps_search_and_cycle_over_several_columns():
    """A view's stored text gives the column lists back as PostgreSQL writes them (no parentheses)."""
    import helios_core

    s = helios_core.connect()
    s.execute("create view vs as with recursive s(f, t) as (select 1, 2 union all select s.f + 1, s.t from s "
              "where s.f < 3) search depth first by f, t set seq cycle f, t set c using p select f, seq::text, c from s")
    assert s.execute("select * from vs order by f")[-1].rows() == [
        (1, '{"(1,2)"}', False), (2, '{"(1,2)","(2,2)"}', False), (3, '{"(1,2)","(2,2)","(3,2)"}', False)]
    s.close()


def test_create_recursive_view():
    """CREATE [OR REPLACE] RECURSIVE VIEW v (cols) AS q is CREATE VIEW v AS WITH RECURSIVE v (cols) AS (q)
    SELECT cols FROM v (PostgreSQL 15 gives the same rows)."""
    import helios_core

    s = helios_core.connect()
    s.execute("create recursive view nums (n) as values (1) union all select n + 1 from nums where n < 3")
    assert s.execute("select * from nums")[-1].rows() == [(1,), (2,), (3,)]
    s.execute("create or replace recursive view nums (n) as values (1) union all select n + 1 from nums where n < 4")
    assert s.execute("select * from nums")[-1].rows() == [(1,), (2,), (3,), (4,)]
    s.close()


def test_recursive_form_errors_point_where_postgresql_points():
    """At the WITH query's name for a query of the wrong form, at the self-reference otherwise (PostgreSQL 15)."""
    import pytest

    import helios_core
    from helios_core.errors import HeliosError

    s = helios_core.connect()
    for sql, at in [
        ("with recursive x(n) as (select 1 intersect select n+1 from x) select * from x", "x(n)"),
        ("with recursive x(n) as (select n from x union all select 1) select * from x", "x union"),
        ("with recursive x(n) as (select 1 union all select n+1 from x where n in (select * from x)) select * from x",
         "x))"),
    ]:
        with pytest.raises(HeliosError) as err:
            s.execute(sql)
        assert err.value.position == sql.index(at) + 1, sql
    s.close()


def test_recursive_term_that_is_a_set_operation_or_has_its_own_with():
    """The self-reference once in a recursive term made of set operations, never on EXCEPT's right, never
    in a WITH of the recursive query (PostgreSQL 15's messages and positions)."""
    import pytest

    import helios_core
    from helios_core.errors import HeliosError

    s = helios_core.connect()
    for sql, message, at in [
        (("with recursive f(i) as (values (1) union all (select i+1 from f where i < 10 union all "
         "select i+1 from f where i < 5)) select * from f"), "must not appear more than once", "f where i < 5"),
        (("with recursive f(i) as (values (1) union all select * from (select i+1 from f where i < 10 union all "
         "select i+1 from f where i < 5) as t) select * from f"), "must not appear more than once", "f where i < 5"),
        (("with recursive f(i) as (values (1) union all (select i+1 from f where i < 10 except "
         "select i+1 from f where i < 5)) select * from f"), "must not appear within EXCEPT", "f where i < 5"),
        ("with recursive x(n) as (with x1 as (select 1 from x) select 0 union select * from x1) select * from x",
         "must not appear within a subquery", "x) select 0"),
    ]:
        with pytest.raises(HeliosError, match=message) as err:
            s.execute(sql)
        assert (err.value.sqlstate, err.value.position) == ("42P19", sql.index(at) + 1), sql
    # still allowed: the reference once, in a subquery of FROM or in one branch of a UNION
    assert s.execute("with recursive t(n) as (select 1 union all select n+1 from (select n from t) s where n < 3) "
                     "select * from t")[-1].rows() == [(1,), (2,), (3,)]
    assert s.execute("with recursive t(n) as (select 1 union all (select n+1 from t where n < 3 union "
                     "select 7 where false)) select * from t")[-1].rows() == [(1,), (2,), (3,)]
    s.close()


def test_search_and_cycle_clause_errors_as_postgresql():
    """Messages, SQLSTATEs and the caret at the clause's keyword, as PostgreSQL 15 gives them."""
    import pytest

    import helios_core
    from helios_core.errors import HeliosError

    s = helios_core.connect()
    s.execute("create table g0 (f int, t int, label text)")
    body = ("with recursive sg(f, t, label) as (select * from g0 g union all select g.* from g0 g, sg "
            "where g.f = sg.t) ")
    for clause, message, at in [
        ("search depth first by foo, tar set seq", 'search column "foo" not in WITH query column list', "search"),
        ("search depth first by f, t, f set seq", 'search column "f" specified more than once', "search"),
        ("search depth first by f, t set label",
         'search sequence column name "label" already used in WITH query column list', "search"),
        ("cycle f, t set foo to true default false using foo",
         "cycle mark column name and cycle path column name are the same", "cycle"),
        ("search depth first by f, t set foo cycle f, t set foo to true default false using path",
         "search sequence column name and cycle mark column name are the same", "search"),
    ]:
        sql = body + clause + " select * from sg"
        with pytest.raises(HeliosError) as err:
            s.execute(sql)
        assert (err.value.message, err.value.position) == (message, len(body) + 1), clause
    for sql, message in [
        (("with recursive sg(f, t, label) as (select * from g0 union all select * from g0 union all "
         "select g.* from g0 g, sg where g.f = sg.t) search depth first by f, t set seq select * from sg"),
         "with a SEARCH or CYCLE clause, the left side of the UNION must be a SELECT"),
        (("with recursive x(col) as (select 1 union (with x as (select * from x) select * from x)) "
         "search depth first by col set seq select * from x"),
         ('with a SEARCH or CYCLE clause, the recursive reference to WITH query "x" must be at the top level of its '
         "right-hand SELECT")),
    ]:
        with pytest.raises(HeliosError, match="SEARCH or CYCLE") as err:
            s.execute(sql)
        assert (err.value.sqlstate, err.value.message) == ("0A000", message)
    # a WITH query of the same name inside the recursive term hides the recursive one
    assert s.execute("with recursive x(col) as (select 1 union (with x as (select * from x) select * from x)) "
                     "select * from x")[-1].rows() == [(1,)]
    s.close()
