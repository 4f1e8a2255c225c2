"""A statement that would take the server's memory is stopped with 241 MEMORY_LIMIT_EXCEEDED.

ClickHouse stops a query past ``max_memory_usage`` (bytes, per query; 0: no limit) and past the
server's limit (``max_server_memory_usage``: 90% of the machine's memory); the kernel has no
accounting of a query's bytes, so this watches the process: while a statement runs, a thread
reads the server's resident memory and the machine's available memory every quarter second, and
cancels the statement when it has grown past ``max_memory_usage`` or the machine has less than a
seventh of its memory left while this process holds more than a gigabyte of it. Without it a
GROUP BY of ten million keys ends with the operating system killing the server.

A statement that failed after growing the process by more than ``_TRIM_AFTER`` gives back to the
system, when it ends, the memory Arrow's pool keeps for reuse and the free memory of the C
library's heaps (``malloc_trim``: what the kernel's Python objects took in a worker thread's arena
stays with that arena otherwise; a join stopped by its time limit left 2 GB held so). A statement
that succeeded does so only when memory is short (the process holds a quarter of the machine, or
the machine has less than a quarter left): otherwise the next statement reuses what the pool kept,
where trimming after each one made every large query fault its memory in again and run a full
cycle collection (a third of TPC-H Q1's time at scale 1). A statement that fails (a timeout, a cancel,
an error) must first let go of what its frames hold: an exception's traceback keeps every frame
of the executor alive, with the batches in their locals, and those frames sit in reference
cycles that only the cycle collector frees; ``forget_frames`` drops the tracebacks of an error
that is to be answered (its message and code are all a client is sent) and ``give_back`` then
collects the cycles before the pool is trimmed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import threading
import time
from typing import Any, Self

import pyarrow as pa

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_INTERVAL = 0.25
_SERVER_FLOOR = 0.15  # of the machine's memory left available
_SERVER_HOLDS = 1 << 30  # and this process holds at least this much
_RETURN_AFTER = 256 << 20
_TRIM_AFTER = 32 << 20
_SHORT = 4  # memory is short when the process holds 1/_SHORT of the machine or 1/_SHORT is left


def _c_library_trim() -> Any:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or None), "malloc_trim", None)
    except OSError:
        return None


_MALLOC_TRIM = _c_library_trim()


_statm: tuple[int, int] | None = None  # (pid, descriptor of /proc/self/statm), kept open


def _resident() -> int:
    """The process's resident bytes: /proc/self/statm read again through a descriptor kept open
    (twice per statement, so not opened and closed each time)."""
    global _statm
    try:
        pid = os.getpid()
        if _statm is None or _statm[0] != pid:
            _statm = (pid, os.open("/proc/self/statm", os.O_RDONLY))
        return int(os.pread(_statm[1], 128, 0).split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _machine() -> tuple[int, int]:
    """(total, available) bytes of memory; (0, 0) when unknown."""
    total = available = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    total = int(line.split()[1]) * 1024
                elif line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return 0, 0
    return total, available


def _memory_short(held: int) -> bool:
    """Whether this process (holding ``held`` bytes) should give memory back after a statement
    that succeeded: it holds a large share of the machine, or the machine has little left."""
    total, available = _machine()
    return bool(total) and (held * _SHORT > total or available * _SHORT < total)


class Footprint:
    """The process's resident memory when a statement began; ``give_back`` once it is over."""

    def __init__(self) -> None:
        self.start = _resident()

    def give_back(self, failed: bool = False) -> None:
        """A statement that grew the process by more than ``_TRIM_AFTER`` and failed (or ran while
        memory is short) trims Arrow's pool (each worker thread keeps what it freed for its own
        reuse: a few hundred MB over many threads add up); a failed one, or one that grew past
        ``_RETURN_AFTER``, first frees its reference cycles (call it once a failure's frames are
        forgotten: what they held is in those cycles)."""
        held = _resident()
        grown = held - self.start
        if grown <= _TRIM_AFTER or not (failed or _memory_short(held)):
            return
        if failed or grown > _RETURN_AFTER:
            gc.collect()
        pa.default_memory_pool().release_unused()
        if _MALLOC_TRIM is not None:
            _MALLOC_TRIM(0)


class MemoryGuard:
    """``with MemoryGuard(session, limit):`` around one statement; ``exceeded`` says why it was stopped.

    One watcher thread for the whole process looks at every running statement's guard each
    ``_INTERVAL`` (a thread per statement cost more than a short query's own work)."""

    def __init__(self, session: Any, limit: int = 0) -> None:
        self.session = session
        self.limit = limit
        self.exceeded: str | None = None
        self._footprint: Footprint | None = None
        self._start = 0

    def __enter__(self) -> Self:
        self._footprint = Footprint()
        self._start = self._footprint.start
        _WATCHER.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _WATCHER.remove(self)

    def give_back(self, failed: bool = False) -> None:
        """Once the statement is over (and a failure's frames forgotten): see ``Footprint``."""
        if self._footprint is not None:
            self._footprint.give_back(failed)

    def check(self, held: int, machine: tuple[int, int]) -> None:
        """From the watcher: cancel the statement once the process holds too much (see the module)."""
        if self.exceeded is not None:
            return
        if self.limit and held - self._start > self.limit:
            self.exceeded = (f"Memory limit (for query) exceeded: would use {held - self._start} bytes, "
                             f"maximum: {self.limit} bytes")
        else:
            total, available = machine
            if total and available < total * _SERVER_FLOOR and held > _SERVER_HOLDS:
                self.exceeded = (f"Memory limit (total) exceeded: the server holds {held} bytes and the "
                                 f"machine has {available} of {total} bytes left")
        if self.exceeded is not None:
            self.session.cancel()


class _Watcher:
    """The thread that checks the running statements' guards, started with the first of them."""

    def __init__(self) -> None:
        self._guards: set[MemoryGuard] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, guard: MemoryGuard) -> None:
        with self._lock:
            self._guards.add(guard)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="clickhouse-memory-guard", daemon=True)
                self._thread.start()

    def remove(self, guard: MemoryGuard) -> None:
        with self._lock:
            self._guards.discard(guard)

    def _run(self) -> None:
        while True:
            time.sleep(_INTERVAL)
            with self._lock:
                guards = list(self._guards)
            if guards:
                held, machine = _resident(), _machine()
                for guard in guards:
                    guard.check(held, machine)


_WATCHER = _Watcher()


def forget_frames(error: BaseException) -> None:
    """Drop the tracebacks of ``error`` and of the errors it was raised from or during: the frames
    they keep hold the failed statement's batches."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        node.__traceback__ = None
        pending.extend(e for e in (node.__cause__, node.__context__) if e is not None)
