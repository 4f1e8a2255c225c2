"""A batch load's INSERTs over the simple protocol run on the event loop once their shape is
prepared (``inline_writes``); anything else a client INSERTs still goes to a worker thread.

Seen from outside with one worker thread kept busy by another client's ``pg_sleep``: a batch
that runs inline is answered at once, one that needs a worker waits for the sleep to end.
"""

from __future__ import annotations

import threading
import time
from typing import Self

import psycopg
import pytest

pytestmark = pytest.mark.timeout(120)

SLEEP = 3.0


def batch(first: int, n: int = 50) -> str:
    rows = ", ".join(f"({i}, 'row {i}', {i}.25)" for i in range(first, first + n))
    return f"insert into loads (id, name, v) values {rows}"


class BusyWorker:
    """Another connection holding the server's only worker thread for SLEEP seconds."""

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.thread = threading.Thread(target=self.conn.execute, args=(f"select pg_sleep({SLEEP})",))

    def __enter__(self) -> Self:
        self.thread.start()
        time.sleep(0.5)  # the sleep has taken the worker
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.join(SLEEP + 30)
        self.conn.close()


def timed(conn: psycopg.Connection, sql: str) -> float:
    started = time.perf_counter()
    conn.execute(sql)
    return time.perf_counter() - started


@pytest.mark.parametrize("inline_writes", [True, False])
def test_a_prepared_batch_is_answered_while_the_workers_are_busy(helios_server, inline_writes: bool) -> None:
    server = helios_server({"protocols": {"postgres": {"worker_threads": 1, "inline_writes": inline_writes}}},
                           only=["postgres"])
    dsn = server.pg_dsn()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("create table loads (id int, name text, v numeric)")
        c.execute(batch(0))  # the first batch prepares the shape (in a worker)
        c.execute(batch(100))
        with BusyWorker(dsn):
            took = timed(c, batch(200))
            if inline_writes:
                assert took < 1.0  # on the event loop: no worker needed
                # a batch of another shape is prepared first: that is a worker's job
                assert timed(c, batch(300, n=60)) > SLEEP - 1.5
            else:
                assert took > SLEEP - 1.0  # waited for the worker
                c.execute(batch(300, n=60))
        assert c.execute("select count(*), sum(id) from loads").fetchone() == (210, sum(range(50)) + sum(
            range(100, 150)) + sum(range(200, 250)) + sum(range(300, 360)))
        assert c.execute("select name, v from loads where id = 217").fetchone() == ("row 217", 217.25)


def test_batches_into_a_table_with_a_trigger_run_in_a_worker_and_fire_once(helios_server) -> None:
    server = helios_server({"protocols": {"postgres": {"worker_threads": 1}}}, only=["postgres"])
    dsn = server.pg_dsn()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("create table loads (id int, name text, v numeric)")
        c.execute("create table audit (n int)")
        c.execute("create function note_rows() returns trigger language plpgsql as "
                  "$$ begin insert into audit values (1); return null; end $$")
        c.execute("create trigger loads_audit after insert on loads for each row execute function note_rows()")
        for first in (0, 100, 200):
            c.execute(batch(first))
        with BusyWorker(dsn):
            assert timed(c, batch(300)) > SLEEP - 1.5  # its trigger function is a worker's job
        assert c.execute("select count(*) from loads").fetchone() == (200,)
        assert c.execute("select count(*) from audit").fetchone() == (200,)  # once per row


def test_an_inline_batch_that_fails_reports_its_error_and_keeps_no_rows(helios_server) -> None:
    server = helios_server({"protocols": {"postgres": {"worker_threads": 1}}}, only=["postgres"])
    dsn = server.pg_dsn()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("create table loads (id int primary key, name text, v numeric check (v < 1000))")
        c.execute(batch(0))
        c.execute(batch(100))
        with BusyWorker(dsn):
            with pytest.raises(psycopg.errors.UniqueViolation):
                c.execute(batch(120))
            with pytest.raises(psycopg.errors.CheckViolation):
                c.execute(batch(980))
            assert timed(c, batch(200)) < 1.0  # an error does not keep the next batch off the loop
        assert c.execute("select count(*) from loads").fetchone() == (150,)
        with c.transaction():  # in a transaction block too
            c.execute(batch(300))
            c.execute(batch(400))
        assert c.execute("select count(*) from loads").fetchone() == (250,)


def test_a_bound_batch_of_a_prepared_insert_is_answered_while_the_workers_are_busy(helios_server) -> None:
    server = helios_server({"protocols": {"postgres": {"worker_threads": 1}}}, only=["postgres"])
    dsn = server.pg_dsn()
    sql = "insert into loads (id, name, v) values " + ", ".join(["(%s, %s, %s)"] * 100)

    def params(first: int) -> list:
        return [x for i in range(first, first + 100) for x in (i, f"p{i}", i + 0.5)]

    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("create table loads (id int, name text, v float8)")
        for first in (0, 1000):
            c.execute(sql, params(first), prepare=True)
        with BusyWorker(dsn):
            started = time.perf_counter()
            c.execute(sql, params(2000), prepare=True)
            assert time.perf_counter() - started < 1.0
        assert c.execute("select count(*), sum(v) from loads").fetchone() == (
            300, sum(i + 0.5 for first in (0, 1000, 2000) for i in range(first, first + 100)))
