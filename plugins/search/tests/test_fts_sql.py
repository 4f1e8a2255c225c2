"""Full-text search over the PostgreSQL protocol: values, operators, errors (expected values are
PostgreSQL 15's output for the same statements)."""

from __future__ import annotations

import asyncio

import psycopg
import pytest


def one(conn: psycopg.Connection, sql: str):
    return conn.execute(sql).fetchone()[0]


@pytest.mark.parametrize(("sql", "expected"), [
    ("select to_tsvector('english', 'The quick brown foxes jumped over the lazy dogs')",
     "'brown':3 'dog':9 'fox':4 'jump':5 'lazi':8 'quick':2"),
    ("select to_tsvector('simple', 'Foo-Bar 3.14 e@x.com')",
     "'3.14':4 'bar':3 'e@x.com':5 'foo':2 'foo-bar':1"),
    ("select to_tsvector('The Fat Rats')", "'fat':2 'rat':3"),
    ("select 'b:2 a:1,3B c'::tsvector", "'a':1,3B 'b':2 'c'"),
    ("select 'a & (b | c) & !d'::tsquery", "'a' & ( 'b' | 'c' ) & !'d'"),
    ("select 'a <-> (b <-> c)'::tsquery", "'a' <-> ( 'b' <-> 'c' )"),
    ("select to_tsquery('english', 'fat & rats:*B')", "'fat' & 'rat':*B"),
    ("select to_tsquery('english', 'supernovae <-> the <-> stars')", "'supernova' <2> 'star'"),
    ("select plainto_tsquery('english', 'The Fat Rats')", "'fat' & 'rat'"),
    ("select phraseto_tsquery('english', 'The cat and the rats')", "'cat' <3> 'rat'"),
    ("select websearch_to_tsquery('english', '\"sad cat\" or \"fat rat\" -dog')",
     "'sad' <-> 'cat' | 'fat' <-> 'rat' & !'dog'"),
    ("select setweight('a:1 b:2'::tsvector, 'A')", "'a':1A 'b':2A"),
    ("select strip('a:1 b:2'::tsvector)", "'a' 'b'"),
    ("select length('a:1 b:2 c'::tsvector)", 3),
    ("select 'a:1 b:2'::tsvector || 'c:1 a:3'::tsvector", "'a':1,5 'b':2 'c':3"),
    ("select 'a'::tsquery && 'b'::tsquery", "'a' & 'b'"),
    ("select 'a'::tsquery || 'b'::tsquery", "'a' | 'b'"),
    ("select !! 'a'::tsquery", "!'a'"),
    ("select 'a'::tsquery <-> 'b'::tsquery", "'a' <-> 'b'"),
    ("select numnode('(a | b) & !c'::tsquery)", 6),
    ("select querytree('a & !b'::tsquery)", "'a'"),
    ("select tsvector_to_array('b:2 a:1'::tsvector)", ["a", "b"]),
    ("select array_to_tsvector('{c,a,a}')", "'a' 'c'"),
    ("select ts_lexize('english_stem', 'stars')", ["star"]),
    ("select ts_lexize('english_stem', 'the')", []),
])
def test_values_match_postgresql(conn, sql, expected):
    assert one(conn, sql) == expected


@pytest.mark.parametrize(("sql", "expected"), [
    ("select to_tsvector('english', 'a fat cat sat') @@ to_tsquery('english', 'cat & sat')", True),
    ("select 'a:1 b:2'::tsvector @@ 'b <-> a'", False),
    ("select 'a:1 b:2'::tsvector @@ 'a <-> b'", True),
    ("select 'a:1 b:3'::tsvector @@ 'a <2> b'", True),
    ("select 'a:1 b:2'::tsvector @@ '!a <-> b'", False),
    ("select 'a:1A b:2'::tsvector @@ 'a:B'", False),
    ("select 'supernovae:1'::tsvector @@ 'super:*'", True),
    ("select strip('a:1 b:2'::tsvector) @@ 'a <-> b'", False),
])
def test_match_operator(conn, sql, expected):
    assert one(conn, sql) is expected


def test_rank_functions(conn):
    v = "to_tsvector('english', 'a fat cat sat on a mat and ate a fat rat')"
    assert one(conn, f"select ts_rank({v}, to_tsquery('english', 'cat & rat'))") == pytest.approx(0.05174401, rel=1e-6)
    assert one(conn, f"select ts_rank_cd({v}, to_tsquery('english', 'cat & rat'))") == pytest.approx(0.011111111, rel=1e-6)
    assert one(conn, f"select ts_rank({v}, to_tsquery('english', 'fat | rat'), 1)") == pytest.approx(0.022797266, rel=1e-6)


def test_search_a_table(conn):
    conn.execute("drop table if exists docs")
    conn.execute("create table docs (id int primary key, body text, tsv tsvector)")
    conn.execute("insert into docs values (1, 'project launch today', to_tsvector('english', 'project launch today')),"
                 " (2, 'launching nothing', to_tsvector('english', 'launching nothing')),"
                 " (3, 'the project', to_tsvector('english', 'the project'))")
    rows = conn.execute("select id from docs where tsv @@ to_tsquery('english', 'project & launch') order by id").fetchall()
    assert rows == [(1,)]
    rows = conn.execute("select id from docs where tsv @@ 'launch' order by id").fetchall()
    assert rows == [(1,), (2,)]


@pytest.mark.parametrize(("sql", "sqlstate", "message"), [
    ("select 'a & '::tsquery", "42601", 'no operand in tsquery: "a & "'),
    ("select 'a & (b'::tsquery", "42601", 'syntax error in tsquery: "a & (b"'),
    ("select to_tsquery('english', 'a &| b')", "42601", "syntax error in tsquery"),
    ("select to_tsvector('klingon', 'x')", "42704", 'text search configuration "klingon" does not exist'),
    ("select ts_lexize('nope', 'x')", "42704", 'text search dictionary "nope" does not exist'),
])
def test_errors_are_postgresql_errors(conn, sql, sqlstate, message):
    with pytest.raises(psycopg.Error) as info:
        conn.execute(sql)
    assert info.value.sqlstate == sqlstate
    assert message in str(info.value)


def test_gin_and_gist_indexes_are_kinds_of_the_plugin(conn):
    conn.execute("drop table if exists indexed")
    conn.execute("create table indexed (id int, body text, tsv tsvector)")
    conn.execute("create index indexed_tsv on indexed using gin (tsv)")
    conn.execute("create index indexed_expr on indexed using gin (to_tsvector('english', body))")
    conn.execute("create index indexed_gist on indexed using gist (tsv)")
    defs = conn.execute("select indexdef from pg_indexes where tablename = 'indexed' order by 1").fetchall()
    assert defs == [("CREATE INDEX indexed_expr ON public.indexed USING gin (to_tsvector('english', body))",),
                    ("CREATE INDEX indexed_gist ON public.indexed USING gist (tsv)",),
                    ("CREATE INDEX indexed_tsv ON public.indexed USING gin (tsv)",)]
    conn.execute("insert into indexed values (1, 'fat cats', to_tsvector('fat cats'))")
    assert conn.execute("select id from indexed where tsv @@ 'cat'").fetchall() == [(1,)]
    with pytest.raises(psycopg.errors.UndefinedObject, match='data type text has no default operator class'):
        conn.execute("create index on indexed using gin (body)")
    with pytest.raises(psycopg.errors.UndefinedObject, match='access method "nosuch" does not exist'):
        conn.execute("create index on indexed using nosuch (tsv)")
    with pytest.raises(psycopg.errors.FeatureNotSupported, match='"brin"'):
        conn.execute("create index on indexed using brin (tsv)")


@pytest.mark.parametrize(("sql", "expected"), [
    ("select ts_headline('english', 'The fat cat sat on the mat and ate the fat rat', to_tsquery('english', 'rat'))",
     "The fat cat sat on the mat and ate the fat <b>rat</b>"),
    ("select ts_headline('simple', '1 2 3 1 3', '1 <-> 3', 'MaxWords=2, MinWords=1')", "<b>1</b> <b>3</b>"),
    ("select ts_headline('simple', '1 2 3 1 3', '1 & 3', 'MaxWords=4, MinWords=1')", "<b>1</b> 2 <b>3</b>"),
    ("select websearch_to_tsquery('simple', 'fat or(rat')", "'fat' | 'rat'"),
    ("select websearch_to_tsquery('english', 'this is ----fine')", "!!!!'fine'"),
    ("select websearch_to_tsquery('simple', 'a or or b')", "'a' | 'or' & 'b'"),
    ("select ts_rank_cd(' a:1 sa:2D sb:2A g'::tsvector, 'a <-> s:*')", pytest.approx(0.1)),
    ("select strip('wa:1A'::tsvector) @@ 'w:*A'::tsquery", True),
    ("select 'wr:1 qh:2'::tsvector @@ any ('{wr,zz}')", True),
])
def test_headline_websearch_and_ranking_details(conn, sql, expected):
    assert one(conn, sql) == expected


def test_asyncpg_binds_and_reads_search_types(search_server):
    asyncpg = pytest.importorskip("asyncpg", reason="asyncpg is needed for this client test")

    async def run():
        conn = await asyncpg.connect(host="127.0.0.1", port=search_server.port("postgres"), user="helios",
                                     database="helios")
        try:
            matched = await conn.fetchval("select $1::tsvector @@ $2::tsquery", "fat:1 rat:2", "fat <-> rat")
            vector = await conn.fetchval("select to_tsvector('english', $1)", "The fat rats")
            return matched, vector
        finally:
            await conn.close()

    assert asyncio.run(run()) == (True, "'fat':2 'rat':3")
