"""A write tried on a protocol's event loop (``time_budget(..., prepared_only=True)``): only a
plain INSERT ... VALUES of literal rows whose shape is already prepared runs; everything else is
handed back (BudgetExceeded) before it writes, or undone when it met something it must not do
inline, so that running it again in a worker applies it exactly once."""

from __future__ import annotations

import pytest

import helios_core
from helios_core import time_budget
from helios_core.storage import store as store_module
from helios_core.time_budget import BudgetExceeded


def batch(first: int, n: int = 40) -> str:
    """A batch load's INSERT: long enough (over 512 characters) to be lifted as plain rows."""
    rows = ", ".join(f"({i}, 'event {i}', {i}.5)" for i in range(first, first + n))
    return f"insert into ev (id, name, v) values {rows}"


def inline(session, sql, seconds: float = 5.0):
    with time_budget.time_budget(seconds, prepared_only=True):
        return session.execute(sql)


def count(session, table: str = "ev") -> int:
    return session.execute(f"select count(*) from {table}")[0].rows()[0][0]


@pytest.fixture
def s(tmp_path, monkeypatch):
    # commits count as quick below a second of fsync: this disk's fsyncs take about the 4 ms the
    # server's own threshold is, more while another test run writes, so the inline path these tests
    # are about would otherwise come and go with the disk (the slow-fsync test sets its own figure)
    monkeypatch.setattr(store_module, "QUICK_SYNC_SECONDS", 1.0)
    session = helios_core.connect(str(tmp_path / "data"))  # on disk: commits wait for the log
    session.execute("create table ev (id int, name text, v numeric)")
    yield session
    session.close()


def test_a_batch_of_a_shape_not_yet_prepared_is_handed_back_before_it_writes(s):
    with pytest.raises(BudgetExceeded):
        inline(s, batch(0))
    assert count(s) == 0
    s.execute(batch(0))  # in the worker: runs, and prepares the shape
    assert inline(s, batch(100))[0].command_tag == "INSERT 0 40"
    assert count(s) == 80
    assert s.execute("select name, v from ev where id = 117")[0].rows()[0][0] == "event 117"


def test_a_shape_another_session_prepared_is_taken_without_waiting(s):
    s.execute(batch(0))
    other = s.engine.connect()
    try:
        assert inline(other, batch(500))[0].command_tag == "INSERT 0 40"
    finally:
        other.close()
    assert count(s) == 80


def test_statements_that_are_not_plain_literal_rows_are_handed_back(s):
    single = "insert into ev (id, name, v) values (1, 'one', 1.5)"
    with_call = batch(0).replace("'event 3'", "upper('event 3')")
    for sql in (single, with_call, "update ev set v = v + 1 where id = 1"):
        for _ in range(3):  # cached as any statement is
            s.execute(sql)
        before = count(s)
        with pytest.raises(BudgetExceeded):
            inline(s, sql)
        assert count(s) == before


def test_a_trigger_hands_the_batch_back_and_what_it_wrote_is_undone(s):
    s.execute("create table audit (n int)")
    s.execute("create function note_batch() returns trigger language plpgsql as "
              "$$ begin insert into audit values (1); return null; end $$")
    s.execute("create trigger ev_audit after insert on ev for each statement execute function note_batch()")
    s.execute(batch(0))
    with pytest.raises(BudgetExceeded):
        inline(s, batch(100))
    assert count(s) == 40 and count(s, "audit") == 1
    s.execute(batch(100))  # run again, as the protocol does: once
    assert count(s) == 80 and count(s, "audit") == 2


def test_slow_fsyncs_keep_commits_off_the_loop_but_not_a_transaction_blocks_statements(s, monkeypatch):
    s.execute(batch(0))
    store = s.engine.store
    monkeypatch.setattr(store.wal, "sync_seconds", 5.0)  # past the fixture's threshold
    assert not store.commits_are_quick()
    with pytest.raises(BudgetExceeded):
        inline(s, batch(100))
    s.execute("begin")
    inline(s, batch(200))  # no commit at its end: nothing to wait for
    s.execute("commit")
    assert count(s) == 80


def test_a_batch_over_its_budget_is_undone_and_not_counted(s):
    s.execute(batch(0, n=1000))
    with pytest.raises(BudgetExceeded):
        inline(s, batch(5000, n=1000), seconds=-1.0)  # prepared, but its budget is spent at once
    assert count(s) == 1000
    s.execute(batch(5000, n=1000))
    calls = s.execute("select sum(calls) from pg_stat_statements where query like 'insert into ev%'")[0].rows()
    assert calls == [(2,)]
    assert count(s) == 2000


def test_a_batch_of_many_values_goes_to_a_worker(s):
    s.execute(batch(0, n=3000))  # 9,000 values: prepared, but too many to run inline
    with pytest.raises(BudgetExceeded):
        inline(s, batch(5000, n=3000))
    assert count(s) == 3000


def test_a_prepared_insert_of_parameter_rows_runs_inline(s):
    rows = 300  # 900 parameters
    sql = "insert into ev (id, name, v) values " + ", ".join(
        f"(${3 * i + 1}, ${3 * i + 2}, ${3 * i + 3})" for i in range(rows))
    stmt = s.prepare(sql)

    def params(first):
        return [x for i in range(first, first + rows) for x in (i, f"p{i}", i + 0.5)]

    s.execute_prepared(stmt, params(0))
    with time_budget.time_budget(5.0, prepared_only=True):
        assert s.execute_prepared(stmt, params(1000)).command_tag == f"INSERT 0 {rows}"
    assert count(s) == 2 * rows
    one = s.prepare("insert into ev (id, name, v) values ($1, upper($2), $3)")
    s.execute_prepared(one, [1, "a", 1])
    with pytest.raises(BudgetExceeded), time_budget.time_budget(5.0, prepared_only=True):
        s.execute_prepared(one, [2, "b", 2])  # not parameters alone
    s.execute("alter table ev add column note text")
    with pytest.raises(BudgetExceeded), time_budget.time_budget(5.0, prepared_only=True):
        s.execute_prepared(stmt, params(2000))  # replanning after DDL is a worker's job
    assert count(s) == 2 * rows + 1
