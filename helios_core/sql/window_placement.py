"""Where a window function may not stand: PostgreSQL's 42P20 naming the clause (WHERE, JOIN
conditions, GROUP BY, window definitions, RETURNING), pointing at the call."""

from __future__ import annotations

from sqlglot import exp

from helios_core.errors import HeliosError

_QUERIES = (exp.Subquery, exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Exists)


def refuse_window(node: exp.Expression | None, clause: str) -> None:
    """Raise if a window function sits in ``node`` at this query level (subqueries may hold their own)."""
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop()
        if isinstance(n, exp.Window):
            raise HeliosError(f"window functions are not allowed in {clause}", sqlstate="42P20",
                              position=position_of(n))
        if isinstance(n, _QUERIES) and n is not node:
            continue
        stack.extend(n.iter_expressions())


def position_of(node: exp.Expression) -> int | None:
    """1-based position of the leftmost token of ``node`` the tokenizer recorded (PostgreSQL's caret)."""
    starts = [n.meta["start"] for n in node.walk() if n.meta and isinstance(n.meta.get("start"), int)]
    return min(starts) + 1 if starts else None
