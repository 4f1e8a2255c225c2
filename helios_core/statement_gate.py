"""Statements of different sessions take turns on the interpreter instead of contending for it.

CPython runs one thread's Python at a time (the GIL). Statements run by protocol servers in
worker threads let go of it at every Arrow call, fsync and socket write; with several
statements running, each such call hands the interpreter to another statement and the first
then waits for it back. At 8 concurrent 1,000-row INSERTs the server's system time per batch rose
fivefold and each statement's own CPU by half, for no added parallelism. Here a statement runs
its Python while the others wait their turn, in arrival order, and it gives the turn away
whenever it waits for something else: a lock, its commit's fsync, the client. The second core
then does what truly runs in parallel (fsync, compression, Arrow kernels, the event loops'
socket work) and the statements' CPU stays what it is alone.

Worker threads of protocol plugins wrap each statement in ``running()``; anything that waits
wraps the wait in ``waiting()``; the executor's cancellation checks call ``take_turn()`` so a
long statement lets others in every ``TURN`` seconds. A wait that is not wrapped only costs
latency: when the statement in turn has kept it ``PATIENCE`` without handing it over, the
waiting statements run anyway. Reentrant: a statement that runs SQL (functions, triggers) keeps
its turn. Nothing here changes results.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["PATIENCE", "TURN", "configure", "running", "take_turn", "waiting"]

PATIENCE = 0.05  # seconds one statement may keep the others waiting before they run anyway
TURN = 0.01  # seconds a statement may keep the turn while others wait (checked between batches)


class _Gate:
    """A first-come first-served turn that a waiting thread gives up on after ``patience``."""

    def __init__(self) -> None:
        self.mutex = threading.Lock()
        self.owner: int | None = None
        self.since = 0.0
        self.queue: deque[tuple[int, threading.Event]] = deque()

    def acquire(self, me: int, patience: float, first: bool = False) -> bool:
        """Wait for the turn (``first``: ahead of the queue); False when the statement in turn
        kept it past ``patience``."""
        with self.mutex:
            if self.owner is None:
                self.owner, self.since = me, time.monotonic()
                return True
            ticket = (me, threading.Event())
            if first:
                self.queue.appendleft(ticket)
            else:
                self.queue.append(ticket)
        while True:  # the queue moves as long as each holder hands over within ``patience``
            if ticket[1].wait(max(0.0, self.since + patience - time.monotonic())):
                return True
            with self.mutex:
                if ticket[1].is_set():  # handed over as the patience ran out
                    return True
                if time.monotonic() >= self.since + patience:
                    self.queue.remove(ticket)
                    return False

    def release(self) -> None:
        with self.mutex:
            if self.queue:
                me, event = self.queue.popleft()
                self.owner, self.since = me, time.monotonic()
                event.set()
            else:
                self.owner = None


_GATE = _Gate()
_ENABLED = True
_local = threading.local()


def configure(enabled: bool) -> None:
    """On (the default) or off for the whole process (the server's ``statement_turns`` setting)."""
    global _ENABLED
    _ENABLED = enabled


def _state() -> list:
    """[depth of running(), holds the turn, may take it again after a wait, depth of waiting()]"""
    state = getattr(_local, "state", None)
    if state is None:
        state = _local.state = [0, False, False, 0]
    return state


@contextmanager
def running() -> Iterator[None]:
    """Around one statement in a worker thread: its Python runs in its turn."""
    state = _state()
    if state[0]:
        state[0] += 1
        try:
            yield
        finally:
            state[0] -= 1
        return
    state[0] = 1
    state[1] = state[2] = _ENABLED and _GATE.acquire(threading.get_ident(), PATIENCE)
    try:
        yield
    finally:
        state[0] = 0
        state[2] = False
        if state[1]:
            state[1] = False
            _GATE.release()


@contextmanager
def waiting(resume: bool = False) -> Iterator[None]:
    """Around anything that waits (a lock, fsync, the client): others run meanwhile. The turn is
    taken again at the statement's next ``take_turn()``: the caller may hold a mutex that the
    statement in turn needs. ``resume``: right after the wait, ahead of the queue (a commit after
    its fsync, about to finish); only for callers that hold no such mutex."""
    state = _state()
    if state[1]:
        state[1] = False
        _GATE.release()
    state[3] += 1  # the cancellation checks a wait makes take no turn
    try:
        yield
    finally:
        state[3] -= 1
        if resume and not state[3] and state[2]:  # ahead of the others: it was in turn before the wait
            state[1] = state[2] = _GATE.acquire(threading.get_ident(), PATIENCE, first=True)


def take_turn() -> None:
    """Between batches: take the turn back after a wait; past ``TURN``, let the waiting go first."""
    state = getattr(_local, "state", None)
    if state is None or not state[0] or state[3]:
        return
    if state[1]:
        if not _GATE.queue or time.monotonic() - _GATE.since < TURN:
            return
        state[1] = False
        _GATE.release()
    if state[2]:
        state[1] = state[2] = _GATE.acquire(threading.get_ident(), PATIENCE)
