"""Advisory locks: pg_advisory_lock and friends, locks on numbers that applications choose.

PostgreSQL's advisory locks, per database: exclusive or shared, re-entrant (a session that
takes a lock twice must release it twice). Session-level locks (pg_advisory_lock...) are held
until released or until the session ends; transaction-level ones (pg_advisory_xact_lock...)
until the transaction ends, or until a ROLLBACK TO a savepoint set before them, and cannot be
released by hand. Both levels of one session count as one holder, as in PostgreSQL. Drivers
use them too: asyncpg's pool resets every connection it takes back with
``pg_advisory_unlock_all()`` (which leaves transaction-level locks alone). A waiting lock
honours cancel, statement_timeout and lock_timeout.

A lock is named by one bigint or by two ints; the two spaces are distinct, as in PostgreSQL.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

import attrs
import pyarrow as pa

from helios_core import statement_gate
from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions.registry import scalar
from helios_core.sql.functions.vec import Vec, full
from helios_core.sql.routines import notices as routine_notices


@attrs.define
class _Holds:
    """One session's holds of one lock: session-level and transaction-level counts per mode."""

    exclusive: int = 0
    shared: int = 0
    exclusive_xact: int = 0
    shared_xact: int = 0

    def holds_exclusive(self) -> bool:
        return bool(self.exclusive or self.exclusive_xact)

    def holds_shared(self) -> bool:
        return bool(self.shared or self.shared_xact)

    def empty(self) -> bool:
        return not (self.exclusive or self.shared or self.exclusive_xact or self.shared_xact)


@attrs.define(eq=False)
class AdvisoryLockTable:
    """Who holds which advisory lock in one engine: (database, key) -> pid -> counts."""

    _cond: threading.Condition = attrs.Factory(threading.Condition)
    _locks: dict[tuple, dict[int, _Holds]] = attrs.Factory(dict)

    def _grantable(self, name: tuple, pid: int, shared: bool) -> bool:
        others = [h for p, h in self._locks.get(name, {}).items() if p != pid]
        if shared:
            return not any(h.holds_exclusive() for h in others)
        return not any(not h.empty() for h in others)

    def acquire(self, name: tuple, pid: int, *, shared: bool, wait: bool, session: Any,
                xact: bool = False) -> bool:
        """Take the lock (waiting while ``wait``); False when it is taken and we may not wait."""
        lock_ms = _lock_timeout_ms(session)
        give_up = time.monotonic() + lock_ms / 1000 if lock_ms else None
        with self._cond:
            while not self._grantable(name, pid, shared):
                if not wait:
                    return False
                if give_up is not None and time.monotonic() >= give_up:
                    raise HeliosError("canceling statement due to lock timeout", sqlstate="55P03")
                with statement_gate.waiting():
                    self._cond.wait(0.05)
                    check = getattr(session, "check_cancel", None)
                    if check is not None:
                        check()  # cancel / statement_timeout end the wait
            holds = self._locks.setdefault(name, {}).setdefault(pid, _Holds())
            field = ("shared" if shared else "exclusive") + ("_xact" if xact else "")
            setattr(holds, field, getattr(holds, field) + 1)
            return True

    def release(self, name: tuple, pid: int, *, shared: bool, xact: bool = False) -> bool:
        """One hold of ``name`` at the given level and mode goes; False when there is none."""
        field = ("shared" if shared else "exclusive") + ("_xact" if xact else "")
        with self._cond:
            holds = self._locks.get(name, {}).get(pid)
            if holds is None or getattr(holds, field) == 0:
                return False
            setattr(holds, field, getattr(holds, field) - 1)
            self._forget_if_empty(name, pid, holds)
            self._cond.notify_all()
            return True

    def release_all(self, pid: int, *, session_level: bool = True, xact_level: bool = True) -> None:
        """Every hold of ``pid`` at the chosen levels goes (pg_advisory_unlock_all: session level;
        transaction end: transaction level; session end: both)."""
        with self._cond:
            for name in [n for n, by_pid in self._locks.items() if pid in by_pid]:
                holds = self._locks[name][pid]
                if session_level:
                    holds.exclusive = holds.shared = 0
                if xact_level:
                    holds.exclusive_xact = holds.shared_xact = 0
                self._forget_if_empty(name, pid, holds)
            self._cond.notify_all()

    def _forget_if_empty(self, name: tuple, pid: int, holds: _Holds) -> None:
        if holds.empty():
            del self._locks[name][pid]
            if not self._locks[name]:
                del self._locks[name]

    def held(self) -> list[tuple[tuple, int, bool]]:
        """(lock name, pid, exclusive) of every lock mode held: pg_locks' advisory rows (a session
        holding a lock in both modes has two rows)."""
        with self._cond:
            out = []
            for name, by_pid in self._locks.items():
                for pid, h in by_pid.items():
                    if h.holds_exclusive():
                        out.append((name, pid, True))
                    if h.holds_shared():
                        out.append((name, pid, False))
            return out


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


def at_transaction_end(session: Any) -> None:
    """The transaction ended (commit or rollback): its transaction-level locks go."""
    if not getattr(session, "advisory_xact_holds", None):
        return
    session.advisory_xact_holds = []
    table_of(session.engine).release_all(session.pid, session_level=False)


def at_rollback_to(session: Any, depth: int) -> None:
    """ROLLBACK TO the savepoint at index ``depth``: locks taken after it was set go."""
    holds = getattr(session, "advisory_xact_holds", None)
    if not holds:
        return
    table = table_of(session.engine)
    keep = []
    for name, shared, at_depth in holds:
        if at_depth > depth:
            table.release(name, session.pid, shared=shared, xact=True)
        else:
            keep.append((name, shared, at_depth))
    session.advisory_xact_holds = keep


def at_release_savepoint(session: Any, depth: int) -> None:
    """RELEASE of the savepoint at index ``depth``: its locks now belong to the enclosing level."""
    holds = getattr(session, "advisory_xact_holds", None)
    if holds:
        session.advisory_xact_holds = [(n, sh, min(d, depth)) for n, sh, d in holds]


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


def _lock_fn(*, shared: bool, wait: bool, xact: bool = False):
    def impl(args: list[Vec]) -> Vec:
        s = _session()
        names, scalar_ = _names(args, "pg_advisory_lock")
        table = table_of(s.engine)
        out = []
        for name in names:
            if name is None:
                out.append(None)
                continue
            got = table.acquire((s.database, name), s.pid, shared=shared, wait=wait, session=s, xact=xact)
            if got and xact:  # remembered with the savepoint depth it was taken at
                holds = getattr(s, "advisory_xact_holds", None)
                if holds is None:
                    holds = s.advisory_xact_holds = []
                holds.append(((s.database, name), shared, len(s.tx.savepoints)))
            out.append(got)
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
            released = table.release((s.database, name), s.pid, shared=shared)
            if not released:
                mode = "ShareLock" if shared else "ExclusiveLock"
                warning = HeliosError(f"you don't own a lock of type {mode}", sqlstate="01000")
                warning.severity = "WARNING"
                routine_notices.emit(s, warning)
            out.append(released)
        return Vec(pa.array(out, pa.bool_()), T.BOOL, scalar_)

    return impl


for _suffix, _shared in (("", False), ("_shared", True)):
    scalar(f"pg_advisory_lock{_suffix}", nargs=(1, 2), volatile=True)(_lock_fn(shared=_shared, wait=True))
    scalar(f"pg_try_advisory_lock{_suffix}", nargs=(1, 2), volatile=True)(_lock_fn(shared=_shared, wait=False))
    scalar(f"pg_advisory_unlock{_suffix}", nargs=(1, 2), volatile=True)(_unlock_fn(shared=_shared))
    scalar(f"pg_advisory_xact_lock{_suffix}", nargs=(1, 2), volatile=True)(
        _lock_fn(shared=_shared, wait=True, xact=True))
    scalar(f"pg_try_advisory_xact_lock{_suffix}", nargs=(1, 2), volatile=True)(
        _lock_fn(shared=_shared, wait=False, xact=True))


@scalar("pg_advisory_unlock_all", nargs=0, volatile=True)
def _unlock_all(args: list[Vec]) -> Vec:
    s = _session()
    table_of(s.engine).release_all(s.pid, xact_level=False)
    return Vec(pa.nulls(1, pa.null()), T.VOID, True)

