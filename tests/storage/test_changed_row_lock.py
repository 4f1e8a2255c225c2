"""READ COMMITTED writers of a hot row: a statement that finds its row replaced by a newer commit
locks the newest version before it reads it again, so later writers wait for it instead of
replacing the row once more under it (which made a busy row's UPDATE re-check until it gave up
and reported UPDATE 0: pgbench's TPC-B lost a branch's balance change that way)."""

from __future__ import annotations

import tempfile
import threading

import pyarrow as pa
import pytest

from helios_core.engine import Engine
from helios_core.errors import LockNotAvailable
from helios_core.storage import Store
from tests.storage.sqlish import make_store


@pytest.fixture
def store() -> Store:
    return make_store("t", "v", {1: 0})


def _rowid(txn) -> pa.Array:
    return txn.lookup("public", "t", (1,), with_rowid=True).column("_rowid")


def _value(txn) -> int:
    return txn.lookup("public", "t", (1,)).column("v")[0].as_py()


def test_a_changed_row_is_locked_for_its_rechecking_writer(store: Store) -> None:
    late = store.begin("db")
    assert _value(late) == 0  # its statement's snapshot: before the commit below
    with store.begin("db") as first:
        assert first.update("public", "t", _rowid(first), pa.record_batch({"id": [1], "v": [1]})).count == 1
    out = late.update("public", "t", _rowid(late), pa.record_batch({"id": [1], "v": [10]}))
    assert out.count == 0 and out.changed.to_pylist() == _rowid(late).to_pylist()  # re-check needed

    other = store.begin("db", lock_timeout=0.05)
    with pytest.raises(LockNotAvailable):  # the re-checking writer holds the newest version
        other.update("public", "t", _rowid(other), pa.record_batch({"id": [1], "v": [100]}))
    other.rollback()

    late.new_statement()
    assert _value(late) == 1
    assert late.update("public", "t", _rowid(late), pa.record_batch({"id": [1], "v": [11]})).count == 1
    late.commit()
    with store.begin("db") as after:
        assert _value(after) == 11
        assert after.update("public", "t", _rowid(after), pa.record_batch({"id": [1], "v": [12]})).count == 1
    assert not store.row_locks  # released at commit


def test_the_lock_is_released_at_rollback(store: Store) -> None:
    late = store.begin("db")
    _value(late)
    with store.begin("db") as first:
        first.update("public", "t", _rowid(first), pa.record_batch({"id": [1], "v": [1]}))
    assert late.update("public", "t", _rowid(late), pa.record_batch({"id": [1], "v": [10]})).count == 0
    late.rollback()
    with store.begin("db", lock_timeout=0.05) as other:
        assert other.update("public", "t", _rowid(other), pa.record_batch({"id": [1], "v": [2]})).count == 1


def test_hot_row_keeps_every_committed_increment() -> None:
    """Eight sessions add to one row through SQL on a disk-backed engine (commits wait for the WAL,
    so writers queue on the row): the row ends with every committed transaction's increment."""
    with tempfile.TemporaryDirectory() as data_dir:
        engine = Engine.open(data_dir)
        try:
            setup = engine.connect(user="helios", database="helios", branch="main")
            setup.execute("CREATE TABLE hot (id int PRIMARY KEY, total bigint)")
            setup.execute("CREATE TABLE side (id int PRIMARY KEY, total bigint)")
            setup.execute("INSERT INTO hot VALUES (1, 0)")
            setup.execute("INSERT INTO side SELECT x, 0 FROM generate_series(1, 8) x")
            committed: list[int] = []
            failures: list[BaseException] = []

            def client(k: int) -> None:
                session = engine.connect(user="helios", database="helios", branch="main")
                for i in range(120):
                    delta = k * 1000 + i
                    try:
                        session.execute("BEGIN")
                        session.execute(f"UPDATE side SET total = total + {delta} WHERE id = {k}")
                        session.execute(f"UPDATE hot SET total = total + {delta} WHERE id = 1")
                        session.execute("COMMIT")
                        committed.append(delta)
                    except Exception as e:  # noqa: BLE001 - reported below
                        failures.append(e)
                        session.execute("ROLLBACK")

            threads = [threading.Thread(target=client, args=(k,)) for k in range(1, 9)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert failures == []
            hot = setup.execute("SELECT total FROM hot")[0].batches[0].column(0)[0].as_py()
            side = setup.execute("SELECT sum(total) FROM side")[0].batches[0].column(0)[0].as_py()
            assert hot == side == sum(committed)
        finally:
            engine.close()


def test_a_batch_update_waits_only_for_the_locked_row(store: Store) -> None:
    """A row lock held elsewhere sends that row (only) to the one-by-one claim, which waits for it;
    the batch's other rows are claimed together as before."""
    with store.begin("db") as t:
        t.insert("public", "t", pa.table({"id": list(range(2, 100)), "v": [0] * 98}))
    holder = store.begin("db")
    locked = holder.lookup("public", "t", (50,), with_rowid=True).column("_rowid")
    holder.lock_rows("public", "t", locked, "update")

    def all_rows(txn):
        table = pa.Table.from_batches(list(txn.scan("public", "t", with_rowid=True)))
        return table.column("_rowid").combine_chunks(), pa.record_batch(
            {"id": table.column("id").combine_chunks(), "v": pa.array([7] * table.num_rows, pa.int64())})

    waiter = store.begin("db", lock_timeout=0.05)
    rowids, rows = all_rows(waiter)
    with pytest.raises(LockNotAvailable):
        waiter.update("public", "t", rowids, rows)
    waiter.rollback()
    holder.commit()
    with store.begin("db") as after:
        rowids, rows = all_rows(after)
        assert after.update("public", "t", rowids, rows).count == 99
    with store.begin("db") as check:
        assert set(pa.Table.from_batches(list(check.scan("public", "t"))).column("v").to_pylist()) == {7}
