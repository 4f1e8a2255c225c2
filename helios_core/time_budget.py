"""A strict time budget for engine work: how a protocol server tries a cheap statement inline.

A protocol may run a read that it expects to be quick on its event loop rather than pay for a
worker-thread hop; it must never keep the loop busy with an expensive one. Inside
``time_budget(seconds)`` every cancellation check of the executor (the ones that enforce
statement_timeout, between batches) also raises ``BudgetExceeded`` once the budget is spent;
the caller then runs the statement again in a worker thread::

    try:
        with time_budget(0.002):
            results = session.execute(sql)      # a plain read: nothing to undo
    except BudgetExceeded:
        results = await to_thread.run_sync(session.execute, sql)

``BudgetExceeded`` derives from BaseException so that no ``except Exception`` on the way turns
it into an SQL error or fails the client's transaction; use it only around statements that can
simply be run again (reads without locks or side effects).

A write is tried inline with ``prepared_only=True``: the engine runs it only when it is a plain
``INSERT ... VALUES`` of literal rows whose shape is already prepared (a batch load's next
batch, helios_core.sql.statement_cache) or a prepared INSERT of parameter rows
(``prepared.is_inline_batch``), and hands anything else back before it starts:
preparing a new shape, waiting for another session's preparation of it, a routine or a
trigger (which may do what a statement run again must not do twice), a commit while the log's
fsyncs are slow (``Store.commits_are_quick``). What such a write did
before its budget ran out is undone by ``point_writes.run_undoable``.
"""

from __future__ import annotations

import time
from contextvars import ContextVar

__all__ = ["BudgetExceeded", "active", "check", "inline", "prepared_only", "time_budget"]

_DEADLINE: ContextVar[float | None] = ContextVar("helios_time_budget", default=None)
_PREPARED_ONLY: ContextVar[bool] = ContextVar("helios_time_budget_prepared_only", default=False)


class BudgetExceeded(BaseException):
    """The work inside ``time_budget`` ran past its budget (at a cancellation check), or would
    have waited. ``lock_wait``: for a wait on another transaction's row lock, an object whose
    ``await lock_wait.ended(seconds)`` waits on the caller's asyncio loop for that transaction to
    end (True) before the statement is tried again (helios_core.storage.lock_wait); else None."""

    def __init__(self, lock_wait: object = None) -> None:
        super().__init__()
        self.lock_wait = lock_wait


class time_budget:  # lower case: used as a function, ``with time_budget(seconds):``
    """The budget for the work inside ``with``; a class rather than a generator context manager
    because a point read on a protocol's event loop enters one per statement."""

    __slots__ = ("_only", "_prepared_only", "_seconds", "_token")

    def __init__(self, seconds: float, *, prepared_only: bool = False) -> None:
        self._seconds = seconds
        self._prepared_only = prepared_only

    def __enter__(self) -> None:
        self._token = _DEADLINE.set(time.monotonic() + self._seconds)
        self._only = _PREPARED_ONLY.set(self._prepared_only)

    def __exit__(self, *exc: object) -> None:
        _PREPARED_ONLY.reset(self._only)
        _DEADLINE.reset(self._token)


def check() -> None:
    """Called by the executor's cancellation checks: raise BudgetExceeded past the budget."""
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise BudgetExceeded()


def inline(lock_wait: object = None) -> None:
    """Called before anything that would wait (a CPU-quota queue, a row lock): inside a budget,
    hand the statement back (BudgetExceeded, carrying ``lock_wait``) so that its caller waits
    elsewhere and runs it again."""
    if _DEADLINE.get() is not None:
        raise BudgetExceeded(lock_wait)


def active() -> bool:
    """Work is running under a budget (a protocol is trying it inline)."""
    return _DEADLINE.get() is not None


def prepared_only() -> bool:
    """A write is being tried inline (``time_budget(..., prepared_only=True)``): only an already
    prepared plain INSERT of literal rows may run; the engine hands anything else back."""
    return _PREPARED_ONLY.get()
