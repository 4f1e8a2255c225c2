"""ClickHouse's system tables over HeliosDB's catalog (what BI tools and drivers read).

    system.databases  name, engine, data_path, metadata_path, uuid, comment
    system.tables     database, name, uuid, engine, is_temporary, total_rows, total_bytes, comment, ...
    system.columns    database, table, name, type, position, default_kind, default_expression, comment, ...
    system.settings   name, value, changed, description, min, max, readonly, type
    system.functions  name, is_aggregate, case_insensitive, alias_to, ... (function_catalog)
    system.data_type_families  name, case_insensitive, alias_to
    system.table_engines  name, supports_settings, supports_sort_order, ...

ClickHouse databases are schemas (``default`` is ``public``); column types are shown in
ClickHouse's names (``clickhouse_type_name``, a SQL function of this plugin).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from helios_protocol_clickhouse import column_types, merge_engines
from helios_protocol_clickhouse.rewrites.context import RewriteContext
from helios_protocol_clickhouse.rewrites.ddl import ENGINE_NAMES
from helios_protocol_clickhouse.settings_catalog import SETTINGS
from helios_protocol_clickhouse.types import type_families

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
       '' AS compression_codec, CAST(NULL AS bigint) AS character_octet_length,
       CAST(NULL AS bigint) AS numeric_precision, CAST(NULL AS bigint) AS numeric_precision_radix,
       CAST(NULL AS bigint) AS numeric_scale, CAST(NULL AS bigint) AS datetime_precision
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


def _functions_query() -> str:
    """system.functions: the columns of a current ClickHouse; the rows of ``function_catalog``."""
    from helios_protocol_clickhouse.function_catalog import function_rows  # it reads the rewrites

    rows = ", ".join(f"({_q(name)}, {aggregate}, {insensitive}, {_q(alias)})"
                     for name, aggregate, insensitive, alias in function_rows())
    return ("SELECT name, CAST(is_aggregate AS smallint) AS is_aggregate, "
            "CAST(case_insensitive AS smallint) AS case_insensitive, alias_to, '' AS create_query, "
            "'System' AS origin, '' AS description, '' AS syntax, '' AS arguments, '' AS parameters, "
            "'' AS returned_value, '' AS examples, '' AS introduced_in, '' AS categories, "
            "CAST(NULL AS smallint) AS deterministic, CAST(NULL AS smallint) AS higher_order "
            f"FROM (VALUES {rows}) AS f(name, is_aggregate, case_insensitive, alias_to)")


def _type_families_query() -> str:
    rows = ", ".join(f"({_q(name)}, {insensitive}, {_q(alias)})" for name, insensitive, alias in type_families())
    return ("SELECT name, CAST(case_insensitive AS smallint) AS case_insensitive, alias_to, '' AS description, "
            f"'' AS syntax, '' AS examples FROM (VALUES {rows}) AS t(name, case_insensitive, alias_to)")


def _table_engines_query() -> str:
    """The engines CREATE TABLE takes; MergeTree's take ORDER BY/PARTITION BY and SETTINGS (accepted, as
    they decide storage here), none has TTL (refused), replication, skipping indexes or projections."""
    rows = ", ".join(f"({_q(name)}, {int('MergeTree' in name)})" for name in ENGINE_NAMES)
    return ("SELECT name, CAST(merge_tree AS smallint) AS supports_settings, CAST(0 AS smallint) AS "
            "supports_skipping_indices, CAST(0 AS smallint) AS supports_projections, CAST(merge_tree AS smallint) "
            "AS supports_sort_order, CAST(0 AS smallint) AS supports_ttl, CAST(0 AS smallint) AS "
            "supports_replication, CAST(0 AS smallint) AS supports_deduplication, CAST(1 AS smallint) AS "
            f"supports_parallel_insert, '' AS description FROM (VALUES {rows}) AS e(name, merge_tree)")


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _relation(name: str, ctx: RewriteContext) -> str | None:
    if name == "databases":
        return DATABASES
    if name == "tables":
        return merge_engines.tables_query(TABLES) if ctx.engines_recorded else TABLES
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
    if name == "functions":
        return _functions_query()
    if name == "data_type_families":
        return _type_families_query()
    if name == "table_engines":
        return _table_engines_query()
    return None


# ClickHouse's types of system tables' columns where the kernel's nearest type is another
# (flags are UInt8, counts UInt64): what result headers and toTypeName show
_CLICKHOUSE_TYPES: dict[str, dict[str, str]] = {
    "functions": {"is_aggregate": "UInt8", "case_insensitive": "UInt8", "deterministic": "Nullable(UInt8)",
                  "higher_order": "Nullable(UInt8)"},
    "data_type_families": {"case_insensitive": "UInt8"},
    "table_engines": {name: "UInt8" for name in (
        "supports_settings", "supports_skipping_indices", "supports_projections", "supports_sort_order",
        "supports_ttl", "supports_replication", "supports_deduplication", "supports_parallel_insert")},
    "tables": {"is_temporary": "UInt8", "total_rows": "Nullable(UInt64)", "total_bytes": "Nullable(UInt64)",
               "has_own_data": "UInt8"},
    "columns": {"position": "UInt64", "is_in_partition_key": "UInt8", "is_in_sorting_key": "UInt8",
                "is_in_primary_key": "UInt8", "is_in_sampling_key": "UInt8",
                **{name: "Nullable(UInt64)" for name in ("character_octet_length", "numeric_precision",
                                                         "numeric_precision_radix", "numeric_scale",
                                                         "datetime_precision")}},
    "settings": {"changed": "UInt8", "readonly": "UInt8", "is_obsolete": "UInt8"},
}


def output_columns(name: str) -> list[tuple[str, str | None]] | None:
    """(name, ClickHouse type or None: the kernel's nearest) of a system table's columns, in order;
    None for a system table this module does not make."""
    sql = _relation(name.lower(), RewriteContext())
    if sql is None:
        return None
    select = sqlglot.parse_one(sql, read="postgres")
    types = _CLICKHOUSE_TYPES.get(name.lower(), {})
    return [(e.alias_or_name, types.get(e.alias_or_name)) for e in select.expressions]


def _qualified_by_full_name(tree: exp.Expression) -> None:
    """``system.tables.database`` where ``system.tables`` is a source of the query (aliased or not):
    the column of that source, as ClickHouse reads it (JDBC drivers write joins so)."""
    for select in tree.find_all(exp.Select):
        sources: dict[tuple[str, str], str] = {}
        from_ = select.args.get("from_") or select.args.get("from")
        nodes = [from_.this] if from_ is not None else []
        nodes += [j.this for j in select.args.get("joins") or []]
        for node in nodes:
            if isinstance(node, exp.Table) and node.db:
                sources[(node.db, node.name)] = node.alias or node.name
        if not sources:
            continue
        for column in select.find_all(exp.Column):
            db = column.args.get("db")
            key = (db.name, column.table) if db is not None else None
            if key in sources and column.find_ancestor(exp.Select) is select:
                column.set("db", None)
                column.set("table", exp.to_identifier(sources[key]))


def rewrite(tree: exp.Expression, ctx: RewriteContext) -> exp.Expression:
    _qualified_by_full_name(tree)

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
