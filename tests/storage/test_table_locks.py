"""Table-level locks: TRUNCATE / DROP / rewriting ALTER wait for the table's open writers and back.

Each test blocks a transaction in a thread and waits (by polling the lock table, not by
sleeping a fixed time) until it is really queued on the lock before releasing the holder.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

from helios_core.errors import DeadlockDetected, LockNotAvailable, SerializationFailure, UndefinedTable
from helios_core.storage import ColumnDef, Store

COLS = [ColumnDef("id", pa.int64()), ColumnDef("v", pa.string())]


def rows(txn: Any, table: str = "t", **kw: Any) -> list[dict]:
    return sorted(pa.Table.from_batches(list(txn.scan("public", table, **kw))).to_pylist(), key=lambda r: r["id"])


def ids(n0: int, n1: int) -> pa.Table:
    return pa.table({"id": list(range(n0, n1)), "v": [f"v{i}" for i in range(n0, n1)]})


@pytest.fixture
def store() -> Store:
    s = Store.open()
    s.create_database("db")
    with s.begin("db") as t:
        t.create_table("public", "t", COLS, primary_key=["id"])
        t.create_table("public", "u", COLS)
        t.insert("public", "t", ids(0, 3))
    return s


class Bg:
    """Run fn in a thread; .result() re-raises its exception."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.out: dict[str, Any] = {}
        self.th = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self.th.start()

    def _run(self, fn: Callable[[], Any]) -> None:
        try:
            self.out["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the test thread
            self.out["error"] = e

    def result(self) -> Any:
        self.th.join(30)
        assert not self.th.is_alive(), "background transaction did not finish"
        if "error" in self.out:
            raise self.out["error"]
        return self.out.get("value")


def wait_blocked(txn: Any, bg: Bg) -> None:
    """Until `txn` waits on a table lock (fails if it finished instead)."""
    for _ in range(3000):
        if txn.table_waits:
            return
        assert bg.th.is_alive(), f"did not wait: {bg.out}"
        time.sleep(0.002)
    raise AssertionError("transaction never started waiting")


def test_truncate_waits_for_open_inserter_then_empties(store: Store) -> None:
    ins = store.begin("db")
    ins.insert("public", "t", ids(10, 15))
    tr = store.begin("db")
    bg = Bg(lambda: tr.truncate("public", "t"))
    wait_blocked(tr, bg)
    ins_ts = ins.commit()
    bg.result()
    tr.commit()
    with store.begin("db") as r:
        assert rows(r) == []
        # the inserter's commit was not lost: it happened, before the truncate
        assert [x["id"] for x in rows(r, as_of=ins_ts)] == [0, 1, 2, 10, 11, 12, 13, 14]


def test_truncate_after_inserter_rolls_back(store: Store) -> None:
    ins = store.begin("db")
    ins.insert("public", "t", ids(10, 12))
    tr = store.begin("db")
    bg = Bg(lambda: tr.truncate("public", "t"))
    wait_blocked(tr, bg)
    ins.rollback()
    bg.result()
    tr.rollback()
    with store.begin("db") as r:
        assert [x["id"] for x in rows(r)] == [0, 1, 2]


def test_inserter_waits_for_open_truncate_and_lands_in_new_data(store: Store) -> None:
    tr = store.begin("db")
    tr.truncate("public", "t")
    ins = store.begin("db")
    t_def = ins.get_table("public", "t")  # resolved before the truncate commits (old data set)
    bg = Bg(lambda: ins.insert_def(t_def, ids(20, 22)))
    wait_blocked(ins, bg)
    tr.commit()
    bg.result()
    ins.commit()
    with store.begin("db") as r:
        assert [x["id"] for x in rows(r)] == [20, 21]


def test_update_and_delete_wait_for_open_truncate(store: Store) -> None:
    with store.begin("db") as r:
        rid = [x["_rowid"] for x in rows(r, with_rowid=True)]
    tr = store.begin("db")
    tr.truncate("public", "t")
    w = store.begin("db")
    w.snapshot_ts  # noqa: B018 - the statement's snapshot predates the truncate
    bg = Bg(lambda: w.delete("public", "t", pa.array(rid, pa.int64())))
    wait_blocked(w, bg)
    tr.commit()
    out = bg.result()
    assert out.count == 0  # the rows were truncated away under the waiting delete
    w.commit()


def test_repeatable_read_writer_fails_after_concurrent_truncate(store: Store) -> None:
    tr = store.begin("db")
    tr.truncate("public", "t")
    rr = store.begin("db", isolation="repeatable read")
    assert len(rows(rr)) == 3  # its snapshot still holds the old data set
    bg = Bg(lambda: rr.insert("public", "t", ids(30, 31)))
    wait_blocked(rr, bg)
    tr.commit()
    with pytest.raises(SerializationFailure) as ei:
        bg.result()
    assert ei.value.sqlstate == "40001"
    rr.rollback()


def test_drop_waits_for_open_inserter(store: Store) -> None:
    ins = store.begin("db")
    ins.insert("public", "u", ids(1, 4))
    dr = store.begin("db")
    bg = Bg(lambda: dr.drop_table("public", "u"))
    wait_blocked(dr, bg)
    ins.commit()
    assert bg.result() is True
    dr.commit()
    with store.begin("db") as r:
        assert r.get_table("public", "u") is None


def test_inserter_waiting_for_drop_gets_undefined_table(store: Store) -> None:
    dr = store.begin("db")
    dr.drop_table("public", "u")
    ins = store.begin("db")
    bg = Bg(lambda: ins.insert("public", "u", ids(1, 2)))
    wait_blocked(ins, bg)
    dr.commit()
    with pytest.raises(UndefinedTable) as ei:
        bg.result()
    assert ei.value.sqlstate == "42P01"
    ins.rollback()


def test_inserter_proceeds_when_drop_rolls_back(store: Store) -> None:
    dr = store.begin("db")
    dr.drop_table("public", "u")
    ins = store.begin("db")
    bg = Bg(lambda: ins.insert("public", "u", ids(1, 3)))
    wait_blocked(ins, bg)
    dr.rollback()
    bg.result()
    ins.commit()
    with store.begin("db") as r:
        assert [x["id"] for x in rows(r, "u")] == [1, 2]


def test_drop_if_exists_waiting_for_a_concurrent_drop(store: Store) -> None:
    d1 = store.begin("db")
    d1.drop_table("public", "u")
    d2 = store.begin("db")
    bg = Bg(lambda: d2.drop_table("public", "u", if_exists=True))
    wait_blocked(d2, bg)
    d1.commit()
    assert bg.result() is False
    d2.commit()


def test_alter_rewrite_waits_for_open_writer(store: Store) -> None:
    up = store.begin("db")
    rid = [x["_rowid"] for x in rows(up, with_rowid=True) if x["id"] == 1]
    up.update("public", "t", pa.array(rid, pa.int64()), pa.record_batch({"v": ["changed"]}))
    al = store.begin("db")
    bg = Bg(lambda: al.replace_column("public", "t", ColumnDef("v", pa.large_string(), True, {}, 1)))
    wait_blocked(al, bg)
    up.commit()
    bg.result()
    al.commit()
    with store.begin("db") as r:
        assert [x["v"] for x in rows(r)] == ["v0", "changed", "v2"]
        assert r.get_table("public", "t").column("v").type == pa.large_string()


def test_lock_timeout_gives_55p03(store: Store) -> None:
    ins = store.begin("db")
    ins.insert("public", "t", ids(40, 41))
    tr = store.begin("db", lock_timeout=0.05)
    with pytest.raises(LockNotAvailable) as ei:
        tr.truncate("public", "t")
    assert ei.value.sqlstate == "55P03"
    tr.rollback()
    ins.commit()
    with store.begin("db") as r:
        assert len(rows(r)) == 4


def test_nowait_row_lock_on_table_being_truncated(store: Store) -> None:
    tr = store.begin("db")
    tr.truncate("public", "t")
    sel = store.begin("db")
    rid = pa.array([x["_rowid"] for x in rows(sel, with_rowid=True)], pa.int64())
    with pytest.raises(LockNotAvailable) as ei:
        sel.lock_rows("public", "t", rid, "update", nowait=True)
    assert ei.value.sqlstate == "55P03"
    sel.rollback()
    tr.rollback()


def test_deadlock_between_two_table_locks_gives_40p01(store: Store) -> None:
    a = store.begin("db")
    b = store.begin("db")
    a.insert("public", "t", ids(50, 51))
    b.insert("public", "u", ids(50, 51))
    bg = Bg(lambda: a.truncate("public", "u"))
    wait_blocked(a, bg)
    with pytest.raises(DeadlockDetected) as ei:
        b.truncate("public", "t")
    assert ei.value.sqlstate == "40P01"
    b.rollback()
    bg.result()  # b's locks are gone: a goes on
    a.commit()
    with store.begin("db") as r:
        assert [x["id"] for x in rows(r)] == [0, 1, 2, 50]
        assert rows(r, "u") == []


def test_deadlock_between_row_lock_and_table_lock(store: Store) -> None:
    a = store.begin("db")
    b = store.begin("db")
    rid = pa.array([x["_rowid"] for x in rows(a, with_rowid=True) if x["id"] == 0], pa.int64())
    a.update("public", "t", rid, pa.record_batch({"v": ["a"]}))
    b.insert("public", "u", ids(1, 2))
    bg = Bg(lambda: b.update("public", "t", rid, pa.record_batch({"v": ["b"]})))  # row wait for a
    for _ in range(3000):
        if b.waiting_for is not None:
            break
        time.sleep(0.002)
    assert b.waiting_for is a
    with pytest.raises(DeadlockDetected):
        a.truncate("public", "u")  # a waits for b's write lock on u: a cycle
    a.rollback()
    assert bg.result().count == 1
    b.commit()


def test_waiting_truncate_is_not_starved_by_new_writers(store: Store) -> None:
    first = store.begin("db")
    first.insert("public", "t", ids(60, 61))
    tr = store.begin("db")
    bg_tr = Bg(lambda: tr.truncate("public", "t"))
    wait_blocked(tr, bg_tr)
    late = store.begin("db")
    bg_late = Bg(lambda: late.insert("public", "t", ids(70, 71)))
    wait_blocked(late, bg_late)
    assert late.table_waits == [tr]  # queued behind the truncate, though compatible with `first`
    first.commit()
    bg_tr.result()
    tr.commit()
    bg_late.result()
    late.commit()
    with store.begin("db") as r:
        assert [x["id"] for x in rows(r)] == [70]


def test_writers_share_and_readers_never_wait(store: Store) -> None:
    a, b = store.begin("db"), store.begin("db")
    a.insert("public", "t", ids(80, 81))
    b.insert("public", "t", ids(81, 82))  # two writers: compatible
    a.commit()
    b.commit()
    tr = store.begin("db")
    tr.truncate("public", "t")
    with store.begin("db") as r:  # MVCC read of a table being truncated: no wait
        assert [x["id"] for x in rows(r)] == [0, 1, 2, 80, 81]
    tr.commit()


def test_locks_are_per_branch(store: Store) -> None:
    store.create_branch("db", "dev")
    tr = store.begin("db")
    tr.truncate("public", "t")
    with store.begin("db", "dev") as d:  # the branch's table is another table: no wait
        d.insert("public", "t", ids(90, 91))
    tr.commit()
    with store.begin("db", "dev") as d:
        assert [x["id"] for x in rows(d)] == [0, 1, 2, 90]


def test_locks_released_at_commit_and_rollback(store: Store) -> None:
    a = store.begin("db")
    a.insert("public", "t", ids(100, 101))
    assert a.table_locks
    a.commit()
    b = store.begin("db")
    b.truncate("public", "t")
    b.rollback()
    assert store.table_locks.holders == {} and store.table_locks.queue == {}
    with store.begin("db", lock_timeout=0.05) as c:
        c.drop_table("public", "t")


def test_repeatable_read_rewrite_after_a_waited_for_commit_fails(store: Store) -> None:
    ins = store.begin("db")
    ins.insert("public", "t", ids(110, 111))
    al = store.begin("db", isolation="repeatable read")
    assert len(rows(al)) == 3  # snapshot without the insert: a rewrite from it would drop the row
    bg = Bg(lambda: al.set_primary_key("public", "u", ["id"]) and al.set_primary_key("public", "t", ["id", "v"]))
    wait_blocked(al, bg)
    ins.commit()
    with pytest.raises(SerializationFailure):
        bg.result()
    al.rollback()
    with store.begin("db") as r:
        assert len(rows(r)) == 4


# ---------------------------------------------------------------- through SQL sessions
@pytest.fixture
def engine() -> Any:
    from helios_core.engine import Engine

    e = Engine.open(None)
    yield e
    e.close()


def wait_queued(store: Store, bg: Bg) -> None:
    for _ in range(3000):
        if store.table_locks.queue:
            return
        assert bg.th.is_alive(), f"did not wait: {bg.out}"
        time.sleep(0.002)
    raise AssertionError("statement never started waiting")


def count(session: Any, table: str) -> int:
    return session.execute(f"select count(*) as n from {table}")[0].batches[0].column(0)[0].as_py()


def test_sql_truncate_waits_for_open_insert_and_insert_waits_for_truncate(engine: Any) -> None:
    a, b = engine.connect(), engine.connect()
    a.execute("create table lk (id int primary key, v text)")
    a.execute("insert into lk values (1, 'x')")
    a.execute("begin")
    a.execute("insert into lk values (2, 'y')")
    bg = Bg(lambda: b.execute("truncate lk"))
    wait_queued(engine.store, bg)
    a.execute("commit")
    bg.result()
    assert count(a, "lk") == 0
    b.execute("begin")
    b.execute("truncate lk")
    bg = Bg(lambda: a.execute("insert into lk values (3, 'z')"))
    wait_queued(engine.store, bg)
    b.execute("commit")
    bg.result()
    assert count(b, "lk") == 1  # the waiting insert went into the truncated table, not lost


def test_sql_drop_lock_timeout_and_waiting_drop(engine: Any) -> None:
    a, b = engine.connect(), engine.connect()
    a.execute("create table lk2 (id int)")
    a.execute("begin")
    a.execute("insert into lk2 values (1)")
    b.execute("set lock_timeout = '50ms'")
    with pytest.raises(LockNotAvailable):
        b.execute("drop table lk2")
    b.execute("set lock_timeout = 0")
    bg = Bg(lambda: b.execute("drop table lk2"))
    wait_queued(engine.store, bg)
    a.execute("commit")
    bg.result()
    with pytest.raises(UndefinedTable):
        a.execute("select * from lk2")


def test_rollback_to_savepoint_releases_table_locks_taken_after_it(store: Store) -> None:
    a = store.begin("db")
    a.insert("public", "u", ids(1, 2))  # write lock on u, kept
    sp = a.savepoint("s")
    a.truncate("public", "t")  # exclusive lock on t, taken after the savepoint
    a.rollback_to(sp)
    with store.begin("db", lock_timeout=0.05) as b:
        b.insert("public", "t", ids(120, 121))  # t is free again
        with pytest.raises(LockNotAvailable):
            b.truncate("public", "u")  # u is still held by a
    a.rollback()
