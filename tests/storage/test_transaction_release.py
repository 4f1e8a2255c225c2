"""A finished transaction is freed by reference counting alone: nothing it wrote waits for the
cyclic garbage collector. A cycle through a transaction's insert bookkeeping once kept a 10
million-row COPY's rows alive until the next collection, which then spent about 100 ms freeing
them inside whichever statement happened to trigger it (the first INSERT after the COPY)."""

from __future__ import annotations

import gc
import weakref

import pyarrow as pa
import pytest

from helios_core.storage import ColumnDef, Store

COLS = [ColumnDef("id", pa.int64()), ColumnDef("v", pa.string())]


@pytest.fixture
def store():
    s = Store.open()
    s.create_database("db")
    with s.begin("db") as t:
        t.create_table("public", "t", COLS, primary_key=["id"])
        t.create_table("public", "log", COLS)
    return s


def _batch(lo: int, hi: int) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({"id": list(range(lo, hi)), "v": [f"row {i}" for i in range(lo, hi)]})


@pytest.fixture
def no_collector():
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    yield
    if was:
        gc.enable()


@pytest.mark.parametrize("table", ["t", "log"])
@pytest.mark.parametrize("end", ["commit", "rollback", "savepoint"])
def test_a_finished_writer_is_freed_without_the_collector(store, no_collector, table, end):
    txn = store.begin("db")
    txn.insert("public", table, _batch(0, 1000))
    if end == "savepoint":
        mark = txn.savepoint()
        txn.insert("public", table, _batch(1000, 2000))
        txn.rollback_to(mark)
        txn.commit()
    else:
        getattr(txn, end)()
    gone = weakref.ref(txn)
    del txn
    assert gone() is None
    with store.begin("db") as check:
        got = sum(b.num_rows for b in check.scan("public", table))
    assert got == (0 if end == "rollback" else 1000)


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_a_finished_transaction_kept_alive_holds_none_of_its_rows(store, end):
    """Something may keep the object (a cached plan keeps the context it was planned in, and that
    context its transaction): it must not keep the chunks it wrote."""
    txn = store.begin("db")
    txn.insert("public", "log", _batch(0, 5000))
    assert txn.writes
    getattr(txn, end)()
    assert txn.writes == {} and txn.state in ("committed", "aborted")


def test_statements_leave_no_finished_transaction_holding_rows():
    import helios_core
    from helios_core.storage.txn import Transaction

    s = helios_core.connect()
    try:
        s.execute("CREATE TABLE w (id int, v text)")
        for i in range(3):  # the same statements again: their plans come from the cache
            s.execute(f"INSERT INTO w SELECT g, 'x' || g FROM generate_series(1, 20000) g WHERE g % 3 = {i}")
            s.execute("UPDATE w SET v = v || '!' WHERE id % 7 = 1")
            s.execute("DELETE FROM w WHERE id % 11 = 0")
        gc.collect()
        live = [o for o in gc.get_objects() if isinstance(o, Transaction) and o.state != "active"]
        assert sum(len(w.chunks) for t in live for w in t.writes.values()) == 0
        assert s.execute("SELECT count(*) FROM w")[-1].rows() == [(20000 - 20000 // 11,)]
    finally:
        s.close()
