"""The secondary indexes a scan may read through: the table's btree and hash indexes on a plain
leading column (no partial-index predicate), plus the hypothetical ones of a what-if plan.

The pushdown rule (helios_core.logical.rules.push_filters_into_scans) picks one whose
leading column a WHERE term compares with a per-execution value; storage then reads each
chunk at the rows the index finds (helios_core.storage.secondary_index).
"""

from __future__ import annotations

from typing import Any

from helios_core.logical.index_choice import INDEX_OPS


def usable_indexes(ctx: Any, schema: str, table: str, tdef: Any) -> list[tuple[str, str, str, bool]]:
    """(index name, leading column, method, hypothetical) of the indexes a scan of the table may use."""
    out: list[tuple[str, str, str, bool]] = []
    names = (getattr(tdef, "options", None) or {}).get("indexes") or ()
    txn = getattr(ctx, "txn", None)
    if names and txn is not None:
        for iname in names:
            rec = txn.catalog_get("index", f"{schema}.{iname}")
            if not rec or rec.get("primary") or rec.get("where"):
                continue
            keys = rec.get("keys") or [{"column": c} for c in rec.get("columns") or ()]
            method = rec.get("method") or "btree"
            if keys and keys[0].get("column") and method in INDEX_OPS:
                out.append((iname, keys[0]["column"], method, False))
    hypothetical = getattr(ctx, "hypothetical_indexes", None)
    if hypothetical:
        out.extend((iname, column, "btree", True) for iname, column in hypothetical.get((schema, table), ()))
    return out


def one_row_indexes(ctx: Any, schema: str, tdef: Any) -> frozenset[str]:
    """The names of the table's unique indexes on one plain column (not partial): an equality
    on that column finds at most one row (a deferred constraint's duplicates aside), so a lookup
    through one is as short as a primary-key read (``sql.point_reads``)."""
    names = (getattr(tdef, "options", None) or {}).get("indexes") or ()
    txn = getattr(ctx, "txn", None)
    if not names or txn is None:
        return frozenset()
    out = []
    for iname in names:
        rec = txn.catalog_get("index", f"{schema}.{iname}")
        if not rec or rec.get("primary") or rec.get("where") or not rec.get("unique"):
            continue
        keys = rec.get("keys") or [{"column": c} for c in rec.get("columns") or ()]
        if len(keys) == 1 and keys[0].get("column"):
            out.append(iname)
    return frozenset(out)
