"""tsvector and tsquery over the wire in binary, against PostgreSQL 15: the same type OIDs and
the same bytes (tsvectorsend/tsquerysend) to psycopg's binary cursor, binary parameters read as
PostgreSQL reads them (tsvectorrecv/tsqueryrecv), and asyncpg (which asks for these types in
text) gets the same values both ways."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from psycopg import adapt, pq

pytest.importorskip("helios_search", reason="the search plugin (plugins/search) is not installed")
asyncpg = pytest.importorskip("asyncpg", reason="asyncpg is a test client")

VECTORS = ["a:1A,2 b c:3C", "'a''b' 'x\\\\y':5", "", "über:1,2,3 straße:16383D", "'two words':4B",
           "z:1 a:2 m:3"]
QUERIES = ["a & b", "a & b & c", "!a | b:*AB <-> c <3> d", "a <-> (b | c)", "", "'it''s':* & !(x | y:C)",
           "(a | b) & (c | d)", "!!a", "a <0> b"]


class _Raw:
    def __init__(self, data: bytes, oid: int) -> None:
        self.data, self.oid = data, oid


class _RawDumper(adapt.Dumper):
    format = pq.Format.BINARY

    def dump(self, obj: _Raw) -> bytes:
        return obj.data

    def get_key(self, obj: _Raw, format: adapt.PyFormat) -> tuple:
        return (type(obj), obj.oid)

    def upgrade(self, obj: _Raw, format: adapt.PyFormat) -> adapt.Dumper:
        dumper = _RawDumper(type(obj))
        dumper.oid = obj.oid
        return dumper


@pytest.fixture(scope="module")
def helios_dsn(tmp_path_factory):
    from helios_core.testing import start_server

    server = start_server(tmp_path_factory.mktemp("fts-binary"), only=["postgres"])
    try:
        yield server.pg_dsn()
    finally:
        server.stop()


def _binary(dsn: str, sql: str, params: list | None = None) -> tuple[int, bytes | None]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.adapters.register_dumper(_Raw, _RawDumper)
        cur = conn.cursor(binary=True)
        row = cur.execute(sql, params).fetchone()
        return cur.description[0].type_code, None if row[0] is None else bytes(row[0])


@pytest.mark.parametrize(("type_name", "texts"), [("tsvector", VECTORS), ("tsquery", QUERIES)])
def test_binary_output_and_input_match_postgres(postgres_dsn: str, helios_dsn: str, type_name: str,
                                                texts: list[str]) -> None:
    for text in texts:
        literal = "'" + text.replace("'", "''") + "'"
        theirs = _binary(postgres_dsn, f"select {literal}::{type_name}")
        mine = _binary(helios_dsn, f"select {literal}::{type_name}")
        assert mine == theirs, (text, mine, theirs)
        # the bytes back as a binary parameter of the type: the same value, as text
        raw = _Raw(theirs[1], theirs[0])
        with psycopg.connect(postgres_dsn, autocommit=True) as pg, psycopg.connect(helios_dsn, autocommit=True) as hx:
            for conn in (pg, hx):
                conn.adapters.register_dumper(_Raw, _RawDumper)
            want, got = _outcome(pg, raw), _outcome(hx, raw)
        assert got == want, (text, got, want)


def _outcome(conn: psycopg.Connection, raw: _Raw) -> tuple:
    """The value read from a binary parameter as text, or the error's SQLSTATE (PostgreSQL 15
    refuses the empty tsquery it sends itself)."""
    try:
        return ("value", conn.execute("select %b::text", [raw]).fetchone()[0])
    except psycopg.Error as e:
        return ("error", e.sqlstate)


def test_bad_binary_input_is_refused(helios_dsn: str) -> None:
    with psycopg.connect(helios_dsn, autocommit=True) as conn:
        conn.adapters.register_dumper(_Raw, _RawDumper)
        for raw, oid in ((b"\x00\x00\x00\x02a\x00\x00\x00", 3614), (b"\x00\x00\x00\x01\x07", 3615)):
            with pytest.raises(psycopg.Error) as info:
                conn.execute("select %b::text", [_Raw(raw, oid)])
            assert info.value.sqlstate == "22P03"


def test_binary_column_round_trip(helios_dsn: str) -> None:
    """A tsvector column written from binary parameters reads back in binary as written."""
    with psycopg.connect(helios_dsn, autocommit=True) as conn:
        conn.adapters.register_dumper(_Raw, _RawDumper)
        conn.execute("drop table if exists wire_docs")
        conn.execute("create table wire_docs (id int, tsv tsvector, q tsquery)")
        sent = {}
        for i, (vector, query) in enumerate(zip(VECTORS, [q for q in QUERIES if q], strict=False)):
            v = _binary(helios_dsn, f"select '{vector.replace(chr(39), chr(39) * 2)}'::tsvector")[1]
            q = _binary(helios_dsn, f"select '{query.replace(chr(39), chr(39) * 2)}'::tsquery")[1]
            conn.execute("insert into wire_docs values (%s, %b, %b)", [i, _Raw(v, 3614), _Raw(q, 3615)])
            sent[i] = (v, q)
        cur = conn.cursor(binary=True)
        for i, v, q in cur.execute("select id, tsv, q from wire_docs order by id"):
            assert (bytes(v), bytes(q)) == sent[i]


def test_asyncpg_reads_and_sends_them_as_postgres_does(postgres_dsn: str, helios_dsn: str) -> None:
    async def values(dsn: str) -> list:
        conn = await asyncpg.connect(**_asyncpg_args(dsn))
        try:
            out = []
            for text in VECTORS:
                out.append(await conn.fetchval("select $1::tsvector", text))
                out.append(await conn.fetchval("select $1::tsvector::text", text))
            for text in QUERIES:
                out.append(await conn.fetchval("select $1::tsquery", text))
            row = await conn.fetchrow("select to_tsvector('english', 'The runners ran') as v, "
                                      "to_tsquery('english', 'runner & !ran') as q")
            out.append((row["v"], row["q"]))
            out.append([str(a.type.name) for a in (await conn.prepare("select 'a'::tsvector, 'a'::tsquery"))
                        .get_attributes()])
            return out
        finally:
            await conn.close()

    assert asyncio.run(values(helios_dsn)) == asyncio.run(values(postgres_dsn))


def _asyncpg_args(dsn: str) -> dict:
    """libpq keywords (host=... port=...) as asyncpg.connect's arguments."""
    words = dict(item.split("=", 1) for item in dsn.split())
    names = {"host": "host", "port": "port", "user": "user", "dbname": "database", "password": "password"}
    return {names[k]: int(v) if k == "port" else v for k, v in words.items() if k in names}
