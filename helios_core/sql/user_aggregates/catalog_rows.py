"""pg_aggregate rows of CREATE AGGREGATE's aggregates (their pg_proc rows, prokind 'a', are the
routines' own)."""

from __future__ import annotations

from typing import Any

from helios_core.sql.catalog_views.model import stable_oid
from helios_core.sql.routines import definition, regproc

COLUMNS = """aggfnoid regproc, aggkind "char", aggnumdirectargs int2, aggtransfn regproc, aggfinalfn regproc,
    aggcombinefn regproc, aggserialfn regproc, aggdeserialfn regproc, aggmtransfn regproc, aggminvtransfn regproc,
    aggmfinalfn regproc, aggfinalextra bool, aggmfinalextra bool, aggfinalmodify "char", aggmfinalmodify "char",
    aggsortop oid, aggtranstype oid, aggtransspace int4, aggmtranstype oid, aggmtransspace int4, agginitval text,
    aggminitval text"""


def _function_oid(txn: Any, name: str | None) -> int:
    """The pg_proc OID of a support function as the aggregate names it (0 for none)."""
    if not name:
        return 0
    if "." in name:
        schema, bare = name.split(".", 1)
        found = definition.overloads(txn, schema, bare)
        if found and found[0].get("oid"):
            return int(found[0]["oid"])
        return stable_oid("function", name)
    return regproc.builtin_oid(name)


def _type_oid(name: str | None) -> int:
    if not name:
        return 0
    try:
        return definition.resolve_type(name).oid
    except Exception:  # noqa: BLE001 - a type dropped since shows as 0
        return 0


def rows(txn: Any) -> list[tuple]:
    out = []
    for value in txn.catalog_list(definition.KIND).values() if txn is not None else ():
        for record in value.get("overloads") or []:
            agg = record.get("aggregate")
            if record["kind"] != "a" or not agg:
                continue
            out.append((
                int(record.get("oid") or 0), agg.get("aggkind", "n"), agg.get("direct_args", 0),
                _function_oid(txn, agg["sfunc"]), _function_oid(txn, agg.get("finalfunc")),
                _function_oid(txn, agg.get("combinefunc")), 0, 0, _function_oid(txn, agg.get("msfunc")),
                _function_oid(txn, agg.get("minvfunc")), 0, bool(agg.get("finalfunc_extra")), False,
                agg.get("finalfunc_modify", "r"), "r", 0, _type_oid(agg["stype"]), 0, _type_oid(agg.get("mstype")), 0,
                agg.get("initcond"), agg.get("minitcond")))
    return out
