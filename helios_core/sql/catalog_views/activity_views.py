"""pg_stat_user_tables, pg_stat_user_indexes and pg_locks over the engine's live state.

Table counters come from the store's per-table activity (helios_core.storage.table_activity):
sequential scans and the rows they produced, primary-key lookups (index scans) and the rows
they found, rows inserted, updated and deleted, since the server started. Live and dead row
counts are those of the versions the session's branch itself holds (a branch's inherited rows
are its parent's). pg_locks lists each open transaction's virtual transaction id, the table
locks held or awaited, and the advisory locks, with PostgreSQL's lock mode names.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from helios_core.sql import advisory_locks, maintenance
from helios_core.sql.catalog_views.model import CatalogModel
from helios_core.sql.catalog_views.pg_catalog import database_oid
from helios_core.sql.catalog_views.registry import catalog_table
from helios_core.storage.table_activity import (
    IDX_SCAN,
    IDX_TUP_FETCH,
    N_TUP_DEL,
    N_TUP_INS,
    N_TUP_UPD,
    SEQ_SCAN,
    SEQ_TUP_READ,
)
from helios_core.storage.versions import MAX_TS

PG = "pg_catalog"
_TABLE_MODES = {"write": "RowExclusiveLock", "exclusive": "AccessExclusiveLock"}
_USER_SCHEMA_EXCLUDED = ("pg_catalog", "information_schema", "heliosdb")


def _store(model: CatalogModel) -> Any:
    engine = getattr(model.session, "engine", None)
    return getattr(engine, "store", None)


def _live_dead(model: CatalogModel, schema: str, name: str) -> tuple[int, int]:
    """Row versions of the table that the session's branch holds itself: (current, ended)."""
    try:
        txn = model.session.tx.current()
        t = txn._def(schema, name)
        branch = txn._branch
    except Exception:  # noqa: BLE001 - a catalog view must not break a query
        return 0, 0
    layer = branch.layers.get(t.data_id) if branch is not None else None
    if layer is None:
        return 0, 0
    live = dead = 0
    for chunk in list(layer.chunks.values()):
        created = chunk.created
        if isinstance(created, int) and created < 0:
            continue  # written by a transaction still open
        ended = chunk.ended
        current = int(np.count_nonzero(ended == MAX_TS))
        live += current
        dead += len(ended) - current
    tombs = len(layer.tomb)
    return max(0, live - tombs), dead + tombs


@catalog_table(PG, "pg_stat_user_tables", """relid oid, schemaname name, relname name, seq_scan int8,
    seq_tup_read int8, idx_scan int8, idx_tup_fetch int8, n_tup_ins int8, n_tup_upd int8, n_tup_del int8,
    n_tup_hot_upd int8, n_live_tup int8, n_dead_tup int8, n_mod_since_analyze int8, n_ins_since_vacuum int8,
    last_vacuum timestamptz, last_autovacuum timestamptz, last_analyze timestamptz,
    last_autoanalyze timestamptz, vacuum_count int8, autovacuum_count int8, analyze_count int8,
    autoanalyze_count int8""")
def pg_stat_user_tables(model: CatalogModel) -> list[tuple]:
    store = _store(model)
    stats = getattr(store, "table_stats", {}) or {}
    indexed = {i.table.oid for i in model.indexes}
    rows = []
    for r in model.relations:
        if r.kind != "r" or r.schema in _USER_SCHEMA_EXCLUDED or r.schema.startswith("pg_"):
            continue
        c = stats.get(r.table_id) or [0] * 7
        live, dead = _live_dead(model, r.schema, r.name)
        has_index = r.oid in indexed
        m = (getattr(store, "maintenance_stats", None) or {}).get(r.table_id) or {}
        mods = maintenance.mods_since_analyze(store, r.table_id) if store is not None else 0
        rows.append((r.oid, r.schema, r.name, c[SEQ_SCAN], c[SEQ_TUP_READ],
                     c[IDX_SCAN] if has_index else None, c[IDX_TUP_FETCH] if has_index else None,
                     c[N_TUP_INS], c[N_TUP_UPD], c[N_TUP_DEL], 0, live, dead, mods, None,
                     m.get("last_vacuum"), None, m.get("last_analyze"), None, m.get("vacuum_count", 0), 0,
                     m.get("analyze_count", 0), 0))
    return rows


@catalog_table(PG, "pg_stat_user_indexes", """relid oid, indexrelid oid, schemaname name, relname name,
    indexrelname name, idx_scan int8, idx_tup_read int8, idx_tup_fetch int8""")
def pg_stat_user_indexes(model: CatalogModel) -> list[tuple]:
    """Primary-key indexes answer the point reads; the others count the scans that read through them."""
    store = _store(model)
    stats = getattr(store, "table_stats", {}) or {}
    per_index = getattr(store, "index_stats", {}) or {}
    rows = []
    for i in model.indexes:
        t = i.table
        if t.schema in _USER_SCHEMA_EXCLUDED or t.schema.startswith("pg_"):
            continue
        c = stats.get(t.table_id) or [0] * 7
        if i.primary:
            scans, fetched = c[IDX_SCAN], c[IDX_TUP_FETCH]
        else:
            scans, fetched = per_index.get((t.table_id, i.relation.name)) or (0, 0)
        rows.append((t.oid, i.relation.oid, t.schema, t.name, i.relation.name, scans, fetched, fetched))
    return rows


@catalog_table(PG, "pg_locks", """locktype text, database oid, relation oid, page int4, tuple int2,
    virtualxid text, transactionid int8, classid oid, objid oid, objsubid int2, virtualtransaction text,
    pid int4, mode text, granted bool, fastpath bool, waitstart timestamptz""")
def pg_locks(model: CatalogModel) -> list[tuple]:
    engine = getattr(model.session, "engine", None)
    store = getattr(engine, "store", None)
    if engine is None or store is None:
        return []
    sessions = dict(getattr(engine, "sessions", {}) or {})
    pid_of_txid: dict[int, tuple[int, str]] = {}
    rows: list[tuple] = []
    for pid, s in sorted(sessions.items()):
        txn = getattr(getattr(s, "tx", None), "txn", None)
        if txn is None or getattr(txn, "state", "") != "active":
            continue
        if getattr(s, "transaction_status", "I") == "I" and not (s is model.session or s._in_statement):
            continue  # idle between statements: no transaction of its own (a kept snapshot is not one)
        vxid = f"{pid % 1000}/{txn.txid}"
        pid_of_txid[txn.txid] = (pid, vxid)
        rows.append(("virtualxid", None, None, None, None, vxid, None, None, None, None, vxid, pid,
                     "ExclusiveLock", True, True, None))
    relation_oid = {r.table_id: r.oid for r in model.relations if r.table_id is not None}
    db_oid = database_oid(model.session.database)
    with store.mu:
        held = [(key, txid, set(modes)) for key, by_txn in store.table_locks.holders.items()
                for txid, modes in by_txn.items()]
        waiting = [(key, t.txid, mode) for key, queue in store.table_locks.queue.items() for t, mode in queue]
    for (_, table_id), txid, modes in held:
        owner = pid_of_txid.get(txid)
        if owner is None or table_id not in relation_oid:
            continue
        for mode in sorted(modes):
            rows.append(("relation", db_oid, relation_oid[table_id], None, None, None, None, None, None, None,
                         owner[1], owner[0], _TABLE_MODES.get(mode, mode), True, False, None))
    for (_, table_id), txid, mode in waiting:
        owner = pid_of_txid.get(txid)
        if owner is None or table_id not in relation_oid:
            continue
        rows.append(("relation", db_oid, relation_oid[table_id], None, None, None, None, None, None, None,
                     owner[1], owner[0], _TABLE_MODES.get(mode, mode), False, False, None))
    rows.extend(_advisory_rows(engine, sessions))
    return rows


def _advisory_rows(engine: Any, sessions: dict[int, Any]) -> list[tuple]:
    rows = []
    for (database, name), pid, exclusive in advisory_locks.table_of(engine).held():
        s = sessions.get(pid)
        vxid = f"{pid % 1000}/{s.tx.txn.txid}" if s is not None and getattr(s.tx, "txn", None) else f"{pid % 1000}/0"
        if name[0] == "k":  # one bigint key: its high and low 32 bits, objsubid 1
            key = int(name[1]) & 0xFFFFFFFFFFFFFFFF
            classid, objid, sub = key >> 32, key & 0xFFFFFFFF, 1
        else:  # two int4 keys, objsubid 2
            classid, objid, sub = int(name[1]) & 0xFFFFFFFF, int(name[2]) & 0xFFFFFFFF, 2
        rows.append(("advisory", database_oid(database), None, None, None, None, None, classid, objid, sub,
                     vxid, pid, "ExclusiveLock" if exclusive else "ShareLock", True, False, None))
    return rows
