"""What calls a CREATE FUNCTION routine from stored SQL: views, column defaults and CHECK
constraints. DROP FUNCTION of a routine they call is 2BP01 listing them, as PostgreSQL (which
records those dependencies by OID); with CASCADE the views, defaults and constraints go too.

A stored expression names a routine by text here, so a call counts when its name matches, its
qualifier (if any) is the routine's schema or, unqualified, the routine's schema is the object's own
or public, and its number of arguments fits the routine's (defaults included).
"""

from __future__ import annotations

from typing import Any

import attrs
import sqlglot
from sqlglot import exp

from helios_core.frontends.postgres.dialect import DIALECT
from helios_core.sql import constraints, ddl
from helios_core.sql.ddl import _shown, ident
from helios_core.sql.routines.definition import Routine


@attrs.frozen
class User:
    what: str  # "view v", "default value for column a of table t", "constraint c on table t"
    kind: str  # view, default, check
    schema: str
    table: str
    item: str  # the view's key, the column, the constraint's name


def _calls(tree: exp.Expression, target: Routine, home: str) -> bool:
    low = len([a for a in target.in_args if a.get("default") is None])
    high = len(target.in_args)
    for call in tree.find_all(exp.Anonymous):
        if str(call.this).lower() != target.name.lower() and str(call.this) != target.name:
            continue
        if not low <= len(call.expressions) <= high:
            continue
        parent = call.parent
        if isinstance(parent, exp.Dot) and parent.expression is call:
            if ident(parent.this) == target.schema:
                return True
        elif target.schema in (home, "public"):
            return True
    return False


def _parse(sql: str, expression: bool) -> exp.Expression | None:
    try:
        return sqlglot.parse_one(f"SELECT {sql}" if expression else sql, read=DIALECT)
    except Exception:  # noqa: BLE001 - text we cannot read calls nothing we can see
        return None


def users(session: Any, txn: Any, target: Routine) -> list[User]:
    out = []
    for key, v in sorted(txn.catalog_list("view").items()):
        tree = _parse(v.get("sql") or "", False)
        schema, name = key.split(".", 1)
        if tree is not None and _calls(tree, target, schema):
            out.append(User(f"view {_shown(session, schema, name)}", "view", schema, name, key))
    for tdef in sorted(txn.list_tables(None), key=lambda t: t.table_id):
        shown = _shown(session, tdef.schema, tdef.name)
        for c in tdef.columns:
            default = (c.metadata or {}).get("default")
            tree = _parse(default, True) if default else None
            if tree is not None and _calls(tree, target, tdef.schema):
                out.append(User(f"default value for column {c.name} of table {shown}", "default", tdef.schema,
                                tdef.name, c.name))
        for check in (tdef.options or {}).get("checks", []):
            tree = _parse(check.get("expr") or "", True)
            if tree is not None and _calls(tree, target, tdef.schema):
                out.append(User(f"constraint {check['name']} on table {shown}", "check", tdef.schema, tdef.name,
                                check["name"]))
    return out


def drop(session: Any, txn: Any, found: list[User]) -> list[str]:
    """CASCADE: drop the views (and the views over them), defaults and constraints; the lines of
    the "drop cascades to" NOTICE."""
    lines = []
    for u in found:
        lines.append(f"drop cascades to {u.what}")
        if u.kind == "view":
            if txn.catalog_get("view", u.item) is not None:
                lines.extend(ddl._drop_dependent_views(session, txn, u.item, "view", True))
                txn.catalog_delete("view", u.item)
            continue
        tdef = txn.get_table(u.schema, u.table)
        if tdef is None:
            continue
        if u.kind == "default":
            md = dict(constraints.column_metadata(tdef, u.item))
            md.pop("default", None)
            ddl._set_column_metadata(txn, tdef, u.item, md)
        else:
            txn.alter_table(u.schema, u.table, options={
                "checks": [c for c in tdef.options.get("checks", []) if c["name"] != u.item]})
    return lines
