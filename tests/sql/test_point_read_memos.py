"""What the point-read path remembers between statements is let go when what it depends on
changes: a simple-query point read follows SET search_path and TimeZone, a role change and DDL
(the checks made once per settings version in point_reads.execute_point and
statement_cache.stamp_of); SHOW transaction_isolation follows SET default_transaction_isolation
(written only when it changes); the result's columns carry the query's names and the stored
types; statements recorded from many threads at once are all counted once folded."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

import helios_core
from helios_core import statement_stats
from helios_core.errors import HeliosError


@pytest.fixture
def s():
    session = helios_core.connect()
    session.execute("create schema other")
    session.execute("create table public.acc (aid int primary key, abalance int, note text, "
                    "at timestamptz)")
    session.execute("create table other.acc (aid int primary key, abalance int, note text, "
                    "at timestamptz)")
    session.execute("insert into public.acc select g, g, 'public', timestamptz '2026-01-01 12:00+00' "
                    "from generate_series(1, 50) g")
    session.execute("insert into other.acc select g, -g, 'other', timestamptz '2026-01-01 12:00+00' "
                    "from generate_series(1, 50) g")
    yield session
    session.close()


def _rows(s, sql):
    return s.execute(sql)[-1].rows()


def _point(s, sql):
    """The simple-query point read's rows, after the statement cache has learned the shape."""
    for _ in range(3):
        s.execute(sql)
    result = s.execute_point_sql(sql)
    assert result is not None, sql
    return [tuple(r.values()) for b in result.batches for r in b.to_pylist()]


def test_search_path_change_reads_the_other_table(s):
    assert _point(s, "select abalance, note from acc where aid = 7") == [(7, "public")]
    s.execute("set search_path = other, public")
    assert _point(s, "select abalance, note from acc where aid = 7") == [(-7, "other")]
    s.execute("reset search_path")
    assert _point(s, "select abalance, note from acc where aid = 8") == [(8, "public")]


def test_timezone_change_is_seen(s):
    sql = "select at from acc where aid = 3"
    first = _point(s, sql)
    s.execute("set timezone = 'Asia/Tokyo'")
    assert _rows(s, "show timezone") == [("Asia/Tokyo",)]
    assert _point(s, sql) == first  # the same instant; the ordinary path renders it in the new zone
    assert _rows(s, "select at::text from acc where aid = 3") == [("2026-01-01 21:00:00+09",)]


def test_ddl_between_point_reads(s):
    assert _point(s, "select note from acc where aid = 4") == [("public",)]
    s.execute("alter table public.acc rename column note to label")
    with pytest.raises(HeliosError) as err:
        s.execute("select note from acc where aid = 4")
    assert err.value.sqlstate == "42703"
    assert _point(s, "select label from acc where aid = 4") == [("public",)]


def test_role_change_is_checked_again(s):
    s.execute("create role reader login")
    s.execute("grant usage on schema other to reader")
    assert _point(s, "select abalance from other.acc where aid = 5") == [(-5,)]
    s.execute("set role reader")
    with pytest.raises(HeliosError) as err:
        s.execute("select abalance from other.acc where aid = 5")
    assert err.value.sqlstate == "42501"
    assert s.execute_point_sql("select abalance from other.acc where aid = 6") is None
    s.execute("reset role")
    assert _point(s, "select abalance from other.acc where aid = 6") == [(-6,)]


def test_transaction_isolation_follows_its_default(s):
    for _ in range(3):
        assert _point(s, "select abalance from acc where aid = 1") == [(1,)]
    assert _rows(s, "show transaction_isolation") == [("read committed",)]
    s.execute("set default_transaction_isolation = 'repeatable read'")
    _point(s, "select abalance from acc where aid = 2")
    assert _rows(s, "show transaction_isolation") == [("repeatable read",)]
    s.execute("begin isolation level serializable")
    assert _rows(s, "show transaction_isolation") == [("serializable",)]
    s.execute("commit")
    assert _rows(s, "show transaction_isolation") == [("repeatable read",)]
    s.execute("reset default_transaction_isolation")
    _point(s, "select abalance from acc where aid = 3")
    assert _rows(s, "show transaction_isolation") == [("read committed",)]


def test_result_columns_have_the_query_names_and_stored_types(s):
    result = None
    for _ in range(4):
        s.execute("select note as n, aid from acc where aid = 9")
    result = s.execute_point_sql("select note as n, aid from acc where aid = 9")
    assert result is not None
    batch = result.batches[0]
    assert batch.schema.names == ["n", "aid"]
    assert [str(t) for t in batch.schema.types] == ["string", "int32"]
    assert batch.to_pylist() == [{"n": "public", "aid": 9}]
    star = None
    for _ in range(4):
        s.execute("select * from acc where aid = 10")
    star = s.execute_point_sql("select * from acc where aid = 10")
    assert star.batches[0].schema.names == ["aid", "abalance", "note", "at"]


def test_statements_recorded_from_threads_are_all_counted():
    stats = statement_stats.StatementStats()
    per_thread, threads = 5000, 4
    session = SimpleNamespace(user="u", database="d", branch="main", protocol="postgres")

    def record() -> None:
        for i in range(per_thread):
            stats.record(session, "select $1", "select", 0.0001, 0.0, 1, None)
            if i % 700 == 0:
                stats.statement_rows()  # a reader folding the queue while others record

    workers = [threading.Thread(target=record) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    rows = dict(stats.statement_rows())
    entry = rows[("u", "d", "select $1")]
    assert entry.calls == per_thread * threads
    assert entry.rows == per_thread * threads
    snap = stats.snapshot()
    assert snap["statements"][("postgres", "select", "ok")] == per_thread * threads
    assert snap["rows_read"]["postgres"] == per_thread * threads
    stats.record(session, "select 2", "select", 0.0001, 0.0, 1, "57014")
    assert stats.snapshot()["errors"][("postgres", "57")] == 1
    stats.reset_statements()
    assert stats.statement_rows() == []


def test_a_prepared_point_read_is_checked_again_after_set(s):
    stmt = s.prepare("select abalance from acc where aid = $1", param_types=["integer"])
    assert s.execute_prepared(stmt, [6]).rows() == [(6,)]  # the first run: the plan learns its shape
    assert s.execute_point(stmt, [7]).batches[0].to_pylist() == [{"abalance": 7}]
    assert s.execute_point(stmt, [8]).batches[0].to_pylist() == [{"abalance": 8}]
    s.execute("set search_path = other, public")
    assert s.execute_point(stmt, [7]) is None  # planned for public.acc: the ordinary path re-plans
    assert s.execute_prepared(stmt, [7]).rows() == [(-7,)]
    s.execute("set search_path = public")
    s.execute("set intervalstyle = 'iso_8601'")
    assert s.execute_point(stmt, [7]) is None  # planned under other output styles
