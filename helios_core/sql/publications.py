"""Publications: CREATE/ALTER/DROP PUBLICATION and COMMENT ON PUBLICATION, as PostgreSQL 15.

A publication names a set of tables (FOR ALL TABLES, FOR TABLE t [(cols)] [WHERE (...)],
FOR TABLES IN SCHEMA s) and which changes it publishes. It is kept in the branch's catalog so
that pg_dump output restores and psql's \\dRp shows it; nothing is streamed (there are no
replication connections nor subscriptions). What PostgreSQL enforces without subscribers is
enforced: UPDATE/DELETE of a published table without a replica identity fails (55000).

Members are stored by table id, so a renamed table stays a member and a dropped one leaves.
"""

from __future__ import annotations

import re
from typing import Any

import sqlglot
from sqlglot import exp

from helios_core import roles
from helios_core.errors import (
    DuplicateObject,
    FeatureNotSupported,
    HeliosError,
    InsufficientPrivilege,
    SyntaxError_,
    UndefinedColumn,
    UndefinedObject,
    UndefinedTable,
)
from helios_core.frontends.postgres.dialect import DIALECT
from helios_core.session import Result
from helios_core.sql import inheritance, object_privileges, partitions, replica_identity, transactions
from helios_core.sql.catalog_views.model import _catalog_list, stable_oid
from helios_core.sql.functions import registry as function_registry
from helios_core.sql.routines import definition as routine_definition
from helios_core.sql.temp_tables import is_temp_schema
from helios_core.sql.virtual_tables import lookup_virtual_table

KIND = "publication"
_MARKER = "publication_marker"  # present while the branch has a publication
ACTIONS = ("insert", "update", "delete", "truncate")
_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
_SYSTEM_COLUMNS = ("tableoid", "cmax", "xmax", "cmin", "xmin", "ctid")


# ------------------------------------------------------------------------------------------ records
def get(txn: Any, name: str) -> dict | None:
    try:
        return txn.catalog_get(KIND, name)
    except Exception:  # noqa: BLE001 - a catalog without the kind yet
        return None


def all_publications(txn: Any) -> list[dict]:
    return [v for _k, v in sorted(_catalog_list(txn, KIND).items())]


def publication_oid(name: str) -> int:
    return stable_oid("publication", name)


def _must_exist(txn: Any, name: str) -> dict:
    rec = get(txn, name)
    if rec is None:
        raise UndefinedObject(f'publication "{name}" does not exist')
    return rec


def _check_owner(session: Any, rec: dict) -> None:
    user = object_privileges.checking_user(session)
    graph = roles.role_graph(session.engine)
    if not (graph.is_superuser(user) or graph.has_privs_of(user, rec["owner"])):
        raise InsufficientPrivilege(f"must be owner of publication {rec['name']}")


def _is_superuser(session: Any) -> bool:
    return roles.role_graph(session.engine).is_superuser(object_privileges.checking_user(session))


_TRUE = {"true", "on", "1", "yes", "t", "y"}
_FALSE = {"false", "off", "0", "no", "f", "n"}


def _apply_options(rec: dict, options: list[tuple[str, str | None]]) -> None:
    """WITH (publish = '...', publish_via_partition_root = bool): 42601 as PostgreSQL."""
    seen: set[str] = set()
    for key, value in options:
        if key not in ("publish", "publish_via_partition_root"):
            raise SyntaxError_(f'unrecognized publication parameter: "{key}"')
        if key in seen:
            raise SyntaxError_("conflicting or redundant options")
        seen.add(key)
        if key == "publish":
            actions = {a: False for a in ACTIONS}
            for part in (value or "").split(","):
                word = part.strip().lower()
                if not word:
                    continue
                if word not in ACTIONS:
                    raise SyntaxError_(f'unrecognized value for publication option "publish": "{word}"')
                actions[word] = True
            rec["publish"] = actions
        else:
            word = (value if value is not None else "true").strip().lower()
            if word not in _TRUE | _FALSE:
                raise SyntaxError_("publish_via_partition_root requires a Boolean value")
            rec["via_root"] = word in _TRUE


# ------------------------------------------------------------------------------------ member checks
def _resolve_table(session: Any, txn: Any, dotted: str) -> Any:
    parts = dotted.split(".")
    schemas = [parts[0]] if len(parts) > 1 else session.search_path()
    if len(parts) > 1:
        object_privileges.check_schema_usage(session, parts[0], txn)  # 42501 as the name lookup
    for schema in schemas:
        tdef = txn.get_table(schema, parts[-1])
        if tdef is not None:
            return tdef
    for schema in ([parts[0]] if len(parts) > 1 else ["pg_catalog", *schemas]):
        if schema in _SYSTEM_SCHEMAS and lookup_virtual_table(schema, parts[-1]) is not None:
            raise HeliosError(f'cannot add relation "{parts[-1]}" to publication', sqlstate="22023",
                              detail="This operation is not supported for system tables.")
    for schema in schemas:
        kind = object_privileges.relation_ref(txn, schema, parts[-1])
        if kind is not None:
            raise HeliosError(f'cannot add relation "{parts[-1]}" to publication', sqlstate="22023",
                              detail=f"This operation is not supported for {kind.kind}s.")
    raise UndefinedTable(f'relation "{dotted}" does not exist')


def _table_member(session: Any, txn: Any, obj: dict, pubname: str, has_schemas: bool) -> dict:
    tdef = _resolve_table(session, txn, obj["name"])
    label = tdef.name
    if is_temp_schema(tdef.schema):
        raise HeliosError(f'cannot add relation "{label}" to publication', sqlstate="22023",
                          detail="This operation is not supported for temporary tables.")
    if tdef.schema in _SYSTEM_SCHEMAS:
        raise HeliosError(f'cannot add relation "{label}" to publication', sqlstate="22023",
                          detail="This operation is not supported for system tables.")
    if _unlogged(tdef.options):
        raise HeliosError(f'cannot add relation "{label}" to publication', sqlstate="22023",
                          detail="This operation is not supported for unlogged tables.")
    object_privileges.check_owner(session, object_privileges.ObjectRef("table", tdef.name, tdef.schema), txn)
    cols = obj.get("columns")
    if cols is not None:
        if has_schemas:
            raise HeliosError(
                f'cannot use column list for relation "{tdef.schema}.{tdef.name}" in publication "{pubname}"',
                sqlstate="22023",
                detail="Column lists cannot be specified in publications containing FOR TABLES IN SCHEMA "
                       "elements.")
        seen: set[str] = set()
        for col in cols:
            if col in _SYSTEM_COLUMNS:
                raise HeliosError(f'cannot use system column "{col}" in publication column list', sqlstate="42P10")
            cdef = tdef.column(col)
            if cdef is None:
                raise UndefinedColumn(f'column "{col}" of relation "{tdef.name}" does not exist')
            if (cdef.metadata or {}).get("generated"):
                raise HeliosError(f'cannot use generated column "{col}" in publication column list', sqlstate="42P10")
            if col in seen:
                raise DuplicateObject(f'duplicate column "{col}" in publication column list')
            seen.add(col)
    where = obj.get("where")
    if where is not None:
        try:
            where = _check_row_filter(txn, tdef, where)
        except HeliosError as e:
            if e.position is None and obj.get("where_at") is not None:
                e.position = obj["where_at"] + _offset_in(where, getattr(e, "at_text", ""))
            raise
    return {"table_id": tdef.table_id, "columns": cols, "where": where}


def _check_row_filter(txn: Any, tdef: Any, where: str) -> str:
    """The columns a row filter names must be the table's (42703); the expression must parse.
    Returns the filter's text as pg_publication_rel keeps it."""
    try:
        tree = sqlglot.parse_one(where, dialect=DIALECT)
    except Exception as e:
        raise SyntaxError_(f"syntax error in publication WHERE expression: {where}") from e
    for col in tree.find_all(exp.Column):
        if col.table == "" and tdef.column(col.name) is None and col.name not in _SYSTEM_COLUMNS:
            raise _at(UndefinedColumn(f'column "{col.name}" does not exist'), col.name)
    agg = tree.find(exp.AggFunc)
    if agg is not None:
        raise _at(HeliosError("aggregate functions are not allowed in WHERE", sqlstate="42803"),
                  agg.sql_name() if hasattr(agg, "sql_name") else "")
    if isinstance(tree, exp.Literal) and not tree.is_string:
        kind = "integer" if tree.this.lstrip("-").isdigit() else "numeric"
        raise HeliosError(f"argument of PUBLICATION WHERE must be type boolean, not type {kind}", sqlstate="42804")
    found = _unsimple(txn, tree) or _user_typed(tdef, tree)
    if found is not None:
        detail, word = found
        raise _at(FeatureNotSupported("invalid publication WHERE expression", detail=detail), word)
    return _deparsed(tree).sql(dialect=DIALECT, normalize_functions="lower")


_MUTABLE_NODES = (exp.Rand, exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime)
_MUTABLE_NAMES = {exp.Rand: "random", exp.CurrentDate: "current_date", exp.CurrentTime: "current_time"}


def _at(error: HeliosError, word: str) -> HeliosError:
    """The error, with the word of the filter it should point at (PostgreSQL's position)."""
    error.at_text = word  # type: ignore[attr-defined]
    return error


def _offset_in(text: str, word: str) -> int:
    """Where ``word`` first stands in ``text`` as a word (0: the start)."""
    m = re.search(r"(?<![\w$])" + re.escape(word) + r"(?![\w$])", text, re.IGNORECASE) if word else None
    return m.start() if m else 0


def _unsimple(txn: Any, tree: Any) -> tuple[str, str] | None:
    """Why a row filter is not the simple expression PostgreSQL allows, and the word it is about."""
    if tree.find(exp.Subquery, exp.Select) is not None:
        return (("Only columns, constants, built-in operators, built-in data types, built-in collations, and "
                "immutable built-in functions are allowed."), "")
    for c in tree.find_all(exp.Column):
        if c.name in _SYSTEM_COLUMNS:
            return "System columns are not allowed.", c.name
    user_routines = {key.rsplit(".", 1)[-1] for key in _catalog_list(txn, routine_definition.KIND)}
    for node in tree.find_all(exp.Func):
        if isinstance(node, _MUTABLE_NODES) or (isinstance(node, exp.Anonymous) and (
                node.name.lower() in user_routines or function_registry.is_volatile(node.name))):
            word = node.name if isinstance(node, exp.Anonymous) else _MUTABLE_NAMES.get(type(node), "")
            return "User-defined or built-in mutable functions are not allowed.", word
    return None


def _user_typed(tdef: Any, tree: Any) -> tuple[str, str] | None:
    """A row filter may not read columns of user-defined types (enum, domain, composite)."""
    for col in tree.find_all(exp.Column):
        cdef = tdef.column(col.name)
        if cdef is not None and any(k in (cdef.metadata or {}) for k in ("enum", "domain", "user_type")):
            return "User-defined types are not allowed.", col.name
    return None


def _deparsed(node: Any) -> Any:
    """The row filter as PostgreSQL's pg_get_expr shows it: each operator in parentheses and
    string constants typed (``((c <> 'x'::text) AND (d < 5))``)."""
    from sqlglot import exp

    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expression):
            node.set(key, _deparsed(value))
        elif isinstance(value, list):
            node.set(key, [_deparsed(v) if isinstance(v, exp.Expression) else v for v in value])
    if isinstance(node, exp.Literal) and node.is_string and not isinstance(node.parent, exp.Cast):
        return exp.Var(this=node.sql() + "::text")
    if isinstance(node, (exp.Binary, exp.Not, exp.Is)) and not isinstance(node, exp.Dot) and not isinstance(
            node.parent, exp.Paren):
        return exp.Paren(this=node)
    return node


def _schema_member(session: Any, txn: Any, name: str) -> str:
    if name == "current_schema":
        try:
            name = session.current_schema(txn)
        except HeliosError as e:
            raise HeliosError("no schema has been selected for CURRENT_SCHEMA", sqlstate="3F000") from e
    if name in _SYSTEM_SCHEMAS:
        raise HeliosError(f'cannot add schema "{name}" to publication', sqlstate="22023",
                          detail="This operation is not supported for system schemas.")
    if is_temp_schema(name):
        raise HeliosError(f'cannot add schema "{name}" to publication', sqlstate="22023",
                          detail="Temporary schemas cannot be replicated.")
    if not _schema_exists(session, txn, name):
        raise HeliosError(f'schema "{name}" does not exist', sqlstate="3F000")
    return name


def _schema_exists(session: Any, txn: Any, name: str) -> bool:
    if name == "public":
        return True
    try:
        return txn.catalog_get("schema", name) is not None
    except Exception:  # noqa: BLE001 - a catalog without the kind yet
        return False


def _members(session: Any, txn: Any, rec: dict, objects: list[dict]) -> tuple[list[dict], list[str]]:
    """The objects of one statement as (table members, schema names), duplicates merged as
    PostgreSQL does; a table named twice with a column list or WHERE clause is 42710."""
    has_schemas = bool(rec.get("schemas")) or any(o["kind"] == "schema" for o in objects)
    tables: dict[int, dict] = {}
    named: list[tuple[Any, dict]] = []  # (table, object): every name resolved and deduplicated first
    seen: dict[int, dict] = {}
    for obj in objects:
        if obj["kind"] != "table":
            continue
        tdef = _resolve_table(session, txn, obj["name"])
        prior = seen.get(tdef.table_id)
        if prior is not None:
            if prior.get("where") is not None or obj.get("where") is not None:
                raise DuplicateObject(f'conflicting or redundant WHERE clauses for table "{tdef.name}"')
            if prior.get("columns") is not None or obj.get("columns") is not None:
                raise DuplicateObject(f'conflicting or redundant column lists for table "{tdef.name}"')
            continue
        seen[tdef.table_id] = obj
        named.append((tdef, obj))
    schemas: list[str] = []
    for obj in objects:
        if obj["kind"] == "schema" and (name := _schema_member(session, txn, obj["name"])) not in schemas:
            schemas.append(name)
    for tdef, obj in named:
        member = _table_member(session, txn, obj, rec["name"], has_schemas)
        if partitions.spec(tdef) is not None and not rec.get("via_root"):
            _refuse_partitioned_filters(tdef, member, rec["name"])
        tables[member["table_id"]] = member
        if not obj.get("only") and inheritance.has_children(tdef):  # without ONLY: the inheriting tables too
            for child in inheritance.descendants(txn, tdef):
                tables.setdefault(child.table_id, {**member, "table_id": child.table_id})
    return list(tables.values()), schemas


def _refuse_partitioned_filters(tdef: Any, member: dict, pubname: str) -> None:
    """Without publish_via_partition_root a partitioned table's changes are published as its
    partitions', so its own row filter or column list would never apply."""
    if member.get("where") is not None:
        raise HeliosError(f'cannot use publication WHERE clause for relation "{tdef.name}"', sqlstate="22023",
                          detail="WHERE clause cannot be used for a partitioned table when "
                                 "publish_via_partition_root is false.")
    if member.get("columns") is not None:
        raise HeliosError(f'cannot use column list for relation "{tdef.schema}.{tdef.name}" in publication '
                          f'"{pubname}"', sqlstate="22023",
                          detail="Column lists cannot be specified for partitioned tables when "
                                 "publish_via_partition_root is false.")


def _check_via_root(txn: Any, rec: dict) -> None:
    """SET (publish_via_partition_root = false) with a partitioned table's filter or column list."""
    if rec.get("via_root"):
        return
    for entry in rec.get("tables", []):
        tdef = _table_by_id(txn, entry["table_id"])
        if tdef is None or partitions.spec(tdef) is None:
            continue
        what = "WHERE clause" if entry.get("where") is not None else "column list" if entry.get(
            "columns") is not None else None
        if what is not None:
            raise HeliosError(f'cannot set parameter "publish_via_partition_root" to false for publication '
                              f'"{rec["name"]}"', sqlstate="22023",
                              detail=f'The publication contains a {what} for partitioned table "{tdef.name}", '
                                     'which is not allowed when "publish_via_partition_root" is false.')


def _superuser_for_schemas(session: Any, schemas: list[str]) -> None:
    if schemas and not _is_superuser(session):
        raise InsufficientPrivilege("must be superuser to add or set schemas")


# ---------------------------------------------------------------------------------------- statements
def execute(session: Any, a: dict) -> Result:
    txn = session.tx.current()
    verb = a["verb"]
    if verb == "create":
        return _create(session, txn, a)
    if verb == "drop":
        return _drop(session, txn, a)
    if verb == "comment":
        return comment(session, a["name"], a["text"])
    rec = _must_exist(txn, a["name"])
    _check_owner(session, rec)
    tag = "ALTER PUBLICATION"
    if verb == "set_options":
        _apply_options(rec, a["options"])
        _check_via_root(txn, rec)
    elif verb == "rename":
        if get(txn, a["new"]) is not None:
            raise DuplicateObject(f'publication "{a["new"]}" already exists')
        txn.catalog_delete(KIND, rec["name"])
        _move_comment(txn, rec["name"], a["new"])
        rec["name"] = a["new"]
    elif verb == "owner":
        _change_owner(session, rec, a["owner"])
    else:
        _alter_members(session, txn, rec, verb.removesuffix("_members"), a["objects"])
    txn.catalog_put(KIND, rec["name"], rec)
    return Result(command_tag=tag)


def _create(session: Any, txn: Any, a: dict) -> Result:
    name = a["name"]
    if not object_privileges.has_privilege(session, object_privileges.ObjectRef("database", session.database), "C"):
        raise InsufficientPrivilege(f"permission denied for database {session.database}")
    if get(txn, name) is not None:
        raise DuplicateObject(f'publication "{name}" already exists')
    rec: dict[str, Any] = {"name": name, "owner": object_privileges.checking_user(session),
                           "all_tables": a["all_tables"], "publish": {x: True for x in ACTIONS},
                           "via_root": False, "tables": [], "schemas": []}
    if a["options"] is not None:
        _apply_options(rec, a["options"])
    if a["all_tables"] and not _is_superuser(session):
        raise InsufficientPrivilege("must be superuser to create FOR ALL TABLES publication")
    tables, schemas = _members(session, txn, rec, a["objects"])
    if schemas and not _is_superuser(session):
        raise InsufficientPrivilege("must be superuser to create FOR TABLES IN SCHEMA publication")
    rec["tables"], rec["schemas"] = tables, schemas
    txn.catalog_put(KIND, name, rec)
    txn.catalog_put(_MARKER, "any", {"any": True})
    warn = transactions.warning("wal_level is insufficient to publish logical changes", "01000")
    warn.hint = 'Set wal_level to "logical" before creating subscriptions.'
    return Result(command_tag="CREATE PUBLICATION", notices=[warn])


def _alter_members(session: Any, txn: Any, rec: dict, verb: str, objects: list[dict]) -> None:
    if rec.get("all_tables"):
        what = "Schemas" if any(o["kind"] == "schema" for o in objects) else "Tables"
        raise HeliosError(f'publication "{rec["name"]}" is defined as FOR ALL TABLES', sqlstate="55000",
                          detail=f"{what} cannot be added to or dropped from FOR ALL TABLES publications.")
    if verb == "drop":
        _drop_members(session, txn, rec, objects)
        return
    base = dict(rec, schemas=[] if verb == "set" and any(o["kind"] == "schema" for o in objects)
                else rec.get("schemas", []))
    if verb == "set":
        base["schemas"] = []
    tables, schemas = _members(session, txn, base, objects)
    _superuser_for_schemas(session, schemas)
    if verb == "set":
        rec["tables"], rec["schemas"] = tables, schemas
        return
    current = {t["table_id"] for t in rec["tables"]}
    for t in tables:
        if t["table_id"] in current:
            label = next(o["name"] for o in objects if o["kind"] == "table" and
                         _resolve_table(session, txn, o["name"]).table_id == t["table_id"])
            raise DuplicateObject(f'relation "{label.split(".")[-1]}" is already member of publication '
                                  f'"{rec["name"]}"')
    for s in schemas:
        if s in rec.get("schemas", []):
            raise DuplicateObject(f'schema "{s}" is already member of publication "{rec["name"]}"')
    if schemas and any(t.get("columns") is not None for t in rec["tables"]):
        raise HeliosError(f'cannot add schema to publication "{rec["name"]}"', sqlstate="22023",
                                  detail="Schemas cannot be added if any tables that specify a column list are "
                                         "already part of the publication.")
    rec["tables"] = rec["tables"] + tables
    rec["schemas"] = rec.get("schemas", []) + schemas


def _drop_members(session: Any, txn: Any, rec: dict, objects: list[dict]) -> None:
    for obj in objects:
        if obj["kind"] == "schema":
            name = session.current_schema(txn) if obj["name"] == "current_schema" else obj["name"]
            if not _schema_exists(session, txn, name):
                raise HeliosError(f'schema "{name}" does not exist', sqlstate="3F000")
            if name not in rec.get("schemas", []):
                raise UndefinedObject(f'tables from schema "{name}" are not part of the publication')
            rec["schemas"] = [s for s in rec["schemas"] if s != name]
            continue
        if obj.get("where") is not None:
            raise SyntaxError_("cannot use a WHERE clause when removing a table from a publication")
        if obj.get("columns") is not None:
            raise SyntaxError_("column list must not be specified in ALTER PUBLICATION ... DROP")
        tdef = _resolve_table(session, txn, obj["name"])
        if not any(t["table_id"] == tdef.table_id for t in rec["tables"]):
            raise UndefinedObject(f'relation "{tdef.name}" is not part of the publication')
        rec["tables"] = [t for t in rec["tables"] if t["table_id"] != tdef.table_id]


def _change_owner(session: Any, rec: dict, new_owner: str) -> None:
    if new_owner in ("current_user", "current_role"):
        new_owner = session.user
    elif new_owner == "session_user":
        new_owner = getattr(session, "session_user", session.user)
    graph = roles.role_graph(session.engine)
    if new_owner not in dict(session.engine.list_roles()):
        raise UndefinedObject(f'role "{new_owner}" does not exist')
    user = object_privileges.checking_user(session)
    if not graph.is_superuser(user):
        if not graph.is_member_of(user, new_owner):
            raise InsufficientPrivilege(f'must be member of role "{new_owner}"')
        if not object_privileges.has_privilege(session, object_privileges.ObjectRef("database", session.database),
                                               "C", user=new_owner):
            raise InsufficientPrivilege(f"permission denied for database {session.database}")
        if (rec.get("all_tables") or rec.get("schemas")) and not graph.is_superuser(new_owner):
            what = "FOR ALL TABLES" if rec.get("all_tables") else "FOR TABLES IN SCHEMA"
            raise InsufficientPrivilege(f'permission denied to change owner of publication "{rec["name"]}"',
                                        hint=f"The owner of a {what} publication must be a superuser.")
    rec["owner"] = new_owner


def _drop(session: Any, txn: Any, a: dict) -> Result:
    notices = []
    for name in a["names"]:
        rec = get(txn, name)
        if rec is None:
            if a["if_exists"]:
                notices.append(f'publication "{name}" does not exist, skipping')
                continue
            raise UndefinedObject(f'publication "{name}" does not exist')
        _check_owner(session, rec)
        txn.catalog_delete(KIND, name)
        _move_comment(txn, name, None)
    if not all_publications(txn) and txn.catalog_get(_MARKER, "any") is not None:
        txn.catalog_delete(_MARKER, "any")
    return Result(command_tag="DROP PUBLICATION", notices=notices)


def _move_comment(txn: Any, old: str, new: str | None) -> None:
    text = txn.catalog_get("comment", f"publication:{old}")
    if text is None:
        return
    txn.catalog_delete("comment", f"publication:{old}")
    if new is not None:
        txn.catalog_put("comment", f"publication:{new}", text)


def comment(session: Any, name: str, text: str | None) -> Result:
    """COMMENT ON PUBLICATION name IS '...' | NULL: the owner only (pg_dump writes them)."""
    txn = session.tx.current()
    rec = _must_exist(txn, name)
    _check_owner(session, rec)
    key = f"publication:{name}"
    txn.catalog_comment(key, text)
    return Result(command_tag="COMMENT")


def drop_column(session: Any, txn: Any, tdef: Any, column: str, cascade: bool) -> None:
    """ALTER TABLE ... DROP COLUMN of a column a publication's column list or row filter names:
    2BP01 without CASCADE; with it, the table leaves that publication (as PostgreSQL drops the
    pg_publication_rel row)."""
    for rec in all_publications(txn):
        entry = next((t for t in rec.get("tables", []) if t["table_id"] == tdef.table_id), None)
        if entry is None or column not in (entry.get("columns") or []) + (
                _filter_columns(entry) if entry.get("where") else []):
            continue
        if not cascade:
            label = tdef.name if tdef.schema in session.search_path() else f"{tdef.schema}.{tdef.name}"
            raise HeliosError(f"cannot drop column {column} of table {label} because other objects depend on it",
                              sqlstate="2BP01",
                              detail=f"publication of table {label} in publication {rec['name']} depends on "
                                     f"column {column} of table {label}",
                              hint="Use DROP ... CASCADE to drop the dependent objects too.")
        rec["tables"] = [t for t in rec["tables"] if t is not entry]
        txn.catalog_put(KIND, rec["name"], rec)


def table_recreated(txn: Any, old_id: int, new_id: int) -> None:
    """A table rewritten under a new id (constraints.rebuild_table) keeps its memberships."""
    if txn.catalog_get(_MARKER, "any") is None:
        return
    for rec in all_publications(txn):
        if any(t["table_id"] == old_id for t in rec.get("tables", [])):
            rec["tables"] = [{**t, "table_id": new_id} if t["table_id"] == old_id else t for t in rec["tables"]]
            txn.catalog_put(KIND, rec["name"], rec)


def description_rows(txn: Any) -> list[tuple]:
    """pg_description rows (objoid, classoid pg_publication, 0, text) of COMMENT ON PUBLICATION."""
    if txn is None:
        return []
    return [(publication_oid(p["name"]), 6104, 0, c["text"]) for p in all_publications(txn)
            if (c := txn.catalog_get("comment", f"publication:{p['name']}")) is not None]


# -------------------------------------------------------------------------------------- what's in one
def _table_by_id(txn: Any, table_id: int) -> Any:
    for t in txn.list_tables():
        if t.table_id == table_id:
            return t
    return None


def publishable(schema: str, options: dict | None) -> bool:
    """Whether a table can be published at all (not temporary, unlogged or a system table)."""
    return not (is_temp_schema(schema) or schema in _SYSTEM_SCHEMAS or _unlogged(options))


def _unlogged(options: dict | None) -> bool:
    return (options or {}).get("persistence") == "u"


def _lineage(txn: Any, tdef: Any) -> list[Any]:
    """The table and its partition ancestors: a partition is published with its parent."""
    out = [tdef]
    parent = partitions.parent_of(tdef)
    while parent is not None and len(out) < 64:
        up = txn.get_table(*parent)
        if up is None:
            break
        out.append(up)
        parent = partitions.parent_of(up)
    return out


def publishing(txn: Any, tdef: Any) -> list[tuple[dict, dict | None]]:
    """(publication, its FOR TABLE entry or None) of each publication whose set includes ``tdef``."""
    if not publishable(tdef.schema, tdef.options):
        return []
    lineage = _lineage(txn, tdef)
    ids = [t.table_id for t in lineage]
    out = []
    for rec in all_publications(txn):
        listed = {t["table_id"]: t for t in rec.get("tables", [])}
        entry = next((listed[i] for i in ids if i in listed), None)
        if entry is not None or rec.get("all_tables") or any(t.schema in rec.get("schemas", []) for t in lineage):
            out.append((rec, entry))
    return out


def check_replica_identity(txn: Any, tdef: Any, action: str) -> None:
    """UPDATE/DELETE of a table that a publication publishing that action includes (42P10, 55000 as
    PostgreSQL's executor start): its row filter may only name replica identity columns, its
    column list must cover them, and the table needs a replica identity at all."""
    if txn.catalog_get(_MARKER, "any") is None:
        return  # the common case costs one catalog lookup, not a scan of the publications
    pubs = [(p, e) for p, e in publishing(txn, tdef) if p.get("publish", {}).get(action)]
    if not pubs:
        return
    verb = "update" if action == "update" else "delete from"
    ident = replica_identity.identity_columns(tdef, txn)
    for _pub, entry in pubs:
        if entry is None:
            continue
        if entry.get("where") is not None and ident is not None and not set(_filter_columns(entry)) <= set(ident):
            raise HeliosError(f'cannot {verb} table "{tdef.name}"', sqlstate="42P10",
                              detail="Column used in the publication WHERE expression is not part of the replica "
                                     "identity.")
    for _pub, entry in pubs:
        cols = entry.get("columns") if entry is not None else None
        if cols is None:
            continue
        if ident is None or not set(ident) <= set(cols):  # FULL: PostgreSQL 15 refuses any column list
            raise HeliosError(f'cannot {verb} table "{tdef.name}"', sqlstate="42P10",
                              detail="Column list used by the publication does not cover the replica identity.")
    if replica_identity.has_identity(tdef):
        return
    raise HeliosError(f'cannot {verb} table "{tdef.name}" because it does not have a replica identity and '
                      f'publishes {action}s', sqlstate="55000",
                      hint=f"To enable {'updating' if action == 'update' else 'deleting from'} the table, set "
                           "REPLICA IDENTITY using ALTER TABLE.")


def _filter_columns(entry: dict) -> list[str]:
    try:
        tree = sqlglot.parse_one(entry["where"], dialect=DIALECT)
    except Exception:  # noqa: BLE001 - a filter that was checked when it was stored
        return []
    return [c.name for c in tree.find_all(exp.Column)]
