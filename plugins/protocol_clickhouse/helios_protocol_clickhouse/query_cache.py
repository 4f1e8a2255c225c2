"""Translated ClickHouse queries kept by their text, for the server's sessions.

A dashboard or a client library sends the same query text again and again; parsing it with the
ClickHouse dialect, running the rewrites onto the kernel's trees and generating the kernel's SQL
cost several milliseconds each time (more than a ``count()`` over millions of rows). A query
whose text was translated once runs that translation again as long as nothing it depends on has
changed: the key holds the text, the current database, the session's settings and time zone,
the branch, whether results are streamed, and the engine's plan generation (bumped by every DDL
commit, so a table created, dropped or altered since makes a new translation).

Only plain SELECTs are kept: tables of the database (not system tables, table functions, FINAL,
SAMPLE, time travel), columns, literals, arithmetic, comparisons, the standard aggregates,
GROUP BY, ORDER BY, LIMIT, joins. Anything else (functions that read the clock or the session,
WITH TOTALS, SETTINGS clauses, limits on rows read or returned) is translated each time: a node kind not on
the list below makes a query ineligible, so an unlisted feature can never run a stale
translation. Sessions with temporary tables do not share (their names resolve differently).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import attrs
from sqlglot import exp

from helios_protocol_clickhouse import limits

_PLAIN_NODES = (
    exp.Select, exp.From, exp.Table, exp.TableAlias, exp.Join, exp.Column, exp.Identifier, exp.Star,
    exp.Literal, exp.Boolean, exp.Null, exp.Alias, exp.Paren, exp.Neg, exp.Not, exp.And, exp.Or,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between, exp.In, exp.Like, exp.ILike, exp.Is,
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max,
    exp.Distinct, exp.Where, exp.Group, exp.Having, exp.Order, exp.Ordered, exp.Limit, exp.Offset,
    exp.Cast, exp.DataType, exp.DataTypeParam, exp.Case, exp.If,
)
# the clauses each node may carry (any other argument set: not plain)
_ALLOWED_ARGS: dict[type, frozenset[str]] = {
    exp.Select: frozenset({"expressions", "from_", "from", "joins", "where", "group", "having", "order", "limit",
                           "offset", "distinct", "format"}),
    exp.Table: frozenset({"this", "db", "alias"}),
    exp.Group: frozenset({"expressions"}),
    exp.Limit: frozenset({"expression"}),
    exp.In: frozenset({"this", "expressions"}),
}
_UNSHARED_DATABASES = {"system", "information_schema"}
_SIZE = 512


@attrs.frozen
class Translation:
    """What a plain query ran: the kernel's SQL and how its result is described."""

    sql: str
    format: str | None
    types: tuple[str | None, ...]
    stream: bool


class QueryCache:
    """A bounded, least-recently-used map from a query's key to its ``Translation``."""

    def __init__(self, size: int = _SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[tuple, Translation] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Translation | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple, translation: Translation) -> None:
        with self._lock:
            self._entries[key] = translation
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


SHARED = QueryCache()


def key_of(ch: Any, sql: str) -> tuple | None:
    """The key a query text of session ``ch`` is kept under; None when this session does not share."""
    if ch.temporary_tables or limits.any_set(ch.settings):  # limits are checked as the query runs
        return None
    session = ch.session
    engine = getattr(session, "engine", None)
    if engine is None:
        return None
    return (sql, ch.database, tuple(sorted(ch.settings.items())), ch.timezone, engine.plan_generation,
            session.branch, ch.stream_results, ch.dialect)


def is_plain(tree: exp.Expression) -> bool:
    """Whether ``tree`` is a SELECT made only of the listed node kinds (see the module's docstring)."""
    if not isinstance(tree, exp.Select):
        return False
    for node in tree.walk():
        if not isinstance(node, _PLAIN_NODES):
            return False
        allowed = _ALLOWED_ARGS.get(type(node))
        if allowed is not None and any(value not in (None, [], False) and name not in allowed
                                       for name, value in node.args.items()):
            return False
        if isinstance(node, exp.Table) and (not isinstance(node.this, exp.Identifier)
                                            or (node.db or "").lower() in _UNSHARED_DATABASES):
            return False
    return True
