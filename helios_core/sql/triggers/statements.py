"""CREATE [OR REPLACE] TRIGGER and DROP TRIGGER."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError, UndefinedTable
from helios_core.session import Result
from helios_core.sql import ddl, object_privileges, triggers_catalog, updatable_views
from helios_core.sql.missing_schema import UNDEFINED_SCHEMA, missing_schema
from helios_core.sql.routines import definition
from helios_core.sql.user_types import split_name


def _table(session: Any, txn: Any, dotted: str) -> Any:
    parts = dotted.split(".")
    node = exp.Table(this=exp.to_identifier(parts[-1]), db=exp.to_identifier(parts[0]) if len(parts) > 1 else None)
    schema, name = ddl.table_name(session, node, txn)
    tdef = txn.get_table(schema, name)
    if tdef is None:
        if txn.catalog_get("view", f"{schema}.{name}") is not None:
            raise HeliosError(f'"{name}" is a view', sqlstate="42809",
                              detail="Views cannot have row-level BEFORE or AFTER triggers.")
        raise UndefinedTable(f'relation "{name}" does not exist')
    return tdef


def _view(session: Any, txn: Any, dotted: str) -> tuple[str, dict] | None:
    """(catalog key, record) of the view ``dotted`` names, or None when it names no view."""
    parts = dotted.split(".")
    node = exp.Table(this=exp.to_identifier(parts[-1]), db=exp.to_identifier(parts[0]) if len(parts) > 1 else None)
    found = updatable_views.view_record(session, txn, node)  # a temporary view too
    return None if found is None else (f"{found[0]}.{found[1]}", found[2])


def _check_instead_of(record: dict) -> None:
    """What PostgreSQL refuses of an INSTEAD OF trigger, whatever it is on."""
    if record["level"] != "ROW":
        raise FeatureNotSupported("INSTEAD OF triggers must be FOR EACH ROW")
    if record.get("when"):
        raise FeatureNotSupported("INSTEAD OF triggers cannot have WHEN conditions")
    if record.get("columns"):
        raise FeatureNotSupported("INSTEAD OF triggers cannot have column lists")


def _routine_record(session: Any, txn: Any, a: dict) -> dict:
    found = definition.find(session, txn, a["function"], 0, procedure=None)
    if not found:
        raise definition.UndefinedFunction(f"function {a['function']}() does not exist")
    routine = found[0]
    if routine.record.get("returns") != "trigger":
        raise HeliosError(f"function {routine.name} must return type trigger", sqlstate="42P17")
    return {**a["record"], "function": f"{routine.schema}.{routine.name}"}


def _create_on_view(session: Any, txn: Any, a: dict, key: str, rec: dict) -> Result:
    """CREATE TRIGGER ... INSTEAD OF ... ON view: kept in the view's catalog record."""
    name = key.split(".", 1)[1]
    if a["record"]["timing"] != "INSTEAD OF":
        raise HeliosError(f'"{name}" is a view', sqlstate="42809",
                          detail="Views cannot have row-level BEFORE or AFTER triggers."
                          if a["record"]["level"] == "ROW" else None)
    _check_instead_of(a["record"])
    if not object_privileges.is_owner(session, object_privileges.ObjectRef("table", name, key.split(".", 1)[0])):
        raise HeliosError(f"must be owner of view {name}", sqlstate="42501")
    record = _routine_record(session, txn, a)
    existing = list(rec.get(triggers_catalog.OPTION) or [])
    if any(t["name"] == record["name"] for t in existing):
        if not a["replace"]:
            raise HeliosError(f'trigger "{record["name"]}" for relation "{name}" already exists', sqlstate="42710")
        existing = [record if t["name"] == record["name"] else t for t in existing]
    else:
        existing.append(record)
    txn.catalog_put("view", key, {**rec, triggers_catalog.OPTION: existing})
    return Result(command_tag="CREATE TRIGGER")


def create(session: Any, a: dict) -> Result:
    txn = session.tx.current()
    view = _view(session, txn, a["table"])
    if view is not None:
        return _create_on_view(session, txn, a, *view)
    tdef = _table(session, txn, a["table"])
    if a["record"]["timing"] == "INSTEAD OF":
        _check_instead_of(a["record"])
        raise HeliosError(f'"{tdef.name}" is a table', sqlstate="42809",
                          detail="Tables cannot have INSTEAD OF triggers.")
    if not object_privileges.is_owner(session, object_privileges.ObjectRef("table", tdef.name, tdef.schema)):
        raise HeliosError(f"must be owner of table {tdef.name}", sqlstate="42501")
    found = definition.find(session, txn, a["function"], 0, procedure=None)
    if not found:
        raise definition.UndefinedFunction(f"function {a['function']}() does not exist")
    routine = found[0]
    if routine.record.get("returns") != "trigger":
        raise HeliosError(f"function {routine.name} must return type trigger", sqlstate="42P17")
    record = {**a["record"], "function": f"{routine.schema}.{routine.name}"}
    when = record.get("when")
    if when and record["level"] == "STATEMENT" and any(
            w in when.lower().replace("(", " ").split() or f"{w}." in when.lower() for w in ("new", "old")):
        raise HeliosError("statement trigger's WHEN condition cannot reference column values", sqlstate="42P17")
    if when and "new." in when.lower() and record["events"] == ["DELETE"]:
        raise HeliosError("DELETE trigger's WHEN condition cannot reference NEW values", sqlstate="42P17")
    if when and "old." in when.lower() and record["events"] == ["INSERT"]:
        raise HeliosError("INSERT trigger's WHEN condition cannot reference OLD values", sqlstate="42P17")
    existing = triggers_catalog.of_table(tdef)
    if any(t["name"] == record["name"] for t in existing):
        if not a["replace"]:
            raise HeliosError(f'trigger "{record["name"]}" for relation "{tdef.name}" already exists',
                              sqlstate="42710")
        existing = [record if t["name"] == record["name"] else t for t in existing]
    else:
        existing.append(record)
    txn.alter_table(tdef.schema, tdef.name, options={triggers_catalog.OPTION: existing})
    return Result(command_tag="CREATE TRIGGER")


def _table_unless_skipped(session: Any, txn: Any, a: dict) -> Any:
    """The statement's table, or None when it is missing and the statement says IF EXISTS."""
    schema = missing_schema(txn, split_name(a["table"]))
    if schema is not None:  # PostgreSQL looks the schema up first
        if a["if_exists"]:
            a["skipped"] = f'schema "{schema}" does not exist'
            return None
        raise HeliosError(f'schema "{schema}" does not exist', sqlstate=UNDEFINED_SCHEMA)
    try:
        return _table(session, txn, a["table"])
    except UndefinedTable:
        if a["if_exists"]:
            return None
        raise


def _skipped(tag: str, a: dict) -> Result:
    missing = a.get("skipped") or f'relation "{a["table"]}" does not exist'
    return Result(command_tag=tag, notices=[f"{missing}, skipping"])


def enable(session: Any, a: dict) -> Result:
    """ALTER TABLE t ENABLE | DISABLE TRIGGER name | ALL | USER (a disabled trigger does not fire)."""
    txn = session.tx.current()
    tdef = _table_unless_skipped(session, txn, a)
    if tdef is None:
        return _skipped("ALTER TABLE", a)
    if not object_privileges.is_owner(session, object_privileges.ObjectRef("table", tdef.name, tdef.schema)):
        raise HeliosError(f"must be owner of table {tdef.name}", sqlstate="42501")
    existing = triggers_catalog.of_table(tdef)
    which = a["which"]
    if which not in ("all", "user") and not any(t["name"] == which for t in existing):
        raise HeliosError(f'trigger "{which}" for table "{tdef.name}" does not exist', sqlstate="42704")
    changed = [{**t, "enabled": a["enable"]} if which in ("all", "user") or t["name"] == which else t
               for t in existing]
    txn.alter_table(tdef.schema, tdef.name, options={triggers_catalog.OPTION: changed})
    return Result(command_tag="ALTER TABLE")


def drop(session: Any, a: dict) -> Result:
    txn = session.tx.current()
    view = _view(session, txn, a["table"]) if missing_schema(txn, split_name(a["table"])) is None else None
    if view is not None:  # a view's INSTEAD OF trigger
        key, rec = view
        name = key.split(".", 1)[1]
        existing = list(rec.get(triggers_catalog.OPTION) or [])
        if not any(t["name"] == a["name"] for t in existing):
            if a["if_exists"]:
                return Result(command_tag="DROP TRIGGER",
                              notices=[f'trigger "{a["name"]}" for relation "{name}" does not exist, skipping'])
            raise HeliosError(f'trigger "{a["name"]}" for table "{name}" does not exist', sqlstate="42704")
        if not object_privileges.is_owner(session, object_privileges.ObjectRef("table", name, key.split(".", 1)[0])):
            raise HeliosError(f"must be owner of view {name}", sqlstate="42501")
        txn.catalog_put("view", key, {**rec, triggers_catalog.OPTION: [t for t in existing
                                                                       if t["name"] != a["name"]]})
        return Result(command_tag="DROP TRIGGER")
    tdef = _table_unless_skipped(session, txn, a)
    if tdef is None:
        return _skipped("DROP TRIGGER", a)
    existing = triggers_catalog.of_table(tdef)
    if not any(t["name"] == a["name"] for t in existing):
        if a["if_exists"]:
            return Result(command_tag="DROP TRIGGER",
                          notices=[f'trigger "{a["name"]}" for relation "{tdef.name}" does not exist, skipping'])
        raise HeliosError(f'trigger "{a["name"]}" for table "{tdef.name}" does not exist', sqlstate="42704")
    if not object_privileges.is_owner(session, object_privileges.ObjectRef("table", tdef.name, tdef.schema)):
        raise HeliosError(f"must be owner of table {tdef.name}", sqlstate="42501")
    triggers_catalog.remove(txn, tdef.name, a["name"])
    return Result(command_tag="DROP TRIGGER")
