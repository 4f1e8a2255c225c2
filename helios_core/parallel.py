"""Worker threads for work that releases the GIL (Arrow's and numpy's kernels), shared by the
core and plugins: one statement's independent pieces (a percentile's sorting beside the other
aggregates, the halves of a large result's encoding) done on the machine's cores at once.

A piece runs with a copy of the caller's context variables, where the session's settings
(TimeZone, DateStyle, client encoding) live. A piece may itself start pieces: a result asked for
before any worker took its piece is computed by the asking thread, so no thread waits on work
queued behind it. The CPU time a worker spends on a statement's pieces is added to the
statement's ``CPU_ACCOUNT`` when it has one: a branch's max_cpu_percent charges it
(branching/limits.py), so pieces on other threads are not free CPU for a throttled tenant.
"""

from __future__ import annotations

import contextvars
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

WORKERS = min(4, os.cpu_count() or 1)
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    """The process's pool; a forked child makes its own (the parent's threads are not in it)."""
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="helios-parallel")
            _pool_pid = os.getpid()
        return _pool


class Started:
    """A piece of work begun on a worker thread (``start``); ``result`` waits for it, or does it on
    the calling thread when no worker has taken it yet (the pool busy with other sessions' work),
    so a caller never waits behind a queue."""

    __slots__ = ("_fn", "_future")

    def __init__(self, fn: Callable[[], Any], future: Future | None) -> None:
        self._fn, self._future = fn, future

    def result(self) -> Any:
        if self._future is None or self._future.cancel():
            return self._fn()
        return self._future.result()


class CpuAccount:
    """CPU seconds that worker threads spent on one statement's pieces, until taken."""

    __slots__ = ("_lock", "_seconds")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seconds = 0.0

    def add(self, seconds: float) -> None:
        with self._lock:
            self._seconds += seconds

    def take(self) -> float:
        """The seconds added since the last take."""
        with self._lock:
            seconds, self._seconds = self._seconds, 0.0
        return seconds


CPU_ACCOUNT: contextvars.ContextVar[CpuAccount | None] = contextvars.ContextVar("helios_parallel_cpu_account",
                                                                                 default=None)


def _in_context(fn: Callable[..., Any], args: tuple) -> Callable[[], Any]:
    context = contextvars.copy_context()
    account = context.get(CPU_ACCOUNT)
    if account is None:
        return lambda: context.run(fn, *args)
    caller = threading.get_ident()

    def counted() -> Any:
        if threading.get_ident() == caller:  # done by the asking thread: its own CPU time has it
            return context.run(fn, *args)
        started = time.thread_time()
        try:
            return context.run(fn, *args)
        finally:
            account.add(time.thread_time() - started)

    return counted


def start(fn: Callable[..., Any], *args: Any) -> Started:
    """``fn(*args)`` begun on a worker thread while the caller goes on; on one core it is simply
    done when its result is asked for."""
    work = _in_context(fn, args)
    if WORKERS < 2:
        return Started(work, None)
    try:
        return Started(work, executor().submit(work))
    except RuntimeError:  # the interpreter is shutting down (a statement a graceful stop lets finish)
        return Started(work, None)


def map_in_parallel(fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    """``fn(item)`` for each item, the first on the calling thread and the rest on workers;
    results in order."""
    if len(items) < 2 or WORKERS < 2:
        return [fn(item) for item in items]
    rest = [start(fn, item) for item in items[1:]]
    head = fn(items[0])
    return [head, *(r.result() for r in rest)]


_END = object()


class _Here:
    """An item not worth a hand-off: ``fn(item)`` computed on the calling thread when its turn comes."""

    __slots__ = ("fn", "item")

    def __init__(self, fn: Callable[[Any], Any], item: Any) -> None:
        self.fn, self.item = fn, item

    def result(self) -> Any:
        return self.fn(self.item)

    def cancel(self) -> bool:
        return True


def ordered_map(fn: Callable[[Any], Any], items: Iterable[Any], *, workers: int | None = None,
                here: Callable[[Any], bool] | None = None) -> Iterator[Any]:
    """``fn(item)`` for each item, in order, computed ahead on the worker threads (at most ``2 x
    workers`` items in flight). ``fn`` must be pure: it runs on another thread, without the
    caller's context variables. A consumer that stops early leaves the speculative work unread;
    an error is raised when its item is reached, as in a sequential loop. Items for which
    ``here(item)`` is true are computed on the calling thread in their turn (a thread hop costs
    more than a small item's work)."""
    workers = WORKERS if workers is None else workers
    it = iter(items)
    first = next(it, _END)
    if first is _END:
        return
    second = next(it, _END)
    if second is _END or workers < 2:  # one item: no hand-off to pay for
        yield fn(first)
        if second is not _END:
            yield fn(second)
            yield from map(fn, it)
        return
    pool = executor()

    def submit(item: Any) -> Any:
        return _Here(fn, item) if here is not None and here(item) else pool.submit(fn, item)

    pending: deque[Any] = deque((submit(first), submit(second)))
    try:
        for item in it:
            pending.append(submit(item))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for f in pending:
            f.cancel()
