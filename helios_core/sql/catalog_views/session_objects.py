"""pg_prepared_statements and pg_cursors: what the current session has prepared and declared.

SQL PREPARE and DECLARE run by the session itself are listed from it. A wire protocol that keeps
prepared statements and cursors of its own (PostgreSQL's Parse messages, DECLAREs served as
portals) lists them through the session's ``protocol_listing`` attribute: an object with
``prepared_statement_rows()`` and ``cursor_rows()`` returning rows in these views' column order.
Drivers read these views (psycopg checks pg_cursors before closing a server-side cursor).
"""

from __future__ import annotations

from typing import Any

from helios_core.sql.catalog_views.model import CatalogModel
from helios_core.sql.catalog_views.registry import catalog_table

PG = "pg_catalog"


def _protocol_rows(model: CatalogModel, method: str) -> list[tuple]:
    listing = getattr(model.session, "protocol_listing", None)
    return list(getattr(listing, method)()) if listing is not None else []


@catalog_table(PG, "pg_prepared_statements", """name text, statement text, prepare_time timestamptz,
    parameter_types regtype[], from_sql bool, generic_plans int8, custom_plans int8""")
def pg_prepared_statements(model: CatalogModel) -> list[tuple]:
    rows: list[tuple[Any, ...]] = []
    for name, stmt in dict(getattr(model.session, "sql_prepared", {}) or {}).items():
        plan = stmt.plan
        rows.append((name, plan.statement_text, plan.prepared_at, list(stmt.param_type_oids), True,
                     plan.executions, 0))
    return rows + _protocol_rows(model, "prepared_statement_rows")


@catalog_table(PG, "pg_cursors", """name text, statement text, is_holdable bool, is_binary bool,
    is_scrollable bool, creation_time timestamptz""")
def pg_cursors(model: CatalogModel) -> list[tuple]:
    rows: list[tuple[Any, ...]] = [
        (name, cur.statement, cur.hold, False, True, cur.created_at)
        for name, cur in dict(getattr(model.session, "cursors", {}) or {}).items()]
    return rows + _protocol_rows(model, "cursor_rows")
