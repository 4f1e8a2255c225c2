"""Commit observers (hookspecs.helios_commit_observers): what each commit changed, in commit order."""

from __future__ import annotations

import threading

import pyarrow as pa

from helios_core.storage import ColumnDef, Store

COLS = [ColumnDef("id", pa.int64()), ColumnDef("name", pa.string(), nullable=False)]


def _store() -> tuple[Store, list]:
    s = Store.open()
    s.create_database("db")
    with s.begin("db") as t:
        t.create_table("public", "t", COLS, primary_key=["id"])
    told: list = []
    s.commit_observers = [told.append]
    return s, told


def _rows(table: pa.Table) -> list[tuple]:
    return sorted((r["id"], r["name"]) for r in table.to_pylist())


def test_insert_update_delete_and_rollback_told_once_committed():
    s, told = _store()
    with s.begin("db") as t:
        t.insert("public", "t", pa.table({"id": [1, 2], "name": ["a", "b"]}))
    with s.begin("db") as t:
        rid = t.lookup("public", "t", (1,), with_rowid=True).column("_rowid")
        t.update("public", "t", rid, pa.record_batch({"id": [1], "name": ["a2"]}))
        t.update("public", "t", rid, pa.record_batch({"id": [1], "name": ["a3"]}))  # twice: the net change
        t.delete("public", "t", t.lookup("public", "t", (2,), with_rowid=True).column("_rowid"))
        t.insert("public", "t", pa.table({"id": [3], "name": ["c"]}))
    t = s.begin("db")
    t.insert("public", "t", pa.table({"id": [9], "name": ["never"]}))
    t.rollback()
    assert len(told) == 2
    first, second = told
    assert first.commit_ts < second.commit_ts and first.database == "db" and first.branch == "main"
    [table] = first.tables
    assert (table.schema, table.name) == ("public", "t") and table.table_id > 0
    assert _rows(table.before()) == [] and _rows(table.after()) == [(1, "a"), (2, "b")]
    [table] = second.tables
    before, after = table.before(), table.after()
    assert _rows(before) == [(1, "a"), (2, "b")] and _rows(after) == [(1, "a3"), (3, "c")]
    assert 4 <= table.rows <= 5  # versions written (row 1 twice), at least those read back
    # the row identity pairs the versions of an update
    by_rowid = {r["_rowid"]: r["name"] for r in before.to_pylist()}
    assert {by_rowid.get(r["_rowid"]): r["name"] for r in after.to_pylist()} == {"a": "a3", None: "c"}


def test_commit_order_under_concurrent_writers():
    s, told = _store()

    def writer(base: int) -> None:
        for i in range(20):
            with s.begin("db") as t:
                t.insert("public", "t", pa.table({"id": [base + i], "name": ["x"]}))

    threads = [threading.Thread(target=writer, args=(n * 100,)) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    stamps = [c.commit_ts for c in told]
    assert len(stamps) == 80 and stamps == sorted(stamps) and len(set(stamps)) == 80


def test_a_failing_observer_does_not_fail_the_commit():
    s, told = _store()

    def broken(changes: object) -> None:
        raise RuntimeError("observer bug")

    s.commit_observers = [broken, told.append]
    with s.begin("db") as t:
        t.insert("public", "t", pa.table({"id": [1], "name": ["a"]}))
    with s.begin("db") as t:
        assert t.lookup("public", "t", (1,)).num_rows == 1
    assert len(told) == 1
