"""Short statements (point reads and writes, BEGIN) run on the event loop; one that meets a row lock
waits for it on the loop (cancellable) and then in a worker thread, and is applied exactly once,
while other clients keep being answered."""

from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace

import psycopg
import pytest
from helios_protocol_pg.connection import INLINE_BUDGET, PgConnection, _is_plain_read

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


@pytest.mark.parametrize("how", ["cancel request", "pg_cancel_backend"])
def test_a_cancel_reaches_a_point_write_waiting_for_a_row_lock(dsn: str, table: str, how: str) -> None:
    """B waits on the event loop for A's row lock; a cancel request (or pg_cancel_backend from C)
    fails B's statement with 57014 while A still holds the lock, and B's connection goes on."""
    a = psycopg.connect(dsn)
    b = psycopg.connect(dsn, autocommit=True, prepare_threshold=0)
    c = psycopg.connect(dsn, autocommit=True)
    try:
        for _ in range(5):  # prepared, and known to be quick: tried on the loop
            b.execute("update short_acc set abalance = abalance + %s where aid = %s", (1, 6))
        a.execute("update short_acc set abalance = abalance + 100 where aid = 6")
        outcome: list[BaseException] = []

        def blocked() -> None:
            try:
                b.execute("update short_acc set abalance = abalance + %s where aid = %s", (10, 6))
            except BaseException as exc:  # noqa: BLE001 - recorded for the assertion below
                outcome.append(exc)

        t = threading.Thread(target=blocked)
        t.start()
        time.sleep(0.15)  # inside the wait on the loop (which lasts up to 0.25 s before a worker's)
        if how == "cancel request":
            b.cancel()
        else:
            assert c.execute("select pg_cancel_backend(%s)", (b.info.backend_pid,)).fetchone() == (True,)
        t.join(10)
        assert not t.is_alive() and outcome and isinstance(outcome[0], psycopg.errors.QueryCanceled)
        a.commit()
        b.execute("update short_acc set abalance = abalance + %s where aid = %s", (1000, 6))
        assert c.execute("select abalance from short_acc where aid = 6").fetchone() == (1105,)
        # in a transaction block the cancel aborts the block, as PostgreSQL's does
        a.execute("update short_acc set abalance = abalance + 1 where aid = 6")
        b.autocommit = False
        b.execute("select 1")
        t = threading.Thread(target=blocked)
        outcome.clear()
        t.start()
        time.sleep(0.15)
        b.cancel()
        t.join(10)
        assert outcome and isinstance(outcome[0], psycopg.errors.QueryCanceled)
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            b.execute("select 1")
        b.rollback()
        a.commit()
    finally:
        for conn in (a, b, c):
            conn.close()


def test_a_cancel_request_wakes_a_wait_on_the_loop_at_once() -> None:
    """The connection's cancel (from the loop or a worker thread) interrupts its statement's
    row-lock wait on the loop, so the wait ends then rather than at its bound."""
    class Waiting:
        def __init__(self) -> None:
            self.interrupts = threading.Event()

        def interrupt(self) -> None:
            self.interrupts.set()

    conn = PgConnection.__new__(PgConnection)  # only the parts cancel() touches
    conn.copy_out_cancelled, conn.session = None, None
    conn.lock_wait = Waiting()
    threading.Thread(target=conn.cancel).start()
    assert conn.lock_wait.interrupts.wait(2)


def test_writers_of_one_row_in_transaction_blocks_keep_every_change(dsn: str, table: str) -> None:
    """Six clients each add 1 to one row in 25 transaction blocks (prepared statements, as
    pgbench's TPC-B does): they queue for the row on the event loop and none of the 150 changes
    is lost; another client is answered meanwhile."""
    def client() -> None:
        with psycopg.connect(dsn, prepare_threshold=0) as conn:
            for i in range(25):
                conn.execute("update short_acc set abalance = abalance + %s where aid = %s", (1, 8))
                conn.execute("update short_acc set note = %s where aid = %s", (f"{i}", 9))
                conn.commit()

    threads = [threading.Thread(target=client) for _ in range(6)]
    for t in threads:
        t.start()
    with psycopg.connect(dsn, autocommit=True) as other:
        started = time.perf_counter()
        assert other.execute("select 1").fetchone() == (1,)
        assert time.perf_counter() - started < 2.0
    for t in threads:
        t.join(60)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("select abalance from short_acc where aid = 8").fetchone() == (150,)


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


def _spin(seconds: float) -> str:
    """Spend ``seconds`` of this thread's CPU time."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass
    return "done"


def test_the_loop_judges_a_statement_by_its_own_cpu_time() -> None:
    """After a statement run inline, the connection's next reads stay on the loop while it was
    cheap in CPU time: waiting meanwhile (for the interpreter, held by a worker's statement) is
    not its cost. A short statement (known to be short) keeps the loop even when it took longer;
    only its budget running out sends the next ones to workers."""
    async def run(sql: str, fn, short: bool = False) -> bool:
        conn = PgConnection.__new__(PgConnection)  # only the parts an inline statement touches
        conn.server = SimpleNamespace(inline_reads=True, inline_writes=True)
        conn.session, conn.fast_reads = None, True
        assert await conn.run_statement(sql, fn, short=short) == "done"
        return conn.fast_reads

    over = INLINE_BUDGET * 1.5  # within the statement's budget (twice INLINE_BUDGET), over the judging line
    assert asyncio.run(run("select 1", lambda: _spin(over))) is False  # costly: to workers next time
    assert asyncio.run(run("select 1", lambda: time.sleep(over) or "done")) is True  # it only waited
    assert asyncio.run(run("update t set v = 1 where id = 1", lambda: _spin(over), short=True)) is True
