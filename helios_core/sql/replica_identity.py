"""ALTER TABLE ... REPLICA IDENTITY {DEFAULT | FULL | NOTHING | USING INDEX name}, as PostgreSQL 15.

A table's replica identity names the columns that identify an old row in a logical change
stream. HeliosDB streams no changes, but PostgreSQL refuses UPDATE/DELETE of a published table
whose identity cannot identify rows (helios_core.sql.publications), so the setting matters.
Kept in the table's options as ``replica_identity`` ('d', 'f', 'n', 'i': pg_class.relreplident)
and ``replica_identity_index``.
"""

from __future__ import annotations

from typing import Any

from helios_core.errors import HeliosError, UndefinedObject, UndefinedTable
from helios_core.session import Result
from helios_core.sql import object_privileges

_CODES = {"default": "d", "full": "f", "nothing": "n", "index": "i"}


def code(tdef: Any) -> str:
    return str((tdef.options or {}).get("replica_identity") or "d")


def identity_columns(tdef: Any, txn: Any) -> list[str] | None:
    """The columns that identify a row (None: every column, FULL); [] when there are none."""
    ident = code(tdef)
    if ident == "f":
        return None
    if ident == "n":
        return []
    if ident == "i":
        rec = _index(txn, tdef, str(tdef.options.get("replica_identity_index")))
        return list((rec or {}).get("columns") or [])
    return list(tdef.primary_key)


def has_identity(tdef: Any) -> bool:
    """FULL, USING INDEX, or DEFAULT with a primary key."""
    ident = code(tdef)
    return ident in ("f", "i") or (ident == "d" and bool(tdef.primary_key))


def alter(session: Any, a: dict) -> Result:
    txn = session.tx.current()
    parts = a["table"].split(".")
    schemas = [parts[0]] if len(parts) > 1 else session.search_path()
    tdef = next((t for s in schemas if (t := txn.get_table(s, parts[-1])) is not None), None)
    if tdef is None:
        if a["if_exists"]:
            return Result(command_tag="ALTER TABLE",
                          notices=[f'relation "{a["table"]}" does not exist, skipping'])
        raise UndefinedTable(f'relation "{a["table"]}" does not exist')
    object_privileges.check_owner(session, object_privileges.ObjectRef("table", tdef.name, tdef.schema), txn)
    options: dict[str, Any] = {"replica_identity": _CODES[a["identity"]], "replica_identity_index": None}
    if a["identity"] == "index":
        options["replica_identity_index"] = _checked_index(txn, tdef, a["index"])
    txn.alter_table(tdef.schema, tdef.name, options=options)
    return Result(command_tag="ALTER TABLE")


def _index(txn: Any, tdef: Any, name: str) -> dict | None:
    """An index of the table by name: CREATE INDEX's record, else a PRIMARY KEY or UNIQUE constraint's."""
    rec = txn.catalog_get("index", f"{tdef.schema}.{name}")
    if rec is not None:
        return rec
    opts = tdef.options or {}
    if tdef.primary_key and name == (opts.get("pk_name") or f"{tdef.name}_pkey"):
        return {"table": tdef.name, "columns": list(tdef.primary_key), "unique": True}
    for u in opts.get("unique") or []:
        if u.get("name") == name:
            return {"table": tdef.name, "columns": list(u.get("columns") or []), "unique": True}
    return None


def _checked_index(txn: Any, tdef: Any, name: str) -> str:
    """USING INDEX: a unique, non-partial, immediate index of this table on NOT NULL columns."""
    rec = _index(txn, tdef, name)
    if rec is None:
        raise UndefinedObject(f'index "{name}" for table "{tdef.name}" does not exist')
    if rec.get("table") != tdef.name:
        raise UndefinedObject(f'"{name}" is not an index for table "{tdef.name}"', sqlstate="42809")
    if not rec.get("unique"):
        raise HeliosError(f'cannot use non-unique index "{name}" as replica identity', sqlstate="42809")
    if rec.get("where"):
        raise HeliosError(f'cannot use partial index "{name}" as replica identity', sqlstate="42809")
    if any("expr" in k for k in rec.get("keys") or []):
        raise HeliosError(f'index "{name}" cannot be used as replica identity because column 0 is a system '
                          "column", sqlstate="42809")
    for col in rec.get("columns") or []:
        cdef = tdef.column(col)
        if cdef is not None and cdef.nullable and col not in tdef.primary_key:
            raise HeliosError(f'index "{name}" cannot be used as replica identity because column "{col}" is '
                              "nullable", sqlstate="42809")
    return name
