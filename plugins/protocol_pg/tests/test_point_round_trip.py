"""A prepared primary-key read answered in one step (Session.execute_point, the connection's
point_round_trip) gives real clients exactly what the general path gives: values of every type in
text and binary, NULLs, MVCC against another open transaction, failed blocks, privileges."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal

import asyncpg
import psycopg
import pytest

pytestmark = pytest.mark.timeout(120)

ROWS = [
    (1, True, decimal.Decimal("12.50"), dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "ab   ", "x", 0.1,
     dt.date(2024, 2, 3), 10),
    (2, None, None, None, None, None, None, None, None),
    (-7, False, decimal.Decimal("-1.00"), dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=dt.UTC), "abcde", "", 1e300,
     dt.date(44, 3, 15), -3),
]


@pytest.fixture
def table(dsn: str) -> str:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("drop table if exists pt_typed")
        c.execute("create table pt_typed (k int primary key, b boolean, n numeric(10,2), ts timestamptz, "
                  "c char(5), t text, f float8, d date, i8 bigint)")
        with c.cursor() as cur:
            cur.executemany("insert into pt_typed values (%s, %s, %s, %s, %s, %s, %s, %s, %s)", ROWS)
    return "pt_typed"


def general(conn: psycopg.Connection, key: int, binary: bool = False) -> list[tuple]:
    """The same row through a query that is no point read (a range), not prepared."""
    with conn.cursor(binary=binary) as cur:
        return cur.execute("select * from pt_typed where k between %s and %s", (key, key), prepare=False).fetchall()


@pytest.mark.parametrize("binary", [False, True])
def test_psycopg_prepared_point_reads_match_the_general_path(dsn: str, table: str, binary: bool) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("set timezone = 'America/New_York'")
        with c.cursor(binary=binary) as cur:
            for _ in range(3):  # the first execution plans the shortcut, the next ones take it
                for key in (1, 2, -7, 3):
                    got = cur.execute("select * from pt_typed where k = %s", (key,), prepare=True).fetchall()
                    assert got == general(c, key, binary), key
                    assert [d.name for d in cur.description][:3] == ["k", "b", "n"]
            one = cur.execute("select t, k from pt_typed where k = %s", (1,), prepare=True).fetchall()
            assert one == [("x", 1)]


def test_other_transactions_blocks_and_errors(dsn: str, table: str) -> None:
    reader = psycopg.connect(dsn, autocommit=True, prepare_threshold=0)
    writer = psycopg.connect(dsn)
    sql = "select t, i8 from pt_typed where k = %s"
    try:
        for _ in range(3):
            assert reader.execute(sql, (1,)).fetchall() == [("x", 10)]
        writer.execute("update pt_typed set t = 'new', i8 = 11 where k = 1")  # open, not committed
        assert reader.execute(sql, (1,)).fetchall() == [("x", 10)]
        with reader.transaction():
            reader.execute("set transaction isolation level repeatable read")
            assert reader.execute(sql, (1,)).fetchall() == [("x", 10)]
            writer.commit()
            assert reader.execute(sql, (1,)).fetchall() == [("x", 10)]  # the block's snapshot
        assert reader.execute(sql, (1,)).fetchall() == [("new", 11)]
        reader.autocommit = False
        with pytest.raises(psycopg.errors.DivisionByZero):
            reader.execute("select 1 / 0")
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            reader.execute(sql, (1,))
        reader.rollback()
        assert reader.execute(sql, (1,)).fetchall() == [("new", 11)]
        with reader.pipeline():  # a pipeline's executions share one transaction: the general path
            curs = [reader.execute(sql, (k,)) for k in (1, 2, -7)]
        assert [cur.fetchall() for cur in curs] == [[("new", 11)], [(None, None)], [("", -3)]]
        reader.commit()
    finally:
        reader.close()
        writer.close()


def test_privileges_are_checked(dsn: str, table: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("drop role if exists pt_clerk")
        c.execute("create role pt_clerk")
        c.execute("grant select on pt_typed to pt_clerk")
        c.execute("set role pt_clerk")
        sql = "select t from pt_typed where k = %s"
        for _ in range(3):
            assert c.execute(sql, (1,), prepare=True).fetchall() == [("x",)]
        c.execute("reset role")
        c.execute("revoke select on pt_typed from pt_clerk")
        c.execute("set role pt_clerk")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute(sql, (1,), prepare=True)
        c.execute("reset role")


def test_asyncpg_prepared_point_reads_match_the_general_path(pg_server, table: str) -> None:
    async def main() -> None:
        conn = await asyncpg.connect(host=pg_server.host, port=pg_server.port("postgres"), user="helios",
                                     database="helios")
        try:
            stmt = await conn.prepare("select * from pt_typed where k = $1")
            rng = await conn.prepare("select * from pt_typed where k between $1 and $1")
            for _ in range(3):
                for key in (1, 2, -7, 3):
                    assert [tuple(r) for r in await stmt.fetch(key)] == [tuple(r) for r in await rng.fetch(key)]
            assert await stmt.fetchval(1, column=5) == "x"
            for key in (1, 2, -7, 3):  # fetchrow asks for one row (an Execute with a row limit)
                row, want = await stmt.fetchrow(key), await rng.fetch(key)
                assert (tuple(row) if row is not None else None) == (tuple(want[0]) if want else None)
            assert await conn.fetchrow("select t, k from pt_typed where k = $1", 1) == ("x", 1)
            with pytest.raises(asyncpg.exceptions.DataError):
                await stmt.fetch(2**40)  # out of the key's range: refused by the binder, as before
        finally:
            await conn.close()

    asyncio.run(main())



def test_simple_query_point_reads_match_the_general_path(dsn: str, table: str) -> None:
    """Simple-query texts (libpq's PQexec): the cached point read gives the ordinary answer, NULLs and
    the session's TimeZone included."""
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("set timezone = 'Asia/Kolkata'")
        for _ in range(3):
            for key in (1, 2, -7, 3):
                res = c.pgconn.exec_(f"select * from pt_typed where k = {key}".encode())
                assert res.status == psycopg.pq.ExecStatus.TUPLES_OK
                got = [tuple(res.get_value(r, f) for f in range(res.nfields)) for r in range(res.ntuples)]
                ref = c.pgconn.exec_(f"select * from pt_typed where k between {key} and {key}".encode())
                want = [tuple(ref.get_value(r, f) for f in range(ref.nfields)) for r in range(ref.ntuples)]
                assert got == want, key
                assert [res.fname(f) for f in range(res.nfields)] == [ref.fname(f) for f in range(ref.nfields)]
                assert res.command_status == ref.command_status
        assert c.pgconn.exec_(b"select ts from pt_typed where k = 1").get_value(0, 0) == b"2024-01-02 08:34:05+05:30"


def test_asyncpg_two_parameter_point_reads(pg_server) -> None:
    """A composite key's point read from asyncpg (a format code per parameter, fetchrow's row
    limit) gives what a range over the same key gives."""
    async def main() -> None:
        conn = await asyncpg.connect(host=pg_server.host, port=pg_server.port("postgres"), user="helios",
                                     database="helios")
        try:
            await conn.execute("drop table if exists pt_pair")
            await conn.execute("create table pt_pair (a int, b text, v timestamptz, w numeric(8,3), primary key (a, b))")
            await conn.execute("insert into pt_pair values (1, 'x', '2024-01-01 00:00+00', 1.5), (1, 'y', null, -2.25), "
                               "(2, 'x', '2050-07-01 12:00+00', 0)")
            stmt = await conn.prepare("select * from pt_pair where a = $1 and b = $2")
            rng = await conn.prepare("select * from pt_pair where a between $1 and $1 and b >= $2 and b <= $2")
            for _ in range(2):
                for key in ((1, "x"), (1, "y"), (2, "x"), (3, "z")):
                    got, want = await stmt.fetchrow(*key), await rng.fetch(*key)
                    assert (tuple(got) if got is not None else None) == (tuple(want[0]) if want else None), key
        finally:
            await conn.close()

    asyncio.run(main())


def test_execute_and_sync_are_matched_whatever_the_row_limit() -> None:
    from helios_protocol_pg import messages as m
    from helios_protocol_pg.connection import _execute_sync_length

    sync = m.msg(b"S")
    for limit in (0, 1, 50):
        buf = b"xx" + m.msg(b"E", b"\0" + limit.to_bytes(4, "big")) + sync
        assert _execute_sync_length(buf, 2) == len(buf) - 2
    assert _execute_sync_length(b"xx" + m.msg(b"E", b"p1\0" + bytes(4)) + sync, 2) is None  # a named portal
    assert _execute_sync_length(b"xx" + m.msg(b"E", b"\0" + bytes(4)) + m.msg(b"H"), 2) is None  # Flush, no Sync
    assert _execute_sync_length(b"xx" + m.msg(b"E", b"\0" + bytes(4)), 2) is None  # the Sync not come yet
