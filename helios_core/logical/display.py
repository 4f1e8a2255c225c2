"""The text of a logical plan: one node per line, inputs indented under their consumer.

Used by the rules' docstrings and fixtures (``tests/logical``); EXPLAIN shows the physical
plan, in PostgreSQL's layout (helios_core.sql.explain).
"""

from __future__ import annotations

from typing import Any


def display(node: Any) -> list[str]:
    """Lines of the plan rooted at ``node``."""
    lines: list[str] = []
    _walk(node, 0, lines)
    return lines


def _walk(node: Any, depth: int, lines: list[str]) -> None:
    describe = getattr(node, "describe", None)
    lines.append("  " * depth + (describe() if describe is not None else node.label()))
    for c in node.children:
        _walk(c, depth + 1, lines)
    table = getattr(node, "table", None)
    if describe is not None and hasattr(table, "per_outer_row"):  # a CTE scan: its body, once
        _walk(table.child, depth + 1, lines)
