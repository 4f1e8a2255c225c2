"""ALTER TABLE / VIEW ... SET SCHEMA: move a relation to another schema as PostgreSQL does.

A table takes along its indexes, the sequences its columns own (their positions kept and the
defaults that call them qualified), its foreign keys both ways, comments, and the views that read
it (their SQL names it qualified from then on: a view here is bound by name, PostgreSQL's by OID).
A view moves with the names in its own query qualified where they resolved before the move.
The table's rows stay where they are: only its catalog entry changes schema.

Refused with 0A000 naming what is missing: partitioned tables, partitions and inheritance
parents or children, materialized views and foreign tables.
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from helios_core.errors import DuplicateTable, FeatureNotSupported, HeliosError, UndefinedTable
from helios_core.frontends.postgres.dialect import DIALECT, parse, to_sql
from helios_core.session import Result
from helios_core.sql import ddl, foreign_tables, inheritance, matviews, object_privileges, partitions
from helios_core.sql.ddl import ident

_STATEMENT = re.compile(
    r"^\s*(?P<kind>TABLE|VIEW|MATERIALIZED\s+VIEW|FOREIGN\s+TABLE)\s+(?P<if_exists>IF\s+EXISTS\s+)?(?:ONLY\s+)?"
    r"(?P<name>(?:\"(?:[^\"]|\"\")+\"|[\w$]+)(?:\s*\.\s*(?:\"(?:[^\"]|\"\")+\"|[\w$]+))?)\s+SET\s+SCHEMA\s+"
    r"(?P<schema>\"(?:[^\"]|\"\")+\"|[\w$]+)\s*;?\s*$", re.IGNORECASE | re.DOTALL)


def handles(word: str, rest: str) -> bool:
    return word.upper() == "ALTER" and _STATEMENT.match(rest) is not None


def _ident(text: str) -> str:
    text = text.strip()
    return text[1:-1].replace('""', '"') if text.startswith('"') else text.lower()


def execute(session: Any, rest: str) -> Result:
    m = _STATEMENT.match(rest)
    kind = " ".join(m["kind"].upper().split())
    tag = f"ALTER {kind}"
    txn = session.tx.current()
    target = _ident(m["schema"])
    node = exp.to_table(m["name"], dialect=DIALECT)
    try:
        schema, name = ddl.table_name(session, node, txn)
    except UndefinedTable:
        schema, name = None, None
    found = ddl.relation_kind(txn, schema, name) if schema else None
    if found is None:
        shown = _ident(m["name"].split(".")[-1])
        if m["if_exists"]:
            return Result(command_tag=tag, notices=[f'relation "{shown}" does not exist, skipping'])
        raise UndefinedTable(f'relation "{shown}" does not exist')
    if kind == "VIEW" and found != "view":
        raise HeliosError(f'"{name}" is not a view', sqlstate="42809")
    if txn.catalog_get("schema", target) is None:
        raise HeliosError(f'schema "{target}" does not exist', sqlstate="3F000")
    _check_owner(session, found, schema, name)
    if target == schema:
        return Result(command_tag=tag)
    if ddl.relation_kind(txn, target, name) is not None:
        raise DuplicateTable(f'relation "{name}" already exists in schema "{target}"')
    if found == "view":
        move_view(session, txn, schema, name, target)
    elif found == "sequence":
        ddl.move_sequence(session, txn, f"{schema}.{name}", target)
    elif found == "table":
        move_table(session, txn, schema, name, target)
    else:
        raise FeatureNotSupported(f"ALTER {kind} ... SET SCHEMA of a {found} is not supported")
    session.engine.bump_plan_generation()
    return Result(command_tag=tag)


def _check_owner(session: Any, found: str, schema: str, name: str) -> None:
    kind = {"view": "view", "sequence": "sequence"}.get(found, "table")
    object_privileges.check_owner(session, object_privileges.ObjectRef(kind, name, schema))


def _qualify_in_views(txn: Any, views: list[str], schema: str, name: str, target: str) -> None:
    """The views that read schema.name name it target.name from now on."""
    for view in views:
        v = txn.catalog_get("view", view)
        if v is None:
            continue
        tree = parse(v["sql"])[0].ast
        home = view.split(".", 1)[0]
        for t in tree.find_all(exp.Table):
            db = ident(t.args["db"]) if t.args.get("db") is not None else None
            if ident(t.this) == name and (db == schema or (db is None and schema in (home, "public"))):
                t.set("db", exp.to_identifier(target))
        txn.catalog_put("view", view, {**v, "sql": to_sql(tree)})


def _move_depend(txn: Any, old: str, new: str) -> None:
    dep = txn.catalog_get("depend", old)
    if dep is not None:
        txn.catalog_delete("depend", old)
        txn.catalog_put("depend", new, dep)


def _move_comments(txn: Any, schema: str, name: str, target: str) -> None:
    for key, value in list(txn.catalog_list("comment").items()):
        kind, _, what = key.partition(":")
        if what == f"{schema}.{name}" or what.startswith(f"{schema}.{name}."):
            txn.catalog_delete("comment", key)
            txn.catalog_put("comment", f"{kind}:{target}.{what[len(schema) + 1:]}", value)


def move_table(session: Any, txn: Any, schema: str, name: str, target: str) -> None:
    tdef = txn.get_table(schema, name)
    opts = tdef.options or {}
    if partitions.spec(tdef) is not None or partitions.parent_of(tdef) is not None:
        raise FeatureNotSupported("ALTER TABLE ... SET SCHEMA of a partitioned table or a partition is not supported")
    if opts.get("inherits") or inheritance.has_children(tdef):
        raise FeatureNotSupported("ALTER TABLE ... SET SCHEMA of a table in an inheritance tree is not supported")
    if matviews.definition(tdef) is not None or foreign_tables.definition(tdef) is not None:
        raise FeatureNotSupported("ALTER ... SET SCHEMA of a materialized view or a foreign table is not supported")
    indexes = [i for i in opts.get("indexes", []) if txn.catalog_get("index", f"{schema}.{i}") is not None]
    for iname in indexes:
        if ddl.relation_kind(txn, target, iname) is not None:
            raise DuplicateTable(f'relation "{iname}" already exists in schema "{target}"')
    owned = [key for key, d in txn.catalog_list("sequence").items()
             if str(d.get("owned_by") or "").startswith(f"{schema}.{name}.")]
    for key in owned:
        if ddl.relation_kind(txn, target, key.split(".", 1)[1]) is not None:
            raise DuplicateTable(f'relation "{key.split(".", 1)[1]}" already exists in schema "{target}"')
    for key in owned:  # first, while the defaults that call them still name them from here
        ddl.move_sequence(session, txn, key, target, with_table=True)
    _qualify_in_views(txn, ddl._dependent_views(txn, f"{schema}.{name}") +
                      list((txn.catalog_get("depend", f"{schema}.{name}") or {}).get("matviews", [])),
                      schema, name, target)
    tdef = txn.get_table(schema, name)
    own_fks = tdef.options.get("foreign_keys", [])
    for fk in own_fks:
        ddl._remove_ref(txn, fk, schema, name)
    children = [(c, fk) for c, fk in ddl.referencing(txn, tdef) if (c.schema, c.name) != (schema, name)]
    tdef = txn.get_table(schema, name)
    fks = [{**fk, "ref_schema": target} if (fk["ref_schema"], fk["ref_table"]) == (schema, name) else fk
           for fk in tdef.options.get("foreign_keys", [])]
    refs = [{**r, "schema": target} if (r["schema"], r["table"]) == (schema, name) else r
            for r in tdef.options.get("referenced_by", [])]
    txn.alter_table(schema, name, options={"foreign_keys": fks, "referenced_by": refs})
    tdef = txn.alter_table(schema, name, move_to_schema=target)
    for fk in tdef.options.get("foreign_keys", []):
        ddl._add_ref(txn, fk, target, name)
    for child, fk in children:
        c = txn.get_table(child.schema, child.name)
        nf = [{**f, "ref_schema": target} if f["name"] == fk["name"] else f for f in c.options.get("foreign_keys", [])]
        txn.alter_table(c.schema, c.name, options={"foreign_keys": nf})
    for iname in indexes:
        idx = txn.catalog_get("index", f"{schema}.{iname}")
        txn.catalog_delete("index", f"{schema}.{iname}")
        txn.catalog_put("index", f"{target}.{iname}", {**idx, "schema": target})
    _move_depend(txn, f"{schema}.{name}", f"{target}.{name}")
    _move_comments(txn, schema, name, target)


def move_view(session: Any, txn: Any, schema: str, name: str, target: str) -> None:
    key = f"{schema}.{name}"
    v = txn.catalog_get("view", key)
    tree = parse(v["sql"])[0].ast
    ctes = {ident(c.args["alias"].this) for c in tree.find_all(exp.CTE) if c.args.get("alias") is not None}
    for t in tree.find_all(exp.Table):  # the names it read from its old home stay what they were
        if t.args.get("db") is not None or not isinstance(t.this, exp.Identifier) or ident(t.this) in ctes:
            continue
        for home in (schema, "public"):
            if ddl.relation_kind(txn, home, ident(t.this)) is not None:
                t.set("db", exp.to_identifier(home))
                break
    _qualify_in_views(txn, ddl._dependent_views(txn, key), schema, name, target)
    for dep_key, dep in list(txn.catalog_list("depend").items()):
        if key in dep.get("views", []):
            txn.catalog_put("depend", dep_key, {**dep, "views": [f"{target}.{name}" if x == key else x
                                                                for x in dep["views"]]})
    txn.catalog_delete("view", key)
    txn.catalog_put("view", f"{target}.{name}", {**v, "schema": target, "sql": to_sql(tree)})
    _move_depend(txn, key, f"{target}.{name}")
    _move_comments(txn, schema, name, target)
