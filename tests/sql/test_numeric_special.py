"""numeric NaN, Infinity and -Infinity (PostgreSQL 14+), checked against PostgreSQL 15.18's answers:
input, output, arithmetic, ordering, aggregates, casts, storage, and psycopg in both formats."""

from __future__ import annotations

import decimal

import pytest

import helios_core
from helios_core.errors import HeliosError
from helios_core.sql.functions import to_text
from helios_core.sql.types import type_from_name


@pytest.fixture(scope="module")
def s():
    sess = helios_core.connect()
    yield sess
    sess.close()


def texts(s, sql):
    """All rows as PostgreSQL's text output."""
    r = s.execute(sql)[-1]
    out = []
    for b in r.batches:
        cols = [to_text(b.column(i), type_from_name(c.type_name)).to_pylist() for i, c in enumerate(r.columns)]
        out.extend(zip(*cols, strict=True))
    return out


def error(s, sql):
    with pytest.raises(HeliosError) as ei:
        s.execute(sql)
    return ei.value.sqlstate, ei.value.message


@pytest.mark.parametrize("sql, want", [
    (("select 'NaN'::numeric, 'nan'::numeric, 'Infinity'::numeric, '-inf'::numeric, '+INF'::numeric, "
     "'infinity'::numeric, ' NaN '::numeric"), [("NaN", "NaN", "Infinity", "-Infinity", "Infinity", "Infinity", "NaN")]),
    (("select 1.5 % 'Infinity'::numeric, 'Infinity'::numeric % 2, 'NaN'::numeric / 0, 'Infinity'::numeric * 0, "
     "'Infinity'::numeric - 'Infinity'::numeric, -('-Infinity'::numeric), 'Infinity'::numeric + 1.25"),
     [("1.5", "NaN", "NaN", "NaN", "NaN", "Infinity", "Infinity")]),
    ("select 1 / 'NaN'::numeric, 2.50 * 'inf'::numeric, -2 * 'inf'::numeric, 'inf'::numeric / -3",
     [("NaN", "Infinity", "-Infinity", "-Infinity")]),
    (("select 'NaN'::numeric = 'NaN'::numeric, 'NaN'::numeric > 'Infinity'::numeric, 'Infinity'::numeric > 1e100, "
     "'-inf'::numeric < -1e100, 'NaN'::numeric <> 1"), [("t", "t", "t", "t", "t")]),
    ("select x from (values ('NaN'::numeric), (1.5), ('-inf'), ('inf'), (null), (-2.5)) v(x) order by x",
     [("-Infinity",), ("-2.5",), ("1.5",), ("Infinity",), ("NaN",), (None,)]),
    ("select x from (values ('NaN'::numeric), (1.5), ('-inf'), ('inf'), (-2.5)) v(x) order by x desc limit 2",
     [("NaN",), ("Infinity",)]),
    ("select sum(x), avg(x), min(x), max(x), count(x) from (values ('NaN'::numeric), (1.5)) v(x)",
     [("NaN", "NaN", "1.5", "NaN", "2")]),
    ("select sum(x), avg(x), min(x), max(x) from (values ('inf'::numeric), (1.5)) v(x)",
     [("Infinity", "Infinity", "1.5", "Infinity")]),
    ("select sum(x), avg(x), min(x), max(x) from (values ('inf'::numeric), ('-inf'::numeric)) v(x)",
     [("NaN", "NaN", "-Infinity", "Infinity")]),
    (("select g, sum(x), max(x) from (values (1, 'NaN'::numeric), (1, 2), (2, 3.5), (2, null)) v(g, x) "
     "group by g order by g"), [("1", "NaN", "NaN"), ("2", "3.5", "3.5")]),
    ("select x, count(*) from (values ('NaN'::numeric), ('NaN'), (1)) v(x) group by x order by x",
     [("1", "1"), ("NaN", "2")]),
    ("select distinct x from (values ('NaN'::numeric), ('NaN'), (1)) v(x) order by x", [("1",), ("NaN",)]),
    (("select 'NaN'::numeric::float8, 'inf'::numeric::float8, '-inf'::numeric::float4, 'NaN'::float8::numeric, "
     "'-Infinity'::float8::numeric, 'inf'::numeric::text"),
     [("NaN", "Infinity", "-Infinity", "NaN", "-Infinity", "Infinity")]),
    (("select 'NaN'::numeric(10,2), abs('-inf'::numeric), round('NaN'::numeric), sign('-inf'::numeric), "
     "floor('inf'::numeric), sqrt('inf'::numeric)"), [("NaN", "Infinity", "NaN", "-1", "Infinity", "Infinity")]),
    ("select x from (values ('NaN'::numeric), (1.5), ('-inf'), (-2)) v(x) where x > 0 order by x",
     [("1.5",), ("NaN",)]),
])
def test_values(s, sql, want):
    assert texts(s, sql) == want


@pytest.mark.parametrize("sql, state, message", [
    ("select 'Infinity'::numeric / 0", "22012", "division by zero"),
    ("select 'NaN'::numeric::int", "0A000", "cannot convert NaN to integer"),
    ("select 'inf'::numeric::int", "0A000", "cannot convert infinity to integer"),
    ("select 'inf'::numeric(10,2)", "22003", "numeric field overflow"),
    ("select sqrt('-inf'::numeric)", "2201F", "cannot take square root of a negative number"),
    ("select 'nanx'::numeric", "22P02", 'invalid input syntax for type numeric: "nanx"'),
])
def test_errors(s, sql, state, message):
    assert error(s, sql) == (state, message)


def test_storage(s):
    s.execute("create table tn (id int, x numeric, y numeric(10,2))")
    s.execute("insert into tn values (1, 'NaN', 1), (2, 'inf', 2), (3, '-inf', 3), (4, 1.25, 4), (5, null, null)")
    assert texts(s, "select id, x from tn order by x, id") == [
        ("3", "-Infinity"), ("4", "1.25"), ("2", "Infinity"), ("1", "NaN"), ("5", None)]
    assert s.execute("select id from tn where x = 'NaN'")[0].rows() == [(1,)]
    assert s.execute("select id from tn where x < 0")[0].rows() == [(3,)]
    assert s.execute("select id from tn where x > 1000 order by id")[0].rows() == [(1,), (2,)]
    assert texts(s, "update tn set x = -x where id = 2 returning x") == [("-Infinity",)]
    assert texts(s, "update tn set id = id + 10 where id = 1 returning id, x") == [("11", "NaN")]
    s.execute("insert into tn select id + 100, x, y from tn")
    assert texts(s, "select count(*), sum(x), max(x) from tn where id > 100") == [("5", "NaN", "NaN")]
    deleted = sorted(texts(s, "delete from tn where x = '-inf' returning id, x"), key=lambda r: int(r[0]))
    assert deleted == [("2", "-Infinity"), ("3", "-Infinity"), ("102", "-Infinity"), ("103", "-Infinity")]
    # numeric(p,s) has no room for NaN here (PostgreSQL allows it): refused, naming what is missing
    state, message = error(s, "insert into tn (id, y) values (9, 'NaN')")
    assert state == "0A000" and "NaN" in message
    state, _ = error(s, "insert into tn (id, y) values (9, 'Infinity')")
    assert state == "22003"


def test_psycopg_round_trips(pg_server):
    import psycopg

    nan, inf = decimal.Decimal("NaN"), decimal.Decimal("Infinity")
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        c.execute("create table nn (id int, x numeric)")
        c.execute("insert into nn values (1, %s), (2, %s), (3, %s), (4, %s)", (nan, inf, -inf, decimal.Decimal("1.25")))
        c.cursor(binary=True).execute("insert into nn values (%b, %b)", (5, nan))
        q = "select id, x, x::float8 as f, x = 'NaN' as n from nn order by x, id"
        for cur in (c.cursor(), c.cursor(binary=True)):
            rows = cur.execute(q).fetchall()
            assert [r[0] for r in rows] == [3, 4, 2, 1, 5]
            assert [str(r[1]) for r in rows] == ["-Infinity", "1.25", "Infinity", "NaN", "NaN"]
            assert [r[3] for r in rows] == [False, False, False, True, True]
        assert [str(v) for v in c.execute("select sum(x), max(x), min(x) from nn").fetchone()] == [
            "NaN", "NaN", "-Infinity"]
        res = c.pgconn.exec_(b"select 'NaN'::numeric, '-inf'::numeric, 'Infinity'::numeric + 1")
        assert [res.get_value(0, i) for i in range(3)] == [b"NaN", b"-Infinity", b"Infinity"]


def test_copy_and_asyncpg(pg_server):
    import asyncio

    import psycopg

    asyncpg = pytest.importorskip("asyncpg")
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        c.execute("create table cn (x numeric, y int)")
        with c.cursor().copy("copy cn from stdin") as cp:
            cp.write("NaN\t1\n-Infinity\t2\n1.5\t3\n")
        with c.cursor().copy("copy cn to stdout") as cp:
            assert b"".join(cp) == b"NaN\t1\n-Infinity\t2\n1.5\t3\n"
        with c.cursor().copy("copy cn to stdout (format binary)") as cp:
            cp.set_types(["numeric", "int4"])
            assert [str(r[0]) for r in cp.rows()] == ["NaN", "-Infinity", "1.5"]
    parts = dict(p.split("=", 1) for p in pg_server.pg_dsn().split())

    async def run():
        conn = await asyncpg.connect(host=parts["host"], port=int(parts["port"]), user=parts.get("user", "helios"),
                                     database=parts.get("dbname", "helios"))
        try:
            await conn.copy_records_to_table("cn", records=[(decimal.Decimal("Infinity"), 4)])
            await conn.execute("insert into cn values ($1, 5)", decimal.Decimal("NaN"))
            rows = await conn.fetch("select x, y from cn where y > 3 order by y")
            plus = await conn.fetchval("select $1::numeric + 1", decimal.Decimal("-Infinity"))
            return [str(r["x"]) for r in rows], str(plus)
        finally:
            await conn.close()

    assert asyncio.run(run()) == (["Infinity", "NaN"], "-Infinity")


def test_windows_and_ordered_aggregates(s):
    got = texts(s, "select x, rank() over (order by x), count(x) over (), first_value(x) over (order by id) "
                   "from (values (1, 'NaN'::numeric), (2, 1.5), (3, '-inf')) v(id, x) order by id")
    assert got == [("NaN", "3", "3", "NaN"), ("1.5", "2", "3", "NaN"), ("-Infinity", "1", "3", "NaN")]
    assert texts(s, "select array_agg(x order by x) from (values ('NaN'::numeric), (1), ('-inf')) v(x)") == [
        ("{-Infinity,1,NaN}",)]
    # what is not built is refused, naming it
    assert error(s, "select sum(x) over () from (values ('NaN'::numeric)) v(x)")[0] == "0A000"
    # power, div, mod and log follow PostgreSQL's rules for NaN and Infinity
    assert texts(s, "select power('NaN'::numeric, 0), power('-inf'::numeric, 3), power(0.5, 'inf'::numeric), "
                    "div('inf'::numeric, 2), mod(5, '-inf'::numeric), log(2, 'inf'::numeric)") == [
        ("1", "-Infinity", "0", "Infinity", "5", "Infinity")]
    assert error(s, "select power('-inf'::numeric, 4.5)")[0] == "2201F"
    assert error(s, "select div('inf'::numeric, 0)")[0] == "22012"


def test_in_process_rows_give_decimals(s):
    got = s.execute("select 'NaN'::numeric, '-inf'::numeric, x from (values (1.5), ('inf')) v(x)")[0].rows()
    assert [tuple(str(v) for v in r) for r in got] == [("NaN", "-Infinity", "1.5"), ("NaN", "-Infinity", "Infinity")]
