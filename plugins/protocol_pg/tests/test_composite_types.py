"""Composite types (CREATE TYPE ... AS (...), tables' row types) through real clients against a
real ``helios serve``: psycopg's CompositeInfo / register_composite in text and binary, asyncpg's
type introspection and records both ways, and the catalog rows those clients read."""

from __future__ import annotations

import asyncio

import asyncpg
import psycopg
import pytest
from psycopg.types.composite import CompositeInfo, register_composite


@pytest.fixture
def conn(dsn: str):
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("drop table if exists cx_items")
        c.execute("drop type if exists cx_point, cx_pair cascade")
        c.execute("create type cx_point as (x float8, y float8, label text)")
        c.execute("create type cx_pair as (a cx_point, n int)")
        c.execute("create table cx_items (id int, p cx_point, ps cx_point[], pair cx_pair)")
        c.execute("""insert into cx_items values
            (1, '(1.5,2,"a b")', array['(1,2,x)'::cx_point, null], '("(3,4,)",7)'),
            (2, null, null, null),
            (3, '(,,)', '{}', '(,)')""")
        yield c


def test_text_output_is_postgresql_quoting(conn: psycopg.Connection) -> None:
    rows = conn.execute("select p, ps, pair from cx_items order by id").fetchall()
    assert rows == [('(1.5,2,"a b")', '{"(1,2,x)",NULL}', '("(3,4,)",7)'), (None, None, None),
                    ("(,,)", "{}", "(,)")]
    assert conn.execute("""select '(1,,"")'::cx_point, row(1, null, 'q"z\\')::cx_point""").fetchone() == (
        '(1,,"")', '(1,,"q""z\\\\")')


def test_psycopg_composite_info_and_register(conn: psycopg.Connection) -> None:
    info = CompositeInfo.fetch(conn, "cx_point")
    assert info is not None
    assert info.field_names == ("x", "y", "label")
    assert info.field_types == (701, 701, 25)
    oid, array_oid = conn.execute("select oid, typarray from pg_type where typname = 'cx_point'").fetchone()
    assert (info.oid, info.array_oid) == (oid, array_oid)
    register_composite(info, conn)
    pair = CompositeInfo.fetch(conn, "cx_pair")
    register_composite(pair, conn)
    point = info.python_type
    expected = [(1, point(1.5, 2.0, "a b"), [point(1.0, 2.0, "x"), None], pair.python_type(point(3.0, 4.0, None), 7)),
                (2, None, None, None), (3, point(None, None, None), [], pair.python_type(None, None))]
    for binary in (False, True):
        assert conn.execute("select id, p, ps, pair from cx_items order by id", binary=binary).fetchall() == expected
    conn.execute("insert into cx_items (id, p, ps) values (%s, %s, %s)", (4, point(3.0, 4.0, 'q"z'), [point(5.0, None, "")]))
    conn.execute("insert into cx_items (id, p, ps) values (%b, %b, %b)", (5, point(6.0, 7.0, "bin"), [point(8.0, 9.0, None)]))
    assert conn.execute("select p, ps from cx_items where id in (4, 5) order by id").fetchall() == [
        (point(3.0, 4.0, 'q"z'), [point(5.0, None, "")]), (point(6.0, 7.0, "bin"), [point(8.0, 9.0, None)])]


def test_asyncpg_records_both_ways(conn: psycopg.Connection, pg_server) -> None:
    async def main() -> None:
        c = await asyncpg.connect(host=pg_server.host, port=pg_server.port("postgres"), user="helios",
                                  database="helios")
        try:
            rows = await c.fetch("select id, p, ps, pair from cx_items order by id")
            first = rows[0]
            assert (first["p"]["x"], first["p"]["label"], first["p"][1]) == (1.5, "a b", 2.0)
            assert [tuple(r) for r in first["ps"][:1]] == [(1.0, 2.0, "x")] and first["ps"][1] is None
            assert tuple(first["pair"]["a"]) == (3.0, 4.0, None) and first["pair"]["n"] == 7
            assert rows[1]["p"] is None and tuple(rows[2]["p"]) == (None, None, None)
            await c.execute("insert into cx_items (id, p, ps) values ($1, $2, $3)", 6, (1.0, 2.0, "tuple"),
                            [(3.0, 4.0, "in array"), None])
            back = await c.fetchrow("select p, ps from cx_items where id = 6")
            assert tuple(back["p"]) == (1.0, 2.0, "tuple")
            assert tuple(back["ps"][0]) == (3.0, 4.0, "in array") and back["ps"][1] is None
            assert tuple(await c.fetchval("select $1::cx_point", (1, None, "x"))) == (1.0, None, "x")
            row_type = await c.fetchval("select cx_items from cx_items where id = 2")
            assert tuple(row_type) == (2, None, None, None)
        finally:
            await c.close()

    asyncio.run(main())


def test_catalog_rows_of_composite_and_row_types(conn: psycopg.Connection) -> None:
    assert conn.execute("""select t.typtype, t.typcategory, c.relkind, c.reltype = t.oid, t.typinput, t.typsend
        from pg_type t join pg_class c on c.oid = t.typrelid where t.typname = 'cx_point'""").fetchone() == (
        "c", "C", "c", True, "record_in", "record_send")
    assert conn.execute("""select attname, format_type(atttypid, atttypmod) from pg_attribute
        where attrelid = 'cx_point'::regclass order by attnum""").fetchall() == [
        ("x", "double precision"), ("y", "double precision"), ("label", "text")]
    assert conn.execute("""select t.typtype, c.relkind from pg_type t join pg_class c on c.reltype = t.oid
        where t.typname = 'cx_items'""").fetchone() == ("c", "r")
    assert conn.execute("select pg_typeof(p), pg_typeof(ps), pg_typeof(cx_items) from cx_items limit 1").fetchone() == (
        "cx_point", "cx_point[]", "cx_items")


def test_type_outside_the_search_path(conn: psycopg.Connection, pg_server) -> None:
    conn.execute("create schema if not exists cx_other")
    conn.execute('drop table if exists cx_other.cx_t')
    conn.execute('drop type if exists cx_other."Pt" cascade')
    conn.execute('create type cx_other."Pt" as (x int, "Y" text)')
    conn.execute('create table cx_other.cx_t (id int, p cx_other."Pt")')
    conn.execute("insert into cx_other.cx_t values (1, '(1,\"a b\")')")
    assert conn.execute("select p::text, pg_typeof(p)::text from cx_other.cx_t").fetchone() == (
        '(1,"a b")', 'cx_other."Pt"')
    info = CompositeInfo.fetch(conn, 'cx_other."Pt"')
    assert info is not None and info.field_names == ("x", "Y")
    register_composite(info, conn)
    for binary in (False, True):
        assert conn.execute("select p from cx_other.cx_t", binary=binary).fetchone() == (info.python_type(1, "a b"),)

    async def main() -> None:
        c = await asyncpg.connect(host=pg_server.host, port=pg_server.port("postgres"), user="helios",
                                  database="helios")
        try:
            assert tuple(await c.fetchval("select p from cx_other.cx_t")) == (1, "a b")
        finally:
            await c.close()

    asyncio.run(main())


def test_copy_text_and_binary(conn: psycopg.Connection) -> None:
    info = CompositeInfo.fetch(conn, "cx_point")
    register_composite(info, conn)
    point = info.python_type
    with conn.cursor().copy("copy (select p, ps from cx_items where id = 1) to stdout") as cp:
        assert b"".join(bytes(x) for x in cp) == b'(1.5,2,"a b")\t{"(1,2,x)",NULL}\n'
    with conn.cursor().copy("copy cx_items (id, p, ps) to stdout (format binary)") as cp:
        data = b"".join(bytes(x) for x in cp)
    conn.execute("delete from cx_items")
    with conn.cursor().copy("copy cx_items (id, p, ps) from stdin (format binary)") as cp:
        cp.write(data)  # record_send's bytes read back by record_recv
    with conn.cursor().copy("copy cx_items (id, p, ps) from stdin (format binary)") as cp:
        cp.set_types(["int4", "cx_point", "cx_point[]"])
        cp.write_row((9, point(7.0, None, "b"), [point(8.0, 1.0, None)]))
    assert conn.execute("select id, p, ps from cx_items order by id").fetchall() == [
        (1, point(1.5, 2.0, "a b"), [point(1.0, 2.0, "x"), None]), (2, None, None), (3, point(None, None, None), []),
        (9, point(7.0, None, "b"), [point(8.0, 1.0, None)])]
    with conn.cursor().copy("copy (select p from cx_items where id = 9) to stdout (format binary)") as cp:
        cp.set_types(["cx_point"])
        assert list(cp.rows()) == [(point(7.0, None, "b"),)]


def test_binary_parameter_with_range_and_array_fields_and_a_keyword_name(conn: psycopg.Connection) -> None:
    from psycopg.types.range import Range

    conn.execute('drop type if exists cx_rng, "order" cascade')
    conn.execute("create type cx_rng as (num integer, span daterange, nums integer[])")
    info = CompositeInfo.fetch(conn, "cx_rng")
    register_composite(info, conn)
    value = info.python_type(10, Range(empty=True), [1, None])
    for placeholder in ("%b", "%t"):
        assert conn.execute(f"select pg_typeof({placeholder})::text, ({placeholder}).nums", [value, value]).fetchone() \
            == ("cx_rng", [1, None])
    conn.execute('create type "order" as (foo text)')
    assert conn.execute("""select '"order"'::regtype::text, row('x')::"order" """).fetchone() == ('"order"', "(x)")
