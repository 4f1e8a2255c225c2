"""MATERIALIZED and ALIAS columns, and columns declared by their DEFAULT alone (no type).

    CREATE TABLE t (a UInt8, b DEFAULT 0, c UInt16 MATERIALIZED a + 1, d ALIAS a * 2) ENGINE = Memory

In ClickHouse a MATERIALIZED column is stored and always computed from the row when it is
inserted; an ALIAS column is computed when read. Neither is part of ``SELECT *``, nor takes a
value of an INSERT without a column list. Here both are stored columns computed when a row
comes in, as a DEFAULT over other columns is (``expression_defaults``: the kernel's DEFAULT for
a constant, a BEFORE INSERT trigger otherwise), hidden from ``SELECT *`` over the table and
from an INSERT's positional values; an ALIAS so agrees with ClickHouse's until a column it
reads is changed in place (ALTER TABLE ... UPDATE). A column with no type takes the
ClickHouse type of its expression over the columns declared before it (``b DEFAULT 0`` is
UInt8). The hidden columns are recorded in ``"_clickhouse".column_kinds``, data of the branch
like the declared types (``column_types``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import exp

from helios_protocol_clickhouse import column_types
from helios_protocol_clickhouse.errors import ClickHouseError
from helios_protocol_clickhouse.rewrites.functions import star_arguments

TABLE = f'"{column_types.SCHEMA}".column_kinds'
# kind: MATERIALIZED, ALIAS, DEFAULT (over other columns, or of a column without a type: the kernel
# keeps no such DEFAULT) or '' (an ordinary column); expression: the kind's, as ClickHouse SQL; position: the column's place in the table's
# ClickHouse order once ADD COLUMN ... AFTER|FIRST put one where the kernel's order (the order the
# columns were added in) is not it (NULL: none recorded; columns without one follow those with one)
_CREATE_TABLE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (schema_name text NOT NULL, table_name text NOT NULL, "
                 "column_name text NOT NULL, kind text NOT NULL DEFAULT '', position integer, expression text, "
                 "PRIMARY KEY (schema_name, table_name, column_name))")


_q = column_types.quoted


def _expression_of(column: exp.ColumnDef) -> tuple[str, exp.ColumnConstraint] | None:
    """(DEFAULT | MATERIALIZED | ALIAS, its constraint) of a column that names one."""
    for constraint in column.args.get("constraints") or []:
        kind = constraint.kind
        if isinstance(kind, exp.DefaultColumnConstraint) and kind.this is not None:
            return "DEFAULT", constraint
        if isinstance(kind, exp.ComputedColumnConstraint) and kind.this is not None:
            return ("MATERIALIZED" if kind.args.get("persisted") else "ALIAS"), constraint
    return None


expression_of = _expression_of


def prepare(columns: list[exp.Expression], type_of: Callable[[exp.Select], str | None],
            dialect: Any) -> dict[str, tuple[str, str]]:
    """Ready a CREATE TABLE's columns for the kernel: a MATERIALIZED or ALIAS expression becomes the
    column's DEFAULT, a column without a type gets its expression's (``type_of`` describes a probe
    SELECT). Returns {name: (kind, expression)} of the columns to record: MATERIALIZED and ALIAS
    ones, and the DEFAULTs the kernel does not keep as such (over other columns, or typing one)."""
    hidden: dict[str, tuple[str, str]] = {}
    known: list[tuple[str, str]] = []  # (name, ClickHouse type) of the columns before
    for column in columns:
        if not isinstance(column, exp.ColumnDef):
            continue
        found = _expression_of(column)
        if found is not None:
            kind, constraint = found
            expression = constraint.kind.this
            if kind != "DEFAULT" or column.args.get("kind") is None or expression.find(exp.Column):
                hidden[column.name] = (kind, expression.sql(dialect="clickhouse"))
            if kind != "DEFAULT":
                constraint.set("kind", exp.DefaultColumnConstraint(this=expression))
            if column.args.get("kind") is None:
                column.set("kind", _inferred_type(column.name, expression, known, type_of, dialect))
        if column.args.get("kind") is not None:
            known.append((column.name, column.args["kind"].sql(dialect="clickhouse")))
    return hidden


def _inferred_type(name: str, expression: exp.Expression, known: list[tuple[str, str]],
                   type_of: Callable[[exp.Select], str | None], dialect: Any) -> exp.DataType:
    """The type ClickHouse gives a column declared by its expression: the expression's, over
    values of the types of the columns declared before it."""
    source = ", ".join(f"CAST(NULL AS {t}) AS `{n.replace('`', '``')}`" for n, t in known) or "0 AS `_none`"
    try:
        probe = sqlglot.parse_one(f"SELECT 1 AS `_probe` FROM (SELECT {source}) LIMIT 0", dialect=dialect)
        probe.set("expressions", [exp.alias_(expression.copy(), "_probe")])
        found = type_of(probe)
    except (sqlglot.errors.ParseError, ClickHouseError):
        found = None
    if found is None or found.startswith(("Nothing", "Tuple", "Map")):
        raise ClickHouseError(48, f"Column {name}: the type of its expression could not be told: declare one")
    if found == "Decimal(20, 0)":  # UInt64's storage, as a function's result is described
        found = "UInt64"
    schema = sqlglot.parse_one(f"CREATE TABLE _t (_c {found}) ENGINE = Memory", dialect=dialect).this
    return schema.expressions[0].args["kind"]


def record_statements(schema: str, table: str, kinds: dict[str, tuple[str, str]]) -> list[str]:
    """SQL recording a new table's column kinds (run in its CREATE TABLE's transaction)."""
    if not kinds:
        return []
    rows = ", ".join(f"({_q(schema)}, {_q(table)}, {_q(name)}, {_q(kind)}, {_q(text)})"
                     for name, (kind, text) in kinds.items())
    return [f'CREATE SCHEMA IF NOT EXISTS "{column_types.SCHEMA}"', _CREATE_TABLE, forget_statement(schema, table),
            f"INSERT INTO {TABLE} (schema_name, table_name, column_name, kind, expression) VALUES {rows}"]


def kind_statements(schema: str, table: str, column: str, kind: str, expression: str) -> list[str]:
    """SQL recording one column's kind and expression (``''``: an ordinary column), its place kept."""
    upsert = (f"INSERT INTO {TABLE} (schema_name, table_name, column_name, kind, expression) VALUES ({_q(schema)}, "
              f"{_q(table)}, {_q(column)}, {_q(kind)}, {_q(expression) if kind else 'NULL'}) "
              "ON CONFLICT (schema_name, table_name, column_name) DO UPDATE SET kind = EXCLUDED.kind, "
              "expression = EXCLUDED.expression")
    return [f'CREATE SCHEMA IF NOT EXISTS "{column_types.SCHEMA}"', _CREATE_TABLE, upsert]


def forget_column_statement(schema: str, table: str, column: str) -> str:
    return f"DELETE FROM {TABLE} WHERE schema_name = {_q(schema)} AND table_name = {_q(table)} " \
           f"AND column_name = {_q(column)}"


def forget_statement(schema: str, table: str) -> str:
    return column_types.forget_rows(TABLE, schema, table)


def rename_statement(schema: str, table: str, new_schema: str, new_table: str) -> str:
    return column_types.rename_rows(TABLE, schema, table, new_schema, new_table)


def exists(session: Any) -> bool:
    """Whether this branch has the table of hidden columns (some table was created with one)."""
    def compute() -> bool:
        rows = session.execute(f"SELECT to_regclass({_q(TABLE)}) IS NOT NULL")[-1].rows()
        return bool(rows and rows[0][0])
    return column_types.cached(session, ("column_kinds",), compute)


def _rows(session: Any, schema: str, table: str) -> list[tuple[str, str, int | None, str | None]]:
    """(name, kind, position, expression) recorded for a table's columns."""
    if not exists(session):
        return []

    def compute() -> list[tuple[str, str, int | None, str | None]]:
        return [tuple(r) for r in session.execute(
            f"SELECT column_name, kind, position, expression FROM {TABLE} WHERE schema_name = {_q(schema)} "
            f"AND table_name = {_q(table)}")[-1].rows()]
    return column_types.cached(session, ("column_kinds", schema, table), compute)


def described_defaults(session: Any, schema: str, table: str) -> dict[str, tuple[str, str]]:
    """{name: (default_type, default_expression)} of the columns whose kind is recorded."""
    return {name: (kind, text or "") for name, kind, _, text in _rows(session, schema, table) if kind}


def hidden_columns(session: Any, schema: str, table: str) -> dict[str, str]:
    """{name: MATERIALIZED | ALIAS} of a table's hidden columns."""
    return {name: kind for name, kind, _, _ in _rows(session, schema, table) if kind in ("MATERIALIZED", "ALIAS")}


def ordered_columns(ch: Any, schema: str, table: str) -> list[str]:
    """A table's column names in ClickHouse's order (ADD COLUMN ... AFTER places kept)."""
    names = [c.name for c in ch.table_columns(schema, table) or []]
    positions = {name: position for name, _, position, _ in _rows(ch.session, schema, table)
                 if position is not None}
    if not positions:
        return names
    return sorted(names, key=lambda n: (0, positions[n], 0) if n in positions else (1, 0, names.index(n)))


def visible_columns(ch: Any, schema: str, table: str) -> list[str] | None:
    """The names ``SELECT *`` and a positional INSERT mean, in order, when the table hides some or
    has an order of its own; else None (the kernel's own expansion is the same)."""
    rows = _rows(ch.session, schema, table)
    if not any(kind in ("MATERIALIZED", "ALIAS") or position is not None for _, kind, position, _ in rows):
        return None
    hidden = hidden_columns(ch.session, schema, table)
    return [n for n in ordered_columns(ch, schema, table) if n not in hidden]


def order_statements(schema: str, table: str, names: list[str]) -> list[str]:
    """SQL recording ``names`` as the table's column order."""
    out = [f'CREATE SCHEMA IF NOT EXISTS "{column_types.SCHEMA}"', _CREATE_TABLE,
           f"UPDATE {TABLE} SET position = NULL WHERE schema_name = {_q(schema)} AND table_name = {_q(table)}"]
    for position, name in enumerate(names, start=1):
        out.append(f"INSERT INTO {TABLE} (schema_name, table_name, column_name, position) VALUES ({_q(schema)}, "
                   f"{_q(table)}, {_q(name)}, {position}) ON CONFLICT (schema_name, table_name, column_name) "
                   "DO UPDATE SET position = EXCLUDED.position")
    return out


def positional_insert(ch: Any, tree: exp.Insert) -> None:
    """INSERT INTO t VALUES|SELECT ... into a table with hidden columns: the visible ones named."""
    target = tree.this
    if not isinstance(target, exp.Table) or not target.name:
        return
    visible = visible_columns(ch, ch.schema_of_table(target.db or None, target.name), target.name)
    if visible is not None:
        tree.set("this", exp.Schema(this=target, expressions=[exp.to_identifier(n, quoted=True) for n in visible]))


def expand_stars(ch: Any, tree: exp.Expression) -> None:
    """``SELECT *`` over one table that hides columns or orders them its own way: its visible
    columns named instead, in order."""
    for select in list(tree.find_all(exp.Select)):
        stars = [e for e in select.expressions if isinstance(e, exp.Star) or
                 any(isinstance(s, exp.Star) and isinstance(s.parent, exp.Func) for s in e.find_all(exp.Star))]
        source = select.args.get("from_")
        joins = select.args.get("joins") or []
        array_joined = bool(joins) and all(str(j.args.get("kind") or "").upper() == "ARRAY" for j in joins)
        if not stars or joins and not array_joined or source is None or not isinstance(source.this, exp.Table):
            continue
        table = source.this
        if not table.name or table.args.get("db") is not None and table.db == "system":
            continue
        schema = ch.schema_of_table(table.db or None, table.name)
        visible = visible_columns(ch, schema, table.name)
        if visible is None and array_joined:  # * under ARRAY JOIN arr: arr is its element there, by name
            hidden = hidden_columns(ch.session, schema, table.name)
            visible = [n for n in ordered_columns(ch, schema, table.name) if n not in hidden] or None
        if visible is None:
            continue
        for item in select.expressions:  # cityHash64(*): the visible columns too
            for call in list(item.find_all(exp.Func)):
                if not isinstance(call, exp.Count) and call.parent_select is select:
                    star_arguments(call, visible)
        listed = [exp.column(exp.to_identifier(n, quoted=True)) for n in visible]
        expressions = []
        for e in select.expressions:
            expressions.extend(c.copy() for c in listed) if isinstance(e, exp.Star) else expressions.append(e)
        select.set("expressions", expressions)
