"""macaddr, macaddr8, bit and bit varying (and inet/cidr through asyncpg) over the wire, text
and binary, as PostgreSQL 15 sends them: psycopg loads macaddr and bit strings as text (binary
cursors get the raw bytes), asyncpg decodes bit strings to asyncpg.BitString and inet/cidr to
ipaddress objects, and both send them back as parameters and in binary COPY."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import anyio
import asyncpg
import psycopg
import pytest

from helios_core.testing import HeliosServer

SETUP_SQL = ["create table hw (m macaddr, m8 macaddr8, b bit(5), v bit varying(8), i inet, c cidr)",
             "insert into hw values ('08002b:010203', '08:00:2b:01:02:03', B'10110', X'A', '10.1.2.3/16', '10.1')"]


@pytest.fixture(params=[False, True], ids=["text", "binary"])
def cur(server: HeliosServer, request: pytest.FixtureRequest) -> Iterator[psycopg.Cursor]:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        yield c.cursor(binary=request.param)


def test_psycopg_rows_as_postgres_sends_them(cur: psycopg.Cursor) -> None:
    row = cur.execute("select m, m8, b, v, array[m] from hw").fetchone()
    if cur.format:  # binary: psycopg has no loader for these types, so it hands over PostgreSQL's bytes
        assert row == (b"\x08\x00+\x01\x02\x03", b"\x08\x00+\xff\xfe\x01\x02\x03", b"\x00\x00\x00\x05\xb0",
                       b"\x00\x00\x00\x04\xa0", [b"\x08\x00+\x01\x02\x03"])
    else:
        assert row == ("08:00:2b:01:02:03", "08:00:2b:ff:fe:01:02:03", "10110", "1010", ["08:00:2b:01:02:03"])
    assert [d.type_code for d in cur.description] == [829, 774, 1560, 1562, 1040]


def test_psycopg_parameters(cur: psycopg.Cursor) -> None:
    assert cur.execute("select %s::macaddr = m, %s::varbit = v from hw", ["08-00-2b-01-02-03", "1010"]
                       ).fetchone() == (True, True)


def _dsn(server: HeliosServer) -> str:
    return f"postgresql://helios@127.0.0.1:{server.port('postgres')}/helios"


def test_asyncpg_decodes_and_encodes(server: HeliosServer) -> None:
    async def main() -> None:
        conn = await asyncpg.connect(_dsn(server))
        try:
            row = await conn.fetchrow("select m, m8, b, v, i, c, array[b] as bs from hw")
            assert tuple(row) == ("08:00:2b:01:02:03", "08:00:2b:ff:fe:01:02:03", asyncpg.BitString("10110"),
                                  asyncpg.BitString("1010"), ipaddress.ip_interface("10.1.2.3/16"),
                                  ipaddress.ip_network("10.1.0.0/16"), [asyncpg.BitString("10110")])
            back = await conn.fetchrow("select $1::macaddr, $2::macaddr8, $3::bit(5), $4::varbit, $5::inet, $6::cidr",
                                       "08:00:2b:01:02:03", "08:00:2b:01:02:03:04:05", asyncpg.BitString("101"),
                                       asyncpg.BitString("1"), ipaddress.ip_interface("::1/64"),
                                       ipaddress.ip_network("10.0.0.0/8"))
            assert tuple(back) == ("08:00:2b:01:02:03", "08:00:2b:01:02:03:04:05", asyncpg.BitString("10100"),
                                   asyncpg.BitString("1"), ipaddress.ip_interface("::1/64"),
                                   ipaddress.ip_network("10.0.0.0/8"))
            await conn.execute("create table hw_copy (b bit varying(8), i inet)")
            await conn.copy_records_to_table("hw_copy", records=[(asyncpg.BitString("1011"),
                                                                  ipaddress.ip_interface("10.0.0.1/8"))])
            assert tuple(await conn.fetchrow("select b::text, i::text from hw_copy")) == ("1011", "10.0.0.1/8")
        finally:
            await conn.close()

    anyio.run(main)


def test_connection_addresses(cur: psycopg.Cursor, server: HeliosServer) -> None:
    addr, port, server_addr, server_port = cur.execute(
        "select inet_client_addr()::text, inet_client_port(), inet_server_addr()::text, inet_server_port()").fetchone()
    assert addr == "127.0.0.1/32" and server_addr == "127.0.0.1/32"
    assert port > 0 and server_port == server.port("postgres")
