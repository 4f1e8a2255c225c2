"""Declaring a catalog table: a column list in SQL spelling and a row function over the model."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyarrow as pa

from helios_core.sql import types as T
from helios_core.sql.catalog_views.model import CatalogModel
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


def catalog_table(schema: str, name: str, spec: str) -> Callable[[Callable[[CatalogModel], Rows]], Any]:
    """Decorator: register ``schema.name`` whose rows come from ``fn(model)`` (tuples in column order)."""
    columns = parse_columns(spec)

    def deco(fn: Callable[[CatalogModel], Rows]) -> Callable[[CatalogModel], Rows]:
        def produce(session: Any) -> pa.Table:
            model = CatalogModel(session)
            return _to_table(columns, [tuple(r) for r in fn(model)])

        register_virtual_table(schema, name, columns, produce)
        return fn

    return deco


def static_table(schema: str, name: str, spec: str, rows: Sequence[Sequence[Any]] = ()) -> None:
    """A catalog table whose rows never change (often empty: features we don't have)."""
    columns = parse_columns(spec)
    frozen = [tuple(r) for r in rows]
    register_virtual_table(schema, name, columns, lambda session: _to_table(columns, frozen))
