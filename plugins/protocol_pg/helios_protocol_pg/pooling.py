"""Transaction pooling, as PgBouncer's ``pool_mode = transaction``: many clients, few engine sessions.

With ``[protocols.postgres] pool_mode = "transaction"`` a client connection holds an engine
session only while it runs a transaction (from its first statement to the ReadyForQuery
that reports it idle); then the session goes back to the pool of its (database, user) pair,
which holds at most ``pool_size`` sessions. A client that finds them all busy waits, as
PgBouncer's clients do (``cl_waiting``). Clients are capped by ``max_client_conn``.

Between clients a session keeps what PgBouncer's server connections keep, with the same
exceptions PgBouncer makes: the parameters it tracks (client_encoding, DateStyle, TimeZone,
IntervalStyle, standard_conforming_strings, application_name) are set to the linked
client's values, and named protocol-level prepared statements follow the client (prepared
again on the session it gets, as PgBouncer 1.21+ does with max_prepared_statements).
A session whose client left state behind that cannot move (LISTEN, WITH HOLD cursors,
temporary tables) stays with that client until the state is gone.
"""

from __future__ import annotations

import collections
import contextlib
import time
from collections.abc import Callable
from typing import Any

import anyio

# PgBouncer's tracked parameters: startup parameter / setting name -> ParameterStatus name
TRACKED = {"client_encoding": "client_encoding", "datestyle": "DateStyle", "timezone": "TimeZone",
           "intervalstyle": "IntervalStyle", "standard_conforming_strings": "standard_conforming_strings",
           "application_name": "application_name"}


class Pool:
    """The engine sessions of one (database, user) pair and what SHOW POOLS/SERVERS/STATS report.

    Waiting clients queue in arrival order and a returned session is handed to the first of
    them directly (no wake-up of every waiter), so a thousand waiting clients cost nothing extra.
    """

    def __init__(self, database: str, user: str, size: int, paused: Callable[[], bool]) -> None:
        self.database = database
        self.user = user
        self.size = size
        self.paused = paused
        self.idle: list[Any] = []
        self.active: dict[int, Any] = {}  # engine pid -> session linked to a client (or being handed to one)
        self.opened_at: dict[int, float] = {}
        self.used_at: dict[int, float] = {}
        self.opening = 0
        self.waiters: collections.deque[tuple[anyio.Event, list[Any], float]] = collections.deque()
        # SHOW STATS counters (times in microseconds, as PgBouncer reports them)
        self.xact_count = 0
        self.query_count = 0
        self.xact_us = 0
        self.query_us = 0
        self.wait_us = 0
        self.received = 0
        self.sent = 0

    @property
    def total(self) -> int:
        return len(self.idle) + len(self.active) + self.opening

    @property
    def waiting(self) -> int:
        return len(self.waiters)

    async def acquire(self, open_session: Callable[[], Any], wait_unpaused: Callable[[], Any]) -> Any:
        """A session for one transaction: an idle one, a new one while under ``size``, else wait in line."""
        started = time.monotonic()
        while True:
            await wait_unpaused()
            if self.idle:
                session = self.idle.pop()
                break
            if self.total < self.size:
                self.opening += 1
                try:
                    session = await anyio.to_thread.run_sync(open_session)
                finally:
                    self.opening -= 1
                self.opened_at[session.pid] = time.time()
                break
            event, slot = anyio.Event(), []
            entry = (event, slot, started)
            self.waiters.append(entry)
            try:
                await event.wait()
            except BaseException:
                if entry in self.waiters:
                    self.waiters.remove(entry)
                if slot:  # handed over just as we were cancelled: pass it on
                    self.release(slot[0], 0.0, count=False)
                raise
            if slot:
                session = slot[0]
                break
            # woken without a session (one was closed, or resumed): try again
        self.wait_us += int((time.monotonic() - started) * 1e6)
        self.active[session.pid] = session
        self.used_at[session.pid] = time.time()
        return session

    def release(self, session: Any, linked_for: float, *, count: bool = True) -> None:
        """Back to the pool after a transaction that lasted ``linked_for`` seconds."""
        if count:
            self.xact_count += 1
            self.xact_us += int(linked_for * 1e6)
        if self.total > self.size:  # the pool shrank (RELOAD): close what is over the size
            self.forget(session)
            _close_quietly(session)
            return
        if self.waiters and not self.paused():
            event, slot, _ = self.waiters.popleft()
            slot.append(session)  # stays counted in active while it changes hands
            event.set()
            return
        self.active.pop(session.pid, None)
        self.idle.append(session)

    def forget(self, session: Any) -> None:
        """A session that is gone (closed after a broken transaction): its slot frees up."""
        self.active.pop(session.pid, None)
        self.opened_at.pop(session.pid, None)
        self.used_at.pop(session.pid, None)
        self.wake_one()

    def wake_one(self) -> None:
        """Let the first waiter try again (a slot or an idle session became available)."""
        if self.waiters:
            event, _, _ = self.waiters.popleft()
            event.set()

    def kick(self) -> None:
        """After RESUME: hand idle sessions to the waiters, and let waiters open what the size allows."""
        while self.waiters and self.idle:
            session = self.idle.pop()
            event, slot, _ = self.waiters.popleft()
            self.active[session.pid] = session
            slot.append(session)
            event.set()
        for _ in range(max(0, self.size - self.total)):
            self.wake_one()

    def resize(self, size: int) -> None:
        self.size = size
        while self.idle and self.total > size:
            session = self.idle.pop()
            self.forget(session)
            _close_quietly(session)
        self.kick()

    def max_wait(self) -> float:
        return time.monotonic() - self.waiters[0][2] if self.waiters else 0.0


class Pooler:
    """Every pool of one PostgreSQL server, PAUSE/RESUME, and the process-wide statistics."""

    def __init__(self, pool_size: int, max_client_conn: int) -> None:
        self.pool_size = pool_size
        self.max_client_conn = max_client_conn
        self.pools: dict[tuple[str, str], Pool] = {}
        self.paused = False
        self.resumed = anyio.Event()
        self.started = time.time()

    def pool(self, database: str, user: str) -> Pool:
        key = (database, user)
        pool = self.pools.get(key)
        if pool is None:
            pool = self.pools[key] = Pool(database, user, self.pool_size, lambda: self.paused)
        return pool

    async def wait_unpaused(self) -> None:
        while self.paused:
            await self.resumed.wait()

    def pause(self) -> None:
        self.paused = True
        self.resumed = anyio.Event()

    def resume(self) -> None:
        self.paused = False
        self.resumed.set()
        for pool in self.pools.values():
            pool.kick()

    async def drained(self) -> None:
        """PAUSE returns once no session is linked to a client any more."""
        while any(p.active for p in self.pools.values()):
            await anyio.sleep(0.01)

    def resize(self, pool_size: int, max_client_conn: int) -> None:
        self.pool_size = pool_size
        self.max_client_conn = max_client_conn
        for pool in self.pools.values():
            pool.resize(pool_size)


def _close_quietly(session: Any) -> None:
    with contextlib.suppress(Exception):  # closing a session nobody uses any more
        session.close()
