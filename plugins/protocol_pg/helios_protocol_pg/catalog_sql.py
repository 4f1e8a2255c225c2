"""Rewrites for the catalog queries psql sends that the SQL layer cannot answer by itself.

The SQL layer itself accepts ``pg_catalog.fn(...)``, ``OPERATOR(pg_catalog.~)``, ``COLLATE``,
``'name'::regclass``, the other OID-alias casts and regclass names in select lists
(helios_core.sql.planner.qualified_names). What is left here: pg_partition_ancestors. Only
statements that mention it are looked at, so ordinary queries pay nothing.
"""

from __future__ import annotations

import re

# no table partitioning: a relation's partition ancestors are just itself (depth 1)
_ANCESTORS_FROM_RULE = (
    re.compile(r"\b(?:pg_catalog\.)?pg_partition_ancestors\s*\(\s*([\w.]+)\s*\)\s+WITH\s+ORDINALITY\s+AS\s+"
               r"(\w+)\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)", re.IGNORECASE),
    r"(SELECT \1 AS \3, 1::int8 AS \4) AS \2")
_ANCESTORS_RULE = (re.compile(r"\b(?:pg_catalog\.)?pg_partition_ancestors\s*\(\s*('\d+')\s*\)", re.IGNORECASE),
                   r"\1::oid")

def needs_normalizing(sql: str) -> bool:
    low = sql.lower()
    return "pg_partition_ancestors" in low


def normalize(sql: str) -> str:
    """Apply the rewrites of the module doc (only these spellings; literals untouched by design of
    the patterns: each needs an identifier or a digit-only literal)."""
    if not needs_normalizing(sql):
        return sql
    for rx, repl in (_ANCESTORS_FROM_RULE, _ANCESTORS_RULE):
        sql = rx.sub(repl, sql)
    return sql
