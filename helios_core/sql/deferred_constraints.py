"""DEFERRABLE foreign keys and unique constraints: checks postponed to COMMIT (or to SET
CONSTRAINTS ... IMMEDIATE).

A foreign key or UNIQUE constraint declared ``DEFERRABLE`` is checked at the end of each statement unless it is
deferred: ``INITIALLY DEFERRED`` defers it in every transaction, ``SET CONSTRAINTS {ALL |
name, ...} {DEFERRED | IMMEDIATE}`` changes that for the current transaction. A deferred check
is remembered (the keys the statement wrote or removed) and done again against the data as it
stands when the constraint becomes immediate: at COMMIT, where a violation is PostgreSQL's 23503
and the transaction rolls back, or at ``SET CONSTRAINTS ... IMMEDIATE``, which checks at once.

Re-checking against the data as it is then makes savepoint rollbacks harmless: a remembered key
whose row is gone is simply no violation any more. A deferred UNIQUE constraint is checked over
the whole table (23505). A deferrable PRIMARY KEY is not built (storage keys rows by it): 0A000.
"""

from __future__ import annotations

from typing import Any

import attrs

from helios_core.errors import FeatureNotSupported, HeliosError


@attrs.define
class Pending:
    """Keys a deferred foreign key must still find consistent: ``side`` is "child" (these child
    keys need a parent) or "parent" (these parent keys went away: no child may still use them);
    "unique": the table ``child`` must hold each key of constraint ``fk_name`` at most once."""

    side: str
    child: tuple[str, str]
    fk_name: str
    keys: set[tuple]


@attrs.define
class DeferredState:
    """One transaction's SET CONSTRAINTS modes and pending checks."""

    all_mode: str | None = None  # "deferred" / "immediate" after SET CONSTRAINTS ALL
    by_name: dict[tuple[str, str], str] = attrs.Factory(dict)  # (schema, constraint) -> mode
    pending: list[Pending] = attrs.Factory(list)


def state(session: Any) -> DeferredState:
    st = getattr(session.tx, "deferred", None)
    if st is None:
        st = session.tx.deferred = DeferredState()
    return st


def is_deferred(session: Any, schema: str, fk: dict) -> bool:
    """Whether this foreign key's check waits for COMMIT in the current transaction."""
    if not fk.get("deferrable"):
        return False
    st = getattr(session.tx, "deferred", None)
    if st is not None:
        mode = st.by_name.get((schema, fk["name"])) or st.all_mode
        if mode is not None:
            return mode == "deferred"
    return bool(fk.get("initially_deferred"))


def defer_child_keys(session: Any, child: Any, fk: dict, keys: set[tuple]) -> None:
    state(session).pending.append(Pending("child", (child.schema, child.name), fk["name"], set(keys)))


def defer_parent_keys(session: Any, child: Any, fk: dict, keys: set[tuple]) -> None:
    state(session).pending.append(Pending("parent", (child.schema, child.name), fk["name"], set(keys)))


def defer_unique(session: Any, table: Any, unique: dict) -> None:
    """A deferred UNIQUE constraint the statement wrote to: the whole table is checked for it later."""
    key = (table.schema, table.name)
    if not any(p.side == "unique" and p.child == key and p.fk_name == unique["name"] for p in state(session).pending):
        state(session).pending.append(Pending("unique", key, unique["name"], set()))


def declared_deferral(options: list[Any], what: str) -> dict[str, bool]:
    """``{"deferrable": .., "initially_deferred": ..}`` (only the true ones) from a constraint's
    option words as sqlglot keeps them (``DEFERRABLE``, ``INITIALLY DEFERRED``, ...)."""
    words = [" ".join((o.sql() if hasattr(o, "sql") else str(o)).upper().split()) for o in options or []]
    deferrable = "DEFERRABLE" in words
    initially_deferred = "INITIALLY DEFERRED" in words
    if initially_deferred and "NOT DEFERRABLE" in words:
        raise HeliosError("constraint declared INITIALLY DEFERRED must be DEFERRABLE", sqlstate="42601")
    out: dict[str, bool] = {}
    if deferrable or initially_deferred:
        if what not in ("foreign key", "unique"):
            raise FeatureNotSupported(f"DEFERRABLE {what} constraints are not supported "
                                      "(foreign keys and unique constraints can be deferred)")
        out["deferrable"] = True
    if initially_deferred:
        out["initially_deferred"] = True
    return out
