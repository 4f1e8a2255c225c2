"""Which schema of a qualified name does not exist: PostgreSQL looks the schema up before the
object, so ``DROP ... IF EXISTS nosuch.x`` says 'schema "nosuch" does not exist, skipping' (3F000
without IF EXISTS) whatever kind x is."""

from __future__ import annotations

from typing import Any

UNDEFINED_SCHEMA = "3F000"
_ALWAYS = ("public", "pg_catalog", "information_schema")


def missing_schema(txn: Any, parts: list[str]) -> str | None:
    """The schema ``parts`` (a dotted name) is qualified with, when no such schema exists."""
    if len(parts) < 2:
        return None
    schema = parts[-2]
    if schema in _ALWAYS or schema.startswith(("pg_temp", "pg_toast")) or txn.catalog_get("schema", schema):
        return None
    return schema
