"""Range types made with CREATE TYPE ... AS RANGE, and their multirange types, through asyncpg
(which finds them in pg_type / pg_range and reads them in binary) and psycopg (text and binary),
against a real server. The values are what PostgreSQL 15 gives."""

from __future__ import annotations

import asyncio

import asyncpg
import psycopg
import pytest
from psycopg.types.range import Range


def test_asyncpg_reads_and_writes_user_ranges(pg_server) -> None:
    async def main() -> None:
        c = await asyncpg.connect(host=pg_server.host, port=pg_server.port("postgres"), user="helios",
                                  database="helios")
        try:
            await c.execute('create type ur_text as range (subtype = text, collation = "C")')
            await c.execute("create type ur_float as range (subtype = float8, multirange_type_name = ur_floats)")
            await c.execute("create table ur_t (r ur_text, f ur_float)")
            await c.execute("insert into ur_t values (ur_text('a','k'), '[1.5,2]')")
            row = await c.fetchrow("select r, f, '{[a,b),[c,d)}'::ur_text_multirange as m, "
                                   "ur_floats(ur_float(1, 2), ur_float(2, 3)) as fm from ur_t")
            assert row["r"] == asyncpg.Range("a", "k")
            assert row["f"] == asyncpg.Range(1.5, 2.0, upper_inc=True)
            assert row["m"] == [asyncpg.Range("a", "b"), asyncpg.Range("c", "d")]
            assert row["fm"] == [asyncpg.Range(1.0, 3.0)]
            await c.execute("insert into ur_t (r) values ($1)", asyncpg.Range("b", "z", upper_inc=True))
            assert await c.fetchval("select r::text from ur_t where r @> 'x'::text") == "[b,z]"
            assert await c.fetchval("select $1::ur_text_multirange::text",
                                    [asyncpg.Range("a", "c"), asyncpg.Range("b", "d")]) == "{[a,d)}"
            assert await c.fetchval("select rngsubtype::regtype::text from pg_range "
                                    "where rngtypid = 'ur_float'::regtype") == "double precision"
        finally:
            await c.execute("drop table if exists ur_t; drop type if exists ur_text; drop type if exists ur_float")
            await c.close()

    asyncio.run(main())


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_psycopg_user_range_values(dsn: str, binary: bool) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop type if exists ur_int")
        conn.execute("create type ur_int as range (subtype = int4)")
        try:
            got = conn.execute("select ur_int(1, 5, '[]')::text, (ur_int(1,5) * ur_int(3,9))::text",
                               binary=binary).fetchone()
            assert got == ("[1,6)", "[3,5)")
            psy = conn.execute("select %s::ur_int::text", [Range(2, 4, "[]")], binary=binary).fetchone()
            assert psy == ("[2,5)",)
        finally:
            conn.execute("drop type ur_int")
