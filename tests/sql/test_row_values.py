"""ROW(...) values: records as values (in CASE, COALESCE, casts to text) and over the wire.

Expected answers are PostgreSQL 15's (row comparisons between constructors are in
test_also_found.py)."""

from __future__ import annotations

import asyncio
import decimal

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture(scope="module")
def s():
    sess = helios_core.connect()
    yield sess
    sess.close()


def text_of(s, sql):
    """The statement's first column as PostgreSQL text output (what psql shows)."""
    from helios_core.sql.functions import to_text
    from helios_core.sql.types import type_from_name

    r = s.execute(sql)[-1]
    t = type_from_name(r.columns[0].type_name)
    return [v for b in r.batches for v in to_text(b.column(0), t).to_pylist()]


@pytest.mark.parametrize("sql, want", [
    ("select row(1, 'a')", ["(1,a)"]),
    ("select (1, 'a b', null, '')", ['(1,"a b",,"")']),
    ("select row(1, array[1,2], row(2, 'x y'))", ['(1,"{1,2}","(2,""x y"")")']),
    ("select row('a\"b', 'c\\d', '(x)')", ['("a""b","c\\\\d","(x)")']),
    ("select case when true then row(1,'a') else row(2,'b') end", ["(1,a)"]),
    ("select case when x then row(1,'a') else row(2,'b') end from (values (true),(false),(null)) v(x)",
     ["(1,a)", "(2,b)", "(2,b)"]),
    ("select case when x > 1 then row(x, 'big') end from generate_series(1, 3) x", [None, "(2,big)", "(3,big)"]),
    ("select case x when 1 then row(x, 'one') else row(x * 10, 'many') end from generate_series(1, 2) x",
     ["(1,one)", "(20,many)"]),
    ("select coalesce(null, row(1, 2))", ["(1,2)"]),
    ("select row(1, 'a')::text", ["(1,a)"]),
])
def test_record_text(s, sql, want):
    assert text_of(s, sql) == want


def test_record_comparisons(s):
    got = s.execute("select (case when x > 1 then row(x, 'big') else row(x, 'small') end) = row(2, 'big'), "
                    "(case when x > 1 then row(x, 'big') else row(x, 'small') end) < row(2, 'c') "
                    "from generate_series(1, 3) x")[0].rows()
    assert got == [(False, True), (True, True), (False, False)]
    # composite values (not two constructors): NULL fields are equal and sort last
    got = s.execute("select (case when true then row(1, null::int) end) = row(1, null::int), "
                    "(case when true then row(1, null::int) end) > row(1, 5)")[0].rows()
    assert got == [(True, True)]


def test_record_errors(s):
    with pytest.raises(HeliosError) as ei:
        s.execute("select '(1,2)'::record")
    assert ei.value.sqlstate == "0A000"
    with pytest.raises(HeliosError) as ei:
        s.execute("select case when random() > 2 then row(1) else row(1, 2) end")
    assert ei.value.sqlstate == "0A000"


QUERY = ("select row(1, 'a b', null::int, 2.50::numeric) as r, "
         "case when x then row(1, 'a') else row(2, 'b') end as c from (values (true), (false)) v(x)")


def test_records_over_psycopg(pg_server):
    import psycopg

    with psycopg.connect(pg_server.pg_dsn()) as c:
        assert c.execute(QUERY).fetchall() == [(("1", "a b", None, "2.50"), ("1", "a")),
                                               (("1", "a b", None, "2.50"), ("2", "b"))]
        got = c.cursor(binary=True).execute(QUERY).fetchall()
        assert got[1] == ((1, "a b", None, decimal.Decimal("2.50")), (2, "b"))
        page = c.execute("select x from generate_series(1, 10) x where (x, 0) > (%s, %s) order by x limit 2",
                         (4, 1)).fetchall()
        assert page == [(5,), (6,)]


def test_records_over_asyncpg(pg_server):
    asyncpg = pytest.importorskip("asyncpg")

    async def run():
        c = await asyncpg.connect(**_asyncpg_kwargs(pg_server))
        try:
            rows = await c.fetch(QUERY)
            return [tuple(tuple(v) for v in r.values()) for r in rows]
        finally:
            await c.close()

    assert asyncio.run(run()) == [((1, "a b", None, decimal.Decimal("2.50")), (1, "a")),
                                  ((1, "a b", None, decimal.Decimal("2.50")), (2, "b"))]


def _asyncpg_kwargs(server):
    parts = dict(p.split("=", 1) for p in server.pg_dsn().split())
    return {"host": parts["host"], "port": int(parts["port"]), "user": parts.get("user", "helios"),
            "database": parts.get("dbname", "helios")}


def test_in_process_rows_give_tuples(s):
    assert s.execute("select row(1, 'a'), (2, null), case when false then row(1, 'x') end")[0].rows() == [
        ((1, "a"), (2, None), None)]


def test_field_of_an_anonymous_record_by_position(s):
    # beyond PostgreSQL (which cannot name an anonymous record's fields): fN reads field N, what
    # front ends with positional tuples (ClickHouse's t.1) are translated to
    r = s.execute("SELECT (x).f2, (x).f1 FROM (SELECT ROW(1, 'a') AS x) t")[-1]
    assert r.rows() == [("a", 1)] and [c.type_name for c in r.columns] == ["text", "integer"]
    with pytest.raises(HeliosError) as missing:
        s.execute("SELECT (x).f3 FROM (SELECT ROW(1, 'a') AS x) t")
    assert missing.value.sqlstate == "42703"
    with pytest.raises(HeliosError) as scalar:
        s.execute("SELECT (1).f1")
    assert scalar.value.sqlstate == "42809"
