"""Triggers as pg_catalog shows them: pg_trigger rows and pg_get_triggerdef (pg_dump, psql \\d)."""

from __future__ import annotations

from typing import Any

from helios_core.sql import triggers_catalog
from helios_core.sql.catalog_views.model import stable_oid
from helios_core.sql.routines.definition import overloads

_TIMING_BITS = {"BEFORE": 2, "AFTER": 0}
_EVENT_BITS = {"INSERT": 4, "DELETE": 8, "UPDATE": 16, "TRUNCATE": 32}


def trigger_oid(schema: str, table: str, name: str) -> int:
    return stable_oid("trigger", f"{schema}.{table}.{name}")


def tgtype(record: dict) -> int:
    bits = (1 if record["level"] == "ROW" else 0) | _TIMING_BITS[record["timing"]]
    for e in record["events"]:
        bits |= _EVENT_BITS[e]
    return bits


def function_oid(txn: Any, dotted: str) -> int:
    schema, name = dotted.split(".", 1)
    found = overloads(txn, schema, name)
    return int(found[0].get("oid") or 0) if found else 0


def rows(model: Any) -> list[tuple]:
    out = []
    for rel in model.relations:
        if rel.kind != "r":
            continue
        for record in triggers_catalog.of_table(rel):
            numbers = {c.name: c.number for c in rel.columns}
            args = list(record.get("args") or [])
            out.append((
                trigger_oid(rel.schema, rel.name, record["name"]), rel.oid, 0, record["name"],
                function_oid(model.txn, record["function"]), tgtype(record),
                "D" if record.get("enabled") is False else "O", False, 0, 0, 0, False, False,
                len(args), [numbers.get(c, 0) for c in record.get("columns") or []],
                b"".join(a.encode() + b"\0" for a in args), record.get("when"), None, None))
    return out


def definition(model: Any, oid: int) -> str | None:
    """CREATE TRIGGER as pg_get_triggerdef prints it."""
    for rel in model.relations:
        if rel.kind != "r":
            continue
        for record in triggers_catalog.of_table(rel):
            if trigger_oid(rel.schema, rel.name, record["name"]) != oid:
                continue
            events = []
            for e in record["events"]:
                if e == "UPDATE" and record.get("columns"):
                    events.append("UPDATE OF " + ", ".join(record["columns"]))
                else:
                    events.append(e)
            text = (f"CREATE TRIGGER {record['name']} {record['timing']} {' OR '.join(events)} ON "
                    f"{rel.schema}.{rel.name} FOR EACH {record['level']} ")
            if record.get("when"):
                text += f"WHEN (({record['when']})) "
            args = ", ".join("'" + a.replace("'", "''") + "'" for a in record.get("args") or [])
            return text + f"EXECUTE FUNCTION {record['function']}({args})"
    return None
