"""CREATE / DROP / ALTER BRANCH as the SQL layer runs them (helios_core.sql.ddl dispatches here).

Each statement changes the storage branch (O(1) metadata) and then, in one transaction
on main, the branch's records: owner, limits, grants and a line of history. Privileges:
forking needs ``usage`` on the parent (under strict isolation); dropping and renaming need
ownership (or a superuser); setting limits needs a superuser, and a fork inherits its
parent's limits.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

from helios_core import roles
from helios_core.branching import limits, privileges, records, tiering
from helios_core.branching.policy import policy
from helios_core.engine import BOOTSTRAP_ROLE
from helios_core.errors import HeliosError, InvalidParameterValue


def create_branch(session: Any, name: str, parent: str, at_ts: int | None,
                  fork: Callable[[], None] | None = None) -> None:
    """Fork ``name``; its "create" history line is derived from the branch itself (catalog_views).

    A branch created by the bootstrap superuser needs no record at all (it is the default owner),
    so the common path costs the storage's one durable metadata write and nothing more.
    ``fork``: makes the storage branch instead of a plain fork of ``parent`` at ``at_ts`` (a branch
    restored from the WAL archive), under the same checks and records.
    """
    engine, db = session.engine, session.database
    privileges.check_use(session, parent)
    cap = policy(engine).max_branches
    if branch_count(engine.store, db) >= cap:
        raise HeliosError(f'cannot create branch "{name}": database "{db}" already has {cap} branches',
                          sqlstate="54000", hint="Raise [branching] max_branches or drop unused branches.")
    _check_role_cap(session)
    with records.reading(engine, db) as txn:
        stale = txn.catalog_get(records.META, name) is not None or txn.catalog_get(records.ACL, name) is not None
    inherited = dict(limits.limits_of(engine, db, parent))  # a fork is no way around its parent's limits
    if fork is None:
        engine.store.create_branch(db, name, parent=parent, at_ts=at_ts)
    else:
        fork()
    if stale or inherited or session.user != BOOTSTRAP_ROLE:
        with records.writing(engine, db) as txn:
            txn.catalog_delete(records.ACL, name)  # a dropped namesake's grants never carry over
            meta: dict[str, Any] = {}
            if session.user != BOOTSTRAP_ROLE:
                meta["owner"] = session.user
            if inherited:
                meta["limits"] = inherited
            if meta:
                txn.catalog_put(records.META, name, meta)
            else:
                txn.catalog_delete(records.META, name)
    limits.forget(engine, db, name)


def _check_role_cap(session: Any) -> None:
    """``[branching] max_branches_per_role``: 53400 once the role owns that many branches (superusers
    are not counted: the operator provisions tenants)."""
    engine, db = session.engine, session.database
    cap = policy(engine).max_branches_per_role
    if cap is None or roles.is_superuser(engine, session.user):
        return
    with records.reading(engine, db) as txn:
        owned = sum(1 for meta in txn.catalog_list(records.META).values() if meta.get("owner") == session.user)
    if owned >= cap:
        raise HeliosError(f'cannot create branch: role "{session.user}" already owns {owned} branches',
                          sqlstate="53400", detail=f"[branching] max_branches_per_role is {cap}.")


def creation_detail(parent: str | None, fork_ts: int | None) -> str:
    """"from main at 2024-11-30 23:59:59.000000+00": the fork point as a person reads it (UTC)."""
    if fork_ts is None:
        return f"from {parent}"
    moment = datetime.datetime.fromtimestamp(fork_ts / 1_000_000, tz=datetime.UTC)
    return f"from {parent} at {moment.strftime('%Y-%m-%d %H:%M:%S.%f')}+00"


def branch_count(store: Any, db: str) -> int:
    """How many branches ``db`` has: O(1) from the store's branch map when it exposes one."""
    dbs = getattr(store, "dbs", None)
    if isinstance(dbs, dict) and isinstance(dbs.get(db), dict):
        return len(dbs[db])
    return len(store.list_branches(db))


def drop_branch(session: Any, name: str) -> None:
    engine, db = session.engine, session.database
    privileges.check_owner(session, name, "drop")
    info = engine.store.get_branch(db, name)
    owner = records.get(engine, db, records.META, name).get("owner") or BOOTSTRAP_ROLE
    engine.store.drop_branch(db, name)
    with records.writing(engine, db) as txn:
        txn.catalog_delete(records.META, name)
        txn.catalog_delete(records.ACL, name)
        if info is not None:  # the derived "create" line goes with the branch: keep it as a record
            records.log_event(txn, info.created_ts, "create", name, owner,
                              creation_detail(info.parent, info.fork_ts))
        records.log_event(txn, engine.store.now(), "drop", name, session.user)
    limits.forget(engine, db, name)


def rename_branch(session: Any, old: str, new: str) -> None:
    engine, db = session.engine, session.database
    privileges.check_owner(session, old, "rename")
    engine.store.rename_branch(db, old, new)
    with records.writing(engine, db) as txn:
        for kind in (records.META, records.ACL):
            rec = txn.catalog_get(kind, old)
            txn.catalog_delete(kind, new)
            if rec is not None:
                txn.catalog_delete(kind, old)
                txn.catalog_put(kind, new, rec)
        records.log_event(txn, engine.store.now(), "rename", new, session.user, f"renamed from {old}")
    limits.forget(engine, db, old)
    limits.forget(engine, db, new)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|k|m|g|t)?\s*$", re.IGNORECASE)
_UNITS = {None: 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3,
          "t": 1024**4, "tb": 1024**4}


def parse_size(text: str) -> int:
    """'2GB', '512MB', '1048576' -> bytes (PostgreSQL's memory units are powers of 1024)."""
    m = _SIZE.match(str(text))
    if not m:
        raise InvalidParameterValue(f'invalid value for parameter "max_memory": "{text}"',
                                    hint='Valid units are "B", "kB", "MB", "GB" and "TB".')
    return int(float(m.group(1)) * _UNITS[m.group(2).lower() if m.group(2) else None])


def _positive_int(key: str, value: Any, high: int | None = None) -> int:
    try:
        n = int(str(value))
    except ValueError:
        raise InvalidParameterValue(f'invalid value for parameter "{key}": "{value}"') from None
    if n < 1 or (high is not None and n > high):
        bound = f"between 1 and {high}" if high else "at least 1"
        raise InvalidParameterValue(f'{n} is outside the valid range for parameter "{key}" ({bound})')
    return n


def normalize_limits(options: dict[str, Any]) -> dict[str, Any]:
    """Validate ALTER BRANCH ... SET options; 'none'/'default' removes a limit (stored as None)."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        k = key.lower()
        if str(value).lower() in ("none", "default", "unlimited"):
            out[k] = None
            continue
        if k == "max_connections":
            out[k] = _positive_int(k, value)
        elif k == "max_cpu_percent":
            out[k] = _positive_int(k, value, 100)
        elif k == "max_memory":
            n = parse_size(value)
            if n < 1:
                raise InvalidParameterValue('"max_memory" must be positive')
            out[k] = str(value).strip()
        else:
            raise HeliosError(f'unrecognized branch option "{key}"', sqlstate="22023",
                              hint="Branch options are max_connections, max_memory and max_cpu_percent.")
    return out


def set_tier(session: Any, name: str, tier: str) -> None:
    """``ALTER BRANCH b SET tier = 'cold'``: move the branch's segments now (the operator's call,
    like its limits: superusers only)."""
    privileges.check_superuser(session, f'move branch "{name}" to another tier')
    tiering.move_branch(session.engine, session.database, name, tier)
    with records.writing(session.engine, session.database) as txn:
        records.log_event(txn, session.engine.store.now(), "alter", name, session.user, f"tier = {tier}")


def set_limits(session: Any, name: str, options: dict[str, Any]) -> None:
    """Resource limits are the operator's: only a superuser sets them (a tenant owning a branch
    must not lift its own caps)."""
    engine, db = session.engine, session.database
    privileges.check_superuser(session, f'set limits of branch "{name}"')
    new = normalize_limits(options)

    def change(meta: dict) -> dict:
        lim = {k: v for k, v in {**(meta.get("limits") or {}), **new}.items() if v is not None}
        meta.setdefault("owner", session.user)
        meta["limits"] = lim
        return meta

    with records.writing(engine, db) as txn:
        records.update(txn, records.META, name, change)
        records.log_event(txn, engine.store.now(), "alter", name, session.user,
                          ", ".join(f"{k} = {v}" for k, v in sorted(new.items())))
    limits.forget(engine, db, name)
