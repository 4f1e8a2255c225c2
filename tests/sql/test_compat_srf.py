"""Set-returning functions in the select list (PostgreSQL 10+ semantics: calls of one list run in
lockstep, as many rows as the longest, the others NULL-padded; after GROUP BY and windows).

Expected answers were recorded from PostgreSQL 15 running the same statements."""
from __future__ import annotations

import pytest

SETUP = [
    "create table t (id int primary key, arr int[], j jsonb, s text)",
    "insert into t values (1, '{1,2}', '[1,2]', 'ab'), (2, '{3}', '{\"a\":1}', 'b'), (3, null, null, null)",
]


@pytest.fixture(scope="module")
def db():
    import helios_core

    s = helios_core.connect()
    for stmt in SETUP:
        s.execute(stmt)
    return s


def q(db, sql):
    r = db.execute(sql)[-1]
    return [c.name for c in r.columns], r.rows()


CASES = [
    ("select generate_series(1,3)", ["generate_series"], [(1,), (2,), (3,)]),
    ("select id, unnest(arr) from t order by 1, 2", ["id", "unnest"], [(1, 1), (1, 2), (2, 3)]),
    ("select generate_subscripts(array[4,5,6], 1)", ["generate_subscripts"], [(1,), (2,), (3,)]),
    ("select id, unnest(arr), generate_series(1,3) from t order by 1, 3", ["id", "unnest", "generate_series"],
     [(1, 1, 1), (1, 2, 2), (1, None, 3), (2, 3, 1), (2, None, 2), (2, None, 3), (3, None, 1), (3, None, 2),
      (3, None, 3)]),
    # a several-column function gives records whose fields are its columns (text: (b,"""x y"""))
    ("select jsonb_each('{\"a\":1,\"b\":\"x y\"}')", ["jsonb_each"], [(("a", "1"),), (("b", '"x y"'),)]),
    (("select information_schema._pg_expandarray(array[7, 8]) e, x, n "
     "from information_schema._pg_expandarray(array['p', 'q']) order by n"),
     ["e", "x", "n"], [((7, 1), "p", 1), ((8, 2), "p", 1), ((7, 1), "q", 2), ((8, 2), "q", 2)]),
    ("select (jsonb_each('{\"a\":1}')).key, (information_schema._pg_expandarray(array[7, 8])).x",
     ["key", "x"], [("a", 7), (None, 8)]),
    ("select jsonb_each_text('{\"a\":1,\"b\":null}')", ["jsonb_each_text"], [(("a", "1"),), (("b", None),)]),
    ("select regexp_matches('abab', '(a)(b)', 'g')", ["regexp_matches"], [(["a", "b"],), (["a", "b"],)]),
    ("select regexp_matches('abab', 'b')", ["regexp_matches"], [(["b"],)]),
    ("select unnest(regexp_matches('abab', '(a)(b)', 'g'))", ["unnest"], [("a",), ("b",), ("a",), ("b",)]),
    ("select unnest(arr) * 2 from t order by 1", ["?column?"], [(2,), (4,), (6,)]),
    ("select distinct unnest(arr) % 2 as m from t order by m", ["m"], [(0,), (1,)]),
    ("select unnest(array[1,2]) limit 1", ["unnest"], [(1,)]),
    ("select unnest(arr) u, count(*) from t group by 1 order by 1", ["u", "count"], [(1, 1), (2, 1), (3, 1)]),
    ("select id, count(*), generate_series(1, id) from t group by id order by id desc, 3",
     ["id", "count", "generate_series"], [(3, 1, 1), (3, 1, 2), (3, 1, 3), (2, 1, 1), (2, 1, 2), (1, 1, 1)]),
    ("select sum(id), unnest(array[1,2]) from t", ["sum", "unnest"], [(6, 1), (6, 2)]),
    ("select id, row_number() over (order by id), unnest(arr) from t order by 1, 3", ["id", "row_number", "unnest"],
     [(1, 1, 1), (1, 1, 2), (2, 2, 3)]),
    ("select jsonb_array_elements(j), jsonb_array_elements_text(j) from t where id = 1",
     ["jsonb_array_elements", "jsonb_array_elements_text"], [("1", "1"), ("2", "2")]),
    ("select count(*) from (select generate_series(1,1000)) s", ["count"], [(1000,)]),
    ("select unnest(array[1, 2]::int2[]), generate_subscripts(array[1, 2]::int2[], 1)",
     ["unnest", "generate_subscripts"], [(1, 1), (2, 2)]),
    ("select id, unnest(arr) * id as x from t where id < 3 order by s desc, x", ["id", "x"],
     [(2, 6), (1, 1), (1, 2)]),
    ("select *, unnest(arr) from t where id = 2", ["id", "arr", "j", "s", "unnest"],
     [(2, [3], '{"a": 1}', "b", 3)]),
]


@pytest.mark.parametrize(("sql", "names", "rows"), CASES, ids=[c[0][:60] for c in CASES])
def test_select_list_srf(db, sql, names, rows) -> None:
    assert q(db, sql) == (names, rows)


@pytest.mark.parametrize(("sql", "message"), [
    ("select id from t where unnest(arr) > 1", "set-returning functions are not allowed in WHERE"),
    ("select id from t having unnest(arr) > 0", "set-returning functions are not allowed in HAVING"),
    ("select id from t join t t2 on unnest(t.arr) = 1", "set-returning functions are not allowed in JOIN conditions"),
    ("select case when id > 1 then unnest(arr) end from t", "set-returning functions are not allowed in CASE"),
    ("select coalesce(unnest(arr), 0) from t", "set-returning functions are not allowed in COALESCE"),
    ("select sum(unnest(arr)) from t", "aggregate function calls cannot contain set-returning function calls"),
])
def test_srf_placement_errors(db, sql, message) -> None:
    from helios_core.errors import HeliosError

    with pytest.raises(HeliosError) as ei:
        db.execute(sql)
    assert (ei.value.sqlstate, str(ei.value)) == ("0A000", message)


def test_srf_inside_subqueries_is_fine(db) -> None:
    assert q(db, "select id, (select unnest(arr) limit 1) from t where id in (select unnest(arr) from t) "
                 "order by id") == (["id", "unnest"], [(1, 1), (2, 3), (3, None)])


def test_several_column_srf_in_select_list_is_a_record(db) -> None:
    r = db.execute("select jsonb_each('{\"a\":1}')")[-1]
    assert (r.columns[0].type_oid, r.columns[0].type_name, r.rows()) == (2249, "record", [(("a", "1"),)])
