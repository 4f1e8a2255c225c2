"""heliosdb.branches and heliosdb.branch_history: the branches of the session's database.

heliosdb.branches: name, parent, fork_timestamp (the parent's state it reads), created, owner,
rows / bytes (live row versions and bytes of the versions the branch wrote itself: what
DROP BRANCH frees), limits (text) and max_connections / max_memory / max_cpu_percent,
connections (sessions on it now), last_used (last statement or connect since the server
started), queued_statements (statements max_cpu_percent made wait).

heliosdb.branch_history: event_time, branch, event (create | drop | rename | alter | grant |
revoke | merge), role, detail.

Under strict isolation a role sees only the branches it may read (usage or
cross-branch read, ownership, superuser), and only their history: the existence of
another tenant's branch is not something to learn from a catalog view.

Built vectorized: one pass over the store's branch list (O(1) metadata each), one catalog
scan for owners/limits and one for grants, so listing 5,000 branches is a few ms of Arrow.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from helios_core.branching import lifecycle, privileges, records, usage
from helios_core.branching.policy import is_strict
from helios_core.engine import BOOTSTRAP_ROLE
from helios_core.hookspecs import VirtualTable
from helios_core.sql import types

_TS = pa.timestamp("us", tz="UTC")


def _visible_filter(session: Any, names: list[str], meta: dict[str, dict], acl: dict[str, dict]) -> list[bool]:
    engine = session.engine
    roles, superuser = privileges.effective_roles(engine, session.user)
    if superuser:
        return [True] * len(names)
    strict = is_strict(engine)
    out = []
    for n in names:
        if n == session.branch or meta.get(n, {}).get("owner") in roles:
            out.append(True)
            continue
        rec = acl.get(n)
        if rec is None and n == "main":
            rec = {"grants": {privileges.PUBLIC: [privileges.USAGE]}}
        grants = (rec or {}).get("grants", {})
        held = set().union(*[set(grants.get(r, ())) for r in roles]) if grants else set()
        out.append(privileges.CROSS_READ in held or (privileges.USAGE in held if strict else True))
    return out


def branches_table(session: Any) -> pa.Table:
    engine, db = session.engine, session.database
    store = engine.store
    infos = store.list_branches(db)
    meta = records.cached_list(engine, db, records.META)
    acl = records.cached_list(engine, db, records.ACL)
    names = [b.name for b in infos]
    keep = _visible_filter(session, names, meta, acl)
    infos = [b for b, k in zip(infos, keep, strict=True) if k]
    conns: dict[str, int] = {}
    for s in list(engine.sessions.values()):
        if s.database == db:
            conns[s.branch] = conns.get(s.branch, 0) + 1
    usage_of = usage.owned_many(store, db)
    owner = []
    rows, nbytes, lim_text, max_conn, max_mem, max_cpu, last, queued = [], [], [], [], [], [], [], []
    activity = engine.branches.activity
    dk = records.db_key(engine, db)
    for b in infos:
        m = meta.get(b.name)
        r, n = usage_of(b.name)
        rows.append(r)
        nbytes.append(n)
        if m:
            owner.append(m.get("owner") or BOOTSTRAP_ROLE)
            lim = m.get("limits") or {}
        else:
            owner.append(BOOTSTRAP_ROLE)
            lim = {}
        if lim:
            lim_text.append(", ".join(f"{k} = {v}" for k, v in sorted(lim.items())))
            max_conn.append(lim.get("max_connections"))
            max_mem.append(lim.get("max_memory"))
            max_cpu.append(lim.get("max_cpu_percent"))
        else:
            lim_text.append(None)
            max_conn.append(None)
            max_mem.append(None)
            max_cpu.append(None)
        act = activity.get((dk, b.name))
        last.append(act.last_used if act is not None else None)
        queued.append(act.queued_statements if act is not None else 0)
    return pa.table({
        "name": pa.array([b.name for b in infos], pa.string()),
        "parent": pa.array([b.parent for b in infos], pa.string()),
        "fork_timestamp": pa.array([b.fork_ts for b in infos], pa.int64()).cast(_TS),
        "created": pa.array([b.created_ts for b in infos], pa.int64()).cast(_TS),
        "owner": pa.array(owner, pa.string()),
        "rows": pa.array(rows, pa.int64()),
        "bytes": pa.array(nbytes, pa.int64()),
        "limits": pa.array(lim_text, pa.string()),
        "max_connections": pa.array(max_conn, pa.int32()),
        "max_memory": pa.array(max_mem, pa.string()),
        "max_cpu_percent": pa.array(max_cpu, pa.int32()),
        "connections": pa.array([conns.get(b.name, 0) for b in infos], pa.int32()),
        "last_used": pa.array(last, pa.int64()).cast(_TS),
        "queued_statements": pa.array(queued, pa.int64()),
    })


def history_table(session: Any) -> pa.Table:
    engine, db = session.engine, session.database
    with records.reading(engine, db) as txn:
        events = txn.catalog_list(records.HISTORY)
        meta = txn.catalog_list(records.META)
        acl = txn.catalog_list(records.ACL)
    infos = engine.store.list_branches(db)
    live = {b.name for b in infos}
    rows = list(events.values())
    for b in infos:  # live branches' creation is derived from the branch itself (lifecycle.create_branch)
        if b.parent is not None:
            rows.append({"ts": b.created_ts, "event": "create", "branch": b.name,
                         "user": (meta.get(b.name) or {}).get("owner") or BOOTSTRAP_ROLE,
                         "detail": lifecycle.creation_detail(b.parent, b.fork_ts)})
    rows.sort(key=lambda r: (r["ts"], r["event"] != "create"))
    names = sorted({r["branch"] for r in rows})
    roles, superuser = privileges.effective_roles(engine, session.user)
    if not superuser:
        # a dropped branch's history is visible to whoever acted on it; live branches by privilege
        ok = dict(zip(names, _visible_filter(session, names, meta, acl), strict=True))
        rows = [r for r in rows if (ok[r["branch"]] and r["branch"] in live) or r["user"] in roles]
    return pa.table({
        "event_time": pa.array([r["ts"] for r in rows], pa.int64()).cast(_TS),
        "branch": pa.array([r["branch"] for r in rows], pa.string()),
        "event": pa.array([r["event"] for r in rows], pa.string()),
        "role": pa.array([r["user"] for r in rows], pa.string()),
        "detail": pa.array([r.get("detail") for r in rows], pa.string()),
    })


BRANCH_COLUMNS = [
    ("name", types.TEXT), ("parent", types.TEXT), ("fork_timestamp", types.TIMESTAMPTZ),
    ("created", types.TIMESTAMPTZ), ("owner", types.TEXT), ("rows", types.INT8), ("bytes", types.INT8),
    ("limits", types.TEXT), ("max_connections", types.INT4), ("max_memory", types.TEXT),
    ("max_cpu_percent", types.INT4), ("connections", types.INT4), ("last_used", types.TIMESTAMPTZ),
    ("queued_statements", types.INT8),
]
HISTORY_COLUMNS = [
    ("event_time", types.TIMESTAMPTZ), ("branch", types.TEXT), ("event", types.TEXT), ("role", types.TEXT),
    ("detail", types.TEXT),
]


def virtual_tables() -> list[VirtualTable]:
    """heliosdb.branches and heliosdb.branch_history, as the built-in branching plugin offers them
    (``helios_virtual_tables``, helios_core.branching.plugin)."""
    return [
        VirtualTable(schema="heliosdb", name="branches", columns=[(n, t.sql_name()) for n, t in BRANCH_COLUMNS],
                     produce=branches_table),
        VirtualTable(schema="heliosdb", name="branch_history",
                     columns=[(n, t.sql_name()) for n, t in HISTORY_COLUMNS], produce=history_table),
    ]
