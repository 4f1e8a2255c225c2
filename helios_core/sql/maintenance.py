"""VACUUM, ANALYZE and REINDEX: the maintenance commands, with what each observably does here.

- VACUUM garbage-collects row versions that no snapshot, branch or time-travel window can see
  any more (the store's own collection, ``Store.vacuum``), then records the run: the table's
  ``reltuples`` (pg_class) and ``last_vacuum``/``vacuum_count`` (pg_stat_user_tables), as
  PostgreSQL does. It refuses to run inside a transaction block (25001), as PostgreSQL does.
- ANALYZE refreshes the statistics HeliosDB keeps: the live row count (``reltuples``),
  ``last_analyze``/``analyze_count`` and ``n_mod_since_analyze``. It has no per-column
  histograms to build (there is no pg_statistic here).
- REINDEX locks its tables against writers (PostgreSQL takes SHARE; the store's nearest lock is
  EXCLUSIVE, which also waits for writers) and checks its target. HeliosDB's indexes (the primary-key maps, unique checks) are derived from the row
  versions by every write and never hold stale entries, so there is nothing to rebuild.

Every target is checked as PostgreSQL checks it (42P01, 42703, 3F000, unknown options 42601);
views and other relations without storage are skipped with PostgreSQL's WARNING.
"""

from __future__ import annotations

import datetime
from typing import Any

from helios_core.errors import FeatureNotSupported, HeliosError, UndefinedTable
from helios_core.session import Result
from helios_core.sql import partitions, transactions
from helios_core.sql.object_privileges import find_relation
from helios_core.storage.table_activity import N_TUP_DEL, N_TUP_INS, N_TUP_UPD

VACUUM_OPTIONS = {"full", "freeze", "verbose", "analyze", "disable_page_skipping", "skip_locked", "index_cleanup",
                  "process_toast", "truncate", "parallel"}
ANALYZE_OPTIONS = {"verbose", "skip_locked"}
REINDEX_OPTIONS = {"verbose", "concurrently", "tablespace"}


def stats_of(store: Any, table_id: int) -> dict[str, Any]:
    """The maintenance record of one table (made on first use)."""
    records = store.maintenance_stats
    rec = records.get(table_id)
    if rec is None:
        rec = records[table_id] = {"vacuum_count": 0, "analyze_count": 0, "last_vacuum": None,
                                   "last_analyze": None, "reltuples": None, "analyzed_mods": 0}
    return rec


def vacuum_or_analyze(session: Any, command: str, args: dict) -> Result:
    options = args["options"]
    known = VACUUM_OPTIONS if command == "vacuum" else ANALYZE_OPTIONS
    for name in options:
        if name not in known:
            raise HeliosError(f'unrecognized {command.upper()} option "{name}"', sqlstate="42601")
    if command == "vacuum" and session.tx.in_block:
        raise transactions.ActiveTransaction("VACUUM cannot run inside a transaction block")
    analyze = command == "analyze" or _true(options.get("analyze"))
    if command == "vacuum" and not analyze and any(cols for _, cols in args["targets"]):
        raise HeliosError("ANALYZE option must be specified when a column list is provided", sqlstate="0A000")
    session.tx.statement_start()
    txn = session.tx.current()
    notices: list[HeliosError] = []
    work: list[tuple[Any, list[str]]] = []  # (table, its column list), every relation looked up first
    if args["targets"]:
        for dotted, cols in args["targets"]:
            ref = find_relation(session, dotted, txn)
            tdef = txn.get_table(ref.schema, ref.name) if ref.kind == "table" else None
            if tdef is None:
                notices.append(transactions.warning(
                    f'skipping "{ref.name}" --- cannot {command} non-tables or special system tables', "01000"))
                continue
            work.extend((t, cols) for t in _with_partitions(txn, tdef))
    else:
        work = [(t, []) for t in txn.list_tables() if not t.schema.startswith("pg_temp")]
    if command == "vacuum":
        session.engine.store.vacuum()
    store = session.engine.store
    now = datetime.datetime.now(datetime.UTC)
    for tdef, cols in work:  # as PostgreSQL: each table vacuumed, then analyzed (where its columns are checked)
        rec = stats_of(store, tdef.table_id)
        if command == "vacuum":
            if partitions.spec(tdef) is None:  # VACUUM alone leaves a partitioned table's count
                rec["reltuples"] = float(_live_rows(txn, tdef))
            rec["vacuum_count"] += 1
            rec["last_vacuum"] = now
        if analyze:
            names = {c.name for c in tdef.columns}
            for col in cols:
                if col not in names:
                    raise HeliosError(f'column "{col}" of relation "{tdef.name}" does not exist', sqlstate="42703")
            rec["reltuples"] = float(_live_rows(txn, tdef))
            rec["analyze_count"] += 1
            rec["last_analyze"] = now
            rec["analyzed_mods"] = _modifications(store, tdef.table_id)
    return Result(command_tag="VACUUM" if command == "vacuum" else "ANALYZE", notices=notices)


def _with_partitions(txn: Any, tdef: Any) -> list[Any]:
    """A table and, for a partitioned one, every partition below it (PostgreSQL processes them all)."""
    return [tdef, *(p for c in partitions.children(txn, tdef) for p in _with_partitions(txn, c))]


def _true(value: str | None) -> bool:
    return value is not None and value not in ("false", "off", "0", "no")


def _live_rows(txn: Any, tdef: Any) -> int:
    """Rows of the table (of all its partitions, for a partitioned one)."""
    return sum(b.num_rows for leaf in partitions.leaves(txn, tdef) for b in txn.scan(leaf.schema, leaf.name, columns=[]))


def _modifications(store: Any, table_id: int) -> int:
    counts = store.table_stats.get(table_id)
    return sum(counts[i] for i in (N_TUP_INS, N_TUP_UPD, N_TUP_DEL)) if counts else 0


def mods_since_analyze(store: Any, table_id: int) -> int:
    """n_mod_since_analyze: rows written since the last ANALYZE (since start when never analyzed)."""
    rec = store.maintenance_stats.get(table_id)
    return _modifications(store, table_id) - (rec["analyzed_mods"] if rec else 0)


def reindex(session: Any, args: dict) -> Result:
    for name in args["options"]:
        if name not in REINDEX_OPTIONS:
            raise HeliosError(f'unrecognized REINDEX option "{name}"', sqlstate="42601")
    what = args["what"]
    if args["options"].get("tablespace"):
        raise FeatureNotSupported("REINDEX (TABLESPACE ...) is not supported: HeliosDB has no tablespaces")
    concurrently = args["concurrently"] or _true(args["options"].get("concurrently"))
    if session.tx.in_block and (what in ("schema", "database", "system") or concurrently):
        label = "REINDEX CONCURRENTLY" if concurrently else f"REINDEX {what.upper()}"
        raise transactions.ActiveTransaction(f"{label} cannot run inside a transaction block")
    session.tx.statement_start()
    txn = session.tx.current()
    name = args["name"]
    if what == "index":
        tables = [_table_of_index(session, txn, name)]
    elif what == "table":
        ref = find_relation(session, name, txn)
        tdef = txn.get_table(ref.schema, ref.name) if ref.kind == "table" else None
        if tdef is None:
            raise HeliosError(f'"{ref.name}" is not a table or materialized view', sqlstate="42809")
        tables = [tdef]
    elif what == "schema":
        if txn.catalog_get("schema", name) is None and name not in ("public", "pg_catalog", "information_schema"):
            raise HeliosError(f'schema "{name}" does not exist', sqlstate="3F000")
        tables = txn.list_tables(name)
    else:
        if name is not None and name != session.database:
            raise FeatureNotSupported("can only reindex the currently open database")
        tables = [] if what == "system" else txn.list_tables()
    for tdef in tables:
        txn.lock_table(tdef.schema, tdef.name, "exclusive")
    return Result(command_tag="REINDEX")


def _table_of_index(session: Any, txn: Any, dotted: str) -> Any:
    """The table whose index (a CREATE INDEX, or a primary-key / unique constraint's) is ``dotted``."""
    schema, _, name = dotted.rpartition(".")
    for sch in ([schema] if schema else session.search_path()):
        rec = txn.catalog_get("index", f"{sch}.{name}")
        if rec is not None:
            tdef = txn.get_table(rec.get("table_schema") or sch, str(rec.get("table", "")).split(".")[-1])
            if tdef is not None:
                return tdef
        for tdef in txn.list_tables(sch):
            o = tdef.options or {}
            if (tdef.primary_key and (o.get("pk_name") or f"{tdef.name}_pkey") == name) \
                    or any(u["name"] == name for u in o.get("unique", [])):
                return tdef
    raise UndefinedTable(f'relation "{dotted}" does not exist')
