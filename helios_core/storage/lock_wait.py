"""A row-lock wait on a protocol's event loop, without a worker thread.

A short statement tried inline (``time_budget``) that meets another transaction's row lock is
undone and handed back (``BudgetExceeded``). Handing it to a worker thread that blocks until the
holder ends costs two thread switches and a thread per waiter contending for the interpreter.
``BudgetExceeded.lock_wait`` is this object instead: the protocol awaits ``ended()`` on its loop
and then tries the statement again.

Waiters for one row queue in turn, as PostgreSQL's lock queue does: when the holder ends only
the first is woken, and the others then wait for the first one's transaction (which takes the
row next), instead of all running their statement again to find one winner and queue once more
(with TPC-B's eight clients on one branch row, 4.5 tries a transaction). A waiter whose own
transaction has already ended (a statement outside a transaction block) cannot be waited on:
the others are woken with it.

The wait is bounded (the caller's ``seconds``): a cancel request, statement_timeout or a deadlock
is then dealt with by the worker-thread wait, which checks them (as PostgreSQL looks for deadlocks
only after deadlock_timeout). While it waits, the waiter is an edge of the waits-for graph, so a
transaction that blocks on it in a worker still finds the cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from typing import TYPE_CHECKING, Any

import attrs

from helios_core.storage.table_locks import reaches

if TYPE_CHECKING:
    from helios_core.storage.txn import Transaction

_QUEUES: dict[tuple[int, Any], deque[_Waiting]] = {}  # (holder txid, row) -> waiters in order
_QUEUES_LOCK = threading.Lock()


@attrs.define(eq=False)
class _Waiting:
    txn: Transaction
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop

    def live(self) -> bool:
        return not self.future.done()

    def wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone (a server shutting down)
            self.loop.call_soon_threadsafe(_set_once, self.future)


def _set_once(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def _enqueue(holder: Transaction, row: Any, waiting: _Waiting) -> None:
    """Add ``waiting`` to the queue for ``row`` behind ``holder`` (made, with its callback, if new)."""
    key = (holder.txid, row)
    with _QUEUES_LOCK:
        queue = _QUEUES.get(key)
        fresh = queue is None
        if fresh:
            queue = _QUEUES[key] = deque()
        queue.append(waiting)
    if fresh:
        holder.when_ended(lambda: _hand_on(key, row))


def _hand_on(key: tuple[int, Any], row: Any) -> None:
    """The holder ended: wake the first live waiter; the rest now wait behind its transaction."""
    with _QUEUES_LOCK:
        queue = _QUEUES.pop(key, None)
    if not queue:
        return
    while queue and not queue[0].live():
        queue.popleft()
    if not queue:
        return
    first = queue.popleft()
    first.wake()
    if not queue:
        return
    if first.txn.state != "active":  # nothing to wait behind: all of them try again
        for waiting in queue:
            waiting.wake()
        return
    for waiting in queue:
        _enqueue(first.txn, row, waiting)


@attrs.define(eq=False)
class LockWaitOnLoop:
    waiter: Transaction
    holder: Transaction
    row: Any = None  # the row's identity: waiters for one row are woken in turn (None: all at once)
    interrupted: bool = False  # interrupt() was called: the wait ends, and ended() says False
    _waiting: _Waiting | None = None  # while ended() waits

    def interrupt(self) -> None:
        """End the wait now (a cancel request; from any thread)."""
        self.interrupted = True
        waiting = self._waiting
        if waiting is not None:
            waiting.wake()

    async def ended(self, seconds: float) -> bool:
        """Wait on the running asyncio loop, up to ``seconds``, for the holder to end (or, queued
        behind other waiters for the row, for the one before to take it and end). False when it did
        not, when ``interrupt()`` came first, or when waiting would close a cycle of waits (the
        worker's wait reports that one)."""
        waiter, holder = self.waiter, self.holder
        with waiter.store.mu:
            if reaches(holder, waiter):
                return False
            waiter.waiting_for = holder
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        waiting = self._waiting = _Waiting(waiter, done, loop)
        if self.interrupted:  # before the wait began (interrupt() saw no _waiting)
            _set_once(done)
        elif self.row is None:
            holder.when_ended(waiting.wake)
        else:
            _enqueue(holder, self.row, waiting)
        try:
            await asyncio.wait((done,), timeout=seconds)
        finally:
            waiter.waiting_for = None
            self._waiting = None
            if not done.done():
                done.cancel()  # a queue that reaches this waiter passes it by
        # an interrupted waiter's future is set too, so a queue that reaches it passes it by
        return done.done() and not done.cancelled() and not self.interrupted
