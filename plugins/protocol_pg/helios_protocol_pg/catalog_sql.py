"""Spelling normalization for the catalog queries psql and drivers send.

psql writes ``pg_catalog.pg_table_is_visible(c.oid)``, ``OPERATOR(pg_catalog.~)`` and
``COLLATE pg_catalog.default``, and SQLAlchemy ``CAST('name' AS REGCLASS)``; the SQL layer resolves unqualified names in pg_catalog
first anyway, so dropping the ``pg_catalog.`` qualifier from function calls, operators
and casts, and the no-op default collation, keeps the meaning; a name cast to regclass becomes
``to_regclass(name)`` (an OID from the catalog views). Only text outside string
literals and quoted identifiers is touched, and only statements that mention
``pg_catalog.`` or ``OPERATOR(`` are looked at, so ordinary queries pay nothing.
This is a shim for the SQL layer: once its parser accepts these spellings it can go.
"""

from __future__ import annotations

import re

_LITERALS = re.compile(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\$\$.*?\$\$)", re.DOTALL)
_RULES = [
    (re.compile(r"OPERATOR\s*\(\s*pg_catalog\s*\.\s*([^)\s]+)\s*\)", re.IGNORECASE), r"\1"),
    (re.compile(r"\s+COLLATE\s+pg_catalog\s*\.\s*(?:default|\"default\")", re.IGNORECASE), ""),
    (re.compile(r"\bpg_catalog\s*\.\s*(\w+)(\s*\()", re.IGNORECASE), r"\1\2"),
    (re.compile(r"::\s*pg_catalog\s*\.\s*", re.IGNORECASE), "::"),
    # OID alias types the SQL layer lacks; psql only applies them to columns of empty catalogs
    (re.compile(r"::\s*(?:regnamespace|regrole|regoper|regoperator|regprocedure|regconfig)\b", re.IGNORECASE),
     "::oid"),
]


# psql's \\d compares an oid[] column with an array literal; pg_policy is always empty here (no row
# security), so the comparison is false either way and the SQL layer need not compare arrays.
_POLICY_RULE = (re.compile(r"\b(\w+\.)?polroles\s*=\s*'\{0\}'", re.IGNORECASE), "false")
# no table partitioning: a relation's partition ancestors are just itself (depth 1)
_ANCESTORS_FROM_RULE = (
    re.compile(r"\b(?:pg_catalog\.)?pg_partition_ancestors\s*\(\s*([\w.]+)\s*\)\s+WITH\s+ORDINALITY\s+AS\s+"
               r"(\w+)\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)", re.IGNORECASE),
    r"(SELECT \1 AS \3, 1::int8 AS \4) AS \2")
_ANCESTORS_RULE = (re.compile(r"\b(?:pg_catalog\.)?pg_partition_ancestors\s*\(\s*('\d+')\s*\)", re.IGNORECASE),
                   r"\1::oid")

# name -> OID casts need the catalog: route them through to_regclass (a catalog function)
_REGCLASS_RULES = [
    (re.compile(r"CAST\s*\(\s*('(?:[^']|'')*'|\$\d+)\s+AS\s+(?:pg_catalog\.)?REGCLASS\s*\)", re.IGNORECASE),
     r"to_regclass(\1::text)"),
    (re.compile(r"('(?:[^']|'')*')\s*::\s*(?:pg_catalog\.)?regclass\b", re.IGNORECASE), r"to_regclass(\1)"),
]


# regclass text output is a relation name: a column cast to regclass in a select list (psql's
# "Referenced by" / "Inherits" lines) is shown through the catalog's name lookup
_REGCLASS_DISPLAY_RULE = (
    re.compile(r"\b((?:\w+\.)?\w+)\s*::\s*(?:pg_catalog\.)?regclass(?=\s+AS\s|\s*,|\s+FROM\s|\s*$)",
               re.IGNORECASE),
    r"helios_regclass_name(\1)")


def needs_normalizing(sql: str) -> bool:
    low = sql.lower()
    return ("pg_catalog." in low or "operator(" in low or "collate pg_catalog" in low or "regclass" in low
            or "pg_partition_ancestors" in low)


def normalize(sql: str) -> str:
    """Rewrite psql's qualified catalog spellings outside literals (see module doc)."""
    if not needs_normalizing(sql):
        return sql
    for rx, repl in (*_REGCLASS_RULES, _REGCLASS_DISPLAY_RULE, _POLICY_RULE, _ANCESTORS_FROM_RULE,
                     _ANCESTORS_RULE):
        sql = rx.sub(repl, sql)
    parts = _LITERALS.split(sql)
    for i in range(0, len(parts), 2):  # even indexes are outside literals
        seg = parts[i]
        for rx, repl in _RULES:
            seg = rx.sub(repl, seg)
        parts[i] = seg
    return "".join(parts)
