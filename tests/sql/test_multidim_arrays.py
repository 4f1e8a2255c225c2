"""Multi-dimensional arrays, checked against PostgreSQL 15's answers (taken from PostgreSQL 15.18):
construction, literals, functions, subscripts and slices, concatenation, aggregation, storage,
and round trips through psycopg in text and binary formats."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError
from helios_core.sql.functions import to_text
from helios_core.sql.types import type_from_name

A = "'{{1,2},{3,4}}'::int[]"
P = f"({A})"  # subscripting a cast needs parentheses


@pytest.fixture(scope="module")
def s():
    sess = helios_core.connect()
    yield sess
    sess.close()


def texts(s, sql):
    """Every column of the first row as PostgreSQL's text output."""
    r = s.execute(sql)[-1]
    b = next(iter(r.batches))
    return [to_text(b.column(i), type_from_name(c.type_name)).to_pylist()[0] for i, c in enumerate(r.columns)]


def error(s, sql):
    with pytest.raises(HeliosError) as ei:
        s.execute(sql)
    return ei.value.sqlstate, ei.value.message


@pytest.mark.parametrize("sql, want", [
    ("select array[array[1,2]] || array[array[3,4]]", ["{{1,2},{3,4}}"]),
    ("select ARRAY[[1,2],[3,4]], array[array[1,2], array[3,4]], array['{1,2}'::int[], '{3,4}']",
     ["{{1,2},{3,4}}"] * 3),
    (f"select {A}, '{{{{{{1}},{{2}}}},{{{{3}},{{4}}}}}}'::int[]", ["{{1,2},{3,4}}", "{{{1},{2}},{{3},{4}}}"]),
    ("select '{{\"a b\",NULL},{\"\",c}}'::text[]", ['{{"a b",NULL},{"",c}}']),
    ("select array[array[]::int[], array[]::int[]], array[1,2] || array[[3,4]], array[[1,2]] || array[5,6]",
     ["{}", "{{1,2},{3,4}}", "{{1,2},{5,6}}"]),
    ("select array_cat(array[[1,2]], array[[3,4]]), '{}'::int[] || array[[1]]", ["{{1,2},{3,4}}", "{{1}}"]),
    ((f"select array_dims({A}), array_ndims({A}), array_length({A}, 1), array_length({A}, 2), "
     f"array_length({A}, 3), cardinality({A}), array_upper({A}, 2), array_lower({A}, 2)"),
     ["[1:2][1:2]", "2", "2", "2", None, "4", "2", "1"]),
    (("select array_dims('{{1,2,3}}'::int[]), array_ndims('{}'::int[]), array_dims('{}'::int[]), "
     "cardinality('{}'::int[])"), ["[1:1][1:3]", None, None, "0"]),
    (f"select {P}[2][1], {P}[2], {P}[3][1], {P}[1][2]", ["3", None, None, "2"]),
    (f"select {P}[1:1], {P}[:1][2:], {P}[1:2][2:2], {P}[2:2], {P}[1][1:1]",
     ["{{1,2}}", "{{2}}", "{{2},{4}}", "{{3,4}}", "{{1}}"]),
    (("select ('{1,2,3}'::int[])[2:], ('{1,2,3}'::int[])[:2], ('{1,2,3}'::int[])[5:6], ('{1,2,3}'::int[])[0:1], "
     "('{1,2}'::int[])[1:null]"), ["{2,3}", "{1,2}", "{}", "{1}", None]),
    ("select array_to_string('{{1,2},{3,NULL}}'::int[], ',', '*')", ["1,2,3,*"]),
    (f"select 3 = any({A}), 5 = any({A}), {A} @> array[4], 1 = all('{{{{1}},{{1}}}}'::int[])",
     ["t", "f", "t", "t"]),
    ((f"select {A} = '{{1,2,3,4}}'::int[], {A} < '{{1,2,3,4}}'::int[], {A} > '{{1,2,3,4}}'::int[], "
     f"{A} = '{{{{1,2}},{{3,4}}}}'"), ["f", "f", "t", "t"]),
    ("select array_agg(a) from (values (array[1,2]), (array[3,4])) v(a)", ["{{1,2},{3,4}}"]),
    ("select array_fill(7, array[2,2]), array_fill('x'::text, array[3]), trim_array('{{1,2},{3,4}}'::int[], 1)",
     ["{{7,7},{7,7}}", "{x,x,x}", "{{1,2}}"]),
    ("select array_replace('{{1,2},{1,3}}'::int[], 1, 9)", ["{{9,2},{9,3}}"]),
    ("select '[1:2][1:1]={{1},{2}}'::int[]", ["{{1},{2}}"]),
])
def test_values(s, sql, want):
    assert texts(s, sql) == want


def test_unnest_flattens(s):
    assert s.execute(f"select unnest({A})")[0].rows() == [(1,), (2,), (3,), (4,)]
    assert s.execute(f"select * from unnest({A}) with ordinality")[0].rows() == [(1, 1), (2, 2), (3, 3), (4, 4)]


def test_column_names_of_array_casts(s):
    r = s.execute(f"select {A}, '{{a}}'::text[]")[0]
    assert [c.name for c in r.columns] == ["int4", "text"]


@pytest.mark.parametrize("sql, state, message", [
    ("select array[[1,2],[3]]", "2202E", ("multidimensional arrays must have array expressions with matching "
                                         "dimensions")),
    ("select '{{1,2},{3}}'::int[]", "22P02", 'malformed array literal: "{{1,2},{3}}"'),
    ("select '{{1,2},3}'::int[]", "22P02", 'malformed array literal: "{{1,2},3}"'),
    ("select array_append('{{1,2}}'::int[], 3)", "22000", "argument must be empty or one-dimensional array"),
    ("select array[[1,2]] || 3", "22000", "argument must be empty or one-dimensional array"),
    ("select array[[1,2]] || array[[1,2,3]]", "2202E", "cannot concatenate incompatible arrays"),
    ("select array_position('{{1,2}}'::int[], 1)", "0A000",
     "searching for elements in multidimensional arrays is not supported"),
    ("select array_remove('{{1,2}}'::int[], 1)", "0A000",
     "removing elements from multidimensional arrays is not supported"),
    ("select array_agg(a) from (values (array[1,2]), (array[3])) v(a)", "2202E",
     "cannot accumulate arrays of different dimensionality"),
    ("select array_agg(a) from (values (array[1,2]), (null)) v(a)", "22004", "cannot accumulate null arrays"),
])
def test_errors(s, sql, state, message):
    assert error(s, sql) == (state, message)


def test_lower_bounds_other_than_one_are_refused(s):
    assert error(s, "select '[0:1]={1,2}'::int[]")[0] == "0A000"


def test_storage_keeps_declared_dimensions(s):
    s.execute("create table m (id int, a int[][], t text[])")
    s.execute("insert into m values (1, '{{1,2},{3,4}}', '{x}'), (2, null, '{}'), (3, '{}', null)")
    s.execute("insert into m select 4, array[array[x, x + 1]], array['y'] from generate_series(5, 5) x")
    s.execute("update m set a = a || array[[9,9]] where id = 1")
    got = [tuple(to_text(b.column(i), type_from_name(c.type_name)).to_pylist()
                 for i, c in enumerate(r.columns))
           for r in [s.execute("select a, array_dims(a), t from m order by id")[0]] for b in r.batches]
    assert got[0][0] == ["{{1,2},{3,4},{9,9}}", None, "{}", "{{5,6}}"]
    assert got[0][1] == ["[1:3][1:2]", None, None, "[1:1][1:2]"]
    assert s.execute("select id from m where a[2][1] = 3")[0].rows() == [(1,)]
    assert s.execute("select id from m where a = '{{5,6}}'")[0].rows() == [(4,)]
    # one dimensionality per column: other values are refused, naming what is missing
    state, message = error(s, "insert into m (a) values ('{1,2}')")
    assert state == "0A000" and "2 dimensions" in message
    state, message = error(s, "insert into m (t) values ('{{a}}')")
    assert state == "0A000" and "1 dimension" in message


def test_psycopg_round_trips(pg_server):
    import psycopg

    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        c.execute("create table md (id int, a int[][], t text[][])")
        c.execute("insert into md values (%s, %s, %s)", (1, [[1, 2], [3, 4]], [["a b", None], ["", "c"]]))
        c.cursor(binary=True).execute("insert into md values (%b, %b, %b)", (2, [[9, 10]], [["x"]]))
        want = [(1, [[1, 2], [3, 4]], [["a b", None], ["", "c"]], "[1:2][1:2]"),
                (2, [[9, 10]], [["x"]], "[1:1][1:2]")]
        q = "select id, a, t, array_dims(a) from md order by id"
        assert c.execute(q).fetchall() == want
        assert c.cursor(binary=True).execute(q).fetchall() == want
        assert c.execute("select %s::int[]", ([[5, 6], [7, 8]],)).fetchone() == ([[5, 6], [7, 8]],)
        assert c.cursor(binary=True).execute("select %s::int[] || array[[0, 0]]",
                                             ([[5, 6]],)).fetchone() == ([[5, 6], [0, 0]],)
        # the raw text on the wire
        res = c.pgconn.exec_(b"select a, t from md where id = 1")
        assert (res.get_value(0, 0), res.get_value(0, 1)) == (b"{{1,2},{3,4}}", b'{{"a b",NULL},{"",c}}')


def test_asyncpg_round_trips(pg_server):
    import asyncio

    asyncpg = pytest.importorskip("asyncpg")
    parts = dict(p.split("=", 1) for p in pg_server.pg_dsn().split())

    async def run():
        conn = await asyncpg.connect(host=parts["host"], port=int(parts["port"]), user=parts.get("user", "helios"),
                                     database=parts.get("dbname", "helios"))
        try:
            await conn.execute("create table ma (id int, a int[][], t text[][])")
            await conn.execute("insert into ma values ($1, $2, $3)", 1, [[1, 2], [3, 4]], [["a b", None]])
            await conn.copy_records_to_table("ma", records=[(2, [[5, 6]], [["x"], ["y"]])])
            rows = await conn.fetch("select id, a, t, array_dims(a) from ma order by id")
            param = await conn.fetchval("select $1::int[] || array[[0, 0]]", [[7, 8]])
            return [tuple(r.values()) for r in rows], param
        finally:
            await conn.close()

    rows, param = asyncio.run(run())
    assert rows == [(1, [[1, 2], [3, 4]], [["a b", None]], "[1:2][1:2]"), (2, [[5, 6]], [["x"], ["y"]], "[1:1][1:2]")]
    assert param == [[7, 8], [0, 0]]
