"""CREATE/ALTER/DROP ROLE and GRANT/REVOKE role membership, with PostgreSQL 15's rules.

Who may do what (as PostgreSQL 15):

* CREATE ROLE needs CREATEROLE or superuser; SUPERUSER, REPLICATION and BYPASSRLS roles only
  a superuser creates; names starting with ``pg_`` are reserved (42939).
* ALTER ROLE: a superuser role, or the SUPERUSER attribute, only by a superuser; otherwise
  CREATEROLE; any role may change its own password.
* DROP ROLE: CREATEROLE, and superuser to drop a superuser; never the current or session
  user, the bootstrap superuser or a predefined role.
* GRANT role TO member: ADMIN OPTION on the role, or CREATEROLE (superuser for a superuser
  role); membership may not become circular (0LP01).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from helios_core import auth, roles
from helios_core.errors import (
    DuplicateObject,
    FeatureNotSupported,
    HeliosError,
    InsufficientPrivilege,
    UndefinedObject,
)
from helios_core.session import Result
from helios_core.sql import foreign_data, object_privileges
from helios_core.sql.session_identity import resolve_role_name

BOOTSTRAP_ROLE = "helios"


def _graph(session: Any) -> roles.RoleGraph:
    return roles.role_graph(session.engine)


def _check_reserved(name: str, detail: str) -> None:
    if roles.is_reserved_name(name):
        raise HeliosError(f'role name "{name}" is reserved', sqlstate="42939", detail=detail)


def _password(value: str | None, name: str) -> str | None:
    """A SCRAM-SHA-256 verifier (or a pre-hashed verifier as given): never the password itself."""
    if value is None:
        return None
    if value == "":
        return None  # PostgreSQL: an empty password is no password
    return auth.make_password_verifier(value, name)


def _valid_until(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if text.lower() == "infinity":
        return "infinity"
    try:
        parsed = dt.datetime.fromisoformat(text.replace(" ", "T") if "T" not in text else text)
    except ValueError:
        raise HeliosError(f'invalid input syntax for type timestamp with time zone: "{text}"',
                          sqlstate="22007") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.isoformat()


_PRIVILEGED_ATTRS = {"superuser": "must be superuser to create superusers",
                     "replication": "must be superuser to create replication users",
                     "bypassrls": "must be superuser to create bypassrls users"}


def create_role(session: Any, a: dict) -> Result:
    graph = _graph(session)
    me = session.user
    name = a["name"]
    opts = a["options"]
    _check_reserved(name, 'Role names starting with "pg_" are reserved.')
    if name == "public" or name in ("none", "current_user", "current_role", "session_user"):
        raise HeliosError(f'role name "{name}" is reserved', sqlstate="42939")
    if not graph.is_superuser(me):
        for attr, message in _PRIVILEGED_ATTRS.items():
            if opts.get(attr):
                raise InsufficientPrivilege(message)
        rec = graph.get(me) or {}
        if not rec.get("createrole"):
            raise InsufficientPrivilege("permission denied to create role")
    if graph.get(name) is not None:
        raise DuplicateObject(f'role "{name}" already exists')
    for other in [*opts.get("member_of", []), *opts.get("members", []), *opts.get("admins", [])]:
        if graph.get(other) is None:
            raise UndefinedObject(f'role "{other}" does not exist')
    role = roles.new_role(
        name, superuser=bool(opts.get("superuser", False)), login=bool(opts.get("login", False)),
        password=_password(opts.get("password"), name), createdb=bool(opts.get("createdb", False)),
        createrole=bool(opts.get("createrole", False)), inherit=bool(opts.get("inherit", True)),
        replication=bool(opts.get("replication", False)), bypassrls=bool(opts.get("bypassrls", False)),
        connection_limit=int(opts.get("connection_limit", -1)), valid_until=_valid_until(opts.get("valid_until")),
        member_of=list(dict.fromkeys(opts.get("member_of", []))))
    engine = session.engine
    engine.put_role(role)
    for member in opts.get("members", []):
        _add_membership(engine, member, name, admin=False)
    for member in opts.get("admins", []):
        _add_membership(engine, member, name, admin=True)
    return Result(command_tag="CREATE ROLE")


def alter_role(session: Any, a: dict) -> Result:
    graph = _graph(session)
    me = session.user
    name = resolve_role_name(session, a["name"])
    role = graph.get(name)
    if role is None:
        raise UndefinedObject(f'role "{name}" does not exist')
    opts = dict(a["options"])
    if roles.is_reserved_name(name):
        _check_reserved(name, "Cannot alter reserved roles.")
    if not graph.is_superuser(me):
        if role.get("superuser") or "superuser" in opts:
            raise InsufficientPrivilege("must be superuser to alter superuser roles or change superuser attribute")
        if role.get("replication") or "replication" in opts:
            raise InsufficientPrivilege("must be superuser to alter replication roles or change replication "
                                        "attribute")
        if "bypassrls" in opts:
            raise InsufficientPrivilege("must be superuser to change bypassrls attribute")
        own_password_only = name == me and set(opts) <= {"password"}
        if not own_password_only and not (graph.get(me) or {}).get("createrole"):
            raise InsufficientPrivilege("permission denied")
    if opts.get("member_of") or opts.get("members"):
        raise HeliosError("syntax error: use GRANT role TO role to add members", sqlstate="42601")
    role = dict(role)
    for k, v in opts.items():
        if k == "password":
            role[k] = _password(v, name)
        elif k == "valid_until":
            role[k] = _valid_until(v)
        elif k == "connection_limit":
            role[k] = int(v)
        else:
            role[k] = v
    session.engine.put_role(role)
    return Result(command_tag="ALTER ROLE")


def rename_role(session: Any, a: dict) -> Result:
    graph = _graph(session)
    me = session.user
    old, new = a["name"], a["new"]
    role = graph.get(old)
    if role is None:
        raise UndefinedObject(f'role "{old}" does not exist')
    if old in (session.session_user, session.user):
        raise HeliosError("session user cannot be renamed" if old == session.session_user
                          else "current user cannot be renamed", sqlstate="0A000")
    if roles.is_reserved_name(old):
        _check_reserved(old, "Cannot rename reserved roles.")
    _check_reserved(new, 'Role names starting with "pg_" are reserved.')
    if not graph.is_superuser(me):
        if role.get("superuser"):
            raise InsufficientPrivilege("must be superuser to rename superusers")
        if not (graph.get(me) or {}).get("createrole"):
            raise InsufficientPrivilege("permission denied to rename role")
    if graph.get(new) is not None:
        raise DuplicateObject(f'role "{new}" already exists')
    engine = session.engine
    role = dict(role, name=new, password=None)  # PostgreSQL clears a salted password on rename
    engine.delete_role(old)
    engine.put_role(role)
    for other in graph.roles.values():  # memberships follow the new name
        if old in (other.get("member_of") or []) or old in (other.get("admin_of") or []):
            engine.put_role(dict(other, member_of=[new if r == old else r for r in other.get("member_of") or []],
                                 admin_of=[new if r == old else r for r in other.get("admin_of") or []]))
    object_privileges.rename_role_everywhere(session, old, new)
    foreign_data.rename_role(session.tx.current(), old, new)
    return Result(command_tag="ALTER ROLE", notices=["MD5 password cleared because of role rename"]
                  if role.get("password") else [])


def drop_role(session: Any, a: dict) -> Result:
    graph = _graph(session)
    me = session.user
    notices: list[str] = []
    engine = session.engine
    for name in a["names"]:
        role = graph.get(name)
        if role is None:
            if a["if_exists"]:
                notices.append(f'role "{name}" does not exist, skipping')
                continue
            raise UndefinedObject(f'role "{name}" does not exist')
        if name == me:
            raise HeliosError("current user cannot be dropped", sqlstate="55006")
        if name == session.session_user:
            raise HeliosError("session user cannot be dropped", sqlstate="55006")
        if not graph.is_superuser(me):
            if role.get("superuser"):
                raise InsufficientPrivilege("must be superuser to drop superusers")
            if not (graph.get(me) or {}).get("createrole"):
                raise InsufficientPrivilege("permission denied to drop role")
        if name == BOOTSTRAP_ROLE or name in roles.PREDEFINED_ROLES:
            raise HeliosError(f"cannot drop role {name} because it is required by the database system",
                              sqlstate="2BP01")
        owned = object_privileges.objects_owned_by(session, name) + foreign_data.role_dependents(
            session.tx.current(), name)
        if owned:
            raise HeliosError(f'role "{name}" cannot be dropped because some objects depend on it',
                              sqlstate="2BP01", detail="\n".join(owned[:20]))
        object_privileges.forget_role_grants(session, name)
        engine.delete_role(name)
        for other in roles.role_graph(engine).roles.values():
            if name in (other.get("member_of") or []):
                engine.put_role(dict(other, member_of=[r for r in other["member_of"] if r != name],
                                     admin_of=[r for r in other.get("admin_of") or [] if r != name]))
    return Result(command_tag="DROP ROLE", notices=notices)


def _add_membership(engine: Any, member: str, role: str, *, admin: bool) -> None:
    rec = dict(engine.get_role(member))
    rec["member_of"] = list(dict.fromkeys([*(rec.get("member_of") or []), role]))
    if admin:
        rec["admin_of"] = list(dict.fromkeys([*(rec.get("admin_of") or []), role]))
    engine.put_role(rec)


def grant_membership(session: Any, spec: Any) -> Result:
    """GRANT role [, ...] TO member [, ...] [WITH ADMIN OPTION] / REVOKE [ADMIN OPTION FOR] ..."""
    graph = _graph(session)
    me = session.user
    engine = session.engine
    notices: list[str] = []
    members = [resolve_role_name(session, m) for m in spec.grantees]
    for role in spec.granted_roles:
        role = resolve_role_name(session, role)
        rec = graph.get(role)
        if rec is None:
            raise UndefinedObject(f'role "{role}" does not exist')
        if not graph.is_superuser(me):
            if rec.get("superuser"):
                raise InsufficientPrivilege("must be superuser to alter superusers")
            if not (graph.get(me) or {}).get("createrole") and not graph.has_admin_of(me, role):
                raise InsufficientPrivilege(f'must have admin option on role "{role}"')
        for member in members:
            if member == "public":
                raise HeliosError('role "public" does not exist', sqlstate="42704")
            mrec = graph.get(member)
            if mrec is None:
                raise UndefinedObject(f'role "{member}" does not exist')
            if spec.is_grant:
                # pg_database_owner's one member is the current database's owner, implicitly
                if role == "pg_database_owner":
                    raise HeliosError('role "pg_database_owner" cannot have explicit members', sqlstate="0LP01")
                if member == "pg_database_owner":
                    raise HeliosError('role "pg_database_owner" cannot be a member of any role', sqlstate="0LP01")
                if member == role or member in graph.memberships(role, inheriting=False):
                    raise HeliosError(f'role "{member}" is a member of role "{role}"', sqlstate="0LP01")
                if role in (mrec.get("member_of") or []) and (not spec.option or role in (mrec.get("admin_of")
                                                                                          or [])):
                    notices.append(f'role "{member}" is already a member of role "{role}"')
                    continue
                _add_membership(engine, member, role, admin=spec.option)
            else:
                if role not in (mrec.get("member_of") or []):
                    notices.append(f'role "{member}" has not been granted membership in role "{role}" by '
                                   f'role "{me}"')
                    continue
                new = dict(mrec)
                new["admin_of"] = [r for r in mrec.get("admin_of") or [] if r != role]
                if not spec.option:
                    new["member_of"] = [r for r in mrec["member_of"] if r != role]
                engine.put_role(new)
            graph = _graph(session)
    return Result(command_tag="GRANT ROLE" if spec.is_grant else "REVOKE ROLE", notices=notices)


def role_statement(session: Any, u: Any) -> Result:
    """Dispatch of every role statement (helios_core.sql.ddl.role_statement calls this)."""
    if u.kind == "create_role":
        return create_role(session, u.args)
    if u.kind == "alter_role":
        return alter_role(session, u.args)
    if u.kind == "rename_role":
        return rename_role(session, u.args)
    if u.kind == "drop_role":
        return drop_role(session, u.args)
    raise FeatureNotSupported(f"{u.kind} is not supported")
