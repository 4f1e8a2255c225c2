"""User-defined types (CREATE TYPE ... AS ENUM / AS (...)) as SqlTypes of their own, with OIDs.

Every table also has a composite type of its own name (its row type), found here too.

``types.type_from_name`` and ``types.type_by_oid`` find them through ``types.USER_TYPES``,
which this module installs: by name on the search_path (or schema-qualified) and by OID, in
the catalog of the session running the statement (``ACTIVE_SESSION``). An enum's OID and its
array type's OID are stable functions of its schema-qualified name, like other catalog OIDs.
Outside a transaction (a protocol rendering a result) the types the session last saw are used,
and outside a session (a protocol writing a row description) the types any session last saw:
the OIDs are the same in every database, only the search_path could tell two apart.
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa

from helios_core.sql import enum_labels
from helios_core.sql import types as T
from helios_core.sql.catalog_views.functions import ACTIVE_SESSION
from helios_core.sql.catalog_views.model import stable_oid
from helios_core.sql.context import table_sql_columns
from helios_core.sql.extensions import citext, hstore_type
from helios_core.sql.functions.strings import quote_ident as sql_quote_ident

# (database, "schema.name") and (database, oid) -> SqlType, refreshed by every catalog lookup
_SEEN: dict[tuple[str, Any], T.SqlType] = {}
_IDENT = re.compile(r'\s*("(?:[^"]|"")*"|[^."]+)\s*(?:\.|$)')


def type_oids(schema: str, name: str) -> tuple[int, int]:
    """(type OID, array type OID) of the user-defined type schema.name."""
    return stable_oid("type", f"{schema}.{name}"), stable_oid("type", f"{schema}._{name}")


def enum_type(record: dict) -> T.SqlType:
    """The SqlType of an enum's catalog record ({"schema", "name", "labels", ...})."""
    oid, array_oid = type_oids(record["schema"], record["name"])
    session = ACTIVE_SESSION.get()
    txn = getattr(getattr(session, "tx", None), "txn", None)
    return T.SqlType(name=record["name"], oid=oid, arrow_type=pa.string(), labels=tuple(record["labels"]),
                     array_oid=array_oid,
                     unsafe_labels=enum_labels.unsafe_labels(record, getattr(txn, "txid", None)))


def composite_relid(schema: str, name: str) -> int:
    """The pg_class OID of a standalone composite type (relkind 'c')."""
    return stable_oid("composite", f"{schema}.{name}")


def composite_type(record: dict) -> T.SqlType:
    """The SqlType of a composite type's catalog record ({"schema", "name", "attributes": [{"name",
    "type"}]}): its attributes' types resolved now (a type they name must still exist)."""
    oid, array_oid = type_oids(record["schema"], record["name"])
    attrs_ = record["attributes"]
    fields = [T.type_from_name(a["type"]) for a in attrs_]
    info = T.CompositeInfo(schema=record["schema"], name=record["name"],
                           relid=composite_relid(record["schema"], record["name"]),
                           names=tuple(a["name"] for a in attrs_))
    return T.composite_of(info, fields, oid, array_oid)


def table_row_type(table: Any) -> T.SqlType:
    """The row type of a table (a storage TableDef): a composite of its columns, named as it."""
    columns = table_sql_columns(table)
    oid, array_oid = type_oids(table.schema, table.name)
    table_id = getattr(table, "table_id", None)
    relid = 16384 + int(table_id) if isinstance(table_id, int) else stable_oid("table", f"{table.schema}.{table.name}")
    info = T.CompositeInfo(schema=table.schema, name=table.name, relid=relid,
                           names=tuple(n for n, _ in columns), relkind="r")
    return T.composite_of(info, [t for _, t in columns], oid, array_oid)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def type_text(t: T.SqlType, txn: Any) -> str:
    """A type as text that names it whatever the search_path: user types schema-qualified."""
    base = t.element or t
    suffix = "[]" if t.element is not None else ""
    if base.composite is not None:
        return f"{quote_ident(base.composite.schema)}.{quote_ident(base.composite.name)}{suffix}"
    if base.domain is not None:
        return f"{quote_ident(base.domain.schema)}.{quote_ident(base.domain.name)}{suffix}"
    if base.range_info is not None:
        info = base.range_info
        schema = info.multirange_schema if info.is_multirange else info.schema
        return f"{quote_ident(schema)}.{quote_ident(base.name)}{suffix}"
    if base.labels is not None:
        for rec in txn.catalog_list("type").values():
            if rec.get("kind") == "enum" and type_oids(rec["schema"], rec["name"])[0] == base.oid:
                return f"{quote_ident(rec['schema'])}.{quote_ident(rec['name'])}{suffix}"
    return t.sql_name()


def is_composite_column(t: T.SqlType) -> bool:
    """Does a column of type ``t`` store composite or user-defined range values (or arrays of
    them)? Its type is then kept by schema-qualified name."""
    base = t.element or t
    return base.composite is not None or base.range_info is not None


def range_types(record: dict) -> tuple[T.SqlType, T.SqlType]:
    """The range type and its multirange type of a CREATE TYPE ... AS RANGE's catalog records
    (both records carry the same fields: the two names, the subtype)."""
    oid, array_oid = type_oids(record["range_schema"], record["range_name"])
    moid, marray_oid = type_oids(record["multirange_schema"], record["multirange_name"])
    info = T.RangeInfo(schema=record["range_schema"], name=record["range_name"], oid=oid, array_oid=array_oid,
                       subtype=T.type_from_name(record["subtype"]), multirange_schema=record["multirange_schema"],
                       multirange_name=record["multirange_name"], multirange_oid=moid,
                       multirange_array_oid=marray_oid)
    return T.user_range_types(info)


_USER_KINDS = ("enum", "composite", "range", "multirange")


def _record_type(rec: dict) -> T.SqlType | None:
    kind = rec.get("kind")
    if kind == "enum":
        return enum_type(rec)
    if kind == "composite":
        return composite_type(rec)
    if kind in ("range", "multirange"):
        return range_types(rec)[kind == "multirange"]
    return None


def split_name(spelling: str) -> list[str]:
    """'public."Mood"' -> ['public', 'Mood']: unquoted parts fold to lower case."""
    parts, pos = [], 0
    text = spelling.strip()
    while pos < len(text):
        m = _IDENT.match(text, pos)
        if m is None or m.end() == pos:
            return []
        part = m.group(1).strip()
        parts.append(part[1:-1].replace('""', '"') if part.startswith('"') else part.lower())
        pos = m.end()
    return parts


def _remember(database: str, t: T.SqlType, key: str) -> T.SqlType:
    for db in (database, None):
        _SEEN[(db, key)] = t
        _SEEN[(db, t.name)] = t
        _SEEN[(db, t.oid)] = t
        _SEEN[(db, t.array_oid)] = T.array_of(t)
    return t


def remember(session: Any, t: T.SqlType) -> None:
    """A composite type just made (CREATE TYPE, a table's row type): found by name from now on,
    also where no session is active (a routine signature is read while its statement is parsed)."""
    _remember(session.database, t, f"{t.composite.schema}.{t.composite.name}")


def lookup(key: str | int) -> T.SqlType | None:
    """A user-defined type by its name as SQL spells it, or by its (or its array's) OID."""
    session = ACTIVE_SESSION.get()
    if session is None:
        parts = [] if isinstance(key, int) else split_name(key)
        if parts and parts[-1] == hstore_type.NAME:  # a described column's type outside a statement
            return T.HSTORE
        return _SEEN.get((None, key if isinstance(key, int) else ".".join(parts)))
    database = session.database
    txn = session.tx.txn
    if isinstance(key, int):
        if txn is not None:
            for rkey, rec in txn.catalog_list("type").items():
                if rec.get("kind") in _USER_KINDS and key in type_oids(rec["schema"], rec["name"]):
                    _remember(database, _record_type(rec), rkey)
                elif rec.get("kind") == "domain" and DOMAIN_TYPE and key in type_oids(rec["schema"], rec["name"]):
                    t = DOMAIN_TYPE[0](rec)
                    _SEEN[(database, key)] = t if key == type_oids(rec["schema"], rec["name"])[0] else T.array_of(t)
            if (database, key) not in _SEEN:  # a table's row type
                for table in txn.list_tables():
                    if key in type_oids(table.schema, table.name):
                        _remember(database, table_row_type(table), f"{table.schema}.{table.name}")
                        break
        return _SEEN.get((database, key))
    parts = split_name(key)
    if not parts or len(parts) > 2:
        return None
    schemas = [parts[0]] if len(parts) == 2 else session.search_path()
    for schema in schemas:
        rkey = f"{schema}.{parts[-1]}"
        if txn is None:
            found = _SEEN.get((database, rkey))
            if found is not None:
                return found
            continue
        rec = txn.catalog_get("type", rkey)
        if rec is not None and rec.get("kind") in _USER_KINDS:
            return _remember(database, _record_type(rec), rkey)
        if rec is not None and rec.get("kind") == "domain" and DOMAIN_TYPE:
            t = DOMAIN_TYPE[0](rec)
            _SEEN[(database, rkey)] = t  # by name only: its OIDs are the base type's
            return t
        table = txn.get_table(schema, parts[-1]) if rec is None else None
        if table is not None:
            return _remember(database, table_row_type(table), rkey)
    if parts[-1] == citext.NAME and (txn is None or citext.resolves(txn)):
        return T.CITEXT  # an extension's type (CREATE EXTENSION citext)
    if parts[-1] == hstore_type.NAME and (txn is None or hstore_type.resolves(txn, schemas)):
        return T.HSTORE  # CREATE EXTENSION hstore's type, in the extension's schema
    return None


def schema_visible(schema: str) -> bool:
    """Is ``schema`` on the search_path of the session running the statement (public without one)?"""
    session = ACTIVE_SESSION.get()
    return schema in session.search_path() if session is not None else schema in ("public", "pg_catalog")


T.USER_TYPES.lookup = lookup
T.USER_TYPES.schema_visible = schema_visible
T.USER_TYPES.quote_ident = sql_quote_ident
# rec -> SqlType of a domain's catalog record (helios_core.sql.domains fills it)
DOMAIN_TYPE: list[Any] = []
