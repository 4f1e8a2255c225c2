"""System columns and session values that PostgreSQL derives rather than stores.

- ``tableoid``: every row of a table carries the OID of the table it came from (ORMs and psql use
  it with ``::regclass``). It is one constant per scan, so a scan that the query references it on
  gets a hidden constant column (hidden: ``SELECT *`` does not show it, as in PostgreSQL). The
  OID is the one pg_class shows for the table (helios_core.sql.catalog_views.model).
- ``ctid``: a row's address (see helios_core.sql.functions.tid), derived from its row id: a scan
  the query references it on reads the row ids and gets a hidden ``ctid`` column.
- ``current_schema()``: the first schema of search_path that exists, so ``"$user"`` expanded to a
  role with no schema of that name is skipped (PostgreSQL answers "public", not "helios").
"""

from __future__ import annotations

from typing import Any

from helios_core.sql import types as T
from helios_core.sql.expr import Compiled, Field
from helios_core.sql.functions import tid
from helios_core.sql.functions.vec import Vec

_ALWAYS_THERE = {"public", "pg_catalog", "information_schema"}


def table_oid(table: Any, schema: str, name: str) -> int:
    """The OID pg_class gives a table (same rule as the catalog model)."""
    from helios_core.sql.catalog_views.model import FIRST_USER_OID, stable_oid

    table_id = getattr(table, "table_id", None)
    return FIRST_USER_OID + int(table_id) if isinstance(table_id, int) else stable_oid("table", f"{schema}.{name}")


def virtual_table_oid(schema: str, name: str) -> int:
    """The OID of a catalog relation (PostgreSQL's own for pg_catalog tables: pg_dump compares them)."""
    from helios_core.sql.catalog_views.functions import SYSTEM_RELATION_OIDS
    from helios_core.sql.catalog_views.model import stable_oid

    if schema == "pg_catalog" and name in SYSTEM_RELATION_OIDS:
        return SYSTEM_RELATION_OIDS[name]
    return stable_oid("table", f"{schema}.{name}")


def with_tableoid(op: Any, qual: str, oid: int) -> Any:
    """The scan plus a hidden ``tableoid`` column holding ``oid``."""
    return _with_hidden(op, Field("tableoid", T.OID, qual, hidden=True),
                        Compiled(T.OID, lambda b, c: Vec.const(oid, T.OID), const=Vec.const(oid, T.OID), label="tableoid"))


def with_ctid(op: Any, qual: str) -> Any:
    """The scan (reading row ids) plus a hidden ``ctid`` column made from them."""
    rowid_at = next(i for i, f in enumerate(op.fields) if f.name == "_rowid")

    def ctid(b: Any, c: Any) -> Vec:
        return Vec(tid.from_rowids(b.column(rowid_at), c.txn.branch_lineage), T.TID, False)

    return _with_hidden(op, Field("ctid", T.TID, qual, hidden=True), Compiled(T.TID, ctid, label="ctid"))


def _with_hidden(op: Any, field: Field, value: Compiled) -> Any:
    """``op``'s columns and one more, hidden from ``*`` (a system column)."""
    from helios_core.sql.operators.basic import Project

    exprs = [Compiled(f.type, _column(i, f.type), column=i) for i, f in enumerate(op.fields)]
    out = Project(op, [*exprs, value], [*op.fields, field])
    out.primary_key = getattr(op, "primary_key", [])  # type: ignore[attr-defined]
    return out


def _column(i: int, t: T.SqlType) -> Any:
    def fn(b: Any, c: Any) -> Vec:
        return Vec(b.column(i), t, False)

    return fn


def current_schema(ctx: Any) -> str | None:
    """First schema of the context's search_path that exists (None when none does, as in PG)."""
    txn = getattr(ctx, "txn", None)
    for s in getattr(ctx, "search_path", None) or []:
        if s in _ALWAYS_THERE:
            return s
        if txn is not None and txn.catalog_get("schema", s) is not None:
            return s
    return None
