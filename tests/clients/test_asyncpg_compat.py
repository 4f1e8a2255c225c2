"""What asyncpg's own test suite showed missing, checked through asyncpg against a real server.

asyncpg's pool resets every connection it takes back with ``pg_advisory_unlock_all()`` (and
CLOSE ALL, UNLISTEN *, RESET ALL); without advisory locks every release failed.
"""

from __future__ import annotations

import datetime as dt

import anyio
import asyncpg
import pytest

from helios_core.testing import HeliosServer


def _dsn(server: HeliosServer) -> str:
    return f"postgresql://helios@127.0.0.1:{server.port('postgres')}/helios"


def test_pool_reuses_connections_after_reset(server: HeliosServer) -> None:
    async def main() -> list[int]:
        async with asyncpg.create_pool(_dsn(server), min_size=1, max_size=1) as pool:
            pids = []
            for _ in range(3):
                async with pool.acquire() as conn:
                    await conn.execute("select pg_advisory_lock(7)")  # released by the pool's reset
                    pids.append(await conn.fetchval("select pg_backend_pid()"))
            async with pool.acquire() as conn:
                assert await conn.fetchval("select pg_try_advisory_lock(7)") is True
            return pids

    pids = anyio.run(main)
    assert len(set(pids)) == 1  # the one connection survived every reset


def test_advisory_locks_between_sessions(server: HeliosServer) -> None:
    async def main() -> None:
        a = await asyncpg.connect(_dsn(server))
        b = await asyncpg.connect(_dsn(server))
        try:
            await a.execute("select pg_advisory_lock(1001), pg_advisory_lock(1001)")  # re-entrant
            assert await b.fetchval("select pg_try_advisory_lock(1001)") is False
            assert await b.fetchval("select pg_try_advisory_lock_shared(1001)") is False
            assert await b.fetchval("select pg_try_advisory_lock(10, 1)") is True  # two-int keys apart
            assert await a.fetchval("select pg_advisory_unlock(1001)") is True
            assert await b.fetchval("select pg_try_advisory_lock(1001)") is False  # still held once
            assert await a.fetchval("select pg_advisory_unlock(1001)") is True
            assert await a.fetchval("select pg_advisory_unlock(1001)") is False  # not held any more

            await a.execute("select pg_advisory_lock_shared(5)")
            assert await b.fetchval("select pg_try_advisory_lock_shared(5)") is True
            assert await b.fetchval("select pg_try_advisory_lock(5)") is False

            await b.execute("set lock_timeout = '150ms'")
            await a.execute("select pg_advisory_lock(6)")
            with pytest.raises(asyncpg.exceptions.LockNotAvailableError):
                await b.execute("select pg_advisory_lock(6)")
        finally:
            await a.close()  # a session's locks end with it
        assert await b.fetchval("select pg_try_advisory_lock(6)") is True
        await b.close()

    anyio.run(main)


def test_waiting_for_an_advisory_lock_ends_when_it_is_released(server: HeliosServer) -> None:
    async def main() -> float:
        a = await asyncpg.connect(_dsn(server))
        b = await asyncpg.connect(_dsn(server))
        await a.execute("select pg_advisory_lock(77)")

        async def release_later() -> None:
            await anyio.sleep(0.3)
            await a.execute("select pg_advisory_unlock(77)")

        async with anyio.create_task_group() as tg:
            tg.start_soon(release_later)
            started = anyio.current_time()
            await b.execute("select pg_advisory_lock(77)")
            waited = anyio.current_time() - started
        await a.close()
        await b.close()
        return waited

    assert anyio.run(main) >= 0.25


def test_void_results_in_binary_format(server: HeliosServer) -> None:
    async def main() -> None:
        conn = await asyncpg.connect(_dsn(server))
        try:
            assert await conn.fetchval("select pg_sleep(0)") is None
            assert await conn.fetchval("select pg_advisory_unlock_all()") is None
        finally:
            await conn.close()

    anyio.run(main)


def test_quoted_schema_qualified_builtin_type_names(server: HeliosServer) -> None:
    async def main() -> None:
        conn = await asyncpg.connect(_dsn(server))
        try:
            # asyncpg writes casts as $1::"pg_catalog"."int4" (copy_from_query, mogrify)
            assert await conn.fetchval('select $1::"pg_catalog"."int4" + 1', 41) == 42
            assert await conn.fetchval('select $1::"pg_catalog"."int4"[]', [1, 2]) == [1, 2]
            assert await conn.fetchval("select 'x'::pg_catalog.\"varchar\"(3)") == "x"
            await conn.execute("create table picks (n int, label text)")
            await conn.execute("insert into picks values (1, 'one'), (2, 'two'), (3, 'three')")
            sink: list[bytes] = []

            async def collect(chunk: bytes) -> None:
                sink.append(bytes(chunk))

            await conn.copy_from_query("select label from picks where n > $1 order by n", 1, output=collect)
            assert b"".join(sink) == b"two\nthree\n"
        finally:
            await conn.close()

    anyio.run(main)


def test_statement_cache_survives_alter_table(server: HeliosServer) -> None:
    """asyncpg re-prepares a cached statement whose result type changed when the server says the
    error comes from RevalidateCachedQuery, as PostgreSQL does; the caller sees no error."""
    async def main() -> tuple[list, list, str]:
        conn = await asyncpg.connect(_dsn(server))
        try:
            await conn.execute("drop table if exists cache_tab; create table cache_tab (a int, b int)")
            await conn.execute("insert into cache_tab values (1, 2)")
            before = await conn.fetch("select * from cache_tab")
            await conn.execute("alter table cache_tab add column c text")
            after = await conn.fetch("select * from cache_tab")
            stmt = await conn.prepare("select * from cache_tab")
            await conn.execute("alter table cache_tab drop column c")
            try:
                await stmt.fetch()
                kind = "no error"
            except asyncpg.exceptions.InvalidCachedStatementError:
                kind = "InvalidCachedStatementError"
            return [tuple(r) for r in before], [tuple(r) for r in after], kind
        finally:
            await conn.close()

    before, after, kind = anyio.run(main)
    assert before == [(1, 2)]
    assert after == [(1, 2, None)]
    assert kind == "InvalidCachedStatementError"  # an explicitly prepared statement is the caller's to redo


def test_binary_infinities_and_timetz_arithmetic(server: HeliosServer) -> None:
    """asyncpg sends dates and timestamps in binary: the infinities (the integer extremes) are
    stored and come back as such; date + timetz is a timestamptz, as in PostgreSQL."""
    async def main() -> tuple[list, object]:
        conn = await asyncpg.connect(_dsn(server))
        try:
            await conn.execute("drop table if exists inf_tab; create table inf_tab (d date, ts timestamp)")
            await conn.set_type_codec("date", encoder=tuple, decoder=tuple, schema="pg_catalog", format="tuple")
            await conn.set_type_codec("timestamp", encoder=tuple, decoder=tuple, schema="pg_catalog",
                                      format="tuple")
            await conn.execute("insert into inf_tab values ($1, $2)", (2**31 - 1,), (-(2**63),))
            texts = list(await conn.fetchrow("select d::text, ts::text from inf_tab"))
            total = await conn.fetchval("select '2020-01-01'::date + '10:00-03:30'::timetz")
            return texts, total
        finally:
            await conn.close()

    texts, total = anyio.run(main)
    assert texts == ["infinity", "-infinity"]
    assert total == dt.datetime(2020, 1, 1, 13, 30, tzinfo=dt.UTC)


def test_parameters_inside_insert_values_expressions_take_their_types(server: HeliosServer) -> None:
    """``VALUES ($1::int)``: the parameter is int4, as PostgreSQL describes it (it was text, and
    asyncpg then refused Python ints for it)."""
    async def main() -> list:
        conn = await asyncpg.connect(_dsn(server))
        try:
            await conn.execute("create table pv (a int, b text, c bigint)")
            described = []
            for sql in ["insert into pv values ($1::int)", "insert into pv (b) values ($1::int), (lower($2))",
                        "insert into pv (c) values (cast($1 as bigint) + 1)", "insert into pv values ($1, $2, $3)"]:
                stmt = await conn.prepare(sql)
                described.append([t.name for t in stmt.get_parameters()])
            await conn.execute("insert into pv (a, c) values ($1::int, $2::bigint * 2)", 5, 7)
            assert await conn.fetchrow("select a, c from pv") == (5, 14)
            return described
        finally:
            await conn.close()

    assert anyio.run(main) == [["int4"], ["int4", "text"], ["int8"], ["int4", "text", "int8"]]


def test_a_decimal_parameter_keeps_its_scale(server: HeliosServer) -> None:
    """``$1::numeric`` bound in binary from Decimal('1.10') is 1.10, as PostgreSQL answers."""
    import decimal

    async def main() -> tuple:
        conn = await asyncpg.connect(_dsn(server))
        try:
            return tuple(await conn.fetchrow("select $1::numeric, $2::numeric + 1, $3::numeric",
                                             decimal.Decimal("1.10"), decimal.Decimal("3.000"),
                                             decimal.Decimal("-0.5E+2")))
        finally:
            await conn.close()

    assert [str(v) for v in anyio.run(main)] == ["1.10", "4.000", "-50"]


def test_sql_execute_runs_a_statement_parse_named(server: HeliosServer) -> None:
    """Parse's named statements and SQL PREPARE share one namespace, as in PostgreSQL."""

    async def main() -> None:
        c = await asyncpg.connect(_dsn(server))
        try:
            ps = await c.prepare("select 41 + 1", name="foobar")
            assert ps.get_name() == "foobar"
            assert await c.fetchval("EXECUTE foobar") == 42
            with pytest.raises(asyncpg.exceptions.DuplicatePreparedStatementError):
                await c.prepare("select 1", name="foobar")
            with pytest.raises(asyncpg.exceptions.DuplicatePreparedStatementError):
                await c.execute("PREPARE foobar AS select 2")
            with pytest.raises(asyncpg.exceptions.InvalidSQLStatementNameError):
                await c.fetchval("EXECUTE nosuch")
        finally:
            await c.close()

    anyio.run(main)


def test_parameter_types_from_function_signatures(server: HeliosServer) -> None:
    async def main() -> None:
        c = await asyncpg.connect(_dsn(server))
        try:
            ps = await c.prepare("SELECT pg_terminate_backend($1)")
            assert [p.name for p in ps.get_parameters()] == ["int4"]
            assert await ps.fetchval(2_000_000) is False  # no such backend
            ps = await c.prepare("select now($1::void)")  # a void argument is dropped from the call
            assert [p.name for p in ps.get_parameters()] == ["void"]
            assert isinstance(await ps.fetchval(""), dt.datetime)
        finally:
            await c.close()

    anyio.run(main)


def test_cursor_forward_moves_a_bound_portal(server: HeliosServer) -> None:
    """asyncpg's Cursor.forward sends MOVE FORWARD n <portal> for a portal bound by Bind."""

    async def main() -> None:
        c = await asyncpg.connect(_dsn(server))
        try:
            async with c.transaction():
                cur = await (await c.prepare("SELECT generate_series(0, 20)")).cursor()
                assert [r[0] for r in await cur.fetch(2)] == [0, 1]
                assert await cur.forward(5) == 5
                assert (await cur.fetchrow())[0] == 7
                assert len(await cur.fetch(100)) == 13
                assert await cur.fetchrow() is None
            async with c.transaction():
                cur = await c.cursor("SELECT generate_series(0, 100)")
                assert await cur.forward(42) == 42  # before any Execute
                assert (await cur.fetchrow())[0] == 42
        finally:
            await c.close()

    anyio.run(main)


def test_copy_records_with_where(server: HeliosServer) -> None:
    async def main() -> None:
        c = await asyncpg.connect(_dsn(server))
        try:
            await c.execute("create table copy_where (a text, b int)")
            status = await c.copy_records_to_table("copy_where", records=[(f"a-{i}", i) for i in range(10)],
                                                   where="b > 6")
            assert status == "COPY 3"
            assert [r["b"] for r in await c.fetch("select b from copy_where order by b")] == [7, 8, 9]
            with pytest.raises(asyncpg.exceptions.PostgresSyntaxError, match="WHERE clause not allowed with COPY TO"):
                await c.execute("copy copy_where to stdout where b > 1")
            with pytest.raises(asyncpg.exceptions.FeatureNotSupportedError, match="subquery"):
                await c.execute("copy copy_where from stdin where b > (select 1)")
        finally:
            await c.close()

    anyio.run(main)


def test_binary_numeric_past_a_thousand_digits(server: HeliosServer) -> None:
    import decimal

    async def main() -> None:
        c = await asyncpg.connect(_dsn(server))
        try:
            for v in (decimal.Decimal("1E+1000"), decimal.Decimal("-1E-1000"), decimal.Decimal("123.4500")):
                assert await c.fetchval("select $1::numeric", v) == v
        finally:
            await c.close()

    anyio.run(main)


def test_catalog_subqueries_per_type_give_each_types_columns(server: HeliosServer) -> None:
    """asyncpg's type lookup: correlated subqueries over joined catalog tables, per pg_type row (run
    as one grouped subquery over catalog tables built once per statement); each row gets its own
    composite type's attributes, and types without any get NULL."""

    async def main() -> None:
        c = await asyncpg.connect(_dsn(server))
        try:
            await c.execute("create table intro_a (x int, y text)")
            await c.execute("create table intro_b (z boolean)")
            rows = await c.fetch("""
                select t.typname,
                       (case when t.typtype = 'c' then
                            (select array_agg(ia.attname::text order by ia.attnum)
                             from pg_attribute ia inner join pg_class c on (ia.attrelid = c.oid)
                             where ia.attnum > 0 and not ia.attisdropped and c.reltype = t.oid)
                        else null end) as attrnames
                from pg_type t where t.typname in ('intro_a', 'intro_b', 'int4') order by 1""")
            assert [(r[0], r[1]) for r in rows] == [("int4", None), ("intro_a", ["x", "y"]), ("intro_b", ["z"])]
            assert await c.fetchval("SELECT $1::int[]", [1, 2]) == [1, 2]
        finally:
            await c.execute("drop table if exists intro_a, intro_b")
            await c.close()

    anyio.run(main)


def test_executemany_cut_by_its_timeout_keeps_nothing(server: HeliosServer) -> None:
    """asyncpg cancels an executemany past its timeout: the batch is one implicit transaction, so
    none of its rows stay, even those before the row it waited on (asyncpg's own test)."""

    async def main() -> None:
        c = await asyncpg.connect(_dsn(server))
        try:
            await c.execute("create table exmany (a text, b int)")
            await c.executemany("insert into exmany values (NULL, $1)", [(x,) for x in range(64)])
            locked = anyio.Event()

            async def locker() -> None:
                c2 = await asyncpg.connect(_dsn(server))
                tx = c2.transaction()
                await tx.start()
                await c2.execute("update exmany set a = '1' where b = 10")
                locked.set()
                await anyio.sleep(1.5)
                await tx.rollback()
                await c2.close()

            async with anyio.create_task_group() as tg:
                tg.start_soon(locker)
                await locked.wait()
                with pytest.raises(TimeoutError):
                    await c.executemany("update exmany set a = $1 where b = $2",
                                        [("x" * 1000, x) for x in range(64)], timeout=0.5)
            assert await c.fetch("select * from exmany where a is not null") == []
        finally:
            await c.close()

    anyio.run(main)


def test_raise_notice_carries_context_and_source_fields(server: HeliosServer) -> None:
    """PostgreSQL's NoticeResponse of a RAISE names its CONTEXT and source file, line and routine
    (asyncpg's log listeners read them: its own test deletes ``server_source_line``)."""
    async def main() -> list[dict]:
        conn = await asyncpg.connect(_dsn(server))
        got: list[dict] = []
        conn.add_log_listener(lambda _c, message: got.append(message.as_dict()))
        try:
            await conn.execute("DO $$\n  BEGIN RAISE NOTICE 'catch me!'; END;\n$$ LANGUAGE plpgsql")
            await conn.execute("create function raise_w(a integer, b text) returns int language plpgsql as $$"
                               "begin\n  perform 1;\n  raise warning 'w %', a; return a; end $$")
            assert await conn.fetchval("select raise_w(3, 'x')") == 3
            with pytest.raises(asyncpg.exceptions.DivisionByZeroError) as err:
                await conn.execute("select 1/0")
            assert err.value.as_dict()["server_source_line"].isdigit()
            await anyio.sleep(0.1)
        finally:
            await conn.close()
        return got

    notice, warning = anyio.run(main)
    for m in (notice, warning):
        assert m["server_source_function"] == "exec_stmt_raise"
        assert m["server_source_filename"] and m["server_source_line"].isdigit()
    assert notice["context"] == "PL/pgSQL function inline_code_block line 2 at RAISE"
    assert (notice["severity"], notice["sqlstate"], notice["message"]) == ("NOTICE", "00000", "catch me!")
    assert warning["context"] == "PL/pgSQL function raise_w(integer,text) line 3 at RAISE"
    assert (warning["severity"], warning["sqlstate"], warning["message"]) == ("WARNING", "01000", "w 3")


def test_domain_parameters_are_described_as_the_domain(server: HeliosServer) -> None:
    """ParameterDescription names a domain's own OID for ``$1::d`` and for a value of a column of
    domain ``d`` (asyncpg introspects that OID and finds the base type); an operator's operand is
    the base type, as in PostgreSQL."""
    async def main() -> None:
        conn = await asyncpg.connect(_dsn(server))
        try:
            await conn.execute("create domain pos_int as int check (value > 0)")
            await conn.execute("create table dom_params (a pos_int)")
            oid = await conn.fetchval("select oid from pg_type where typname = 'pos_int'")
            for sql, want in (("select $1::pos_int", oid), ("insert into dom_params values ($1)", oid),
                              ("select a from dom_params where a = $1", 23)):
                stmt = await conn.prepare(sql)
                assert [(t.oid, t.name) for t in stmt.get_parameters()] == [(want, "int4")], sql
            assert await conn.fetchval("select $1::pos_int + 1", 41) == 42
            await conn.execute("insert into dom_params values ($1)", 5)
            with pytest.raises(asyncpg.exceptions.CheckViolationError):
                await conn.execute("insert into dom_params values ($1)", -5)
            assert await conn.fetchval("select count(*) from dom_params where a = $1", 5) == 1
        finally:
            await conn.close()

    anyio.run(main)


def test_char_of_byte_zero_is_the_empty_char(server: HeliosServer) -> None:
    """"char" in binary is one byte; the byte 0 is the empty "char" (text output ''), both ways,
    as charrecv/charsend have it (asyncpg sends and expects b'\\x00')."""
    async def main() -> None:
        conn = await asyncpg.connect(_dsn(server))
        try:
            for value, text in ((b"a", "a"), (b"\x00", "")):
                assert await conn.fetchval('select $1::"char"', value) == value
                assert await conn.fetchval('select $1::"char"::text', value) == text
                assert await conn.fetchval('select $1::"char"[]', [value, b"b"]) == [value, b"b"]
            assert await conn.fetchval("select ''::\"char\"") == b"\x00"
            assert await conn.fetchval("select ''::\"char\" = $1", b"\x00") is True
        finally:
            await conn.close()

    anyio.run(main)


def test_explain_json_of_writes(server: HeliosServer) -> None:
    """asyncpg's PreparedStatement.explain() of an INSERT/UPDATE/DELETE: PostgreSQL's ModifyTable
    node (Operation, Relation Name) over the plan of the rows read; with ANALYZE the write runs
    (asyncpg rolls it back itself)."""
    async def main() -> None:
        conn = await asyncpg.connect(_dsn(server))
        try:
            await conn.execute("create table explained (a int)")
            plan = await (await conn.prepare("insert into explained (a) values (1), (2)")).explain()
            assert plan[0]["Plan"]["Node Type"] == "ModifyTable"
            assert (plan[0]["Plan"]["Operation"], plan[0]["Plan"]["Relation Name"]) == ("Insert", "explained")
            assert plan[0]["Plan"]["Plans"][0]["Node Type"] == "Values Scan"
            assert await conn.fetchval("select count(*) from explained") == 0  # not run without ANALYZE
            plan = await (await conn.prepare("insert into explained (a) values ($1)")).explain(7, analyze=True)
            assert plan[0]["Plan"]["Actual Loops"] == 1 and "Execution Time" in plan[0]
            assert await conn.fetchval("select count(*) from explained") == 0  # asyncpg rolled it back
            await conn.fetchval("explain (format json, analyze) insert into explained (a) values ($1)", 7)
            assert await conn.fetchval("select a from explained") == 7  # ANALYZE ran the insert
            plan = await (await conn.prepare("update explained set a = 2 where a > $1")).explain(1)
            assert plan[0]["Plan"]["Operation"] == "Update"
            assert plan[0]["Plan"]["Plans"][0]["Relation Name"] == "explained"
            plan = await (await conn.prepare("delete from explained")).explain()
            assert plan[0]["Plan"]["Operation"] == "Delete"
        finally:
            await conn.close()

    anyio.run(main)


def test_a_large_binary_result_reads_as_the_same_values_as_text(server: HeliosServer) -> None:
    """asyncpg asks for every result column in binary; a result of thousands of rows is encoded
    column-wise (integers, floats, booleans, dates and timestamps by numpy): the values, NULLs and
    ±infinity must be those psycopg reads from the text form."""
    import psycopg

    query = """
        select i, i::int2 as a, (i * 10000000000)::int8 as b, (i / 7.0)::float8 as c,
               case when i % 3 = 0 then null else i % 2 = 0 end as d,
               case when i % 5 = 0 then null else date '1970-01-01' + i * 3 end as e,
               case when i = 7 then 'infinity'::timestamp when i % 4 = 0 then null
                    else timestamp '1999-12-31 23:59:59.75' + i * interval '1 hour 1 second' end as f,
               timestamptz '2000-01-01 00:00:00+00' - i * interval '90 minutes' as g,
               (i / 3.0)::numeric(10, 3) as h, case when i % 6 = 0 then null else 'r' || i end as j
        from generate_series(-2500, 2500) as s(i) order by i"""

    async def binary() -> list[tuple]:
        conn = await asyncpg.connect(_dsn(server))
        try:
            await conn.execute("set timezone = 'UTC'")
            return [tuple(r) for r in await conn.fetch(query)]
        finally:
            await conn.close()

    got = anyio.run(binary)
    with psycopg.connect(f"host=127.0.0.1 port={server.port('postgres')} user=helios dbname=helios") as c:
        c.execute("set timezone = 'UTC'")
        want = c.execute(query.replace("order by i", "where i <> 7 order by i")).fetchall()  # psycopg has no infinity
    assert [r[6] for r in got if r[0] == 7] == [dt.datetime.max]  # asyncpg's infinity
    assert len(got) == 5001 and [r for r in got if r[0] != 7] == want
