"""Window functions and frames.

Expected answers were recorded from PostgreSQL 15 running the same statements."""
from __future__ import annotations

from tests.sql.pg_answers import make_test

CASES = [
    ('select a, row_number() over (order by a, b), rank() over (order by b), dense_rank() over (order by b) from t order by a, 2',
     ['a', 'row_number', 'rank', 'dense_rank'],
     [(1, 1, 1, 1), (2, 2, 3, 2), (2, 3, 3, 2), (3, 4, 5, 3), (None, 5, 1, 1)],
     None),
    ('select a, sum(a) over (order by a) s1, sum(a) over () s2, lag(a) over (order by a), lead(a, 1, 0) over (order by a) from t order by 2, a',
     ['a', 's1', 's2', 'lag', 'lead'],
     [(1, 1, 8, None, 2), (2, 5, 8, 1, 2), (2, 5, 8, 2, 3), (3, 8, 8, 2, None), (None, 8, 8, 3, 0)],
     None),
    ('select b, a, first_value(a) over (partition by b order by a), count(*) over (partition by b), avg(c) over (partition by b) from t order by b, a',
     ['b', 'a', 'first_value', 'count', 'avg'],
     [('x', 1, 1, 2, ('num', '2.2500000000000000')), ('x', None, 1, 2, ('num', '2.2500000000000000')), ('y', 2, 2, 2, ('num', '7.7700000000000000')), ('y', 2, 2, 2, ('num', '7.7700000000000000')), (None, 3, 3, 1, ('num', '2.2500000000000000'))],
     None),
    ('select a, sum(a) over (order by a rows between 1 preceding and 1 following), max(a) over (order by a rows between 1 preceding and current row), ntile(2) over (order by a) from t where a is not null order by a',
     ['a', 'sum', 'max', 'ntile'],
     [(1, 3, 1, 1), (2, 5, 2, 1), (2, 7, 2, 2), (3, 5, 3, 2)],
     None),
    ('select b, sum(sum(a)) over (), count(*) from t group by b order by b',
     ['b', 'sum', 'count'],
     [('x', ('num', '8'), 2), ('y', ('num', '8'), 2), (None, ('num', '8'), 1)],
     None),
    ('select a, percent_rank() over (order by a), cume_dist() over (order by a) from t order by a',
     ['a', 'percent_rank', 'cume_dist'],
     [(1, ('float', '0.0'), ('float', '0.2')), (2, ('float', '0.25'), ('float', '0.6')), (2, ('float', '0.25'), ('float', '0.6')), (3, ('float', '0.75'), ('float', '0.8')), (None, ('float', '1.0'), ('float', '1.0'))],
     None),
    ('select a, last_value(a) over (order by a rows between unbounded preceding and unbounded following) from t order by a',
     ['a', 'last_value'],
     [(1, None), (2, None), (2, None), (3, None), (None, None)],
     None),
    ('select a, c, sum(c) over (partition by a order by c) from t order by a, c',
     ['a', 'c', 'sum'],
     [(1, ('num', '1.50'), ('num', '1.50')), (2, ('num', '7.77'), ('num', '7.77')), (2, None, ('num', '7.77')), (3, ('num', '2.25'), ('num', '2.25')), (None, ('num', '3.00'), ('num', '3.00'))],
     None),
    ('select x, sum(x) over (order by x range between 1 preceding and 1 following) from generate_series(1, 5) x order by x',
     ['x', 'sum'],
     [(1, 3), (2, 6), (3, 9), (4, 12), (5, 9)],
     None),
    ('select x, sum(x) over (order by x groups between 1 preceding and current row) from (values (1), (1), (2), (3), (3)) v(x) order by x',
     ['x', 'sum'],
     [(1, 2), (1, 2), (2, 4), (3, 8), (3, 8)],
     None),
    ('select x, count(*) over w, min(x) over w from generate_series(1, 5) x window w as (order by x rows 2 preceding) order by x',
     ['x', 'count', 'min'],
     [(1, 1, 1), (2, 2, 1), (3, 3, 1), (4, 3, 2), (5, 3, 3)],
     None),
    ('select x, nth_value(x, 2) over (order by x rows between unbounded preceding and unbounded following) from generate_series(1, 4) x order by x',
     ['x', 'nth_value'],
     [(1, 2), (2, 2), (3, 2), (4, 2)],
     None),
    ('select x, lag(x, 2) over (order by x), lead(x, 2, -1) over (order by x) from generate_series(1, 5) x order by x',
     ['x', 'lag', 'lead'],
     [(1, None, 3), (2, None, 4), (3, 1, 5), (4, 2, -1), (5, 3, -1)],
     None),
    ('select x, ntile(3) over (order by x) from generate_series(1, 7) x order by x',
     ['x', 'ntile'],
     [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 3), (7, 3)],
     None),
    ('select b, a, row_number() over (partition by b order by a desc nulls last) from t order by b, a',
     ['b', 'a', 'row_number'],
     [('x', 1, 1), ('x', None, 2), ('y', 2, 1), ('y', 2, 2), (None, 3, 1)],
     None),
    ('select a, rank() over (order by a desc) from t order by a desc nulls first',
     ['a', 'rank'],
     [(None, 1), (3, 2), (2, 3), (2, 3), (1, 5)],
     None),
    ('select a, row_number() over () is not null from t order by a',
     ['a', '?column?'],
     [(1, True), (2, True), (2, True), (3, True), (None, True)],
     None),
    ('select x % 2 as k, x, sum(x) over (partition by x % 2 order by x rows unbounded preceding) from generate_series(1, 6) x order by k, x',
     ['k', 'x', 'sum'],
     [(0, 2, 2), (0, 4, 6), (0, 6, 12), (1, 1, 1), (1, 3, 4), (1, 5, 9)],
     None),
    ('select a, avg(a) over (order by a rows between 1 preceding and 1 following) from t where a is not null order by a',
     ['a', 'avg'],
     [(1, ('num', '1.5000000000000000')), (2, ('num', '1.6666666666666667')), (2, ('num', '2.3333333333333333')), (3, ('num', '2.5000000000000000'))],
     None),
    ('select b, count(*) filter (where a > 1) over (partition by b) from t order by b, 2',
     ['b', 'count'],
     [('x', 0), ('x', 0), ('y', 2), ('y', 2), (None, 1)],
     None),
    # RANGE offsets by the key type's in_range rules (calendar months, NaN/Infinity, intervals, time)
    ("select d, count(*) over (order by d range between '1 month' preceding and '1 month' following) from t order by d",
     ['d', 'count'],
     [(('text', '2023-12-31'), 2), (('text', '2024-01-01'), 2), (('text', '2024-02-29'), 2), (('text', '2024-03-01'), 2), (None, 1)],
     None),
    ("select d, count(*) over (order by d desc range between '2 months' preceding and current row exclude current row) from t order by d",
     ['d', 'count'],
     [(('text', '2023-12-31'), 2), (('text', '2024-01-01'), 2), (('text', '2024-02-29'), 1), (('text', '2024-03-01'), 0), (None, 0)],
     None),
    ("select x, first_value(x) over w, last_value(x) over w from (values (1,'-inf'::float8),(2,-3),(3,0),(4,1.1),(5,2),(6,'inf'),(7,'nan')) v(x,f) window w as (order by f range between 'inf' preceding and 'inf' following) order by x",
     ['x', 'first_value', 'last_value'],
     [(1, 1, 6), (2, 1, 6), (3, 1, 6), (4, 1, 6), (5, 1, 6), (6, 1, 6), (7, 7, 7)],
     None),
    ("select x, first_value(x) over w, last_value(x) over w from (values (1,'-inf'::float8),(2,-3),(3,0),(4,1.1),(5,2),(6,'inf'),(7,'nan')) v(x,f) window w as (order by f desc range between 1 preceding and 1 following) order by x",
     ['x', 'first_value', 'last_value'],
     [(1, 1, 1), (2, 2, 2), (3, 3, 3), (4, 5, 4), (5, 5, 4), (6, 6, 6), (7, 7, 7)],
     None),
    ("select x, first_value(x) over w, last_value(x) over w from (values (1,'-inf'::numeric),(2,-3),(3,0),(4,1.1),(5,2),(6,'inf'),(7,'nan'),(8,null)) v(x,f) window w as (order by f range between 1.5 preceding and 1 following) order by x",
     ['x', 'first_value', 'last_value'],
     [(1, 1, 1), (2, 2, 2), (3, 3, 3), (4, 3, 5), (5, 4, 5), (6, 6, 6), (7, 7, 7), (8, 8, 8)],
     None),
    ("select t, count(*) over (order by t range between '1 hour' preceding and current row) from (values ('10:00'::time),('10:30'),('11:15'),(null)) v(t) order by t",
     ['t', 'count'],
     [(('text', '10:00:00'), 1), (('text', '10:30:00'), 2), (('text', '11:15:00'), 2), (None, 1)],
     None),
    ("select t::text, count(*) over (order by t range between '1 day' preceding and '1 day' following) from (values ('1 day'::interval),('2 days'),('50 hours'),('5 days')) v(t) order by t",
     ['t', 'count'],
     [('1 day', 2), ('2 days', 3), ('5 days', 1), ('50:00:00', 2)],
     None),
    ('select x, sum(x) over (order by x rows between current row and 9223372036854775807 following) from generate_series(1,3) x order by x',
     ['x', 'sum'],
     [(1, 6), (2, 5), (3, 3)],
     None),
    ('select x, sum(x) over (order by x groups between 9223372036854775807 following and unbounded following) from generate_series(1,3) x order by x',
     ['x', 'sum'],
     [(1, None), (2, None), (3, None)],
     None),
    ('select d, count(*) over (order by d range between 1 preceding and current row) from t',
     None,
     None,
     '0A000'),  # RANGE with offset PRECEDING/FOLLOWING is not supported for column type date and offset type integer
    ("select a, count(*) over (order by a range between '1 day'::interval preceding and current row) from t",
     None,
     None,
     '0A000'),  # RANGE with offset PRECEDING/FOLLOWING is not supported for column type integer and offset type interval
    ('select b, count(*) over (order by b range between 1 preceding and current row) from t',
     None,
     None,
     '0A000'),  # RANGE with offset PRECEDING/FOLLOWING is not supported for column type text
    ('select a, count(*) over (order by a range between -1 preceding and current row) from t',
     None,
     None,
     '22013'),  # invalid preceding or following size in window function
    ('select a, count(*) over (order by a range between null preceding and current row) from t',
     None,
     None,
     '22004'),  # frame starting offset must not be null
    ('select a, count(*) over (order by a rows between current row and null following) from t',
     None,
     None,
     '22004'),  # frame ending offset must not be null
    ('select a, count(*) over (order by a, b range between 1 preceding and current row) from t',
     None,
     None,
     '42P20'),  # RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column
    # ntile(NULL) is NULL
    ('select x, ntile(null) over (order by x), ntile(2) over (order by x) from generate_series(1,3) x order by x',
     ['x', 'ntile', 'ntile'],
     [(1, None, 1), (2, None, 1), (3, None, 2)],
     None),
    # where a window function may not stand (42P20), and calls that are no window function (42809)
    ('select rank() over (order by rank() over (order by a)) from t',
     None,
     None,
     '42P20'),  # window functions are not allowed in window definitions
    ('select * from t where row_number() over (order by a) < 10',
     None,
     None,
     '42P20'),  # window functions are not allowed in WHERE
    ('select * from t join u on row_number() over (order by t.a) < 10',
     None,
     None,
     '42P20'),  # window functions are not allowed in JOIN conditions
    ('select rank() over (order by 1), count(*) from t group by 1',
     None,
     None,
     '42P20'),  # window functions are not allowed in GROUP BY
    ('select count(*) over w from t window w as (order by a), w as (order by a)',
     None,
     None,
     '42P20'),  # window "w" is already defined
    ('select count() over () from t',
     None,
     None,
     '42809'),  # count(*) must be used to call a parameterless aggregate function
    ('select generate_series(1, 3) over () from t',
     None,
     None,
     '42809'),  # OVER specified, but generate_series is not a window function nor an aggregate function
    ('select a from t where a in (select row_number() over () from u) order by a',
     ['a'],
     [(1,), (2,), (2,), (3,)],
     None),
]

test_matches_postgresql = make_test(CASES)


def test_window_function_in_returning_is_refused():
    import pytest

    import helios_core
    from helios_core.errors import HeliosError

    s = helios_core.connect()
    s.execute("create table w_ret (a int)")
    s.execute("insert into w_ret values (1)")
    with pytest.raises(HeliosError) as err:
        s.execute("delete from w_ret returning rank() over (order by a)")
    assert (err.value.sqlstate, err.value.message) == ("42P20", "window functions are not allowed in RETURNING")
    assert s.execute("select count(*) from w_ret")[-1].rows() == [(1,)]
    s.close()


def test_window_errors_point_where_postgresql_points():
    """The error position (psql's caret) is the window call or the frame offset, as in PostgreSQL 15."""
    import pytest

    import helios_core
    from helios_core.errors import HeliosError

    s = helios_core.connect()
    s.execute("create table w_pos (salary int, d date, x numeric)")
    for sql, token in [
        ("select * from w_pos where row_number() over (order by salary) < 10", "row_number"),
        ("select rank() over (order by 1), count(*) from w_pos group by 1", "rank"),
        ("select max(d) over (order by d range between 1 preceding and 2 following) from w_pos", "1 preceding"),
        ("select max(d) over (order by x range between 1 preceding and 1.1::float8 following) from w_pos", "1.1"),
        ("select count() over () from w_pos", "count"),
    ]:
        with pytest.raises(HeliosError) as err:
            s.execute(sql)
        assert err.value.position == sql.index(token) + 1, sql
    s.close()
