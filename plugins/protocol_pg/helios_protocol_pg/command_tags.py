"""CommandComplete tags: PostgreSQL's rendering of a statement's kind and row count.

The session reports ``kind`` ("INSERT", "SELECT", "CREATE TABLE", ...) and ``row_count``;
PostgreSQL clients expect ``INSERT 0 n`` (the 0 is the long-gone row OID), ``SELECT n``,
``UPDATE n`` and so on, and a bare word for commands without a count.
"""

from __future__ import annotations

from typing import Any

# a portal's tag counts the rows it sent, not the ones the statement produced
_COUNTED_AS_SENT = ("SELECT", "FETCH", "MOVE")


def command_tag(result: Any, rows_sent: int | None = None) -> str:
    """The tag of a session Result; ``rows_sent`` replaces the count of a row-returning query."""
    kind = result.kind
    count = result.row_count
    if rows_sent is not None and kind in _COUNTED_AS_SENT:
        count = rows_sent
    if count is None:
        return kind
    if kind == "INSERT":
        return f"INSERT 0 {count}"
    return f"{kind} {count}"
