"""``Session.ending_is_quick``: whether ending the transaction block now does little enough work
for a protocol to run the COMMIT (or ROLLBACK) on its event loop, where it cannot be handed back
and run again. It must say no for anything whose commit does work in proportion to more than a
few rows, or runs SQL, or waits on a slow disk."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError
from helios_core.storage import store as store_module
from helios_core.storage import txn as txn_module


@pytest.fixture
def s(tmp_path, monkeypatch):
    # commits count as quick below a second of fsync (this disk's fsyncs come and go around the
    # server's own threshold while other tests write); the slow-fsync test sets its own figure
    monkeypatch.setattr(store_module, "QUICK_SYNC_SECONDS", 1.0)
    session = helios_core.connect(str(tmp_path / "data"))
    session.execute("create table acc (id int primary key, v int)")
    session.execute("insert into acc select g, 0 from generate_series(1, 1000) g")
    yield session
    session.close()


def quick_after(session, *statements: str) -> bool:
    for sql in statements:
        session.execute(sql)
    return session.ending_is_quick()


def test_a_block_of_a_few_point_writes_ends_quickly(s):
    assert not s.ending_is_quick()  # no block: nothing for COMMIT to end
    assert quick_after(s, "begin")
    assert quick_after(s, "update acc set v = v + 1 where id = 3", "insert into acc values (1001, 7)",
                       "delete from acc where id = 4")
    s.execute("commit")
    assert s.execute("select v from acc where id in (3, 1001) order by id")[0].rows() == [(1,), (7,)]
    assert quick_after(s, "begin", "select count(*) from acc")  # a read-only block
    s.execute("rollback")


def test_a_failed_block_ends_quickly_when_it_wrote_little(s):
    s.execute("begin")
    s.execute("update acc set v = 5 where id = 1")
    with pytest.raises(HeliosError):
        s.execute("select 1/0")
    assert s.ending_is_quick()
    assert s.execute("commit")[0].command_tag == "ROLLBACK"
    assert s.execute("select v from acc where id = 1")[0].rows() == [(0,)]


@pytest.mark.parametrize("statement", [
    "insert into acc select g, 0 from generate_series(2000, 40000) g",  # many new rows
    "update acc set v = v + 1",  # as many versions ended as rows
    "delete from acc",
])
def test_a_block_that_wrote_many_rows_does_not(s, statement):
    assert not quick_after(s, "begin", statement)
    s.execute("rollback")


def test_the_bounds_are_the_write_sets_size(s, monkeypatch):
    s.execute("begin")
    s.execute("update acc set v = v + 1 where id < 11")  # ten ended versions, one new chunk
    assert s.ending_is_quick()
    monkeypatch.setattr(txn_module, "SMALL_WRITE_ITEMS", 5)
    assert not s.ending_is_quick()
    monkeypatch.setattr(txn_module, "SMALL_WRITE_ITEMS", 256)
    monkeypatch.setattr(txn_module, "SMALL_WRITE_BYTES", 8)
    assert not s.ending_is_quick()
    s.execute("rollback")


def test_a_commit_that_runs_sql_or_replans_does_not(s):
    assert not quick_after(s, "begin", "create table other (x int)")  # DDL
    s.execute("rollback")
    s.execute("create table parent (id int primary key)")
    s.execute("create table child (p int references parent deferrable initially deferred)")
    assert not quick_after(s, "begin", "insert into child values (1)")  # a deferred check pending
    with pytest.raises(HeliosError) as err:
        s.execute("commit")
    assert err.value.sqlstate == "23503"
    assert not quick_after(s, "begin", "declare c cursor with hold for select * from acc")
    s.execute("rollback")
    assert not quick_after(s, "begin", "create temp table scratch (x int) on commit drop")
    s.execute("rollback")


def test_slow_fsyncs_keep_the_commit_off_the_loop(s, monkeypatch):
    s.execute("begin")
    s.execute("update acc set v = 1 where id = 1")
    assert s.ending_is_quick()
    monkeypatch.setattr(store_module, "QUICK_SYNC_SECONDS", 0.0)
    assert not s.ending_is_quick()
    s.execute("commit")


def test_a_point_write_as_text_is_short_once_the_statement_cache_holds_it(s):
    """``Session.text_is_short``: what lets a protocol try a query string on its event loop."""
    update = "update acc set v = v + 1 where id = {}"
    assert not s.text_is_short(update.format(1))  # not seen yet
    for i in (1, 2, 3):
        s.execute(update.format(i))
    assert s.text_is_short(update.format(99))  # the same shape, another number
    assert s.text_is_short("delete from acc where id = 5") is False  # another shape, not cached
    for bound in (1000, 2000, 3000):
        s.execute(f"update acc set v = v + 0 where v > {bound}")
    assert not s.text_is_short("update acc set v = v + 0 where v > 4000")  # cached, not a point write
    s.execute("begin")
    with pytest.raises(HeliosError):
        s.execute("select 1/0")
    assert not s.text_is_short(update.format(4))  # a failed block runs nothing (25P02 first)
    s.execute("rollback")
    assert s.execute("select sum(v) from acc")[0].rows() == [(3,)]
