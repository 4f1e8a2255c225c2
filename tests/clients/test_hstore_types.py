"""The hstore extension's type through asyncpg, psycopg and SQLAlchemy against a real server.

asyncpg's built-in hstore codec (``pg_contrib.hstore``) reads and writes the binary format
(hstore_send/hstore_recv); without it, asyncpg falls back to the text form, as for any type it
does not know. psycopg's ``register_hstore`` finds the type in pg_type and uses its text form;
SQLAlchemy's ``postgresql.HSTORE`` binds dicts and reads them back, and its comparator
operators compile to hstore's. The expected values are PostgreSQL 15's.
"""

from __future__ import annotations

import anyio
import asyncpg
import psycopg
import pytest
import sqlalchemy as sa
from psycopg.types import TypeInfo
from psycopg.types.hstore import register_hstore
from sqlalchemy.dialects import postgresql

from helios_core.testing import HeliosServer

SETUP_SQL = (
    "create extension hstore",
    "create table items (id int primary key, attrs hstore)",
    "insert into items values (1, 'color=>red, size=>L'), (2, 'color=>blue, note=>NULL'), (3, NULL)",
)


def _dsn(server: HeliosServer) -> str:
    return f"postgresql://helios@127.0.0.1:{server.port('postgres')}/helios"


def test_asyncpg_text_form_without_a_codec(server: HeliosServer) -> None:
    async def main() -> str:
        conn = await asyncpg.connect(_dsn(server))
        try:
            return await conn.fetchval("select 'b=>2, a=>NULL'::hstore")
        finally:
            await conn.close()

    assert anyio.run(main) == '"a"=>NULL, "b"=>"2"'


def test_asyncpg_builtin_hstore_codec(server: HeliosServer) -> None:
    async def main() -> tuple:
        conn = await asyncpg.connect(_dsn(server))
        try:
            await conn.set_builtin_type_codec("hstore", codec_name="pg_contrib.hstore")
            read = await conn.fetchval("""select 'b=>2, a=>NULL, "x y"=>"\\\\q"'::hstore""")
            echoed = await conn.fetchval("select $1::hstore", {"k": "v", "n": None, "é": "ü"})
            looked_up = await conn.fetchval("select $1::hstore -> 'k'", {"k": "v"})
            await conn.execute("create table ah (id int, h hstore)")
            await conn.executemany("insert into ah values ($1, $2)", [(1, {"a": "1"}), (2, {"b": None})])
            rows = [tuple(r) for r in await conn.fetch("select id, h from ah order by id")]
            array = await conn.fetchval("select array['a=>1'::hstore, 'b=>2']")
            await conn.execute("drop table ah")
            return read, echoed, looked_up, rows, array
        finally:
            await conn.close()

    read, echoed, looked_up, rows, array = anyio.run(main)
    assert read == {"a": None, "b": "2", "x y": "\\q"}
    assert echoed == {"k": "v", "n": None, "é": "ü"}
    assert looked_up == "v"
    assert rows == [(1, {"a": "1"}), (2, {"b": None})]
    assert array == [{"a": "1"}, {"b": "2"}]


def test_psycopg_register_hstore(conn: psycopg.Connection) -> None:
    info = TypeInfo.fetch(conn, "hstore")
    assert info is not None and info.oid > 16383 and info.array_oid > 16383
    register_hstore(info, conn)
    assert conn.execute("select attrs from items order by id").fetchall() == [
        ({"color": "red", "size": "L"},), ({"color": "blue", "note": None},), (None,)]
    assert conn.execute("select %s::hstore -> 'x', %s", ({"x": 'y"z'}, {"q": None})).fetchone() == (
        'y"z', {"q": None})
    assert conn.execute("select id from items where attrs ? %s order by id", ("color",)).fetchall() == [(1,), (2,)]
    cur = conn.cursor(binary=True)
    assert cur.execute("select 'a=>1'::hstore").fetchone() == ({"a": "1"},)


def test_sqlalchemy_hstore_column(server: HeliosServer) -> None:
    engine = sa.create_engine(f"postgresql+psycopg://helios@127.0.0.1:{server.port('postgres')}/helios")
    meta = sa.MetaData()
    docs = sa.Table("docs", meta, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("data", postgresql.HSTORE))
    try:
        meta.create_all(engine)
        with engine.begin() as c:
            c.execute(docs.insert(), [{"id": 1, "data": {"k": "v", "n": None}}, {"id": 2, "data": {"k": "w"}}])
        with engine.connect() as c:
            assert c.execute(sa.select(docs.c.data).order_by(docs.c.id)).scalars().all() == [
                {"k": "v", "n": None}, {"k": "w"}]
            assert c.execute(sa.select(docs.c.data["k"]).order_by(docs.c.id)).scalars().all() == ["v", "w"]
            assert c.execute(sa.select(docs.c.id).where(docs.c.data.has_key("n"))).scalars().all() == [1]
            assert c.execute(sa.select(docs.c.id).where(docs.c.data.contains({"k": "w"}))).scalars().all() == [2]
            assert c.execute(sa.select(docs.c.data.keys()).where(docs.c.id == 1)).scalar() == ["k", "n"]
            assert c.execute(sa.select(sa.func.count(sa.distinct(docs.c.data)))).scalar() == 2
    finally:
        meta.drop_all(engine)
        engine.dispose()


def test_copy_from_reads_the_input_function(conn: psycopg.Connection) -> None:
    """COPY's text goes through the column type's input: hstore stored canonical, jsonb normalized,
    bad input refused (a string-stored type's values were stored as sent)."""
    conn.execute("create table copied (h hstore, j jsonb)")
    try:
        with conn.cursor().copy("copy copied from stdin") as cp:
            cp.write('"x"=>"1", y=>NULL\t{"b":1,    "a":2}\n')
        assert conn.execute("select h::text, j::text from copied").fetchall() == [
            ('"x"=>"1", "y"=>NULL', '{"a": 2, "b": 1}')]
        with pytest.raises(psycopg.errors.InternalError, match="Unexpected end of string"), \
                conn.cursor().copy("copy copied (h) from stdin") as cp:
            cp.write("a=>\n")
    finally:
        conn.execute("drop table copied")
