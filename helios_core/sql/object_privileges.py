"""Ownership and privileges of tables, views, sequences, schemas, databases and functions.

Where the owner and ACL live (so they travel with the object through renames, branches
and time travel, and vanish with it):

* tables: ``TableDef.options`` ``owner``, ``acl``, ``column_acl`` ({column: acl});
* views, sequences, schemas: fields ``owner`` / ``acl`` of their catalog records;
* databases: catalog kind ``database`` of the hidden ``_system`` database;
* built-in functions: catalog kind ``function_acl`` of the branch, by name (they have no owner
  record: the bootstrap superuser owns them, PUBLIC may EXECUTE them);
* CREATE FUNCTION/PROCEDURE/AGGREGATE's routines: fields ``owner`` / ``acl`` of the overload's
  record (kind "routine", one per signature; PUBLIC may EXECUTE a new one unless default
  privileges say otherwise).

An object without an owner field belongs to the bootstrap superuser; an ACL of None is
PostgreSQL's default (helios_core.sql.acl.default_acl). The public schema is owned by
``pg_database_owner`` and grants USAGE, not CREATE, to PUBLIC (PostgreSQL 15).

``check(session, ref, "r")`` is what every read and write path calls: superusers pass,
the owner (and roles with its privileges) hold everything, then the ACL is consulted for
the current user, the roles it inherits and PUBLIC; pg_read_all_data/pg_write_all_data
add SELECT/USAGE and INSERT/UPDATE/DELETE/USAGE everywhere. Views are read with their
owner's privileges (``acting_as``).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

import attrs

from helios_core import roles
from helios_core.engine import SYSTEM_DB
from helios_core.errors import (
    FeatureNotSupported,
    HeliosError,
    InsufficientPrivilege,
    UndefinedObject,
    UndefinedTable,
)
from helios_core.session import Result
from helios_core.sql import acl as A
from helios_core.sql import type_privileges
from helios_core.sql.routines import definition
from helios_core.sql.session_identity import resolve_role_name

BOOTSTRAP_OWNER = "helios"
DATABASE_OWNER_ROLE = "pg_database_owner"
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "heliosdb")
_LABEL = {"table": "table", "view": "view", "sequence": "sequence", "schema": "schema", "database": "database",
          "function": "function", "matview": "materialized view", "type": "type", "fdw": "foreign-data wrapper",
          "server": "foreign server"}
_FOREIGN_RECORDS = {"fdw": "foreign_data_wrapper", "server": "foreign_server"}  # helios_core.sql.foreign_data

# built-in functions whose EXECUTE PostgreSQL revokes from PUBLIC (superusers, and those granted it)
SUPERUSER_ONLY_FUNCTIONS = frozenset({"pg_log_backend_memory_contexts"})

_ACTING_AS: contextvars.ContextVar[str | None] = contextvars.ContextVar("helios_acting_as", default=None)


@attrs.frozen
class ObjectRef:
    """A privilege-bearing object: kind is table|view|sequence|schema|database|function|routine
    (a routine is named by schema, name and its IN argument types, and says what it is in ``noun``)."""

    kind: str
    name: str
    schema: str | None = None
    signature: tuple[str, ...] = ()
    noun: str = "function"

    @property
    def acl_kind(self) -> str:
        if self.kind == "routine":
            return "function"
        return "table" if self.kind in ("table", "view", "matview") else self.kind

    @property
    def label(self) -> str:
        return f"{self.noun if self.kind == 'routine' else _LABEL[self.kind]} {self.name}"


@contextlib.contextmanager
def acting_as(role: str) -> Iterator[None]:
    """Check privileges as ``role`` (a view's owner while its body is planned)."""
    token = _ACTING_AS.set(role)
    try:
        yield
    finally:
        _ACTING_AS.reset(token)


_NAMES_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("helios_names_only", default=False)


@contextlib.contextmanager
def names_only() -> Iterator[None]:
    """Plan without relation privilege checks, views inside included (CREATE VIEW validates names only:
    PostgreSQL checks privileges when a view is used, as the owner of each view it reads)."""
    token = _NAMES_ONLY.set(True)
    try:
        yield
    finally:
        _NAMES_ONLY.reset(token)


def checking_names_only() -> bool:
    """Inside ``names_only``: neither privileges nor row-level security apply."""
    return _NAMES_ONLY.get()


def checking_user(session: Any) -> str:
    return _ACTING_AS.get() or session.user


# ---------------------------------------------------------------------------------------- storage
def _system_txn(engine: Any) -> Any:
    return engine.store.begin(SYSTEM_DB, "main")


def database_record(engine: Any, db: str) -> dict:
    txn = _system_txn(engine)
    try:
        return txn.catalog_get("database", db) or {}
    finally:
        txn.rollback()


def put_database_record(engine: Any, db: str, rec: dict) -> None:
    txn = _system_txn(engine)
    try:
        txn.catalog_put("database", db, rec)
        txn.commit()
    except BaseException:
        txn.rollback()
        raise


def database_owner(engine: Any, db: str) -> str:
    return database_record(engine, db).get("owner") or BOOTSTRAP_OWNER


def _record(txn: Any, ref: ObjectRef) -> dict | None:
    """The stored fields {owner, acl, column_acl} of an object, or None when it does not exist."""
    if ref.kind == "table":
        t = txn.get_table(ref.schema, ref.name)
        return None if t is None else dict(t.options or {})
    if ref.kind in ("view", "sequence"):
        return txn.catalog_get(ref.kind, f"{ref.schema}.{ref.name}")
    if ref.kind == "schema":
        return _schema_record(ref.name, txn.catalog_get("schema", ref.name) if ref.name not in SYSTEM_SCHEMAS
                              else None)
    if ref.kind == "function":
        rec = txn.catalog_get("function_acl", ref.name)
        if rec is None and ref.name in SUPERUSER_ONLY_FUNCTIONS:  # PUBLIC holds no EXECUTE on these
            return {"acl": [{"grantee": BOOTSTRAP_OWNER, "grantor": BOOTSTRAP_OWNER, "privs": "X", "options": ""}]}
        return rec or {}
    if ref.kind == "routine":
        return _routine_record(txn, ref)
    if ref.kind == "type":
        return txn.catalog_get("type", f"{ref.schema}.{ref.name}")
    if ref.kind in _FOREIGN_RECORDS:
        return txn.catalog_get(_FOREIGN_RECORDS[ref.kind], ref.name)
    raise AssertionError(ref.kind)


def _routine_record(txn: Any, ref: ObjectRef) -> dict | None:
    return next((r for r in definition.overloads(txn, ref.schema, ref.name) if _is_routine(r, ref)), None)


def _is_routine(record: dict, ref: ObjectRef) -> bool:
    return tuple(t.sql_name() for t in definition.Routine(record).in_types) == ref.signature


def _schema_record(name: str, rec: dict | None) -> dict | None:
    """A schema's record with the implicit parts made explicit (system schemas, PostgreSQL 15's public)."""
    public_usage = {"grantee": A.PUBLIC, "grantor": BOOTSTRAP_OWNER, "privs": "U", "options": ""}
    if name in SYSTEM_SCHEMAS:
        return {"owner": BOOTSTRAP_OWNER, "acl": [*A.default_acl("schema", BOOTSTRAP_OWNER), public_usage]}
    if rec is None and name == "public":
        rec = {"name": "public"}
    if rec is not None and name == "public":
        rec = dict(rec)
        if rec.get("owner") in (None, BOOTSTRAP_OWNER):  # PostgreSQL 15: pg_database_owner owns public
            rec["owner"] = DATABASE_OWNER_ROLE
        if rec.get("acl") is None:
            owner = rec["owner"]
            rec["acl"] = [*A.default_acl("schema", owner), dict(public_usage, grantor=owner)]
    return rec


def schema_owner_and_acl(name: str, rec: dict) -> tuple[str, list[dict] | None]:
    """(owner, acl) of a schema record as pg_namespace shows them."""
    full = _schema_record(name, rec or None) or {}
    return full.get("owner") or BOOTSTRAP_OWNER, full.get("acl")


def load(session: Any, ref: ObjectRef, txn: Any = None) -> tuple[str, list[dict] | None, dict]:
    """(owner, acl or None for the default, column_acl) of an existing object; 42P01/42704 when absent."""
    if ref.kind == "database":
        rec = database_record(session.engine, ref.name)
        return rec.get("owner") or BOOTSTRAP_OWNER, rec.get("acl"), {}
    txn = txn or session.tx.current()
    rec = _record(txn, ref)
    if rec is None:
        if ref.kind == "schema":
            raise HeliosError(f'schema "{ref.name}" does not exist', sqlstate="3F000")
        if ref.kind in _FOREIGN_RECORDS:
            what = "foreign-data wrapper" if ref.kind == "fdw" else "server"
            raise UndefinedObject(f'{what} "{ref.name}" does not exist')
        raise UndefinedTable(f'relation "{ref.name}" does not exist')
    return rec.get("owner") or BOOTSTRAP_OWNER, rec.get("acl"), rec.get("column_acl") or {}


def store(session: Any, ref: ObjectRef, *, owner: str | None = None, acl: Any = ..., column_acl: Any = ...,
          txn: Any = None) -> None:
    """Write an object's owner/ACL fields (only those given)."""
    fields: dict[str, Any] = {}
    if owner is not None:
        fields["owner"] = owner
    if acl is not ...:
        fields["acl"] = acl
    if column_acl is not ...:
        fields["column_acl"] = column_acl
    if ref.kind == "database":
        rec = database_record(session.engine, ref.name)
        put_database_record(session.engine, ref.name, {**rec, **fields})
        return
    txn = txn or session.tx.current()
    if ref.kind == "table":
        txn.alter_table(ref.schema, ref.name, options=fields)
    elif ref.kind in ("view", "sequence"):
        key = f"{ref.schema}.{ref.name}"
        txn.catalog_put(ref.kind, key, {**(txn.catalog_get(ref.kind, key) or {}), **fields})
    elif ref.kind == "schema":
        current = _record(txn, ref) or {"name": ref.name}
        txn.catalog_put("schema", ref.name, {**current, **fields})
    elif ref.kind == "function":
        txn.catalog_put("function_acl", ref.name, {**(txn.catalog_get("function_acl", ref.name) or {}), **fields})
    elif ref.kind == "type":
        key = f"{ref.schema}.{ref.name}"
        txn.catalog_put("type", key, {**(txn.catalog_get("type", key) or {}), **fields})
    elif ref.kind == "routine":
        overloads = [{**r, **fields} if _is_routine(r, ref) else r
                     for r in definition.overloads(txn, ref.schema, ref.name)]
        txn.catalog_put(definition.KIND, f"{ref.schema}.{ref.name}", {"overloads": overloads})
    elif ref.kind in _FOREIGN_RECORDS:
        kind = _FOREIGN_RECORDS[ref.kind]
        txn.catalog_put(kind, ref.name, {**txn.catalog_get(kind, ref.name), **fields})
    session.engine.bump_plan_generation()


# ---------------------------------------------------------------------------------------- checks
def _holds_owner(graph: roles.RoleGraph, session: Any, user: str, owner: str) -> bool:
    if owner == DATABASE_OWNER_ROLE:
        owner = database_owner(session.engine, session.database)
    return graph.has_privs_of(user, owner)


def _predefined_grants(graph: roles.RoleGraph, user: str, ref: ObjectRef) -> str:
    """Letters pg_read_all_data / pg_write_all_data give ``user`` on ``ref``."""
    out = ""
    if ref.kind in ("table", "view", "matview", "sequence", "schema") and graph.has_privs_of(user, "pg_read_all_data"):
        out += "U" if ref.kind == "schema" else "r"
    if ref.kind in ("table", "view", "matview", "schema") and graph.has_privs_of(user, "pg_write_all_data"):
        out += "U" if ref.kind == "schema" else "awd"
    return out


def has_privilege(session: Any, ref: ObjectRef, letter: str, *, user: str | None = None,
                  column: str | None = None, grant_option: bool = False, txn: Any = None) -> bool:
    """Does ``user`` (default: the checking user) hold privilege ``letter`` on ``ref`` (or its column)?"""
    user = user or checking_user(session)
    graph = roles.role_graph(session.engine)
    if graph.is_superuser(user):
        return True
    owner, acl, column_acl = load(session, ref, txn)
    if _holds_owner(graph, session, user, owner):
        return True
    if not grant_option and letter in _predefined_grants(graph, user, ref):
        return True
    holders = graph.privilege_holders(user)
    if DATABASE_OWNER_ROLE in {i["grantee"] for i in (acl or [])} and _holds_owner(
            graph, session, user, DATABASE_OWNER_ROLE):
        holders = holders | {DATABASE_OWNER_ROLE}
    if A.holds(A.effective(acl, ref.acl_kind, owner), holders, letter, grant_option=grant_option):
        return True
    if column is not None and column in column_acl:
        return A.holds(column_acl[column], holders, letter, grant_option=grant_option)
    return False


def has_any_column_privilege(session: Any, ref: ObjectRef, letter: str, *, user: str | None = None) -> bool:
    user = user or checking_user(session)
    if has_privilege(session, ref, letter, user=user):
        return True
    _owner, _acl, column_acl = load(session, ref)
    holders = roles.role_graph(session.engine).privilege_holders(user)
    return any(A.holds(items, holders, letter) for items in column_acl.values())


def denied(ref: ObjectRef) -> InsufficientPrivilege:
    return InsufficientPrivilege(f"permission denied for {ref.label}")


def check(session: Any, ref: ObjectRef, letters: str, *, columns: list[str] | None = None, txn: Any = None) -> None:
    """42501 unless the checking user holds every privilege in ``letters`` (on the table, or on each
    of ``columns`` when given)."""
    if _NAMES_ONLY.get() and ref.kind in ("table", "view", "matview"):
        return
    user = checking_user(session)
    graph = roles.role_graph(session.engine)
    if graph.is_superuser(user):
        return
    for letter in letters:
        if has_privilege(session, ref, letter, user=user, txn=txn):
            continue
        if columns and all(has_privilege(session, ref, letter, user=user, column=c, txn=txn) for c in columns):
            continue
        raise denied(ref)


def is_owner(session: Any, ref: ObjectRef, txn: Any = None) -> bool:
    user = checking_user(session)
    graph = roles.role_graph(session.engine)
    if graph.is_superuser(user):
        return True
    owner, _acl, _cols = load(session, ref, txn)
    return _holds_owner(graph, session, user, owner)


def check_owner(session: Any, ref: ObjectRef, txn: Any = None) -> None:
    if not is_owner(session, ref, txn):
        raise InsufficientPrivilege(f"must be owner of {ref.label}")


def check_superuser_or_role(session: Any, role: str) -> bool:
    user = session.user
    graph = roles.role_graph(session.engine)
    return graph.is_superuser(user) or graph.has_privs_of(user, role)


def relation_ref(txn: Any, schema: str, name: str) -> ObjectRef | None:
    if txn.get_table(schema, name) is not None:
        return ObjectRef("table", name, schema)
    for kind in ("view", "sequence"):
        if txn.catalog_get(kind, f"{schema}.{name}") is not None:
            return ObjectRef(kind, name, schema)
    return None


def find_relation(session: Any, dotted: str, txn: Any = None) -> ObjectRef:
    """A (maybe schema-qualified) relation name as GRANT and has_table_privilege take it."""
    txn = txn or session.tx.current()
    parts = _split_name(dotted)
    schemas = [parts[0]] if len(parts) == 2 else session.search_path()
    for schema in schemas:
        ref = relation_ref(txn, schema, parts[-1])
        if ref is not None:
            return ref
    raise UndefinedTable(f'relation "{dotted}" does not exist')


def _split_name(dotted: str) -> list[str]:
    out, cur, quoted = [], "", False
    for ch in dotted:
        if ch == '"':
            quoted = not quoted
        elif ch == "." and not quoted:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [p for p in out if p != ""][-2:]


def check_schema_usage(session: Any, schema: str, txn: Any = None) -> None:
    if schema in SYSTEM_SCHEMAS or schema.startswith("pg_temp"):
        return
    ref = ObjectRef("schema", schema)
    try:
        ok = has_privilege(session, ref, "U", txn=txn)
    except HeliosError:
        return  # a schema that does not exist: the caller reports the missing relation
    if not ok:
        raise denied(ref)


def check_create_in_schema(session: Any, schema: str, txn: Any = None) -> None:
    if schema.startswith("pg_temp"):
        return
    ref = ObjectRef("schema", schema)
    try:
        ok = has_privilege(session, ref, "C", txn=txn)
    except HeliosError:
        return
    if not ok:
        raise denied(ref)


# ---------------------------------------------------------------------------------------- GRANT/REVOKE
def _resolve_grantee(session: Any, name: str) -> str:
    name = resolve_role_name(session, name)
    if name != A.PUBLIC and roles.role_graph(session.engine).get(name) is None:
        raise UndefinedObject(f'role "{name}" does not exist')
    return name


def _targets(session: Any, spec: Any) -> list[ObjectRef]:
    txn = session.tx.current()
    kind = spec.object_kind
    if spec.all_in_schema:
        out = []
        for schema in spec.objects:
            if schema not in ("public",) and txn.catalog_get("schema", schema) is None:
                raise HeliosError(f'schema "{schema}" does not exist', sqlstate="3F000")
            if kind == "TABLE":
                out += [ObjectRef("table", t.name, schema) for t in txn.list_tables(schema)]
                out += [ObjectRef("view", v["name"], schema) for v in txn.catalog_list("view").values()
                        if v.get("schema") == schema]
            elif kind == "SEQUENCE":
                out += [ObjectRef("sequence", s["name"], schema) for s in txn.catalog_list("sequence").values()
                        if s.get("schema") == schema]
            else:
                out += routines_in_schema(txn, schema, spec.routine_kind or "FUNCTION")
        return out
    if kind in ("TABLE", "SEQUENCE"):
        out = []
        for name in spec.objects:
            ref = find_relation(session, name, txn)
            if kind == "SEQUENCE" and ref.kind != "sequence":
                raise HeliosError(f'"{ref.name}" is not a sequence', sqlstate="42809")
            out.append(ref)
        return out
    if kind == "SCHEMA":
        for name in spec.objects:
            load(session, ObjectRef("schema", name), txn)  # 3F000 when absent
        return [ObjectRef("schema", n) for n in spec.objects]
    if kind == "DATABASE":
        for name in spec.objects:
            if name not in session.engine.list_databases():
                raise HeliosError(f'database "{name}" does not exist', sqlstate="3D000")
        return [ObjectRef("database", n) for n in spec.objects]
    if kind == "FUNCTION":
        return [routine_target(session, text, spec.routine_kind or "FUNCTION", txn) for text in spec.objects]
    if kind in ("TYPE", "DOMAIN"):
        return [type_privileges.grant_target(session, txn, text, kind) for text in spec.objects]
    if kind in ("FOREIGN DATA WRAPPER", "FOREIGN SERVER"):
        refs = [ObjectRef("fdw" if kind == "FOREIGN DATA WRAPPER" else "server", n) for n in spec.objects]
        for ref in refs:
            load(session, ref, txn)  # 42704 when absent
        return refs
    raise HeliosError(f"GRANT ON {kind} is not supported", sqlstate="0A000")


def _signature_parts(text: str) -> tuple[str, list[str] | None]:
    """'s.f(int, b text)' -> ('s.f', ['int', 'b text']); no parentheses: (name, None)."""
    if "(" not in text:
        return text.strip(), None
    name, _, rest = text.partition("(")
    inner = rest[:rest.rindex(")")].strip() if ")" in rest else rest
    args, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
            continue
        depth += (ch == "(") - (ch == ")")
        cur += ch
    if cur.strip():
        args.append(cur.strip())
    return name.strip(), args


def _argument_type(text: str) -> str:
    """An argument of a signature as its type's name: modes (IN, VARIADIC ...) and names dropped."""
    words = text.split()
    if words and words[0].upper() in ("IN", "OUT", "INOUT", "VARIADIC"):
        words = words[1:]
    for start in range(min(2, len(words))):
        try:
            return definition.resolve_type(" ".join(words[start:])).sql_name()
        except HeliosError:
            continue
    raise HeliosError(f'type "{" ".join(words)}" does not exist', sqlstate="42704")


def routine_ref(routine: definition.Routine) -> ObjectRef:
    noun = {"p": "procedure", "a": "aggregate"}.get(routine.record.get("kind", "f"), "function")
    return ObjectRef("routine", routine.name, routine.schema, tuple(t.sql_name() for t in routine.in_types), noun)


def routine_target(session: Any, text: str, routine_kind: str, txn: Any = None) -> ObjectRef:
    """The routine ``name(argtypes)`` of GRANT ON FUNCTION/PROCEDURE/ROUTINE or has_function_privilege:
    CREATE FUNCTION's (one signature) first, then a built-in (its privileges are kept by name)."""
    from helios_core.sql import functions as F

    txn = txn or session.tx.current()
    dotted, args = _signature_parts(text)
    dotted = ".".join(_split_name(dotted)) if '"' in dotted else dotted.lower()
    wanted = None if args is None else [_argument_type(a) for a in args]
    found = [r for r in definition.find(session, txn, dotted)
             if wanted is None or [t.sql_name() for t in r.in_types] == wanted]
    shown = dotted.split(".")[-1] if wanted is None else f"{dotted.split('.')[-1]}({', '.join(wanted)})"
    if len(found) > 1:
        raise HeliosError(f'function name "{shown}" is not unique', sqlstate="42725",
                          hint="Specify the argument list to select the function unambiguously.")
    if found:
        routine = found[0]
        signature = f"{routine.name}({','.join(t.sql_name() for t in routine.in_types)})"
        if routine_kind == "FUNCTION" and routine.is_procedure:
            raise HeliosError(f"{signature} is not a function", sqlstate="42809")
        if routine_kind == "PROCEDURE" and not routine.is_procedure:
            raise HeliosError(f"{signature} is not a procedure", sqlstate="42809")
        return routine_ref(routine)
    bare = dotted.removeprefix("pg_catalog.")
    if "." not in bare and F.has_function(bare):
        return ObjectRef("function", bare)
    noun = "procedure" if routine_kind == "PROCEDURE" else "function"
    if wanted is None:
        raise HeliosError(f'could not find a {noun} named "{shown}"', sqlstate="42883")
    raise HeliosError(f"{noun} {shown} does not exist", sqlstate="42883")


def routines_in_schema(txn: Any, schema: str, routine_kind: str) -> list[ObjectRef]:
    """ON ALL FUNCTIONS (functions and aggregates) / PROCEDURES / ROUTINES IN SCHEMA s."""
    out = []
    for value in txn.catalog_list(definition.KIND).values():
        for record in value.get("overloads") or []:
            routine = definition.Routine(record)
            if routine.schema != schema:
                continue
            if routine_kind == "FUNCTION" and routine.is_procedure:
                continue
            if routine_kind == "PROCEDURE" and not routine.is_procedure:
                continue
            out.append(routine_ref(routine))
    return out


def check_routine_execute(session: Any, routine: definition.Routine) -> None:
    """EXECUTE on a CREATE FUNCTION routine (42501 "permission denied for function f")."""
    if session is None or not hasattr(session, "engine"):
        return
    check(session, routine_ref(routine), "X")


def check_routine_owner(session: Any, routine: definition.Routine) -> None:
    """DROP and ALTER of a routine: its owner (or a member of the owning role) and superusers only."""
    check_owner(session, routine_ref(routine))


def grant_statement(session: Any, spec: Any) -> Result:
    """GRANT/REVOKE privileges ON objects TO/FROM roles (PostgreSQL's rules for grantor and options)."""
    grantees = [_resolve_grantee(session, g) for g in spec.grantees]
    if spec.granted_by is not None and resolve_role_name(session, spec.granted_by) != session.user:
        raise HeliosError("grantor must be current user", sqlstate="0A000")
    notices: list[str] = []
    txn = session.tx.current()
    for ref in _targets(session, spec):
        kind = "sequence" if ref.kind == "sequence" else ref.acl_kind
        words = [p for p, cols in spec.privileges if cols is None]
        column_words = [(p, cols) for p, cols in spec.privileges if cols is not None]
        label = {"table": "relation", "sequence": "sequence", "schema": "schema", "database": "database",
                 "function": "procedure" if spec.routine_kind == "PROCEDURE" else "function",
                 "type": "type", "fdw": "foreign-data wrapper", "server": "foreign server"}[kind]
        if ref.kind == "sequence" and spec.object_kind == "TABLE":
            bad = [w for w in words if w.replace(" PRIVILEGES", "") not in ("ALL", "SELECT", "UPDATE", "USAGE")]
            letters = A.letters_for([w for w in words if w not in bad], "sequence", object_label=label)
            for w in bad:
                notices.append(_warning(f'sequence "{ref.name}" only supports USAGE, SELECT, and UPDATE privileges',
                                        "01000"))
        else:
            letters = A.letters_for(words, kind, object_label=label)
        owner, cur_acl, column_acl = load(session, ref, txn)
        grantor, allowed = _grantor(session, ref, owner, cur_acl, column_acl, letters,
                                    [c for _, cols in column_words for c in cols])
        if not allowed and not _has_any(session, ref):
            raise denied(ref)
        if letters:
            effective = A.effective(cur_acl, kind, owner)
            granted = letters if allowed is True else "".join(ch for ch in letters if ch in allowed)
            if granted != letters:  # PostgreSQL warns (01007 / 01006) and goes on with what it may grant
                notices.append(_not_all_warning(spec.is_grant, bool(granted), ref.name))
            for g in grantees if granted else ():  # nothing to grant: no empty ACL item either
                if spec.is_grant:
                    if g == owner and grantor == owner:
                        continue  # the owner's own privileges are implicit
                    effective = A.add(effective, g, grantor, granted, with_option=spec.option)
                else:
                    effective = _revoke(effective, g, grantor, granted, option_only=spec.option,
                                        cascade=spec.cascade)
            store(session, ref, acl=effective, txn=txn)
        if column_words:
            new_cols = {k: list(v) for k, v in column_acl.items()}
            for word, cols in column_words:
                letters_c = A.letters_for([word], "column", object_label="column")
                for col in cols:
                    _check_column(txn, ref, col)
                    items = new_cols.get(col, [])
                    for g in grantees:
                        items = (A.add(items, g, grantor, letters_c, with_option=spec.option) if spec.is_grant
                                 else A.remove(items, g, grantor, letters_c, option_only=spec.option))
                    if items:
                        new_cols[col] = items
                    else:
                        new_cols.pop(col, None)
            store(session, ref, column_acl=new_cols, txn=txn)
    return Result(command_tag="GRANT" if spec.is_grant else "REVOKE", notices=notices)


def _warning(message: str, sqlstate: str) -> HeliosError:
    """PostgreSQL warns (not notices) when a GRANT or REVOKE changed nothing."""
    w = HeliosError(message, sqlstate=sqlstate)
    w.severity = "WARNING"
    return w


def _not_all_warning(is_grant: bool, some: bool, name: str) -> HeliosError:
    """PostgreSQL's warning when the grantor lacks the grant option of some or all privileges."""
    if is_grant:
        return _warning(f'{"not all" if some else "no"} privileges were granted for "{name}"', "01007")
    return _warning(f'{"not all" if some else "no"} privileges could be revoked for "{name}"', "01006")


def _check_column(txn: Any, ref: ObjectRef, col: str) -> None:
    t = txn.get_table(ref.schema, ref.name) if ref.kind == "table" else None
    if ref.kind == "table" and (t is None or t.column(col) is None):
        raise HeliosError(f'column "{col}" of relation "{ref.name}" does not exist', sqlstate="42703")


def _has_any(session: Any, ref: ObjectRef) -> bool:
    return any(has_privilege(session, ref, ch) for ch in A.KIND_PRIVILEGES[ref.acl_kind])


def _grantor(session: Any, ref: ObjectRef, owner: str, cur_acl: Any, column_acl: dict, letters: str,
             columns: list[str]) -> tuple[str, Any]:
    """(grantor, True | letters the user may grant): superusers and owners grant as the owner."""
    user = session.user
    graph = roles.role_graph(session.engine)
    if graph.is_superuser(user) or _holds_owner(graph, session, user, owner):
        return owner, True
    holders = graph.privilege_holders(user)
    effective = A.effective(cur_acl, ref.acl_kind, owner)
    mine = "".join(ch for ch in A.LETTERS if A.holds(effective, holders, ch, grant_option=True))
    if columns:
        for col in columns:
            mine += "".join(ch for ch in A.LETTERS if A.holds(column_acl.get(col, []), holders, ch,
                                                                grant_option=True))
    return user, (mine or "")


def _revoke(acl: list[dict], grantee: str, grantor: str, letters: str, *, option_only: bool,
            cascade: bool) -> list[dict]:
    dependents = [i for i in A.dependent_grants(acl, grantee, letters) if i["grantee"] != grantee]
    if dependents and not cascade:
        has_option = any(i["grantee"] == grantee and set(i["options"]) & set(letters) for i in acl)
        if has_option:
            raise HeliosError("dependent privileges exist", sqlstate="2BP01", hint="Use CASCADE to revoke them too.")
    acl = A.remove(acl, grantee, grantor, letters, option_only=option_only)
    for dep in dependents:
        acl = _revoke(acl, dep["grantee"], grantee, letters, option_only=False, cascade=True)
    return acl


# ---------------------------------------------------------------------------------------- owners
def record_new_object(session: Any, ref: ObjectRef, txn: Any = None) -> None:
    """A freshly created object: owned by the current user, default privileges applied."""
    txn = txn or session.tx.current()
    owner = session.user
    acl = default_privileges_for(session, owner, ref, txn)
    store(session, ref, owner=owner, acl=acl, txn=txn)


def default_privileges_for(session: Any, owner: str, ref: ObjectRef, txn: Any) -> list[dict] | None:
    """The ACL ALTER DEFAULT PRIVILEGES gives a new object of ``owner`` (None: the built-in default)."""
    kind = "sequence" if ref.kind == "sequence" else ref.acl_kind
    global_rec = txn.catalog_get("default_acl", f"{owner}::{kind}")
    schema_rec = txn.catalog_get("default_acl", f"{owner}:{ref.schema}:{kind}") if ref.schema else None
    if global_rec is None and schema_rec is None:
        return None
    acl = list(global_rec["acl"]) if global_rec is not None else A.default_acl(kind, owner)
    for item in (schema_rec or {}).get("acl", []):
        acl = A.add(acl, item["grantee"], owner, item["privs"], with_option=bool(item["options"]))
    return acl


def forget_schema_default_privileges(txn: Any, schema: str) -> None:
    """DROP SCHEMA: its ALTER DEFAULT PRIVILEGES ... IN SCHEMA entries go with it (PostgreSQL's
    pg_default_acl rows depend on the schema), so a new schema of that name starts clean."""
    for key, rec in list(txn.catalog_list("default_acl").items()):
        if rec.get("schema") == schema:
            txn.catalog_delete("default_acl", key)


def default_privilege_rows(txn: Any) -> list[dict]:
    """The ALTER DEFAULT PRIVILEGES entries: {"role", "schema" ("" for all), "kind", "acl"}."""
    return [rec for _key, rec in sorted(txn.catalog_list("default_acl").items())]


def alter_default_privileges(session: Any, spec: Any) -> Result:
    txn = session.tx.current()
    graph = roles.role_graph(session.engine)
    targets = [_resolve_grantee(session, r) for r in spec.default_for_roles] or [session.user]
    for r in targets:
        if not graph.has_privs_of(session.user, r):
            raise InsufficientPrivilege(f'permission denied to change default privileges for role "{r}"')
    kind = spec.object_kind.lower()
    grantees = [_resolve_grantee(session, g) for g in spec.grantees]
    letters = A.letters_for([p for p, _ in spec.privileges], kind if kind in A.KIND_PRIVILEGES else "table",
                            object_label=kind)
    schemas = spec.default_in_schemas or [""]
    for role in targets:
        for schema in schemas:
            key = f"{role}:{schema}:{kind}"
            rec = txn.catalog_get("default_acl", key)
            acl = list(rec["acl"]) if rec else (A.default_acl(kind, role) if not schema else [])
            for g in grantees:
                acl = (A.add(acl, g, role, letters, with_option=spec.option) if spec.is_grant
                       else A.remove(acl, g, role, letters, option_only=spec.option))
            txn.catalog_put("default_acl", key, {"role": role, "schema": schema, "kind": kind, "acl": acl})
    session.engine.bump_plan_generation()
    return Result(command_tag="ALTER DEFAULT PRIVILEGES")


def alter_owner(session: Any, ref: ObjectRef, new_owner: str) -> None:
    """ALTER ... OWNER TO: the owner (who must be able to SET ROLE to the new owner) or a superuser."""
    new_owner = resolve_role_name(session, new_owner)
    graph = roles.role_graph(session.engine)
    if graph.get(new_owner) is None:
        raise UndefinedObject(f'role "{new_owner}" does not exist')
    user = session.user
    owner, acl, _column_acl = load(session, ref)
    if not graph.is_superuser(user):
        check_owner(session, ref)
        if not graph.is_member_of(user, new_owner):
            raise InsufficientPrivilege(f'must be able to SET ROLE "{new_owner}"')
        if ref.kind in ("table", "view", "sequence") and ref.schema and not has_privilege(
                session, ObjectRef("schema", ref.schema), "C", user=new_owner):
            raise InsufficientPrivilege(f"permission denied for schema {ref.schema}")
    new_acl = A.rename_role(acl, owner, new_owner) if acl is not None else None
    store(session, ref, owner=new_owner, acl=new_acl)


def objects_owned_by(session: Any, role: str) -> list[str]:
    """What keeps DROP ROLE from going ahead: objects ``role`` owns on any branch of any database, and
    privileges granted to or by it outside the session's branch (those of the session's branch are
    revoked by DROP ROLE itself). A recreated role of the same name must inherit nothing."""
    engine = session.engine
    out = [f"owner of database {d}" for d in engine.list_databases()
           if database_record(engine, d).get("owner") == role]
    here = (session.database, session.branch)
    for db in engine.store.list_databases():
        if db == SYSTEM_DB:
            continue
        out += _branch_records_of(engine, db, role)
        for info in engine.store.list_branches(db):
            where = "" if (db, info.name) == here else f" (database {db}, branch {info.name})"
            txn = session.tx.current() if (db, info.name) == here else engine.store.begin(db, info.name,
                                                                                          read_only=True)
            try:
                for ref, rec in _each_acl_holder(txn):
                    label = f"{ref.kind} {ref.schema + '.' if ref.schema else ''}{ref.name}{where}"
                    if rec.get("owner") == role:
                        out.append(f"owner of {label}")
                    elif where and _mentions(rec, role):
                        out.append(f"privileges for {label}")
                out += [f"owner of publication {name}{where}" for name, rec in _records(txn, "publication").items()
                        if rec.get("owner") == role]
                for key, rec in _records(txn, "function").items():  # routines and types too
                    out += [f"owner of {'procedure' if r.get('kind') == 'p' else 'function'} "
                            f"{key.split('.', 1)[0]}.{r['name']}({', '.join(a['type'] for a in r.get('args', []))})"
                            f"{where}" for r in rec.get("overloads", []) if r.get("owner") == role]
                out += [f"owner of type {key}{where}" for key, rec in _records(txn, "type").items()
                        if rec.get("owner") == role]
            finally:
                if (db, info.name) != here:
                    txn.rollback()
            if len(out) >= 100:
                return out
    return out


def _records(txn: Any, kind: str) -> dict[str, dict]:
    try:
        return txn.catalog_list(kind) or {}
    except Exception:  # noqa: BLE001 - a catalog without the kind yet
        return {}


def _branch_records_of(engine: Any, db: str, role: str) -> list[str]:
    """Branches ``role`` owns or holds branch privileges on (helios_core.branching records)."""
    from helios_core.branching import records

    out = []
    with records.reading(engine, db) as txn:
        for name, meta in txn.catalog_list(records.META).items():
            if meta.get("owner") == role:
                out.append(f"owner of branch {name} (database {db})")
        for name, acl_rec in txn.catalog_list(records.ACL).items():
            if role in (acl_rec.get("grants") or {}):
                out.append(f"privileges for branch {name} (database {db})")
    return out


def _mentions(rec: dict, role: str) -> bool:
    items = list(rec.get("acl") or [])
    for col_items in (rec.get("column_acl") or {}).values():
        items += col_items
    return any(role in (i["grantee"], i["grantor"]) for i in items)


def _each_acl_holder(txn: Any) -> Iterator[tuple[ObjectRef, dict]]:
    for t in txn.list_tables():
        yield ObjectRef("table", t.name, t.schema), dict(t.options or {})
    for kind in ("view", "sequence"):
        for v in txn.catalog_list(kind).values():
            yield ObjectRef(kind, v["name"], v["schema"]), v
    for k, v in txn.catalog_list("schema").items():
        yield ObjectRef("schema", k), v


def forget_role_grants(session: Any, role: str) -> None:
    """DROP ROLE: its entries leave every ACL of the session's branch (PostgreSQL needs DROP OWNED)."""
    _rewrite_acls(session, lambda a: A.without_role(a, role))


def rename_role_everywhere(session: Any, old: str, new: str) -> None:
    _rewrite_acls(session, lambda a: A.rename_role(a, old, new), old=old, new=new)


def _rewrite_acls(session: Any, fix: Any, *, old: str | None = None, new: str | None = None) -> None:
    txn = session.tx.current()
    for ref, rec in list(_each_acl_holder(txn)):
        acl = rec.get("acl")
        cols = rec.get("column_acl") or {}
        owner = rec.get("owner")
        new_acl = fix(acl)
        new_cols = {c: fix(items) for c, items in cols.items()}
        new_owner = new if old is not None and owner == old else None
        if new_acl != acl or new_cols != cols or new_owner:
            store(session, ref, owner=new_owner, acl=new_acl, column_acl=new_cols, txn=txn)


# ---------------------------------------------------------------------------------------- query paths
_DML_TARGETS: contextvars.ContextVar[frozenset] = contextvars.ContextVar("helios_dml_targets", default=frozenset())
_SUPERUSER_ONLY_VIRTUAL = {"pg_authid", "pg_shadow"}


@contextlib.contextmanager
def _adding(var: contextvars.ContextVar[frozenset], item: tuple[str, str]) -> Iterator[None]:
    token = var.set(var.get() | {item})
    try:
        yield
    finally:
        var.reset(token)


def dml_target(schema: str, name: str) -> contextlib.AbstractContextManager[None]:
    """While a DML statement plans the scan of its own target, that scan is the DML's to check."""
    return _adding(_DML_TARGETS, (schema, name))


# tables written through a view: only the DML's own scan of them (not a subquery) skips the check
_VIEW_DML_TARGETS: contextvars.ContextVar[frozenset] = contextvars.ContextVar("helios_view_dml_targets",
                                                                             default=frozenset())


def view_dml_target(schema: str, name: str) -> contextlib.AbstractContextManager[None]:
    """A statement on a view writes ``schema.name`` with the view owner's rights, already checked."""
    return _adding(_VIEW_DML_TARGETS, (schema, name))


def check_relation_read(session: Any, kind: str, schema: str, name: str, columns: list[str],
                        txn: Any = None, *, own_scan: bool = False) -> str | None:
    """SELECT on a relation the planner is binding (42501 if not held), judged by the catalog of the
    branch being read (``txn``: cross_branch_query reads other branches). For a view, returns the
    owner whose privileges its body is planned with."""
    if session is None or not hasattr(session, "engine"):
        return None
    user = checking_user(session)
    graph = roles.role_graph(session.engine)
    if kind == "virtual":
        if name in _SUPERUSER_ONLY_VIRTUAL and not graph.is_superuser(user):
            raise InsufficientPrivilege(f"permission denied for table {name}")
        return None
    if kind == "view":
        ref = ObjectRef("view", name, schema)
        if not graph.is_superuser(user):
            check_schema_usage(session, schema, txn)
            check(session, ref, "r", txn=txn)
        owner, _acl, _cols = load(session, ref, txn)
        return owner
    if graph.is_superuser(user) or (schema, name) in _DML_TARGETS.get() or (
            own_scan and (schema, name) in _VIEW_DML_TARGETS.get()):
        return None
    check_schema_usage(session, schema, txn)
    check(session, ObjectRef("table", name, schema), "r", columns=columns, txn=txn)
    return None


def check_write(session: Any, schema: str, name: str, letters: str, *, columns: list[str] | None = None,
                reads: bool = False) -> None:
    """INSERT/UPDATE/DELETE/MERGE/COPY FROM on a table: its privileges, and SELECT when the statement
    reads the table's columns (WHERE, RETURNING, SET expressions)."""
    user = checking_user(session)
    if roles.role_graph(session.engine).is_superuser(user):
        return
    check_schema_usage(session, schema)
    ref = ObjectRef("table", name, schema)
    check(session, ref, letters, columns=columns)
    if reads:
        check(session, ref, "r", columns=columns)


def check_execute(session: Any, name: str) -> None:
    """EXECUTE on a function: PUBLIC holds it until someone revokes it (only then is there a record)."""
    if session is None or not hasattr(session, "engine"):
        return
    user = checking_user(session)
    if roles.role_graph(session.engine).is_superuser(user):
        return
    txn = session.tx.current()
    if txn.catalog_get("function_acl", name) is None and name not in SUPERUSER_ONLY_FUNCTIONS:
        return
    if not has_privilege(session, ObjectRef("function", name), "X", user=user, txn=txn):
        raise denied(ObjectRef("function", name))


def check_connect(engine: Any, user: str, database: str) -> None:
    """CONNECT on the database at log-in (PUBLIC holds it by default)."""
    graph = roles.role_graph(engine)
    if graph.is_superuser(user):
        return
    rec = database_record(engine, database)
    owner = rec.get("owner") or BOOTSTRAP_OWNER
    if rec.get("acl") is None or graph.has_privs_of(user, owner):
        return
    if not A.holds(rec["acl"], graph.privilege_holders(user), "c"):
        raise InsufficientPrivilege(f'permission denied for database "{database}"',
                                    detail="User does not have CONNECT privilege.")


def check_branch_table_read(session: Any, txn: Any, schema: str, name: str) -> None:
    """branch_diff and MERGE BRANCH read a table of another branch: SELECT in that branch's catalog."""
    user = checking_user(session)
    graph = roles.role_graph(session.engine)
    if graph.is_superuser(user):
        return
    tdef = txn.get_table(schema, name)
    if tdef is None:
        return
    check_schema_usage(session, schema, txn)
    check(session, ObjectRef("table", name, schema), "r", txn=txn)
    switches = (tdef.options or {}).get("row_security") or {}
    owner = load(session, ObjectRef("table", name, schema), txn)[0]
    if switches.get("enabled") and not (graph.get(user) or {}).get("bypassrls") and (
            switches.get("forced") or not graph.has_privs_of(user, owner)):
        # these read whole tables, not through a query that row-level security could filter
        raise FeatureNotSupported(f'reading table "{name}" of another branch is not supported while its '
                                  "row-level security policies apply to this role")


def check_merge_into(session: Any, txn: Any, schema: str, name: str, *, in_source: bool, in_target: bool) -> None:
    """MERGE BRANCH writes the target branch's table as INSERT/UPDATE/DELETE would (those privileges in
    the target's catalog), creates it (CREATE on the schema) or drops it (its owner)."""
    if roles.role_graph(session.engine).is_superuser(checking_user(session)):
        return
    if not in_target:
        check_create_in_schema(session, schema, txn)
        return
    ref = ObjectRef("table", name, schema)
    if not in_source:
        check_owner(session, ref, txn)
        return
    check_schema_usage(session, schema, txn)
    check(session, ref, "awd", txn=txn)
