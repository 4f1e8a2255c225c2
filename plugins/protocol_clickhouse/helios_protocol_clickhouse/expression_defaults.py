"""DEFAULTs that read other columns: ``d Date DEFAULT toDate(t)``, ``y UInt16 DEFAULT x``.

The kernel's DEFAULT is a constant or a function of nothing, so such a column gets no default
there; a BEFORE INSERT trigger per column fills it when a row comes without it (the column is
NULL then: a non-Nullable ClickHouse column never holds NULL), from the row's other values. The
triggers fire in column order (their names carry the column's position), so a DEFAULT may read
another column's DEFAULT (``c DEFAULT identity(b)``, ``b DEFAULT 0``), and every way a row comes in
(VALUES, INSERT ... SELECT, a FORMAT's rows, native blocks) is served alike. A column added by
ALTER TABLE with such a DEFAULT is computed for the rows already there (ClickHouse computes it
when they are read; the answers agree until those columns change).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlglot
from sqlglot import exp

from helios_protocol_clickhouse import column_types
from helios_protocol_clickhouse.catalog import database_of
from helios_protocol_clickhouse.types import parse_type, sql_type


def expression_defaults(columns: list[exp.Expression]) -> list[tuple[int, str, exp.Expression, str]]:
    """(position, name, ClickHouse expression, ClickHouse type) of each DEFAULT over other columns."""
    out = []
    for position, column in enumerate(columns, start=1):
        if not isinstance(column, exp.ColumnDef) or column.args.get("kind") is None:
            continue
        for constraint in column.args.get("constraints") or []:
            default = constraint.kind
            if isinstance(default, exp.DefaultColumnConstraint) and default.this is not None and \
                    default.this.find(exp.Column):
                out.append((position, column.name, default.this.copy(),
                            column.args["kind"].sql(dialect="clickhouse")))
    return out


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def kernel_expression(ch: Any, schema: str, table: str, expression: exp.Expression, type_name: str,
                      row: str | None) -> str:
    """The kernel's SQL of a DEFAULT's expression over the table's columns (``NEW."x"`` in a
    trigger when ``row`` is ``NEW``), cast to the column's type."""
    select = exp.select(expression.copy()).from_(exp.table_(table, db=database_of(schema)))
    translated = sqlglot.parse_one(ch.translate(select), read="postgres")
    value = translated.expressions[0]
    value = value.this if isinstance(value, exp.Alias) else value

    def qualify(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and (not node.table or node.table == table):
            return exp.column(exp.to_identifier(node.name, quoted=True),
                              table=exp.to_identifier(row) if row else None)
        return node

    value = value.transform(qualify)
    return f"CAST(({value.sql(dialect='postgres')}) AS {sql_type(parse_type(type_name))})"


def trigger_statements(ch: Any, schema: str, table: str,
                       defaults: list[tuple[int, str, exp.Expression, str]]) -> list[str]:
    """A trigger function and a BEFORE INSERT trigger on the table for each DEFAULT."""
    out = []
    for position, name, expression, type_name in defaults:
        # planned over the table first (no row read): an expression the kernel cannot run is refused
        # at CREATE/ALTER, not at the first INSERT
        checked = kernel_expression(ch, schema, table, expression, type_name, None)
        out.append(f"SELECT {checked} FROM {_ident(schema)}.{_ident(table)} LIMIT 0")
        value = kernel_expression(ch, schema, table, expression, type_name, "NEW")
        key = uuid.uuid4().hex
        function = f"{_ident(column_types.SCHEMA)}.{_ident('default_' + key)}"
        column = f"NEW.{_ident(name)}"
        out.append(f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   f"IF {column} IS NULL THEN {column} := {value}; END IF; RETURN NEW; END $$")
        # the trigger's name: the column's position (the order they fire in) and its function's key
        out.append(f"CREATE TRIGGER {_ident(f'ch_default_{position:04d}_{key}')} BEFORE INSERT ON "
                   f"{_ident(schema)}.{_ident(table)} FOR EACH ROW EXECUTE FUNCTION {function}()")
    return out


def drop_statements(session: Any, schema: str, table: str) -> list[str]:
    """The trigger functions of a table's DEFAULTs, to drop with it."""
    result = session.execute(
        "SELECT t.tgname FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON t.tgrelid = c.oid "
        "JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid "
        f"WHERE n.nspname = {_literal(schema)} AND c.relname = {_literal(table)} AND t.tgname LIKE 'ch_default_%'")[-1]
    names = [v for batch in result.batches or [] for v in batch.column(0).to_pylist()]
    return [f"DROP FUNCTION IF EXISTS {_ident(column_types.SCHEMA)}.{_ident('default_' + n.rsplit('_', 1)[1])}()"
            for n in names]


def column_trigger_drops(session: Any, schema: str, table: str, column: str) -> list[str]:
    """SQL dropping the trigger (and its function) that fills ``column`` of a table, when it has one."""
    needle = f"IF NEW.{_ident(column)} IS NULL".replace("'", "''")
    result = session.execute(
        "SELECT t.tgname FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON t.tgrelid = c.oid "
        "JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid "
        f"WHERE n.nspname = {_literal(schema)} AND c.relname = {_literal(table)} AND t.tgname LIKE 'ch_default_%' "
        f"AND strpos(p.prosrc, '{needle}') > 0")[-1]
    names = [v for batch in result.batches or [] for v in batch.column(0).to_pylist()]
    out = []
    for n in names:
        out.append(f"DROP TRIGGER {_ident(n)} ON {_ident(schema)}.{_ident(table)}")
        out.append(f"DROP FUNCTION IF EXISTS {_ident(column_types.SCHEMA)}.{_ident('default_' + n.rsplit('_', 1)[1])}()")
    return out


def has_expression_defaults(session: Any, schema: str, table: str) -> bool:
    """Whether the table has DEFAULTs over other columns (their triggers)."""
    result = session.execute(
        "SELECT 1 FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON t.tgrelid = c.oid "
        "JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid "
        f"WHERE n.nspname = {_literal(schema)} AND c.relname = {_literal(table)} "
        "AND t.tgname LIKE 'ch_default_%' LIMIT 1")[-1]
    return any(batch.num_rows for batch in result.batches or [])


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def staged_copy(session: Any, schema: str, table: str, columns: list[str] | None) -> tuple[str, list[str]]:
    """COPY into a table with such DEFAULTs (the kernel's COPY fires no triggers): the rows are
    loaded into a temporary table of the given columns, then inserted from it, which fires them.
    Returns the COPY statement to run and the statements to run after the rows are in."""
    stage = _ident(f"_ch_stage_{uuid.uuid4().hex}")
    target = f"{_ident(schema)}.{_ident(table)}"
    listed = ", ".join(_ident(c) for c in columns) if columns else "*"
    session.execute(f"CREATE TEMPORARY TABLE {stage} AS SELECT {listed} FROM {target} LIMIT 0")
    into = f" ({listed})" if columns else ""
    return f"COPY {stage} FROM STDIN", [f"INSERT INTO {target}{into} SELECT * FROM {stage}", f"DROP TABLE {stage}"]
