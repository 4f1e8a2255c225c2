"""The search plugin's hook implementations: full-text types, functions, operators, config."""

from __future__ import annotations

from typing import Any

from helios_core.hookspecs import hookimpl
from helios_search import bm25_index, configurations, gin_index, sql_functions, table_functions


@hookimpl
def helios_sql_types():
    return sql_functions.TYPES


@hookimpl
def helios_sql_functions():
    return sql_functions.FUNCTIONS


@hookimpl
def helios_sql_operators():
    return sql_functions.OPERATORS + bm25_index.UNINDEXED_OPERATORS


@hookimpl
def helios_table_functions():
    return table_functions.TABLE_FUNCTIONS


@hookimpl
def helios_startup(kernel: Any) -> None:
    """[search] default_text_search_config: the configuration of one-argument to_tsvector etc."""
    section = getattr(kernel.config, "search", None) or {}
    bm25_index.configure(section)
    name = section.get("default_text_search_config")
    if name:
        configurations.DEFAULT_CONFIG[0] = configurations.configuration(name).name


@hookimpl
def helios_index_kinds():
    """bm25 (tantivy); gin and gist over tsvector, which find the rows of @@; gin over jsonb (? and @>)."""
    return [bm25_index.INDEX_KIND, gin_index.GIN, gin_index.GIST]
