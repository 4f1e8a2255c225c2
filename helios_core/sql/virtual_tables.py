"""Virtual tables: relations computed on demand from the session (pg_catalog, heliosdb.branches ...).

The core's own register once at import time; plugins return ``hookspecs.VirtualTable``s from
the ``helios_virtual_tables`` hook (loaded with the built-ins, on first lookup)::

    register_virtual_table("heliosdb", "branches", [("name", types.TEXT), ...],
                           lambda session: pa.table({...}))

The planner (helios_core.sql.context.QueryContext.resolve_relation) looks names up here
after the real catalog of the session's branch. ``produce(session)`` returns a pa.Table
whose columns are in the declared order (extra columns are ignored; missing ones are NULL).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import attrs
import pyarrow as pa

from helios_core import plugins
from helios_core.sql import types


@attrs.define(kw_only=True)
class VirtualTable:
    schema: str
    name: str
    columns: list[tuple[str, Any]]  # (name, SqlType)
    produce: Callable[[Any], pa.Table]

    def table(self, session: Any) -> pa.Table:
        """The rows as a pa.Table shaped exactly like ``columns``."""
        raw = self.produce(session)
        arrays = []
        for name, sql_type in self.columns:
            arrow_type = sql_type.arrow_type
            if name in raw.column_names:
                col = raw.column(name)
                if col.type != arrow_type:
                    col = col.cast(arrow_type)
                arrays.append(col)
            else:
                arrays.append(pa.nulls(raw.num_rows, arrow_type))
        schema = pa.schema([pa.field(n, t.arrow_type) for n, t in self.columns])
        return pa.Table.from_arrays(arrays, schema=schema)


_LOCK = threading.Lock()
REGISTRY: dict[tuple[str, str], VirtualTable] = {}


def register_virtual_table(
    schema: str, name: str, columns: list[tuple[str, Any]], produce: Callable[[Any], pa.Table]
) -> VirtualTable:
    """Register (or replace) schema.name."""
    vt = VirtualTable(schema=schema, name=name, columns=list(columns), produce=produce)
    with _LOCK:
        REGISTRY[(schema, name)] = vt
    return vt


def lookup_virtual_table(schema: str, name: str) -> VirtualTable | None:
    _ensure_builtin()
    return REGISTRY.get((schema, name))


def list_virtual_tables(schema: str | None = None) -> list[VirtualTable]:
    _ensure_builtin()
    return [v for (s, _), v in REGISTRY.items() if schema is None or s == schema]


_BUILTIN_LOADED = False


def _ensure_builtin() -> None:
    """Import the modules that register virtual tables (once; tolerant of absent ones)."""
    global _BUILTIN_LOADED
    if _BUILTIN_LOADED:
        return
    _BUILTIN_LOADED = True
    import importlib

    for mod in ("helios_core.sql.catalog_views",):
        try:
            importlib.import_module(mod)
        except ImportError:
            pass
    for vt in plugins.virtual_tables(plugins.get_plugin_manager()):  # helios_virtual_tables hook
        columns = [(name, types.type_from_name(type_name)) for name, type_name in vt.columns]
        register_virtual_table(vt.schema, vt.name, columns, vt.produce)
