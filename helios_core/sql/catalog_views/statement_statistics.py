"""pg_stat_statements and pg_stat_statements_reset(): the statement statistics as SQL sees them.

The rows come from the engine's StatementStats (helios_core.statement_stats): one per
(user, database, normalized text), with PostgreSQL 15's column names. As in PostgreSQL, a
role sees the text of its own statements (and, with pg_read_all_stats, everyone's); others'
read ``<insufficient privilege>``. Resetting needs a superuser (42501 otherwise).
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

from helios_core import roles
from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlFunction
from helios_core.sql import functions as F
from helios_core.sql.catalog_views.functions import ACTIVE_SESSION
from helios_core.sql.catalog_views.model import CatalogModel, role_oid
from helios_core.sql.catalog_views.pg_catalog import database_oid
from helios_core.sql.catalog_views.registry import catalog_table

_COLUMNS = """userid oid, dbid oid, toplevel bool, queryid int8, query text, plans int8, total_plan_time float8,
    calls int8, total_exec_time float8, min_exec_time float8, max_exec_time float8, mean_exec_time float8,
    stddev_exec_time float8, rows int8"""


def query_id(text: str) -> int:
    """A stable signed 64-bit id of a normalized statement (pg_stat_statements' queryid)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


@catalog_table("pg_catalog", "pg_stat_statements", _COLUMNS)
def pg_stat_statements(model: CatalogModel) -> list[tuple]:
    session = model.session
    engine = getattr(session, "engine", None)
    if engine is None:
        return []
    graph = roles.role_graph(engine)
    me = getattr(session, "user", "helios")
    sees_all = graph.has_privs_of(me, "pg_read_all_stats")
    rows = []
    for (user, database, text), e in engine.statement_stats.statement_rows():
        shown = text if sees_all or graph.has_privs_of(me, user) else "<insufficient privilege>"
        rows.append((role_oid(user), database_oid(database), True, query_id(text), shown, 0, 0.0, e.calls,
                     e.total_ms, e.min_ms, e.max_ms, e.mean_ms, e.stddev_ms, e.rows))
    return rows


def _reset(args: list[pa.Array]) -> pa.Array:
    session = ACTIVE_SESSION.get()
    engine = getattr(session, "engine", None)
    if engine is None:
        return pa.nulls(len(args[0]) if args else 1, pa.null())
    role = engine.get_role(session.user) or {}
    if not role.get("superuser"):
        raise HeliosError("permission denied for function pg_stat_statements_reset", sqlstate="42501")
    values = [a.to_pylist() for a in args] if args else [[None]]
    stats = engine.statement_stats
    for row in zip(*values, strict=True):
        userid, dbid, queryid = (list(row) + [0, 0, 0])[:3]
        users = {u for u, _, _ in stats.entries if role_oid(u) == int(userid)} if userid else {None}
        dbs = {d for _, d, _ in stats.entries if database_oid(d) == int(dbid)} if dbid else {None}
        texts = {t for _, _, t in stats.entries if query_id(t) == int(queryid)} if queryid else {None}
        for user in users:
            for db in dbs:
                for text in texts:
                    stats.reset_statements(user, db, text)
    return pa.nulls(len(values[0]), pa.null())


def register() -> None:
    if not F.has_function("pg_stat_statements_reset"):
        F.register_function(SqlFunction(name="pg_stat_statements_reset", impl=_reset, return_type="void",
                                        strict=False))


register()
