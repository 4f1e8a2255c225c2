"""DDL: tables, schemas, indexes, views, sequences, databases, branches and roles.

How SQL objects map onto the storage catalog of the session's branch:

- table: storage TableDef. ``ColumnDef.metadata``: ``sql_type`` (format_type spelling),
  ``default`` (expression SQL text), ``identity`` ("always" | "by default"),
  ``sequence`` (key of the sequence a SERIAL/IDENTITY column draws from).
  ``TableDef.options``: ``pk_name``, ``unique`` [{name, columns}], ``checks`` [{name, expr}],
  ``foreign_keys`` [{name, columns, ref_schema, ref_table, ref_columns, on_delete, on_update}].
- schema: kind "schema", key name.  view: kind "view", key "schema.name", {"sql", "columns"}.
- index: kind "index", key "schema.name", {"schema", "name", "table", "columns", "unique",
  "constraint"}; unique indexes are enforced (constraints.py) through the table's "unique" list.
- sequence: kind "sequence" (see sequences.py).
"""

from __future__ import annotations

import re
from typing import Any

import attrs
import pyarrow as pa
import sqlglot
from sqlglot import exp

from helios_core.engine import TEMPLATE_DATABASES
from helios_core.errors import (
    DuplicateObject,
    DuplicateTable,
    FeatureNotSupported,
    HeliosError,
    SyntaxError_,
    UndefinedColumn,
    UndefinedObject,
    UndefinedTable,
)
from helios_core.frontends.postgres import branch_syntax, view_options
from helios_core.frontends.postgres.dialect import Utility, expression_text, parse, to_sql
from helios_core.session import Result
from helios_core.sql import (
    composite_types,
    constraints,
    create_like,
    database_drop,
    ddl_privileges,
    deferred_constraints,
    enum_labels,
    exclusion_constraints,
    foreign_tables,
    generated_columns,
    index_definitions,
    inheritance,
    matviews,
    numeric_display,
    object_privileges,
    partitions,
    publications,
    role_ddl,
    sequences,
    storage_parameters,
    temp_tables,
    type_privileges,
    types,
    user_types,
    view_replacement,
    view_stars,
)
from helios_core.sql.context import table_sql_columns
from helios_core.sql.extensions import catalog as extensions_catalog
from helios_core.sql.functions.resolve import implicitly_castable
from helios_core.sql.missing_schema import missing_schema
from helios_core.sql.routines import definition as routine_definition
from helios_core.sql.routines import notices as routine_notices
from helios_core.sql.temp_tables import is_temp_schema, map_schema, own_schema
from helios_core.sql.triggers import firing
from helios_core.storage import ColumnDef, mover
from helios_core.storage.catalog import CATALOG


class DependentObjectsStillExist(HeliosError):
    sqlstate = "2BP01"


class InvalidTableDefinition(HeliosError):
    sqlstate = "42P16"


class InvalidSchemaName(HeliosError):
    sqlstate = "3F000"


class ActiveSqlTransaction(HeliosError):
    sqlstate = "25001"


_SERIALS = {"SERIAL": ("integer", "int4"), "SMALLSERIAL": ("smallint", "int2"), "BIGSERIAL": ("bigint", "int8")}


def ident(node: Any) -> str:
    """An identifier's name: unquoted names fold to lower case."""
    if node is None:
        return ""
    if isinstance(node, exp.Identifier):
        return node.this if node.quoted else node.this.lower()
    if isinstance(node, exp.Column):
        return ident(node.this)
    if isinstance(node, str):
        return node.lower()
    return ident(node.this) if hasattr(node, "this") and not isinstance(node.this, str) else str(
        node.name).lower()


def table_to_alter(session: Any, txn: Any, table: str, if_exists: bool) -> Any:
    """The table of an ALTER TABLE [IF EXISTS] parsed outside sqlglot, owner-checked: its TableDef,
    or the Result of IF EXISTS naming a table that is not there (42P01 without IF EXISTS). ``table``
    is the parser's dotted name, its parts already folded ("Customers" keeps its case)."""
    *db, last = table.split(".")
    node = exp.Table(this=exp.to_identifier(last, quoted=True),
                     db=exp.to_identifier(db[-1], quoted=True) if db else None)
    schema, tname = table_name(session, node, txn)
    tdef = txn.get_table(schema, tname)
    if tdef is None:
        if if_exists:
            return Result(command_tag="ALTER TABLE", notices=[f'relation "{tname}" does not exist, skipping'])
        raise UndefinedTable(f'relation "{tname}" does not exist')
    object_privileges.check_owner(session, object_privileges.ObjectRef("table", tname, schema), txn)
    return tdef


def table_name(session: Any, table: exp.Table, txn: Any = None, *, for_create: bool = False) -> tuple[str, str]:
    """(schema, name) of a table reference; unqualified: the current schema (create) or search."""
    name = ident(table.this)
    if table.args.get("db") is not None:
        return map_schema(session, ident(table.args["db"])), name
    if for_create:
        return session.current_schema(txn), name
    txn = txn or session.tx.current()
    for schema in session.search_path():
        if txn.get_table(schema, name) is not None:
            return schema, name
    return session.current_schema(txn), name


def relation_kind(txn: Any, schema: str, name: str) -> str | None:
    tdef = txn.get_table(schema, name)
    if tdef is not None:
        return "materialized view" if matviews.definition(tdef) is not None else "table"
    if txn.catalog_get("view", f"{schema}.{name}") is not None:
        return "view"
    if txn.catalog_get("sequence", f"{schema}.{name}") is not None:
        return "sequence"
    if txn.catalog_get("index", f"{schema}.{name}") is not None:
        return "index"
    return None


def execute(session: Any, ast: Any, text: str) -> Result:
    if any(u.args.get("nulls") for u in ast.find_all(exp.UniqueColumnConstraint)):
        # NULLs would have to clash as equal keys in every UNIQUE check, arbiter and catalog view
        raise FeatureNotSupported("UNIQUE NULLS NOT DISTINCT is not supported")
    state = ddl_privileges.before(session, ast)  # 42501 unless allowed (owner, CREATE on the schema ...)
    if isinstance(ast, exp.Create):
        result = _create(session, ast, text)
        ddl_privileges.after(session, ast, state)  # the creator owns it
        return result
    if isinstance(ast, exp.Drop):
        return _drop(session, ast)
    if isinstance(ast, exp.Alter):
        return _alter(session, ast)
    if isinstance(ast, exp.TruncateTable):
        return _truncate(session, ast)
    raise FeatureNotSupported("statement not supported")


# ---------------------------------------------------------------------------------------- dependencies
# Kept as data so DML and DROP never scan the whole catalog:
# - table option "referenced_by": [{"schema", "table", "name"}] foreign keys of other tables that point here
# - table option "indexes": names of the table's indexes (in its schema)
# - catalog kind "depend", key "schema.relation": {"views": ["schema.view", ...]} views that read it


def _add_ref(txn: Any, fk: dict, child_schema: str, child: str) -> None:
    parent = txn.get_table(fk["ref_schema"], fk["ref_table"])
    if parent is None:
        return
    refs = [r for r in parent.options.get("referenced_by", []) if r["name"] != fk["name"] or
            (r["schema"], r["table"]) != (child_schema, child)]
    refs.append({"schema": child_schema, "table": child, "name": fk["name"]})
    txn.alter_table(parent.schema, parent.name, options={"referenced_by": refs})


def _remove_ref(txn: Any, fk: dict, child_schema: str, child: str) -> None:
    parent = txn.get_table(fk["ref_schema"], fk["ref_table"])
    if parent is None:
        return
    refs = [r for r in parent.options.get("referenced_by", []) if not (
        r["name"] == fk["name"] and (r["schema"], r["table"]) == (child_schema, child))]
    txn.alter_table(parent.schema, parent.name, options={"referenced_by": refs})


def referencing(txn: Any, tdef: Any) -> list[tuple[Any, dict]]:
    """(child TableDef, fk) for every foreign key that references ``tdef``."""
    out = []
    for r in (tdef.options or {}).get("referenced_by", []):
        child = txn.get_table(r["schema"], r["table"])
        if child is None:
            continue
        for fk in (child.options or {}).get("foreign_keys", []):
            if fk["name"] == r["name"] and (fk["ref_schema"], fk["ref_table"]) == (tdef.schema, tdef.name):
                out.append((child, fk))
    return out


def _add_index_name(txn: Any, schema: str, table: str, iname: str) -> None:
    t = txn.get_table(schema, table)
    if t is not None and iname not in t.options.get("indexes", []):
        txn.alter_table(schema, table, options={"indexes": list(t.options.get("indexes", [])) + [iname]})


def _view_sources(session: Any, txn: Any, query: Any) -> set[str]:
    """schema.name of the tables and views a view's query reads (CTE names excluded)."""
    ctes = {ident(c.args["alias"].this) for c in query.find_all(exp.CTE) if c.args.get("alias")}
    out: set[str] = set()
    for t in query.find_all(exp.Table):
        name = ident(t.this)
        if not name or (t.args.get("db") is None and name in ctes):
            continue
        if t.args.get("db") is not None:
            out.add(f"{ident(t.args['db'])}.{name}")
            continue
        for schema in session.search_path():
            if relation_kind(txn, schema, name) in ("table", "view", "materialized view"):
                out.add(f"{schema}.{name}")
                break
    return out


def _bound_names(session: Any, txn: Any, query: Any) -> Any:
    """The view's query with each unqualified table name qualified by the schema it resolves to now:
    PostgreSQL binds a view's relations when it is created, so a later search_path does not move it."""
    query = query.copy()
    ctes = {ident(c.args["alias"].this) for c in query.find_all(exp.CTE) if c.args.get("alias")}
    for t in query.find_all(exp.Table):
        if t.args.get("db") is not None or not isinstance(t.this, exp.Identifier):
            continue
        name = ident(t.this)
        if name in ctes:
            continue
        for schema in session.search_path():
            if relation_kind(txn, schema, name) in ("table", "view", "materialized view"):
                if not is_temp_schema(schema):  # temp relations: the session's own pg_temp in any case
                    t.set("db", exp.to_identifier(schema, quoted=schema != schema.lower()))
                    if t.args.get("alias") is None:  # columns written as name.col still find it
                        t.set("alias", exp.TableAlias(this=exp.to_identifier(name, quoted=t.this.quoted)))
                break
    return query


def _dependent_views(txn: Any, key: str) -> list[str]:
    dep = txn.catalog_get("depend", key) or {}
    return [v for v in dep.get("views", []) if txn.catalog_get("view", v) is not None]


def _dependent_matviews(txn: Any, key: str) -> list[str]:
    dep = txn.catalog_get("depend", key) or {}
    out = []
    for v in dep.get("matviews", []):
        schema, name = v.split(".", 1)
        if matviews.definition(txn.get_table(schema, name)) is not None:
            out.append(v)
    return out


def dependent_view_lines(txn: Any, key: str, what: str, seen: set[str] | None = None,
                         session: Any = None) -> list[str]:
    """The DETAIL lines of 2BP01 for the views and materialized views over ``key``, each followed
    by what depends on it in turn, as PostgreSQL lists them ("view v2 depends on view v1"; names
    outside the search_path qualified)."""
    seen = set() if seen is None else seen
    shown = _shown(session, *key.split(".", 1))
    lines = []
    for noun, keys in (("view", _dependent_views(txn, key)), ("materialized view", _dependent_matviews(txn, key))):
        for v in keys:
            if v in seen:
                continue
            seen.add(v)
            lines.append(f"{noun} {_shown(session, *v.split('.', 1))} depends on {what} {shown}")
            lines.extend(dependent_view_lines(txn, v, noun, seen, session))
    return lines


def _drop_dependent_views(session: Any, txn: Any, key: str, what: str, cascade: bool) -> list[str]:
    """Drop (CASCADE) the views and materialized views that read ``key``; the lines of
    PostgreSQL's "drop cascades to" notice, one per object dropped."""
    views = _dependent_views(txn, key)
    mvs = _dependent_matviews(txn, key)
    if (views or mvs) and not cascade:
        name = key.split(".", 1)[1]
        raise DependentObjectsStillExist(
            f"cannot drop {what} {_shown(session, key.split('.', 1)[0], name)} because other objects depend on it",
            detail="\n".join(dependent_view_lines(txn, key, what, session=session)),
            hint="Use DROP ... CASCADE to drop the dependent objects too.")
    lines: list[str] = []
    for v in views:
        if txn.catalog_get("view", v) is None:  # reached already through another view
            continue
        lines.append(f"drop cascades to view {_shown(session, *v.split('.', 1))}")
        lines.extend(_drop_dependent_views(session, txn, v, "view", cascade))
        txn.catalog_delete("view", v)
    for v in mvs:
        schema, name = v.split(".", 1)
        if txn.get_table(schema, name) is None:
            continue
        lines.append(f"drop cascades to materialized view {name}")
        lines.extend(drop_table_objects(session, txn, schema, name, cascade=cascade))
    if txn.catalog_get("depend", key) is not None:
        txn.catalog_delete("depend", key)
    return lines


def cascade_notices(lines: list[str]) -> list[Any]:
    """PostgreSQL's NOTICE for what a DROP ... CASCADE took along: one line, or a count and the list."""
    if len(lines) <= 1:
        return list(lines)
    notice = HeliosError(f"drop cascades to {len(lines)} other objects", sqlstate="00000", detail="\n".join(lines))
    notice.severity = "NOTICE"
    return [notice]


# ---------------------------------------------------------------------------------------- CREATE
def _create(session: Any, ast: exp.Create, text: str) -> Result:
    kind = (ast.args.get("kind") or "").upper()
    if kind == "TABLE":
        return create_table(session, ast)
    if kind == "SCHEMA":
        return _create_schema(session, ast)
    if kind == "VIEW":
        return _create_view(session, ast, text)
    if kind == "INDEX":
        return _create_index(session, ast)
    if kind == "SEQUENCE":
        return _create_sequence(session, ast)
    if kind == "TYPE":
        return _create_type(session, ast)
    if kind == "DATABASE":
        if session.tx.in_block:
            raise ActiveSqlTransaction("CREATE DATABASE cannot run inside a transaction block")
        name = ident(ast.this.this)
        if name in session.engine.store.list_databases() or name in TEMPLATE_DATABASES:
            raise HeliosError(f'database "{name}" already exists', sqlstate="42P04")
        session.engine.store.create_database(name)
        session.engine._ensure_public_schema(name)
        return Result(command_tag="CREATE DATABASE")
    raise FeatureNotSupported(f"CREATE {kind} is not supported")


def _column_type(dt: exp.DataType, session: Any = None, txn: Any = None) -> tuple[Any, str | None]:
    """(SqlType, serial kind or None) of a column's declared type."""
    name = dt.this.name if hasattr(dt.this, "name") else str(dt.this)
    if name.upper() in _SERIALS:
        return types.type_from_name(_SERIALS[name.upper()][0]), name.upper()
    if dt.this == exp.DataType.Type.USERDEFINED and session is not None:
        enum = _find_enum(session, txn, dt)
        if enum is not None and enum.get("kind") == "domain":  # stored as its base type
            t = types.type_from_name(f'"{enum["schema"]}"."{enum["name"]}"')
            return attrs.evolve(t, domain=None), None
        if enum is not None and enum.get("kind") in ("composite", "range", "multirange"):
            return types.type_from_name(f'"{enum["schema"]}"."{enum["name"]}"'), None
        if enum is not None and enum.get("kind") == "shell":
            raise UndefinedObject(f'type "{enum["name"]}" is only a shell')
        if enum is not None:
            return types.TEXT, None
    return types.type_from_sqlglot(dt), None


def _find_enum(session: Any, txn: Any, dt: exp.DataType) -> dict | None:
    """The catalog record of a user-defined (enum) type named by ``dt``, or None."""
    kind = dt.args.get("kind")
    text = kind.sql(dialect="postgres") if isinstance(kind, exp.Expression) else str(kind or "")
    parts = [p.strip('"') if p.startswith('"') else p.lower() for p in text.split(".")]
    schemas = [parts[0]] if len(parts) == 2 else session.search_path()
    for schema in schemas:
        rec = txn.catalog_get("type", f"{schema}.{parts[-1]}")
        if rec is not None:
            return rec
    return None


def _create_type(session: Any, ast: exp.Create) -> Result:
    """CREATE TYPE name AS ENUM (...): kept in the catalog; its columns hold text checked against the labels."""
    txn = session.tx.current()
    schema, name = table_name(session, ast.this, txn, for_create=True)
    body = ast.args.get("expression")
    if isinstance(body, exp.Schema):
        return composite_types.create(session, ast, schema, name)
    if not (isinstance(body, exp.DataType) and body.this == exp.DataType.Type.ENUM):
        raise FeatureNotSupported("CREATE TYPE is supported AS ENUM (...) and AS (attribute type, ...); "
                                  "base types (INPUT/OUTPUT functions) and range types are not")
    key = f"{schema}.{name}"
    if txn.catalog_get("type", key) is not None or txn.get_table(schema, name) is not None:
        raise DuplicateObject(f'type "{name}" already exists')
    labels = [e.this for e in body.expressions]
    for label in labels:
        enum_labels.check_label(label)
    if len(set(labels)) != len(labels):
        raise HeliosError(f'enum label "{labels[0]}" used more than once', sqlstate="42710")
    txn.catalog_put("type", key, {"schema": schema, "name": name, "kind": "enum", "labels": labels,
                                  "owner": session.user,
                                  "acl": type_privileges.default_acl(session, txn, schema, name)})
    return Result(command_tag="CREATE TYPE")


def _regclass_text(name: str) -> str:
    """A relation name as regclass text: quoted when it is not a plain lower-case identifier."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


def _sequence_default(schema: str, seq_name: str) -> str:
    """nextval() of an owned sequence; qualified outside public, so the default finds the
    sequence whatever the inserting session's search_path is."""
    name = _regclass_text(seq_name) if schema == "public" else f"{_regclass_text(schema)}.{_regclass_text(seq_name)}"
    return "nextval('" + name.replace("'", "''") + "'::regclass)"


def _free_name(base: str, checks: list[dict], taken_before: tuple[str, ...] = ()) -> str:
    """A generated CHECK name not yet taken: base, then base1, base2, ... as PostgreSQL chooses."""
    taken = {c["name"] for c in checks} | set(taken_before)
    n, name = 0, base
    while name in taken:
        n += 1
        name = f"{base}{n}"
    return name


def _constraint_name(table: str, cols: list[str], suffix: str) -> str:
    return f"{table}_{'_'.join(cols)}_{suffix}" if cols else f"{table}_{suffix}"


def object_name(name1: str, name2: str, label: str) -> str:
    """PostgreSQL's makeObjectName: ``name1_name2_label`` within 63 characters, the longer of the
    two names cut a character at a time until it fits (the label is kept whole)."""
    avail = 63 - (len(label) + 1 if label else 0) - (1 if name2 else 0)
    n1, n2 = len(name1), len(name2)
    while n1 + n2 > avail:
        if n1 > n2:
            n1 -= 1
        else:
            n2 -= 1
    return "_".join(p for p in (name1[:n1], name2[:n2], label) if p)


def _foreign_key_name(table: str, cols: list[str], taken: set[str]) -> str:
    """The name PostgreSQL gives an unnamed foreign key: table_cols_fkey made to fit 63 characters,
    with fkey1, fkey2, ... while the name is taken."""
    joined = "_".join(cols)[:63]
    n, name = 0, object_name(table, joined, "fkey")
    while name in taken:
        n += 1
        name = object_name(table, joined, f"fkey{n}")
    return name


_SYSTEM_COLUMNS = frozenset({"ctid", "xmin", "xmax", "cmin", "cmax", "tableoid"})


def _missing_key_column(c: str) -> HeliosError:
    """The error for a foreign key column the table does not have: a system column's is 42830."""
    if c in _SYSTEM_COLUMNS:
        return HeliosError("system columns cannot be used in foreign keys", sqlstate="42830")
    return UndefinedColumn(f'column "{c}" referenced in foreign key constraint does not exist')


def _fk_action(options: list[Any], which: str) -> str:
    return _fk_action_and_columns(options, which)[0]


def _fk_action_and_columns(options: list[Any], which: str) -> tuple[str, list[str]]:
    """(action, the columns of ``SET NULL (a, b)`` / ``SET DEFAULT (a, b)``, empty when none are listed)."""
    for o in options or []:
        text = o.sql() if hasattr(o, "sql") else str(o)
        if text.upper().startswith(f"ON {which.upper()} "):
            action, _, cols = text[len(which) + 4:].strip().partition("(")
            names = [ident(exp.to_identifier(c.strip())) if not c.strip().startswith('"') else c.strip()[1:-1]
                     for c in cols.rstrip(") ").split(",")] if cols else []
            return " ".join(action.lower().split()), list(dict.fromkeys(names))
    return "no action", []


def _fk_set_columns(options: list[Any], fk_cols: list[str], table_columns: list[str]) -> dict:
    """``{"on_delete_columns": [...]}`` for ON DELETE SET NULL/DEFAULT (cols), checked as PostgreSQL 15:
    each column exists (42703) and is one of the key's (42P10); ON UPDATE takes no list (0A000)."""
    action, cols = _fk_action_and_columns(options, "update")
    if cols:
        raise FeatureNotSupported(f"a column list with {action.upper()} is only supported for ON DELETE actions")
    action, cols = _fk_action_and_columns(options, "delete")
    for c in cols:
        if c not in table_columns:
            raise _missing_key_column(c)
        if c not in fk_cols:
            raise HeliosError(f'column "{c}" referenced in ON DELETE SET action must be part of foreign key',
                              sqlstate="42P10")
    return {"on_delete_columns": cols} if cols else {}


def _reference(session: Any, txn: Any, ref: exp.Reference, cols: list[str], name: str,
               self_table: tuple[str, str] | None = None, self_pk: list[str] | None = None) -> dict:
    target = ref.this
    tbl = target.this if isinstance(target, exp.Schema) else target
    ref_cols = [ident(c) for c in target.expressions] if isinstance(target, exp.Schema) else []
    schema, rname = table_name(session, tbl, txn)
    if self_table is not None and not tbl.args.get("db") and rname == self_table[1] \
            and is_temp_schema(self_table[0]):
        schema = self_table[0]  # the temporary schema is searched first: the table being created
    if self_table is not None and (schema, rname) == self_table:
        ref_pk = self_pk or []
    else:
        tdef = txn.get_table(schema, rname)
        if tdef is None:
            raise UndefinedTable(f'relation "{rname}" does not exist')
        ref_pk = list(tdef.primary_key)
        for c in ref_cols:
            if tdef.column(c) is None:
                raise _missing_key_column(c)
        if ref_cols:
            uniques = [u["columns"] for u in tdef.options.get("unique", [])]
            if sorted(ref_cols) != sorted(ref_pk) and sorted(ref_cols) not in [sorted(u) for u in uniques]:
                raise HeliosError(f'there is no unique constraint matching given keys for referenced table '
                                  f'"{rname}"', sqlstate="42830")
    if not ref_cols:
        if not ref_pk:
            raise HeliosError(f'there is no primary key for referenced table "{rname}"', sqlstate="42830")
        ref_cols = list(ref_pk)
    if len(ref_cols) != len(cols):
        raise HeliosError("number of referencing and referenced columns for foreign key disagree",
                          sqlstate="42830")
    opts = ref.args.get("options") or []
    match = _fk_match(opts)
    return {"name": name, "columns": cols, "ref_schema": schema, "ref_table": rname, "ref_columns": ref_cols,
            "on_delete": _fk_action(opts, "delete"), "on_update": _fk_action(opts, "update"),
            **({"match": "full"} if match == "full" else {}),
            **deferred_constraints.declared_deferral(opts, "foreign key")}


def _key_column_type(txn: Any, schema: str, table: str, new_columns: list[Any], name: str) -> Any:
    """The SQL type of a column being defined (``new_columns``) or already in the table."""
    for c in new_columns:
        if c.name == name:
            md = c.metadata or {}
            try:  # an enum column names its type in "enum" (schema.name)
                return types.type_from_name(md.get("enum") or md.get("sql_type") or "text")
            except HeliosError:  # a type named only through its metadata: not checked here
                return None
    tdef = txn.get_table(schema, table)
    found = dict(table_sql_columns(tdef)) if tdef is not None else {}
    return found.get(name)


def _check_key_types(txn: Any, schema: str, table: str, new_columns: list[Any], fk: dict) -> None:
    """42804 when a referencing column's type has no equality with the referenced one's, as
    PostgreSQL's "cannot be implemented" (numeric referencing integer, inet referencing integer)."""
    for col, ref_col in zip(fk["columns"], fk["ref_columns"], strict=True):
        mine = _key_column_type(txn, schema, table, new_columns, col)
        if (fk["ref_schema"], fk["ref_table"]) == (schema, table):
            theirs = _key_column_type(txn, schema, table, new_columns, ref_col)
        else:
            theirs = dict(table_sql_columns(txn.get_table(fk["ref_schema"], fk["ref_table"]))).get(ref_col)
        if mine is None or theirs is None or _key_types_compatible(mine, theirs):
            continue
        raise HeliosError(f'foreign key constraint "{fk["name"]}" cannot be implemented', sqlstate="42804",
                          detail=f'Key columns "{col}" and "{ref_col}" are of incompatible types: '
                                 f"{mine.base.sql_name()} and {theirs.base.sql_name()}.")


_KEY_FAMILIES = ({"int2", "int4", "int8"}, {"float4", "float8"}, {"text", "varchar", "bpchar", "name"},
                 {"date", "timestamp", "timestamptz"})


def _key_types_compatible(mine: Any, theirs: Any) -> bool:
    """Does the referenced type's btree family compare it with the referencing type (same type, one
    family of cross-type operators, or an implicit cast to the referenced type)?"""
    a, b = types.without_domain(mine), types.without_domain(theirs)
    if a.name == b.name or any(a.name in f and b.name in f for f in _KEY_FAMILIES):
        return True
    return implicitly_castable(a, b)


def _figure_name(node: exp.Expression) -> str:
    """The name PostgreSQL gives an index key in a constraint's default name: a column's own, a
    cast's operand's, a function's, else "expr"."""
    while isinstance(node, (exp.Paren, exp.Cast)):
        node = node.this
    if isinstance(node, exp.Column):
        return ident(node)
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return "expr"


def _check_exclusion_types(session: Any, txn: Any, tdef: Any, options: dict) -> None:
    """EXCLUDE's operator classes: gist over plain scalars needs btree_gist, as in PostgreSQL."""
    for record in options.get(exclusion_constraints.OPTION) or []:
        exclusion_constraints.check_types(session, tdef, record,
                                          extensions_catalog.installed(txn, "btree_gist") is not None)


def _fk_match(options: list[Any]) -> str:
    """MATCH SIMPLE (the default) or FULL; PARTIAL is PostgreSQL's own 0A000."""
    for o in options or []:
        text = " ".join((o.sql() if hasattr(o, "sql") else str(o)).upper().split())
        if text.startswith("MATCH "):
            kind = text[len("MATCH "):]
            if kind == "PARTIAL":
                raise FeatureNotSupported("MATCH PARTIAL not yet implemented")
            if kind not in ("FULL", "SIMPLE"):
                raise SyntaxError_(f'syntax error at or near "{kind.split()[0].lower()}"')
            return kind.lower()
    return "simple"


def build_columns(session: Any, txn: Any, schema: str, tname: str, elements: list[Any],
                  known: list[str] | None = None, check_names: tuple[str, ...] = (),
                  known_columns: list[Any] = ()) -> dict[str, Any]:
    """ColumnDefs, primary key and constraint options from CREATE TABLE's element list
    (check_names: the table's CHECK names already taken, for ALTER TABLE ADD; known_columns: the
    inherited columns ``known`` names, whose types a foreign key's check needs)."""
    cols: list[Any] = []
    pk: list[str] = []
    pk_name = f"{tname}_pkey"
    uniques: list[dict] = []
    checks: list[dict] = []
    fks: list[dict] = []
    seqs: list[dict] = []
    pending_refs: list[tuple[exp.Reference, list[str], str | None]] = []

    exclusions: list[dict[str, Any]] = []
    like_copies: list[create_like.LikeCopy] = []  # their indexes and comments follow the table's creation

    def add_unique(names: list[str], cname: str | None, deferral: dict[str, bool] | None = None) -> None:
        uniques.append({"name": cname or _constraint_name(tname, names, "key"), "columns": names,
                        **(deferral or {})})

    for el in elements:
        if isinstance(el, exp.ColumnDef):
            cname = ident(el.this)
            kind = el.args.get("kind")
            if kind is None:
                raise HeliosError(f'column "{cname}" has no type', sqlstate="42601")
            sql_type, serial = _column_type(kind, session, txn)
            type_privileges.check_declared(session, txn, kind)  # 42501 for a type the user may not use
            md: dict[str, str] = {"sql_type": sql_type.stored_name()}
            if user_types.is_composite_column(sql_type):  # found whatever the search_path
                md["user_type"] = user_types.type_text(sql_type, txn)
            enum = _find_enum(session, txn, kind) if kind.this == exp.DataType.Type.USERDEFINED else None
            if enum is not None and enum.get("kind") == "domain":
                md["domain"] = f"{enum['schema']}.{enum['name']}"
                md["sql_type"] = enum["name"]
            elif enum is not None and enum.get("kind") == "enum":
                md["enum"] = f"{enum['schema']}.{enum['name']}"
                labels = ", ".join("'" + lab.replace("'", "''") + "'" for lab in enum["labels"])
                checks.append({"name": f"{tname}_{cname}_enum", "expr": f'"{cname}" IN ({labels})',
                               "enum": enum["name"]})
            nullable = True
            if serial:
                seq_name = f"{tname}_{cname}_seq"
                seqs.append(sequences.make_definition(schema, seq_name, data_type=_SERIALS[serial][0],
                                                      owned_by=f"{schema}.{tname}.{cname}"))
                md["default"] = _sequence_default(schema, seq_name)
                md["sequence"] = f"{schema}.{seq_name}"
                nullable = False
            for c in el.args.get("constraints") or []:
                k = c.args.get("kind")
                con_name = ident(c.this) if c.this is not None else None
                if isinstance(k, exp.NotNullColumnConstraint):
                    nullable = bool(k.args.get("allow_null"))
                elif isinstance(k, exp.PrimaryKeyColumnConstraint):
                    deferred_constraints.declared_deferral(k.args.get("options"), "primary key")
                    if pk:
                        raise InvalidTableDefinition(
                            f'multiple primary keys for table "{tname}" are not allowed')
                    pk = [cname]
                    if con_name:
                        pk_name = con_name
                    nullable = False
                elif isinstance(k, exp.UniqueColumnConstraint):
                    add_unique([cname], con_name, deferred_constraints.declared_deferral(k.args.get("options"), "unique"))
                elif isinstance(k, exp.DefaultColumnConstraint):
                    if md.get("identity"):
                        raise HeliosError(f'both default and identity specified for column "{cname}" of table '
                                          f'"{tname}"', sqlstate="42601")
                    if generated_columns.KEY in md:
                        raise HeliosError(f'both default and generation expression specified for column "{cname}" '
                                          f'of table "{tname}"', sqlstate="42601")
                    md["default"] = expression_text(k.this)
                elif isinstance(k, exp.ComputedColumnConstraint):
                    md[generated_columns.KEY] = generated_columns.definition(k, cname, md, tname)
                elif isinstance(k, exp.CheckColumnConstraint):
                    checks.append({"name": con_name or _free_name(f"{tname}_{cname}_check", checks, check_names),
                                   "expr": to_sql(k.this), "local": True,
                                   **({"no_inherit": True} if k.args.get("no_inherit") else {})})
                elif isinstance(k, exp.Reference):
                    pending_refs.append((k, [cname], con_name))
                elif isinstance(k, exp.GeneratedAsIdentityColumnConstraint):
                    _check_identity_column(md, sql_type, cname, tname)
                    seq_name = f"{tname}_{cname}_seq"
                    bounds = {key: sequences._int_of(k.args[key]) for key in ("start", "increment", "minvalue",
                                                                              "maxvalue")
                              if k.args.get(key) is not None}
                    seqs.append(sequences.make_definition(
                        schema, seq_name, data_type=_seq_type(sql_type), cycle=bool(k.args.get("cycle")),
                        owned_by=f"{schema}.{tname}.{cname}", **bounds))
                    md["identity"] = "always" if k.this else "by default"
                    md["default"] = _sequence_default(schema, seq_name)
                    md["sequence"] = f"{schema}.{seq_name}"
                    nullable = False
                elif isinstance(k, exp.CollateColumnConstraint):
                    from helios_core.sql.collations import check_collatable, check_collation

                    check_collation(k.this)
                    el = sql_type.element
                    check_collatable(sql_type.name, el.name if el is not None else None, sql_type.sql_name())
                elif isinstance(k, exp.CommentColumnConstraint) or k is None:
                    pass
                else:
                    raise FeatureNotSupported(f"column constraint {k.key} is not supported")
            cols.append(ColumnDef(cname, sql_type.arrow_type, nullable, md))
        else:
            con_name = None
            items = [el]
            if isinstance(el, exp.Constraint):
                con_name = ident(el.this)
                items = list(el.expressions)
            for item in items:
                if isinstance(item, exp.PrimaryKey):
                    deferred_constraints.declared_deferral(item.args.get("options"), "primary key")
                    if pk:
                        raise InvalidTableDefinition(f'multiple primary keys for table "{tname}" are not allowed')
                    pk = [ident(c.this if isinstance(c, exp.Ordered) else c) for c in item.expressions]
                    if con_name:
                        pk_name = con_name
                elif isinstance(item, exp.UniqueColumnConstraint):
                    deferral = deferred_constraints.declared_deferral(item.args.get("options"), "unique")
                    sch = item.this
                    names = [ident(c) for c in (sch.expressions if sch is not None else [])]
                    add_unique(names, con_name, deferral)
                elif isinstance(item, exp.CheckColumnConstraint):
                    refs = sorted({ident(c) for c in item.this.find_all(exp.Column)})
                    default = f"{tname}_{refs[0]}_check" if len(refs) == 1 else f"{tname}_check"
                    checks.append({"name": con_name or _free_name(default, checks, check_names), "expr": to_sql(item.this),
                                   "local": True,
                                   **({"no_inherit": True} if item.args.get("no_inherit") else {})})
                elif isinstance(item, exp.ForeignKey):
                    names = [ident(c) for c in item.expressions]
                    pending_refs.append((item.args["reference"], names, con_name))
                elif isinstance(item, exp.ExcludeColumnConstraint):
                    elements = [w.this.this if isinstance(w.this, exp.Ordered) else w.this
                                for w in item.this.args.get("columns") or []]
                    words = [_figure_name(e) for e in elements]
                    exclusions.append(exclusion_constraints.definition(
                        item, con_name or _constraint_name(tname, words, "excl")))
                elif isinstance(item, exp.LikeProperty):
                    copy = create_like.copy_of(txn, table_name(session, item.this, txn), schema, tname, item,
                                               _sequence_default)
                    taken = {c.name for c in cols}
                    for c in copy.columns:
                        if c[0] in taken:
                            raise HeliosError(f'column "{c[0]}" specified more than once', sqlstate="42701")
                    cols.extend(ColumnDef(*c) for c in copy.columns)
                    checks.extend(copy.checks)
                    seqs.extend(copy.sequences)
                    if copy.primary_key:
                        if pk:
                            raise InvalidTableDefinition(f'multiple primary keys for table "{tname}" are not allowed')
                        pk = copy.primary_key
                    for u in copy.uniques:
                        uniques.append({"name": _constraint_name(tname, u["columns"], "key"), **u})
                    like_copies.append(copy)
                else:
                    raise FeatureNotSupported(f"table constraint {item.key} is not supported")
    names = [c.name for c in cols] + list(known or [])
    if txn.get_table(schema, tname) is None and known is None:
        # (an inheriting table's are checked once merged with its parents': create_table)
        generated_columns.validate_table(session, txn, tname, cols)
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise HeliosError(f'column "{n}" specified more than once', sqlstate="42701")
        if n in _SYSTEM_COLUMNS:
            raise HeliosError(f'column name "{n}" conflicts with a system column name', sqlstate="42701")
        seen.add(n)
    for k in pk + [c for u in uniques for c in u["columns"]]:
        if k not in names:
            raise UndefinedColumn(f'column "{k}" named in key does not exist')
    existing = txn.get_table(schema, tname)
    taken = {f["name"] for f in (existing.options.get("foreign_keys") or [] if existing is not None else [])}
    taken |= {n for _, _, n in pending_refs if n}
    for ref, fk_cols, fk_name in pending_refs:
        if fk_name is None:
            fk_name = _foreign_key_name(tname, fk_cols, taken)
        taken.add(fk_name)
        for c in fk_cols:
            if c not in names:
                raise _missing_key_column(c)
        fk = _reference(session, txn, ref, fk_cols, fk_name, (schema, tname), pk)
        fk.update(_fk_set_columns(ref.args.get("options") or [], fk_cols, names))
        _check_key_types(txn, schema, tname, [*cols, *known_columns], fk)
        fks.append(fk)
    # each unique constraint is also an index record
    uniq_out = [u for u in uniques if sorted(u["columns"]) != sorted(pk)]
    options: dict[str, Any] = {"pk_name": pk_name}
    if uniq_out:
        options["unique"] = uniq_out
    if checks:
        options["checks"] = checks
    if fks:
        options["foreign_keys"] = fks
    if exclusions:
        options[exclusion_constraints.OPTION] = exclusions
    return {"columns": cols, "primary_key": pk, "options": options, "sequences": seqs, "like_copies": like_copies}


def _check_identity_column(md: dict, sql_type: Any, cname: str, tname: str) -> None:
    """CREATE TABLE's rules for GENERATED ... AS IDENTITY: one per column, no default (serial has
    one), an integer type."""
    if md.get("identity"):
        raise HeliosError(f'multiple identity specifications for column "{cname}" of table "{tname}"',
                          sqlstate="42601")
    if md.get("default") is not None:
        raise HeliosError(f'both default and identity specified for column "{cname}" of table "{tname}"',
                          sqlstate="42601")
    if sql_type.name not in ("int2", "int4", "int8"):
        raise HeliosError("identity column type must be smallint, integer, or bigint", sqlstate="22023")


def table_physical(session: Any, a: dict) -> Result:
    """ALTER TABLE ... SET LOGGED / SET UNLOGGED (relpersistence: HeliosDB logs every table, so an
    unlogged one still survives a crash) and CLUSTER ON index / SET WITHOUT CLUSTER (the index a
    later CLUSTER would order by: pg_index.indisclustered)."""
    txn = session.tx.current()
    tdef = table_to_alter(session, txn, a["table"], a["if_exists"])
    if isinstance(tdef, Result):
        return tdef
    if "persistence" in a:
        txn.alter_table(tdef.schema, tdef.name, options={"persistence": a["persistence"]})
    elif a["cluster_on"] is None:
        txn.alter_table(tdef.schema, tdef.name, options={"clustered_index": None})
    else:
        index = a["cluster_on"]
        rec = txn.catalog_get("index", f"{tdef.schema}.{index}")
        constraint_index = index == (tdef.options.get("pk_name") or f"{tdef.name}_pkey") and tdef.primary_key or \
            any(u["name"] == index for u in tdef.options.get("unique") or [])
        if rec is None and not constraint_index:
            raise UndefinedObject(f'index "{index}" for table "{tdef.name}" does not exist')
        if rec is not None and rec.get("method", "btree") not in ("btree",):
            raise FeatureNotSupported(f'cannot cluster on index "{index}" because access method does not '
                                      "support clustering")
        txn.alter_table(tdef.schema, tdef.name, options={"clustered_index": index})
    return Result(command_tag="ALTER TABLE")


def _retype_identity_sequence(txn: Any, md: dict, new_type: Any) -> None:
    """ALTER COLUMN TYPE of an identity column: the type must stay an integer one, and the sequence
    takes the new type (its maximum with it, when it was the old type's)."""
    if new_type.name not in ("int2", "int4", "int8"):
        raise HeliosError("identity column type must be smallint, integer, or bigint", sqlstate="22023")
    seq = txn.catalog_get("sequence", md.get("sequence") or "")
    if seq is None:
        return
    old_lo, old_hi = sequences._LIMITS.get(seq["data_type"], sequences._LIMITS["bigint"])
    txn.catalog_put("sequence", md["sequence"], sequences.redefined(
        seq, data_type=_seq_type(new_type), minvalue=None if seq["minvalue"] == old_lo else seq["minvalue"],
        maxvalue=None if seq["maxvalue"] == old_hi else seq["maxvalue"]))


def _seq_type(sql_type: Any) -> str:
    return {"int2": "smallint", "int4": "integer"}.get(sql_type.name, "bigint")


# the CREATE TABLE clauses create_table acts on; any other is refused rather than ignored
_TABLE_PROPERTIES = (exp.TemporaryProperty, exp.OnCommitProperty, exp.PartitionedByProperty, exp.InheritsProperty,
                     exp.PartitionedOfProperty, exp.UnloggedProperty, exp.TableSpaceProperty, exp.WithDataProperty)


def _refuse_unknown_table_properties(props: exp.Properties | None) -> None:
    for p in props.expressions if props is not None else []:
        if isinstance(p, exp.FileFormatProperty):  # USING am
            am = p.this.name.lower() if p.this is not None else ""
            if am == "heap":
                continue  # PostgreSQL's default table access method, the only one there is here
            if am in ("btree", "hash", "gist", "gin", "spgist", "brin"):
                raise HeliosError(f'access method "{am}" is not of type TABLE', sqlstate="42809")
            raise HeliosError(f'access method "{am}" does not exist', sqlstate="42704")
        if type(p) is not exp.Property and not isinstance(p, _TABLE_PROPERTIES):  # WITH (name = value): checked above
            raise FeatureNotSupported(f"CREATE TABLE clause {p.sql(dialect='postgres')} is not supported")


def create_table(session: Any, ast: exp.Create) -> Result:
    txn = session.tx.current()
    exists_ok = bool(ast.args.get("exists"))
    target = ast.this
    if isinstance(target, exp.Schema):
        table = target.this
        elements = list(target.expressions)
    else:
        table = target
        elements = []
    props = ast.args.get("properties")
    storage_parameters.check_table_parameters(props)  # WITH (fillfactor = 70): 22023 for unknown names
    storage_parameters.check_tablespace(props)
    _refuse_unknown_table_properties(props)
    temporary = props is not None and any(isinstance(p, exp.TemporaryProperty) for p in props.expressions)
    on_commit = None
    for p in (props.expressions if props is not None else []):
        if isinstance(p, exp.OnCommitProperty):
            on_commit = "delete" if p.args.get("delete") else "preserve"
    if ast.args.get("on_commit_drop"):
        on_commit = "drop"
    if on_commit is not None and not temporary and table.args.get("db") is None:
        raise HeliosError("ON COMMIT can only be used on temporary tables", sqlstate="42P16")
    if temporary and table.args.get("db") is not None and ident(table.args["db"]) != "pg_temp":
        raise HeliosError("cannot create temporary relation in non-temporary schema", sqlstate="42P16")
    schema, name = table_name(session, table, txn, for_create=True)
    if temporary:
        schema = temp_tables.own_schema(session)
    temporary = temporary or schema == temp_tables.own_schema(session)
    if not temporary:
        _check_schema(txn, schema)
    if txn.get_table(schema, name) is not None or relation_kind(txn, schema, name) is not None:
        if exists_ok:
            return Result(command_tag="CREATE TABLE", notices=[
                f'relation "{name}" already exists, skipping'])
        raise DuplicateTable(f'relation "{name}" already exists')
    if temporary:
        temp_tables.register(session, schema, name, on_commit)  # dropped when the session closes
    query = ast.args.get("expression")
    part_by = next((p for p in (props.expressions if props is not None else [])
                    if isinstance(p, exp.PartitionedByProperty)), None)
    part_of = next((p for p in (props.expressions if props is not None else [])
                    if isinstance(p, exp.PartitionedOfProperty)), None)
    if query is not None:
        if part_by is not None:
            raise FeatureNotSupported("CREATE TABLE AS with PARTITION BY is not supported")
        no_data = any(isinstance(p, exp.WithDataProperty) and p.args.get("no")
                      for p in (props.expressions if props is not None else []))
        return _create_table_as(session, txn, schema, name, query, elements, no_data=no_data)
    inherits = next((p for p in (props.expressions if props is not None else [])
                     if isinstance(p, exp.InheritsProperty)), None)
    if part_of is not None:
        if inherits is not None:
            raise HeliosError('syntax error at or near "INHERITS"', sqlstate="42601")
        return _create_partition(session, txn, schema, name, part_of, part_by)
    notices: list[str] = []
    if inherits is not None:
        if part_by is not None:
            raise HeliosError("cannot create partitioned table as inheritance child", sqlstate="42809")
        ups = inheritance.resolve_parents(txn, [table_name(session, n, txn) for n in inherits.expressions],
                                          temporary=temporary)
        own_names = {ident(e.this) for e in elements if isinstance(e, exp.ColumnDef)}
        for like in (e for e in elements if isinstance(e, exp.LikeProperty)):  # LIKE's columns are its own too
            src = txn.get_table(*table_name(session, like.this, txn))
            own_names |= {c.name for c in src.columns} if src is not None else set()
        inherited = list(dict.fromkeys(c.name for p in ups for c in p.columns if c.name not in own_names))
        spec = build_columns(session, txn, schema, name, elements, known=inherited, known_columns=[
            c for p in ups for c in p.columns if c.name in inherited])
        try:
            cols, counts, own, inh_checks = inheritance.merge_columns(ups, spec["columns"], notices)
            local_checks = spec["options"].get("checks") or []
            notices += inheritance.merge_checks(name, inh_checks, local_checks)
        except HeliosError:
            for text in notices:  # the NOTICEs PostgreSQL sent before the error
                routine_notices.emit(session, inheritance.notice(text))
            raise
        spec["columns"] = cols
        generated_columns.validate_table(session, txn, name, cols)
        merged = {c["name"] for c in local_checks}
        spec["options"]["checks"] = [c for c in inh_checks if c["name"] not in merged] + local_checks or None
        if not spec["options"]["checks"]:
            del spec["options"]["checks"]
        spec["options"]["inherit_count"] = counts
        spec["options"]["local_columns"] = own
    else:
        spec = build_columns(session, txn, schema, name, elements)
    if part_by is not None:
        spec["options"]["partition_by"] = partitions.spec_from_property(session, txn, part_by, name, spec["columns"])
        partitions.check_unique_keys(name, spec["options"]["partition_by"], spec["primary_key"],
                                     spec["options"].get("unique", []))
        spec["options"]["partitions"] = []
    reloptions = storage_parameters.table_reloptions(props)
    if reloptions:
        spec["options"]["reloptions"] = reloptions
    if any(isinstance(p, exp.UnloggedProperty) for p in (props.expressions if props is not None else [])):
        # PostgreSQL skips the WAL for it and empties it after a crash; HeliosDB still logs it (its
        # rows survive a crash), which no statement can tell apart: relpersistence says what was asked
        spec["options"]["persistence"] = "u"
    for d in spec["sequences"]:
        txn.catalog_put("sequence", f"{schema}.{d['name']}", d)
    if txn.catalog_get("type", f"{schema}.{name}") is not None:  # the table's row type takes the name
        raise DuplicateObject(f'type "{name}" already exists')
    txn.create_table(schema, name, spec["columns"], primary_key=spec["primary_key"] or None,
                     options=spec["options"])
    _check_exclusion_types(session, txn, txn.get_table(schema, name), spec["options"])
    user_types.remember(session, user_types.table_row_type(txn.get_table(schema, name)))
    _record_constraint_indexes(txn, schema, name, spec["primary_key"], spec["options"])
    for copy in spec.get("like_copies") or []:
        _finish_like_copy(txn, schema, name, copy)
    for fk in spec["options"].get("foreign_keys", []):
        _add_ref(txn, fk, schema, name)
    if inherits is not None:
        for p in ups:
            inheritance.link(txn, txn.get_table(p.schema, p.name), txn.get_table(schema, name))
    return Result(command_tag="CREATE TABLE", notices=notices)


_PARTITION_COMMAND = re.compile(
    r"table\s+(?:if\s+exists\s+)?(?:only\s+)?(?P<parent>\S+)\s+(?P<op>attach|detach)\s+partition\s+"
    r"(?P<part>\S+)\s*(?P<rest>.*?)\s*;?\s*$", re.IGNORECASE | re.DOTALL)


_INDEX_PARTITION = re.compile(r"index\s+(?:if\s+exists\s+)?(?P<parent>\S+)\s+attach\s+partition\s+(?P<part>\S+)"
                              r"\s*;?\s*$", re.IGNORECASE | re.DOTALL)


def _attach_index(session: Any, txn: Any, m: re.Match) -> Result:
    """ALTER INDEX parent_idx ATTACH PARTITION part_idx (pg_dump's way of pairing a partitioned table's
    key with its partitions'): each partition enforces its own, so this checks that they match."""
    found = []
    for ref in (m["parent"], m["part"]):
        schema, name = table_name(session, exp.to_table(ref, dialect="postgres"), txn)
        idx = txn.catalog_get("index", f"{schema}.{name}") or _constraint_index(txn, schema, name)
        if idx is None:
            raise UndefinedTable(f'relation "{name}" does not exist')
        found.append((schema, idx))
    (ps, pidx), (cs, cidx) = found
    child = txn.get_table(cs, cidx["table"])
    if partitions.parent_of(child) != (ps, pidx["table"]):
        raise HeliosError(f'"{cidx["table"]}" is not a partition of "{pidx["table"]}"', sqlstate="42809")
    if pidx.get("columns") != cidx.get("columns") or bool(pidx.get("unique")) != bool(cidx.get("unique")):
        raise HeliosError(f'cannot attach index "{cidx["name"]}" as a partition of index "{pidx["name"]}"',
                          sqlstate="42809", detail="The index definitions do not match.")
    return Result(command_tag="ALTER INDEX")


def _constraint_index(txn: Any, schema: str, name: str) -> dict | None:
    """The index a PRIMARY KEY or UNIQUE constraint stands for, described like a catalog index."""
    for t in txn.list_tables(schema):
        if t.primary_key and (t.options.get("pk_name") or f"{t.name}_pkey") == name:
            return {"name": name, "table": t.name, "columns": list(t.primary_key), "unique": True}
        for u in t.options.get("unique", []):
            if u.get("name") == name:
                return {"name": name, "table": t.name, "columns": list(u["columns"]), "unique": True}
    return None


def partition_command(session: Any, text: str) -> Result | None:
    """ALTER TABLE parent ATTACH PARTITION t FOR VALUES ... | DEFAULT; ALTER TABLE parent DETACH PARTITION t;
    ALTER INDEX parent_idx ATTACH PARTITION idx.

    None when ``text`` (what follows ALTER) is not one of these."""
    txn = session.tx.current()
    im = _INDEX_PARTITION.match(text.strip())
    if im is not None:
        return _attach_index(session, txn, im)
    m = _PARTITION_COMMAND.match(text.strip())
    if m is None:
        return None
    pschema, pname = table_name(session, exp.to_table(m["parent"], dialect="postgres"), txn)
    sschema, sname = table_name(session, exp.to_table(m["part"], dialect="postgres"), txn)
    parent = txn.get_table(pschema, pname)
    if parent is None:
        raise UndefinedTable(f'relation "{pname}" does not exist')
    if m["op"].lower() == "detach":
        if m["rest"]:
            raise FeatureNotSupported(f"DETACH PARTITION {m['rest'].upper()} is not supported")
        partitions.detach(txn, parent, sschema, sname)
        return Result(command_tag="ALTER TABLE")
    part = txn.get_table(sschema, sname)
    if part is None:
        raise UndefinedTable(f'relation "{sname}" does not exist')
    try:
        tree = sqlglot.parse_one(f"CREATE TABLE _p PARTITION OF _q {m['rest']}", read="postgres")
        bound_node = tree.args["properties"].expressions[0].expression
    except (sqlglot.errors.ParseError, KeyError, AttributeError, IndexError):
        raise HeliosError(f"syntax error at or near \"{m['rest'][:20]}\"", sqlstate="42601") from None
    partitions.attach(session, txn, parent, part, bound_node)
    clone_foreign_keys(session, txn, parent.options.get("foreign_keys") or [], part, validate=True)
    return Result(command_tag="ALTER TABLE")


def clone_foreign_keys(session: Any, txn: Any, fks: list[dict], part: Any, *, validate: bool) -> None:
    """A partition (and the partitions below it) takes its parent's foreign keys under their names,
    as PostgreSQL clones them: rows written to the partition are checked against them, and the
    referenced table's actions reach it. ``validate``: its existing rows are checked now (ATTACH)."""

    part = txn.get_table(part.schema, part.name)
    if not fks or part is None:
        return
    have = list(part.options.get("foreign_keys") or [])
    taken = {f["name"] for f in have} | {c["name"] for c in part.options.get("checks") or []}
    added = []
    for fk in fks:
        if any((f["columns"], f["ref_schema"], f["ref_table"], f["ref_columns"]) ==
               (fk["columns"], fk["ref_schema"], fk["ref_table"], fk["ref_columns"]) for f in have):
            continue  # the partition has that key already
        name = fk["name"] if fk["name"] not in taken else _foreign_key_name(part.name, fk["columns"], taken)
        taken.add(name)
        added.append({**fk, "name": name})
    if added:
        part = txn.alter_table(part.schema, part.name, options={"foreign_keys": have + added})
        for fk in added:
            _add_ref(txn, fk, part.schema, part.name)
        if validate:
            constraints.validate_foreign_keys(txn, txn.get_table(part.schema, part.name), added)
    if partitions.spec(part) is not None:
        for sub in partitions.children(txn, part):
            clone_foreign_keys(session, txn, fks, sub, validate=validate)


def _create_partition(session: Any, txn: Any, schema: str, name: str, part_of: Any, part_by: Any) -> Result:
    """CREATE TABLE name PARTITION OF parent FOR VALUES ... | DEFAULT [PARTITION BY ...]."""
    target = part_of.this
    elements: list[Any] = []
    if isinstance(target, exp.Schema):
        elements = list(target.expressions)
        target = target.this
    pschema, pname = table_name(session, target, txn)
    parent = txn.get_table(pschema, pname)
    if parent is None:
        raise UndefinedTable(f'relation "{pname}" does not exist')
    if partitions.spec(parent) is None:
        raise HeliosError(f'"{pname}" is not partitioned', sqlstate="42P17")
    partitions.check_persistence(parent, schema)
    bound = partitions.bound_from_ast(session, txn, parent, name, part_of.expression)
    partitions.check_new_bound(txn, parent, name, bound)
    cols = [ColumnDef(c.name, c.type, c.nullable, {k: v for k, v in (c.metadata or {}).items() if k != "sequence"})
            for c in parent.columns]  # a serial's sequence stays owned by the parent
    options: dict[str, Any] = {}
    if parent.primary_key:
        options["pk_name"] = f"{name}_pkey"
    if parent.options.get("checks"):
        options["checks"] = [dict(c) for c in parent.options["checks"]]
    if parent.options.get("unique"):
        options["unique"] = [dict(u, name=_constraint_name(name, u["columns"], "idx" if u.get("index_only") else "key"))
                             for u in parent.options["unique"]]
    if part_by is not None:
        options["partition_by"] = partitions.spec_from_property(session, txn, part_by, name, cols)
        partitions.check_unique_keys(name, options["partition_by"], list(parent.primary_key),
                                     options.get("unique", []))
        options["partitions"] = []
    pk = list(parent.primary_key)
    if elements:  # the partition's own column options and constraints: (b UNIQUE, c DEFAULT 5, PRIMARY KEY (a))
        cols, pk = _partition_elements(session, txn, schema, name, cols, pk, options, elements)
    txn.create_table(schema, name, cols, primary_key=pk or None, options=options)
    _record_constraint_indexes(txn, schema, name, pk, options)
    partitions._link(txn, parent, txn.get_table(schema, name), bound)
    partitions.check_default_rows(txn, txn.get_table(pschema, pname), session.context(txn))
    clone_foreign_keys(session, txn, parent.options.get("foreign_keys") or [], txn.get_table(schema, name),
                       validate=False)
    return Result(command_tag="CREATE TABLE")


def _partition_elements(session: Any, txn: Any, schema: str, name: str, cols: list[Any], pk: list[str],
                        options: dict, elements: list[Any]) -> tuple[list[Any], list[str]]:
    """CREATE TABLE ... PARTITION OF parent (column options, table constraints): a column named there
    takes NOT NULL / DEFAULT, its UNIQUE, CHECK and PRIMARY KEY become the partition's constraints,
    as do table constraints. Columns keep the parent's types (a type there is PostgreSQL's 42601)."""
    names = [c.name for c in cols]
    constraints_: list[Any] = []
    for el in elements:
        if not isinstance(el, exp.ColumnDef):
            constraints_.append(el)
            continue
        cname = ident(el.this)
        if cname not in names:
            raise UndefinedColumn(f'column "{cname}" does not exist')
        if el.args.get("kind") is not None:
            raise SyntaxError_(f'syntax error at or near "{el.args["kind"].sql(dialect="postgres").lower()}"')
        i = names.index(cname)
        for c in el.args.get("constraints") or []:
            k = c.args.get("kind")
            named = {"this": c.this} if c.this is not None else {}
            if isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null"):
                cols[i] = ColumnDef(cols[i].name, cols[i].type, False, cols[i].metadata)
            elif isinstance(k, exp.DefaultColumnConstraint):
                cols[i] = ColumnDef(cols[i].name, cols[i].type, cols[i].nullable,
                                    {**(cols[i].metadata or {}), "default": expression_text(k.this)})
            elif isinstance(k, exp.UniqueColumnConstraint):
                constraints_.append(exp.Constraint(**named, expressions=[exp.UniqueColumnConstraint(
                    this=exp.Schema(expressions=[exp.to_identifier(cname)]))]) if named else
                    exp.UniqueColumnConstraint(this=exp.Schema(expressions=[exp.to_identifier(cname)])))
            elif isinstance(k, exp.PrimaryKeyColumnConstraint):
                constraints_.append(exp.PrimaryKey(expressions=[exp.to_identifier(cname)]))
            elif isinstance(k, exp.CheckColumnConstraint):
                constraints_.append(exp.Constraint(**named, expressions=[k]) if named else k)
            else:
                raise FeatureNotSupported(f"column option {k.key} in CREATE TABLE ... PARTITION OF is not supported")
    if constraints_:
        spec = build_columns(session, txn, schema, name, constraints_, known=names,
                             check_names=tuple(c["name"] for c in options.get("checks") or []))
        if spec["primary_key"]:
            if pk:
                raise InvalidTableDefinition(f'multiple primary keys for table "{name}" are not allowed')
            pk = spec["primary_key"]
            options["pk_name"] = spec["options"].get("pk_name") or f"{name}_pkey"
        for key in ("unique", "checks"):
            if spec["options"].get(key):
                options[key] = list(options.get(key) or []) + spec["options"][key]
        if spec["options"].get("foreign_keys"):
            raise FeatureNotSupported("FOREIGN KEY in CREATE TABLE ... PARTITION OF is not supported")
    return cols, pk


def _record_constraint_indexes(txn: Any, schema: str, name: str, pk: list[str], options: dict) -> None:
    names = ([options.get("pk_name") or f"{name}_pkey"] if pk else []) + [u["name"] for u in options.get("unique", [])]
    if names:
        t = txn.get_table(schema, name)
        have = list(t.options.get("indexes", [])) if t is not None else []
        txn.alter_table(schema, name, options={"indexes": have + [n for n in names if n not in have]})
    if pk:
        iname = options.get("pk_name") or f"{name}_pkey"
        txn.catalog_put("index", f"{schema}.{iname}", {"schema": schema, "name": iname, "table": name,
                                                       "columns": pk, "unique": True, "primary": True,
                                                       "constraint": True})
    for u in options.get("unique", []):
        txn.catalog_put("index", f"{schema}.{u['name']}", {"schema": schema, "name": u["name"], "table": name,
                                                          "columns": u["columns"], "unique": True,
                                                          "primary": False, "constraint": True})


def _create_table_as(session: Any, txn: Any, schema: str, name: str, query: Any, elements: list, *,
                     no_data: bool = False) -> Result:
    """CREATE TABLE ... AS query [WITH [NO] DATA]: WITH NO DATA makes the empty table only."""
    ctx = session.context(txn)
    plan = session.plan_query(query, ctx)
    names = [ident(e) for e in elements] if elements else [n for n, _ in plan.columns]
    cols = []
    for n, (_, t) in zip(names, plan.columns, strict=False):
        if t.name == "unknown":
            t = types.TEXT
        cols.append(ColumnDef(n, t.arrow_type, True, {"sql_type": t.stored_name()}))
    txn.create_table(schema, name, cols, options={"pk_name": f"{name}_pkey"})
    if no_data:
        return Result(command_tag="CREATE TABLE AS")
    count = 0
    import pyarrow as pa

    scales = numeric_display.ScaleWatch(cols)
    for batch in plan.execute(ctx):
        arrays = [batch.column(i) for i in range(len(cols))]
        scales.see(arrays)
        rb = pa.RecordBatch.from_arrays(
            [a.cast(c.type) if a.type != c.type else a for a, c in zip(arrays, cols, strict=True)],
            names=[c.name for c in cols])
        txn.insert(schema, name, rb)
        count += rb.num_rows
    scales.record(txn, schema, name)
    return Result(command_tag=f"SELECT {count}")


def _check_schema(txn: Any, schema: str) -> None:
    if schema not in ("public", "pg_catalog") and txn.catalog_get("schema", schema) is None:
        raise InvalidSchemaName(f'schema "{schema}" does not exist')


def _create_schema(session: Any, ast: exp.Create) -> Result:
    txn = session.tx.current()
    t = ast.this
    name = ident(t.args.get("db") or t.this)
    if txn.catalog_get("schema", name) is not None or name in ("pg_catalog", "information_schema"):
        if ast.args.get("exists"):
            return Result(command_tag="CREATE SCHEMA", notices=[f'schema "{name}" already exists, skipping'])
        raise DuplicateObject(f'schema "{name}" already exists', sqlstate="42P06")
    txn.catalog_put("schema", name, {"name": name, "owner": session.user})
    return Result(command_tag="CREATE SCHEMA")


def _create_view(session: Any, ast: exp.Create, text: str) -> Result:
    props = ast.args.get("properties")
    if props is not None and any(isinstance(p, exp.MaterializedProperty) for p in props.expressions):
        # a plain view in its place would answer stale-free rows and ignore REFRESH: refuse instead
        raise FeatureNotSupported("CREATE MATERIALIZED VIEW is not supported")
    txn = session.tx.current()
    target = ast.this
    cols: list[str] = []
    if isinstance(target, exp.Schema):
        cols = [ident(c) for c in target.expressions]
        target = target.this
    schema, name = table_name(session, target, txn, for_create=True)
    query = ast.args.get("expression")
    notices: list[str] = []
    temporary = props is not None and any(isinstance(p, exp.TemporaryProperty) for p in props.expressions)
    if not temporary and any(is_temp_schema(src.split(".", 1)[0]) for src in _view_sources(session, txn, query)):
        temporary = True  # a view over a temporary table is temporary too, as PostgreSQL says
        if target.args.get("db") is None:
            notices.append(f'view "{name}" will be a temporary view')
        else:  # said before the error that a named non-temporary schema brings
            routine_notices.emit(session, inheritance.notice(f'view "{name}" will be a temporary view'))
    if temporary:
        if target.args.get("db") is not None and ident(target.args["db"]) != "pg_temp":
            raise HeliosError("cannot create temporary relation in non-temporary schema", sqlstate="42P16")
        schema = own_schema(session)
    else:
        _check_schema(txn, schema)
    key = f"{schema}.{name}"
    existing = txn.catalog_get("view", key)
    if existing is not None and not ast.args.get("replace"):
        if ast.args.get("exists"):
            return Result(command_tag="CREATE VIEW")
        raise DuplicateTable(f'relation "{name}" already exists')
    if existing is None and relation_kind(txn, schema, name) is not None:
        raise DuplicateTable(f'relation "{name}" already exists')
    # validate now (unknown tables/columns are errors at CREATE VIEW time, as in PostgreSQL)
    with object_privileges.names_only():  # PostgreSQL checks
        plan = session.plan_query(query, session.context(txn))  # privileges when the view is used
    out_names = cols or [n for n, _ in plan.columns]
    if cols and len(cols) > len(plan.columns):
        raise HeliosError("CREATE VIEW specifies more column names than columns", sqlstate="42601")
    query = view_stars.expand_stars(txn, _bound_names(session, txn, query))
    sql = to_sql(query)
    if cols:
        out_names = cols + [n for n, _ in plan.columns][len(cols):]
        alias_list = ", ".join(exp.to_identifier(n, quoted=True).sql(dialect="postgres") for n in out_names)
        sql = f"SELECT * FROM ({sql}) AS {exp.to_identifier(name, quoted=True).sql(dialect='postgres')}({alias_list})"
    if existing is not None:  # OR REPLACE: only new columns at the end (42P16 otherwise)
        view_replacement.check_replacement(session, txn, schema, name, out_names, [t for _, t in plan.columns])
    record = {"schema": schema, "name": name, "sql": sql, "columns": out_names, "select": to_sql(query)}
    options = dict(ast.args.get("view_options") or {})
    if options:
        record["options"] = options
    _check_view_check_option(session, txn, schema, record)
    if existing is not None:  # CREATE OR REPLACE keeps the owner and grants
        record.update({k: existing[k] for k in ("owner", "acl", "column_acl", "oid", "triggers") if k in existing})
    txn.catalog_put("view", key, record)
    if temporary:
        session.temp_tables.add((schema, name))  # dropped when the session closes
    for src in _view_sources(session, txn, query):
        dep = txn.catalog_get("depend", src) or {"views": []}
        if key not in dep["views"]:
            dep["views"].append(key)
            txn.catalog_put("depend", src, dep)
    return Result(command_tag="CREATE VIEW", notices=notices)


def _create_index(session: Any, ast: exp.Create) -> Result:
    txn = session.tx.current()
    idx = ast.this
    table = idx.args.get("table")
    schema, tname = table_name(session, table, txn)
    tdef = txn.get_table(schema, tname)
    if tdef is None:
        raise UndefinedTable(f'relation "{tname}" does not exist')
    if foreign_tables.definition(tdef) is not None:
        raise HeliosError(f'cannot create index on relation "{tname}"', sqlstate="42809",
                          detail="This operation is not supported for foreign tables.")
    unique = bool(ast.args.get("unique"))
    params = idx.args.get("params")
    spec = index_definitions.parse_index(session, tdef, params, unique) if params is not None else {
        "keys": [], "method": "btree", "include": [], "where": None}
    cols = [index_definitions.key_sql(k, in_definition=False) for k in spec["keys"]]
    name_parts = [k.get("column") or _expr_index_name(k["expr"]) for k in spec["keys"]] + spec["include"]
    if idx.this is not None:
        iname = ident(idx.this)
    else:  # an unnamed index takes the first free name, as in PostgreSQL: t_a_idx, t_a_idx1, ...
        base = iname = _constraint_name(tname, name_parts, "idx")
        n = 0
        while txn.catalog_get("index", f"{schema}.{iname}") is not None or relation_kind(txn, schema, iname):
            n += 1
            iname = f"{base}{n}"
    key = f"{schema}.{iname}"
    if txn.catalog_get("index", key) is not None or relation_kind(txn, schema, iname) is not None:
        if ast.args.get("exists"):
            return Result(command_tag="CREATE INDEX", notices=[f'relation "{iname}" already exists, skipping'])
        raise DuplicateTable(f'relation "{iname}" already exists')
    if unique and index_definitions.needs_expression_unique(spec):
        entry = {"name": iname, "keys": spec["keys"], "where": spec["where"]}
        index_definitions.check_existing(session, txn, tdef, entry)
        txn.alter_table(schema, tname, options={
            "expression_unique": list(tdef.options.get("expression_unique", [])) + [entry]})
    elif unique:
        if partitions.spec(tdef) is not None:  # each partition keeps its own (the key includes the partitioning)
            foreign_tables.refuse_unique_index(tdef, partitions.leaves(txn, tdef))
            partitions.check_unique_keys(tname, partitions.spec(tdef), [], [{"columns": cols}])
            for leaf in partitions.leaves(txn, tdef):
                leaf_name = _constraint_name(leaf.name, name_parts, "idx")
                constraints.check_existing_unique(session, txn, leaf, cols, leaf_name)
                txn.alter_table(leaf.schema, leaf.name, options={"unique": list(leaf.options.get("unique", [])) + [
                    {"name": leaf_name, "columns": cols, "index_only": True}]})
        else:
            constraints.check_existing_unique(session, txn, tdef, cols, iname)
        uniq = list(tdef.options.get("unique", [])) + [{"name": iname, "columns": cols, "index_only": True}]
        txn.alter_table(schema, tname, options={"unique": uniq})
    txn.catalog_put("index", key, {"schema": schema, "name": iname, "table": tname, "columns": cols,
                                   "unique": unique, "primary": False, "constraint": False, **spec})
    _add_index_name(txn, schema, tname, iname)
    return Result(command_tag="CREATE INDEX")


def _finish_like_copy(txn: Any, schema: str, table: str, copy: Any) -> None:
    """CREATE TABLE ... LIKE, once the table exists: the source's other indexes under names made for
    this table (t_a_idx, t_a_idx1, ...), and the comments the copy takes."""
    renamed: dict[str, str] = {}
    tdef = txn.get_table(schema, table)
    for rec in copy.indexes:
        parts = [k.get("column") or _expr_index_name(k["expr"]) for k in rec.get("keys") or []] + \
            list(rec.get("include") or [])
        base = iname = _constraint_name(table, parts, "idx")
        n = 0
        while txn.catalog_get("index", f"{schema}.{iname}") is not None or relation_kind(txn, schema, iname):
            n += 1
            iname = f"{base}{n}"
        renamed[rec["name"]] = iname
        if rec.get("unique"):  # enforced through the table's options, as CREATE UNIQUE INDEX records it
            tdef = txn.get_table(schema, table)
            if index_definitions.needs_expression_unique(rec):
                entry = {"name": iname, "keys": rec["keys"], "where": rec.get("where")}
                txn.alter_table(schema, table, options={
                    "expression_unique": list(tdef.options.get("expression_unique", [])) + [entry]})
            else:
                txn.alter_table(schema, table, options={"unique": list(tdef.options.get("unique", [])) + [
                    {"name": iname, "columns": list(rec["columns"]), "index_only": True}]})
        txn.catalog_put("index", f"{schema}.{iname}", dict(rec, schema=schema, name=iname, table=table))
        _add_index_name(txn, schema, table, iname)
    tdef = txn.get_table(schema, table)
    for kind, obj, text in copy.comments:
        if kind == "column":
            txn.catalog_put("comment", f"column:{schema}.{table}.{obj}", text)
        elif kind == "constraint":
            txn.catalog_put("comment", f"constraint:{schema}.{table}.{obj}", text)
        elif obj in renamed:
            txn.catalog_put("comment", f"index:{schema}.{renamed[obj]}", text)


def _expr_index_name(text: str) -> str:
    """PostgreSQL names an expression key after its function (``lower``), else ``expr``."""
    head = text.split("(", 1)[0]
    return head if "(" in text and head.isidentifier() else "expr"


def _create_sequence(session: Any, ast: exp.Create) -> Result:
    txn = session.tx.current()
    listed = ast.args.get("properties").expressions if ast.args.get("properties") else []
    temporary = any(isinstance(p, exp.TemporaryProperty) for p in listed)
    target = ast.this.this if isinstance(ast.this, exp.Schema) else ast.this
    if temporary and target.args.get("db") is not None and ident(target.args["db"]) != "pg_temp":
        raise HeliosError("cannot create temporary relation in non-temporary schema", sqlstate="42P16")
    schema, name = table_name(session, ast.this, txn, for_create=True)
    if temporary:
        schema = own_schema(session)
    temporary = temporary or schema == own_schema(session)
    if not temporary:
        _check_schema(txn, schema)
    key = f"{schema}.{name}"
    if relation_kind(txn, schema, name) is not None:
        if ast.args.get("exists"):
            return Result(command_tag="CREATE SEQUENCE", notices=[f'relation "{name}" already exists, skipping'])
        raise DuplicateTable(f'relation "{name}" already exists')
    props = None
    for p in listed:
        if isinstance(p, exp.SequenceProperties):
            props = p
    d = sequences.definition_from_options(schema, name, props, ast.args.get("expression"))
    txn.catalog_put("sequence", key, d)
    if temporary:  # in the session's pg_temp, dropped when the session ends (as temp tables are)
        temp_tables.register(session, schema, name, None)
    return Result(command_tag="CREATE SEQUENCE")


# ---------------------------------------------------------------------------------------- DROP
def _drop(session: Any, ast: exp.Drop) -> Result:
    kind = (ast.args.get("kind") or "").upper()
    txn = session.tx.current()
    if_exists = bool(ast.args.get("exists"))
    cascade = bool(ast.args.get("cascade"))
    notices: list[str] = []
    tag = f"DROP {kind}"
    if kind == "DATABASE":
        force = database_drop.drop_options(ast.args.get("expressions") or [])
        if session.tx.in_block:
            raise ActiveSqlTransaction("DROP DATABASE cannot run inside a transaction block")
        for t in ast.args.get("tables") or [ast.this]:
            name = ident(t.this)
            if name in TEMPLATE_DATABASES:
                raise HeliosError("cannot drop a template database", sqlstate="42809")
            if name not in session.engine.list_databases():
                if if_exists:
                    notices.append(f'database "{name}" does not exist, skipping')
                    continue
                raise HeliosError(f'database "{name}" does not exist', sqlstate="3D000")
            if name == session.database:
                raise HeliosError("cannot drop the currently open database", sqlstate="55006")
            if force:
                database_drop.end_other_sessions(session, name)
            others = sum(s.database == name for s in list(session.engine.sessions.values()))
            if others:
                raise HeliosError(f'database "{name}" is being accessed by other users', sqlstate="55006",
                                  detail=f"There {'is' if others == 1 else 'are'} {others} other session"
                                         f"{'' if others == 1 else 's'} using the database." if force else None)
            session.engine.store.drop_database(name)
        return Result(command_tag=tag, notices=notices)
    if kind == "SCHEMA":
        for t in ast.args.get("tables") or []:
            name = ident(t.args.get("db") or t.this)
            if txn.catalog_get("schema", name) is None:
                if if_exists:
                    notices.append(f'schema "{name}" does not exist, skipping')
                    continue
                raise UndefinedObject(f'schema "{name}" does not exist', sqlstate="3F000")
            contents = [t for t in txn.list_tables(name)]
            views = [k for k in txn.catalog_list("view") if k.startswith(name + ".")]
            members = schema_member_lines(session, txn, name)
            if members and not cascade:
                raise DependentObjectsStillExist(f"cannot drop schema {name} because other objects depend on it",
                                                 detail="\n".join(f"{what} depends on {on}" for what, on in members),
                                                 hint="Use DROP ... CASCADE to drop the dependent objects too.")
            notices.extend(cascade_notices([f"drop cascades to {what}" for what, _ in members]))
            for tdef in contents:
                if txn.get_table(tdef.schema, tdef.name) is not None:  # partitions go with their parent
                    drop_table_objects(session, txn, tdef.schema, tdef.name, cascade=True)
            for k in views:
                if txn.catalog_get("view", k) is not None:
                    txn.catalog_delete("view", k)
            # what else lives in the schema: sequences, indexes, types (enums, domains), routines
            for kk in ("sequence", "index", "type", routine_definition.KIND):
                for k in list(txn.catalog_list(kk)):
                    if k.startswith(name + "."):
                        txn.catalog_delete(kk, k)
            object_privileges.forget_schema_default_privileges(txn, name)  # not inherited by a namesake
            txn.catalog_delete("schema", name)
        return Result(command_tag=tag, notices=notices)
    for t in ast.args.get("tables") or []:
        schema, name = _resolve_for_drop(session, txn, t, kind)
        if t.args.get("db") is not None and missing_schema(txn, [schema, name]):
            if not if_exists:
                raise InvalidSchemaName(f'schema "{schema}" does not exist')
            notices.append(f'schema "{schema}" does not exist, skipping')
            continue
        kind_found = relation_kind(txn, schema, name) if schema else None
        if kind == "TYPE":
            schema_t, tname_t = (ident(t.args["db"]), ident(t.this)) if t.args.get("db") is not None else (
                None, ident(t.this))
            found = None
            for sch in ([schema_t] if schema_t else session.search_path()):
                if txn.catalog_get("type", f"{sch}.{tname_t}") is not None:
                    found = f"{sch}.{tname_t}"
                    break
            if found is None:
                if if_exists:
                    notices.append(f'type "{tname_t}" does not exist, skipping')
                    continue
                raise UndefinedObject(f'type "{tname_t}" does not exist')
            users = [tb for tb in txn.list_tables() for c in tb.columns if c.metadata.get("enum") == found]
            if users and not cascade:
                raise DependentObjectsStillExist(
                    f"cannot drop type {tname_t} because other objects depend on it",
                    detail=f"column of table {users[0].name} depends on type {tname_t}",
                    hint="Use DROP ... CASCADE to drop the dependent objects too.")
            for tb in users:
                for c in tb.columns:
                    if c.metadata.get("enum") == found:
                        txn.alter_table(tb.schema, tb.name, drop_column=c.name)
            txn.catalog_delete("type", found)
            continue
        want = {"TABLE": "table", "VIEW": "view", "INDEX": "index", "SEQUENCE": "sequence"}.get(kind)
        if kind == "VIEW" and ast.args.get("materialized"):
            want, tag = "materialized view", "DROP MATERIALIZED VIEW"
        if kind == "TABLE" and foreign_tables.dropping_foreign_tables():
            want = "foreign table"
        if kind_found == "table" and foreign_tables.definition(txn.get_table(schema, name)) is not None:
            kind_found = "foreign table"
        if want is None:
            raise FeatureNotSupported(f"DROP {kind} is not supported")
        if kind_found != want:
            if kind_found is not None:
                raise HeliosError(f'"{name}" is not a {want}', sqlstate="42809",
                                  hint=f"Use DROP {kind_found.upper()} to remove a {kind_found}.")
            if if_exists:
                notices.append(f'{want} "{name}" does not exist, skipping')
                continue
            if want == "foreign table":  # PostgreSQL's code for a missing foreign table
                raise UndefinedObject(f'{want} "{name}" does not exist')
            raise UndefinedTable(f'{want} "{name}" does not exist')
        if want in ("table", "materialized view", "foreign table"):
            notices.extend(composite_types.drop_row_type_users(txn, schema, name, cascade=cascade))
            tdef = txn.get_table(schema, name)
            if inheritance.has_children(tdef):  # the tables below it go too, or the statement fails
                notices.extend(_drop_inheritors(session, txn, tdef, cascade=cascade, named=[
                    _resolve_for_drop(session, txn, o, kind) for o in ast.args.get("tables") or []]))
            notices.extend(cascade_notices(drop_table_objects(session, txn, schema, name, cascade=cascade, named={
                _resolve_for_drop(session, txn, o, kind) for o in ast.args.get("tables") or []})))
        elif want == "view":
            notices.extend(cascade_notices(_drop_dependent_views(session, txn, f"{schema}.{name}", "view", cascade)))
            txn.catalog_delete("view", f"{schema}.{name}")
        elif want == "index":
            _drop_index(txn, schema, name)
        elif want == "sequence":
            notices.extend(cascade_notices(_drop_sequence_defaults(txn, schema, name, cascade)))
            txn.catalog_delete("sequence", f"{schema}.{name}")  # its cached counter stays: DROP may roll back
    return Result(command_tag=tag, notices=notices)


def _shown(session: Any, schema: str, name: str) -> str:
    """An object's name as PostgreSQL's messages print it: qualified unless its schema is on the
    search_path."""
    try:
        visible = schema in session.search_path() or is_temp_schema(schema)
    except Exception:  # noqa: BLE001 - no session settings: public only
        visible = schema == "public"
    return name if visible else f"{schema}.{name}"


def _creation_order(txn: Any, schema: str) -> dict[tuple[str, str], int]:
    """(catalog kind, key) -> position of its catalog entry's latest write, for the entries of a
    schema: the order objects were created in, unless altered since."""
    order: dict[tuple[str, str], int] = {}
    for batch in txn.scan_def(CATALOG, with_rowid=True, columns=["kind", "key"]):
        for kind, key, rowid in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(),
                                    batch.column(batch.num_columns - 1).to_pylist(), strict=True):
            if isinstance(key, str) and key.startswith(schema + "."):
                order[(kind, key)] = rowid
    return order


def schema_member_lines(session: Any, txn: Any, schema: str) -> list[tuple[str, str]]:
    """(object, what it depends on) of everything DROP SCHEMA takes along, as PostgreSQL lists them:
    tables, views, sequences (not those a column owns), types and routines of the schema in the
    order they were created, each table followed by the views elsewhere that read it."""
    if is_temp_schema(schema):
        return []
    on = f"schema {schema}"
    order = _creation_order(txn, schema)
    members: list[tuple[int, list[tuple[str, str]]]] = []
    seen: set[str] = set()
    for tdef in txn.list_tables(schema):
        noun = ("materialized view" if matviews.definition(tdef) is not None else
                "foreign table" if foreign_tables.definition(tdef) is not None else "table")
        lines = [(f"{noun} {_shown(session, schema, tdef.name)}", on)]
        for v in _dependent_views(txn, f"{schema}.{tdef.name}"):
            if not v.startswith(schema + ".") and v not in seen:
                seen.add(v)
                vs, vn = v.split(".", 1)
                lines.append((f"view {_shown(session, vs, vn)}", f"{noun} {_shown(session, schema, tdef.name)}"))
        members.append((order.get(("table", f"{schema}.{tdef.name}"), 0), lines))
    for key in txn.catalog_list("view"):
        if key.startswith(schema + "."):
            members.append((order.get(("view", key), 0), [(f"view {_shown(session, schema, key.split('.', 1)[1])}", on)]))
    for key, rec in txn.catalog_list("sequence").items():
        if key.startswith(schema + ".") and not rec.get("owned_by"):
            members.append((order.get(("sequence", key), 0),
                            [(f"sequence {_shown(session, schema, key.split('.', 1)[1])}", on)]))
    for key in txn.catalog_list("type"):
        if key.startswith(schema + "."):
            members.append((order.get(("type", key), 0), [(f"type {_shown(session, schema, key.split('.', 1)[1])}", on)]))
    for key, rec in txn.catalog_list(routine_definition.KIND).items():
        if not key.startswith(schema + "."):
            continue
        for record in rec.get("overloads") or []:
            r = routine_definition.Routine(record)
            try:
                args = ",".join(t.sql_name() for t in r.in_types)
            except Exception:  # noqa: BLE001 - a type gone since: the declared names
                args = ",".join(a["type"] for a in record["args"] if a["mode"] in ("i", "b", "v"))
            noun = "procedure" if r.is_procedure else "function"
            members.append((order.get((routine_definition.KIND, key), 0),
                            [(f"{noun} {_shown(session, schema, r.name)}({args})", on)]))
    members.sort(key=lambda m: m[0])
    return [line for _, lines in members for line in lines]


_NEXTVAL = re.compile(r"nextval\(\s*(?:CAST\(\s*)?'((?:[^']|'')+)'", re.IGNORECASE)


def _sequence_default_users(txn: Any, schema: str, name: str) -> list[tuple[Any, str]]:
    """(table, column) of each column default that calls nextval() of sequence schema.name (an
    identity column's sequence is its own, not a default's)."""
    out = []
    for tdef in txn.list_tables(None):
        for c in tdef.columns:
            md = c.metadata or {}
            if md.get("identity"):
                continue
            for text in _NEXTVAL.findall(md.get("default") or ""):
                parts = [p.strip('"') for p in text.replace("''", "'").split(".")]
                if parts[-1] != name:
                    continue
                if (len(parts) == 2 and parts[0] == schema) or (len(parts) == 1 and schema in (tdef.schema, "public")):
                    out.append((tdef, c.name))
                    break
    return out


def _drop_sequence_defaults(txn: Any, schema: str, name: str, cascade: bool) -> list[str]:
    """DROP SEQUENCE of a sequence column defaults call: 2BP01 unless CASCADE, which drops those
    defaults (PostgreSQL's "drop cascades to default value for column ... of table ...")."""
    users = _sequence_default_users(txn, schema, name)
    if users and not cascade:
        raise DependentObjectsStillExist(
            f"cannot drop sequence {name} because other objects depend on it",
            detail="\n".join(f"default value for column {c} of table {t.name} depends on sequence {name}"
                             for t, c in users),
            hint="Use DROP ... CASCADE to drop the dependent objects too.")
    lines = []
    for tdef, cname in users:
        tdef = txn.get_table(tdef.schema, tdef.name)
        md = dict(constraints.column_metadata(tdef, cname))
        md.pop("default", None)
        _set_column_metadata(txn, tdef, cname, md)
        lines.append(f"drop cascades to default value for column {cname} of table {tdef.name}")
    return lines


def _drop_inheritors(session: Any, txn: Any, tdef: Any, *, cascade: bool, named: list) -> list:
    """DROP of a table others inherit from: 2BP01 unless CASCADE (or all of them are named too)."""
    below = [d for d in inheritance.descendants(txn, tdef) if (d.schema, d.name) not in named]
    if not below:
        return []
    label = foreign_tables.label
    lines = [f"{label(d)} {d.name} depends on {label(tdef)} {tdef.name}" for d in inheritance.children(txn, tdef)
             if (d.schema, d.name) not in named]
    if not cascade:
        raise DependentObjectsStillExist(f"cannot drop {label(tdef)} {tdef.name} because other objects depend on it",
                                         detail="\n".join(lines) if lines else None,
                                         hint="Use DROP ... CASCADE to drop the dependent objects too.")
    for d in reversed(below):
        if txn.get_table(d.schema, d.name) is not None:
            drop_table_objects(session, txn, d.schema, d.name, cascade=True)
    return inheritance.cascade_notice(below)


def _resolve_for_drop(session: Any, txn: Any, t: exp.Table, kind: str) -> tuple[str, str]:
    name = ident(t.this)
    if t.args.get("db") is not None:
        return map_schema(session, ident(t.args["db"])), name  # pg_temp: the session's own
    for schema in session.search_path():
        if relation_kind(txn, schema, name) is not None:
            return schema, name
    return (session.search_path() or ["public"])[0], name


def drop_table_objects(session: Any, txn: Any, schema: str, name: str, *, cascade: bool,
                       named: set[tuple[str, str]] | None = None) -> list[str]:
    """Drop a table with its indexes, owned sequences and (CASCADE) dependent FKs and views.

    ``named``: the tables the same DROP removes; their foreign keys to this one do not hold it
    back (PostgreSQL drops them together). Returns the lines of the "drop cascades to" notice."""
    notices: list[str] = []
    tdef = txn.get_table(schema, name)
    if tdef is None:
        raise UndefinedTable(f'table "{name}" does not exist')
    if partitions.spec(tdef) is not None:  # a partitioned table's partitions go with it
        for part in partitions.children(txn, tdef):
            drop_table_objects(session, txn, part.schema, part.name, cascade=cascade)
        tdef = txn.get_table(schema, name)
    parent_key = partitions.parent_of(tdef)
    if parent_key is not None and txn.get_table(*parent_key) is not None:
        partitions.unlink(txn, txn.get_table(*parent_key), tdef)
    for parent in inheritance.parents(txn, tdef):
        inheritance.unlink(txn, parent, txn.get_table(schema, name))
    tdef = txn.get_table(schema, name)
    if not cascade:  # 2BP01 lists every dependent: foreign keys, then the views over it (and theirs)
        shown = _shown(session, schema, name)
        detail = [f"constraint {fk['name']} on table {_shown(session, child.schema, child.name)} depends on table "
                  f"{shown}" for child, fk in referencing(txn, tdef) if (child.schema, child.name) != (schema, name)
                  and not (named is not None and _dropped_with(txn, child, named))]
        if detail:
            detail.extend(dependent_view_lines(txn, f"{schema}.{name}", "table", session=session))
            raise DependentObjectsStillExist(
                f"cannot drop table {shown} because other objects depend on it", detail="\n".join(detail),
                hint="Use DROP ... CASCADE to drop the dependent objects too.")
    for child, fk in referencing(txn, tdef):
        if (child.schema, child.name) == (schema, name):
            continue
        together = named is not None and _dropped_with(txn, child, named)
        if not together:
            notices.append(f"drop cascades to constraint {fk['name']} on table "
                           f"{_shown(session, child.schema, child.name)}")
        txn.alter_table(child.schema, child.name, options={"foreign_keys": [
            f for f in child.options.get("foreign_keys", []) if f["name"] != fk["name"]]})
    notices.extend(_drop_dependent_views(session, txn, f"{schema}.{name}", "table", cascade))
    for fk in tdef.options.get("foreign_keys", []):
        if (fk["ref_schema"], fk["ref_table"]) != (schema, name):
            _remove_ref(txn, fk, schema, name)
    txn.drop_table(schema, name)
    for iname in tdef.options.get("indexes", []):
        if txn.catalog_get("index", f"{schema}.{iname}") is not None:
            txn.catalog_delete("index", f"{schema}.{iname}")
    # comments go with their objects (a table made again under the name starts without them)
    _drop_comments(txn, [f"table:{schema}.{name}", *(f"column:{schema}.{name}.{c.name}" for c in tdef.columns),
                         *(f"index:{schema}.{iname}" for iname in tdef.options.get("indexes", []))])
    for c in tdef.columns:
        seq = c.metadata.get("sequence")
        if seq:
            txn.catalog_delete("sequence", seq)  # the cached counter stays: the DROP may roll back
    return notices


def _dropped_with(txn: Any, table: Any, named: set[tuple[str, str]]) -> bool:
    """Whether ``table`` goes with the tables a DROP names: one of them, or a partition of one."""
    while table is not None:
        if (table.schema, table.name) in named:
            return True
        up = (table.options or {}).get("partition_of")
        table = txn.get_table(up["schema"], up["name"]) if up else None
    return False


def _drop_comments(txn: Any, keys: list[str]) -> None:
    for key in keys:
        if txn.catalog_get("comment", key) is not None:
            txn.catalog_delete("comment", key)


def _drop_indexes_reading(txn: Any, tdef: Any, column: str) -> None:
    """ALTER TABLE DROP COLUMN drops the (non-constraint) indexes that read the column."""
    for iname in list(tdef.options.get("indexes", [])):
        idx = txn.catalog_get("index", f"{tdef.schema}.{iname}")
        if idx is None or idx.get("constraint") or "keys" not in idx:
            if idx is not None and not idx.get("constraint") and column in (idx.get("columns") or []):
                _drop_index(txn, tdef.schema, iname)
            continue
        if column in index_definitions.referenced_columns(idx):
            _drop_index(txn, tdef.schema, iname)


def _drop_index(txn: Any, schema: str, name: str) -> None:
    key = f"{schema}.{name}"
    idx = txn.catalog_get("index", key)
    if idx.get("constraint"):
        raise HeliosError(f"cannot drop index {name} because constraint {name} on table {idx['table']} "
                          "requires it", sqlstate="2BP01",
                          hint=f"You can drop constraint {name} on table {idx['table']} instead.")
    tdef = txn.get_table(schema, idx["table"])
    if tdef is not None:
        opts: dict[str, Any] = {"indexes": [i for i in tdef.options.get("indexes", []) if i != name]}
        if idx.get("unique"):
            opts["unique"] = [u for u in tdef.options.get("unique", []) if u["name"] != name]
            opts["expression_unique"] = [u for u in tdef.options.get("expression_unique", []) if u["name"] != name]
        txn.alter_table(schema, idx["table"], options=opts)
    txn.catalog_delete("index", key)
    _drop_comments(txn, [f"index:{key}"])


# ---------------------------------------------------------------------------------------- ALTER
def _alter_view(session: Any, txn: Any, ast: exp.Alter) -> Result:
    """ALTER VIEW: RENAME [COLUMN], SET (options), ALTER COLUMN SET/DROP DEFAULT."""
    schema, name = table_name(session, ast.this, txn)
    key = f"{schema}.{name}"
    v = txn.catalog_get("view", key)
    if v is None:
        if ast.args.get("exists"):
            return Result(command_tag="ALTER VIEW", notices=[f'relation "{name}" does not exist, skipping'])
        raise UndefinedTable(f'relation "{name}" does not exist')
    v = dict(v)
    for action in ast.args.get("actions") or []:
        if isinstance(action, exp.AlterRename):
            new = ident(action.this.this)
            if relation_kind(txn, schema, new) is not None:
                raise DuplicateTable(f'relation "{new}" already exists')
            txn.catalog_delete("view", key)
            v["name"] = new
            key = f"{schema}.{new}"
        elif isinstance(action, exp.RenameColumn):
            old_name, new_name = ident(action.this), ident(action.args["to"])
            cols = list(v.get("columns") or [])
            if old_name not in cols:
                raise UndefinedColumn(f'column "{old_name}" does not exist')
            if new_name in cols:
                raise HeliosError(f'column "{new_name}" of relation "{name}" already exists', sqlstate="42701")
            v["columns"] = [new_name if c == old_name else c for c in cols]
            defaults = dict(v.get("defaults") or {})
            if old_name in defaults:
                defaults[new_name] = defaults.pop(old_name)
                v["defaults"] = defaults
        elif isinstance(action, exp.AlterSet) and action.expressions:
            options = dict(v.get("options") or {})
            for e in action.expressions:
                opt = ident(e.this) if isinstance(e, exp.EQ) else ident(e)
                raw = None
                if isinstance(e, exp.EQ):
                    val = e.expression
                    raw = val.name if isinstance(val, (exp.Column, exp.Literal, exp.Boolean, exp.Identifier)) \
                        else val.sql()
                    if isinstance(val, exp.Boolean):
                        raw = "true" if val.this else "false"
                options[opt] = view_options.check_value(opt, raw)
            v["options"] = options
            _check_view_check_option(session, txn, schema, v)
        elif isinstance(action, exp.AlterColumn) and ("default" in action.args or action.args.get("drop")):
            col = ident(action.this)
            if col not in (v.get("columns") or []):
                raise UndefinedColumn(f'column "{col}" of relation "{name}" does not exist')
            defaults = dict(v.get("defaults") or {})
            if action.args.get("drop"):
                defaults.pop(col, None)
            else:
                defaults[col] = to_sql(action.args["default"])
            v["defaults"] = defaults
        else:
            raise FeatureNotSupported(f"ALTER VIEW {action.sql(dialect='postgres')} is not supported")
    txn.catalog_put("view", key, v)
    session.engine.bump_plan_generation()
    return Result(command_tag="ALTER VIEW")


def alter_view_reset(session: Any, name_sql: str, names: list[str], if_exists: bool) -> Result:
    """ALTER VIEW name RESET (option, ...)."""
    txn = session.tx.current()
    target = sqlglot.parse_one(name_sql, read="postgres", into=exp.Table)
    schema, name = table_name(session, target, txn)
    key = f"{schema}.{name}"
    v = txn.catalog_get("view", key)
    if v is None:
        if if_exists:
            return Result(command_tag="ALTER VIEW", notices=[f'relation "{name}" does not exist, skipping'])
        raise UndefinedTable(f'relation "{name}" does not exist')
    options = dict(v.get("options") or {})
    for n in names:
        if n not in view_options.OPTIONS:
            raise HeliosError(f'unrecognized parameter "{n}"', sqlstate="22023")
        options.pop(n, None)
    txn.catalog_put("view", key, {**v, "options": options})
    session.engine.bump_plan_generation()
    return Result(command_tag="ALTER VIEW")


def _check_view_check_option(session: Any, txn: Any, schema: str, record: dict) -> None:
    """WITH CHECK OPTION only on an automatically updatable view (0A000, the reason as HINT)."""
    if not (record.get("options") or {}).get("check_option"):
        return
    from helios_core.sql import updatable_views

    shape = updatable_views.analyze(session, txn, schema, record["name"], record)
    if shape.reason is not None:
        raise FeatureNotSupported("WITH CHECK OPTION is supported only on automatically updatable views",
                                  hint=shape.reason)


def _alter(session: Any, ast: exp.Alter) -> Result:
    kind = (ast.args.get("kind") or "").upper()
    txn = session.tx.current()
    if kind == "VIEW":
        return _alter_view(session, txn, ast)
    if kind == "INDEX":
        schema, name = _resolve_for_drop(session, txn, ast.this, "INDEX")
        idx = txn.catalog_get("index", f"{schema}.{name}")
        if idx is None:
            raise UndefinedTable(f'relation "{name}" does not exist')
        for action in ast.args.get("actions") or []:
            if isinstance(action, exp.AlterRename):
                new = ident(action.this.this)
                if relation_kind(txn, schema, new) is not None:
                    raise DuplicateTable(f'relation "{new}" already exists')
                txn.catalog_delete("index", f"{schema}.{name}")
                txn.catalog_put("index", f"{schema}.{new}", {**idx, "name": new})
                t = txn.get_table(schema, idx["table"])
                if t is not None:
                    opts = {"indexes": [new if i == name else i for i in t.options.get("indexes", [])]}
                    if idx.get("unique"):
                        for k in ("unique", "expression_unique"):
                            opts[k] = [{**u, "name": new} if u["name"] == name else u for u in t.options.get(k, [])]
                    if t.options.get("pk_name") == name:
                        opts["pk_name"] = new
                    txn.alter_table(schema, idx["table"], options=opts)
        return Result(command_tag="ALTER INDEX")
    if kind != "TABLE":
        raise FeatureNotSupported(f"ALTER {kind} is not supported")
    schema, name = table_name(session, ast.this, txn)
    tdef = txn.get_table(schema, name)
    if tdef is None:
        if ast.args.get("exists"):
            return Result(command_tag="ALTER TABLE", notices=[f'relation "{name}" does not exist, skipping'])
        raise UndefinedTable(f'relation "{name}" does not exist')
    actions = [_rename_column_form(ast, a) for a in ast.args.get("actions") or []]
    only = bool(ast.args.get("only"))
    if partitions.spec(tdef) is not None and not _partitioned_only_form(txn, tdef, actions, only):
        for action in actions:  # a partitioned table's change reaches every partition, as in PostgreSQL
            tdef = _alter_partitioned(session, txn, tdef, action)
        return Result(command_tag="ALTER TABLE")
    notices: list = []
    if partitions.spec(tdef) is None and tdef.options.get("inherits"):
        _check_child_alter(txn, tdef, actions)
    if partitions.spec(tdef) is None and inheritance.has_children(tdef):
        if only:
            _inherited_only_form(actions)
        else:
            for action in actions:  # a parent's change reaches the tables that inherit from it
                tdef = _alter_inherited(session, txn, tdef, action, notices)
            return Result(command_tag="ALTER TABLE", notices=notices)
    if partitions.spec(tdef) is not None or partitions.parent_of(tdef) is not None:
        _check_partition_alter(session, txn, tdef, actions, only=only)
    for action in actions:
        tdef = _alter_action(session, txn, tdef, action)
        if partitions.spec(tdef) is not None:
            partitions.check_unique_keys(tdef.name, partitions.spec(tdef), list(tdef.primary_key),
                                         tdef.options.get("unique", []))
    return Result(command_tag="ALTER TABLE")


def _partitioned_only_form(txn: Any, tdef: Any, actions: list, only: bool) -> bool:
    """ALTER TABLE ONLY on a partitioned table: constraints on the table alone (pg_dump's form) are
    taken as they are; column changes must reach the partitions (42P16 as PostgreSQL)."""
    if not only:
        return False
    if not partitions.children(txn, tdef):
        return True
    for action in actions:
        if isinstance(action, exp.ColumnDef):
            raise InvalidTableDefinition("column must be added to child tables too")
        if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
            raise InvalidTableDefinition("cannot drop column from only the partitioned table when partitions exist",
                                         hint="Do not specify the ONLY keyword.")
        if isinstance(action, exp.RenameColumn):
            raise InvalidTableDefinition(f'inherited column "{ident(action.this)}" must be renamed in child '
                                         "tables too")
        if isinstance(action, exp.AlterColumn) and action.args.get("dtype") is not None:
            raise InvalidTableDefinition(f'type of inherited column "{ident(action.this)}" must be changed in '
                                         "child tables too")
    return True


def _rename_column_form(ast: exp.Alter, action: Any) -> Any:
    """ALTER TABLE t RENAME a TO b (COLUMN left out) renames a column; sqlglot reads a table rename."""
    to = next((o for o in ast.args.get("options") or [] if isinstance(o, exp.ToTableProperty)), None)
    if isinstance(action, exp.AlterRename) and to is not None:
        return exp.RenameColumn(this=exp.column(action.this.this.copy()), to=exp.column(to.this.this.copy()))
    return action


def _inherited_only_form(actions: list) -> None:
    """ALTER TABLE ONLY on a table others inherit from: column changes must reach them (42P16)."""
    for action in actions:
        if isinstance(action, exp.ColumnDef):
            raise InvalidTableDefinition("column must be added to child tables too")
        if isinstance(action, exp.RenameColumn):
            raise InvalidTableDefinition(f'inherited column "{ident(action.this)}" must be renamed in child '
                                         "tables too")
        if isinstance(action, exp.AlterColumn) and action.args.get("dtype") is not None:
            raise InvalidTableDefinition(f'type of inherited column "{ident(action.this)}" must be changed in '
                                         "child tables too")


def _check_child_alter(txn: Any, tdef: Any, actions: list) -> None:
    """An inherited column cannot be dropped, renamed or retyped in the child alone, nor an inherited
    CHECK constraint dropped (42P16)."""
    counts = tdef.options.get("inherit_count") or {}
    from_parents = {k["name"] for p in inheritance.parents(txn, tdef) for k in p.options.get("checks") or []
                    if not k.get("no_inherit")}
    for action in actions:
        if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "CONSTRAINT":
            for c in action.args.get("tables") or []:
                mine = next((k for k in tdef.options.get("checks") or [] if k["name"] == ident(c)), None)
                if mine is not None and ident(c) in from_parents and not mine.get("local"):
                    raise InvalidTableDefinition(f'cannot drop inherited constraint "{ident(c)}" of relation '
                                                 f'"{tdef.name}"')
        if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
            for c in action.args.get("tables") or []:
                if counts.get(ident(c)):
                    raise InvalidTableDefinition(f'cannot drop inherited column "{ident(c)}"')
        if isinstance(action, exp.RenameColumn) and counts.get(ident(action.this)):
            raise InvalidTableDefinition(f'cannot rename inherited column "{ident(action.this)}"')
        if isinstance(action, exp.AlterColumn) and action.args.get("dtype") is not None and \
                counts.get(ident(action.this)):
            raise InvalidTableDefinition(f'cannot alter inherited column "{ident(action.this)}"')


def _alter_inherited(session: Any, txn: Any, tdef: Any, action: Any, notices: list, *, top: bool = True) -> Any:
    """One ALTER TABLE action on a table and on every table that inherits from it, as PostgreSQL recurses
    (``top``: the table the statement names, not one reached through it)."""
    kids = inheritance.children(txn, tdef)
    if isinstance(action, exp.ColumnDef):
        tdef = _alter_action(session, txn, tdef, action.copy())
        new = ident(action.this)
        for child in kids:
            child = txn.get_table(child.schema, child.name)  # reached before through another parent?
            counts = dict(child.options.get("inherit_count") or {})
            have = child.column(new)
            if have is not None:
                mine = tdef.column(new)
                if inheritance._plain_type(have) != inheritance._plain_type(mine):
                    raise inheritance.DatatypeMismatch(f'child table "{child.name}" has different type for column '
                                                       f'"{new}"')
                notices.append(f'merging definition of column "{new}" for child "{child.name}"')
                counts[new] = counts.get(new, 0) + 1
                txn.alter_table(child.schema, child.name, options={"inherit_count": counts})
                continue
            counts[new] = 1
            txn.alter_table(child.schema, child.name, options={"inherit_count": counts})
            _alter_inherited(session, txn, txn.get_table(child.schema, child.name), action, notices)
        return txn.get_table(tdef.schema, tdef.name)
    if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
        names = [ident(c) for c in action.args.get("tables") or [] if tdef.column(ident(c)) is not None]
        tdef = _alter_action(session, txn, tdef, action.copy())
        for child in kids:
            counts = dict(child.options.get("inherit_count") or {})
            local = set(child.options.get("local_columns") or [])
            gone = []
            for n in names:
                if n not in counts:
                    continue
                counts[n] -= 1
                if counts[n] <= 0:
                    del counts[n]
                    if n not in local:
                        gone.append(n)
            child = txn.alter_table(child.schema, child.name, options={"inherit_count": counts})
            if gone:
                _alter_inherited(session, txn, child, exp.Drop(kind="COLUMN", tables=[
                    exp.to_identifier(n, quoted=True) for n in gone], cascade=action.args.get("cascade")), notices)
        return txn.get_table(tdef.schema, tdef.name)
    if isinstance(action, exp.RenameColumn):
        old, new = ident(action.this), ident(action.args["to"])
        if top:
            _check_rename_reaches_all_parents(txn, tdef, old)
        tdef = _alter_action(session, txn, tdef, action.copy())
        for child in kids:
            if child.column(old) is None:
                continue
            counts = {new if k == old else k: v for k, v in (child.options.get("inherit_count") or {}).items()}
            local = [new if k == old else k for k in child.options.get("local_columns") or []]
            child = txn.alter_table(child.schema, child.name, options={"inherit_count": counts,
                                                                       "local_columns": local})
            _alter_inherited(session, txn, child, action, notices, top=False)
        return txn.get_table(tdef.schema, tdef.name)
    if isinstance(action, exp.AlterColumn) and action.args.get("dtype") is not None and top:
        _check_retype_reaches_all_parents(txn, tdef, ident(action.this))
    if isinstance(action, exp.AlterColumn) or (isinstance(action, exp.AddConstraint) and all(
            isinstance(e, exp.CheckColumnConstraint) or (isinstance(e, exp.Constraint) and all(
                isinstance(x, exp.CheckColumnConstraint) for x in e.expressions)) for e in action.expressions)):
        before = {k["name"] for k in tdef.options.get("checks") or []}
        tdef = _alter_action(session, txn, tdef, action.copy())
        if isinstance(action, exp.AddConstraint):  # each child takes the constraint under the parent's name
            added = [k for k in tdef.options.get("checks") or [] if k["name"] not in before
                     and not k.get("no_inherit")]
            notices += inheritance.add_checks_below(session, txn, tdef, added)
            return txn.get_table(tdef.schema, tdef.name)
        for child in inheritance.descendants(txn, tdef):  # each once, however many paths lead to it
            child = txn.get_table(child.schema, child.name)
            if child.column(ident(action.this)) is not None:
                _alter_action(session, txn, child, action.copy())
        return txn.get_table(tdef.schema, tdef.name)
    if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "CONSTRAINT":
        names = {ident(c) for c in action.args.get("tables") or []}
        tdef = _alter_action(session, txn, tdef, action.copy())
        for child in inheritance.descendants(txn, tdef):
            keep = [k for k in child.options.get("checks") or [] if k["name"] not in names or k.get("local")]
            if len(keep) != len(child.options.get("checks") or []):
                txn.alter_table(child.schema, child.name, options={"checks": keep})
        return txn.get_table(tdef.schema, tdef.name)
    return _alter_action(session, txn, tdef, action)


def _check_rename_reaches_all_parents(txn: Any, tdef: Any, old: str) -> None:
    """A column a child also inherits from a parent outside the renamed tree cannot be renamed (42P16)."""
    child = _child_inheriting_from_outside(txn, tdef, old)
    if child is not None:
        raise InvalidTableDefinition(f'cannot rename inherited column "{old}"')


def _check_retype_reaches_all_parents(txn: Any, tdef: Any, col: str) -> None:
    """ALTER COLUMN TYPE on a parent: a child that also inherits the column from elsewhere refuses (42P16)."""
    child = _child_inheriting_from_outside(txn, tdef, col)
    if child is not None:
        raise InvalidTableDefinition(f'cannot alter inherited column "{col}" of relation "{child.name}"')


def _child_inheriting_from_outside(txn: Any, tdef: Any, col: str) -> Any:
    """A table below ``tdef`` that inherits ``col`` from a parent outside ``tdef``'s tree too, else None."""
    tree = {(t.schema, t.name) for t in inheritance.tree(txn, tdef)}
    for d in inheritance.descendants(txn, tdef):
        inside = sum((p.schema, p.name) in tree for p in inheritance.parents(txn, d))
        if (d.options.get("inherit_count") or {}).get(col, 0) > inside:
            return d
    return None


_RENAME_CONSTRAINT = re.compile(r"table\s+(?P<exists>if\s+exists\s+)?(?P<only>only\s+)?(?P<table>\S+)\s+rename\s+"
                                r"constraint\s+(?P<old>\S+)\s+to\s+(?P<new>\S+?)\s*;?\s*$", re.IGNORECASE | re.DOTALL)


def _owned_table(session: Any, txn: Any, spelled: str, *, missing_ok: bool = False) -> Any:
    """The table a command names (42P01 unless ``missing_ok``, then None), owned by the session's role."""
    schema, name = table_name(session, exp.to_table(spelled, dialect="postgres"), txn)
    tdef = txn.get_table(schema, name)
    if tdef is None:
        if missing_ok:
            return None
        raise UndefinedTable(f'relation "{name}" does not exist')
    object_privileges.check_owner(session, object_privileges.ObjectRef("table", name, schema))
    return tdef


def rename_constraint_command(session: Any, text: str) -> Result | None:
    """ALTER TABLE [ONLY] t RENAME CONSTRAINT a TO b (None when ``text`` is not one): a CHECK constraint is
    renamed in the tables that inherit it too; a key's index takes the new name with it."""
    m = _RENAME_CONSTRAINT.match(text.strip())
    if m is None:
        return None
    txn = session.tx.current()
    tdef = _owned_table(session, txn, m["table"], missing_ok=bool(m["exists"]))
    if tdef is None:
        name = table_name(session, exp.to_table(m["table"], dialect="postgres"), txn)[1]
        return Result(command_tag="ALTER TABLE", notices=[f'relation "{name}" does not exist, skipping'])
    schema, name = tdef.schema, tdef.name
    old = ident(exp.to_identifier(m["old"]))
    new = ident(exp.to_identifier(m["new"]))
    check = next((k for k in tdef.options.get("checks") or [] if k["name"] == old), None)
    if check is not None:
        from_parents = {k["name"] for p in inheritance.parents(txn, tdef) for k in p.options.get("checks") or []
                        if not k.get("no_inherit")}
        if old in from_parents:
            raise InvalidTableDefinition(f'cannot rename inherited constraint "{old}"')
        below = [] if check.get("no_inherit") else inheritance.descendants(txn, tdef)
        if m["only"] and below:
            raise InvalidTableDefinition(f'inherited constraint "{old}" must be renamed in child tables too')
        for t in [tdef, *below]:
            if any(k["name"] == new for k in t.options.get("checks") or []):
                raise HeliosError(f'constraint "{new}" for relation "{t.name}" already exists', sqlstate="42710")
            txn.alter_table(t.schema, t.name, options={"checks": [
                {**k, "name": new} if k["name"] == old else k for k in t.options.get("checks") or []]})
        return Result(command_tag="ALTER TABLE")
    fk = next((f for f in tdef.options.get("foreign_keys") or [] if f["name"] == old), None)
    if fk is not None:
        txn.alter_table(schema, name, options={"foreign_keys": [
            {**f, "name": new} if f["name"] == old else f for f in tdef.options.get("foreign_keys") or []]})
        return Result(command_tag="ALTER TABLE")
    keys = ([tdef.options.get("pk_name") or f"{name}_pkey"] if tdef.primary_key else []) + [
        u["name"] for u in tdef.options.get("unique") or []]
    if old in keys:  # a key constraint and its index share the name
        _alter(session, exp.Alter(this=exp.to_table(f'"{schema}"."{old}"'), kind="INDEX",
                                  actions=[exp.AlterRename(this=exp.to_table(f'"{new}"'))]))
        return Result(command_tag="ALTER TABLE")
    raise UndefinedObject(f'constraint "{old}" for table "{name}" does not exist')


_ALTER_CONSTRAINT = re.compile(r"(?P<head>table\s+(?P<exists>if\s+exists\s+)?(?:only\s+)?(?P<table>\S+)\s+alter\s+"
                               r"constraint\s+(?P<name>\S+))\s+(?P<attrs>.*?)\s*;?\s*$", re.IGNORECASE | re.DOTALL)
_CONSTRAINT_ATTRIBUTES = re.compile(r"\s*(not\s+deferrable|deferrable|initially\s+deferred|initially\s+immediate|"
                                    r"no\s+inherit|not\s+valid)\b", re.IGNORECASE)


def alter_constraint_command(session: Any, text: str, position: int = 0) -> Result | None:
    """ALTER TABLE t ALTER CONSTRAINT fk [NOT] DEFERRABLE [INITIALLY {DEFERRED | IMMEDIATE}] (None when
    ``text`` is not one). As in PostgreSQL 15 only foreign keys can be altered, and the clause sets
    both attributes (an omitted one goes back to NOT DEFERRABLE / INITIALLY IMMEDIATE).
    ``position``: where ``text`` starts in the statement (1-based), for the error cursor."""
    m = _ALTER_CONSTRAINT.match(text.strip())
    if m is None:
        return None
    attrs: list[tuple[str, int]] = []
    at = 0
    rest = m["attrs"]
    while at < len(rest):
        w = _CONSTRAINT_ATTRIBUTES.match(rest, at)
        if w is None:
            return None  # not an attribute list this command knows: the caller refuses the statement
        attrs.append((" ".join(w.group(1).lower().split()), w.start(1)))
        at = w.end()
    if not attrs:
        return None
    start = position + len(text) - len(text.lstrip()) + m.start("attrs")
    words = [a for a, _ in attrs]
    if "no inherit" in words:
        raise FeatureNotSupported("FOREIGN KEY constraints cannot be marked NO INHERIT")
    if "not valid" in words:
        raise FeatureNotSupported("FOREIGN KEY constraints cannot be marked NOT VALID")
    if "initially deferred" in words and "not deferrable" in words:
        raise HeliosError("constraint declared INITIALLY DEFERRED must be DEFERRABLE", sqlstate="42601",
                          position=start + dict(attrs)["initially deferred"])
    txn = session.tx.current()
    tdef = _owned_table(session, txn, m["table"], missing_ok=bool(m["exists"]))
    if tdef is None:
        name = table_name(session, exp.to_table(m["table"], dialect="postgres"), txn)[1]
        return Result(command_tag="ALTER TABLE", notices=[f'relation "{name}" does not exist, skipping'])
    cname = ident(exp.to_identifier(m["name"]))
    fk = next((f for f in tdef.options.get("foreign_keys") or [] if f["name"] == cname), None)
    if fk is None:
        others = {k["name"] for k in tdef.options.get("checks") or []} | {
            u["name"] for u in tdef.options.get("unique") or []}
        if tdef.primary_key:
            others.add(tdef.options.get("pk_name") or f"{tdef.name}_pkey")
        if cname in others:
            raise HeliosError(f'constraint "{cname}" of relation "{tdef.name}" is not a foreign key constraint',
                              sqlstate="42809")
        raise UndefinedObject(f'constraint "{cname}" of relation "{tdef.name}" does not exist')
    deferred = "initially deferred" in words
    deferral = {"deferrable": "deferrable" in words or deferred, "initially_deferred": deferred}
    for t in [tdef, *(partitions.children(txn, tdef) if partitions.spec(tdef) is not None else [])]:
        t = txn.get_table(t.schema, t.name)
        txn.alter_table(t.schema, t.name, options={"foreign_keys": [
            _with_deferral(f, deferral) if f["name"] == cname else f for f in t.options.get("foreign_keys") or []]})
    return Result(command_tag="ALTER TABLE")


def _with_deferral(fk: dict, deferral: dict[str, bool]) -> dict:
    out = {k: v for k, v in fk.items() if k not in deferral}
    out.update({k: True for k, v in deferral.items() if v})
    return out


_INHERIT_COMMAND = re.compile(r"table\s+(?:if\s+exists\s+)?(?:only\s+)?(?P<child>\S+)\s+(?P<no>no\s+)?inherit\s+"
                              r"(?P<parent>\S+?)\s*;?\s*$", re.IGNORECASE | re.DOTALL)


def inherit_command(session: Any, text: str) -> Result | None:
    """ALTER TABLE child INHERIT parent | NO INHERIT parent (None when ``text`` is not one of these)."""
    m = _INHERIT_COMMAND.match(text.strip())
    if m is None:
        return None
    txn = session.tx.current()
    child = _owned_table(session, txn, m["child"])
    inheritance.alter_inherit(txn, child, *table_name(session, exp.to_table(m["parent"], dialect="postgres"), txn),
                              add=not m["no"])
    return Result(command_tag="ALTER TABLE")


def _partition_key_columns(tdef: Any) -> set[str]:
    """The plain columns a partitioned table's key names (expressions: the columns they read)."""
    sp = partitions.spec(tdef) or {}
    out = set()
    for c in sp.get("columns", []):
        if c in (sp.get("exprs") or {}):
            out |= {m for m in re.findall(r'[A-Za-z_][A-Za-z_0-9]*|"[^"]+"', sp["exprs"][c])
                    if tdef.column(m.strip('"')) is not None}
        else:
            out.add(c)
    return {c.strip('"') for c in out}


def _alter_partitioned(session: Any, txn: Any, tdef: Any, action: Any) -> Any:
    """One ALTER TABLE action on a partitioned table and, recursively, on each of its partitions."""
    key = _partition_key_columns(tdef)
    if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
        for c in action.args.get("tables") or []:
            if ident(c) in key:
                raise InvalidTableDefinition(f'cannot drop column "{ident(c)}" because it is part of the partition '
                                             f'key of relation "{tdef.name}"')
    if isinstance(action, exp.AlterColumn) and action.args.get("dtype") is not None and ident(action.this) in key:
        raise InvalidTableDefinition(f'cannot alter column "{ident(action.this)}" because it is part of the '
                                     f'partition key of relation "{tdef.name}"')
    if isinstance(action, exp.RenameColumn) and ident(action.this) in key:
        old, new = ident(action.this), ident(action.args["to"])
        sp = dict(partitions.spec(tdef))
        sp["columns"] = [new if c == old else c for c in sp["columns"]]
        tdef = txn.alter_table(tdef.schema, tdef.name, options={"partition_by": sp})
    if isinstance(action, exp.AlterRename):  # the table alone; its partitions name their new parent
        children = partitions.children(txn, tdef)
        tdef = _alter_action(session, txn, tdef, action)
        for child in children:
            txn.alter_table(child.schema, child.name,
                            options={"partition_of": {"schema": tdef.schema, "name": tdef.name}})
        return tdef
    children = partitions.children(txn, tdef)
    if isinstance(action, exp.AddConstraint) and action.find(exp.PrimaryKey, exp.UniqueColumnConstraint):
        foreign_tables.refuse_unique_index(tdef, children)
    before = {f["name"] for f in tdef.options.get("foreign_keys") or []}
    tdef = _alter_action(session, txn, tdef, action.copy())
    partitions.check_unique_keys(tdef.name, partitions.spec(tdef), list(tdef.primary_key),
                                 tdef.options.get("unique", []))
    new_fks = [f for f in tdef.options.get("foreign_keys") or [] if f["name"] not in before]
    child_action = _for_partition(action)
    if new_fks and isinstance(child_action, exp.AddConstraint):  # the partitions clone those, names and all
        child_action.set("expressions", [e for e in child_action.expressions if e.find(exp.ForeignKey) is None])
        if not child_action.expressions:
            child_action = None
    for child in children:
        child = txn.get_table(child.schema, child.name)
        if child_action is not None:
            if partitions.spec(child) is not None:
                _alter_partitioned(session, txn, child, child_action.copy())
            else:
                _alter_action(session, txn, child, child_action.copy())
        clone_foreign_keys(session, txn, new_fks, child, validate=True)
    return txn.get_table(tdef.schema, tdef.name)


def _for_partition(action: Any) -> Any:
    """The action as a partition takes it: a named primary key or unique constraint names its index,
    which each partition names after itself instead."""
    action = action.copy()
    if isinstance(action, exp.AddConstraint):
        items = []
        for e in action.expressions:
            if isinstance(e, exp.Constraint) and any(isinstance(x, (exp.PrimaryKey, exp.UniqueColumnConstraint))
                                                     for x in e.expressions):
                items += list(e.expressions)
            else:
                items.append(e)
        action.set("expressions", items)
    return action


def _check_partition_alter(session: Any, txn: Any, tdef: Any, actions: list, *, only: bool) -> None:
    """A partition's columns are its parent's: adding, dropping, renaming or retyping one is refused
    (42P16) as PostgreSQL refuses it; defaults, NOT NULL and constraints are its own."""
    if partitions.spec(tdef) is not None:
        return  # ALTER TABLE ONLY on a partitioned table (see _partitioned_only_form)
    parent = txn.get_table(*partitions.parent_of(tdef))
    for action in actions:
        if isinstance(action, exp.ColumnDef):
            raise InvalidTableDefinition("cannot add column to a partition")
        if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
            names = [ident(c) for c in action.args.get("tables") or []]
            raise InvalidTableDefinition(f'cannot drop inherited column "{names[0] if names else ""}"')
        if isinstance(action, exp.RenameColumn):
            raise InvalidTableDefinition(f'cannot rename inherited column "{ident(action.this)}"')
        if isinstance(action, exp.AlterColumn) and action.args.get("dtype") is not None:
            raise InvalidTableDefinition(f'cannot alter inherited column "{ident(action.this)}"')
        if isinstance(action, exp.AlterColumn) and action.args.get("drop") and \
                action.args.get("allow_null") is not None and parent is not None:
            col = parent.column(ident(action.this))
            if col is not None and not col.nullable:
                raise InvalidTableDefinition(f'column "{ident(action.this)}" is marked NOT NULL in parent table')


def _alter_action(session: Any, txn: Any, tdef: Any, action: Any) -> Any:
    adds = isinstance(action, exp.ColumnDef)
    drops = isinstance(action, exp.Drop) and str(action.args.get("kind") or "").upper() == "COLUMN"
    retypes = isinstance(action, exp.AlterColumn) and action.args.get("dtype") is not None
    if not (adds or drops or retypes):
        return _alter_table_action(session, txn, tdef, action)
    # other tables may store values of this table's row type: they take its new shape
    reshape = composite_types.row_type_change(session, txn, tdef, adding=action if adds else None,
                                              retyping=retypes)
    tdef = _alter_table_action(session, txn, tdef, action)
    reshape()
    return txn.get_table(tdef.schema, tdef.name)


def _alter_table_action(session: Any, txn: Any, tdef: Any, action: Any) -> Any:
    schema, name = tdef.schema, tdef.name
    if isinstance(action, exp.ColumnDef):
        spec = build_columns(session, txn, schema, name, [action])
        if tdef.column(spec["columns"][0].name) is not None and action.args.get("exists"):
            routine_notices.emit(session, inheritance.notice(
                f'column "{spec["columns"][0].name}" of relation "{name}" already exists, skipping'))
            return tdef
        if tdef.column(spec["columns"][0].name) is not None:
            raise HeliosError(f'column "{spec["columns"][0].name}" of relation "{name}" already exists',
                              sqlstate="42701")
        col = spec["columns"][0]
        for d in spec["sequences"]:
            txn.catalog_put("sequence", f"{schema}.{d['name']}", d)
        fill = None
        default = col.metadata.get("default")
        generated = generated_columns.is_generated(col)
        if generated:  # checked against the table's columns; every existing row gets its value
            generated_columns.validate_table(session, txn, name, [*tdef.columns, col])
        per_row = (default is not None and "nextval(" in default) or generated
        domain = col.metadata.get("domain")
        if (default is not None or domain is not None) and not per_row:
            fill = constraints.constant_default(session, txn, col)  # a domain's DEFAULT too
        if domain is not None and types.DOMAIN_CHECK is not None and any(
                b.num_rows for b in txn.scan(schema, name, columns=[tdef.columns[0].name])):
            # existing rows get the default (or NULL): the domain must accept it, as in PostgreSQL
            types.DOMAIN_CHECK(types.type_from_name(domain), pa.array([fill], col.type))
        if spec["primary_key"]:
            raise FeatureNotSupported("ADD COLUMN ... PRIMARY KEY is not supported")
        if per_row:
            # a sequence default gives every existing row its own value: add NULL, fill, then NOT NULL
            tdef = txn.alter_table(schema, name, add_column=ColumnDef(col.name, col.type, True, col.metadata))
            tdef = _fill_generated(session, txn, tdef) if generated else _fill_from_default(session, txn, tdef, col.name)
            if not col.nullable:
                cols = [ColumnDef(c.name, c.type, False if c.name == col.name else c.nullable,
                                  dict(constraints.column_metadata(tdef, c.name))) for c in tdef.columns]
                tdef = constraints.rebuild_table(session, txn, tdef, cols, list(tdef.primary_key))
        else:
            tdef = txn.alter_table(schema, name, add_column=col, fill_value=fill)
        opts = dict(tdef.options)
        changed = False
        for key in ("unique", "checks", "foreign_keys"):
            if spec["options"].get(key):
                opts[key] = list(opts.get(key, [])) + spec["options"][key]
                changed = True
        if changed:
            tdef = txn.alter_table(schema, name, options=opts)
            constraints.validate_table(session, txn, tdef)
            for fk in spec["options"].get("foreign_keys", []):
                _add_ref(txn, fk, schema, name)
            tdef = txn.get_table(schema, name)
        return tdef
    if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
        for c in action.args.get("tables") or []:
            cname = ident(c)
            if tdef.column(cname) is None:
                if action.args.get("exists"):
                    routine_notices.emit(session, inheritance.notice(
                        f'column "{cname}" of relation "{name}" does not exist, skipping'))
                    continue
                raise UndefinedColumn(f'column "{cname}" of relation "{name}" does not exist')
            col = tdef.column(cname)
            for dependent in generated_columns.reading(tdef, cname):
                if not action.args.get("cascade"):
                    raise DependentObjectsStillExist(
                        f"cannot drop column {cname} of table {name} because other objects depend on it",
                        detail=f"column {dependent} of table {name} depends on column {cname} of table {name}",
                        hint="Use DROP ... CASCADE to drop the dependent objects too.")
                tdef = _alter_action(session, txn, tdef, exp.Drop(kind="COLUMN", tables=[exp.to_identifier(
                    dependent, quoted=True)], cascade=True))
            cascaded: list[str] = []
            if cname in tdef.primary_key:  # the key goes with its column, and what needs the key
                tdef, cascaded = _drop_key_column(session, txn, tdef, cname, bool(action.args.get("cascade")))
            cascaded += _drop_views_using_column(session, txn, tdef, cname, bool(action.args.get("cascade")))
            for notice in cascade_notices(cascaded):
                routine_notices.emit(session, inheritance.notice(notice) if isinstance(notice, str) else notice)
            publications.drop_column(session, txn, tdef, cname, bool(action.args.get("cascade")))  # 2BP01 / leaves
            _drop_indexes_reading(txn, tdef, cname)
            tdef = txn.get_table(schema, name)
            opts = dict(tdef.options)
            for key in ("unique", "foreign_keys"):
                opts[key] = [u for u in opts.get(key, []) if cname not in u["columns"]]
            opts["checks"] = [ck for ck in opts.get("checks", []) if cname not in _expr_columns(ck["expr"])]
            tdef = txn.alter_table(schema, name, drop_column=cname, options=opts)
            if col.metadata.get("sequence"):
                txn.catalog_delete("sequence", col.metadata["sequence"])
        return tdef
    if isinstance(action, exp.RenameColumn):
        old, new = ident(action.this), ident(action.args["to"])
        tdef = txn.alter_table(schema, name, rename_column=(old, new))
        _rewrite_dependent_views(session, txn, schema, name, old_col=old, new_col=new)
        _rename_in_indexes(txn, tdef, old, new)
        opts = _rename_in_options(tdef.options, old, new)
        return txn.alter_table(schema, name, options=opts)
    if isinstance(action, exp.AlterRename):
        new = ident(action.this.this)
        if relation_kind(txn, schema, new) is not None:
            raise DuplicateTable(f'relation "{new}" already exists')
        children = referencing(txn, tdef)
        _rewrite_dependent_views(session, txn, schema, name, new_table=new)
        tdef = txn.alter_table(schema, name, rename_to=new)
        for iname in tdef.options.get("indexes", []):
            idx = txn.catalog_get("index", f"{schema}.{iname}")
            if idx is not None:
                idx["table"] = new
                txn.catalog_put("index", f"{schema}.{iname}", idx)
        for child, fk in children:
            cn = new if (child.schema, child.name) == (schema, name) else child.name
            c = txn.get_table(child.schema, cn)
            nf = [{**f, "ref_table": new} if f["name"] == fk["name"] else f for f in c.options.get("foreign_keys", [])]
            txn.alter_table(child.schema, cn, options={"foreign_keys": nf})
        for fk in tdef.options.get("foreign_keys", []):
            if (fk["ref_schema"], fk["ref_table"]) != (schema, new):
                _remove_ref(txn, fk, schema, name)
                _add_ref(txn, fk, schema, new)
        tdef = txn.get_table(schema, new)
        refs = [{**r, "table": new} if (r["schema"], r["table"]) == (schema, name) else r
                for r in tdef.options.get("referenced_by", [])]
        tdef = txn.alter_table(schema, new, options={"referenced_by": refs})
        dep = txn.catalog_get("depend", f"{schema}.{name}")
        if dep is not None:
            txn.catalog_delete("depend", f"{schema}.{name}")
            txn.catalog_put("depend", f"{schema}.{new}", dep)
        return tdef
    if isinstance(action, exp.AlterColumn):
        cname = ident(action.this)
        col = tdef.column(cname)
        if col is None:
            raise UndefinedColumn(f'column "{cname}" of relation "{name}" does not exist')
        md = dict(constraints.column_metadata(tdef, cname))
        identity = f'column "{cname}" of relation "{name}" is an identity column' if md.get("identity") else None
        if action.args.get("default") is not None:
            if identity:
                raise HeliosError(identity, sqlstate="42601")
            md["default"] = expression_text(action.args["default"])
            return _set_column_metadata(txn, tdef, cname, md)
        if action.args.get("drop") and action.args.get("allow_null") is None:
            if identity:
                raise HeliosError(identity, sqlstate="42601",
                                  hint="Use ALTER TABLE ... ALTER COLUMN ... DROP IDENTITY instead.")
            md.pop("default", None)
            return _set_column_metadata(txn, tdef, cname, md)
        if action.args.get("allow_null") is not None:
            if action.args.get("drop"):
                if cname in tdef.primary_key:
                    raise InvalidTableDefinition(f'column "{cname}" is in a primary key')
                if identity:
                    raise HeliosError(identity, sqlstate="42601")
                nullable = True
            else:
                constraints.check_no_nulls(session, txn, tdef, cname)
                nullable = False
            cols = [ColumnDef(c.name, c.type, nullable if c.name == cname else c.nullable,
                              dict(constraints.column_metadata(tdef, c.name))) for c in tdef.columns]
            return constraints.rebuild_table(session, txn, tdef, cols, list(tdef.primary_key))
        if action.args.get("dtype") is not None:
            if action.args.get("using") and foreign_tables.definition(tdef) is not None:
                raise HeliosError(f'"{tdef.name}" is not a table', sqlstate="42809")  # USING rewrites rows
            type_privileges.check_declared(session, txn, action.args["dtype"])  # ALTER COLUMN TYPE
            pat = re.compile(rf'(?<![\w"]){re.escape(cname)}(?![\w"])|"{re.escape(cname)}"')
            for view in _dependent_views(txn, f"{schema}.{name}"):
                if pat.search((txn.catalog_get("view", view) or {}).get("sql", "")):
                    raise FeatureNotSupported("cannot alter type of a column used by a view or rule",
                                              detail=f"rule _RETURN on view {view.split('.', 1)[1]} depends on "
                                                     f'column "{cname}"')
            used_by = generated_columns.reading(tdef, cname)
            if used_by:
                raise FeatureNotSupported("cannot alter type of a column used by a generated column",
                                          detail=f'Column "{cname}" is used by generated column "{used_by[0]}".')
            new_type = types.type_from_sqlglot(action.args["dtype"])
            if identity:
                _retype_identity_sequence(txn, md, new_type)
            md["sql_type"] = new_type.stored_name()
            cols = [ColumnDef(c.name, new_type.arrow_type if c.name == cname else c.type, c.nullable,
                              md if c.name == cname else dict(constraints.column_metadata(tdef, c.name)))
                    for c in tdef.columns]
            return constraints.rebuild_table(session, txn, tdef, cols, list(tdef.primary_key), convert=cname,
                                             using=action.args.get("using") or None)
        raise FeatureNotSupported("this ALTER COLUMN form is not supported")
    if isinstance(action, exp.AddConstraint):
        return _add_constraints(session, txn, tdef, action)
    if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "CONSTRAINT":
        for c in action.args.get("tables") or []:
            cname = ident(c)
            tdef = _drop_constraint(txn, tdef, cname, bool(action.args.get("exists")), session,
                                    cascade=bool(action.args.get("cascade")))
        return tdef
    if isinstance(action, exp.AlterSet) and action.expressions and all(
            isinstance(e, exp.EQ) for e in action.expressions):
        toast = {ident(e.this.this): None if isinstance(e.expression, exp.Null)
                 else storage_parameters.value_text(e.expression) for e in action.expressions
                 if isinstance(e.this, exp.Column) and e.this.args.get("table") is not None}  # toast.x: its own table
        values = {ident(e.this): None if isinstance(e.expression, exp.Null)
                  else storage_parameters.value_text(e.expression) for e in action.expressions
                  if not (isinstance(e.this, exp.Column) and e.this.args.get("table") is not None)}
        tier = storage_parameters.tier_value(values.pop("tier")) if "tier" in values else None
        if toast:
            storage_parameters.set_table_parameters(session, tdef, toast)
        if values:
            storage_parameters.set_table_parameters(session, tdef, values)  # WITH (...) of ALTER TABLE SET
            own = values
            merged = storage_parameters.merged_reloptions(list(tdef.options.get("reloptions") or []), own)
            if merged != list(tdef.options.get("reloptions") or []):
                txn.alter_table(schema, name, options={"reloptions": merged})
        if tier is not None:  # where the table's segments on this branch live: moved now
            mover.move_table(session.engine.store, session.database, session.branch, tdef.data_id, tier)
        return txn.get_table(schema, name)
    raise FeatureNotSupported(f"ALTER TABLE action {action.key} is not supported")


def _rewrite_dependent_views(session: Any, txn: Any, schema: str, table: str, *, old_col: str | None = None,
                             new_col: str | None = None, new_table: str | None = None) -> None:
    """Views and materialized views name columns and tables in their SQL text: follow a RENAME as
    PostgreSQL's do (they hold the columns themselves, not their names)."""
    def renamed(sql: str) -> str:
        return _renamed_in(sql, schema, table, old_col=old_col, new_col=new_col, new_table=new_table)

    for view in _dependent_views(txn, f"{schema}.{table}"):
        v = txn.catalog_get("view", view)
        if v is not None:
            txn.catalog_put("view", view, {**v, "sql": renamed(v["sql"])})
    for key in _dependent_matviews(txn, f"{schema}.{table}"):
        mv_schema, mv_name = key.split(".", 1)
        mv = matviews.definition(txn.get_table(mv_schema, mv_name))
        txn.alter_table(mv_schema, mv_name, options={matviews.OPTION: {**mv, "sql": renamed(mv["sql"])}})


def _renamed_in(sql: str, schema: str, table: str, *, old_col: str | None, new_col: str | None,
                new_table: str | None) -> str:
    """A view's query text after ``schema.table`` (or its column ``old_col``) was renamed."""
    tree = parse(sql)[0].ast
    aliases = {table}
    for t in tree.find_all(exp.Table):
        if ident(t.this) == table and (t.args.get("db") is None or ident(t.args["db"]) == schema):
            alias = t.args.get("alias")
            if alias is not None:
                aliases.add(ident(alias.this))
            if new_table is not None:
                t.set("this", exp.to_identifier(new_table, quoted=True))
                if alias is not None and ident(alias.this) == table:  # the table's own name as its alias
                    alias.set("this", exp.to_identifier(new_table, quoted=True))
    if old_col is not None:
        for sel in tree.find_all(exp.Select):
            items = []
            for item in sel.expressions:
                if isinstance(item, exp.Column) and ident(item) == old_col and (
                        not item.table or item.table in aliases):
                    item = exp.alias_(item.copy(), old_col, quoted=True)  # the view keeps its column name
                items.append(item)
            sel.set("expressions", items)
        for col in tree.find_all(exp.Column):
            if ident(col) == old_col and (not col.table or col.table in aliases):
                col.set("this", exp.to_identifier(new_col, quoted=True))
    if new_table is not None:
        for col in tree.find_all(exp.Column):
            if col.table == table:
                col.set("table", exp.to_identifier(new_table, quoted=True))
    return to_sql(tree)


def _views_using_column(txn: Any, tdef: Any, cname: str) -> list[str]:
    pat = re.compile(rf'(?<![\w"]){re.escape(cname)}(?![\w"])|"{re.escape(cname)}"')
    return [view for view in _dependent_views(txn, f"{tdef.schema}.{tdef.name}")
            if pat.search((txn.catalog_get("view", view) or {}).get("sql", ""))]


def _column_view_lines(txn: Any, tdef: Any, cname: str) -> list[str]:
    """2BP01 DETAIL lines of the views reading a column, each followed by the views over it."""
    users = _views_using_column(txn, tdef, cname)
    detail: list[str] = []
    seen: set[str] = set(users)
    for view in users:
        detail.append(f"view {view.split('.', 1)[1]} depends on column {cname} of table {tdef.name}")
        detail.extend(dependent_view_lines(txn, view, "view", seen))
    return detail


def _drop_views_using_column(session: Any, txn: Any, tdef: Any, cname: str, cascade: bool) -> list[str]:
    """DROP COLUMN: views that read the column block it (2BP01, each listed with the views over
    it) or go with it (CASCADE); the lines of the "drop cascades to" NOTICE."""
    users = _views_using_column(txn, tdef, cname)
    if users and not cascade:
        raise DependentObjectsStillExist(
            f"cannot drop column {cname} of table {tdef.name} because other objects depend on it",
            detail="\n".join(_column_view_lines(txn, tdef, cname)),
            hint="Use DROP ... CASCADE to drop the dependent objects too.")
    lines: list[str] = []
    for view in users:
        if txn.catalog_get("view", view) is None:  # went with a view dropped before it
            continue
        lines.append(f"drop cascades to view {view.split('.', 1)[1]}")
        lines.extend(_drop_dependent_views(session, txn, view, "view", True))
        txn.catalog_delete("view", view)
    return lines


def _fill_from_default(session: Any, txn: Any, tdef: Any, cname: str) -> Any:
    """Set a new column of every existing row to its own DEFAULT value (e.g. nextval)."""
    import pyarrow as pa

    from helios_core.sql import dml

    batches = [b for b in txn.scan(tdef.schema, tdef.name, with_rowid=True) if b.num_rows]
    if not batches:
        return tdef
    table = pa.Table.from_batches(batches).combine_chunks()
    ci = [c.name for c in tdef.columns].index(cname)
    values = dml.default_array(session, txn, tdef, ci, table.num_rows, session.context(txn))
    arrays = [values if c.name == cname else table.column(c.name).combine_chunks() for c in tdef.columns]
    new = pa.RecordBatch.from_arrays(arrays, schema=dml._arrow_schema(tdef))
    txn.update(tdef.schema, tdef.name, table.column("_rowid").combine_chunks(), new)
    return txn.get_table(tdef.schema, tdef.name)


def _fill_generated(session: Any, txn: Any, tdef: Any) -> Any:
    """ADD COLUMN ... GENERATED ALWAYS AS (...) STORED: every existing row gets its computed value,
    a batch at a time."""
    from helios_core.sql import dml

    batches = [b for b in txn.scan(tdef.schema, tdef.name, with_rowid=True) if b.num_rows]
    schema = dml._arrow_schema(tdef)
    ctx = session.context(txn)
    for b in batches:
        rows = pa.RecordBatch.from_arrays([b.column(c.name) for c in tdef.columns], schema=schema)
        txn.update(tdef.schema, tdef.name, b.column("_rowid"), generated_columns.compute(session, ctx, tdef, rows))
    return txn.get_table(tdef.schema, tdef.name)


def _set_column_metadata(txn: Any, tdef: Any, cname: str, md: dict) -> Any:
    """Column metadata changes (DEFAULT) without rewriting data: kept in options["column_metadata"]."""
    if hasattr(txn, "replace_column"):
        col = tdef.column(cname)
        return txn.replace_column(tdef.schema, tdef.name, ColumnDef(col.name, col.type, col.nullable, md,
                                                                    col.col_id))
    overrides = dict(tdef.options.get("column_metadata", {}))
    overrides[cname] = md
    return txn.alter_table(tdef.schema, tdef.name, options={"column_metadata": overrides})


def _expr_columns(expr_sql: str) -> set[str]:
    tree = parse(f"select {expr_sql}")[0].ast
    return {ident(c) for c in tree.find_all(exp.Column)}


def _rename_in_indexes(txn: Any, tdef: Any, old: str, new: str) -> None:
    for iname in tdef.options.get("indexes", []):
        idx = txn.catalog_get("index", f"{tdef.schema}.{iname}")
        if idx is None:
            continue
        if "keys" in idx:
            idx = index_definitions.rename_column(idx, old, new)
        else:
            idx = {**idx, "columns": [new if c == old else c for c in idx.get("columns") or []]}
        txn.catalog_put("index", f"{tdef.schema}.{iname}", idx)


def _rename_in_options(options: dict, old: str, new: str) -> dict:
    opts = dict(options)
    if old in opts.get("column_metadata", {}):
        cm = dict(opts["column_metadata"])
        cm[new] = cm.pop(old)
        opts["column_metadata"] = cm
    for key in ("unique", "foreign_keys"):
        opts[key] = [{**u, "columns": [new if c == old else c for c in u["columns"]]}
                     for u in opts.get(key, [])]
    if opts.get("expression_unique"):
            opts["expression_unique"] = [index_definitions.rename_column(u, old, new)
                                     for u in opts["expression_unique"]]
    checks = []
    for ck in opts.get("checks", []):
        tree = parse(f"select {ck['expr']}")[0].ast.expressions[0]
        for col in tree.find_all(exp.Column):
            if ident(col) == old:
                col.set("this", exp.to_identifier(new))
        checks.append({**ck, "expr": to_sql(tree)})
    opts["checks"] = checks
    return opts


def _add_constraints(session: Any, txn: Any, tdef: Any, action: Any) -> Any:

    schema, name = tdef.schema, tdef.name
    spec = build_columns(session, txn, schema, name, list(action.expressions), known=[c.name for c in tdef.columns],
                         check_names=tuple(k["name"] for k in tdef.options.get("checks") or []))
    if isinstance(action.parent, exp.Alter) and action.parent.args.get("not_valid"):
        # NOT VALID: new rows are checked from now on, existing ones at VALIDATE CONSTRAINT
        for what, key in (("UNIQUE", "unique"), ("PRIMARY KEY", "primary_key")):
            if spec["options"].get(key) if key != "primary_key" else spec["primary_key"]:
                raise FeatureNotSupported(f"{what} constraints cannot be marked NOT VALID")
        for key in ("checks", "foreign_keys"):
            spec["options"][key] = [{**rec, "not_valid": True} for rec in spec["options"].get(key) or []]
    opts = dict(tdef.options)
    if spec["primary_key"]:
        if tdef.primary_key:
            raise InvalidTableDefinition(f'multiple primary keys for table "{name}" are not allowed')
        tdef = constraints.add_primary_key(session, txn, tdef, spec["primary_key"],
                                           spec["options"].get("pk_name"))
        opts = dict(tdef.options)
    named = {ident(c.this) for c in action.expressions if isinstance(c, exp.Constraint) and c.this is not None}

    def taken(n: str) -> bool:
        return (txn.catalog_get("index", f"{schema}.{n}") is not None or relation_kind(txn, schema, n) is not None
                or any(u["name"] == n for u in tdef.options.get("unique") or []))

    for u in spec["options"].get("unique") or []:  # its index takes the name: another relation may not have it
        if taken(u["name"]):
            if u["name"] in named:
                raise DuplicateTable(f'relation "{u["name"]}" already exists')
            base, n = u["name"], 1  # an unnamed one takes the next free name, as in PostgreSQL: t_a_key1 ...
            while taken(f"{base}{n}"):
                n += 1
            u["name"] = f"{base}{n}"
    new_checks = []
    for ck in spec["options"].get("checks") or []:  # the table's own copy of an inherited constraint merges
        have = next((k for k in opts.get("checks") or [] if k["name"] == ck["name"] and not k.get("local")), None)
        if have is not None and tdef.options.get("inherits"):
            for text in inheritance.merge_checks(name, [have], [ck]):
                routine_notices.emit(session, inheritance.notice(text))
            opts["checks"] = [{**k, "local": True} if k is have else k for k in opts.get("checks") or []]
        elif any(k["name"] == ck["name"] for k in opts.get("checks") or []):
            raise DuplicateObject(f'constraint "{ck["name"]}" for relation "{name}" already exists')
        else:
            new_checks.append(ck)
    spec["options"]["checks"] = new_checks
    for key in ("unique", "checks", "foreign_keys", exclusion_constraints.OPTION):
        if spec["options"].get(key):
            opts[key] = list(opts.get(key, [])) + spec["options"][key]
    tdef = txn.alter_table(schema, name, options=opts)
    constraints.validate_table(session, txn, tdef)
    _check_exclusion_types(session, txn, tdef, spec["options"])
    for record in spec["options"].get(exclusion_constraints.OPTION) or []:
        exclusion_constraints.check_table(session.context(txn), txn, tdef, record)
    _record_constraint_indexes(txn, schema, name, [], {"unique": spec["options"].get("unique", [])})
    for fk in spec["options"].get("foreign_keys", []):
        _add_ref(txn, fk, schema, name)
    return txn.get_table(schema, name)


def _refuse_pending_checks(session: Any, tdef: Any, fk: dict) -> None:
    """55006 for dropping a foreign key whose deferred checks this transaction still owes: on the
    referencing table for the rows it wrote, on the referenced one for the keys it removed."""
    if session is None or getattr(session.tx, "deferred", None) is None:
        return
    for side, table in (("child", tdef.name), ("parent", fk["ref_table"])):
        if any(p.side == side and p.child == (tdef.schema, tdef.name) and p.fk_name == fk["name"]
               for p in deferred_constraints.state(session).pending):
            raise HeliosError(f'cannot ALTER TABLE "{table}" because it has pending trigger events',
                              sqlstate="55006")


def _drop_constraint(txn: Any, tdef: Any, cname: str, if_exists: bool, session: Any = None,
                     cascade: bool = False) -> Any:
    if tdef.primary_key and (tdef.options.get("pk_name") or f"{tdef.name}_pkey") == cname:
        return _drop_primary_key(txn, tdef, cname, session, cascade)
    opts = dict(tdef.options)
    found = False
    for key in ("unique", "checks", "foreign_keys", exclusion_constraints.OPTION):
        before = opts.get(key, [])
        after = [c for c in before if c["name"] != cname]
        if len(after) != len(before):
            found = True
            opts[key] = after
            if key == "foreign_keys":
                for fk in before:
                    if fk["name"] == cname:
                        _refuse_pending_checks(session, tdef, fk)
                        _remove_ref(txn, fk, tdef.schema, tdef.name)
                tdef = txn.get_table(tdef.schema, tdef.name)
                opts["referenced_by"] = tdef.options.get("referenced_by", [])
    if not found:
        if if_exists:
            if session is not None:
                routine_notices.emit(session, inheritance.notice(
                    f'constraint "{cname}" of relation "{tdef.name}" does not exist, skipping'))
            return tdef
        raise UndefinedObject(f'constraint "{cname}" of relation "{tdef.name}" does not exist')
    txn.catalog_delete("index", f"{tdef.schema}.{cname}") if txn.catalog_get(
        "index", f"{tdef.schema}.{cname}") else None
    return txn.alter_table(tdef.schema, tdef.name, options=opts)


def _drop_key_column(session: Any, txn: Any, tdef: Any, cname: str, cascade: bool) -> tuple[Any, list[str]]:
    """DROP COLUMN of a primary-key column drops the key, as PostgreSQL: the foreign keys that
    reference it block it (2BP01, listed with the views reading the column) or, with CASCADE,
    go with it; the table and the lines of the "drop cascades to" NOTICE."""
    pk_name = tdef.options.get("pk_name") or f"{tdef.name}_pkey"
    pk = set(tdef.primary_key)
    spare = any(set(u["columns"]) == pk for u in tdef.options.get("unique", []))
    dependents = [] if spare else [(c, fk) for c, fk in referencing(txn, tdef) if set(fk["ref_columns"]) == pk
                                   and (c.schema, c.name) != (tdef.schema, tdef.name)]
    if dependents and not cascade:
        detail = [f"constraint {fk['name']} on table {c.name} depends on column {cname} of table {tdef.name}"
                  for c, fk in dependents]
        raise DependentObjectsStillExist(
            f"cannot drop column {cname} of table {tdef.name} because other objects depend on it",
            detail="\n".join(detail + _column_view_lines(txn, tdef, cname)),
            hint="Use DROP ... CASCADE to drop the dependent objects too.")
    lines = [f"drop cascades to constraint {fk['name']} on table {child.name}" for child, fk in dependents]
    return _drop_primary_key(txn, tdef, pk_name, None, True), lines


def _drop_primary_key(txn: Any, tdef: Any, cname: str, session: Any, cascade: bool) -> Any:
    """DROP CONSTRAINT of the primary key: foreign keys that reference it (no unique constraint of
    the same columns left to serve them) block it (2BP01) or, with CASCADE, are dropped too; the
    table's rows go to a data set without a key and the key's index entry goes."""
    pk = set(tdef.primary_key)
    if any(set(u["columns"]) == pk for u in tdef.options.get("unique", [])):
        dependents = []
    else:
        dependents = [(child, fk) for child, fk in referencing(txn, tdef) if set(fk["ref_columns"]) == pk]
    if dependents and not cascade:
        child, fk = dependents[0]
        raise DependentObjectsStillExist(
            f"cannot drop constraint {cname} on table {tdef.name} because other objects depend on it",
            detail="\n".join(f"constraint {f['name']} on table {c.name} depends on index {cname}"
                             for c, f in dependents),
            hint="Use DROP ... CASCADE to drop the dependent objects too.")
    for child, fk in dependents:
        if session is not None:
            routine_notices.emit(session, inheritance.notice(
                f"drop cascades to constraint {fk['name']} on table {child.name}"))
        current = txn.get_table(child.schema, child.name)
        _drop_constraint(txn, current, fk["name"], False, session)
    if txn.catalog_get("index", f"{tdef.schema}.{cname}") is not None:
        txn.catalog_delete("index", f"{tdef.schema}.{cname}")
    return txn.drop_primary_key(tdef.schema, tdef.name)  # pk_name stays unused until a new key


# ---------------------------------------------------------------------------------------- TRUNCATE
def _truncate(session: Any, ast: exp.TruncateTable) -> Result:
    txn = session.tx.current()
    targets = []
    for t in ast.expressions:
        schema, name = table_name(session, t, txn)
        tdef = txn.get_table(schema, name)
        if tdef is None:
            raise UndefinedTable(f'relation "{name}" does not exist')
        if matviews.definition(tdef) is not None:
            raise HeliosError(f'"{name}" is not a table', sqlstate="42809")
        targets.append(tdef)
        if not t.args.get("only"):  # the tables that inherit from it too
            targets += inheritance.descendants(txn, tdef)
    targets += [leaf for t in list(targets) if partitions.spec(t) is not None for leaf in partitions.leaves(txn, t)]
    targets = list({(t.schema, t.name): t for t in targets}.values())
    names = {(t.schema, t.name) for t in targets}
    cascade = str(ast.args.get("option") or "").upper() == "CASCADE" or bool(ast.args.get("cascade"))
    i = 0
    while i < len(targets):
        parent = targets[i]
        i += 1
        for other, f in referencing(txn, parent):
            if (other.schema, other.name) in names:
                continue
            if not cascade:
                raise HeliosError("cannot truncate a table referenced in a foreign key constraint",
                                  sqlstate="0A000",
                                  detail=f'Table "{other.name}" references "{f["ref_table"]}".',
                                  hint=f'Truncate table "{other.name}" at the same time, or use TRUNCATE '
                                       '... CASCADE.')
            targets.append(other)
            names.add((other.schema, other.name))
    restart = (ast.args.get("identity") or "").upper() == "RESTART"
    for t in targets:  # as PostgreSQL: every BEFORE TRUNCATE trigger, then the truncation, then the AFTER ones
        firing.statement(session, t, "BEFORE", "TRUNCATE")
    for t in targets:
        txn.truncate(t.schema, t.name)
        record = session.engine.store.maintenance_stats.get(t.table_id)
        if record is not None:
            record["reltuples"] = None  # as PostgreSQL's new empty relation: never counted (-1)
        if restart:
            for c in t.columns:
                seq = c.metadata.get("sequence")
                if seq:
                    d = txn.catalog_get("sequence", seq)
                    if d is not None:
                        sequences.restart(session, seq, d)
    for t in targets:
        firing.statement(session, t, "AFTER", "TRUNCATE")
    return Result(command_tag="TRUNCATE TABLE")


# ---------------------------------------------------------------------------------------- misc
def misc_statement(session: Any, u: Utility) -> Result:
    """CREATE/DROP EXTENSION (helios_core.sql.extensions), ALTER SEQUENCE."""
    txn = session.tx.current()
    a = u.args
    if u.kind == "create_extension":
        return extensions_catalog.create(session, a)
    if u.kind == "drop_extension":
        return extensions_catalog.drop(session, a)
    if u.kind == "alter_sequence":
        try:
            key, d = sequences.resolve(session, a["name"], txn)
        except UndefinedTable:
            if a["if_exists"]:
                name = a["name"][-1] if isinstance(a["name"], list | tuple) else str(a["name"]).split(".")[-1]
                return Result(command_tag="ALTER SEQUENCE",
                              notices=[f'relation "{name}" does not exist, skipping'])
            raise
        seq_ref = object_privileges.ObjectRef("sequence", d["name"], d["schema"])
        object_privileges.check_owner(session, seq_ref)
        opts = dict(a["options"])
        restart = opts.pop("restart", "absent")
        rename = opts.pop("rename", None)
        set_schema = opts.pop("set_schema", None)
        new_owner = opts.pop("owner", None)
        if new_owner is not None:
            object_privileges.alter_owner(session, seq_ref, new_owner)
            d = txn.catalog_get("sequence", key) or d
        if opts:
            d = sequences.redefined(d, **opts)
            txn.catalog_put("sequence", key, d)
        if restart != "absent":
            sequences.restart(session, key, d, restart)
        if rename:
            if relation_kind(txn, d["schema"], rename) is not None:
                raise DuplicateTable(f'relation "{rename}" already exists')
            relocate_sequence(session, txn, key, d["schema"], rename)
        if set_schema:
            move_sequence(session, txn, f"{d['schema']}.{d['name']}", set_schema)
        return Result(command_tag="ALTER SEQUENCE")
    raise FeatureNotSupported(f"{u.kind} is not supported")


def move_sequence(session: Any, txn: Any, key: str, new_schema: str, *, with_table: bool = False) -> None:
    """ALTER SEQUENCE ... SET SCHEMA: the sequence, its position and the column defaults that call
    it (they name it qualified from then on, as PostgreSQL prints them). A sequence a column owns
    moves only with its table (0A000, as in PostgreSQL)."""
    d = txn.catalog_get("sequence", key)
    schema, name = d["schema"], d["name"]
    if txn.catalog_get("schema", new_schema) is None:
        raise InvalidSchemaName(f'schema "{new_schema}" does not exist')
    if new_schema == schema:
        return
    if d.get("owned_by") and not with_table:
        owner = str(d["owned_by"]).split(".")
        table = owner[-2] if len(owner) >= 2 else owner[0]
        raise FeatureNotSupported("cannot move an owned sequence into another schema",
                                  detail=f'Sequence "{name}" is linked to table "{table}".')
    if relation_kind(txn, new_schema, name) is not None:
        raise DuplicateTable(f'relation "{name}" already exists in schema "{new_schema}"')
    relocate_sequence(session, txn, key, new_schema, name, with_table=with_table)


def relocate_sequence(session: Any, txn: Any, key: str, new_schema: str, new_name: str, *,
                      with_table: bool = False) -> None:
    """A sequence takes a new schema or name (SET SCHEMA, RENAME TO): its position comes along, and
    so do the column defaults that call it and the columns that own it (PostgreSQL's defaults hold
    the sequence itself, not its name, so they keep working)."""
    d = txn.catalog_get("sequence", key)
    schema, name = d["schema"], d["name"]
    users = _sequence_default_users(txn, schema, name)
    new_key = f"{new_schema}.{new_name}"
    with session.engine.lock:
        state = sequences._load(session, key, d)
        sequences._persist(session, new_key, state, exact=True)  # the position moves with it
    sequences.forget(session, key)
    txn.catalog_delete("sequence", key)
    moved = {**d, "schema": new_schema, "name": new_name}
    if with_table and d.get("owned_by"):  # schema.table.column of the owning column, which moves too
        moved["owned_by"] = f"{new_schema}.{str(d['owned_by']).split('.', 1)[1]}"
    txn.catalog_put("sequence", new_key, moved)
    qualified = new_name if new_schema == schema and schema == "public" else f"{new_schema}.{new_name}"
    for tdef, cname in users:
        tdef = txn.get_table(tdef.schema, tdef.name)
        md = dict(constraints.column_metadata(tdef, cname))
        md["default"] = re.sub(r"nextval\(\s*(?:CAST\(\s*)?'((?:[^']|'')+)'(?:\s+AS\s+REGCLASS\)|::regclass)?\)",
                               lambda m: f"nextval('{qualified}'::regclass)" if m.group(1).split(".")[-1]
                               .strip('"') == name else m.group(0), md.get("default") or "", flags=re.IGNORECASE)
        _set_column_metadata(txn, tdef, cname, md)
    for tdef in txn.list_tables(None):  # serial and identity columns name the sequence they own
        for c in tdef.columns:
            if (c.metadata or {}).get("sequence") == key:
                md = dict(constraints.column_metadata(tdef, c.name))
                md["sequence"] = new_key
                if md.get("identity"):
                    md["default"] = _sequence_default(new_schema, new_name)
                _set_column_metadata(txn, txn.get_table(tdef.schema, tdef.name), c.name, md)


def comment(session: Any, ast: exp.Comment) -> Result:
    """COMMENT ON ... IS '...': kept in catalog kind "comment" (key "<kind>:<schema.object[.column]>")."""
    txn = session.tx.current()
    kind = str(ast.args.get("kind") or "").lower()
    target = ast.this
    if kind == "column" and isinstance(target, exp.Column):
        table = exp.Table(this=target.args.get("table"), db=target.args.get("db"))  # [schema.]table.column
        schema, tname = table_name(session, table, txn) if target.args.get("table") else (
            session.current_schema(txn), "")
        tdef = txn.get_table(schema, tname)
        if tdef is None:
            raise UndefinedTable(f'relation "{tname}" does not exist')
        if tdef.column(ident(target)) is None:
            raise UndefinedColumn(f'column "{ident(target)}" of relation "{tname}" does not exist')
        key = f"column:{schema}.{tname}.{ident(target)}"
    elif kind in ("table", "view", "sequence", "index") and isinstance(target, exp.Table):
        schema, name = table_name(session, target, txn)
        if relation_kind(txn, schema, name) is None:
            raise UndefinedTable(f'relation "{name}" does not exist')
        key = f"{kind}:{schema}.{name}"
    else:
        key = f"{kind}:{target.sql(dialect='postgres') if hasattr(target, 'sql') else target}"
    text = ast.args.get("expression")
    value = None if text is None or isinstance(text, exp.Null) else text.this
    txn.catalog_comment(key, value)
    return Result(command_tag="COMMENT")


def comment_on_constraint(session: Any, args: dict) -> Result:
    """COMMENT ON CONSTRAINT c ON t IS '...' (NULL drops it): shown in pg_description for the
    constraint's pg_constraint row. Only the table's owner may comment, as PostgreSQL."""
    from helios_core.sql.catalog_views.model import CatalogModel

    txn = session.tx.current()
    parts = args["table"].split(".")
    target = exp.Table(this=exp.to_identifier(parts[-1]), db=exp.to_identifier(parts[0]) if len(parts) > 1 else None)
    schema, tname = table_name(session, target, txn)
    if txn.get_table(schema, tname) is None:
        raise UndefinedTable(f'relation "{tname}" does not exist')
    ddl_privileges.check_comment(session, exp.Comment(this=target, kind="TABLE"))
    names = {c.name for c in CatalogModel(session).constraints if c.table.schema == schema and c.table.name == tname}
    if args["constraint"] not in names:
        raise HeliosError(f'constraint "{args["constraint"]}" for table "{tname}" does not exist', sqlstate="42704")
    key = f"constraint:{schema}.{tname}.{args['constraint']}"
    txn.catalog_comment(key, args["text"])
    return Result(command_tag="COMMENT")


# ---------------------------------------------------------------------------------------- branches
def _parse_ts(session: Any, text: str) -> int:
    """A timestamp literal -> storage commit timestamp (microseconds since the epoch, UTC)."""
    import pyarrow as pa

    from helios_core.sql.functions import cast
    from helios_core.sql.functions.vec import Vec

    v = cast(Vec(pa.array([text], pa.string()), types.TEXT), types.TIMESTAMPTZ)
    arr = v.array if hasattr(v, "array") else v
    value = arr[0]
    return int(value.cast(pa.int64()).as_py()) if hasattr(value, "cast") else int(value.value)


def _evaluate_ts(session: Any, expression: str) -> int:
    """``AT TIMESTAMP <expression>`` (e.g. now() - interval '1 hour') -> storage commit timestamp."""
    import pyarrow as pa

    (result,) = session.execute(f"SELECT ({expression})::timestamptz")
    value = result.rows()[0][0]
    if value is None:
        raise HeliosError("AT TIMESTAMP needs a timestamp, got NULL", sqlstate="22004")
    return int(pa.scalar(value, pa.timestamp("us", tz="UTC")).cast(pa.int64()).as_py())


def branch_statement(session: Any, node: Any) -> Result:
    """CREATE / DROP / ALTER / MERGE BRANCH (the expressions of helios_core.frontends.postgres.branch_syntax)."""
    store = session.engine.store
    db = session.database
    name = node.this.name
    if session.tx.in_block:
        raise ActiveSqlTransaction(f"{_branch_statement_words(node)} cannot run inside a transaction block")
    if isinstance(node, branch_syntax.CreateBranch):
        if store.get_branch(db, name) is not None:
            if node.args.get("exists"):
                return Result(command_tag="CREATE BRANCH", notices=[f'branch "{name}" already exists, skipping'])
            raise DuplicateObject(f'branch "{name}" already exists')
        parent = node.args["parent"].name if node.args.get("parent") is not None else session.branch
        if store.get_branch(db, parent) is None:
            raise UndefinedObject(f'branch "{parent}" does not exist')
        at_text, at_expression = branch_syntax.timestamp_of(node)
        at = _parse_ts(session, at_text) if at_text is not None else None
        if at_expression is not None:
            at = _evaluate_ts(session, at_expression)
        from helios_core.branching import lifecycle

        lifecycle.create_branch(session, name, parent, at)  # owner, privileges, history
        return Result(command_tag="CREATE BRANCH")
    if isinstance(node, branch_syntax.DropBranch):
        if store.get_branch(db, name) is None:
            if node.args.get("exists"):
                return Result(command_tag="DROP BRANCH", notices=[f'branch "{name}" does not exist, skipping'])
            raise UndefinedObject(f'branch "{name}" does not exist')
        if name == "main":
            raise HeliosError('cannot drop branch "main"', sqlstate="42501")
        if name == session.branch:
            raise HeliosError("cannot drop the branch this session is using", sqlstate="55006")
        from helios_core.branching import lifecycle

        lifecycle.drop_branch(session, name)
        return Result(command_tag="DROP BRANCH")
    if isinstance(node, branch_syntax.AlterBranch) and node.args.get("rename") is not None:
        new = node.args["rename"].name
        if store.get_branch(db, name) is None:
            raise UndefinedObject(f'branch "{name}" does not exist')
        if store.get_branch(db, new) is not None:
            raise DuplicateObject(f'branch "{new}" already exists')
        if name == "main":
            raise HeliosError('cannot rename branch "main"', sqlstate="42501")
        from helios_core.branching import lifecycle

        lifecycle.rename_branch(session, name, new)
        for s in list(session.engine.sessions.values()):
            if s.database == db and s.branch == name:
                s.settings_obj.values["heliosdb.branch"] = new
        return Result(command_tag="ALTER BRANCH")
    if isinstance(node, branch_syntax.AlterBranch):
        if store.get_branch(db, name) is None:
            raise UndefinedObject(f'branch "{name}" does not exist')
        from helios_core.branching import lifecycle

        limits = {}
        options = branch_syntax.option_values(node)
        if "tier" in options:  # where its segments live: moved now
            lifecycle.set_tier(session, name, storage_parameters.tier_value(options.pop("tier")))
            if not options:
                return Result(command_tag="ALTER BRANCH")
        for k, v in options.items():
            if k not in ("max_connections", "max_memory", "max_cpu_percent"):
                raise HeliosError(f'unrecognized branch option "{k}"', sqlstate="22023")
            limits[k] = "default" if v is None else v  # RESET: back to no limit
        lifecycle.set_limits(session, name, limits)
        return Result(command_tag="ALTER BRANCH")
    from helios_core.branching import merge

    return merge.merge_branch(session, name, node.args["target"].name, branch_syntax.option_values(node))


def _branch_statement_words(node: Any) -> str:
    verb = {"CreateBranch": "CREATE", "DropBranch": "DROP", "MergeBranch": "MERGE"}.get(type(node).__name__)
    if verb is not None:
        return f"{verb} BRANCH"
    return "RENAME BRANCH" if node.args.get("rename") is not None else "ALTER BRANCH SET"


def branch_meta(engine: Any, db: str, name: str) -> dict:
    """Per-branch metadata (owner, limits) kept on branch main of the database (kind "branch_meta")."""
    txn = engine.store.begin(db, "main")
    try:
        return txn.catalog_get("branch_meta", name) or {}
    finally:
        txn.rollback()


# ---------------------------------------------------------------------------------------- roles
def role_statement(session: Any, u: Utility) -> Result:
    a = u.args
    if u.kind in ("grant", "revoke"):
        if a.get("on") == "BRANCH":
            from helios_core.branching import privileges

            return privileges.grant_statement(session, u.kind, a)
        if a["on"] is None:
            return role_ddl.grant_membership(session, a["spec"])
        return object_privileges.grant_statement(session, a["spec"])
    return role_ddl.role_statement(session, u)

def parse_timestamp(session: Any, text: str) -> int:
    """A timestamp literal as the commit timestamp it names (AS OF checks outside this package)."""
    return _parse_ts(session, text)
