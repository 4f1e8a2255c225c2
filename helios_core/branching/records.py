"""Where branch records live: the catalog of branch ``main`` of each database.

Kinds (key = branch name unless said otherwise):

* ``branch_meta``    {"owner", "limits": {...}, "merges": {source: {"source_ts", "target_ts"}}}
                     (shared with helios_core.sql.ddl.branch_meta, which reads owner/limits)
* ``branch_acl``     {"grants": {role: [privilege, ...]}}
* ``branch_history`` key "<ts:020d>:<seq>" -> {"ts", "event", "branch", "user", "detail"}

Keeping them on ``main`` (not on the branch itself) means dropping or renaming a branch
never loses who owned it or what happened to it, and one transaction can change the
records of several branches (a merge writes to the target's record).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

META = "branch_meta"
ACL = "branch_acl"
HISTORY = "branch_history"

_SEQ = itertools.count()


def db_key(engine: Any, db: str) -> tuple:
    """Identifies one incarnation of a database (for the branch service's caches): a dropped and
    re-created database never hits an old entry."""
    main = engine.store.get_branch(db, "main")
    return (db, main.created_ts if main is not None else None)


@contextmanager
def reading(engine: Any, db: str) -> Iterator[Any]:
    """A read-only look at main's catalog."""
    txn = engine.store.begin(db, "main", read_only=True)
    try:
        yield txn
    finally:
        txn.rollback()


@contextmanager
def writing(engine: Any, db: str) -> Iterator[Any]:
    """One committed change of main's catalog (rolled back on error)."""
    txn = engine.store.begin(db, "main")
    try:
        yield txn
        txn.commit()
    except BaseException:
        txn.rollback()
        raise
    finally:
        k = db_key(engine, db)
        service = engine.branches
        with service.lock:
            service.generations[k] = service.generations.get(k, 0) + 1


def get(engine: Any, db: str, kind: str, name: str) -> dict:
    with reading(engine, db) as txn:
        return txn.catalog_get(kind, name) or {}


def list_kind(engine: Any, db: str, kind: str) -> dict[str, dict]:
    with reading(engine, db) as txn:
        return txn.catalog_list(kind)


def cached_list(engine: Any, db: str, kind: str) -> dict[str, dict]:
    """``list_kind`` served from memory until the next ``writing`` on ``db`` (only this module writes
    these kinds), so listing 5,000 branches does not re-parse 5,000 records. Treat the result as
    read-only."""
    service = engine.branches
    dk = db_key(engine, db)
    gen = service.generations.get(dk, 0)
    key = (dk, kind)
    hit = service.record_cache.get(key)
    if hit is not None and hit[0] == gen:
        return hit[1]
    value = list_kind(engine, db, kind)
    with service.lock:
        if service.generations.get(dk, 0) == gen:
            service.record_cache[key] = (gen, value)
    return value


def update(txn: Any, kind: str, name: str, change: Callable[[dict], dict | None]) -> dict | None:
    """Read-modify-write one record inside ``txn``; ``change`` returning None deletes it."""
    new = change(dict(txn.catalog_get(kind, name) or {}))
    if new is None:
        txn.catalog_delete(kind, name)
    else:
        txn.catalog_put(kind, name, new)
    return new


def log_event(txn: Any, ts: int, event: str, branch: str, user: str, detail: str | None = None) -> None:
    """Append one line of heliosdb.branch_history inside ``txn``."""
    key = f"{ts:020d}:{next(_SEQ):09d}"
    txn.catalog_put(HISTORY, key, {"ts": ts, "event": event, "branch": branch, "user": user,
                                   "detail": detail})
