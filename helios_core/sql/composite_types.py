"""Composite types: CREATE TYPE name AS (a int, b text), DROP TYPE, ALTER TYPE.

A composite type is a catalog record of kind "composite" in the "type" namespace (beside enums
and domains) listing its attributes, each with its type as qualified text (``"public"."complex"``
for a user type, so a type in another schema resolves whatever the search_path);
``user_types.composite_type`` turns it into a SqlType whose values are Arrow structs with one
field per attribute. Tables have a row type of their own name too (``user_types.table_row_type``).

Table columns of a composite type (or an array of one) keep the type's qualified text in their
metadata ("user_type"): DROP TYPE finds its dependents through it (and through other composite types'
attributes), and ALTER TYPE refuses to change a type that stored values use, as PostgreSQL
does without CASCADE (``cannot alter type "t" because column "tab.c" uses it``, 0A000).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlglot import exp

from helios_core import roles
from helios_core.errors import (
    DuplicateObject,
    FeatureNotSupported,
    HeliosError,
    InsufficientPrivilege,
    SyntaxError_,
    UndefinedObject,
)
from helios_core.frontends.postgres.dialect import parse, statement_cursor
from helios_core.session import Result
from helios_core.sql import enum_values, foreign_tables, type_privileges, user_types
from helios_core.sql import types as T
from helios_core.sql.constraints import column_metadata, rebuild_table
from helios_core.sql.context import table_sql_columns
from helios_core.sql.missing_schema import missing_schema
from helios_core.sql.session_identity import resolve_role_name
from helios_core.sql.user_types import quote_ident, type_text
from helios_core.storage import ColumnDef

DUPLICATE_COLUMN = "42701"


class DependentObjectsStillExist(HeliosError):
    sqlstate = "2BP01"


def utility(session: Any, kind: str, args: dict) -> Result:
    """DROP TYPE, ALTER TYPE and CREATE TYPE name (a shell type), as the dialect parsed them."""
    if kind == "drop_type":
        return drop(session, args["names"], args["if_exists"], args["cascade"])
    if kind == "alter_type":
        return alter(session, statement_cursor(args["text"], args["offset"], args["at"]))
    parts = args["name"]
    return create_shell(session, *_creation_name(session, parts))


def _creation_name(session: Any, parts: list[str]) -> tuple[str, str]:
    """(schema, name) a new type goes to: its own schema, else the first of the search_path."""
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) > 2:
        raise SyntaxError_(f"improper qualified name (too many dotted names): {'.'.join(parts)}")
    for schema in session.search_path():
        if not schema.startswith("pg_temp"):
            return schema, parts[0]
    raise HeliosError("no schema has been selected to create in", sqlstate="3F000")


# ------------------------------------------------------------------------------------ CREATE TYPE

def create(session: Any, ast: exp.Create, schema: str, name: str) -> Result:
    """CREATE TYPE name AS (attr type [COLLATE c], ...)."""
    txn = session.tx.current()
    _check_free_name(txn, schema, name)
    attributes = []
    seen: set[str] = set()
    for el in ast.args["expression"].expressions:
        if not isinstance(el, exp.ColumnDef) or el.args.get("kind") is None:
            raise SyntaxError_("syntax error in the attribute list of CREATE TYPE")
        attr = el.this.name if el.this.args.get("quoted") else el.this.name.lower()
        if attr in seen:
            raise HeliosError(f'column "{attr}" specified more than once', sqlstate=DUPLICATE_COLUMN)
        seen.add(attr)
        for c in el.args.get("constraints") or []:
            if not isinstance(c.args.get("kind"), exp.CollateColumnConstraint):
                raise SyntaxError_(f'syntax error at or near "{c.sql(dialect="postgres").split()[0]}"')
        t = _declared_type(el.args["kind"])
        type_privileges.check_usage(session, t, txn)  # 42501 for a type the creator may not use
        attributes.append({"name": attr, "type": type_text(t, txn)})
    rec = {"schema": schema, "name": name, "kind": "composite", "attributes": attributes, "owner": session.user}
    rec["acl"] = type_privileges.default_acl(session, txn, schema, name)
    txn.catalog_put("type", f"{schema}.{name}", rec)
    user_types.remember(session, user_types.composite_type(rec))
    return Result(command_tag="CREATE TYPE")


def create_shell(session: Any, schema: str, name: str) -> Result:
    """CREATE TYPE name: a shell type (a placeholder that base-type definitions fill in later)."""
    txn = session.tx.current()
    _check_free_name(txn, schema, name)
    txn.catalog_put("type", f"{schema}.{name}", {"schema": schema, "name": name, "kind": "shell",
                                                   "owner": session.user})
    return Result(command_tag="CREATE TYPE")


def _check_free_name(txn: Any, schema: str, name: str) -> None:
    """Types and relations share pg_type: a table's row type takes its name too."""
    if txn.catalog_get("type", f"{schema}.{name}") is not None or txn.get_table(schema, name) is not None:
        raise DuplicateObject(f'type "{name}" already exists')
    if T.type_exists_builtin(name) and schema == "pg_catalog":
        raise DuplicateObject(f'type "{name}" already exists')


# -------------------------------------------------------------------------------------- DROP TYPE

def _resolve(session: Any, txn: Any, parts: list[str]) -> tuple[str, str, dict | None]:
    """(schema, name, catalog record or None) of a type name; a table's row type has no record."""
    schemas = [parts[0]] if len(parts) == 2 else session.search_path()
    for schema in schemas:
        rec = txn.catalog_get("type", f"{schema}.{parts[-1]}")
        if rec is not None:
            return schema, parts[-1], rec
        if txn.get_table(schema, parts[-1]) is not None:
            return schema, parts[-1], None
    return "", parts[-1], None


def dependents(txn: Any, key: str) -> tuple[list[tuple[Any, str]], list[tuple[str, str]]]:
    """What uses the composite type ``key``: (table, column) pairs and (type key, attribute) pairs."""
    schema, name = key.split(".", 1)
    spelled = f"{quote_ident(schema)}.{quote_ident(name)}"
    columns = [(tb, c.name) for tb in txn.list_tables() for c in tb.columns
               if (c.metadata or {}).get("user_type") in (spelled, spelled + "[]")]
    attributes = [(k, a["name"]) for k, rec in txn.catalog_list("type").items() if rec.get("kind") == "composite"
                  for a in rec["attributes"] if a["type"] in (spelled, spelled + "[]")]
    return columns, attributes


def drop(session: Any, names: list[list[str]], if_exists: bool, cascade: bool) -> Result:
    """DROP TYPE [IF EXISTS] name [, ...] [CASCADE | RESTRICT] of enums, composite and shell types."""
    txn = session.tx.current()
    notices: list[str] = []
    found = []
    for parts in names:
        no_schema = missing_schema(txn, parts)
        if no_schema is not None:
            if not if_exists:
                raise HeliosError(f'schema "{no_schema}" does not exist', sqlstate="3F000")
            notices.append(f'schema "{no_schema}" does not exist, skipping')
            continue
        schema, name, rec = _resolve(session, txn, parts)
        if rec is None and schema:
            raise DependentObjectsStillExist(f"cannot drop type {name} because table {name} requires it",
                                             hint=f"You can drop table {name} instead.")
        if rec is None:
            if if_exists:
                notices.append(f'type "{name}" does not exist, skipping')
                continue
            raise UndefinedObject(f'type "{name}" does not exist')
        if rec.get("kind") == "domain":
            raise HeliosError(f'"{name}" is not a type', sqlstate="42809", hint="Use DROP DOMAIN to remove a domain.")
        if rec.get("kind") == "multirange":  # it goes with its range type
            rng = rec["range_name"]
            raise DependentObjectsStillExist(f"cannot drop type {name} because type {rng} requires it",
                                             hint=f"You can drop type {rng} instead.")
        found.append((f"{schema}.{name}", rec))
    dropping = {k for k, _ in found}
    for key, rec in found:
        name = rec["name"]
        if rec.get("kind") == "enum":
            users = [(tb, c.name) for tb in txn.list_tables() for c in tb.columns
                     if (c.metadata or {}).get("enum") == key]
            attrs_ = []
        else:
            users, attrs_ = dependents(txn, key)
            attrs_ = [(k, a) for k, a in attrs_ if k not in dropping]
        if (users or attrs_) and not cascade:
            detail = [f"column {c} of table {tb.name} depends on type {name}{_array_suffix(tb, c)}"
                      for tb, c in users] + [
                f"column {a} of composite type {k.split('.', 1)[1]} depends on type {name}" for k, a in attrs_]
            raise DependentObjectsStillExist(f"cannot drop type {name} because other objects depend on it"
                                             if len(names) == 1 else
                                             "cannot drop desired object(s) because other objects depend on them",
                                             detail="\n".join(detail),
                                             hint="Use DROP ... CASCADE to drop the dependent objects too.")
        for tb, c in users:
            notices.append(f"drop cascades to column {c} of table {tb.name}")
            txn.alter_table(tb.schema, tb.name, drop_column=c)
        for k, a in attrs_:
            notices.append(f"drop cascades to column {a} of composite type {k.split('.', 1)[1]}")
            other = txn.catalog_get("type", k)
            stored = stored_values_of(txn, k)
            old_types = {(tb.schema, tb.name): dict(table_sql_columns(tb)) for tb in stored}
            kept = [x for x in other["attributes"] if x["name"] != a]
            txn.catalog_put("type", k, {**other, "attributes": kept})
            for tb in stored:  # their stored values lose the field
                _reshape_table(session, txn, txn.get_table(tb.schema, tb.name), old_types[(tb.schema, tb.name)], k,
                               {x["name"]: x["name"] for x in kept})
        txn.catalog_delete("type", key)
        if rec.get("kind") == "range":
            txn.catalog_delete("type", f"{rec['multirange_schema']}.{rec['multirange_name']}")
    if len(notices) > 1 and notices[0].startswith("drop cascades"):
        many = HeliosError(f"drop cascades to {len(notices)} other objects", sqlstate="00000", detail="\n".join(notices))
        many.severity = "NOTICE"
        notices = [many]
    return Result(command_tag="DROP TYPE", notices=notices)


# ------------------------------------------------------------------------------------- ALTER TYPE

def alter(session: Any, c: Any) -> Result:
    """ALTER TYPE name ADD/DROP/ALTER/RENAME ATTRIBUTE, RENAME TO, OWNER TO, SET SCHEMA (``c``: the
    statement's token cursor, after ALTER TYPE)."""
    txn = session.tx.current()
    parts = c.name_parts()
    schema, name, rec = _resolve(session, txn, parts)
    if rec is None and schema:
        raise HeliosError(f"{name} is a table's row type", sqlstate="42809", hint="Use ALTER TABLE instead.")
    if rec is None:
        raise UndefinedObject(f'type "{name}" does not exist')
    key = f"{schema}.{name}"
    if c.accept("OWNER", "TO"):
        owner = c.name()
        c.end()
        txn.catalog_put("type", key, {**rec, "owner": _new_owner(session, rec, owner)})
        return Result(command_tag="ALTER TYPE")
    if c.accept("RENAME", "TO"):
        new = c.name()
        c.end()
        _check_free_name(txn, schema, new)
        _check_unused(txn, key, name, rec, "rename")
        txn.catalog_delete("type", key)
        txn.catalog_put("type", f"{schema}.{new}", {**rec, "name": new})
        return Result(command_tag="ALTER TYPE")
    if c.accept("SET", "SCHEMA"):
        target = c.name()
        c.end()
        if target not in {k.split(".")[0] for k in (*txn.catalog_list("schema"), "public", "pg_catalog")}:
            raise UndefinedObject(f'schema "{target}" does not exist', sqlstate="3F000")
        if target == schema:  # already there: nothing to do, as in PostgreSQL
            return Result(command_tag="ALTER TYPE")
        _check_free_name(txn, target, name)
        _check_unused(txn, key, name, rec, "move")
        txn.catalog_delete("type", key)
        txn.catalog_put("type", f"{target}.{name}", {**rec, "schema": target})
        return Result(command_tag="ALTER TYPE")
    if rec.get("kind") == "enum":
        return enum_values.alter(session, c, key, rec)
    if rec.get("kind") != "composite":
        raise FeatureNotSupported(f"ALTER TYPE {c.text[c.toks[c.i].start:] if not c.at_end() else ''} "
                                  f"is not supported for type {name}".replace("  ", " "))
    attributes = [{**a, "from": a["name"]} for a in rec["attributes"]]  # "from": the stored field it was
    notices: list[str] = []
    first = True
    while True:
        renaming = c.word() == "RENAME"
        if renaming and not first:
            c.fail()  # RENAME ATTRIBUTE is a statement of its own, as in PostgreSQL's grammar
        _alter_attribute(session, txn, c, name, attributes, notices)
        # CASCADE reaches typed tables (CREATE TABLE ... OF type), which cannot exist here: nothing to do
        c.accept("RESTRICT") or c.accept("CASCADE")
        if c.at_end():
            break
        if renaming or c.cur is None or c.cur.text != ",":
            c.fail()
        c.accept_token()
        first = False
    if any(a.get("retyped") for a in attributes):
        _check_unused(txn, key, name, rec, "alter")  # stored values would need converting: PostgreSQL refuses too
    stored = stored_values_of(txn, key)
    old_types = {(tb.schema, tb.name): dict(table_sql_columns(tb)) for tb in stored}
    renames = {a["name"]: a.get("from") for a in attributes}
    txn.catalog_put("type", key, {**rec, "attributes": [{"name": a["name"], "type": a["type"]} for a in attributes]})
    for tb in stored:  # values stored before keep their fields, the added ones NULL (PostgreSQL reads them so)
        _reshape_table(session, txn, tb, old_types[(tb.schema, tb.name)], key, renames)
    return Result(command_tag="ALTER TYPE", notices=notices)


def stored_values_of(txn: Any, key: str) -> list[Any]:
    """Tables with a column whose values hold the composite type ``key`` (directly, in an array, or
    inside another composite type)."""
    keys = {key}
    changed = True
    while changed:  # the composite types that contain one of keys, transitively
        changed = False
        for k, rec in txn.catalog_list("type").items():
            if k not in keys and rec.get("kind") == "composite" and any(
                    dependents_key(a["type"]) in keys for a in rec["attributes"]):
                keys.add(k)
                changed = True
    return [tb for tb in txn.list_tables()
            if any(dependents_key(str((c.metadata or {}).get("user_type") or "")) in keys for c in tb.columns)]


def dependents_key(spelled: str) -> str | None:
    """'schema.name' of a type written as '"schema"."name"' (or its array), else None."""
    parts = user_types.split_name(spelled.removesuffix("[]"))
    return ".".join(parts) if len(parts) == 2 else None


def _reshape_table(session: Any, txn: Any, tdef: Any, old: dict[str, T.SqlType], key: str,
                   renames: dict[str, str | None]) -> None:
    """Rewrite a table's stored composite values to the new shape of type ``key``."""
    new = dict(table_sql_columns(tdef))
    changed = [n for n in new if n in old and old[n].arrow_type != new[n].arrow_type]
    cols = [ColumnDef(c.name, new[c.name].arrow_type if c.name in changed else c.type, c.nullable,
                      dict(column_metadata(tdef, c.name))) for c in tdef.columns]

    def reshape(batch: pa.RecordBatch) -> list[pa.Array]:
        return [_reshaped(batch.column(c.name), old[c.name], new[c.name], key, renames) if c.name in changed
                else batch.column(c.name) for c in tdef.columns]

    rebuild_table(session, txn, tdef, cols, list(tdef.primary_key), reshape=reshape)


def _reshaped(arr: pa.Array, old: T.SqlType, new: T.SqlType, key: str, renames: dict[str, str | None]) -> pa.Array:
    """Values of ``old`` as values of ``new``: fields found by name (through ``renames`` for the
    changed type ``key``), fields it did not have NULL."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if old.element is not None and new.element is not None:
        values = _reshaped(arr.flatten(), old.element, new.element, key, renames)
        return pa.ListArray.from_arrays(arr.offsets, values, mask=arr.is_null())
    if not (old.is_composite and new.is_composite):
        return arr
    mapping = renames if f"{new.composite.schema}.{new.composite.name}" == key else {n: n for n in new.field_names}
    old_names = list(old.field_names)
    children = []
    for name, ft in zip(new.field_names, new.fields, strict=True):
        source = mapping.get(name)
        if source is None or source not in old_names:
            children.append(pa.nulls(len(arr), ft.arrow_type))
        else:
            i = old_names.index(source)
            children.append(_reshaped(arr.field(i), old.fields[i], ft, key, renames))
    return pa.StructArray.from_arrays(children, names=list(new.field_names), mask=arr.is_null())


def _alter_attribute(session: Any, txn: Any, c: Any, type_name: str, attributes: list[dict],
                     notices: list[str]) -> None:
    names = [a["name"] for a in attributes]
    if c.accept("ADD", "ATTRIBUTE"):
        attr = c.name()
        t = _type_until_clause(session, txn, c)
        if attr in names:
            raise HeliosError(f'column "{attr}" of relation "{type_name}" already exists', sqlstate=DUPLICATE_COLUMN)
        attributes.append({"name": attr, "type": type_text(t, txn)})
        return
    if c.accept("DROP", "ATTRIBUTE"):
        if_exists = c.accept("IF", "EXISTS")
        attr = c.name()
        if attr not in names:
            if if_exists:
                notices.append(f'column "{attr}" of relation "{type_name}" does not exist, skipping')
                return
            raise HeliosError(f'column "{attr}" of relation "{type_name}" does not exist', sqlstate="42703")
        del attributes[names.index(attr)]
        return
    if c.accept("ALTER", "ATTRIBUTE"):
        attr = c.name()
        c.accept("SET", "DATA")
        c.expect("TYPE")
        t = _type_until_clause(session, txn, c)
        if attr not in names:
            raise HeliosError(f'column "{attr}" of relation "{type_name}" does not exist', sqlstate="42703")
        attributes[names.index(attr)]["type"] = type_text(t, txn)
        attributes[names.index(attr)]["retyped"] = True
        return
    if c.accept("RENAME", "ATTRIBUTE"):
        attr = c.name()
        c.expect("TO")
        new = c.name()
        if attr not in names:
            raise HeliosError(f'column "{attr}" does not exist', sqlstate="42703")
        if new in names:
            raise HeliosError(f'column "{new}" of relation "{type_name}" already exists', sqlstate=DUPLICATE_COLUMN)
        attributes[names.index(attr)]["name"] = new
        return
    c.fail()


def _type_until_clause(session: Any, txn: Any, c: Any) -> T.SqlType:
    """The type written from the cursor up to a top-level comma, COLLATE, CASCADE/RESTRICT or the end."""
    start = c.cur.start if c.cur is not None else len(c.text)
    depth = 0
    while c.cur is not None:
        tok = c.cur.text
        if depth == 0 and (tok == "," or c.word() in ("CASCADE", "RESTRICT", "COLLATE")):
            break
        depth += tok == "("
        depth -= tok == ")"
        c.accept_token()
    end = c.cur.start if c.cur is not None else len(c.text)
    if c.accept("COLLATE"):
        c.name_parts()
    spelled = c.text[start:end].strip()
    if not spelled:
        c.fail()
    tree = parse(f"CREATE TABLE _t (_c {spelled})")[0].ast
    t = _declared_type(tree.this.expressions[0].args["kind"])
    type_privileges.check_usage(session, t, txn)  # ALTER TYPE ... ADD / ALTER ATTRIBUTE
    return t


def _declared_type(dt: exp.DataType) -> T.SqlType:
    """An attribute's type: any type a column can have, user types (enum, domain, composite) too."""
    if dt.this in (exp.DataType.Type.SERIAL, exp.DataType.Type.BIGSERIAL, exp.DataType.Type.SMALLSERIAL):
        raise UndefinedObject(f'type "{dt.sql(dialect="postgres").lower()}" does not exist')
    if dt.this == exp.DataType.Type.USERDEFINED:
        return T.type_from_name(dt.sql(dialect="postgres"))
    return T.type_from_sqlglot(dt)


def _new_owner(session: Any, rec: dict, role: str) -> str:
    """ALTER TYPE ... OWNER TO: an existing role; only the owner or a superuser may give it away."""
    role = resolve_role_name(session, role)
    graph = roles.role_graph(session.engine)
    if graph.get(role) is None:
        raise UndefinedObject(f'role "{role}" does not exist')
    if not graph.is_superuser(session.user) and (rec.get("owner") or "helios") != session.user:
        raise InsufficientPrivilege(f"must be owner of type {rec['name']}")
    return role


def _check_unused(txn: Any, key: str, name: str, rec: dict, verb: str) -> None:
    """0A000 when stored values use the type: changing its attributes is PostgreSQL's answer
    without CASCADE; renaming or moving it would need the users' stored type names rewritten."""
    if rec.get("kind") == "enum":
        columns = [(tb, c.name) for tb in txn.list_tables() for c in tb.columns
                   if (c.metadata or {}).get("enum") == key]
        attributes: list[tuple[str, str]] = []
    elif rec.get("kind") == "composite":
        columns, attributes = dependents(txn, key)
    else:
        return
    used = [f"{tb.name}.{col}" for tb, col in columns] + [f"{k.split('.', 1)[1]}.{a}" for k, a in attributes]
    if not used:
        return
    if verb == "alter":
        raise FeatureNotSupported(f'cannot alter type "{name}" because column "{used[0]}" uses it')
    raise FeatureNotSupported(f'ALTER TYPE {name} {"RENAME TO" if verb == "rename" else "SET SCHEMA"} while '
                              f'column "{used[0]}" uses it is not supported')




def _array_suffix(table: Any, column: str) -> str:
    """'[]' when the column stores an array of the type (PostgreSQL names the array type)."""
    md = table.column(column).metadata or {}
    return "[]" if str(md.get("user_type") or md.get("sql_type") or "").endswith("]") else ""


def row_type_change(session: Any, txn: Any, tdef: Any, *, adding: Any, retyping: bool) -> Any:
    """ALTER TABLE ADD/DROP/ALTER COLUMN of a table whose row type other tables' columns store:
    a column retyped, or added with a default, is 0A000 as in PostgreSQL (the stored values would
    need computing); otherwise the returned callable, run after the change, rewrites those values
    to the new row type (a dropped column's field goes, an added one is NULL)."""
    key = f"{tdef.schema}.{tdef.name}"
    stored = [tb for tb in stored_values_of(txn, key) if (tb.schema, tb.name) != (tdef.schema, tdef.name)]
    if not stored:
        return lambda: None
    with_default = adding is not None and any(
        isinstance(c.args.get("kind"), exp.DefaultColumnConstraint) and not isinstance(
            c.args["kind"].this, exp.Null) for c in adding.args.get("constraints") or [])
    if retyping or with_default:
        columns, _ = dependents(txn, key)
        tb, col = columns[0] if columns else (stored[0], "?")
        raise FeatureNotSupported(f'cannot alter {foreign_tables.label(tdef)} "{tdef.name}" because column '
                                  f'"{tb.name}.{col}" uses its row type')
    old_types = {(tb.schema, tb.name): dict(table_sql_columns(tb)) for tb in stored}
    names = [c.name for c in tdef.columns]

    def rewrite() -> None:
        for tb in stored:
            _reshape_table(session, txn, txn.get_table(tb.schema, tb.name), old_types[(tb.schema, tb.name)], key,
                           {n: n for n in names})

    return rewrite


def drop_row_type_users(txn: Any, schema: str, name: str, *, cascade: bool) -> list[str]:
    """DROP TABLE of a table whose row type other tables' columns store: 2BP01 unless CASCADE,
    which drops those columns (composite types' attributes of it are refused: 0A000)."""
    columns, attributes = dependents(txn, f"{schema}.{name}")
    if not columns and not attributes:
        return []
    if not cascade:
        detail = [f"column {c} of table {tb.name} depends on type {name}{_array_suffix(tb, c)}"
                  for tb, c in columns] + [
            f"column {a} of composite type {k.split('.', 1)[1]} depends on type {name}" for k, a in attributes]
        raise DependentObjectsStillExist(f"cannot drop table {name} because other objects depend on it",
                                         detail="\n".join(detail),
                                         hint="Use DROP ... CASCADE to drop the dependent objects too.")
    if attributes:
        k, a = attributes[0]
        raise FeatureNotSupported(f'DROP TABLE {name} CASCADE reaching attribute "{a}" of composite type '
                                  f'{k.split(".", 1)[1]} is not supported')
    for tb, c in columns:
        txn.alter_table(tb.schema, tb.name, drop_column=c)
    return [f"drop cascades to column {c} of table {tb.name}" for tb, c in columns]


def subfield_assignment(column: str, t: T.SqlType, path: list[str], value: exp.Expression) -> exp.Expression:
    """``SET c.f.g = v`` as the value c gets: c's row with field f (of f, field g) replaced by v,
    every other field kept (a NULL c becomes a row of NULL fields but that one, as PostgreSQL)."""
    return _with_field(exp.Column(this=exp.to_identifier(column, quoted=True)), column, t, path, value)


def _with_field(base: exp.Expression, column: str, t: T.SqlType, path: list[str], value: exp.Expression
                ) -> exp.Expression:
    field = path[0]
    if not t.is_composite:
        raise HeliosError(f'cannot assign to field "{field}" of column "{column}" because its type {t.sql_name()} '
                          "is not a composite type", sqlstate="42804")
    if field not in t.field_names:
        raise HeliosError(f'cannot assign to field "{field}" of column "{column}" because there is no such column '
                          f"in data type {t.sql_name()}", sqlstate="42703")
    items: list[exp.Expression] = []
    for name, ft in zip(t.field_names, t.fields, strict=True):
        current = exp.Dot(this=exp.Paren(this=base.copy()), expression=exp.to_identifier(name, quoted=True))
        if name != field:
            items.append(current)
        elif len(path) > 1:
            items.append(_with_field(current, column, ft, path[1:], value))
        else:
            assigned = exp.Cast(this=value.copy(), to=exp.DataType.build(type_text(ft, None), dialect="postgres",
                                                                          udt=True))
            assigned.meta["subfield"] = field  # a cast that cannot be is PostgreSQL's 42804 about the subfield
            items.append(assigned)
    return exp.Cast(this=exp.Anonymous(this="ROW", expressions=items),
                    to=exp.DataType.build(type_text(t, None), dialect="postgres", udt=True))
