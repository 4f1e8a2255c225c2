"""The SQL pieces plugins add beyond functions and tables: aggregates, procedures, statements
and table parameters (``helios_sql_aggregates``, ``helios_sql_procedures``,
``helios_sql_statements``, ``helios_table_parameters``).

They are looked up by the parser and planner, which know no plugin manager, so they are
collected once from the process-wide one (built-ins and installed plugins) on first lookup.
"""

from __future__ import annotations

import threading
from typing import Any

import attrs

from helios_core import plugins


@attrs.define
class _Extensions:
    aggregates: dict[str, Any]
    procedures: dict[str, Any]
    statements: list[Any]
    words: dict[str, Any]
    parameters: dict[str, Any]


_LOCK = threading.RLock()
_loaded: _Extensions | None = None
_NONE = _Extensions(aggregates={}, procedures={}, statements=[], words={}, parameters={})
_loading = threading.local()


def _extensions() -> _Extensions:
    global _loaded
    if _loaded is None:
        with _LOCK:
            if getattr(_loading, "active", False):  # a plugin parsing SQL while it is being loaded
                return _NONE
            if _loaded is None:
                _loading.active = True
                try:
                    _loaded = _collect()
                finally:
                    _loading.active = False
    return _loaded


def _collect() -> _Extensions:
    pm = plugins.get_plugin_manager()
    params: dict[str, Any] = {}
    for owner in plugins.table_parameters(pm):
        for name in owner.names:
            params[name.lower()] = owner
    statements = plugins.sql_statements(pm)
    return _Extensions(
        aggregates={a.name.lower(): a for a in plugins.sql_aggregates(pm)},
        procedures={f"{p.schema}.{p.name}".lower(): p for p in plugins.sql_procedures(pm)},
        statements=sorted((s for s in statements if s.first_words), key=lambda s: -len(s.first_words)),
        words={s.word.upper(): s for s in statements if s.word},
        parameters=params,
    )


def aggregate(name: str) -> Any:
    """The plugin aggregate called ``name``, or None."""
    return _extensions().aggregates.get(name.lower())


def aggregate_names() -> set[str]:
    return set(_extensions().aggregates)


def procedure(qualified_name: str) -> Any:
    """The plugin procedure ``schema.name``, or None."""
    return _extensions().procedures.get(qualified_name.lower())


def statement_starting(words: list[str]) -> Any:
    """The plugin statement whose first words are ``words``' (upper case), or None."""
    for st in _extensions().statements:
        n = len(st.first_words)
        if tuple(words[:n]) == tuple(st.first_words):
            return st
    return None


def statement_with_word(words: list[str]) -> Any:
    """The plugin statement that takes any statement holding one of ``words`` (upper case), or None."""
    index = _extensions().words
    if not index:
        return None
    return next((index[w] for w in words if w in index), None)


def statement_named(name: str) -> Any:
    ext = _extensions()
    return next(st for st in [*ext.statements, *ext.words.values()] if st.name == name)


def parameter_owner(name: str) -> Any:
    """The plugin that owns table parameter ``name``, or None."""
    return _extensions().parameters.get(name.lower())
