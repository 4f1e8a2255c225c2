"""Stored generated columns: ``col type GENERATED ALWAYS AS (expr) STORED``.

The column's metadata keeps ``generated``: the expression's SQL text in parentheses, as
PostgreSQL's pg_get_expr prints it. Every new row version (INSERT, UPDATE, ON CONFLICT,
MERGE, COPY FROM) gets the column computed from the other columns of the same row, after
defaults and before constraints are checked, so CHECK, UNIQUE and indexes see the value.
Writing a value into one is 428C9 as in PostgreSQL (DEFAULT is allowed).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.frontends.postgres import dialect
from helios_core.sql.context import table_sql_columns
from helios_core.sql.expr import Scope, compile_scalar

KEY = "generated"

# functions PostgreSQL marks volatile or stable: a stored value must not depend on when it was written
_NOT_IMMUTABLE = {
    "random", "setseed", "nextval", "currval", "lastval", "setval", "now", "clock_timestamp",
    "statement_timestamp", "transaction_timestamp", "timeofday", "gen_random_uuid", "uuid_generate_v1",
    "uuid_generate_v4", "txid_current", "pg_backend_pid", "current_setting",
    "pg_notify", "current_database", "current_schema", "version",
}
_NOT_IMMUTABLE_NODES = (exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime, exp.Rand, exp.CurrentUser)


class GeneratedAlways(HeliosError):
    sqlstate = "428C9"


class InvalidObjectDefinition(HeliosError):
    sqlstate = "42P17"


def expression_of(col: Any) -> str | None:
    """The generation expression of a storage ColumnDef, or None for an ordinary column."""
    return (getattr(col, "metadata", None) or {}).get(KEY)


def is_generated(col: Any) -> bool:
    return expression_of(col) is not None


def has_generated(tdef: Any) -> bool:
    return any(is_generated(c) for c in tdef.columns)


# ----------------------------------------------------------------------------------- CREATE TABLE
def definition(node: exp.ComputedColumnConstraint, column: str, metadata: dict, table: str) -> str:
    """The metadata text of ``GENERATED ALWAYS AS (expr) STORED``, after PostgreSQL's checks that
    need only the expression itself."""
    if "default" in metadata:
        raise HeliosError(f'both default and generation expression specified for column "{column}" of table '
                          f'"{table}"', sqlstate="42601")
    if metadata.get("identity"):
        raise HeliosError(f'both identity and generation expression specified for column "{column}" of table '
                          f'"{table}"', sqlstate="42601")
    expr = node.this
    if isinstance(expr, exp.Paren):
        expr = expr.this
    if expr.find(exp.Subquery, exp.Select, exp.Exists):
        raise FeatureNotSupported("cannot use subquery in column generation expression")
    if expr.find(exp.AggFunc):
        raise HeliosError("aggregate functions are not allowed in column generation expressions",
                          sqlstate="42803")
    if expr.find(exp.Window):
        raise HeliosError("window functions are not allowed in column generation expressions",
                          sqlstate="42P20")
    for f in expr.find_all(exp.Func):
        name = (f.name if isinstance(f, exp.Anonymous) else f.sql_name()).lower()
        if isinstance(f, _NOT_IMMUTABLE_NODES) or name in _NOT_IMMUTABLE:
            raise InvalidObjectDefinition("generation expression is not immutable")
    return f"({dialect.to_sql(expr)})"


def validate_table(session: Any, txn: Any, table: str, columns: list[Any]) -> None:
    """What needs the whole column list: no reference to a generated column, names that exist,
    a type that converts to the column's (checked by compiling the expression over the row)."""
    generated = {c.name for c in columns if is_generated(c)}
    if not generated:
        return
    names = {c.name for c in columns}
    for col in columns:
        text = expression_of(col)
        if text is None:
            continue
        tree = _parse(text)
        for ref in tree.find_all(exp.Column):
            if ref.name in generated:
                raise InvalidObjectDefinition(
                    f'cannot use generated column "{ref.name}" in column generation expression',
                    detail="A generated column cannot reference another generated column.")
            if ref.name not in names:
                raise HeliosError(f'column "{ref.name}" does not exist', sqlstate="42703")
    probe = _TableShape(table, columns)
    ctx = session.context(txn)
    scope = Scope.of_table(table, table_sql_columns(probe))
    for col in columns:
        text = expression_of(col)
        if text is not None:
            compile_scalar(_parse(text), scope, ctx)


class _TableShape:
    """Just enough of a TableDef (name, columns) to build a scope before the table exists."""

    def __init__(self, name: str, columns: list[Any]) -> None:
        self.name = name
        self.columns = columns
        self.options: dict = {}


def _parse(text: str) -> exp.Expression:
    return dialect.parse(f"SELECT {text}")[0].ast.expressions[0]


# ----------------------------------------------------------------------------------- writes
def refuse_insert(col: Any) -> None:
    raise GeneratedAlways(f'cannot insert a non-DEFAULT value into column "{col.name}"',
                          detail=f'Column "{col.name}" is a generated column.')


def refuse_update(col: Any) -> None:
    raise GeneratedAlways(f'column "{col.name}" can only be updated to DEFAULT',
                          detail=f'Column "{col.name}" is a generated column.')


def compute(session: Any, ctx: Any, tdef: Any, batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` (a full row of the table per row) with its generated columns computed."""
    if batch.num_rows == 0 or not has_generated(tdef):
        return batch
    from helios_core.sql import dml  # dml imports this module: it writes through compute()

    types = table_sql_columns(tdef)
    scope = Scope.of_table(tdef.name, types)
    arrays = list(batch.columns)
    for i, col in enumerate(tdef.columns):
        text = expression_of(col)
        if text is None:
            continue
        vec = compile_scalar(_parse(text), scope, ctx).evaluate(batch, ctx)
        arrays[i] = dml.assign(vec, types[i][1], batch.num_rows, col.name)
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)


def reading(tdef: Any, column: str) -> list[str]:
    """Generated columns of ``tdef`` whose expression reads ``column`` (DROP COLUMN needs CASCADE)."""
    out = []
    for c in tdef.columns:
        text = expression_of(c)
        if text is not None and c.name != column and any(
                ref.name == column for ref in _parse(text).find_all(exp.Column)):
            out.append(c.name)
    return out


def copy_columns(tdef: Any, named: list[str] | None) -> list[str]:
    """COPY's columns: a list naming a generated column is 42P10; no list means every other column."""
    if not named:
        return [c.name for c in tdef.columns if not is_generated(c)]
    for n in named:
        col = tdef.column(n) if hasattr(tdef, "column") else None
        if col is not None and is_generated(col):
            raise HeliosError(f'column "{n}" is a generated column', sqlstate="42P10",
                              detail="Generated columns cannot be used in COPY.")
    return named
