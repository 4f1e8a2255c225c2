"""Where the hstore extension's type name resolves: only once CREATE EXTENSION hstore installed
it, and only in the schema it was installed in (qualified, or on the search_path)."""

from __future__ import annotations

from typing import Any

NAME = "hstore"


def installed_schema(txn: Any) -> str | None:
    """The schema CREATE EXTENSION hstore put the type in (None: not installed)."""
    try:
        rec = txn.catalog_get("extension", NAME) if txn is not None else None
    except Exception:  # noqa: BLE001 - a catalog without the kind yet (as extensions.catalog.installed)
        return None
    return None if rec is None else (rec.get("schema") or "public")


def resolves(txn: Any, schemas: list[str]) -> bool:
    """Is ``hstore`` a type name in one of ``schemas`` (the qualifier, or the search_path)?"""
    schema = installed_schema(txn)
    return schema is not None and schema in schemas


def column_is_hstore(column: Any) -> bool:
    """Does a storage column (TableDef column) hold hstore values?"""
    return ((getattr(column, "metadata", None) or {}).get("sql_type") or "").removesuffix("[]") == NAME
