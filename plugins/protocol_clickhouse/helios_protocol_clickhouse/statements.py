"""Statements by kind: what ClickHouse does for each, on top of the kernel.

Queries (SELECT, UNION) are translated and run, with ClickHouse's FORMAT and SETTINGS
clauses taken off first. SET changes the session's ClickHouse settings; USE its database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from helios_protocol_clickhouse.errors import ClickHouseError
from helios_protocol_clickhouse.results import ChResult

if TYPE_CHECKING:
    from helios_protocol_clickhouse.execute import ClickHouseSession


def _setting_value(node: exp.Expression) -> str:
    if isinstance(node, exp.Literal):
        return node.this
    if isinstance(node, exp.Boolean):
        return "1" if node.this else "0"
    if isinstance(node, (exp.Column, exp.Identifier)):
        return node.name
    return node.sql(dialect="clickhouse").strip("'")


def settings_of(items: list[exp.Expression]) -> dict[str, str]:
    """``SETTINGS a = 1, b = 'x'`` / ``SET a = 1`` items -> {"a": "1", "b": "x"}."""
    out = {}
    for item in items:
        if isinstance(item, exp.SetItem):
            item = item.this
        if isinstance(item, exp.EQ):
            out[item.this.name] = _setting_value(item.expression)
        else:
            raise ClickHouseError(62, f"Syntax error: cannot read setting {item.sql(dialect='clickhouse')}")
    return out


def run_tree(ch: ClickHouseSession, tree: exp.Expression) -> list[ChResult]:
    if isinstance(tree, exp.Set):
        ch.settings.update(settings_of(list(tree.expressions)))
        return [ChResult(kind="SET")]
    if isinstance(tree, exp.Use):
        ch.database = tree.this.name
        return [ChResult(kind="USE")]
    if isinstance(tree, exp.Query):
        fmt = tree.args.get("format")
        tree.set("format", None)
        query_settings = settings_of(list(tree.args.get("settings") or []))
        tree.set("settings", None)
        result = ch.execute_tree(tree, format=fmt.name if fmt is not None else None)
        result.settings = query_settings
        return [result]
    return [ch.execute_tree(tree)]


def try_special(ch: ClickHouseSession, sql: str) -> list[ChResult] | None:
    """Statements sqlglot does not parse as ClickHouse runs them (None: not one of those)."""
    return None


def insert_formatted(ch: ClickHouseSession, table: str, columns: str | None, fmt: str,
                     payload: bytes) -> ChResult:
    raise ClickHouseError(48, f"INSERT ... FORMAT {fmt} is not supported yet")
