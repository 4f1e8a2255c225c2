"""In-memory kernel: CRUD, constraints, row locks, DDL, catalog."""

from __future__ import annotations

import threading

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from helios_core.errors import (
    DeadlockDetected,
    DuplicateTable,
    HeliosError,
    LockNotAvailable,
    NotNullViolation,
    SerializationFailure,
    UndefinedColumn,
    UndefinedTable,
    UniqueViolation,
)
from helios_core.storage import ColumnDef, Store
from helios_core.storage.errors import ReadOnlyTransaction
from tests.storage.sqlish import Sess, make_store, where_id

COLS = [ColumnDef("id", pa.int64()), ColumnDef("name", pa.string(), nullable=False), ColumnDef("n", pa.int32())]


def rows(txn, table="t", **kw):
    return pa.Table.from_batches(list(txn.scan("public", table, **kw))).to_pylist()


@pytest.fixture
def store():
    s = Store.open()
    s.create_database("db")
    with s.begin("db") as t:
        t.create_table("public", "t", COLS, primary_key=["id"])
    return s


def test_insert_scan_lookup_update_delete(store):
    with store.begin("db") as t:
        ids = t.insert("public", "t", pa.table({"id": [1, 2, 3], "name": ["a", "b", "c"]}))
        assert len(ids) == 3 and len(set(ids.to_pylist())) == 3
        assert rows(t) == [{"id": 1, "name": "a", "n": None}, {"id": 2, "name": "b", "n": None},
                           {"id": 3, "name": "c", "n": None}]
    with store.begin("db") as t:
        got = t.lookup("public", "t", (2,), with_rowid=True)
        assert got.column("name").to_pylist() == ["b"]
        rid = got.column("_rowid")
        out = t.update("public", "t", rid, pa.record_batch({"id": [2], "name": ["bb"], "n": [7]}))
        assert out.count == 1
        assert t.lookup("public", "t", (2,), columns=["n"]).to_pylist() == [{"n": 7}]
        # rowid stable across updates
        assert t.lookup("public", "t", (2,), with_rowid=True).column("_rowid") == rid
        t.delete("public", "t", t.lookup("public", "t", (3,), with_rowid=True).column("_rowid"))
        assert t.lookup("public", "t", (3,)).num_rows == 0
    with store.begin("db") as t:
        assert rows(t, columns=["id", "name"], filter=pc.field("id") > 1) == [{"id": 2, "name": "bb"}]
        assert t.lookup("public", "t", (3,)).num_rows == 0


def test_partial_update_keeps_other_columns(store):
    with store.begin("db") as t:
        t.insert("public", "t", pa.table({"id": [1], "name": ["a"], "n": pa.array([5], pa.int32())}))
    with store.begin("db") as t:
        rid = t.lookup("public", "t", (1,), with_rowid=True).column("_rowid")
        t.update("public", "t", rid, pa.record_batch({"n": pa.array([6], pa.int32())}))
        assert rows(t) == [{"id": 1, "name": "a", "n": 6}]


def test_not_null_and_unknown_column(store):
    with store.begin("db") as t:
        with pytest.raises(NotNullViolation):
            t.insert("public", "t", pa.table({"id": [1]}))
        with pytest.raises(NotNullViolation):  # primary key columns are NOT NULL
            t.insert("public", "t", pa.table({"id": pa.array([None], pa.int64()), "name": ["x"]}))
        with pytest.raises(UndefinedColumn):
            t.insert("public", "t", pa.table({"id": [1], "name": ["x"], "zzz": [1]}))


def test_unique_violation_batch_existing_and_after_delete(store):
    with store.begin("db") as t:
        with pytest.raises(UniqueViolation):
            t.insert("public", "t", pa.table({"id": [1, 1], "name": ["a", "b"]}))
        t.insert("public", "t", pa.table({"id": [1], "name": ["a"]}))
        with pytest.raises(UniqueViolation) as ei:
            t.insert("public", "t", pa.table({"id": [5, 1], "name": ["a", "b"]}))
        assert ei.value.sqlstate == "23505" and "(id)=(1)" in ei.value.detail
    with store.begin("db") as t:
        t.delete("public", "t", t.lookup("public", "t", (1,), with_rowid=True).column("_rowid"))
        t.insert("public", "t", pa.table({"id": [1], "name": ["again"]}))  # key free again
    with store.begin("db") as t:
        assert t.lookup("public", "t", (1,)).column("name").to_pylist() == ["again"]


def test_update_changing_key_checks_uniqueness(store):
    with store.begin("db") as t:
        t.insert("public", "t", pa.table({"id": [1, 2], "name": ["a", "b"]}))
    with store.begin("db") as t:
        rid = t.lookup("public", "t", (1,), with_rowid=True).column("_rowid")
        with pytest.raises(UniqueViolation):
            t.update("public", "t", rid, pa.record_batch({"id": [2], "name": ["a"]}))
        t.rollback()
    with store.begin("db") as t:
        rid = t.lookup("public", "t", (1,), with_rowid=True).column("_rowid")
        t.update("public", "t", rid, pa.record_batch({"id": [10], "name": ["a"]}))
        assert t.lookup("public", "t", (1,)).num_rows == 0
        assert t.lookup("public", "t", (10,)).column("name").to_pylist() == ["a"]
    with store.begin("db") as t:
        t.insert("public", "t", pa.table({"id": [1], "name": ["new one"]}))
        assert sorted(r["id"] for r in rows(t)) == [1, 2, 10]


def test_concurrent_insert_same_key_waits_for_first(store):
    t1 = store.begin("db")
    t2 = store.begin("db")
    t1.insert("public", "t", pa.table({"id": [7], "name": ["first"]}))
    result: dict = {}

    def second():
        try:
            t2.insert("public", "t", pa.table({"id": [7], "name": ["second"]}))
            result["ok"] = True
        except UniqueViolation as e:
            result["err"] = e

    th = threading.Thread(target=second)
    th.start()
    _wait_blocked(t2, th)
    t1.commit()
    th.join(10)
    assert "err" in result
    # and if the first rolls back, the second goes through
    t3, t4 = store.begin("db"), store.begin("db")
    t3.insert("public", "t", pa.table({"id": [8], "name": ["x"]}))
    th = threading.Thread(target=lambda: t4.insert("public", "t", pa.table({"id": [8], "name": ["y"]})))
    th.start()
    _wait_blocked(t4, th)
    t3.rollback()
    th.join(10)
    t4.commit()
    with store.begin("db") as t:
        assert t.lookup("public", "t", (8,)).column("name").to_pylist() == ["y"]


def test_done_event_made_before_or_after_the_end(store):
    """A transaction's ``done`` event is made only when asked for (most are never waited on):
    asked after the end it is already set; asked before, the end sets it and wakes a waiter."""
    ended = store.begin("db")
    ended.commit()
    assert ended._done is None and ended.done.is_set()
    live = store.begin("db")
    ev = live.done
    assert not ev.is_set()
    woke = []
    th = threading.Thread(target=lambda: woke.append(ev.wait(10)))
    th.start()
    live.rollback()
    th.join(10)
    assert woke == [True] and live.done is ev


def _wait_blocked(txn, thread):
    import time

    deadline = time.monotonic() + 10
    while txn.waiting_for is None:
        assert thread.is_alive(), "did not block"
        assert time.monotonic() < deadline
        time.sleep(0.002)


def test_deadlock_detected():
    store = make_store()
    a, b = Sess(store, "read committed"), Sess(store, "read committed")
    try:
        a.update(where_id(1), 11)
        b.update(where_id(2), 21)
        fut = a.submit(a.update, where_id(2), 12)
        a.wait_blocked(fut)
        with pytest.raises(DeadlockDetected) as ei:
            b.update(where_id(1), 22)
        assert ei.value.sqlstate == "40P01"
        b.txn.rollback()
        assert fut.result() == 1
        a.txn.commit()
        assert a.select() == {1: 11, 2: 12}
    finally:
        a.close()
        b.close()


def test_lock_timeout_and_nowait():
    store = make_store()
    a = Sess(store, "read committed")
    b = store.begin("db", lock_timeout=0.05)
    try:
        a.update(where_id(1), 11)
        rid = b.lookup("public", "test", (1,), with_rowid=True).column("_rowid")
        with pytest.raises(LockNotAvailable) as ei:
            b.update("public", "test", rid, pa.record_batch({"id": [1], "value": [5]}))
        assert ei.value.sqlstate == "55P03"
        c = store.begin("db")
        with pytest.raises(LockNotAvailable):
            c.lock_rows("public", "test", rid, "update", nowait=True)
        c.rollback()
    finally:
        a.close()
        b.rollback()


def test_select_for_update_and_share():
    store = make_store()
    t1, t2, t3 = store.begin("db"), store.begin("db"), store.begin("db", lock_timeout=0.05)
    rid = t1.lookup("public", "test", (1,), with_rowid=True).column("_rowid")
    assert t1.lock_rows("public", "test", rid, "share").count == 1
    assert t2.lock_rows("public", "test", rid, "share").count == 1  # shares are compatible
    with pytest.raises(LockNotAvailable):
        t3.update("public", "test", rid, pa.record_batch({"id": [1], "value": [0]}))
    with pytest.raises(LockNotAvailable):
        t3.lock_rows("public", "test", rid, "update")
    t1.commit()
    t2.commit()
    t3.rollback()
    # FOR UPDATE then commit without change: RR waiter proceeds (no 40001: the row was not changed)
    t4 = store.begin("db")
    t5 = store.begin("db", isolation="repeatable read")
    t5.snapshot_ts  # noqa: B018 - take the snapshot now
    t4.lock_rows("public", "test", rid, "update")
    done: dict = {}
    th = threading.Thread(target=lambda: done.setdefault(
        "out", t5.update("public", "test", rid, pa.record_batch({"id": [1], "value": [99]}))))
    th.start()
    _wait_blocked(t5, th)
    t4.commit()
    th.join(10)
    assert done["out"].count == 1
    t5.commit()


def test_rr_update_of_row_changed_after_snapshot_fails():
    store = make_store()
    rr = store.begin("db", isolation="repeatable read")
    assert rr.lookup("public", "test", (1,)).column("value").to_pylist() == [10]
    with store.begin("db") as t:
        rid = t.lookup("public", "test", (1,), with_rowid=True).column("_rowid")
        t.update("public", "test", rid, pa.record_batch({"id": [1], "value": [11]}))
    with pytest.raises(SerializationFailure):
        rr.update("public", "test", rid, pa.record_batch({"id": [1], "value": [12]}))
    rc = store.begin("db")
    rc.snapshot_ts  # noqa: B018
    with store.begin("db") as t:
        t.delete("public", "test", rid)
    out = rc.update("public", "test", rid, pa.record_batch({"id": [1], "value": [12]}))
    assert out.count == 0 and out.gone.to_pylist() == rid.to_pylist()


def test_rollback_undoes_everything(store):
    with store.begin("db") as t:
        t.insert("public", "t", pa.table({"id": [1, 2], "name": ["a", "b"]}))
    t = store.begin("db")
    t.insert("public", "t", pa.table({"id": [3], "name": ["c"]}))
    t.delete("public", "t", t.lookup("public", "t", (1,), with_rowid=True).column("_rowid"))
    rid = t.lookup("public", "t", (2,), with_rowid=True).column("_rowid")
    t.update("public", "t", rid, pa.record_batch({"id": [20], "name": ["b"]}))
    t.create_table("public", "other", COLS)
    t.rollback()
    with store.begin("db") as t:
        assert sorted(r["id"] for r in rows(t)) == [1, 2]
        assert t.lookup("public", "t", (2,)).num_rows == 1 and t.lookup("public", "t", (20,)).num_rows == 0
        assert t.get_table("public", "other") is None
        t.insert("public", "t", pa.table({"id": [3, 20], "name": ["c", "x"]}))


def test_catalog_put_over_an_entry_replaced_after_the_snapshot(store):
    """READ COMMITTED: an entry another transaction replaced after this statement's snapshot is
    replaced again (it used to loop for ever: a job's record written by the scheduler meanwhile)."""
    with store.begin("db") as t:
        t.catalog_put("job", "1", {"runs": 0})
    slow = store.begin("db")
    assert slow.catalog_get("job", "1") == {"runs": 0}
    with store.begin("db") as t:
        t.catalog_put("job", "1", {"runs": 1})
    put = threading.Thread(target=slow.catalog_put, args=("job", "1", {"runs": 2}), daemon=True)
    put.start()
    put.join(30)
    assert not put.is_alive(), "catalog_put kept retrying an update that cannot apply"
    slow.commit()
    with store.begin("db") as t:
        assert t.catalog_get("job", "1") == {"runs": 2}


def test_ddl_is_transactional_and_catalog(store):
    t1 = store.begin("db")
    t1.create_table("public", "u", [ColumnDef("a", pa.int64())])
    other = store.begin("db")
    assert other.get_table("public", "u") is None
    with pytest.raises(DuplicateTable):
        t1.create_table("public", "u", [ColumnDef("a", pa.int64())])
    assert t1.create_table("public", "u", [ColumnDef("a", pa.int64())], if_not_exists=True).name == "u"
    t1.commit()
    other.new_statement()
    assert other.get_table("public", "u").columns[0].name == "a"
    assert [x.name for x in other.list_tables("public")] == ["t", "u"]
    with store.begin("db") as t:
        t.catalog_put("view", "public.v", {"sql": "select 1"})
        t.catalog_put("view", "public.v", {"sql": "select 2"})
        assert t.catalog_get("view", "public.v") == {"sql": "select 2"}
        t.catalog_put("view", "public.w", {"sql": "select 3"})
    with store.begin("db") as t:
        assert t.catalog_list("view") == {"public.v": {"sql": "select 2"}, "public.w": {"sql": "select 3"}}
        t.catalog_delete("view", "public.v")
        assert t.catalog_get("view", "public.v") is None
        t.drop_table("public", "u")
        with pytest.raises(UndefinedTable):
            t.drop_table("public", "u")
        assert not t.drop_table("public", "u", if_exists=True)


def test_alter_table_and_truncate(store):
    with store.begin("db") as t:
        t.insert("public", "t", pa.table({"id": [1], "name": ["a"]}))
        t.alter_table("public", "t", add_column=ColumnDef("flag", pa.bool_()), fill_value=True)
        t.alter_table("public", "t", rename_column=("name", "label"))
        t.alter_table("public", "t", drop_column="n")
        t.insert("public", "t", pa.table({"id": [2], "label": ["b"], "flag": [False]}))
        assert rows(t) == [{"id": 1, "label": "a", "flag": True}, {"id": 2, "label": "b", "flag": False}]
        t.alter_table("public", "t", rename_to="t2")
        assert t.get_table("public", "t") is None
        assert t.lookup("public", "t2", (1,)).to_pylist() == [{"id": 1, "label": "a", "flag": True}]
    before = store.now()
    reader = store.begin("db", isolation="repeatable read")
    assert len(rows(reader, "t2")) == 2
    with store.begin("db") as t:
        t.truncate("public", "t2")
        assert rows(t, "t2") == []
        t.insert("public", "t2", pa.table({"id": [1], "label": ["z"], "flag": [True]}))
    assert len(rows(reader, "t2")) == 2  # the old snapshot still sees the old data
    with store.begin("db") as t:
        assert [r["label"] for r in rows(t, "t2")] == ["z"]
        assert len(rows(t, "t2", as_of=before)) == 2


def test_read_only_transaction(store):
    t = store.begin("db", read_only=True)
    with pytest.raises(ReadOnlyTransaction):
        t.insert("public", "t", pa.table({"id": [1], "name": ["a"]}))


def test_own_writes_update_twice_and_delete(store):
    with store.begin("db") as t:
        t.insert("public", "t", pa.table({"id": [1], "name": ["a"]}))
        rid = t.lookup("public", "t", (1,), with_rowid=True).column("_rowid")
        t.update("public", "t", rid, pa.record_batch({"id": [1], "name": ["b"]}))
        t.update("public", "t", rid, pa.record_batch({"id": [1], "name": ["c"]}))
        assert rows(t) == [{"id": 1, "name": "c", "n": None}]
        other = store.begin("db")
        assert rows(other) == []
        t.delete("public", "t", rid)
        assert rows(t) == []
        t.insert("public", "t", pa.table({"id": [1], "name": ["d"]}))
    with store.begin("db") as t:
        assert rows(t) == [{"id": 1, "name": "d", "n": None}]


def test_savepoints(store):
    with store.begin("db") as t:
        t.insert("public", "t", pa.table({"id": [1, 2], "name": ["a", "b"]}))
    t = store.begin("db")
    t.insert("public", "t", pa.table({"id": [3], "name": ["c"]}))
    sp = t.savepoint("s1")
    t.insert("public", "t", pa.table({"id": [4], "name": ["d"]}))
    rid1 = t.lookup("public", "t", (1,), with_rowid=True).column("_rowid")
    t.update("public", "t", rid1, pa.record_batch({"id": [1], "name": ["A"]}))
    t.delete("public", "t", t.lookup("public", "t", (3,), with_rowid=True).column("_rowid"))
    t.lock_rows("public", "t", t.lookup("public", "t", (2,), with_rowid=True).column("_rowid"))
    t.create_table("public", "tmp", COLS)
    t.rollback_to(sp)
    assert sorted((r["id"], r["name"]) for r in rows(t)) == [(1, "a"), (2, "b"), (3, "c")]
    assert t.get_table("public", "tmp") is None
    assert not store.row_locks
    # the rows are free for others again, and the key 4 can be reused
    other = store.begin("db", lock_timeout=0.05)
    other.update("public", "t", rid1, pa.record_batch({"id": [1], "name": ["other"]}))
    other.commit()
    t.insert("public", "t", pa.table({"id": [4], "name": ["d2"]}))
    t.commit()
    with store.begin("db") as t:
        assert sorted((r["id"], r["name"]) for r in rows(t)) == [(1, "other"), (2, "b"), (3, "c"), (4, "d2")]


def test_set_primary_key_and_replace_column():
    s = Store.open()
    s.create_database("db")
    with s.begin("db") as t:
        t.create_table("public", "k", [ColumnDef("a", pa.int64()), ColumnDef("b", pa.string())])
        t.insert("public", "k", pa.table({"a": [1, 1, None], "b": ["x", "y", "z"]}))
    with s.begin("db") as t:
        with pytest.raises(NotNullViolation):
            t.set_primary_key("public", "k", ["a"])
        t.rollback()
    with s.begin("db") as t:
        t.delete("public", "k", pa.concat_arrays([b.column("_rowid") for b in t.scan(
            "public", "k", with_rowid=True, filter=pc.field("a").is_null())]))
        with pytest.raises(UniqueViolation):
            t.set_primary_key("public", "k", ["a"])
        t.rollback()
    with s.begin("db") as t:
        t.delete("public", "k", pa.concat_arrays([b.column("_rowid") for b in t.scan(
            "public", "k", with_rowid=True, filter=(pc.field("b") == "y") | pc.field("a").is_null())]))
        td = t.set_primary_key("public", "k", ["a"])
        assert td.primary_key == ["a"] and not td.column("a").nullable
        assert t.lookup("public", "k", (1,)).column("b").to_pylist() == ["x"]
        with pytest.raises(UniqueViolation):
            t.insert("public", "k", pa.table({"a": [1], "b": ["again"]}))
        t.rollback()
    with s.begin("db") as t:
        t.delete("public", "k", pa.concat_arrays([b.column("_rowid") for b in t.scan(
            "public", "k", with_rowid=True, filter=(pc.field("b") == "y") | pc.field("a").is_null())]))
        t.set_primary_key("public", "k", ["a"])
        b = t.get_table("public", "k").column("b")
        t.replace_column("public", "k", ColumnDef("label", pa.string(), False, {"default": "'?'"}, b.col_id))
        a = t.get_table("public", "k").column("a")
        t.replace_column("public", "k", ColumnDef("a", pa.int32(), False, {}, a.col_id))
    with s.begin("db") as t:
        td = t.get_table("public", "k")
        assert [(c.name, c.type, c.nullable) for c in td.columns] == [("a", pa.int32(), False),
                                                                      ("label", pa.string(), False)]
        assert td.column("label").metadata == {"default": "'?'"}
        assert t.lookup("public", "k", (1,)).to_pylist() == [{"a": 1, "label": "x"}]
        with pytest.raises(NotNullViolation):
            t.insert("public", "k", pa.table({"a": pa.array([2], pa.int32())}))


def test_scan_result_is_fixed_when_called(store):
    """Writes made while a scan is consumed (INSERT ... SELECT, UPDATE) do not leak into it."""
    with store.begin("db") as t:
        t.insert("public", "t", pa.table({"id": [1, 2], "name": ["a", "b"]}))
    with store.begin("db") as t:
        it = t.scan("public", "t", with_rowid=True)
        t.insert("public", "t", pa.table({"id": [3], "name": ["c"]}))
        rid = t.lookup("public", "t", (1,), with_rowid=True).column("_rowid")
        t.update("public", "t", rid, pa.record_batch({"id": [1], "name": ["A"]}))
        got = pa.Table.from_batches(list(it)).sort_by("id")
        assert got.column("name").to_pylist() == ["a", "b"]


def test_as_of_outside_retention_is_refused():
    s = Store.open(retention_seconds=1)
    s.create_database("db")
    with s.begin("db") as t:
        t.create_table("public", "t", COLS)
    with s.begin("db") as t:
        with pytest.raises(HeliosError) as ei:
            list(t.scan("public", "t", as_of=s.now() - 5_000_000))
        assert ei.value.sqlstate == "22023"


@pytest.mark.parametrize("iso", ["read committed", "repeatable read"])
def test_concurrent_transfers_keep_the_total(iso):
    """Threads moving money with row locks, deadlock detection and retries: nothing is lost."""
    import random

    s = Store.open()
    s.create_database("db")
    with s.begin("db") as t:
        t.create_table("public", "acc", [ColumnDef("id", pa.int64()), ColumnDef("bal", pa.int64())],
                       primary_key=["id"])
        t.insert("public", "acc", pa.table({"id": list(range(5)), "bal": [100] * 5}))
    retries = {"n": 0}
    errors: list[BaseException] = []

    def add(t, acc, delta):
        while True:
            t.new_statement()
            row = t.lookup("public", "acc", (acc,), with_rowid=True)
            out = t.update("public", "acc", row.column("_rowid"),
                           pa.record_batch({"id": [acc], "bal": [row.column("bal")[0].as_py() + delta]}))
            if out.count == 1:
                return

    def worker(seed):
        rng = random.Random(seed)
        try:
            for _ in range(60):
                a, b = rng.sample(range(5), 2)
                while True:
                    t = s.begin("db", isolation=iso)
                    try:
                        add(t, a, -7)
                        add(t, b, 7)
                        t.commit()
                        break
                    except (SerializationFailure, DeadlockDetected):
                        t.rollback()
                        retries["n"] += 1
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors
    assert not any(th.is_alive() for th in threads)
    with s.begin("db") as t:
        assert sum(pa.Table.from_batches(list(t.scan("public", "acc"))).column("bal").to_pylist()) == 500
    assert not s.active and not s.row_locks


def test_visibility_on_large_chunks_matches_small_ones():
    """Chunks past ARROW_MASK_ROWS take the pyarrow.compute path: same answers as numpy's."""
    from helios_core.storage.versions import ARROW_MASK_ROWS

    n = ARROW_MASK_ROWS * 2
    s = Store.open()
    s.create_database("db")
    with s.begin("db") as t:
        t.create_table("public", "big", [ColumnDef("id", pa.int64()), ColumnDef("v", pa.int64())],
                       primary_key=["id"])
        t.insert("public", "big", pa.table({"id": list(range(n)), "v": [0] * n}))
    before = s.begin("db", isolation="repeatable read")
    assert sum(b.num_rows for b in before.scan("public", "big")) == n
    t = s.begin("db")
    rows_ = pa.Table.from_batches(list(t.scan("public", "big", with_rowid=True, filter=pc.field("id") < 100)))
    t.delete("public", "big", rows_.column("_rowid").combine_chunks())
    rows_ = pa.Table.from_batches(list(t.scan("public", "big", with_rowid=True, filter=pc.field("id") >= n - 50)))
    t.update("public", "big", rows_.column("_rowid").combine_chunks(),
             pa.record_batch({"id": rows_.column("id").combine_chunks(), "v": [1] * rows_.num_rows}))
    mine = pa.Table.from_batches(list(t.scan("public", "big")))
    assert mine.num_rows == n - 100 and pc.sum(mine.column("v")).as_py() == 50
    other = s.begin("db")
    assert sum(b.num_rows for b in other.scan("public", "big")) == n  # our pending stamps hide nothing
    t.commit()
    assert sum(b.num_rows for b in before.scan("public", "big")) == n  # old snapshot unchanged
    now = pa.Table.from_batches(list(s.begin("db").scan("public", "big")))
    assert now.num_rows == n - 100 and pc.sum(now.column("v")).as_py() == 50


def test_rowid_positions_of_ascending_and_compacted_chunks():
    """A chunk finds rowids by binary search: one statement's chunk (ascending rowids) and a
    compacted one (the old versions, then the new ones under the same rowids) alike."""
    import numpy as np

    from helios_core.storage.versions import Chunk

    def chunk(rowids):
        return Chunk(1, pa.record_batch({"_rowid": pa.array(rowids, pa.int64())}), 1)

    ascending = chunk([5, 6, 7, 8])
    assert ascending.rowid_positions(np.array([1, 6, 8, 9])).tolist() == [1, 3]
    assert ascending.rowid_positions(np.array([9, 10])).tolist() == []
    runs = chunk([5, 6, 7, 9, 5, 6, 7, 9])
    assert runs.rowid_positions(np.array([6])).tolist() == [1, 5]
    assert runs.rowid_positions(np.array([4, 7, 8, 9])).tolist() == [2, 3, 6, 7]
    assert runs.rowid_positions(np.array([], np.int64)).tolist() == []


def test_scan_by_rowids_reads_the_snapshot_versions_after_compaction():
    """Rows read by rowid (an index's candidates) are the versions the snapshot sees, also
    where a compacted chunk holds an old and a new version under one rowid."""
    from helios_core.storage import compaction

    s = Store.open(retention_seconds=3600)
    s.create_database("db")
    with s.begin("db") as t:
        t.create_table("public", "t", COLS, primary_key=["id"])
        rids = t.insert("public", "t", pa.table({"id": [1, 2, 3, 4], "name": ["a", "b", "c", "d"]}))
    old = s.begin("db", isolation="repeatable read")
    assert len(rows(old)) == 4  # its snapshot is taken
    with s.begin("db") as t:
        t.update("public", "t", rids.take([1]), pa.record_batch({"id": [2], "name": ["B"], "n": [1]}))
        t.delete("public", "t", rids.take([2]))
    layer = max(s.branches[1].layers.values(), key=lambda lay: len(lay.chunks))  # the table's, not the catalog's
    compaction.compact_layer(s, layer, to_tier=False, gc=False, small_rows=1 << 62)
    assert any(len(c.rowids()) > len(set(c.rowids().tolist())) for c in layer.chunks.values())
    wanted = rids.take([1, 2, 3])
    assert [r["name"] for r in rows(old, rowids=wanted)] == ["b", "c", "d"]
    old.rollback()
    with s.begin("db") as t:
        assert sorted(r["name"] for r in rows(t, rowids=wanted)) == ["B", "d"]


def test_a_scan_copies_only_the_columns_it_reads(store):
    """Rows picked by a filter or by rowids are copied with the columns the scan uses only (a
    text column it does not read is not carried along)."""
    with store.begin("db") as t:
        rids = t.insert("public", "t", pa.table({"id": [1, 2, 3], "name": ["a" * 100, "b", "c"]}))
    with store.begin("db") as t:
        tdef = t._def("public", "t")
        need = [f"c{tdef.column('id').col_id}"]
        wanted = rids.take([0, 2]).to_numpy()
        phys = list(store._visible(t._branch, tdef, t.snapshot_ts, t.txid, None, wanted, need=need))
        assert [b.schema.names for b in phys] == [[*need, "_rowid"]]
        assert phys[0].column("_rowid").to_pylist() == wanted.tolist()
        assert rows(t, columns=["id"], rowids=rids.take([0, 2])) == [{"id": 1}, {"id": 3}]


def test_a_chunk_whose_versions_all_ended_is_skipped_and_still_seen_by_older_snapshots():
    """Chunks of replaced rows (every ``ended`` a commit at or before the snapshot) answer "none
    visible" without a mask; an older snapshot, a pending end and a live row still read per row."""
    import numpy as np

    from helios_core.storage.versions import DEAD_CHECK_ROWS, MAX_TS, Chunk

    n = DEAD_CHECK_ROWS
    data = pa.record_batch({"v": pa.array(range(n), pa.int64())})
    ended = np.full(n, 50, dtype=np.int64)
    ended[: n // 2] = 40
    chunk = Chunk(1, data, 10, ended.copy())
    assert chunk.visible_mask(60, 0) is None
    assert chunk.all_ended_by(50) and not chunk.all_ended_by(49)
    assert not Chunk(5, data.slice(0, 10), 10, ended[:10].copy()).all_ended_by(60)  # small: never checked
    assert chunk.visible_mask(50, 7) is None  # ended at 50: not seen at 50
    assert np.asarray(chunk.visible_mask(45, 0)).sum() == n // 2  # time travel: the later half is seen
    assert chunk.visible_mask(5, 0) is None  # created after the snapshot
    pending = ended.copy()
    pending[3] = -9  # a transaction (txid 9) still holds the end of one version
    assert np.flatnonzero(Chunk(2, data, 10, pending).visible_mask(60, 0)).tolist() == [3]
    assert not np.asarray(Chunk(2, data, 10, pending).visible_mask(60, 9)).any()  # its own delete
    live = ended.copy()
    live[-1] = MAX_TS
    assert np.flatnonzero(Chunk(3, data, 10, live).visible_mask(60, 0)).tolist() == [n - 1]
    created = np.full(n, 10, dtype=np.int64)
    assert Chunk(4, data, created, ended.copy()).visible_mask(60, 0) is None


def test_an_all_updated_table_reads_the_new_versions_at_every_size(store):
    """An UPDATE of every row leaves a chunk whose versions all ended: scans by any snapshot and
    by rowids (an index's candidates) see exactly the versions of their time."""
    from helios_core.storage.versions import DEAD_CHECK_ROWS

    n = DEAD_CHECK_ROWS + 10
    with store.begin("db") as t:
        t.create_table("public", "u", [ColumnDef("id", pa.int64()), ColumnDef("v", pa.int64())], primary_key=["id"])
        t.insert("public", "u", pa.table({"id": list(range(n)), "v": [0] * n}))
    before = store.begin("db", isolation="repeatable read")
    assert sum(b.num_rows for b in before.scan("public", "u")) == n
    with store.begin("db") as t:
        rows_ = pa.Table.from_batches(list(t.scan("public", "u", with_rowid=True)))
        t.update("public", "u", rows_.column("_rowid").combine_chunks(),
                 pa.record_batch({"id": rows_.column("id").combine_chunks(), "v": [1] * n}))
    now = pa.Table.from_batches(list(store.begin("db").scan("public", "u", with_rowid=True)))
    assert now.num_rows == n and pc.sum(now.column("v")).as_py() == n
    old = pa.Table.from_batches(list(before.scan("public", "u")))
    assert old.num_rows == n and pc.sum(old.column("v")).as_py() == 0
    some = now.column("_rowid").combine_chunks()[:5]
    by_rowid = pa.Table.from_batches(list(store.begin("db").scan("public", "u", rowids=pa.chunked_array([some]))))
    assert by_rowid.num_rows == 5 and pc.sum(by_rowid.column("v")).as_py() == 5
    old_by_rowid = pa.Table.from_batches(list(before.scan("public", "u", rowids=pa.chunked_array([some]))))
    assert old_by_rowid.num_rows == 5 and pc.sum(old_by_rowid.column("v")).as_py() == 0
