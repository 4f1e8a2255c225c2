"""Declaring a catalog table: a column list in SQL spelling and a row function over the model."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import pyarrow as pa

from helios_core.sql import types as T
from helios_core.sql.catalog_views.model import CatalogModel, txn_of
from helios_core.sql.virtual_tables import register_virtual_table

Rows = Iterable[Sequence[Any]]


def parse_columns(spec: str) -> list[tuple[str, Any]]:
    """'oid oid, relname name, conkey int2[]' -> [(name, SqlType)]."""
    out = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        name, type_name = part.split(None, 1)
        out.append((name, T.type_from_name(type_name)))
    return out


def _to_table(columns: list[tuple[str, Any]], rows: list[Sequence[Any]]) -> pa.Table:
    arrays = []
    for i, (_, st) in enumerate(columns):
        values = [r[i] if i < len(r) else None for r in rows]
        arrays.append(pa.array(values, type=st.arrow_type))
    return pa.Table.from_arrays(arrays, names=[c[0] for c in columns])


_STATEMENT_MODELS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("catalog_models", default=None)


@contextlib.contextmanager
def one_model_per_execution(cache: dict) -> Iterator[None]:
    """While a statement executes, its catalog tables read one CatalogModel (built from the
    statement's snapshot once, not once per table: asyncpg's type lookup joins six of them)."""
    token = _STATEMENT_MODELS.set(cache)
    try:
        yield
    finally:
        _STATEMENT_MODELS.reset(token)


def shared_model(session: Any) -> CatalogModel:
    cache = _STATEMENT_MODELS.get()
    if cache is None:
        return _session_model(session)
    key = ("catalog_model", id(session))
    model = cache.get(key)
    if model is None:
        model = cache[key] = _session_model(session)
    return model


def _session_model(session: Any) -> CatalogModel:
    """The session's model of its last statement again when no catalog changed since: the same
    branch, role and database, no DDL of its own in the transaction, and a snapshot that sees the
    latest catalog commit (an ORM's reflection runs dozens of catalog queries in a row)."""
    txn = txn_of(session)
    store = getattr(txn, "store", None)
    if txn is None or store is None or getattr(txn, "ddl", True):
        return CatalogModel(session)
    version = store.catalog_version  # read before catalog_ts, as get_table does
    try:
        fresh = txn.snapshot_ts >= store.catalog_ts
        stamp = (txn.branch_id, version, getattr(session, "user", None), getattr(session, "database", None))
    except Exception:  # noqa: BLE001 - an aborted or finished transaction: build from scratch
        return CatalogModel(session)
    memo = getattr(session, "_catalog_model_memo", None)
    if fresh and memo is not None and memo[0] == stamp:
        model = memo[1]
        model.txn = txn
        return model
    model = CatalogModel(session)
    if fresh:
        session._catalog_model_memo = (stamp, model)
    return model


def catalog_table(schema: str, name: str, spec: str, *, catalog_only: bool = False
                  ) -> Callable[[Callable[[CatalogModel], Rows]], Any]:
    """Decorator: register ``schema.name`` whose rows come from ``fn(model)`` (tuples in column order).
    ``catalog_only``: the rows follow from the catalog alone (no statistics, settings or session
    state), so a model reused while no catalog changed keeps the table it built too."""
    columns = parse_columns(spec)

    def deco(fn: Callable[[CatalogModel], Rows]) -> Callable[[CatalogModel], Rows]:
        def produce(session: Any) -> pa.Table:
            model = shared_model(session)
            if not catalog_only:
                return _to_table(columns, [tuple(r) for r in fn(model)])
            table = model.produced.get(name)
            if table is None:
                table = model.produced[name] = _to_table(columns, [tuple(r) for r in fn(model)])
            return table

        register_virtual_table(schema, name, columns, produce)
        return fn

    return deco


def static_table(schema: str, name: str, spec: str, rows: Sequence[Sequence[Any]] = ()) -> None:
    """A catalog table whose rows never change (often empty: features we don't have)."""
    columns = parse_columns(spec)
    frozen = [tuple(r) for r in rows]
    register_virtual_table(schema, name, columns, lambda session: _to_table(columns, frozen))
