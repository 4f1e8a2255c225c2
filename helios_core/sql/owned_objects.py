"""REASSIGN OWNED BY and DROP OWNED BY: what a role owns in the current database, given to another
role or dropped (PostgreSQL's way to empty a role before DROP ROLE).

    REASSIGN OWNED BY role [, ...] TO new_role
    DROP OWNED BY role [, ...] [CASCADE | RESTRICT]

Both act on the session's database and branch, in the current transaction: tables (and
materialized and foreign tables), views, sequences, schemas, routines, user types and domains,
publications. DROP OWNED also revokes the privileges granted to the roles on what remains. The
caller needs the privileges of every role named (and, for REASSIGN, of the new owner), as in
PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from helios_core import roles
from helios_core.errors import InsufficientPrivilege, UndefinedObject
from helios_core.frontends.postgres import dialect
from helios_core.session import Result
from helios_core.sql import acl as A
from helios_core.sql import object_privileges
from helios_core.sql.functions.strings import quote_ident
from helios_core.sql.session_identity import resolve_role_name


def _checked_roles(session: Any, names: list[str], action: str) -> list[str]:
    graph = roles.role_graph(session.engine)
    out = []
    for name in names:
        name = resolve_role_name(session, name)
        if graph.get(name) is None:
            raise UndefinedObject(f'role "{name}" does not exist')
        if not graph.is_superuser(session.user) and not graph.has_privs_of(session.user, name):
            raise InsufficientPrivilege(f"permission denied to {action} objects",
                                        detail=f'Only roles with privileges of role "{name}" may {action} '
                                               "objects owned by it.")
        out.append(name)
    return out


def reassign(session: Any, a: dict) -> Result:
    """REASSIGN OWNED BY ... TO new: every object of the roles gets the new owner (ACL entries of
    the old owner move with it, as ALTER ... OWNER TO moves them)."""
    olds = set(_checked_roles(session, a["roles"], "reassign"))
    (new,) = _checked_roles(session, [a["to"]], "reassign")
    txn = session.tx.current()
    for ref, rec in list(object_privileges._each_acl_holder(txn)):
        owner = rec.get("owner")
        if owner in olds:
            acl = rec.get("acl")
            object_privileges.store(session, ref, owner=new, acl=A.rename_role(acl, owner, new) if acl else acl,
                                    txn=txn)
    for kind in ("function", "type", "publication"):
        for key, rec in _records(txn, kind).items():
            if kind == "function":
                overloads = [dict(r, owner=new) if r.get("owner") in olds else r for r in rec.get("overloads", [])]
                if overloads != rec.get("overloads"):
                    txn.catalog_put(kind, key, {**rec, "overloads": overloads})
            elif rec.get("owner") in olds:
                txn.catalog_put(kind, key, {**rec, "owner": new})
    session.engine.bump_plan_generation()
    return Result(command_tag="REASSIGN OWNED")


def drop(session: Any, a: dict) -> Result:
    """DROP OWNED BY ...: the roles' objects are dropped (RESTRICT unless CASCADE: an object of another
    role that depends on one stops it, 2BP01), then their privileges on what remains are revoked."""
    owners = set(_checked_roles(session, a["roles"], "drop"))
    txn = session.tx.current()
    mode = " CASCADE" if a["cascade"] else ""
    statements: list[str] = []
    tables, schemas = [], []
    for ref, rec in object_privileges._each_acl_holder(txn):
        if rec.get("owner") not in owners:
            continue
        if ref.kind == "schema":
            schemas.append(f"DROP SCHEMA IF EXISTS {quote_ident(ref.name)}{mode}")
            continue
        name = f"{quote_ident(ref.schema)}.{quote_ident(ref.name)}"
        if ref.kind == "view":
            statements.append(f"DROP VIEW IF EXISTS {name}{mode}")
        elif ref.kind == "sequence":
            tables.append(f"DROP SEQUENCE IF EXISTS {name}{mode}")
        elif rec.get("matview") is not None:
            statements.append(f"DROP MATERIALIZED VIEW IF EXISTS {name}{mode}")
        else:
            tables.append(f"DROP {'FOREIGN TABLE' if rec.get('foreign_table') else 'TABLE'} IF EXISTS {name}{mode}")
    for key, rec in _records(txn, "function").items():
        schema = key.split(".", 1)[0]
        for r in rec.get("overloads", []):
            if r.get("owner") in owners:
                noun = {"p": "PROCEDURE", "a": "AGGREGATE"}.get(r.get("kind"), "FUNCTION")
                args = ", ".join(arg["type"] for arg in r.get("args", []) if arg.get("mode", "i") in ("i", "b", "v"))
                statements.append(f"DROP {noun} IF EXISTS {quote_ident(schema)}.{quote_ident(r['name'])}({args}){mode}")
    for _key, rec in _records(txn, "publication").items():
        if rec.get("owner") in owners:
            statements.append(f"DROP PUBLICATION IF EXISTS {quote_ident(rec.get('name') or _key)}{mode}")
    types = [(rec.get("kind"), rec) for rec in _records(txn, "type").values() if rec.get("owner") in owners]
    for kind, rec in types:
        noun = "DOMAIN" if kind == "domain" else "TYPE"
        tables.append(f"DROP {noun} IF EXISTS {quote_ident(rec['schema'])}.{quote_ident(rec['name'])}{mode}")
    for sql in [*statements, *tables, *schemas]:  # in the current transaction, as one statement's parts
        for st in dialect.parse(sql):
            session.dispatch_nested(st)
    for name in owners:
        object_privileges.forget_role_grants(session, name)
    session.engine.bump_plan_generation()
    return Result(command_tag="DROP OWNED")


def _records(txn: Any, kind: str) -> dict[str, dict]:
    try:
        return txn.catalog_list(kind) or {}
    except Exception:  # noqa: BLE001 - a catalog without the kind yet
        return {}

