"""Worker threads for work that releases the GIL (Arrow's and numpy's kernels), shared by the
core and plugins: one statement's independent pieces (a percentile's sorting beside the other
aggregates, the halves of a large result's encoding) done on the machine's cores at once.

A piece runs with a copy of the caller's context variables, where the session's settings
(TimeZone, DateStyle, client encoding) live. A piece may itself start pieces: a result asked for
before any worker took its piece is computed by the asking thread, so no thread waits on work
queued behind it.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable
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


def _in_context(fn: Callable[..., Any], args: tuple) -> Callable[[], Any]:
    context = contextvars.copy_context()
    return lambda: context.run(fn, *args)


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
