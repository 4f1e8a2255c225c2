"""USAGE on types (CREATE TYPE's and CREATE DOMAIN's; built-in types PUBLIC may always use).

A type's owner and ACL live in its catalog record (kind "type", key "schema.name"). Declaring a
column, attribute, domain base or routine argument of a user type needs USAGE on it (on the element
type of an array), as PostgreSQL 15 checks: 42501 "permission denied for type t". GRANT ON TYPE /
DOMAIN and has_type_privilege name the types here too.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from helios_core.errors import HeliosError
from helios_core.sql import object_privileges as P
from helios_core.sql import types as T


def _split(text: str) -> list[str]:
    parts = P._split_name(text.strip())
    return [p if text.count('"') else p.lower() for p in parts]


def find_record(session: Any, txn: Any, text: str) -> tuple[str, dict] | None:
    """("schema.name", record) of the user type a (maybe qualified) name means, or None."""
    parts = _split(text)
    schemas = [parts[0]] if len(parts) == 2 else list(session.search_path())
    for schema in schemas:
        rec = txn.catalog_get("type", f"{schema}.{parts[-1]}")
        if rec is not None:
            return f"{schema}.{parts[-1]}", rec
    return None


def _record_of_type(txn: Any, t: T.SqlType) -> tuple[str, dict] | None:
    while t.element is not None:
        t = t.element
    named = t.domain or t.composite
    if named is not None:
        key = f"{named.schema}.{named.name}"
        rec = txn.catalog_get("type", key)
        return (key, rec) if rec is not None else None
    if t.labels is None:
        return None
    for key, rec in txn.catalog_list("type").items():  # an enum: its name and labels
        if rec.get("kind") == "enum" and rec.get("name") == t.name and tuple(rec.get("labels") or ()) == t.labels:
            return key, rec
    return None


def type_ref(key: str) -> P.ObjectRef:
    schema, name = key.split(".", 1)
    return P.ObjectRef("type", name, schema)


def default_acl(session: Any, txn: Any, schema: str, name: str) -> list[dict] | None:
    """A new type's ACL: ALTER DEFAULT PRIVILEGES ... ON TYPES, else None (PUBLIC may use it)."""
    return P.default_privileges_for(session, session.user, P.ObjectRef("type", name, schema), txn)


def check_usage(session: Any, t: T.SqlType, txn: Any = None) -> None:
    """42501 unless the current user may use ``t`` (a user type, or an array of one) in a definition."""
    if session is None or not hasattr(session, "engine"):
        return
    txn = txn or session.tx.current()
    found = _record_of_type(txn, t)
    if found is not None:
        P.check(session, type_ref(found[0]), "U", txn=txn)


def check_declared(session: Any, txn: Any, dt: exp.DataType) -> None:
    """check_usage for a declared column type as written (``t``, ``s.t``, ``t[]``)."""
    while dt.this == exp.DataType.Type.ARRAY and dt.expressions:
        dt = dt.expressions[0]
    if dt.this != exp.DataType.Type.USERDEFINED:
        return
    kind = dt.args.get("kind")
    text = kind.sql(dialect="postgres") if isinstance(kind, exp.Expression) else str(kind or "")
    found = find_record(session, txn, text)
    if found is not None:
        P.check(session, type_ref(found[0]), "U", txn=txn)


def grant_target(session: Any, txn: Any, text: str, object_kind: str) -> P.ObjectRef:
    """The type of GRANT ... ON TYPE | DOMAIN name (arrays are refused as PostgreSQL does)."""
    found = find_record(session, txn, text)
    if found is None:
        bare = _split(text)[-1]
        if bare.startswith("_") and find_record(session, txn, text.replace(bare, bare[1:])) is not None:
            raise HeliosError("cannot set privileges of array types", sqlstate="0LP01",
                              hint="Set the privileges of the element type instead.")
        try:
            T.type_from_name(text)
        except HeliosError:
            raise HeliosError(f'type "{text}" does not exist', sqlstate="42704") from None
        raise HeliosError(f"GRANT ON {object_kind} of built-in type {text} is not supported", sqlstate="0A000")
    key, rec = found
    if object_kind == "DOMAIN" and rec.get("kind") != "domain":
        raise HeliosError(f'"{rec["name"]}" is not a domain', sqlstate="42809")
    return type_ref(key)


def privilege_target(session: Any, text: str) -> P.ObjectRef | None:
    """has_type_privilege's type: a user type's ref, None for a built-in one (PUBLIC may use those)."""
    txn = session.tx.current()
    found = find_record(session, txn, text)
    if found is not None:
        return type_ref(found[0])
    try:
        T.type_from_name(text)
    except HeliosError:
        raise HeliosError(f'type "{text}" does not exist', sqlstate="42704") from None
    return None
