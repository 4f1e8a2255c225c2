"""Policies as pg_catalog shows them: pg_policy (pg_dump reads it) and the pg_policies view (psql \\d)."""

from __future__ import annotations

from typing import Any

from helios_core.sql.catalog_views.expression_text import catalog_text
from helios_core.sql.catalog_views.model import role_oid, stable_oid
from helios_core.sql.row_security import policies

_CMD_CHAR = {"ALL": "*", "SELECT": "r", "INSERT": "a", "UPDATE": "w", "DELETE": "d"}


def _paren(text: str | None) -> str | None:
    """As pg_get_expr prints a qual: operators in parentheses, a lone constant or column bare."""
    if text is None:
        return None
    if text.upper() in ("TRUE", "FALSE"):
        return text.lower()
    return text if text.replace("_", "").isalnum() else f"({catalog_text(text)})"


def _each(model: Any) -> Any:
    for rel in model.relations:
        if rel.kind in ("r", "p"):
            for p in policies.of_table(rel):
                yield rel, p


def pg_policy_rows(model: Any) -> list[tuple]:
    return [(stable_oid("policy", f"{rel.schema}.{rel.name}.{p['name']}"), p["name"], rel.oid,
             _CMD_CHAR[p["command"]], p["permissive"], [0 if r == "public" else role_oid(r) for r in p["roles"]],
             _paren(p.get("using")), _paren(p.get("check"))) for rel, p in _each(model)]


def pg_policies_rows(model: Any) -> list[tuple]:
    return [(rel.schema, rel.name, p["name"], "PERMISSIVE" if p["permissive"] else "RESTRICTIVE",
             list(p["roles"]), p["command"], _paren(p.get("using")), _paren(p.get("check")))
            for rel, p in _each(model)]
