"""``$1,$2`` without spaces, dollar quotes, ``::oid[]``-style casts, and asyncpg with array columns.

asyncpg looks up every type it has no built-in codec for with one introspection query
(``... WHERE ti.oid = any($1::oid[])``, a correlated WITH RECURSIVE, ``SELECT DISTINCT *
... ORDER BY depth``): any array column sends it. The asyncpg scenario runs against HeliosDB and,
where PostgreSQL 15 is installed, against PostgreSQL too, and both must return the same records.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import uuid

import asyncpg
import psycopg
import pytest
from sqlglot import exp

import helios_core
from helios_core.errors import HeliosError
from helios_core.frontends.postgres import dialect
from helios_core.frontends.postgres.placeholders import parameter_spans
from helios_core.testing import HeliosServer

# ------------------------------------------------------------------------- the tokenizer


@pytest.mark.parametrize(("sql", "params"), [
    ("select $1,$2", ["$1", "$2"]),
    ("values ($1,$2,$3)", ["$1", "$2", "$3"]),
    ("select $1::int,$10", ["$1", "$10"]),
    ("select $$a $1,$2 b$$, $1", ["$1"]),
    ("select $tag$ $1,$ $tag$,$2", ["$2"]),
    ("select 'it''s $1,$2', $3", ["$3"]),
    ("select E'\\' $1,$2', $3", ["$3"]),
    ('select "a$1,$2" from t where x=$1', ["$1"]),
    ("select a$1 from t", []),
    ("select 1 -- $1,$2\n, $3", ["$3"]),
    ("select /* $1 /* nested $2 */ $3 */ $4", ["$4"]),
])
def test_parameter_spans_follow_postgresql_lexing(sql: str, params: list[str]) -> None:
    assert [sql[a:b] for a, b in parameter_spans(sql)] == params


def test_parameters_without_spaces_parse_as_parameters() -> None:
    tree = dialect.parse("select $1,$2::text,$10 from t where a=$3")[0].ast
    assert sorted(int(p.name) for p in tree.find_all(exp.Parameter)) == [1, 2, 3, 10]


def test_dollar_quoted_strings_keep_their_text() -> None:
    s = helios_core.connect()
    sql = "select $$a$1,$$, $t$x $2,$3 $t$, 'q$1,$2', $_$$_$"
    assert s.execute(sql)[-1].rows() == [("a$1,", "x $2,$3 ", "q$1,$2", "")]


def test_syntax_error_positions_stay_those_of_the_text() -> None:
    s = helios_core.connect()
    with pytest.raises(HeliosError) as err:
        s.execute("select $1,$2 from where")
    assert err.value.sqlstate == "42601"
    assert err.value.position == 19  # "where", as PostgreSQL counts it in the text as written


def test_prepare_execute_without_spaces_in_process() -> None:
    s = helios_core.connect()
    s.execute("create table pt (a int, b text)")
    s.execute("PREPARE p(int,text) AS INSERT INTO pt VALUES ($1,$2)")
    s.execute("EXECUTE p(1,'one')")
    s.execute("PREPARE q(int,int) AS SELECT $1,$2")
    assert s.execute("EXECUTE q(3,4)")[-1].rows() == [(3, 4)]
    assert s.execute("select * from pt")[-1].rows() == [(1, "one")]


@pytest.mark.parametrize(("sql", "label", "value"), [
    ("select '{1,2}'::oid[]", "oid", [1, 2]),
    ("select cast('{3}' as oid[])", "oid", [3]),
    ("select '{}'::regclass[]", "regclass", []),
    ("select 2::oid = any('{1,2}'::oid[])", "?column?", True),
    ("select '{1,2}'::int[]", "int4", [1, 2]),
])
def test_object_identifier_array_casts(sql: str, label: str, value: object) -> None:
    result = helios_core.connect().execute(sql)[-1]
    assert ([c.name for c in result.columns], result.rows()) == ([label], [(value,)])


# ------------------------------------------------------------------------- psycopg and asyncpg


def test_psycopg_placeholders_without_spaces(server: HeliosServer) -> None:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        conn.execute("create table ps_pairs (a int, b text)")
        conn.execute("insert into ps_pairs values (%s,%s)", (1, "x"))
        conn.execute("insert into ps_pairs values (%s,%s)", (2, "y"), prepare=True)
        conn.cursor().executemany("insert into ps_pairs values (%s,%s)", [(3, "z"), (4, "w")])
        assert conn.execute("select a,b from ps_pairs where a in (%s,%s) order by a", (2, 4)).fetchall() == [
            (2, "y"), (4, "w")]
        conn.execute("PREPARE pp(int,int) AS SELECT $1,$2")
        assert conn.execute("EXECUTE pp(5,6)").fetchone() == (5, 6)


async def _asyncpg_placeholders(port: int) -> None:
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="helios", database="helios")
    try:
        assert tuple(await conn.fetchrow("select $1::int,$2::text", 1, "a")) == (1, "a")
        stmt = await conn.prepare("select $1::int+$2::int,$2::int*$1::int")
        assert tuple(await stmt.fetchrow(3, 4)) == (7, 12)
        assert await conn.fetchval("select $$x$1,$$||$1::text", "y") == "x$1,y"
    finally:
        await conn.close()


def test_asyncpg_placeholders_without_spaces(server: HeliosServer) -> None:
    asyncio.run(_asyncpg_placeholders(server.port("postgres")))


ARRAY_COLUMNS = ("id int primary key, ints int[], bigs bigint[], texts text[], floats float8[], nums numeric[], "
                 "flags bool[], days date[], stamps timestamp[], zoned timestamptz[], ids uuid[], docs jsonb[], "
                 "spans interval[]")
ROWS = [
    (1, [1, None, -3], [2**40], ["a", 'b"c', "", None], [1.5, None, -0.25], [decimal.Decimal("1.25"), None],
     [True, False, None], [dt.date(2024, 1, 2)], [dt.datetime(2024, 1, 2, 3, 4, 5)],
     [dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)], [uuid.UUID(int=5), None], ['{"a": 1}', None],
     [dt.timedelta(days=1, seconds=5)]),
    (2, [], None, ["x,y", "{z}"], [0.0], [decimal.Decimal("-7.5")], [True], [], None, None, [uuid.UUID(int=7)],
     ["[1, 2]"], None),
]
COPIED = [
    (3, [7, 8], [9], ["c o p y"], [2.0], [decimal.Decimal("3.25")], [False], [dt.date(2020, 2, 29)],
     [dt.datetime(2020, 1, 1)], [dt.datetime(2020, 1, 1, tzinfo=dt.UTC)], [uuid.UUID(int=9)], ['{"k": [true]}'],
     [dt.timedelta(hours=2)]),
]


async def _asyncpg_arrays(dsn: dict) -> dict:
    """The scenario of the module docstring; returns what it read, to compare with PostgreSQL."""
    conn = await asyncpg.connect(**dsn)
    seen: dict = {}
    try:
        await conn.execute("drop table if exists ap_arrays")
        await conn.execute(f"create table ap_arrays ({ARRAY_COLUMNS})")
        await conn.executemany("insert into ap_arrays values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)", ROWS)
        await conn.copy_records_to_table("ap_arrays", records=COPIED)
        seen["all"] = [tuple(r) for r in await conn.fetch("select * from ap_arrays order by id")]
        seen["any"] = [r["id"] for r in await conn.fetch(
            "select id from ap_arrays where id = any($1::int[]) order by id", [1, 3, 5])]
        seen["contains"] = await conn.fetchval("select count(*) from ap_arrays where $1 = any(ints)", 8)
        seen["bound"] = [await conn.fetchval(f"select $1::{t}", v) for t, v in [
            ("int[]", [1, None]), ("text[]", ["é", None]), ("uuid[]", [uuid.UUID(int=1)]),
            ("numeric[]", [decimal.Decimal("2.50")]), ("date[]", [dt.date(2024, 5, 6)]),
            ("interval[]", [dt.timedelta(minutes=3)]), ("jsonb[]", ['{"x": null}']), ("bool[]", [None, True])]]
        async with conn.transaction():
            seen["cursor"] = [(r["id"], r["texts"]) async for r in conn.cursor(
                "select id, texts from ap_arrays order by id", prefetch=1)]
            cur = await conn.cursor("select id, ints, ids from ap_arrays where id > $1 order by id", 1)
            seen["cursor_fetch"] = [tuple(r) for r in await cur.fetch(5)]
        seen["types"] = [r["name"] for r in await conn.fetch(
            "select t.typname as name from pg_type t where t.oid = any($1::oid[]) order by 1", [1007, 1009, 2951])]
    finally:
        await conn.close()
    return seen


def test_asyncpg_array_columns_end_to_end(server: HeliosServer) -> None:
    seen = asyncio.run(_asyncpg_arrays({"host": "127.0.0.1", "port": server.port("postgres"), "user": "helios",
                                        "database": "helios"}))
    assert seen["all"] == ROWS + COPIED
    assert seen["any"] == [1, 3]
    assert seen["contains"] == 1
    assert seen["bound"] == [[1, None], ["é", None], [uuid.UUID(int=1)], [decimal.Decimal("2.50")],
                             [dt.date(2024, 5, 6)], [dt.timedelta(minutes=3)], ['{"x": null}'], [None, True]]
    assert seen["cursor"] == [(1, ["a", 'b"c', "", None]), (2, ["x,y", "{z}"]), (3, ["c o p y"])]
    assert seen["cursor_fetch"] == [(2, [], [uuid.UUID(int=7)]), (3, [7, 8], [uuid.UUID(int=9)])]
    assert seen["types"] == ["_int4", "_text", "_uuid"]


def test_asyncpg_array_columns_as_postgresql(server: HeliosServer, postgres_dsn: str) -> None:
    pg = dict(kv.split("=", 1) for kv in postgres_dsn.split())
    reference = asyncio.run(_asyncpg_arrays({"host": pg["host"], "port": int(pg["port"]), "user": pg["user"],
                                             "database": pg["dbname"]}))
    ours = asyncio.run(_asyncpg_arrays({"host": "127.0.0.1", "port": server.port("postgres"), "user": "helios",
                                        "database": "helios"}))
    assert ours == reference


def test_object_identifiers_print_their_names_over_the_wire(server: HeliosServer) -> None:
    """regclass's text output is the relation's name (PostgreSQL 15's answers), also in a cast to
    text and in a set-returning function's regclass column; an OID of no relation stays a number."""
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        conn.execute("create schema oid_names")
        conn.execute("create table oid_names.hidden (a int)")
        conn.execute("create table oid_parts (a int) partition by range (a)")
        conn.execute("create table oid_parts_0 partition of oid_parts for values from (0) to (10)")
        assert conn.execute(
            "select 'pg_class'::regclass::text, 1259::regclass::text, 'oid_names.hidden'::regclass::text, "
            "'pg_class'::regclass::text || '!', 'int4'::regtype::text, 4000000000::regclass::text").fetchone() == (
            "pg_class", "pg_class", "oid_names.hidden", "pg_class!", "integer", "4000000000")
        assert conn.execute("select * from pg_partition_tree('oid_parts')").fetchall() == [
            ("oid_parts", None, False, 0), ("oid_parts_0", "oid_parts", True, 1)]
        assert conn.execute("select * from pg_partition_ancestors('oid_parts_0')").fetchall() == [
            ("oid_parts_0",), ("oid_parts",)]


def test_explain_with_parameters(server: HeliosServer) -> None:
    """EXPLAIN of a statement with $n through the extended protocol is planned with the values
    bound (PostgreSQL does the same); the parameters are typed by the explained statement."""
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        conn.execute("create table ex_params (id int primary key, name text)")
        conn.execute("insert into ex_params values (1, 'a'), (2, 'b')")
        plan = [r[0] for r in conn.execute("explain select * from ex_params where id = %s", (1,))]
        assert plan and "ex_params" in "\n".join(plan)
        plan = [r[0] for r in conn.execute("explain select * from ex_params where name = %s and id > %s",
                                           ("a", 0))]
        assert "ex_params" in "\n".join(plan)
        analyzed = "\n".join(r[0] for r in conn.execute(
            "explain analyze select * from ex_params where id = %s", (2,)))
        assert "rows=1" in analyzed, analyzed
        plan = [r[0] for r in conn.execute("explain update ex_params set name = %s where id = %s", ("z", 1))]
        assert plan and conn.execute("select name from ex_params where id = 1").fetchone() == ("a",)
