"""Short statements (point reads and writes, BEGIN) run on the event loop; the ones that meet a wait
go to a worker thread and are applied exactly once, while other clients keep being answered."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from helios_protocol_pg.connection import _is_plain_read

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def table(dsn: str) -> str:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("drop table if exists short_acc")
        c.execute("create table short_acc (aid int primary key, abalance int not null, note text)")
        c.execute("insert into short_acc select g, 0, 'n' from generate_series(1, 100) g")
    return "short_acc"


def test_point_statements_prepared_answer_as_before(dsn: str, table: str) -> None:
    with psycopg.connect(dsn, autocommit=True, prepare_threshold=0) as c:
        for i in range(1, 21):
            c.execute("update short_acc set abalance = abalance + %s where aid = %s", (i, i))
        for i in range(1, 21):
            assert c.execute("select abalance from short_acc where aid = %s", (i,)).fetchone() == (i,)
        c.execute("insert into short_acc values (%s, %s, %s)", (1000, 7, "x"))
        with pytest.raises(psycopg.errors.UniqueViolation):
            c.execute("insert into short_acc values (%s, %s, %s)", (1000, 8, "y"))
        with pytest.raises(psycopg.errors.NotNullViolation):
            c.execute("update short_acc set abalance = null where aid = %s", (1,))
        c.execute("delete from short_acc where aid = %s", (1000,))
        assert c.execute("select count(*) from short_acc where aid = %s", (1000,)).fetchone() == (0,)
        with c.transaction():
            c.execute("update short_acc set abalance = -1 where aid = %s", (2,))
            assert c.execute("select abalance from short_acc where aid = %s", (2,)).fetchone() == (-1,)
        assert c.execute("select abalance from short_acc where aid = %s", (2,)).fetchone() == (-1,)


def test_a_point_write_that_waits_for_a_row_lock(dsn: str, table: str) -> None:
    """B's update must wait for A's row lock without holding the event loop: C is answered meanwhile;
    once A commits B's update is applied once, on A's value."""
    a = psycopg.connect(dsn)
    b = psycopg.connect(dsn, autocommit=True, prepare_threshold=0)
    c = psycopg.connect(dsn, autocommit=True)
    try:
        b.execute("update short_acc set abalance = abalance + %s where aid = %s", (1, 5))  # prepared now
        a.execute("update short_acc set abalance = abalance + 100 where aid = 5")
        done = threading.Event()

        def blocked() -> None:
            b.execute("update short_acc set abalance = abalance + %s where aid = %s", (10, 5))
            done.set()

        t = threading.Thread(target=blocked)
        t.start()
        time.sleep(0.5)
        assert not done.is_set()
        started = time.perf_counter()
        assert c.execute("select 1").fetchone() == (1,)
        assert time.perf_counter() - started < 2.0  # the loop is free while B waits
        a.commit()
        t.join(30)
        assert done.is_set()
        assert c.execute("select abalance from short_acc where aid = 5").fetchone() == (111,)
    finally:
        for conn in (a, b, c):
            conn.close()


def test_a_point_write_over_the_budget_is_applied_once(dsn: str, table: str) -> None:
    with psycopg.connect(dsn, autocommit=True, prepare_threshold=0) as c:
        c.execute("insert into short_acc (aid, abalance, note) values (%s, %s, %s)", (500, 1, "a"))
        c.execute("insert into short_acc (aid, abalance, note) values (%s, %s, pg_sleep(0.2)::text)",
                  (501, 2))
        c.execute("update short_acc set abalance = abalance + 1 + coalesce(length(pg_sleep(0.2)::text), 0) * 0 "
                  "where aid = %s", (501,))
        assert c.execute("select aid, abalance from short_acc where aid >= 500 order by aid").fetchall() == [
            (500, 1), (501, 3)]


@pytest.mark.parametrize(("sql", "plain"), [
    ("SELECT abalance FROM pgbench_accounts WHERE aid = 4711;", True),
    ("values (1)", True),
    ("select 'Insertion' as label", True),
    ("SELECT * FROM t FOR UPDATE", False),
    ("select * from t For  Share", False),
    ("SELECT NEXTVAL('s')", False),
    ("SELECT Set_Config('a.b', '1', false)", False),
    ("SELECT * INTO t2 FROM t", False),
    ("select pg_sleep(1)", False),
    ("SELECT HeliosDB.mongo('d', '{}')", False),
    ("select 1; select 2", False),
    ("insert into t values (1)", False),
])
def test_plain_reads_are_told_apart_in_any_case(sql: str, plain: bool) -> None:
    """Only a single read that locks and changes nothing streams its rows (case does not matter)."""
    assert _is_plain_read(sql) is plain
