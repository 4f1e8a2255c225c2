"""Isolation through the SQL layer, after Hermitage's PostgreSQL cases (two sessions, one engine).

READ COMMITTED: no dirty reads, a fresh snapshot per statement, and a blocked UPDATE re-checks
the newest committed row version (lost updates become serial). REPEATABLE READ: one snapshot
per transaction; writing a row changed since is 40001.
"""

from __future__ import annotations

import threading

import pytest

from helios_core.engine import Engine
from helios_core.errors import HeliosError


@pytest.fixture
def pair():
    engine = Engine.open(None)
    t1, t2 = engine.connect(), engine.connect()
    t1.execute("create table test (id int primary key, value int)")
    t1.execute("insert into test (id, value) values (1, 10), (2, 20)")
    yield t1, t2
    engine.close()


def value(s, id_: int) -> int | None:
    rows = s.execute(f"select value from test where id = {id_}")[0].rows()
    return rows[0][0] if rows else None


class Background:
    """Run one statement in a thread (it may block on a row lock)."""

    def __init__(self, session, sql: str) -> None:
        self.result = None
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(session, sql), daemon=True)
        self.thread.start()

    def _run(self, session, sql: str) -> None:
        try:
            self.result = session.execute(sql)[-1]
        except HeliosError as e:
            self.error = e

    def blocked(self) -> bool:
        self.thread.join(0.3)
        return self.thread.is_alive()

    def finish(self):
        self.thread.join(10)
        assert not self.thread.is_alive(), "statement still blocked"
        return self.result


def test_g1a_aborted_reads(pair):
    t1, t2 = pair
    t1.execute("begin; update test set value = 101 where id = 1")
    t2.execute("begin")
    assert value(t2, 1) == 10
    t1.execute("abort")
    assert value(t2, 1) == 10
    t2.execute("commit")


def test_read_committed_sees_commits_at_next_statement(pair):
    t1, t2 = pair
    t1.execute("begin")
    assert value(t1, 1) == 10
    t2.execute("update test set value = 11 where id = 1")
    assert value(t1, 1) == 11
    t1.execute("commit")


def test_repeatable_read_keeps_its_snapshot(pair):
    t1, t2 = pair
    t1.execute("begin isolation level repeatable read")
    assert value(t1, 1) == 10
    t2.execute("update test set value = 11 where id = 1")
    t2.execute("insert into test values (3, 30)")
    assert value(t1, 1) == 10
    assert t1.execute("select count(*) from test")[0].rows() == [(2,)]
    t1.execute("commit")
    assert value(t1, 1) == 11


def test_p4_lost_update_read_committed_serializes_through_recheck(pair):
    t1, t2 = pair
    t1.execute("begin; update test set value = value + 1 where id = 1")
    bg = Background(t2, "update test set value = value * 2 where id = 1")
    assert bg.blocked()
    t1.execute("commit")
    assert bg.finish().command_tag == "UPDATE 1"
    assert value(t1, 1) == 22  # (10 + 1) * 2: the waiter re-read the committed version


def test_p4_lost_update_repeatable_read_fails_with_40001(pair):
    t1, t2 = pair
    t1.execute("begin isolation level repeatable read")
    t2.execute("begin isolation level repeatable read")
    assert value(t1, 1) == 10 and value(t2, 1) == 10
    t1.execute("update test set value = 11 where id = 1")
    bg = Background(t2, "update test set value = 12 where id = 1")
    assert bg.blocked()
    t1.execute("commit")
    bg.finish()
    assert bg.error is not None and bg.error.sqlstate == "40001"
    assert t2.transaction_status == "E"
    t2.execute("abort")
    assert value(t2, 1) == 11


def test_recheck_skips_rows_that_no_longer_match(pair):
    t1, t2 = pair
    t1.execute("begin; update test set value = 100 where id = 1")
    bg = Background(t2, "update test set value = -1 where value = 10")
    assert bg.blocked()
    t1.execute("commit")
    assert bg.finish().command_tag == "UPDATE 0"
    assert value(t1, 1) == 100


def test_delete_while_updating_reports_nothing_updated(pair):
    t1, t2 = pair
    t1.execute("begin; delete from test where id = 2")
    bg = Background(t2, "update test set value = 0 where id = 2")
    assert bg.blocked()
    t1.execute("commit")
    assert bg.finish().command_tag == "UPDATE 0"
    assert value(t1, 2) is None


def test_select_for_update_waits_and_sees_the_new_version(pair):
    t1, t2 = pair
    t1.execute("begin; update test set value = 15 where id = 1")
    t2.execute("begin")
    bg = Background(t2, "select value from test where id = 1 for update")
    assert bg.blocked()
    t1.execute("commit")
    assert bg.finish().rows() == [(15,)]
    t2.execute("commit")


def test_lock_timeout(pair):
    t1, t2 = pair
    t1.execute("begin; update test set value = 1 where id = 1")
    t2.execute("set lock_timeout = '100ms'")
    with pytest.raises(HeliosError) as ei:
        t2.execute("update test set value = 2 where id = 1")
    assert ei.value.sqlstate == "55P03"
    t1.execute("rollback")


def test_skip_locked_and_nowait(pair):
    t1, t2 = pair
    t1.execute("begin")
    assert t1.execute("select id from test order by id limit 1 for update skip locked")[0].rows() == [(1,)]
    t2.execute("begin")
    assert t2.execute("select id from test order by id limit 1 for update skip locked")[0].rows() == [(2,)]
    with pytest.raises(HeliosError) as ei:
        t2.execute("select id from test where id = 1 for update nowait")
    assert ei.value.sqlstate == "55P03"
    t2.execute("rollback")
    t1.execute("commit")
