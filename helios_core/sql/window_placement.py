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
            start = n.meta.get("start") if n.meta else None
            raise HeliosError(f"window functions are not allowed in {clause}", sqlstate="42P20",
                              position=start + 1 if isinstance(start, int) else None)
        if isinstance(n, _QUERIES) and n is not node:
            continue
        stack.extend(n.iter_expressions())
