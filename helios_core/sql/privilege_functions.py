"""has_table_privilege and its siblings, pg_has_role, and who may signal whose backend.

The has_*_privilege functions take PostgreSQL's argument forms: ``(object, privilege)``
for the current user or ``(role, object, privilege)`` with the role by name or OID;
objects by name or OID; privilege a comma-separated list of words, each maybe followed by
``WITH GRANT OPTION`` (true when any one is held). Their answers come from the same
checks the statements use (helios_core.sql.object_privileges).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from helios_core import roles
from helios_core.engine import TEMPLATE_DATABASES
from helios_core.errors import HeliosError, InsufficientPrivilege, UndefinedFunction, UndefinedObject
from helios_core.session import Result
from helios_core.sql import acl as A
from helios_core.sql import foreign_data, type_privileges
from helios_core.sql import object_privileges as P
from helios_core.sql.virtual_tables import lookup_virtual_table


def _session() -> Any:
    from helios_core.sql.catalog_views.functions import ACTIVE_SESSION

    return ACTIVE_SESSION.get()


# a role OID that names no role: it holds no privilege (PostgreSQL answers false, not an error)
NO_ROLE = "\x00no role"


def _role_name(session: Any, value: Any, *, missing_oid_ok: bool = False) -> str:
    from helios_core.sql.catalog_views.model import role_oid  # the package imports this module

    graph = roles.role_graph(session.engine)
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        for name in graph.roles:
            if role_oid(name) == int(value):
                return name
        if missing_oid_ok:
            return NO_ROLE
        raise UndefinedObject(f"role with OID {value} does not exist")
    name = str(value)
    if name.lower() == "public":
        return "public"
    if graph.get(name) is None:
        raise UndefinedObject(f'role "{name}" does not exist')
    return name


def _privileges(text: str, kind: str) -> list[tuple[str, bool]]:
    out = []
    for part in str(text).split(","):
        words = part.strip().upper().split()
        option = words[-3:] == ["WITH", "GRANT", "OPTION"]
        if option:
            words = words[:-3]
        word = " ".join(words)
        letter = A.WORD_TO_LETTER.get(word)
        allowed = A.KIND_PRIVILEGES["sequence" if kind == "sequence" else kind]
        if kind == "table" and word in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"):
            allowed = A.KIND_PRIVILEGES["table"]
        if letter is None or letter not in allowed:
            raise HeliosError(f'unrecognized privilege type: "{part.strip()}"', sqlstate="22023")
        out.append((letter, option))
    return out


class _NoObject(Exception):
    """An object given by OID that does not exist: the has_*_privilege answer is NULL."""


def _table_ref(session: Any, value: Any) -> P.ObjectRef:
    if isinstance(value, int):
        from helios_core.sql.catalog_views.model import CatalogModel

        rel = CatalogModel(session).relation_by_oid(int(value))
        if rel is None:
            raise _NoObject
        return P.ObjectRef({"r": "table", "v": "view", "S": "sequence", "m": "view"}.get(rel.kind, "table"),
                           rel.name, rel.schema)
    return P.find_relation(session, str(value))


def _column_name(session: Any, ref: P.ObjectRef, value: Any) -> str:
    """A column by name (42703 when the table has none such) or by number (NULL answer when none)."""
    t = session.tx.current().get_table(ref.schema, ref.name) if ref.kind == "table" else None
    if t is None:
        return str(value)
    names = [c.name for c in t.columns]
    if isinstance(value, int):
        if not 1 <= value <= len(names):
            raise _NoObject
        return names[value - 1]
    if str(value) not in names:
        raise HeliosError(f'column "{value}" of relation "{ref.name}" does not exist', sqlstate="42703")
    return str(value)


def _system_relation(value: Any) -> bool:
    name = str(value).split(".")[-1].strip('"')
    from helios_core.sql.catalog_views.functions import SYSTEM_RELATION_OIDS

    return name in SYSTEM_RELATION_OIDS or lookup_virtual_table("pg_catalog", name) is not None or \
        lookup_virtual_table("information_schema", name) is not None


def _answer(session: Any, user: str, ref: P.ObjectRef, privs: list[tuple[str, bool]], column: str | None = None,
            ) -> bool:
    return any(P.has_privilege(session, ref, letter, user=user, column=column, grant_option=option)
               for letter, option in privs)


def _arity(name: str, args: list[pa.Array], counts: tuple[int, ...]) -> Any:
    """The calling session, after checking the argument count (42883 as PostgreSQL's overloads)."""
    if len(args) not in counts:
        raise UndefinedFunction(f"function {name}({', '.join(['unknown'] * len(args))}) does not exist")
    session = _session()
    if session is None or not hasattr(session, "engine"):
        raise HeliosError(f"{name}() needs a session", sqlstate="0A000")
    return session


def _make(kind: str) -> Callable[[list[pa.Array]], pa.Array]:
    name = "has_any_column_privilege" if kind == "any_column" else f"has_{kind}_privilege"
    counts = (3, 4) if kind == "column" else (2, 3)

    def impl(args: list[pa.Array]) -> pa.Array:
        session = _arity(name, args, counts)
        cols = [a.to_pylist() for a in args]
        n = len(cols[0]) if cols else 1
        out: list[bool | None] = []
        with_role = len(cols) == (4 if kind == "column" else 3)
        for i in range(n):
            row = [c[i] for c in cols]
            if any(v is None for v in row):
                out.append(None)
                continue
            user = _role_name(session, row[0], missing_oid_ok=True) if with_role else session.user
            rest = row[1:] if with_role else row
            try:
                answer = _one(session, kind, user, rest)
            except _NoObject:
                out.append(None)
                continue
            out.append(answer and user != NO_ROLE)
        return pa.array(out, pa.bool_())

    return impl


def _one(session: Any, kind: str, user: str, rest: list[Any]) -> bool:
    graph = roles.role_graph(session.engine)
    if kind in ("table", "column", "any_column"):
        obj = rest[0]
        if _system_relation(obj) and not isinstance(obj, int):
            name = str(obj).split(".")[-1].strip('"')
            letters = _privileges(rest[-1], "table")
            if name in ("pg_authid", "pg_shadow"):
                return graph.is_superuser(user)
            return all(letter == "r" for letter, _ in letters) or graph.is_superuser(user)
        ref = _table_ref(session, obj)
        privs = _privileges(rest[-1], "sequence" if ref.kind == "sequence" and kind == "table" else "table")
        if kind == "column":
            return _answer(session, user, ref, privs, column=_column_name(session, ref, rest[1]))
        if kind == "any_column":
            return any(P.has_any_column_privilege(session, ref, letter, user=user) for letter, _ in privs)
        return _answer(session, user, ref, privs)
    if kind == "sequence":
        ref = _table_ref(session, rest[0])
        if ref.kind != "sequence":
            raise HeliosError(f'"{rest[0]}" is not a sequence', sqlstate="42809")
        return _answer(session, user, ref, _privileges(rest[1], "sequence"))
    if kind == "schema":
        name = str(rest[0])
        ref = P.ObjectRef("schema", name)
        P.load(session, ref)
        return _answer(session, user, ref, _privileges(rest[1], "schema"))
    if kind == "database":
        name = str(rest[0])

        if name not in session.engine.list_databases() and name not in TEMPLATE_DATABASES:
            raise HeliosError(f'database "{name}" does not exist', sqlstate="3D000")
        return _answer(session, user, P.ObjectRef("database", name), _privileges(rest[1], "database"))
    if kind == "function":
        ref = P.routine_target(session, str(rest[0]), "ROUTINE")
        return _answer(session, user, ref, _privileges(rest[1], "function"))
    if kind == "type":
        privs = _privileges(rest[1], "type")
        ref = type_privileges.privilege_target(session, str(rest[0]))
        return True if ref is None else _answer(session, user, ref, privs)  # PUBLIC uses built-in types
    if kind in ("foreign_data_wrapper", "server"):
        rec = _foreign_object(session, kind, rest[0])
        return _answer(session, user, foreign_data.ref(rec["kind"], rec["name"]), _privileges(rest[1], rec["acl"]))
    raise AssertionError(kind)


def _foreign_object(session: Any, kind: str, value: Any) -> dict:
    """A wrapper or server named or given by OID (42704 when there is none)."""
    txn = session.tx.current()
    record_kind = foreign_data.WRAPPER if kind == "foreign_data_wrapper" else foreign_data.SERVER
    acl_kind = "fdw" if kind == "foreign_data_wrapper" else "server"
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        listed = foreign_data.wrappers(txn) if kind == "foreign_data_wrapper" else foreign_data.servers(txn)
        found = next((r for r in listed if r["oid"] == int(value)), None)
        if found is None:
            what = "foreign-data wrapper" if kind == "foreign_data_wrapper" else "foreign server"
            raise UndefinedObject(f"{what} with OID {value} does not exist")
        return {"kind": record_kind, "name": found["name"], "acl": acl_kind}
    rec = foreign_data.wrapper(txn, str(value)) if kind == "foreign_data_wrapper" else foreign_data.server(
        txn, str(value))
    return {"kind": record_kind, "name": rec["name"], "acl": acl_kind}


def _pg_has_role(args: list[pa.Array]) -> pa.Array:
    """pg_has_role([user,] role, 'MEMBER' | 'USAGE' [WITH ADMIN OPTION])."""
    session = _arity("pg_has_role", args, (2, 3))
    cols = [a.to_pylist() for a in args]
    graph = roles.role_graph(session.engine)
    out: list[bool | None] = []
    for row in zip(*cols, strict=True):
        if any(v is None for v in row):
            out.append(None)
            continue
        user = _role_name(session, row[0]) if len(row) == 3 else session.user
        role = _role_name(session, row[-2])
        mode = str(row[-1]).upper()
        if "ADMIN" in mode:
            out.append(graph.is_superuser(user) or graph.has_admin_of(user, role))
        elif mode.startswith("USAGE"):
            out.append(graph.has_privs_of(user, role))
        elif mode.startswith(("MEMBER", "SET")):
            out.append(graph.is_member_of(user, role))
        else:
            raise HeliosError(f'unrecognized privilege type: "{row[-1]}"', sqlstate="22023")
    return pa.array(out, pa.bool_())


FUNCTIONS: dict[str, Callable[[list[pa.Array]], pa.Array]] = {
    "has_table_privilege": _make("table"),
    "has_column_privilege": _make("column"),
    "has_any_column_privilege": _make("any_column"),
    "has_sequence_privilege": _make("sequence"),
    "has_schema_privilege": _make("schema"),
    "has_database_privilege": _make("database"),
    "has_function_privilege": _make("function"),
    "has_type_privilege": _make("type"),
    "has_foreign_data_wrapper_privilege": _make("foreign_data_wrapper"),
    "has_server_privilege": _make("server"),
    "pg_has_role": _pg_has_role,
}


def check_signal(session: Any, target: Any, terminate: bool) -> None:
    """pg_cancel_backend / pg_terminate_backend: one's own role's sessions, unless superuser or
    pg_signal_backend (and only a superuser signals a superuser's session), as PostgreSQL 15."""
    if session is None or target is None:
        return
    graph = roles.role_graph(session.engine)
    me = session.user
    if graph.is_superuser(me):
        return
    target_user = getattr(target, "authenticated_user", None) or getattr(target, "user", "")
    if graph.is_superuser(target_user):
        raise InsufficientPrivilege("must be a superuser to terminate superuser process" if terminate else
                                    "must be a superuser to cancel superuser query")
    if not graph.has_privs_of(me, target_user) and not graph.has_privs_of(me, "pg_signal_backend"):
        raise InsufficientPrivilege(
            "must be a member of the role whose process is being terminated or member of pg_signal_backend"
            if terminate else
            "must be a member of the role whose query is being canceled or member of pg_signal_backend")


def checkpoint(session: Any) -> Any:
    """CHECKPOINT: committed data flushed to segments and a manifest written now (the WAL up to here
    is no longer needed for recovery); superusers and pg_checkpoint only, as PostgreSQL 15."""
    graph = roles.role_graph(session.engine)
    if not graph.is_superuser(session.user) and not graph.has_privs_of(session.user, "pg_checkpoint"):
        raise InsufficientPrivilege("must be superuser or have privileges of pg_checkpoint to do CHECKPOINT")
    session.engine.store.checkpoint()
    return Result(command_tag="CHECKPOINT")
