"""pg_stat_statements, pg_stat_activity (every protocol's sessions), the slow-statement log and the
statement metrics, through real clients against a real server."""

from __future__ import annotations

import importlib.util
import re

import psycopg
import pytest

import helios_core
from helios_core.config import load_config
from helios_core.testing import HeliosServer
from tests.operations.conftest import scrape


def _connect(server: HeliosServer, **kw: object) -> psycopg.Connection:
    return psycopg.connect(server.pg_dsn(), autocommit=True, **kw)


def test_pg_stat_statements_normalizes_and_counts(server: HeliosServer) -> None:
    with _connect(server) as conn:
        conn.execute("create table pss_t (id int primary key, name text)")
        conn.execute("select pg_stat_statements_reset()")
        for i in range(4):
            conn.execute(f"insert into pss_t values ({i}, 'n{i}')")  # literals: one normalized entry
        for i in range(3):
            conn.execute("select name from pss_t where id = %s", (i,), prepare=True).fetchall()
        for i in range(2):  # pgbench's way: a closing semicolon, not part of the entry's text
            conn.execute(f"select name, id from pss_t where id = {i};").fetchall()
        rows = conn.execute(
            "select query, calls, rows, total_exec_time, min_exec_time, max_exec_time, mean_exec_time, "
            "userid = (select oid from pg_roles where rolname = current_user), "
            "dbid = (select oid from pg_database where datname = current_database()) "
            "from pg_stat_statements where query like '%pss_t%' order by query").fetchall()
    by_query = {r[0]: r for r in rows}
    insert = by_query["insert into pss_t values ($1, $2)"]
    assert insert[1:3] == (4, 4)
    select = by_query["select name from pss_t where id = $1"]
    assert select[1:3] == (3, 3)
    assert by_query["select name, id from pss_t where id = $1"][1:3] == (2, 2)
    assert not [q for q in by_query if q.endswith(";")], by_query
    for r in (insert, select):
        total, lo, hi, mean = r[3:7]
        assert 0 < lo <= mean <= hi <= total
        assert mean == pytest.approx(total / r[1])
        assert r[7] and r[8]


def test_pg_stat_statements_reset_needs_superuser_and_empties(server: HeliosServer) -> None:
    with _connect(server) as conn:
        conn.execute("select 1 as before_reset").fetchall()
        assert conn.execute("select count(*) from pg_stat_statements where query like '%before_reset%'"
                            ).fetchone()[0] == 1
        conn.execute("select pg_stat_statements_reset()")
        assert conn.execute("select count(*) from pg_stat_statements where query like '%before_reset%'"
                            ).fetchone()[0] == 0
        conn.execute("create role pss_plain login")
    with psycopg.connect(server.pg_dsn(user="pss_plain"), autocommit=True) as plain, \
            pytest.raises(psycopg.errors.InsufficientPrivilege):
        plain.execute("select pg_stat_statements_reset()")
    with psycopg.connect(server.pg_dsn(user="pss_plain"), autocommit=True) as plain, \
            pytest.raises(psycopg.errors.InsufficientPrivilege):
        plain.execute("set log_min_duration_statement = 0")  # a superuser's setting, as in PostgreSQL


def test_pg_stat_activity_shows_protocol_branch_and_current_statement(server: HeliosServer) -> None:
    with _connect(server) as watcher, _connect(server, application_name="pss-app") as other:
        other.execute("select 42 as marker").fetchall()
        row = watcher.execute(
            "select state, protocol, branch, query, application_name, client_addr, client_port > 0, "
            "backend_start <= now(), query_start >= backend_start from pg_stat_activity where pid = %s",
            (other.info.backend_pid,)).fetchone()
        assert row[0] == "idle" and row[1] == "postgres" and row[2] == "main"
        assert row[3] == "select 42 as marker" and row[4] == "pss-app"
        assert str(row[5]) == "127.0.0.1" and row[6] and row[7] and row[8]
        other.execute("begin")
        other.execute("select 1").fetchall()
        state = watcher.execute("select state from pg_stat_activity where pid = %s",
                                (other.info.backend_pid,)).fetchone()[0]
        assert state == "idle in transaction"
        me = watcher.execute("select state, query from pg_stat_activity where pid = pg_backend_pid()").fetchone()
        assert me[0] == "active" and "pg_stat_activity" in me[1]


@pytest.mark.skipif(importlib.util.find_spec("helios_protocol_mongo") is None,
                    reason="helios-protocol-mongo not installed")
def test_mongo_sessions_in_pg_stat_activity_and_statements(server: HeliosServer) -> None:
    pymongo = pytest.importorskip("pymongo")
    client = pymongo.MongoClient(f"mongodb://127.0.0.1:{server.port('mongodb')}/", serverSelectionTimeoutMS=10000)
    try:
        coll = client["helios"]["pss_docs"]
        coll.insert_one({"_id": 1, "x": 5})
        assert coll.find_one({"_id": 1})["x"] == 5
        with _connect(server) as conn:
            protocols = {r[0] for r in conn.execute("select protocol from pg_stat_activity").fetchall()}
            assert "mongodb" in protocols
            statements = conn.execute("select sum(calls) from pg_stat_statements where query ilike '%pss_docs%'"
                                      ).fetchone()[0]
            assert statements and statements >= 2
    finally:
        client.close()
    assert re.search(r'helios_statements_total\{kind="\w+",outcome="ok",protocol="mongodb"\} [1-9]',
                     scrape(server))


@pytest.mark.skipif(importlib.util.find_spec("helios_protocol_clickhouse") is None,
                    reason="helios-protocol-clickhouse not installed")
def test_clickhouse_sessions_in_pg_stat_activity_and_statements(server: HeliosServer) -> None:
    driver = pytest.importorskip("clickhouse_driver")
    client = driver.Client(host="127.0.0.1", port=server.port("clickhouse"))
    try:
        assert client.execute("SELECT 7 AS pss_clickhouse") == [(7,)]
        with _connect(server) as conn:
            rows = conn.execute("select protocol, query from pg_stat_activity where protocol = 'clickhouse'"
                                ).fetchall()
            assert rows and any("pss_clickhouse" in (q or "") for _, q in rows), rows
    finally:
        client.disconnect()
    assert re.search(r'helios_statements_total\{kind="select",outcome="ok",protocol="clickhouse"\} [1-9]',
                     scrape(server))


def test_slow_statement_log(server: HeliosServer) -> None:
    with _connect(server) as conn:
        assert conn.execute("show log_min_duration_statement").fetchone()[0] == "-1"
        conn.execute("set log_min_duration_statement = '50ms'")
        assert conn.execute("show log_min_duration_statement").fetchone()[0] == "50ms"
        conn.execute("select 1 as quick_one").fetchall()
        conn.execute("select pg_sleep(0.1), 'slow_one'").fetchall()
    line = server.wait_for_log("slow_one")
    assert re.search(r"duration: \d+\.\d{3} ms  statement: select pg_sleep\(0\.1\), 'slow_one'", line), line
    assert "quick_one" not in server.output()


def test_branch_labels_are_capped(server: HeliosServer) -> None:
    with _connect(server) as conn:
        for i in range(5):
            conn.execute(f"create branch cap_b{i}")
            conn.execute(f"set heliosdb.branch = cap_b{i}")
            conn.execute("select 1").fetchall()
            conn.execute("set heliosdb.branch = main")
    body = scrape(server)
    labels = set(re.findall(r'helios_branch_statements_total\{branch="([^"]+)",database="helios"\}', body))
    assert "other" in labels
    assert len(labels) <= 3 + 1  # max_branch_labels = 3 in this module's config, plus "other"


def test_statement_statistics_switched_off_records_nothing(tmp_path) -> None:
    """``[metrics] statement_statistics = false`` (what the overhead benchmark compares against)."""
    path = tmp_path / "helios.toml"
    path.write_text("[metrics]\nstatement_statistics = false\n")
    assert load_config(path, {}).metrics.statement_statistics is False
    s = helios_core.connect()
    try:
        s.execute("select 1")
        assert [k[2] for k, _ in s.engine.statement_stats.statement_rows()] == ["select $1"]
        s.engine.statement_stats.enabled = False
        s.execute("select 2, 3")
        assert [k[2] for k, _ in s.engine.statement_stats.statement_rows()] == ["select $1"]
    finally:
        s.engine.close()
