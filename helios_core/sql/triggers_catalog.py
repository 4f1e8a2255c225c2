"""Where triggers are kept: the table option "triggers", a list of trigger records in
creation order (helios_core.sql.triggers fires them in name order, as PostgreSQL does). Functions ask here which triggers
would break if they were dropped."""

from __future__ import annotations

from typing import Any

OPTION = "triggers"
INSTEAD_OF = "INSTEAD OF"  # the timing of a view's triggers (helios_core.sql.instead_of_triggers)


def of_table(tdef: Any) -> list[dict]:
    return list((getattr(tdef, "options", None) or {}).get(OPTION) or [])


def using_function(txn: Any, routine: Any) -> list[tuple[str, str]]:
    """(table, trigger) pairs whose trigger calls ``routine``."""
    key = f"{routine.schema}.{routine.name}"
    out = []
    for tdef in txn.list_tables():
        for trig in of_table(tdef):
            if trig.get("function") == key:
                out.append((tdef.name, trig["name"]))
    return out


def remove(txn: Any, table: str, trigger: str) -> None:
    for tdef in txn.list_tables():
        if tdef.name == table:
            kept = [t for t in of_table(tdef) if t["name"] != trigger]
            txn.alter_table(tdef.schema, tdef.name, options={OPTION: kept})


def instead_of_fires(view_record: dict, command: str) -> bool:
    """Whether a view (its catalog record) has an enabled INSTEAD OF ROW trigger for ``command``."""
    return any(t["timing"] == INSTEAD_OF and command in t["events"] and t.get("enabled") is not False
               for t in view_record.get(OPTION) or [])
