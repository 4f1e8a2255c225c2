"""``session_id``: ClickHouse state kept between HTTP requests.

A named session holds one HeliosDB session with its ClickHouse settings and database for
``session_timeout`` seconds (60 by default) after its last request. One request at a time
per session: a second concurrent one gets ClickHouse's SESSION_IS_LOCKED (373).
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import attrs

from helios_protocol_clickhouse.errors import ClickHouseError

DEFAULT_TIMEOUT = 60.0
MAX_TIMEOUT = 3600.0


@attrs.define
class NamedSession:
    key: tuple[str, str]
    ch: Any  # execute.ClickHouseSession
    timeout: float
    last_used: float
    busy: bool = False


class SessionRegistry:
    """Named sessions by (user, session_id); expired ones are closed on the next lookup."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, str], NamedSession] = {}
        self._lock = threading.Lock()

    def acquire(self, user: str, session_id: str, timeout: float, check: bool, create: Any) -> NamedSession:
        """The session (created with ``create()`` when new, unless ``check``), marked busy."""
        key = (user, session_id)
        self._expire()
        with self._lock:
            named = self._sessions.get(key)
            if named is not None and named.busy:
                raise ClickHouseError(373, f"Session {session_id} is locked by a concurrent client")
            if named is None:
                if check:
                    raise ClickHouseError(372, f"Session {session_id} not found")
                named = NamedSession(key=key, ch=None, timeout=timeout, last_used=time.monotonic())
                self._sessions[key] = named
            named.busy = True
            named.timeout = timeout
        if named.ch is None:
            try:
                named.ch = create()
            except BaseException:
                with self._lock:
                    self._sessions.pop(key, None)
                raise
        return named

    def release(self, named: NamedSession) -> None:
        with self._lock:
            named.busy = False
            named.last_used = time.monotonic()

    def _expire(self) -> None:
        now = time.monotonic()
        with self._lock:
            dead = [k for k, s in self._sessions.items() if not s.busy and now - s.last_used > s.timeout]
            closing = [self._sessions.pop(k) for k in dead]
        for named in closing:
            _close(named)

    def close_all(self) -> None:
        with self._lock:
            closing = list(self._sessions.values())
            self._sessions.clear()
        for named in closing:
            _close(named)


def _close(named: NamedSession) -> None:
    if named.ch is not None:
        with contextlib.suppress(Exception):  # closing a dead session must not fail the others
            named.ch.session.close()


class SessionPool:
    """Idle sessions for requests without a session_id, by (role, branch): opening one costs far
    more than a small query. A session goes back with its ClickHouse state reset (settings,
    database) and only when no transaction is left open."""

    def __init__(self, per_key: int = 8) -> None:
        self._idle: dict[tuple[str, str], list[Any]] = {}
        self._lock = threading.Lock()
        self.per_key = per_key

    def acquire(self, key: tuple[str, str], create: Any) -> Any:
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop()
        return create()

    def release(self, key: tuple[str, str], ch: Any) -> None:
        ch.settings = {}
        ch.database = "default"
        reusable = getattr(ch.session, "transaction_state", "idle") == "idle"
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if reusable and len(idle) < self.per_key:
                idle.append(ch)
                return
        with contextlib.suppress(Exception):
            ch.session.close()

    def close_all(self) -> None:
        with self._lock:
            sessions = [ch for idle in self._idle.values() for ch in idle]
            self._idle.clear()
        for ch in sessions:
            with contextlib.suppress(Exception):
                ch.session.close()
