"""Advisory locks: pg_advisory_lock and friends, locks on numbers that applications choose.

PostgreSQL's session-level advisory locks, per database: exclusive or shared, re-entrant (a
session that takes a lock twice must release it twice), held until released or until the
session ends. Drivers use them too: asyncpg's pool resets every connection it takes back with
``pg_advisory_unlock_all()``. A waiting pg_advisory_lock honours cancel, statement_timeout and
lock_timeout. Transaction-level variants (pg_advisory_xact_lock...) are not provided: calling
one is "function does not exist".

A lock is named by one bigint or by two ints; the two spaces are distinct, as in PostgreSQL.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

import attrs
import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions.registry import scalar
from helios_core.sql.functions.vec import Vec, full


@attrs.define
class _Holds:
    exclusive: int = 0
    shared: int = 0


@attrs.define(eq=False)
class AdvisoryLockTable:
    """Who holds which advisory lock in one engine: (database, key) -> pid -> counts."""

    _cond: threading.Condition = attrs.Factory(threading.Condition)
    _locks: dict[tuple, dict[int, _Holds]] = attrs.Factory(dict)

    def _grantable(self, name: tuple, pid: int, shared: bool) -> bool:
        others = [h for p, h in self._locks.get(name, {}).items() if p != pid]
        if shared:
            return not any(h.exclusive for h in others)
        return not any(h.exclusive or h.shared for h in others)

    def acquire(self, name: tuple, pid: int, *, shared: bool, wait: bool, session: Any) -> bool:
        """Take the lock (waiting while ``wait``); False when it is taken and we may not wait."""
        lock_ms = _lock_timeout_ms(session)
        give_up = time.monotonic() + lock_ms / 1000 if lock_ms else None
        with self._cond:
            while not self._grantable(name, pid, shared):
                if not wait:
                    return False
                if give_up is not None and time.monotonic() >= give_up:
                    raise HeliosError("canceling statement due to lock timeout", sqlstate="55P03")
                self._cond.wait(0.05)
                check = getattr(session, "check_cancel", None)
                if check is not None:
                    check()  # cancel / statement_timeout end the wait
            holds = self._locks.setdefault(name, {}).setdefault(pid, _Holds())
            if shared:
                holds.shared += 1
            else:
                holds.exclusive += 1
            return True

    def release(self, name: tuple, pid: int, *, shared: bool) -> bool:
        with self._cond:
            holds = self._locks.get(name, {}).get(pid)
            if holds is None or (holds.shared if shared else holds.exclusive) == 0:
                return False
            if shared:
                holds.shared -= 1
            else:
                holds.exclusive -= 1
            if not holds.shared and not holds.exclusive:
                del self._locks[name][pid]
                if not self._locks[name]:
                    del self._locks[name]
            self._cond.notify_all()
            return True

    def release_all(self, pid: int) -> None:
        with self._cond:
            for name in [n for n, by_pid in self._locks.items() if pid in by_pid]:
                del self._locks[name][pid]
                if not self._locks[name]:
                    del self._locks[name]
            self._cond.notify_all()

    def held(self) -> list[tuple[tuple, int, bool]]:
        """(lock name, pid, exclusive) of every lock held: pg_locks' advisory rows."""
        with self._cond:
            return [(name, pid, bool(h.exclusive)) for name, by_pid in self._locks.items()
                    for pid, h in by_pid.items()]


_TABLES: weakref.WeakKeyDictionary[Any, AdvisoryLockTable] = weakref.WeakKeyDictionary()
_TABLES_LOCK = threading.Lock()


def table_of(engine: Any) -> AdvisoryLockTable:
    with _TABLES_LOCK:
        table = _TABLES.get(engine)
        if table is None:
            table = _TABLES[engine] = AdvisoryLockTable()
        return table


def release_session_locks(session: Any) -> None:
    """A session ends: its advisory locks go (the session calls this when it closes)."""
    with _TABLES_LOCK:
        table = _TABLES.get(session.engine)
    if table is not None:
        table.release_all(session.pid)


def _lock_timeout_ms(session: Any) -> int:
    from helios_core.sql.settings import parse_duration_ms

    value = session.settings_obj.get("lock_timeout") if hasattr(session, "settings_obj") else "0"
    return parse_duration_ms(value or "0", "lock_timeout")


def _session() -> Any:
    from helios_core.sql.catalog_views.functions import ACTIVE_SESSION

    s = ACTIVE_SESSION.get()
    if s is None or not hasattr(s, "engine"):
        raise HeliosError("advisory locks need a session", sqlstate="0A000")
    return s


def _names(args: list[Vec], fname: str) -> tuple[list[tuple | None], bool]:
    """Lock names of each row: ('k', bigint) or ('kk', int, int); None where a key is NULL."""
    from helios_core.sql.functions.cast import cast

    if len(args) == 1:
        arrays, scalar_ = full([cast(args[0], T.INT8)])
        return [None if k is None else ("k", k) for k in arrays[0].to_pylist()], scalar_
    arrays, scalar_ = full([cast(args[0], T.INT4), cast(args[1], T.INT4)])
    return [None if a is None or b is None else ("kk", a, b)
            for a, b in zip(arrays[0].to_pylist(), arrays[1].to_pylist(), strict=True)], scalar_


def _lock_fn(*, shared: bool, wait: bool):
    def impl(args: list[Vec]) -> Vec:
        s = _session()
        names, scalar_ = _names(args, "pg_advisory_lock")
        table = table_of(s.engine)
        out = []
        for name in names:
            if name is None:
                out.append(None)
                continue
            out.append(table.acquire((s.database, name), s.pid, shared=shared, wait=wait, session=s))
        if wait:
            return Vec(pa.nulls(len(out), pa.null()), T.VOID, scalar_)
        return Vec(pa.array(out, pa.bool_()), T.BOOL, scalar_)

    return impl


def _unlock_fn(*, shared: bool):
    def impl(args: list[Vec]) -> Vec:
        s = _session()
        names, scalar_ = _names(args, "pg_advisory_unlock")
        table = table_of(s.engine)
        out = []
        for name in names:
            if name is None:
                out.append(None)
                continue
            out.append(table.release((s.database, name), s.pid, shared=shared))
        return Vec(pa.array(out, pa.bool_()), T.BOOL, scalar_)

    return impl


for _suffix, _shared in (("", False), ("_shared", True)):
    scalar(f"pg_advisory_lock{_suffix}", nargs=(1, 2), volatile=True)(_lock_fn(shared=_shared, wait=True))
    scalar(f"pg_try_advisory_lock{_suffix}", nargs=(1, 2), volatile=True)(_lock_fn(shared=_shared, wait=False))
    scalar(f"pg_advisory_unlock{_suffix}", nargs=(1, 2), volatile=True)(_unlock_fn(shared=_shared))


@scalar("pg_advisory_unlock_all", nargs=0, volatile=True)
def _unlock_all(args: list[Vec]) -> Vec:
    s = _session()
    table_of(s.engine).release_all(s.pid)
    return Vec(pa.nulls(1, pa.null()), T.VOID, True)

