"""Real PostgreSQL client libraries against a real ``helios serve``: psycopg 3, asyncpg, pg8000."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import io
import uuid

import asyncpg
import pg8000.native
import psycopg
import pytest


def _table(conn: psycopg.Connection, name: str, ddl: str) -> None:
    conn.execute(f"drop table if exists {name}")
    conn.execute(f"create table {name} ({ddl})")


# ---------------------------------------------------------------------------
# psycopg 3
# ---------------------------------------------------------------------------


def test_psycopg_simple_and_parameters(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        _table(conn, "pc_items", "id int primary key, name text, price numeric(10,2), seen date, at timestamp")
        conn.execute("insert into pc_items values (%s, %s, %s, %s, %s)",
                      (1, "apple", decimal.Decimal("1.25"), dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4, 5)))
        conn.cursor().executemany("insert into pc_items (id, name) values (%s, %s)", [(2, "pear"), (3, None)])
        rows = conn.execute("select id, name, price, seen, at from pc_items order by id").fetchall()
        assert rows == [(1, "apple", decimal.Decimal("1.25"), dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4, 5)),
                        (2, "pear", None, None, None), (3, None, None, None, None)]
        assert conn.execute("select name from pc_items where id = %s", (2,)).fetchone() == ("pear",)
        cur = conn.execute("update pc_items set name = %s where id >= %s", ("x", 2))
        assert cur.rowcount == 2
        assert conn.execute("select count(*) from pc_items where name = 'x'").fetchone() == (2,)


def test_psycopg_executemany_is_all_rows_or_none(dsn: str) -> None:
    """psycopg's executemany pipelines its rows up to one Sync, flushing the first row before the
    others are written: the whole pipeline is one implicit transaction, so a duplicate key in the
    middle leaves no row (PostgreSQL's answer), not the rows that ran before the next arrived."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        _table(conn, "pc_many", "id int primary key, v text")
        rows = [(i, "a") for i in range(10)] + [(3, "dup")] + [(i, "b") for i in range(20, 30)]
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.cursor().executemany("insert into pc_many values (%s, %s)", rows)
        assert conn.execute("select count(*) from pc_many").fetchone() == (0,)
        conn.cursor().executemany("insert into pc_many values (%s, %s)", [(i, "c") for i in range(50)])
        assert conn.execute("select count(*), min(id), max(id) from pc_many").fetchone() == (50, 0, 49)
    with psycopg.connect(dsn) as conn:  # inside the client's transaction the rows wait for its COMMIT
        conn.cursor().executemany("insert into pc_many values (%s, %s)", [(i, "d") for i in range(100, 110)])
        conn.rollback()
        assert conn.execute("select count(*) from pc_many").fetchone() == (50,)


def test_psycopg_binary_results_and_types(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "select 1::int2, 2::int4, 3::int8, 1.5::float4, 2.5::float8, true, 'txt'::text, '\\x00ff'::bytea, "
            "12.345::numeric, date '2024-02-29', timestamp '2024-02-29 12:00:01.5', "
            "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", binary=True).fetchone()
        assert row == (1, 2, 3, 1.5, 2.5, True, "txt", b"\x00\xff", decimal.Decimal("12.345"), dt.date(2024, 2, 29),
                       dt.datetime(2024, 2, 29, 12, 0, 1, 500000), uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
        text_row = conn.execute("select 12.345::numeric, true, '\\x00ff'::bytea").fetchone()
        assert text_row == (decimal.Decimal("12.345"), True, b"\x00\xff")


def test_psycopg_transactions_and_failed_state(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        _table(conn, "pc_tx", "id int primary key")
        conn.commit()
        conn.execute("insert into pc_tx values (1)")
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("insert into pc_tx values (1)")
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("select 1")
        conn.rollback()
        assert conn.execute("select count(*) from pc_tx").fetchone() == (0,)


def test_psycopg_server_side_cursor(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        _table(conn, "pc_many", "id int")
        conn.execute("insert into pc_many select * from generate_series(1, 1000)")
        conn.commit()
        with conn.cursor(name="big") as cur:
            cur.itersize = 100
            cur.execute("select id from pc_many order by id")
            assert cur.fetchmany(3) == [(1,), (2,), (3,)]
            assert sum(1 for _ in cur) == 997


def test_psycopg_copy_in_and_out(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        _table(conn, "pc_copy", "id int, name text, score float8")
        with conn.cursor() as cur:
            with cur.copy("copy pc_copy (id, name, score) from stdin") as cp:
                for i in range(1000):
                    cp.write_row((i, f"name {i}\ttab" if i % 2 else None, i / 4))
            assert cur.rowcount == 1000
            with cur.copy("copy pc_copy (id, name) from stdin (format csv)") as cp:
                cp.write(b'1000,"quoted, with comma"\n1001,\n')
            with cur.copy("copy pc_copy (id, name, score) from stdin (format binary)") as cp:
                cp.set_types(["int4", "text", "float8"])
                cp.write_row((1002, "binary", 0.5))
        assert conn.execute("select count(*), count(name), sum(id) from pc_copy").fetchone() == (1003, 502,
                                                                                                  sum(range(1003)))
        assert conn.execute("select name from pc_copy where id = 1").fetchone() == ("name 1\ttab",)
        assert conn.execute("select name from pc_copy where id = 1000").fetchone() == ("quoted, with comma",)
        out = io.BytesIO()
        with conn.cursor() as cur, cur.copy("copy (select id, name from pc_copy where id < 2 order by id) to stdout") as cp:
            for chunk in cp:
                out.write(chunk)
        assert out.getvalue() == b"0\t\\N\n1\tname 1\\ttab\n"
        with conn.cursor() as cur, cur.copy("copy (select id, score from pc_copy where id = 3) to stdout (format binary)") as cp:
            cp.set_types(["int4", "float8"])
            assert list(cp.rows()) == [(3, 0.75)]


def test_psycopg_copy_bad_data_is_an_error_and_connection_survives(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        _table(conn, "pc_copy_bad", "id int, name text")
        with pytest.raises(psycopg.Error) as e, conn.cursor() as cur, cur.copy("copy pc_copy_bad from stdin") as cp:
            cp.write(b"1\ta\nnot-a-number\tb\n")
        assert e.value.sqlstate in ("22P02", "22P04")
        assert conn.execute("select count(*) from pc_copy_bad").fetchone() == (0,)


def test_psycopg_async(dsn: str) -> None:
    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            await conn.execute("drop table if exists pc_async")
            await conn.execute("create table pc_async (id int primary key, v text)")
            async with conn.cursor() as cur:
                await cur.executemany("insert into pc_async values (%s, %s)", [(i, str(i)) for i in range(20)])
                await cur.execute("select v from pc_async where id = %s", (7,))
                assert await cur.fetchone() == ("7",)
            results = await asyncio.gather(*[_async_count(dsn) for _ in range(5)])
            assert results == [20] * 5

    asyncio.run(main())


async def _async_count(dsn: str) -> int:
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        cur = await conn.execute("select count(*) from pc_async")
        return (await cur.fetchone())[0]


def test_reported_settings_follow_set_local_rollback_and_savepoints(dsn: str) -> None:
    """ParameterStatus after each way a block's end or a savepoint changes a reported setting (the
    server re-reads the settings only when Session.settings_version moved)."""
    with psycopg.connect(dsn) as conn:
        tz = lambda: conn.info.parameter_status("TimeZone")
        start = tz()
        conn.execute("set local TimeZone = 'Asia/Tokyo'")
        assert tz() == "Asia/Tokyo"
        conn.commit()
        assert tz() == start  # SET LOCAL ends with the block
        conn.execute("set TimeZone = 'Europe/Paris'")
        assert tz() == "Europe/Paris"
        conn.rollback()
        assert tz() == start
        conn.execute("select 1")
        conn.commit()  # nothing changed: nothing to report
        assert tz() == start
        conn.execute("savepoint a")
        conn.execute("set TimeZone = 'America/Lima'")
        conn.execute("rollback to savepoint a")
        assert tz() == start
        conn.execute("set TimeZone = 'Europe/Paris'")
        conn.commit()
        assert tz() == "Europe/Paris"
        assert conn.execute("show TimeZone").fetchone() == ("Europe/Paris",)


def test_psycopg_settings_and_session_functions(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True, application_name="pg-tests") as conn:
        assert conn.info.parameter_status("application_name") == "pg-tests"
        assert conn.execute("show application_name").fetchone() == ("pg-tests",)
        assert conn.execute("select current_setting('application_name')").fetchone() == ("pg-tests",)
        conn.execute("set application_name = 'renamed'")
        assert conn.info.parameter_status("application_name") == "renamed"
        assert conn.execute("select current_database()").fetchone() == ("helios",)
        assert conn.execute("select pg_backend_pid()").fetchone() == (conn.info.backend_pid,)
        assert conn.execute("select version()").fetchone()[0].startswith("PostgreSQL 15")
        conn.execute("reset all")
        conn.execute("discard all")
        # a void function's value is empty, not NULL, in both formats
        assert conn.execute("select pg_advisory_lock(7), pg_advisory_unlock(7)").fetchone() == ("", True)
        assert conn.execute("select pg_advisory_lock(7)", binary=True).fetchone() == (b"",)  # as from PostgreSQL 15
        conn.execute("select pg_advisory_unlock_all()")


# ---------------------------------------------------------------------------
# asyncpg
# ---------------------------------------------------------------------------


def test_asyncpg_prepared_binary_executemany_copy(pg_server) -> None:
    async def main() -> None:
        conn = await asyncpg.connect(host=pg_server.host, port=pg_server.port("postgres"), user="helios",
                                     database="helios")
        try:
            await conn.execute("drop table if exists ap_items")
            await conn.execute("create table ap_items (id int primary key, name text, price numeric(12,3), "
                               "at timestamptz, tags text[], flag bool, ratio float8)")
            when = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
            await conn.executemany("insert into ap_items (id, name, price, at, tags, flag, ratio) "
                                   "values ($1, $2, $3, $4, $5, $6, $7)",
                                   [(1, "a", decimal.Decimal("1.500"), when, ["x", "y"], True, 0.25),
                                    (2, "b", None, None, None, False, None)])
            stmt = await conn.prepare("select id, name, price, at, tags, flag, ratio from ap_items where id = $1")
            assert [p.name for p in stmt.get_parameters()] == ["int4"]
            row = await stmt.fetchrow(1)
            assert tuple(row) == (1, "a", decimal.Decimal("1.500"), when, ["x", "y"], True, 0.25)
            assert (await stmt.fetchrow(2))["price"] is None
            # executemany is one pipeline: all rows or none
            with pytest.raises(asyncpg.UniqueViolationError):
                await conn.executemany("insert into ap_items (id, name) values ($1, $2)",
                                       [(3, "c"), (4, "d"), (1, "dup"), (5, "e")])
            assert await conn.fetchval("select count(*) from ap_items") == 2
            await conn.copy_records_to_table("ap_items", records=[(10, "c1"), (11, "c2")], columns=["id", "name"])
            assert await conn.fetchval("select count(*) from ap_items") == 4
            async with conn.transaction():
                cur = await conn.cursor("select id from ap_items order by id")
                assert [r["id"] for r in await cur.fetch(2)] == [1, 2]
                assert [r["id"] for r in await cur.fetch(10)] == [10, 11]
            with pytest.raises(asyncpg.UniqueViolationError):
                await conn.execute("insert into ap_items (id) values (1)")
            assert await conn.fetchval("select $1::int + 1", 41) == 42
            # a failing Parse answered at once (asyncpg waits after Flush, not Sync)
            with pytest.raises(asyncpg.UndefinedTableError):
                await asyncio.wait_for(conn.fetch("select * from no_such_table_ap where x = $1", 1), 10)
            assert await asyncio.wait_for(conn.fetchval("select $1::text[]", ["a", None]), 10) == ["a", None]
            assert await conn.fetchval("select $1::interval", dt.timedelta(days=1, seconds=5)) == dt.timedelta(
                days=1, seconds=5)
            assert await conn.fetchval("select $1::bytea", b"\x00\x01") == b"\x00\x01"
        finally:
            await conn.close()

    asyncio.run(main())


# ---------------------------------------------------------------------------
# pg8000
# ---------------------------------------------------------------------------


def test_pg8000(pg_server) -> None:
    con = pg8000.native.Connection("helios", host=pg_server.host, port=pg_server.port("postgres"),
                                   database="helios")
    try:
        con.run("drop table if exists p8_items")
        con.run("create table p8_items (id int primary key, name text, at date)")
        con.run("insert into p8_items values (:id, :name, :at)", id=1, name="one", at=dt.date(2020, 1, 1))
        assert con.run("select id, name, at from p8_items where id = :id", id=1) == [[1, "one", dt.date(2020, 1, 1)]]
        with pytest.raises(pg8000.native.DatabaseError) as e:
            con.run("insert into p8_items values (1, 'dup', null)")
        assert e.value.args[0]["C"] == "23505"
        assert con.run("select count(*) from p8_items") == [[1]]
    finally:
        con.close()


def test_branch_chosen_by_startup_options(pg_server, dsn) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        _table(conn, "pc_branchy", "a int")
        conn.execute("insert into pc_branchy values (1)")
        conn.execute("drop branch if exists pc_dev")
        conn.execute("create branch pc_dev from main")
    with psycopg.connect(dsn + " options='-c heliosdb.branch=pc_dev'", autocommit=True) as dev:
        dev.execute("insert into pc_branchy values (2)")
        assert dev.execute("select count(*), current_setting('heliosdb.branch') from pc_branchy").fetchone() == (
            2, "pc_dev")
    with psycopg.connect(dsn) as main:
        assert main.execute("select count(*) from pc_branchy").fetchone() == (1,)
    with pytest.raises(psycopg.OperationalError, match='branch "nope" does not exist'):
        psycopg.connect(dsn + " options='-c heliosdb.branch=nope'")
