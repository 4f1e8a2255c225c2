"""SQL/MED's catalog objects as PostgreSQL 15 keeps them: foreign-data wrappers, foreign servers
and user mappings (CREATE/ALTER/DROP, COMMENT ON, OWNER TO, RENAME, generic OPTIONS).

They are kept in the branch's catalog so that pg_dump output restores, psql's \\dew \\des \\deu
answer and privileges (USAGE on a wrapper or a server) are checked as PostgreSQL checks them.
Nothing reaches a remote source: no wrapper has a handler (C functions cannot be loaded), so
scanning a foreign table or IMPORT FOREIGN SCHEMA fails as PostgreSQL does without one (55000).
The one validator built in is PostgreSQL's ``postgresql_fdw_validator`` (libpq's option names).

Records: ``foreign_data_wrapper`` {name, oid, owner, handler, validator, options, acl},
``foreign_server`` {name, oid, owner, fdw, type, version, options, acl} and ``user_mapping``
keyed ``server\\0user`` {server, user ("public" for PUBLIC), oid, options}. Options are
[[name, value], ...] in their order; an ACL of None is the default (the owner holds USAGE).
"""

from __future__ import annotations

from typing import Any

from helios_core import roles
from helios_core.errors import (
    DuplicateObject,
    FeatureNotSupported,
    HeliosError,
    InsufficientPrivilege,
    UndefinedObject,
)
from helios_core.frontends.postgres import dialect
from helios_core.session import Result
from helios_core.sql import acl as A
from helios_core.sql import object_privileges as P
from helios_core.sql import transactions
from helios_core.sql.catalog_views.model import _catalog_list, stable_oid
from helios_core.sql.routines import definition as routine_definition
from helios_core.sql.session_identity import resolve_role_name

WRAPPER = "foreign_data_wrapper"
SERVER = "foreign_server"
MAPPING = "user_mapping"
_COUNTER = "foreign_data_counter"
WRAPPER_CLASS, SERVER_CLASS, MAPPING_CLASS = 2328, 1417, 1418  # pg_class oids of their catalogs
PG_VALIDATOR = "postgresql_fdw_validator"
PG_VALIDATOR_OID = 2316
# libpq's connection options and where postgresql_fdw_validator accepts them (PostgreSQL's list)
_LIBPQ_OPTIONS = (("authtype", SERVER), ("service", SERVER), ("user", MAPPING), ("password", MAPPING),
                  ("connect_timeout", SERVER), ("dbname", SERVER), ("host", SERVER), ("hostaddr", SERVER),
                  ("port", SERVER), ("tty", SERVER), ("options", SERVER), ("requiressl", SERVER),
                  ("sslmode", SERVER), ("gsslib", SERVER))
_LABEL = {WRAPPER: "foreign-data wrapper", SERVER: "server"}


# ------------------------------------------------------------------------------------------ records
def wrappers(txn: Any) -> list[dict]:
    return sorted(_catalog_list(txn, WRAPPER).values(), key=lambda r: r.get("seq", 0)) if txn is not None else []


def servers(txn: Any) -> list[dict]:
    return sorted(_catalog_list(txn, SERVER).values(), key=lambda r: r.get("seq", 0)) if txn is not None else []


def mappings(txn: Any) -> list[dict]:
    return sorted(_catalog_list(txn, MAPPING).values(), key=lambda r: r.get("seq", 0)) if txn is not None else []


def _get(txn: Any, kind: str, name: str) -> dict | None:
    try:
        return txn.catalog_get(kind, name)
    except Exception:  # noqa: BLE001 - a catalog without the kind yet
        return None


def wrapper(txn: Any, name: str) -> dict:
    rec = _get(txn, WRAPPER, name)
    if rec is None:
        raise UndefinedObject(f'foreign-data wrapper "{name}" does not exist')
    return rec


def server(txn: Any, name: str) -> dict:
    rec = _get(txn, SERVER, name)
    if rec is None:
        raise UndefinedObject(f'server "{name}" does not exist')
    return rec


def _mapping_key(server_name: str, user: str) -> str:
    return f"{server_name}\0{user}"


def _new_identity(txn: Any, kind: str, name: str) -> dict:
    """An OID and a creation order (dependents are listed in it, as PostgreSQL lists them by OID)."""
    counter = (_get(txn, _COUNTER, "next") or {}).get("value", 1)
    txn.catalog_put(_COUNTER, "next", {"value": counter + 1})
    return {"oid": stable_oid(kind, f"{name}:{counter}"), "seq": counter}


def options_text(options: list | None) -> list[str] | None:
    """Generic options as PostgreSQL's text[] keeps them ({name=value, ...}); none is NULL."""
    return [f"{k}={v}" for k, v in options] if options else None


def ref(kind: str, name: str) -> P.ObjectRef:
    return P.ObjectRef("fdw" if kind == WRAPPER else "server", name)


# ------------------------------------------------------------------------------------------ options
def apply_options(current: list | None, changes: list | None) -> list:
    """PostgreSQL's transformGenericOptions: plain and ADD add (42710 if present), SET and DROP
    need the option (42704); applied in order."""
    out = [list(o) for o in current or []]
    for action, name, value in changes or []:
        at = next((i for i, (k, _v) in enumerate(out) if k == name), None)
        if action in (None, "add"):
            if at is not None:
                raise DuplicateObject(f'option "{name}" provided more than once')
            out.append([name, value])
        elif at is None:
            raise UndefinedObject(f'option "{name}" not found')
        elif action == "set":
            out[at][1] = value
        else:
            del out[at]
    return out


def validate(validator: str | None, context: str, options: list) -> None:
    """The wrapper's validator on the options of one object (``context``: the record kind, or
    "table"/"column" for foreign tables and their columns)."""
    if validator != PG_VALIDATOR:
        return
    valid = [name for name, where in _LIBPQ_OPTIONS if where == context]
    for name, _value in options:
        if name not in valid:
            hint = ("Valid options in this context are: " + ", ".join(valid) if valid
                    else "There are no valid options in this context.")
            raise HeliosError(f'invalid option "{name}"', sqlstate="42601", hint=hint)  # PostgreSQL's code here


def _validator_of(session: Any, txn: Any, name: str | None) -> str | None:
    """VALIDATOR name: a function (text[], oid); only PostgreSQL's built-in one can be run here."""
    if name is None:
        return None
    if name.split(".")[-1] == PG_VALIDATOR and name in (PG_VALIDATOR, f"pg_catalog.{PG_VALIDATOR}"):
        return PG_VALIDATOR
    if routine_definition.find(session, txn, name, 2):
        raise FeatureNotSupported(f"foreign-data wrapper validator {name}: only {PG_VALIDATOR} is supported")
    raise HeliosError(f"function {name}(text[], oid) does not exist", sqlstate="42883")


def _handler_of(session: Any, txn: Any, name: str | None) -> str | None:
    """HANDLER name: a function () returning fdw_handler (only C functions do, and none can be loaded)."""
    if name is None:
        return None
    found = routine_definition.find(session, txn, name, 0)
    if not found:
        raise HeliosError(f"function {name}() does not exist", sqlstate="42883")
    raise HeliosError(f"function {name} must return type fdw_handler", sqlstate="42809")


# ------------------------------------------------------------------------------------------ checks
def _user(session: Any) -> str:
    return P.checking_user(session)


def _is_superuser(session: Any, user: str | None = None) -> bool:
    return roles.role_graph(session.engine).is_superuser(user or _user(session))


def _owns(session: Any, rec: dict, user: str | None = None) -> bool:
    return roles.role_graph(session.engine).has_privs_of(user or _user(session), rec["owner"])


def _check_owner(session: Any, kind: str, rec: dict) -> None:
    if not _owns(session, rec):
        what = "foreign-data wrapper" if kind == WRAPPER else "foreign server"
        raise InsufficientPrivilege(f"must be owner of {what} {rec['name']}")


def has_usage(session: Any, kind: str, rec: dict, user: str | None = None) -> bool:
    user = user or _user(session)
    graph = roles.role_graph(session.engine)
    if graph.is_superuser(user) or graph.has_privs_of(user, rec["owner"]):
        return True
    return A.holds(A.effective(rec.get("acl"), ref(kind, rec["name"]).acl_kind, rec["owner"]),
                   graph.privilege_holders(user), "U")


def _check_usage(session: Any, kind: str, rec: dict, user: str | None = None) -> None:
    if not has_usage(session, kind, rec, user):
        raise P.denied(ref(kind, rec["name"]))


def _role(session: Any, name: str, *, public_ok: bool = False) -> str:
    """A role of a statement (CURRENT_USER and friends resolved); 42704 when it does not exist."""
    if name == "public" and public_ok:
        return "public"
    name = resolve_role_name(session, name)
    if roles.role_graph(session.engine).get(name) is None:
        raise UndefinedObject(f'role "{name}" does not exist')
    return name


# ------------------------------------------------------------------------------------------ statements
def execute(session: Any, a: dict) -> Result:
    txn = session.tx.current()
    obj, verb = a["object"], a["verb"]
    if verb == "comment":
        return _comment(session, txn, WRAPPER if obj == "fdw" else SERVER, a["name"], a["text"])
    if obj == "schema":
        return _import_schema(session, txn, a)
    handler = {"fdw": _WRAPPER_VERBS, "server": _SERVER_VERBS, "mapping": _MAPPING_VERBS}[obj][verb]
    return handler(session, txn, a)


def _create_wrapper(session: Any, txn: Any, a: dict) -> Result:
    name = a["name"]
    if not _is_superuser(session):
        raise InsufficientPrivilege(f'permission denied to create foreign-data wrapper "{name}"',
                                    hint="Must be superuser to create a foreign-data wrapper.")
    if _get(txn, WRAPPER, name) is not None:
        raise DuplicateObject(f'foreign-data wrapper "{name}" already exists')
    handler = _handler_of(session, txn, a.get("handler"))
    validator = _validator_of(session, txn, a.get("validator"))
    options = apply_options([], a["options"])
    validate(validator, WRAPPER, options)
    rec = {"name": name, "owner": _user(session), "handler": handler, "validator": validator,
           "options": options, "acl": None, **_new_identity(txn, WRAPPER, name)}
    txn.catalog_put(WRAPPER, name, rec)
    return Result(command_tag="CREATE FOREIGN DATA WRAPPER")


def _alter_wrapper(session: Any, txn: Any, a: dict) -> Result:
    rec = wrapper(txn, a["name"])
    if not _is_superuser(session):
        raise InsufficientPrivilege(f'permission denied to alter foreign-data wrapper "{rec["name"]}"',
                                    hint="Must be superuser to alter a foreign-data wrapper.")
    notices = []
    if "handler" in a:
        rec["handler"] = _handler_of(session, txn, a["handler"])
        notices.append(transactions.warning(
            "changing the foreign-data wrapper handler can change behavior of existing foreign tables", "01000"))
    if "validator" in a:
        rec["validator"] = _validator_of(session, txn, a["validator"])
        if a["validator"] is not None:
            notices.append(transactions.warning("changing the foreign-data wrapper validator can cause the options "
                                                "for dependent objects to become invalid", "01000"))
    if a["options"] is not None:  # a new validator is not run on the options already there (PostgreSQL's way)
        rec["options"] = apply_options(rec.get("options"), a["options"])
        validate(rec.get("validator"), WRAPPER, rec["options"])
    txn.catalog_put(WRAPPER, rec["name"], rec)
    return Result(command_tag="ALTER FOREIGN DATA WRAPPER", notices=notices)


def _rename(session: Any, txn: Any, kind: str, a: dict) -> Result:
    rec = wrapper(txn, a["name"]) if kind == WRAPPER else server(txn, a["name"])
    _check_owner(session, kind, rec)
    new = a["new"]
    if _get(txn, kind, new) is not None:
        raise DuplicateObject(f'{_LABEL[kind]} "{new}" already exists')
    old = rec["name"]
    txn.catalog_delete(kind, old)
    rec["name"] = new
    txn.catalog_put(kind, new, rec)
    if kind == WRAPPER:
        for srv in servers(txn):
            if srv["fdw"] == old:
                txn.catalog_put(SERVER, srv["name"], {**srv, "fdw": new})
    else:
        for um in mappings(txn):
            if um["server"] == old:
                txn.catalog_delete(MAPPING, _mapping_key(old, um["user"]))
                txn.catalog_put(MAPPING, _mapping_key(new, um["user"]), {**um, "server": new})
        _rename_in_tables(txn, old, new)
    _move_comment(txn, kind, old, new)
    tag = "ALTER FOREIGN DATA WRAPPER" if kind == WRAPPER else "ALTER SERVER"
    return Result(command_tag=tag)


def _owner_wrapper(session: Any, txn: Any, a: dict) -> Result:
    rec = wrapper(txn, a["name"])
    new_owner = _role(session, a["owner"])
    label = f'permission denied to change owner of foreign-data wrapper "{rec["name"]}"'
    if not _is_superuser(session):
        raise InsufficientPrivilege(label, hint="Must be superuser to change owner of a foreign-data wrapper.")
    if not _is_superuser(session, new_owner):
        raise InsufficientPrivilege(label, hint="The owner of a foreign-data wrapper must be a superuser.")
    _set_owner(txn, WRAPPER, rec, new_owner)
    return Result(command_tag="ALTER FOREIGN DATA WRAPPER")


def _set_owner(txn: Any, kind: str, rec: dict, new_owner: str) -> None:
    if rec.get("acl") is not None:  # PostgreSQL's aclnewowner: the old owner's items become the new one's, merged
        merged: list[dict] = []
        for item in A.rename_role(rec["acl"], rec["owner"], new_owner):
            merged = A.add(merged, item["grantee"], item["grantor"], item["privs"], with_option=False)
            merged = A.add(merged, item["grantee"], item["grantor"], item["options"], with_option=True) \
                if item["options"] else merged
        rec["acl"] = merged
    rec["owner"] = new_owner
    txn.catalog_put(kind, rec["name"], rec)


def _drop(session: Any, txn: Any, kind: str, a: dict) -> Result:
    notices: list[Any] = []
    tag = "DROP FOREIGN DATA WRAPPER" if kind == WRAPPER else "DROP SERVER"
    for name in a["names"]:
        rec = _get(txn, kind, name)
        if rec is None:
            if a["if_exists"]:
                notices.append(f'{_LABEL[kind]} "{name}" does not exist, skipping')
                continue
            raise UndefinedObject(f'{_LABEL[kind]} "{name}" does not exist')
        _check_owner(session, kind, rec)
        what = f"{'foreign-data wrapper' if kind == WRAPPER else 'server'} {name}"
        deps = _dependents(session, txn, kind, name)
        if deps and not a["cascade"]:
            raise HeliosError(f"cannot drop {what} because other objects depend on it", sqlstate="2BP01",
                              detail="\n".join(f"{d[0]} depends on {d[1]}" for d in deps),
                              hint="Use DROP ... CASCADE to drop the dependent objects too.")
        if deps:
            notices.append(cascade_notice([d[0] for d in deps]))
        for dep in deps:
            dep[2]()
        txn.catalog_delete(kind, name)
        _move_comment(txn, kind, name, None)
    return Result(command_tag=tag, notices=notices)


def cascade_notice(labels: list[str]) -> Any:
    """PostgreSQL's NOTICE for what DROP ... CASCADE took along: one line, or a count and the list."""
    if len(labels) == 1:
        return f"drop cascades to {labels[0]}"
    notice = HeliosError(f"drop cascades to {len(labels)} other objects", sqlstate="00000",
                         detail="\n".join(f"drop cascades to {x}" for x in labels))
    notice.severity = "NOTICE"
    return notice


def _dependents(session: Any, txn: Any, kind: str, name: str) -> list[tuple[str, str, Any]]:
    """(what, what it depends on, how to drop it) of the objects a DROP would take along, in
    PostgreSQL's order: a wrapper's servers, each followed by what depends on it."""
    out: list[tuple[str, str, Any]] = []
    if kind == WRAPPER:
        for srv in servers(txn):
            if srv["fdw"] == name:
                out.append((f"server {srv['name']}", f"foreign-data wrapper {name}",
                            lambda s=srv["name"]: _forget_server(session, txn, s)))
                out += [(d[0], d[1], lambda: None) for d in _dependents(session, txn, SERVER, srv["name"])]
        return out
    for um in mappings(txn):
        if um["server"] == name:
            out.append((f"user mapping for {um['user']} on server {name}", f"server {name}",
                        lambda u=um["user"]: txn.catalog_delete(MAPPING, _mapping_key(name, u))))
    for label, drop in _server_tables(session, txn, name):
        out.append((label, f"server {name}", drop))
    return out


def _forget_server(session: Any, txn: Any, name: str) -> None:
    for um in mappings(txn):
        if um["server"] == name:
            txn.catalog_delete(MAPPING, _mapping_key(name, um["user"]))
    for _label, drop in _server_tables(session, txn, name):
        drop()
    txn.catalog_delete(SERVER, name)
    _move_comment(txn, SERVER, name, None)


TABLE_OPTION = "foreign"  # TableDef.options key of a foreign table (helios_core.sql.foreign_tables)


def _tables_of(txn: Any, server_name: str) -> list[Any]:
    return [t for t in txn.list_tables() if isinstance((t.options or {}).get(TABLE_OPTION), dict)
            and t.options[TABLE_OPTION].get("server") == server_name]


def _server_tables(session: Any, txn: Any, name: str) -> list[tuple[str, Any]]:
    """(label, how to drop it) of the foreign tables of a server: each by DROP FOREIGN TABLE ...
    CASCADE within the running statement, so what hangs on a table goes with it as usual."""
    def drop(t: Any) -> None:
        if txn.get_table(t.schema, t.name) is not None:
            quoted = ".".join('"' + part.replace('"', '""') + '"' for part in (t.schema, t.name))
            session.dispatch_nested(dialect.parse(f"DROP FOREIGN TABLE {quoted} CASCADE")[0])

    return [(f"foreign table {t.name}", lambda t=t: drop(t)) for t in _tables_of(txn, name)]


def _rename_in_tables(txn: Any, old: str, new: str) -> None:
    """A renamed server: its foreign tables follow it."""
    for t in _tables_of(txn, old):
        txn.alter_table(t.schema, t.name, options={TABLE_OPTION: {**t.options[TABLE_OPTION], "server": new}})


def _create_server(session: Any, txn: Any, a: dict) -> Result:
    name = a["name"]
    fdw = wrapper(txn, a["fdw"])
    _check_usage(session, WRAPPER, fdw)
    if _get(txn, SERVER, name) is not None:
        if a["if_not_exists"]:
            return Result(command_tag="CREATE SERVER", notices=[f'server "{name}" already exists, skipping'])
        raise DuplicateObject(f'server "{name}" already exists')
    options = apply_options([], a["options"])
    validate(fdw.get("validator"), SERVER, options)
    rec = {"name": name, "owner": _user(session), "fdw": fdw["name"], "type": a["type"], "version": a["version"],
           "options": options, "acl": None, **_new_identity(txn, SERVER, name)}
    txn.catalog_put(SERVER, name, rec)
    return Result(command_tag="CREATE SERVER")


def _alter_server(session: Any, txn: Any, a: dict) -> Result:
    rec = server(txn, a["name"])
    _check_owner(session, SERVER, rec)
    if "version" in a:
        rec["version"] = a["version"]
    if a["options"] is not None:
        rec["options"] = apply_options(rec.get("options"), a["options"])
        validate(wrapper(txn, rec["fdw"]).get("validator"), SERVER, rec["options"])
    txn.catalog_put(SERVER, rec["name"], rec)
    return Result(command_tag="ALTER SERVER")


def _owner_server(session: Any, txn: Any, a: dict) -> Result:
    rec = server(txn, a["name"])
    new_owner = _role(session, a["owner"])
    if not _is_superuser(session):
        _check_owner(session, SERVER, rec)
        if not roles.role_graph(session.engine).is_member_of(_user(session), new_owner):
            raise InsufficientPrivilege(f'must be member of role "{new_owner}"')
        _check_usage(session, WRAPPER, wrapper(txn, rec["fdw"]), new_owner)
    _set_owner(txn, SERVER, rec, new_owner)
    return Result(command_tag="ALTER SERVER")


def _mapping_acl(session: Any, srv: dict, user: str) -> None:
    """PostgreSQL's user_mapping_ddl_aclcheck: the server's owner may map anyone; others only
    themselves, with USAGE on the server."""
    if _owns(session, srv):
        return
    if user == _user(session):
        _check_usage(session, SERVER, srv)
        return
    raise InsufficientPrivilege(f"must be owner of foreign server {srv['name']}")


def _create_mapping(session: Any, txn: Any, a: dict) -> Result:
    user = _role(session, a["user"], public_ok=True)
    srv = server(txn, a["server"])
    _mapping_acl(session, srv, user)
    key = _mapping_key(srv["name"], user)
    if _get(txn, MAPPING, key) is not None:
        message = f'user mapping for "{user}" already exists for server "{srv["name"]}"'
        if a["if_not_exists"]:
            return Result(command_tag="CREATE USER MAPPING", notices=[message + ", skipping"])
        raise DuplicateObject(message)
    options = apply_options([], a["options"])
    validate(wrapper(txn, srv["fdw"]).get("validator"), MAPPING, options)
    txn.catalog_put(MAPPING, key, {"server": srv["name"], "user": user, "options": options,
                                   **_new_identity(txn, MAPPING, key)})
    return Result(command_tag="CREATE USER MAPPING")


def _alter_mapping(session: Any, txn: Any, a: dict) -> Result:
    user = _role(session, a["user"], public_ok=True)
    srv = server(txn, a["server"])
    key = _mapping_key(srv["name"], user)
    rec = _get(txn, MAPPING, key)
    if rec is None:
        raise UndefinedObject(f'user mapping for "{user}" does not exist for server "{srv["name"]}"')
    _mapping_acl(session, srv, user)
    rec["options"] = apply_options(rec.get("options"), a["options"])
    validate(wrapper(txn, srv["fdw"]).get("validator"), MAPPING, rec["options"])
    txn.catalog_put(MAPPING, key, rec)
    return Result(command_tag="ALTER USER MAPPING")


def _drop_mapping(session: Any, txn: Any, a: dict) -> Result:
    tag = "DROP USER MAPPING"
    try:
        user = _role(session, a["user"], public_ok=True)
        srv = server(txn, a["server"])
    except UndefinedObject as e:
        if a["if_exists"]:
            return Result(command_tag=tag, notices=[f"{e}, skipping"])
        raise
    key = _mapping_key(srv["name"], user)
    if _get(txn, MAPPING, key) is None:
        message = f'user mapping for "{user}" does not exist for server "{srv["name"]}"'
        if a["if_exists"]:
            return Result(command_tag=tag, notices=[message + ", skipping"])
        raise UndefinedObject(message)
    _mapping_acl(session, srv, user)
    txn.catalog_delete(MAPPING, key)
    return Result(command_tag=tag)


def _import_schema(session: Any, txn: Any, a: dict) -> Result:
    """IMPORT FOREIGN SCHEMA asks the wrapper's handler for the remote tables: none has one here."""
    srv = server(txn, a["server"])
    _check_usage(session, SERVER, srv)
    local = a["into"]
    if local != "public" and _get(txn, "schema", local) is None:
        raise HeliosError(f'schema "{local}" does not exist', sqlstate="3F000")
    P.check_create_in_schema(session, local, txn)
    fdw = wrapper(txn, srv["fdw"])
    raise no_handler(fdw["name"])


def no_handler(fdw_name: str) -> HeliosError:
    return HeliosError(f'foreign-data wrapper "{fdw_name}" has no handler', sqlstate="55000")


_WRAPPER_VERBS = {"create": _create_wrapper, "alter": _alter_wrapper,
                  "rename": lambda s, t, a: _rename(s, t, WRAPPER, a), "owner": _owner_wrapper,
                  "drop": lambda s, t, a: _drop(s, t, WRAPPER, a)}
_SERVER_VERBS = {"create": _create_server, "alter": _alter_server,
                 "rename": lambda s, t, a: _rename(s, t, SERVER, a), "owner": _owner_server,
                 "drop": lambda s, t, a: _drop(s, t, SERVER, a)}
_MAPPING_VERBS = {"create": _create_mapping, "alter": _alter_mapping, "drop": _drop_mapping}


# ------------------------------------------------------------------------------------------ comments
def _comment_key(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def _comment(session: Any, txn: Any, kind: str, name: str, text: str | None) -> Result:
    rec = wrapper(txn, name) if kind == WRAPPER else server(txn, name)
    _check_owner(session, kind, rec)
    key = _comment_key(kind, name)
    txn.catalog_comment(key, text)
    return Result(command_tag="COMMENT")


def _move_comment(txn: Any, kind: str, old: str, new: str | None) -> None:
    text = txn.catalog_get("comment", _comment_key(kind, old))
    if text is None:
        return
    txn.catalog_delete("comment", _comment_key(kind, old))
    if new is not None:
        txn.catalog_put("comment", _comment_key(kind, new), text)


def description_rows(txn: Any) -> list[tuple]:
    """pg_description rows of COMMENT ON FOREIGN DATA WRAPPER / SERVER."""
    if txn is None:
        return []
    rows = []
    for kind, klass, recs in ((WRAPPER, WRAPPER_CLASS, wrappers(txn)), (SERVER, SERVER_CLASS, servers(txn))):
        for rec in recs:
            c = txn.catalog_get("comment", _comment_key(kind, rec["name"]))
            if c is not None:
                rows.append((rec["oid"], klass, 0, c["text"]))
    return rows


# ------------------------------------------------------------------------------------------ roles
def rename_role(txn: Any, old: str, new: str) -> None:
    """ALTER ROLE ... RENAME TO: owners, ACL entries and user mappings of the branch follow the name."""
    for kind, recs in ((WRAPPER, wrappers(txn)), (SERVER, servers(txn))):
        for rec in recs:
            acl = A.rename_role(rec.get("acl"), old, new)
            if rec["owner"] == old or acl != rec.get("acl"):
                txn.catalog_put(kind, rec["name"], {**rec, "owner": new if rec["owner"] == old else rec["owner"],
                                                    "acl": acl})
    for um in mappings(txn):
        if um["user"] == old:
            txn.catalog_delete(MAPPING, _mapping_key(um["server"], old))
            txn.catalog_put(MAPPING, _mapping_key(um["server"], new), {**um, "user": new})


def role_dependents(txn: Any, role: str) -> list[str]:
    """What keeps DROP ROLE from going ahead, as PostgreSQL words it."""
    out = []
    for kind, recs in ((WRAPPER, wrappers(txn)), (SERVER, servers(txn))):
        for rec in recs:
            if rec["owner"] == role:
                out.append(f"owner of {_LABEL[kind]} {rec['name']}")
            elif any(role in (i["grantee"], i["grantor"]) for i in rec.get("acl") or []):
                out.append(f"privileges for {_LABEL[kind]} {rec['name']}")
    out += [f"owner of user mapping for {um['user']} on server {um['server']}" for um in mappings(txn)
            if um["user"] == role]
    return out
