"""Row-lock waits on an event loop (helios_core.storage.lock_wait): a point write tried inline
that meets a row lock is handed back with a ``lock_wait`` to await; waiters for one row are woken
in turn (the first when the holder ends, the next when the first's transaction ends), a waiter
whose transaction has ended lets the others go at once, a waiter that gave up is passed by, a
cancel ends the wait, and a wait that would close a cycle is refused."""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pyarrow as pa
import pytest

from helios_core.session import BudgetExceeded, time_budget
from helios_core.storage import Store
from tests.storage.sqlish import make_store


@pytest.fixture
def store() -> Store:
    return make_store("t", "v", {1: 0, 2: 0})


def _update(txn, key: int = 1, add: int = 1) -> int:
    """A point update of row ``key`` (v + add), as the inline path runs it: under a time budget."""
    tdef = txn.get_table("public", "t")
    row = txn.lookup("public", "t", (key,), with_rowid=True)
    rowid = row.column("_rowid")[0].as_py()
    value = row.column("v")[0].as_py()
    with time_budget(5.0):
        return txn.update_row(tdef, rowid, pa.record_batch({"id": [key], "v": [value + add]}))


def _handed_back(txn, key: int = 1):
    with pytest.raises(BudgetExceeded) as caught:
        _update(txn, key)
    assert caught.value.lock_wait is not None
    return caught.value.lock_wait


def _value(store: Store, key: int = 1) -> int:
    with store.begin("db") as t:
        return t.lookup("public", "t", (key,)).column("v")[0].as_py()


def test_waiters_for_one_row_are_woken_in_turn(store: Store) -> None:
    async def run() -> None:
        holder = store.begin("db")
        assert _update(holder) == 1
        waiters = [store.begin("db") for _ in range(3)]
        waits = [asyncio.create_task(_handed_back(w).ended(10)) for w in waiters]
        await asyncio.sleep(0.05)
        assert not any(t.done() for t in waits)
        assert all(w.waiting_for is holder for w in waiters)  # edges of the waits-for graph
        holder.commit()
        for i, w in enumerate(waiters):
            await asyncio.sleep(0.05)
            assert [t.done() for t in waits] == [j <= i for j in range(3)]  # only the next one woke
            assert waits[i].result() is True
            w.new_statement()
            assert _update(w) == 1  # the row is free for it: no second wait
            w.commit()
        assert all(w.waiting_for is None for w in waiters)

    asyncio.run(run())
    assert _value(store) == 4


def test_a_waiter_whose_transaction_ended_lets_the_others_go(store: Store) -> None:
    async def run() -> None:
        holder = store.begin("db")
        assert _update(holder) == 1
        gone, active = store.begin("db"), store.begin("db")
        first = asyncio.create_task(_handed_back(gone).ended(10))
        gone.rollback()  # a statement outside a block: its transaction ended before it waits
        second = asyncio.create_task(_handed_back(active).ended(10))
        await asyncio.sleep(0.05)
        holder.commit()
        await asyncio.sleep(0.05)
        assert first.done() and second.done() and second.result() is True
        active.rollback()

    asyncio.run(run())


def test_a_waiter_that_gave_up_is_passed_by(store: Store) -> None:
    async def run() -> None:
        holder = store.begin("db")
        assert _update(holder) == 1
        quick, patient = store.begin("db"), store.begin("db")
        assert await _handed_back(quick).ended(0.01) is False  # gave up: the caller waits elsewhere
        waiting = asyncio.create_task(_handed_back(patient).ended(10))
        await asyncio.sleep(0.05)
        holder.commit()
        await asyncio.sleep(0.05)
        assert waiting.done() and waiting.result() is True
        quick.rollback()
        patient.rollback()

    asyncio.run(run())


def test_other_rows_queue_apart(store: Store) -> None:
    async def run() -> None:
        holder = store.begin("db")
        assert _update(holder, 1) == 1 and _update(holder, 2) == 1
        one, two = store.begin("db"), store.begin("db")
        first = asyncio.create_task(_handed_back(one, 1).ended(10))
        second = asyncio.create_task(_handed_back(two, 2).ended(10))
        await asyncio.sleep(0.05)
        holder.commit()
        await asyncio.sleep(0.05)
        assert first.done() and second.done()  # each was first in its row's queue
        one.rollback()
        two.rollback()

    asyncio.run(run())


@contextlib.contextmanager
def _row_held(store: Store, lock_timeout: float | None = None):
    """(holder, waiter): one transaction holding row 1's lock, another that will meet it; both
    rolled back at the end."""
    holder = store.begin("db")
    assert _update(holder) == 1
    waiter = store.begin("db", lock_timeout=lock_timeout)
    try:
        yield holder, waiter
    finally:
        holder.rollback()
        waiter.rollback()


def test_a_cancel_ends_the_wait(store: Store) -> None:
    async def run() -> None:
        with _row_held(store) as (_holder, waiter):
            lock_wait = _handed_back(waiter)
            waiting = asyncio.create_task(lock_wait.ended(10))
            await asyncio.sleep(0.05)
            threading.Thread(target=lock_wait.interrupt).start()  # a cancel request comes from anywhere
            assert await asyncio.wait_for(waiting, 1) is False
            assert waiter.waiting_for is None
            early = _handed_back(store.begin("db"))
            early.interrupt()  # before the wait began: it ends at once
            assert await asyncio.wait_for(early.ended(10), 1) is False
            early.waiter.rollback()

    asyncio.run(run())


def test_a_wait_that_would_close_a_cycle_is_refused(store: Store) -> None:
    async def run() -> None:
        with _row_held(store) as (holder, waiter):
            lock_wait = _handed_back(waiter)
            holder.waiting_for = waiter  # as if the holder were blocked on the waiter in a worker thread
            assert await lock_wait.ended(10) is False  # at once: the worker's wait reports the deadlock
            holder.waiting_for = None

    asyncio.run(run())


def test_a_wait_under_lock_timeout_is_not_handed_to_the_loop(store: Store) -> None:
    with _row_held(store, lock_timeout=0.05) as (_holder, waiter):
        with pytest.raises(BudgetExceeded) as caught:
            _update(waiter)
        assert caught.value.lock_wait is None  # the worker's wait keeps lock_timeout exact
