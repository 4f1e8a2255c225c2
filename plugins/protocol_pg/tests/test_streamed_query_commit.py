"""A query whose rows stream (a plain SELECT sent as a simple query) commits its implicit
transaction before the client is told the query is done: what its functions wrote is visible to
other sessions at once, and a commit that fails is reported to that query."""

from __future__ import annotations

import shutil
import subprocess

import psycopg
import pytest


def test_writes_of_a_select_commit_before_ready_for_query(pg_server) -> None:
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as a, \
            psycopg.connect(pg_server.pg_dsn(), autocommit=True) as b:
        a.execute("create table streamed_log (x int)")
        a.execute("create function streamed_log_add(v int) returns int language plpgsql as "
                  "$$ begin insert into streamed_log values (v); return v; end $$")
        assert a.execute("select streamed_log_add(7)").fetchone() == (7,)
        # b looks before a sends anything else: the row is committed already
        assert b.execute("select count(*) from streamed_log").fetchone() == (1,)
        # past ROWS_PER_HOP (8192): a result streamed in more than one hop commits the same way
        assert a.execute("select streamed_log_add(x + 1) from generate_series(1, 9000) x").rowcount == 9000
        assert b.execute("select count(*) from streamed_log").fetchone() == (9001,)


def test_a_commit_failure_at_the_end_of_a_streamed_query_is_its_error(pg_server) -> None:
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as a, \
            psycopg.connect(pg_server.pg_dsn(), autocommit=True) as b:
        a.execute("create table streamed_parent (id int primary key)")
        a.execute("create table streamed_child (p int references streamed_parent deferrable initially deferred)")
        a.execute("create function streamed_orphan() returns int language plpgsql as "
                  "$$ begin insert into streamed_child values (42); return 1; end $$")
        with pytest.raises(psycopg.errors.ForeignKeyViolation):  # checked at the commit, as in PostgreSQL
            a.execute("select streamed_orphan()")
        assert b.execute("select count(*) from streamed_child").fetchone() == (0,)
        assert a.execute("select 1").fetchone() == (1,)  # the session goes on


@pytest.mark.skipif(shutil.which("psql") is None, reason="needs psql (postgresql-client)")
def test_a_failed_commit_replaces_the_last_statements_completion(pg_server) -> None:
    """PostgreSQL commits before the last statement's CommandComplete: an INSERT whose deferred
    foreign key fails at that commit reports the error alone (psql shows no "INSERT 0 1")."""
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as conn:
        conn.execute("create table cc_parent (id int primary key)")
        conn.execute("create table cc_child (p int references cc_parent deferrable initially deferred)")
    proc = subprocess.run(["psql", "-X", "-h", pg_server.host, "-p", str(pg_server.port("postgres")), "-U", "helios",
                           "helios", "-c", "insert into cc_child values (5) returning p"],
                          check=False, capture_output=True, text=True, timeout=60)
    assert "violates foreign key constraint" in proc.stderr
    assert proc.stdout == ""  # neither the row nor "INSERT 0 1"
