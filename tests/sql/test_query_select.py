"""SELECT basics: filters, ORDER BY/LIMIT, DISTINCT, VALUES, set operations, CTEs, expressions.

Expected answers were recorded from PostgreSQL 15 running the same statements."""
from __future__ import annotations

import pytest

from helios_core.errors import HeliosError


def connect_with(setup):
    import helios_core

    s = helios_core.connect()
    for stmt in setup:
        s.execute(stmt)
    return s


def _norm(v):
    import datetime
    import decimal
    import json

    if isinstance(v, float):
        return ("float", v)
    if isinstance(v, decimal.Decimal):
        return ("num", str(v))
    if isinstance(v, (datetime.date, datetime.datetime, datetime.time, datetime.timedelta)):
        return ("text", str(v))
    if isinstance(v, list):
        return ("json_or_array", json.dumps(v, default=str))
    return v


def _expected(v):
    if isinstance(v, tuple) and v[0] == "float":
        return ("float", float(v[1]))
    if isinstance(v, tuple) and v[0] == "json_or_array":
        return ("json_or_array", __import__("json").dumps(__import__("json").loads(v[1]), default=str))
    return v


def _same(got, want):
    if isinstance(got, tuple) and isinstance(want, tuple) and got[0] == want[0] == "float":
        return abs(got[1] - want[1]) <= 1e-9 * max(1.0, abs(want[1]))
    if isinstance(got, str) and isinstance(want, tuple) and want[0] == "json_or_array":
        import json

        return json.dumps(json.loads(got), default=str) == want[1]
    return got == want


def _rows_equal(got, want, ordered):
    key = repr
    if not ordered:
        got = sorted(got, key=key)
        want = sorted(want, key=key)
    if len(got) != len(want):
        return False
    return all(len(g) == len(w) and all(_same(a, b) for a, b in zip(g, w)) for g, w in zip(got, want))


def check(session, sql, columns, rows, sqlstate):
    if sqlstate is not None:
        with pytest.raises(HeliosError) as err:
            for r in session.execute(sql):
                r.rows()
        assert err.value.sqlstate == sqlstate, (sql, err.value.message)
        return
    result = session.execute(sql)[-1]
    got = [tuple(_norm(v) for v in r) for r in result.rows()]
    want = [tuple(_expected(v) for v in r) for r in rows]
    assert [c.name for c in result.columns] == columns
    ordered = " order by " in sql.lower() and "limit" not in sql.lower().split("order by")[-1][:0]
    assert _rows_equal(got, want, ordered), f"{sql}\\n got: {got}\\nwant: {want}"


SETUP = [
    'create table t (a int, b text, c numeric(10,2), d date, f float8)',
    "insert into t values (1,'x',1.5,'2024-01-01',0.5),(2,'y',null,'2024-02-29',1e10),(3,null,2.25,null,-1.25),(null,'x',3,'2023-12-31',null),(2,'y',7.77,'2024-03-01',2)",
    'create table u (a int primary key, d text)',
    "insert into u values (1,'one'),(2,'two'),(5,'five')",
    'create table "MixedCase" ("Id" int, val text)',
    'insert into "MixedCase" values (1, \'a\'), (2, \'b\')',
    'create view tv as select a, b from t where a is not null',
]

KNOWN_DIFFERENCES = {'select c * 2, c + a, c / 3, round(c, 1), c::int, -c from t order by 1, 2': 'numeric division gives one '
                                                                             'display scale per column, '
                                                                             'PostgreSQL one per value',
 'select stddev(a), variance(a), stddev_pop(f), var_pop(a), stddev_samp(c), var_samp(c) from t': 'sqlglot '
                                                                                                 'parses '
                                                                                                 'var_samp() '
                                                                                                 'as '
                                                                                                 'Variance, '
                                                                                                 'so the '
                                                                                                 'column is '
                                                                                                 'named '
                                                                                                 'variance, '
                                                                                                 'not '
                                                                                                 'var_samp',
 'select u.a, (select coalesce(max(c), -1) from t where t.a = u.a) from u order by u.a': 'a numeric column '
                                                                                         'has one display '
                                                                                         'scale (here 2); '
                                                                                         'PostgreSQL keeps '
                                                                                         "each value's own "
                                                                                         'scale (-1)'}

CASES = [
    ('select 1',
     ['?column?'],
     [(1,)],
     None),
    ("select 1 as one, 'x' as s, null as n, true as b, 1.50 as num",
     ['one', 's', 'n', 'b', 'num'],
     [(1, 'x', None, True, ('num', '1.50'))],
     None),
    ('select * from t order by a, c',
     ['a', 'b', 'c', 'd', 'f'],
     [(1, 'x', ('num', '1.50'), ('text', '2024-01-01'), ('float', '0.5')), (2, 'y', ('num', '7.77'), ('text', '2024-03-01'), ('float', '2.0')), (2, 'y', None, ('text', '2024-02-29'), ('float', '10000000000.0')), (3, None, ('num', '2.25'), None, ('float', '-1.25')), (None, 'x', ('num', '3.00'), ('text', '2023-12-31'), None)],
     None),
    ('select a, b from t where a > 1 order by a, b',
     ['a', 'b'],
     [(2, 'y'), (2, 'y'), (3, None)],
     None),
    ("select a from t where b = 'x' order by a",
     ['a'],
     [(1,), (None,)],
     None),
    ('select a, b from t where a >= 2 and b is not null order by a',
     ['a', 'b'],
     [(2, 'y'), (2, 'y')],
     None),
    ('select a from t where a = 2 or b is null order by a',
     ['a'],
     [(2,), (2,), (3,)],
     None),
    ('select a from t where not (a > 1) order by a',
     ['a'],
     [(1,)],
     None),
    ('select distinct b from t order by b',
     ['b'],
     [('x',), ('y',), (None,)],
     None),
    ('select distinct a, b from t order by a, b',
     ['a', 'b'],
     [(1, 'x'), (2, 'y'), (3, None), (None, 'x')],
     None),
    ('select distinct on (b) b, a from t order by b, a desc',
     ['b', 'a'],
     [('x', None), ('y', 2), (None, 3)],
     None),
    ('select a from t order by a desc limit 2 offset 1',
     ['a'],
     [(3,), (2,)],
     None),
    ('select a from t order by a nulls first',
     ['a'],
     [(None,), (1,), (2,), (2,), (3,)],
     None),
    ('select a from t order by a desc nulls last',
     ['a'],
     [(3,), (2,), (2,), (1,), (None,)],
     None),
    ('select a from t order by a desc',
     ['a'],
     [(None,), (3,), (2,), (2,), (1,)],
     None),
    ('select a from t order by a limit 0',
     ['a'],
     [],
     None),
    ('select a from t order by a offset 3',
     ['a'],
     [(3,), (None,)],
     None),
    ('select a from t order by a fetch first 2 rows only',
     ['a'],
     [(1,), (2,)],
     None),
    ('select a from t order by a desc nulls last fetch first 2 rows with ties',
     ['a'],
     [(3,), (2,), (2,)],
     None),
    ('select a as x from t order by x',
     ['x'],
     [(1,), (2,), (2,), (3,), (None,)],
     None),
    ('select b as a, a from t order by a',
     None,
     None,
     '42702'),
    ('select a, a from t order by 1, 2',
     ['a', 'a'],
     [(1, 1), (2, 2), (2, 2), (3, 3), (None, None)],
     None),
    ('select a + 1 as y from t order by y desc nulls last',
     ['y'],
     [(4,), (3,), (3,), (2,), (None,)],
     None),
    ('select x from (values (1), (2), (null)) v(x) order by x',
     ['x'],
     [(1,), (2,), (None,)],
     None),
    ("select * from (values (1, 'a'), (2, 'b')) as v(n, s) order by n",
     ['n', 's'],
     [(1, 'a'), (2, 'b')],
     None),
    ("values (1, 'a'), (2, null)",
     ['column1', 'column2'],
     [(1, 'a'), (2, None)],
     None),
    ('select * from (select a, b from t) s where s.a > 1 order by a',
     ['a', 'b'],
     [(2, 'y'), (2, 'y'), (3, None)],
     None),
    ('select s.x from (select a * 2 as x from t) s order by 1',
     ['x'],
     [(2,), (4,), (4,), (6,), (None,)],
     None),
    ('select a from t union select a from u order by 1',
     ['a'],
     [(1,), (2,), (3,), (5,), (None,)],
     None),
    ('select a from t union all select a from u order by 1',
     ['a'],
     [(1,), (1,), (2,), (2,), (2,), (3,), (5,), (None,)],
     None),
    ('select a from t intersect select a from u order by 1',
     ['a'],
     [(1,), (2,)],
     None),
    ('select a from t intersect all select a from t order by 1',
     ['a'],
     [(1,), (2,), (2,), (3,), (None,)],
     None),
    ('select a from t except all select a from u order by 1',
     ['a'],
     [(2,), (3,), (None,)],
     None),
    ('select a from t except select a from u order by 1',
     ['a'],
     [(3,), (None,)],
     None),
    ('select 1 union select 2 union select 1 order by 1',
     ['?column?'],
     [(1,), (2,)],
     None),
    ('select a, b from t union all select a, d from u order by 1, 2',
     ['a', 'b'],
     [(1, 'one'), (1, 'x'), (2, 'two'), (2, 'y'), (2, 'y'), (3, None), (5, 'five'), (None, 'x')],
     None),
    ('(select a from t order by a limit 1) union all (select a from u order by a desc limit 1) order by 1',
     ['a'],
     [(1,), (5,)],
     None),
    ('with x as (select a * 2 as z from t) select z from x where z > 2 order by z',
     ['z'],
     [(4,), (4,), (6,)],
     None),
    ('with x as (select a from t), y as (select a from x where a > 1) select count(*) from y',
     ['count'],
     [(3,)],
     None),
    ('with x(p) as (select a from u) select p from x order by p',
     ['p'],
     [(1,), (2,), (5,)],
     None),
    ('with recursive r(n) as (select 1 union all select n + 1 from r where n < 5) select sum(n) from r',
     ['sum'],
     [(15,)],
     None),
    ('with recursive r(n) as (select 1 union select n % 3 + 1 from r) select * from r order by n',
     ['n'],
     [(1,), (2,), (3,)],
     None),
    ('with recursive fib(i, x, y) as (select 1, 0::bigint, 1::bigint union all select i + 1, y, x + y from fib where i < 20) select i, x from fib order by i desc limit 3',
     ['i', 'x'],
     [(20, 4181), (19, 2584), (18, 1597)],
     None),
    ('select * from generate_series(1, 3) g order by 1',
     ['g'],
     [(1,), (2,), (3,)],
     None),
    ('select * from generate_series(10, 1, -3) order by 1',
     ['generate_series'],
     [(1,), (4,), (7,), (10,)],
     None),
    ('select generate_series from generate_series(1, 2) order by 1',
     ['generate_series'],
     [(1,), (2,)],
     None),
    ('select * from unnest(array[1, 2, 3]) with ordinality as x(v, i) order by i',
     ['v', 'i'],
     [(1, 1), (2, 2), (3, 3)],
     None),
    ("select * from unnest(array['a', 'b']) u order by 1",
     ['u'],
     [('a',), ('b',)],
     None),
    ('select generate_series(1, 3)',
     ['generate_series'],
     [(1,), (2,), (3,)],
     None),
    ('select value::text from jsonb_array_elements(\'[1, "x", {"k": null}, 1.50]\')',
     ['value'],
     [('1',), ('"x"',), ('{"k": null}',), ('1.50',)],
     None),
    ('select value from jsonb_array_elements_text(\'[1, "x", null]\')',
     ['value'],
     [('1',), ('x',), (None,)],
     None),
    ('select e.key, e.value::text from jsonb_each(\'{"b": [1, 2], "a": {"c": true}}\') e order by 1',
     ['key', 'value'],
     [('a', '{"c": true}'), ('b', '[1, 2]')],
     None),
    ('select * from jsonb_each_text(\'{"a": 1, "b": "t"}\') order by key',
     ['key', 'value'],
     [('a', '1'), ('b', 't')],
     None),
    ('select k from jsonb_object_keys(\'{"b": 1, "a": 2}\') k order by k',
     ['k'],
     [('a',), ('b',)],
     None),
    ("select * from regexp_split_to_table('a1b22c', '[0-9]+')",
     ['regexp_split_to_table'],
     [('a',), ('b',), ('c',)],
     None),
    ("select x from string_to_table('a,b,,c', ',') x",
     ['x'],
     [('a',), ('b',), ('',), ('c',)],
     None),
    ('select a, generate_series(1, a) as g from t where a is not null order by 1, 2',
     ['a', 'g'],
     [(1, 1), (2, 1), (2, 1), (2, 2), (2, 2), (3, 1), (3, 2), (3, 3)],
     None),
    ("select unnest(array[1, 2, 3]) as n, unnest(array['a', 'b']) as s order by 1",
     ['n', 's'],
     [(1, 'a'), (2, 'b'), (3, None)],
     None),
    ("select * from generate_series('2024-01-01'::timestamp, '2024-01-03', '1 day') g",
     ['g'],
     [(('text', '2024-01-01 00:00:00'),), (('text', '2024-01-02 00:00:00'),), (('text', '2024-01-03 00:00:00'),)],
     None),
    ("select a, case when a > 1 then 'big' else 'small' end from t order by a",
     ['a', 'case'],
     [(1, 'small'), (2, 'big'), (2, 'big'), (3, 'big'), (None, 'small')],
     None),
    ("select a, case a when 1 then 'one' when 2 then 'two' end as w from t order by a, w",
     ['a', 'w'],
     [(1, 'one'), (2, 'two'), (2, 'two'), (3, None), (None, None)],
     None),
    ('select case when a is null then 0 when a < 2 then 1 else 2 end as k, count(*) from t group by 1 order by 1',
     ['k', 'count'],
     [(0, 1), (1, 1), (2, 3)],
     None),
    ("select coalesce(b, 'none') as b2, nullif(a, 1), greatest(a, 2), least(a, 2, null) from t order by 1, 2, 3",
     ['b2', 'nullif', 'greatest', 'least'],
     [('none', 3, 3, 2), ('x', None, 2, 1), ('x', None, 2, 2), ('y', 2, 2, 2), ('y', 2, 2, 2)],
     None),
    ('select a + 1, a * 2, a / 2, a % 2, -a, 7 / 2, 7.0 / 2, 2 ^ 10 from t order by 1',
     ['?column?', '?column?', '?column?', '?column?', '?column?', '?column?', '?column?', '?column?'],
     [(2, 2, 0, 1, -1, 3, ('num', '3.5000000000000000'), ('float', '1024.0')), (3, 4, 1, 0, -2, 3, ('num', '3.5000000000000000'), ('float', '1024.0')), (3, 4, 1, 0, -2, 3, ('num', '3.5000000000000000'), ('float', '1024.0')), (4, 6, 1, 1, -3, 3, ('num', '3.5000000000000000'), ('float', '1024.0')), (None, None, None, None, None, 3, ('num', '3.5000000000000000'), ('float', '1024.0'))],
     None),
    ("select a::text || 'z', b || '!' from t order by 1, 2",
     ['?column?', '?column?'],
     [('1z', 'x!'), ('2z', 'y!'), ('2z', 'y!'), ('3z', None), (None, 'x!')],
     None),
    ("select b like 'x%', b ilike 'X', b not like '_', b ~ '^x', b similar to 'x|y' from t order by 1, 2, 3",
     ['?column?', '?column?', '?column?', '?column?', '?column?'],
     [(False, False, False, False, True), (False, False, False, False, True), (True, True, False, True, True), (True, True, False, True, True), (None, None, None, None, None)],
     None),
    ('select a between 1 and 2, a not between 1 and 2, a is null, a is not null, a is distinct from 2, a is not distinct from null from t order by 1, 2, 3',
     ['?column?', '?column?', '?column?', '?column?', '?column?', '?column?'],
     [(False, True, False, True, True, False), (True, False, False, True, True, False), (True, False, False, True, False, False), (True, False, False, True, False, False), (None, None, True, False, True, True)],
     None),
    ('select a in (1, 2), a not in (1, 2), a in (1, null), a not in (1, null) from t order by 1, 2, 3, 4',
     ['?column?', '?column?', '?column?', '?column?'],
     [(False, True, None, None), (True, False, True, False), (True, False, None, None), (True, False, None, None), (None, None, None, None)],
     None),
    ('select a from t where a = any(array[1, 3]) order by a',
     ['a'],
     [(1,), (3,)],
     None),
    ('select a from t where a <> all(array[1, 3]) order by a',
     ['a'],
     [(2,), (2,)],
     None),
    ("select d + 1, d - date '2024-01-01', extract(year from d), extract(month from d) from t order by 1",
     ['?column?', '?column?', 'extract', 'extract'],
     [(('text', '2024-01-01'), -1, ('num', '2023'), ('num', '12')), (('text', '2024-01-02'), 0, ('num', '2024'), ('num', '1')), (('text', '2024-03-01'), 59, ('num', '2024'), ('num', '2')), (('text', '2024-03-02'), 60, ('num', '2024'), ('num', '3')), (None, None, None, None)],
     None),
    ("select upper(b), length(b), substring(b, 1, 1), position('x' in b), b || a from t order by 1, 5",
     ['upper', 'length', 'substring', 'position', '?column?'],
     [('X', 1, 'x', 1, 'x1'), ('X', 1, 'x', 1, None), ('Y', 1, 'y', 0, 'y2'), ('Y', 1, 'y', 0, 'y2'), (None, None, None, None, None)],
     None),
    ('select c * 2, c + a, c / 3, round(c, 1), c::int, -c from t order by 1, 2',
     ['?column?', '?column?', '?column?', 'round', 'c', '?column?'],
     [(('num', '3.00'), ('num', '2.50'), ('num', '0.50000000000000000000'), ('num', '1.5'), 2, ('num', '-1.50')), (('num', '4.50'), ('num', '5.25'), ('num', '0.75000000000000000000'), ('num', '2.3'), 2, ('num', '-2.25')), (('num', '6.00'), None, ('num', '1.00000000000000000000'), ('num', '3.0'), 3, ('num', '-3.00')), (('num', '15.54'), ('num', '9.77'), ('num', '2.5900000000000000'), ('num', '7.8'), 8, ('num', '-7.77')), (None, None, None, None, None, None)],
     None),
    ('select f * 2, f + a, f::numeric(20,2) from t order by 1, 2',
     ['?column?', '?column?', 'f'],
     [(('float', '-2.5'), ('float', '1.75'), ('num', '-1.25')), (('float', '1.0'), ('float', '1.5'), ('num', '0.50')), (('float', '4.0'), ('float', '4.0'), ('num', '2.00')), (('float', '20000000000.0'), ('float', '10000000002.0'), ('num', '10000000000.00')), (None, None, None)],
     None),
    ('select (select max(a) from u), (select a from u where a > 100)',
     ['max', 'a'],
     [(5, None)],
     None),
    ('select exists(select 1 from u), exists(select 1 from u where a > 10)',
     ['exists', 'exists'],
     [(True, False)],
     None),
    ('select count(*) from tv',
     ['count'],
     [(4,)],
     None),
    ('select * from tv order by a, b',
     ['a', 'b'],
     [(1, 'x'), (2, 'y'), (2, 'y'), (3, None)],
     None),
    ('select "Id", val from "MixedCase" order by "Id"',
     ['Id', 'val'],
     [(1, 'a'), (2, 'b')],
     None),
    ('select mc."Id" from "MixedCase" mc where mc.val = \'b\'',
     ['Id'],
     [(2,)],
     None),
    ('select 1 where 1 = 0',
     ['?column?'],
     [],
     None),
    ("select 'a' < 'b', 'abc' = 'abc', 1 = 1.0, 2 > 1.5, 'x'::text = 'x'",
     ['?column?', '?column?', '?column?', '?column?', '?column?'],
     [(True, True, True, True, True)],
     None),
    ('select array[1, 2, 3] as arr, (array[1, 2, 3])[2] as second, (array[1, 2])[5] as missing',
     ['arr', 'second', 'missing'],
     [(('json_or_array', '[1, 2, 3]'), 2, None)],
     None),
    ('select t.* from t where t.a = 1',
     ['a', 'b', 'c', 'd', 'f'],
     [(1, 'x', ('num', '1.50'), ('text', '2024-01-01'), ('float', '0.5'))],
     None),
    ('select u.*, t.b from u, t where u.a = t.a order by u.a, t.b',
     ['a', 'd', 'b'],
     [(1, 'one', 'x'), (2, 'two', 'y'), (2, 'two', 'y')],
     None),
]


@pytest.fixture(scope="module")
def session():
    s = connect_with(SETUP)
    yield s
    s.close()


def _params():
    out = []
    for c in CASES:
        reason = KNOWN_DIFFERENCES.get(c[0])
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(*c, marks=marks, id=c[0][:60]))
    return out


@pytest.mark.parametrize("sql,columns,rows,sqlstate", _params())
def test_matches_postgresql(session, sql, columns, rows, sqlstate):
    check(session, sql, columns, rows, sqlstate)
