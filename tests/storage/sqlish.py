"""A tiny statement layer over the storage API for isolation tests.

It does what the SQL engine does with the API: a statement snapshot per statement,
scan-then-write, and READ COMMITTED's re-check of rows reported in WriteOutcome.changed
(re-read with latest=True, re-evaluate the WHERE, write again).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.storage import Store

TABLE = ("public", "test")


def make_store(table: str = "test", value: str = "value", rows: dict[int, int] | None = None) -> Store:
    """An in-memory store with database ``db`` and table ``table`` (id primary key, ``value``) holding
    ``rows`` (id -> value; by default 1 -> 10, 2 -> 20)."""
    from helios_core.storage import ColumnDef

    rows = {1: 10, 2: 20} if rows is None else rows
    store = Store.open()
    store.create_database("db")
    with store.begin("db") as t:
        t.create_table("public", table, [ColumnDef("id", pa.int64()), ColumnDef(value, pa.int64())],
                       primary_key=["id"])
        t.insert("public", table, pa.table({"id": list(rows), value: list(rows.values())}))
    return store


class Sess:
    """One client: a transaction plus a worker thread for statements that may block."""

    def __init__(self, store: Store, isolation: str, branch: str = "main") -> None:
        self.store, self.isolation, self.branch = store, isolation, branch
        self.txn = store.begin("db", branch, isolation=isolation)
        self.pool = ThreadPoolExecutor(1)

    def close(self) -> None:
        if self.txn.state == "active":
            self.txn.rollback()
        self.pool.shutdown(wait=True)

    def _active(self) -> None:
        """After commit/rollback the next statement runs in a fresh transaction (like psql)."""
        if self.txn.state != "active":
            self.txn = self.store.begin("db", self.branch, isolation=self.isolation)

    def select(self, where: pc.Expression | None = None) -> dict[int, int]:
        self._active()
        self.txn.new_statement()
        tbl = pa.Table.from_batches(list(self.txn.scan(*TABLE, filter=where)))
        return dict(zip(tbl.column("id").to_pylist(), tbl.column("value").to_pylist(), strict=True))

    def _write(self, where: pc.Expression, fn: Callable[[pa.RecordBatch], pa.RecordBatch] | None) -> int:
        self._active()
        self.txn.new_statement()
        batches = [b for b in self.txn.scan(*TABLE, filter=where, with_rowid=True) if b.num_rows]
        total = 0
        while batches:
            tbl = pa.Table.from_batches(batches).combine_chunks()
            rowids = tbl.column("_rowid")
            if fn is None:
                out = self.txn.delete(*TABLE, rowids)
            else:
                out = self.txn.update(*TABLE, rowids, fn(tbl.drop_columns(["_rowid"]).to_batches()[0]))
            total += out.count
            if len(out.changed) == 0:
                break
            batches = [b for b in self.txn.scan(*TABLE, filter=where, with_rowid=True, rowids=out.changed,
                                                latest=True) if b.num_rows]
        return total

    def update(self, where: pc.Expression, value: Callable[[pa.Array], pa.Array] | int) -> int:
        def fn(b: pa.RecordBatch) -> pa.RecordBatch:
            v = value(b.column("value")) if callable(value) else pa.array([value] * b.num_rows, pa.int64())
            return pa.record_batch({"id": b.column("id"), "value": v})

        return self._write(where, fn)

    def delete(self, where: pc.Expression) -> int:
        return self._write(where, None)

    def insert(self, id_: int, value: int) -> None:
        self._active()
        self.txn.insert(*TABLE, pa.table({"id": [id_], "value": [value]}))

    def submit(self, fn: Callable, *args) -> Future:
        return self.pool.submit(fn, *args)

    def wait_blocked(self, fut: Future) -> None:
        """Assert the statement is waiting for a row lock (polls state, not a sleep-based guess)."""
        deadline = time.monotonic() + 10
        while self.txn.waiting_for is None:
            assert not fut.done(), f"statement did not block: {fut.result()!r}"
            assert time.monotonic() < deadline, "statement neither blocked nor finished"
            time.sleep(0.002)


def where_id(i: int) -> pc.Expression:
    return pc.field("id") == i


def where_value(v: int) -> pc.Expression:
    return pc.field("value") == v


def value_mod(m: int) -> pc.Expression:
    """value % m = 0 (pyarrow has no modulo kernel; values in these tests stay below 200)."""
    return pc.field("value").isin([v for v in range(200) if v % m == 0])
