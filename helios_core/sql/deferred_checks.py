"""SET CONSTRAINTS and the deferred foreign-key and unique checks themselves (see deferred_constraints).

Kept apart from deferred_constraints because the checks reuse constraints.py, which itself
asks deferred_constraints whether a check is deferred.
"""

from __future__ import annotations

from typing import Any

from helios_core.errors import HeliosError
from helios_core.sql import constraints, deferred_constraints
from helios_core.sql.deferred_constraints import Pending


def _foreign_keys(txn: Any) -> list[tuple[Any, dict]]:
    """The deferrable-kind constraints of every table: foreign keys and UNIQUE constraints."""
    return [(t, fk) for t in txn.list_tables() for fk in (t.options or {}).get("foreign_keys", [])] + \
        [(t, u) for t in txn.list_tables() for u in (t.options or {}).get("unique", []) if not u.get("index_only")]


def _other_constraint_names(txn: Any) -> set[tuple[str, str]]:
    """(schema, name) of the constraints that are not foreign keys (never deferrable here)."""
    out = set()
    for t in txn.list_tables():
        o = t.options or {}
        if t.primary_key:
            out.add((t.schema, str(o.get("pk_name") or f"{t.name}_pkey")))
        out.update((t.schema, c["name"]) for c in o.get("checks", []))
    return out


def set_constraints(session: Any, names: list[str] | None, mode: str) -> None:
    """SET CONSTRAINTS in a transaction block: the new mode, and at once the pending checks of the
    constraints it makes immediate."""
    txn = session.tx.current()
    st = deferred_constraints.state(session)
    fks = _foreign_keys(txn)
    if names is None:
        st.all_mode = mode
        st.by_name.clear()
        chosen = [(t, fk) for t, fk in fks if fk.get("deferrable")]
    else:
        chosen = []
        others = _other_constraint_names(txn)
        for name in names:
            schema, _, cname = name.rpartition(".")
            schemas = [schema] if schema else session.search_path()
            hits = [(t, fk) for t, fk in fks if fk["name"] == cname and t.schema in schemas]
            if not hits:
                if any((s, cname) in others for s in schemas):
                    raise HeliosError(f'constraint "{cname}" is not deferrable', sqlstate="42809")
                raise HeliosError(f'constraint "{cname}" does not exist', sqlstate="42704")
            for t, fk in hits:
                if not fk.get("deferrable"):
                    raise HeliosError(f'constraint "{cname}" is not deferrable', sqlstate="42809")
                st.by_name[(t.schema, cname)] = mode
                chosen.append((t, fk))
    if mode == "immediate":
        wanted = {(t.schema, t.name, fk["name"]) for t, fk in chosen}
        check_pending(session, txn, lambda p: (*p.child, p.fk_name) in wanted)


def check_pending(session: Any, txn: Any, which: Any = None) -> None:
    """Run the remembered checks (all, or those ``which`` selects) against the data as it is now."""
    st = getattr(session.tx, "deferred", None)
    if st is None or not st.pending:
        return
    keep, todo = [], []
    for p in st.pending:
        (todo if which is None or which(p) else keep).append(p)
    st.pending = keep
    for p in todo:
        _recheck(txn, p)


def _recheck(txn: Any, p: Pending) -> None:
    if p.side == "unique":
        table = txn.get_table(*p.child)
        unique = next((u for u in (table.options or {}).get("unique", []) if u["name"] == p.fk_name),
                      None) if table is not None else None
        if unique is not None:
            constraints.check_table_unique(txn, table, unique)
        return
    child = txn.get_table(*p.child)
    fk = next((f for f in (child.options or {}).get("foreign_keys", []) if f["name"] == p.fk_name),
              None) if child is not None else None
    if fk is None:
        return  # the table or the constraint was dropped since
    parent = txn.get_table(fk["ref_schema"], fk["ref_table"])
    if parent is None:
        return
    still_used = constraints.existing_keys(txn, child, fk["columns"], p.keys)
    if not still_used:
        return
    present = constraints.present_parent_keys(txn, parent, fk["ref_columns"], still_used)
    for k in sorted(still_used, key=repr):
        if constraints.normalized(k) not in present:
            if p.side == "child":
                raise constraints.child_violation(child, fk, k)
            raise constraints.parent_violation(parent, child, fk, k)
