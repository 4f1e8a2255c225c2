"""A statement waiting for a row or table lock ends on a cancel request or its statement_timeout,
as in PostgreSQL (before, it waited until the holder finished: asyncpg's executemany with a
timeout then ran on after its cancel and committed)."""

from __future__ import annotations

import threading

import pytest

from helios_core.engine import Engine
from helios_core.errors import HeliosError


@pytest.fixture
def two():
    engine = Engine.open(None)
    a, b = engine.connect(), engine.connect()
    a.execute("create table lw (id int primary key, v int)")
    a.execute("insert into lw values (1, 0), (2, 0)")
    a.execute("begin")
    a.execute("update lw set v = 1 where id = 1")  # holds row 1
    yield a, b
    a.execute("rollback")


def _run(session, sql: str) -> tuple[threading.Thread, dict]:
    out: dict = {}

    def go() -> None:
        try:
            session.execute(sql)
            out["ok"] = True
        except HeliosError as e:
            out["error"] = e

    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t, out


def test_statement_timeout_ends_a_row_lock_wait(two) -> None:
    _a, b = two
    b.execute("set statement_timeout = '200ms'")
    t, out = _run(b, "update lw set v = 2 where id = 1")
    t.join(20)
    assert not t.is_alive()
    assert out["error"].sqlstate == "57014" and "statement timeout" in str(out["error"])


def test_cancel_ends_a_row_lock_wait_and_the_rows_before_it_are_not_kept(two) -> None:
    a, b = two
    b.execute("begin")
    b.execute("update lw set v = 3 where id = 2")
    t, out = _run(b, "update lw set v = 3 where id = 1")
    for _ in range(200):  # until b waits for a
        if getattr(b.tx.txn, "waiting_for", None) is not None:
            break
        threading.Event().wait(0.02)
    b.cancel()
    t.join(20)
    assert not t.is_alive()
    assert out["error"].sqlstate == "57014"
    b.execute("rollback")
    a.execute("rollback")
    a.execute("begin")  # the fixture's rollback needs a transaction
    assert b.execute("select v from lw order by id")[-1].rows() == [(0,), (0,)]


def test_statement_timeout_ends_a_table_lock_wait() -> None:
    engine = Engine.open(None)
    a, b = engine.connect(), engine.connect()
    a.execute("create table tl (id int)")
    a.execute("begin")
    a.execute("lock table tl in access exclusive mode")
    b.execute("set statement_timeout = '200ms'")
    t, out = _run(b, "insert into tl values (1)")
    t.join(20)
    a.execute("rollback")
    assert not t.is_alive()
    assert out["error"].sqlstate == "57014"
