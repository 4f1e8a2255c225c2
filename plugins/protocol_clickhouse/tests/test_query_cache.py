"""Translations kept by query text (query_cache): a repeated query answers as a new one would.

The same text is sent again after whatever could change its translation: DDL over either
protocol, another database, another branch, a session's temporary table of the same name; and
the queries that must be translated every time (clock functions, system tables) are told apart.
"""

from __future__ import annotations

import psycopg
import pytest
import sqlglot
from clickhouse_driver import Client
from helios_protocol_clickhouse.dialect import HeliosClickHouse
from helios_protocol_clickhouse.query_cache import QueryCache, Translation, is_plain

from helios_core.testing import HeliosServer


def client(server: HeliosServer, **kw: object) -> Client:
    return Client("127.0.0.1", port=server.port("clickhouse"), send_receive_timeout=60, **kw)


def test_a_repeated_query_follows_ddl_over_both_protocols(server: HeliosServer, pg: psycopg.Connection) -> None:
    c = client(server)
    c.execute("CREATE TABLE kept (a Int32) ENGINE = Memory")
    c.execute("INSERT INTO kept VALUES", [(1,), (2,)])
    assert c.execute("SELECT * FROM kept ORDER BY a") == [(1,), (2,)]
    assert c.execute("SELECT * FROM kept ORDER BY a") == [(1,), (2,)]
    c.execute("ALTER TABLE kept ADD COLUMN b String DEFAULT 'x'")
    assert c.execute("SELECT * FROM kept ORDER BY a") == [(1, "x"), (2, "x")]
    assert c.execute("SELECT sum(a) FROM kept") == [(3,)]
    pg.execute("drop table kept")
    pg.execute("create table kept (a text)")
    pg.execute("insert into kept values ('p'), ('q')")
    assert c.execute("SELECT * FROM kept ORDER BY a") == [("p",), ("q",)]
    with pytest.raises(Exception, match="(?i)sum"):
        c.execute("SELECT sum(a) FROM kept")  # text now: the kept translation of sum(Int32) is not reused


def test_the_same_text_in_two_databases(server: HeliosServer) -> None:
    c = client(server)
    c.execute("CREATE DATABASE IF NOT EXISTS other")
    c.execute("CREATE TABLE IF NOT EXISTS twice (v String) ENGINE = Memory")
    c.execute("CREATE TABLE IF NOT EXISTS other.twice (v String) ENGINE = Memory")
    c.execute("INSERT INTO twice VALUES", [("default",)])
    c.execute("INSERT INTO other.twice VALUES", [("other",)])
    assert c.execute("SELECT v FROM twice") == [("default",)]
    assert client(server, database="other").execute("SELECT v FROM twice") == [("other",)]
    c.execute("USE other")
    assert c.execute("SELECT v FROM twice") == [("other",)]


def test_a_temporary_table_of_the_same_name_is_not_shared(server: HeliosServer) -> None:
    a, b = client(server), client(server)
    a.execute("CREATE TABLE IF NOT EXISTS shadowed (v Int32) ENGINE = Memory")
    a.execute("INSERT INTO shadowed VALUES", [(1,)])
    assert a.execute("SELECT count() FROM shadowed") == [(1,)]
    b.execute("CREATE TEMPORARY TABLE shadowed (v Int32)")
    b.execute("INSERT INTO shadowed VALUES", [(7,), (8,)])
    assert b.execute("SELECT count() FROM shadowed") == [(2,)]
    assert a.execute("SELECT count() FROM shadowed") == [(1,)]


def test_branches_keep_their_own_rows_under_one_text(server: HeliosServer, pg: psycopg.Connection) -> None:
    pg.execute("create table branched (v int)")
    pg.execute("insert into branched values (1)")
    pg.execute("create branch kept_branch")
    c = client(server)
    c.execute("INSERT INTO branched (v) VALUES", [(2,)], settings={"heliosdb_branch": "kept_branch"})
    for _ in range(2):
        assert c.execute("SELECT count() FROM branched") == [(1,)]
        assert c.execute("SELECT count() FROM branched", settings={"heliosdb_branch": "kept_branch"}) == [(2,)]


@pytest.mark.parametrize("sql", [
    "SELECT now()", "SELECT today() - 1", "SELECT count() FROM system.tables", "SELECT number FROM numbers(3)",
    "SELECT count() FROM t FINAL", "SELECT a FROM t SETTINGS max_threads = 1", "SELECT rand()",
    "SELECT a, count() FROM t GROUP BY a WITH TOTALS", "SELECT a FROM t LIMIT 1 BY a",
    "SELECT a FROM t WHERE a IN (SELECT a FROM u)", "SELECT toStartOfDay(a) FROM t",
])
def test_queries_translated_every_time(sql: str) -> None:
    assert not is_plain(sqlglot.parse_one(sql, read=HeliosClickHouse))


@pytest.mark.parametrize("sql", [
    "SELECT count(*) FROM t",
    ("SELECT a, sum(b * (1 - c)) AS s FROM db.t WHERE d <= CAST('1998-09-02' AS Date) "
     "GROUP BY a ORDER BY a LIMIT 10"),
    "SELECT count() FROM t WHERE s LIKE '%x%' AND a IN (1, 2)",
])
def test_plain_queries_are_kept(sql: str) -> None:
    assert is_plain(sqlglot.parse_one(sql, read=HeliosClickHouse))


def test_the_cache_keeps_the_most_recently_used() -> None:
    cache = QueryCache(size=2)
    one = Translation(sql="select 1", format=None, types=(), stream=False)
    cache.put(("a",), one)
    cache.put(("b",), one)
    assert cache.get(("a",)) is one  # a is now the most recent
    cache.put(("c",), one)
    assert cache.get(("b",)) is None
    assert cache.get(("a",)) is one and cache.get(("c",)) is one


def test_row_limits_are_checked_each_time(server: HeliosServer) -> None:
    c = client(server)
    c.execute("CREATE TABLE IF NOT EXISTS limited (v Int32) ENGINE = Memory")
    c.execute("INSERT INTO limited VALUES", [(1,), (2,)])
    c.execute("SET max_result_rows = 3")
    assert c.execute("SELECT v FROM limited ORDER BY v") == [(1,), (2,)]
    c.execute("INSERT INTO limited VALUES", [(3,), (4,)])
    with pytest.raises(Exception, match="(?i)limit"):
        c.execute("SELECT v FROM limited ORDER BY v")
