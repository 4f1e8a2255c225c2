"""ClickHouse's system tables over HeliosDB's catalog (what BI tools and drivers read).

    system.databases  name, engine, data_path, metadata_path, uuid, comment
    system.tables     database, name, uuid, engine, is_temporary, total_rows, total_bytes, comment, ...
    system.columns    database, table, name, type, position, default_kind, default_expression, comment, ...
    system.settings   name, value, changed, description, min, max, readonly, type
    system.functions  name, is_aggregate, case_insensitive, alias_to

ClickHouse databases are schemas (``default`` is ``public``); column types are shown in
ClickHouse's names (``clickhouse_type_name``, a SQL function of this plugin).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from helios_protocol_clickhouse import column_types
from helios_protocol_clickhouse.rewrites.context import RewriteContext
from helios_protocol_clickhouse.settings_catalog import SETTINGS

_HIDDEN = f"('pg_catalog', 'information_schema', 'pg_toast', 'heliosdb', '{column_types.SCHEMA}')"
_DB = "CASE WHEN n.nspname = 'public' THEN 'default' ELSE n.nspname END"

DATABASES = f"""
SELECT CASE WHEN nspname = 'public' THEN 'default' ELSE nspname END AS name, 'Atomic' AS engine,
       '' AS data_path, '' AS metadata_path, '00000000-0000-0000-0000-000000000000' AS uuid,
       'Atomic' AS engine_full, '' AS comment
FROM pg_catalog.pg_namespace WHERE nspname NOT IN {_HIDDEN} AND nspname NOT LIKE 'pg_temp%'
"""

TABLES = f"""
SELECT {_DB} AS database, c.relname AS name, '00000000-0000-0000-0000-000000000000' AS uuid,
       CASE WHEN c.relkind = 'v' THEN 'View' ELSE 'MergeTree' END AS engine,
       0 AS is_temporary, CAST(NULL AS bigint) AS total_rows, CAST(NULL AS bigint) AS total_bytes,
       '' AS data_paths, '' AS metadata_path, '' AS create_table_query, '' AS engine_full,
       '' AS partition_key, '' AS sorting_key, '' AS primary_key, '' AS sampling_key,
       COALESCE(obj_description(c.oid, 'pg_class'), '') AS comment, 0 AS has_own_data
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid
WHERE c.relkind IN ('r', 'v', 'p', 'm') AND n.nspname NOT IN {_HIDDEN} AND n.nspname NOT LIKE 'pg_temp%'
"""

COLUMNS = f"""
SELECT {_DB} AS database, c.relname AS table, a.attname AS name,
       {{type}} AS type,
       CAST(a.attnum AS bigint) AS position,
       CASE WHEN d.adbin IS NULL{{implicit}} THEN '' ELSE 'DEFAULT' END AS default_kind,
       CASE WHEN d.adbin IS NULL{{implicit}} THEN '' ELSE regexp_replace(pg_get_expr(d.adbin, d.adrelid),
           '^(''(?:[^'']|'''')*'')::[a-z ]+$', '\\1') END AS default_expression,
       COALESCE(col_description(c.oid, a.attnum), '') AS comment,
       0 AS is_in_partition_key, 0 AS is_in_sorting_key, 0 AS is_in_primary_key, 0 AS is_in_sampling_key,
       '' AS compression_codec, CAST(NULL AS bigint) AS numeric_precision, CAST(NULL AS bigint) AS numeric_scale
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON a.attrelid = c.oid
JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum{{declared}}
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'p', 'm')
  AND n.nspname NOT IN {_HIDDEN} AND n.nspname NOT LIKE 'pg_temp%'
"""


def _settings_query(ctx: RewriteContext) -> str:
    rows = []
    for name, (default, type_name, description) in sorted(SETTINGS.items()):
        value = ctx.settings.get(name, default)
        changed = 1 if name in ctx.settings and ctx.settings[name] != default else 0
        rows.append(f"({_q(name)}, {_q(value)}, {changed}, {_q(description)}, {_q(type_name)}, {_q(default)})")
    return ("SELECT name, value, changed, description, CAST(NULL AS text) AS min, CAST(NULL AS text) AS max, "
            "0 AS readonly, type, value AS default, 0 AS is_obsolete FROM (VALUES " + ", ".join(rows) +
            ") AS s(name, value, changed, description, type, default_value)")


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _relation(name: str, ctx: RewriteContext) -> str | None:
    if name == "databases":
        return DATABASES
    if name == "tables":
        return TABLES
    if name == "columns":
        if ctx.declared_types:
            return COLUMNS.format(
                type="ch_declared_type(ct.type, format_type(a.atttypid, a.atttypmod), a.attnotnull)",
                declared=f"\nLEFT JOIN {column_types.TABLE} ct ON ct.schema_name = n.nspname "
                         "AND ct.table_name = c.relname AND ct.column_name = a.attname",
                implicit=" OR ct.implicit_default")
        return COLUMNS.format(type="clickhouse_type_name(format_type(a.atttypid, a.atttypmod), a.attnotnull)",
                              declared="", implicit="")
    if name == "settings":
        return _settings_query(ctx)
    return None


def rewrite(tree: exp.Expression, ctx: RewriteContext) -> exp.Expression:
    def swap(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Table) or not isinstance(node.this, exp.Identifier):
            return node
        if not node.db or node.db.lower() != "system":
            return node
        sql = _relation(node.name.lower(), ctx)
        if sql is None:
            return node
        alias = node.args.get("alias")
        query = sqlglot.parse_one(sql, read="postgres")
        return exp.Subquery(this=query, alias=alias.copy() if alias is not None else
                            exp.TableAlias(this=exp.to_identifier(node.name)))

    return tree.transform(swap)
