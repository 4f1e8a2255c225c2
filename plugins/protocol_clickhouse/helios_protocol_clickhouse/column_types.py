"""The ClickHouse types a table's columns were declared with, remembered beside the table.

A table is stored in its columns' nearest SQL types (``UInt8`` is ``smallint``,
``FixedString(16)`` and ``Enum8(...)`` are ``text``), so the SQL types alone cannot say what
a ClickHouse client declared. CREATE TABLE over ClickHouse records each column's declared
type in the table ``"_clickhouse".column_types`` in the same transaction::

    CREATE TABLE t (a UInt8, s FixedString(3), e Enum8('x' = 1)) ENGINE = Memory
    -> ("public", "t", "a", "UInt8"), ("public", "t", "s", "FixedString(3)"), ...

DESCRIBE, system.columns, result headers and the native INSERT header show the declared
types. A column without one (its table was created over PostgreSQL) or whose SQL type no
longer is its declared type's (changed over PostgreSQL since) shows its nearest ClickHouse
type, ``Nullable(...)`` unless it is NOT NULL. The table is data of the branch like any
other, so branches and time travel keep their own declarations.

Lookups are cached per table and catalog version (any committed DDL starts afresh).
"""

from __future__ import annotations

import threading
from typing import Any

import attrs

from helios_protocol_clickhouse.types import clickhouse_type, parse_type, sql_type

SCHEMA = "_clickhouse"
TABLE = f'"{SCHEMA}".column_types'

# implicit_default: the column's DEFAULT is the type's zero the table was given because ClickHouse
# fills omitted columns so, not one the CREATE TABLE named (DESCRIBE shows no default for it)
_CREATE_TABLE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (schema_name text NOT NULL, table_name text NOT NULL, "
                 "column_name text NOT NULL, type text NOT NULL, implicit_default boolean NOT NULL DEFAULT false, "
                 "PRIMARY KEY (schema_name, table_name, column_name))")

_cache: dict[tuple, Any] = {}
_lock = threading.Lock()
_CACHE_LIMIT = 4096


@attrs.frozen
class TableColumn:
    """A table column as ClickHouse sees it: name and ClickHouse type (declared or nearest)."""

    name: str
    type: str
    sql_type: str


def quoted(text: str) -> str:
    """A SQL string literal (the plugin's record tables are written with literal SQL)."""
    return "'" + text.replace("'", "''") + "'"


_q = quoted


def declare_statements(schema: str, table: str, columns: list[tuple[str, str, bool]]) -> list[str]:
    """SQL that records ``columns`` ((name, ClickHouse type, whether a DEFAULT was named)) as the
    declared types of ``schema.table`` (run in the CREATE TABLE's transaction)."""
    out = [f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"', _CREATE_TABLE, forget_statement(schema, table)]
    if columns:
        rows = ", ".join(f"({_q(schema)}, {_q(table)}, {_q(name)}, {_q(ch)}, {'false' if explicit else 'true'})"
                         for name, ch, explicit in columns)
        out.append(f"INSERT INTO {TABLE} (schema_name, table_name, column_name, type, implicit_default) "
                   f"VALUES {rows}")
    return out


def add_statements(schema: str, table: str, columns: list[tuple[str, str, bool]]) -> list[str]:
    """SQL that records the declared types of columns ALTER TABLE ... ADD COLUMN gives a table."""
    out = [f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"', _CREATE_TABLE]
    for name, ch, explicit in columns:
        out.append(f"DELETE FROM {TABLE} WHERE schema_name = {_q(schema)} AND table_name = {_q(table)} "
                   f"AND column_name = {_q(name)}")
        out.append(f"INSERT INTO {TABLE} (schema_name, table_name, column_name, type, implicit_default) "
                   f"VALUES ({_q(schema)}, {_q(table)}, {_q(name)}, {_q(ch)}, {'false' if explicit else 'true'})")
    return out


def forget_rows(records: str, schema: str, table: str) -> str:
    """SQL that deletes a table's rows from one of the plugin's record tables (keyed by schema_name, table_name)."""
    return f"DELETE FROM {records} WHERE schema_name = {_q(schema)} AND table_name = {_q(table)}"


def rename_rows(records: str, schema: str, table: str, new_schema: str, new_table: str) -> str:
    """SQL that moves a table's rows in one of the plugin's record tables to its new name."""
    return (f"UPDATE {records} SET schema_name = {_q(new_schema)}, table_name = {_q(new_table)} "
            f"WHERE schema_name = {_q(schema)} AND table_name = {_q(table)}")


def forget_statement(schema: str, table: str) -> str:
    return forget_rows(TABLE, schema, table)


def rename_statement(schema: str, table: str, new_schema: str, new_table: str) -> str:
    """SQL that moves a table's declared types to its new name."""
    return rename_rows(TABLE, schema, table, new_schema, new_table)


def _declared_matches(declared: str, sql_name: str, not_null: bool) -> bool:
    """The declared type is still the column's: same nearest type and the same nullability."""
    try:
        parsed = parse_type(declared)
        nearest = sql_type(parsed)
    except Exception:  # noqa: BLE001 - a declaration this version cannot read shows the nearest type
        return False
    if nearest.startswith("numeric(") and nearest.endswith("[]") and sql_name == "numeric[]":
        nearest = sql_name  # the kernel keeps no precision for an array's numeric elements (Array(UInt64))
    return clickhouse_type(nearest) == clickhouse_type(sql_name) and parsed.nullable == (not not_null)


def column_type(declared: str | None, sql_name: str, not_null: bool) -> str:
    """What ClickHouse shows for a column: its declared type while it holds, else the nearest."""
    if declared and _declared_matches(declared, sql_name, not_null):
        return declared
    return clickhouse_type(sql_name, nullable=not not_null)


def _cached(session: Any, key: tuple, compute: Any) -> Any:
    version = session.catalog_version
    full = (session.database, session.branch, version, *key)
    with _lock:
        if full in _cache:
            return _cache[full]
    value = compute()
    with _lock:
        if len(_cache) > _CACHE_LIMIT:
            _cache.clear()
        _cache[full] = value
    return value


cached = _cached  # (session, key, compute): a value of the branch's catalog as of its version


def declarations_exist(session: Any) -> bool:
    """Whether this branch holds the table of declared types (some table was created over ClickHouse)."""
    def compute() -> bool:
        rows = session.execute(f"SELECT to_regclass({_q(TABLE)}) IS NOT NULL")[-1].rows()
        return bool(rows and rows[0][0])
    return _cached(session, ("exists",), compute)


def implicit_default(session: Any, schema: str, table: str, column: str) -> bool:
    """Whether a column's DEFAULT is its type's zero given because the table named none."""
    if not declarations_exist(session):
        return False
    rows = session.execute(f"SELECT implicit_default FROM {TABLE} WHERE schema_name = {_q(schema)} AND "
                           f"table_name = {_q(table)} AND column_name = {_q(column)}")[-1].rows()
    return bool(rows and rows[0][0])


def table_columns(session: Any, schema: str, table: str) -> list[TableColumn] | None:
    """The columns of ``schema.table`` with their ClickHouse types, in order; None when there is
    no such table (a view, whose columns take the types of its query, is not one, unless its columns
    were declared: a materialized view TO a table)."""
    def compute() -> list[TableColumn] | None:
        declared = declarations_exist(session)
        join = (f" LEFT JOIN {TABLE} ct ON ct.schema_name = n.nspname AND ct.table_name = c.relname "
                "AND ct.column_name = a.attname") if declared else ""
        # a materialized view TO a table: the view over it, its columns declared as the table's (a view's
        # columns are never NOT NULL: its declarations hold as they are)
        views = " OR c.relkind = 'v' AND ct.type IS NOT NULL" if declared else ""
        rows = session.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull OR c.relkind = 'v', "
            f"{'ct.type' if declared else 'NULL'} FROM pg_catalog.pg_attribute a "
            "JOIN pg_catalog.pg_class c ON a.attrelid = c.oid "
            f"JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid{join} "
            f"WHERE n.nspname = {_q(schema)} AND c.relname = {_q(table)} AND a.attnum > 0 "
            f"AND NOT a.attisdropped AND (c.relkind IN ('r', 'p'){views}) ORDER BY a.attnum")[-1].rows()
        if not rows:
            return None
        return [TableColumn(name=name, type=column_type(ch, sql_name, bool(not_null)), sql_type=sql_name)
                for name, sql_name, not_null, ch in rows]
    return _cached(session, ("table", schema, table), compute)
