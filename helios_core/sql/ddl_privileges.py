"""Who may run which DDL, checked before it runs, and who owns what it created.

PostgreSQL's rules: creating a relation needs CREATE on its schema; CREATE SCHEMA needs
CREATE on the database; CREATE DATABASE the CREATEDB attribute; dropping or altering an
object (and creating an index on a table) only its owner, a role with the owner's
privileges, or a superuser; TRUNCATE the TRUNCATE privilege. ``ALTER ... OWNER TO`` is
here too (helios_core.sql.object_privileges.alter_owner does the work).
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from helios_core import roles
from helios_core.errors import FeatureNotSupported, HeliosError, InsufficientPrivilege
from helios_core.session import Result
from helios_core.sql import object_privileges as P
from helios_core.sql.object_privileges import ObjectRef
from helios_core.sql.session_identity import resolve_role_name


def _ident(node: Any) -> str:
    if node is None:
        return ""
    if isinstance(node, exp.Identifier):
        return node.this if node.quoted else node.this.lower()
    return str(node.this if hasattr(node, "this") else node)


def _relation(session: Any, table: exp.Table, txn: Any) -> ObjectRef | None:
    name = _ident(table.this)
    schema = _ident(table.args.get("db")) or None
    schemas = [schema] if schema else session.search_path()
    for s in schemas:
        ref = P.relation_ref(txn, s, name)
        if ref is not None:
            return ref
    return None


def _target_schema(session: Any, table: Any, txn: Any) -> str:
    if isinstance(table, exp.Schema):
        table = table.this
    schema = _ident(table.args.get("db")) if isinstance(table, exp.Table) else ""
    return schema or session.current_schema(txn)


def before(session: Any, ast: Any) -> dict:
    """Check a DDL statement's privileges; returns what ``after`` needs to know."""
    graph = roles.role_graph(session.engine)
    user = session.user
    state: dict = {"superuser": graph.is_superuser(user)}
    txn = session.tx.current()
    if isinstance(ast, exp.TruncateTable):
        for t in ast.expressions:
            ref = _relation(session, t, txn)
            if ref is not None:
                P.check(session, ref, "D")
        return state
    kind = (ast.args.get("kind") or "").upper()
    if isinstance(ast, exp.Create):
        if kind in ("TABLE", "VIEW", "SEQUENCE", "TYPE"):
            target = ast.this.this if isinstance(ast.this, exp.Schema) else ast.this
            schema = _target_schema(session, target, txn)
            if not state["superuser"]:
                if ast.args.get("properties") and _is_temporary(ast):
                    if not P.has_privilege(session, ObjectRef("database", session.database), "T"):
                        raise InsufficientPrivilege(
                            f'permission denied to create temporary tables in database "{session.database}"')
                else:
                    P.check_create_in_schema(session, schema, txn)
                for ref_node in ast.find_all(exp.Reference):  # a foreign key needs REFERENCES
                    target_table = ref_node.this.this if isinstance(ref_node.this, exp.Schema) else ref_node.this
                    ref = _relation(session, target_table, txn) if isinstance(target_table, exp.Table) else None
                    if ref is not None:
                        cols = [_ident(c) for c in ref_node.this.expressions] \
                            if isinstance(ref_node.this, exp.Schema) else None
                        P.check(session, ref, "x", columns=cols or None)
            if isinstance(target, exp.Table):
                existing = P.relation_ref(txn, schema, _ident(target.this))
                state["existed"] = existing is not None
                if existing is not None and kind == "VIEW" and ast.args.get("replace"):
                    P.check_owner(session, existing)
            if not state["superuser"] or user != P.BOOTSTRAP_OWNER:
                state["sequences"] = set(txn.catalog_list("sequence"))
        elif kind == "INDEX":
            table = ast.this.args.get("table") if isinstance(ast.this, exp.Index) else None
            ref = _relation(session, table, txn) if isinstance(table, exp.Table) else None
            if ref is not None:
                P.check_owner(session, ref)
        elif kind == "SCHEMA":
            if not P.has_privilege(session, ObjectRef("database", session.database), "C"):
                raise InsufficientPrivilege(f"permission denied for database {session.database}")
        elif kind == "DATABASE":
            rec = graph.get(user) or {}
            if not state["superuser"] and not rec.get("createdb"):
                raise InsufficientPrivilege("permission denied to create database")
        return state
    if isinstance(ast, exp.Drop):
        for t in ast.args.get("tables") or [ast.this]:
            _check_drop(session, kind, t, txn)
        return state
    if isinstance(ast, exp.Alter):
        table = ast.this
        if kind == "SCHEMA" or (isinstance(table, exp.Table) and table.this is None):
            name = _ident(table.args.get("db") or table.this)
            if name:
                P.check_owner(session, ObjectRef("schema", name))
        elif kind == "INDEX":
            _check_index_owner(session, table, txn)
        elif isinstance(table, exp.Table):
            ref = _relation(session, table, txn)
            if ref is not None:
                P.check_owner(session, ref)
    return state


def _is_temporary(ast: Any) -> bool:
    props = ast.args.get("properties")
    return any(isinstance(p, exp.TemporaryProperty) for p in (props.expressions if props else []))


def _check_index_owner(session: Any, table: Any, txn: Any) -> None:
    name = _ident(table.this) if isinstance(table, exp.Table) else ""
    schema = _ident(table.args.get("db")) if isinstance(table, exp.Table) else ""
    for s in ([schema] if schema else session.search_path()):
        idx = txn.catalog_get("index", f"{s}.{name}")
        if idx is not None:
            ref = P.relation_ref(txn, s, idx.get("table", ""))
            if ref is not None and not P.is_owner(session, ref):
                raise InsufficientPrivilege(f"must be owner of index {name}")
            return


def _check_drop(session: Any, kind: str, t: Any, txn: Any) -> None:
    if kind in ("TABLE", "VIEW", "SEQUENCE", "MATERIALIZED VIEW"):
        if isinstance(t, exp.Table):
            ref = _relation(session, t, txn)
            if ref is not None:
                P.check_owner(session, ref)
    elif kind == "INDEX":
        _check_index_owner(session, t, txn)
    elif kind == "SCHEMA":
        name = _ident(t.args.get("db") or t.this) if isinstance(t, exp.Table) else _ident(t)
        if name and txn.catalog_get("schema", name) is not None:
            P.check_owner(session, ObjectRef("schema", name))
    elif kind == "DATABASE":
        name = _ident(t.this) if isinstance(t, exp.Table) else _ident(t)
        if name in session.engine.list_databases():
            P.check_owner(session, ObjectRef("database", name))


def after(session: Any, ast: Any, state: dict) -> None:
    """Record the owner of what a CREATE made (objects without an owner field belong to the
    bootstrap superuser, so its own creations need no record unless default privileges apply)."""
    if not isinstance(ast, exp.Create) or state.get("existed"):
        return
    kind = (ast.args.get("kind") or "").upper()
    txn = session.tx.current()
    user = session.user
    if kind == "DATABASE":
        if user != P.BOOTSTRAP_OWNER:
            name = _ident(ast.this.this)
            P.put_database_record(session.engine, name, {**P.database_record(session.engine, name), "owner": user})
        return
    if kind not in ("TABLE", "VIEW", "SEQUENCE"):
        return
    target = ast.this.this if isinstance(ast.this, exp.Schema) else ast.this
    if not isinstance(target, exp.Table):
        return
    ref = _relation(session, target, txn)
    if ref is None:
        return
    if user != P.BOOTSTRAP_OWNER or P.default_privileges_for(session, user, ref, txn) is not None:
        P.record_new_object(session, ref, txn)
    if "sequences" not in state:
        return
    for key in set(txn.catalog_list("sequence")) - state["sequences"]:
        schema, name = key.split(".", 1)
        seq = ObjectRef("sequence", name, schema)
        if seq != ref:
            P.record_new_object(session, seq, txn)  # serial/identity sequences belong to the table's owner


_OWNER_TO = re.compile(r"^\s*(table|view|materialized\s+view|sequence|schema|database|index|function)\s+"
                       r"(?:if\s+exists\s+)?(.+?)\s+owner\s+to\s+(\S+)\s*;?\s*$", re.IGNORECASE | re.DOTALL)


def alter_owner_command(session: Any, rest: str) -> Result:
    """ALTER TABLE|VIEW|SEQUENCE|SCHEMA|DATABASE name OWNER TO role."""
    m = _OWNER_TO.match(rest)
    if m is None:
        raise FeatureNotSupported(f"ALTER {rest.split()[0].upper()} ... OWNER TO is not supported in this form")
    what = " ".join(m.group(1).lower().split())
    name = m.group(2).strip()
    role = _unquote(m.group(3))
    txn = session.tx.current()
    if what in ("table", "view", "sequence", "materialized view"):
        ref = P.find_relation(session, name, txn)
    elif what == "schema":
        ref = ObjectRef("schema", _unquote(name))
        P.load(session, ref, txn)
    elif what == "database":
        ref = ObjectRef("database", _unquote(name))
        if ref.name not in session.engine.list_databases():
            raise HeliosError(f'database "{ref.name}" does not exist', sqlstate="3D000")
    else:
        raise FeatureNotSupported(f"ALTER {what.upper()} ... OWNER TO is not supported")
    P.alter_owner(session, ref, role)
    return Result(command_tag=f"ALTER {what.upper()}")


def _unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return name[1:-1].replace('""', '"')
    return name.lower()


def check_comment(session: Any, ast: Any) -> None:
    """COMMENT ON an object: only its owner (or a superuser), as PostgreSQL."""
    if roles.role_graph(session.engine).is_superuser(session.user):
        return
    kind = str(ast.args.get("kind") or "").upper()
    target = ast.this
    txn = session.tx.current()
    if kind == "SCHEMA" and isinstance(target, exp.Table):
        name = _ident(target.this)
        if txn.catalog_get("schema", name) is not None or name == "public":
            P.check_owner(session, ObjectRef("schema", name))
        return
    if kind == "COLUMN" and isinstance(target, exp.Column):
        target = exp.Table(this=target.args.get("table"), db=target.args.get("db"))
    if kind == "DATABASE":
        name = _ident(target.this) if isinstance(target, exp.Table) else _ident(target)
        if name in session.engine.list_databases():
            P.check_owner(session, ObjectRef("database", name))
        return
    if isinstance(target, exp.Table) and target.this is not None:
        ref = _relation(session, target, txn)
        if ref is not None:
            P.check_owner(session, ref)


_SCHEMA_AUTH = re.compile(r"^\s*schema\s+(if\s+not\s+exists\s+)?(?:(\S+)\s+)?authorization\s+(\S+)\s*;?\s*$",
                          re.IGNORECASE | re.DOTALL)


def create_schema_authorization(session: Any, rest: str) -> Result | None:
    """CREATE SCHEMA [name] AUTHORIZATION role: owned by ``role`` (named after it when no name is given);
    the creator needs CREATE on the database and membership in ``role``. None: not this statement."""
    m = _SCHEMA_AUTH.match(rest)
    if m is None:
        return None
    role = resolve_role_name(session, _unquote(m.group(3)))
    name = _unquote(m.group(2)) if m.group(2) else role
    graph = roles.role_graph(session.engine)
    if graph.get(role) is None:
        raise HeliosError(f'role "{role}" does not exist', sqlstate="42704")
    if not graph.is_superuser(session.user):
        if not P.has_privilege(session, ObjectRef("database", session.database), "C"):
            raise InsufficientPrivilege(f"permission denied for database {session.database}")
        if not graph.is_member_of(session.user, role):
            raise InsufficientPrivilege(f'must be able to SET ROLE "{role}"')
    txn = session.tx.current()
    if txn.catalog_get("schema", name) is not None or name in ("public", "pg_catalog", "information_schema"):
        if m.group(1):
            return Result(command_tag="CREATE SCHEMA", notices=[f'schema "{name}" already exists, skipping'])
        raise HeliosError(f'schema "{name}" already exists', sqlstate="42P06")
    if roles.is_reserved_name(name):
        raise HeliosError(f'unacceptable schema name "{name}"', sqlstate="42939",
                          detail='The prefix "pg_" is reserved for system schemas.')
    txn.catalog_put("schema", name, {"name": name, "owner": role})
    return Result(command_tag="CREATE SCHEMA")
