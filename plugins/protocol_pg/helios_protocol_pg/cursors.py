"""SQL-level cursors: DECLARE / FETCH / MOVE / CLOSE.

In PostgreSQL a cursor declared in SQL *is* a portal of the connection: psycopg's
server-side cursors DECLARE one, ask for its description as a portal, then FETCH
from it. Portals belong to the protocol, so these four statements are recognised
here (only when a statement starts with one of these words) and run over the
connection's portals; the query inside DECLARE goes to the session as usual.

A cursor's rows are kept once computed, so it can move in every direction (FETCH
PRIOR, ABSOLUTE n, BACKWARD ALL...), except one declared NO SCROLL, which refuses
to go backward as PostgreSQL does.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import attrs
import pyarrow as pa

from helios_core.errors import HeliosError

_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_DECLARE = re.compile(
    rf"^\s*declare\s+(?P<name>{_IDENT})\s+(?P<opts>(?:(?:binary|insensitive|asensitive|no\s+scroll|scroll)\s+)*)"
    rf"cursor\s+(?:(?P<hold>with|without)\s+hold\s+)?for\s+(?P<query>.+?)\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_FETCH = re.compile(
    rf"^\s*(?P<verb>fetch|move)\s+(?:(?P<dir>next|prior|first|last|all|forward\s+all|backward\s+all|"
    rf"absolute\s+[-+]?\d+|relative\s+[-+]?\d+|forward\s+[-+]?\d+|backward\s+[-+]?\d+|forward|backward|"
    rf"[-+]?\d+)\s+)?(?:(?:from|in)\s+)?(?P<name>{_IDENT})\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CLOSE = re.compile(rf"^\s*close\s+(?P<name>all|{_IDENT})\s*;?\s*$", re.IGNORECASE | re.DOTALL)

ALL = None  # a count meaning "every row in that direction"


def _ident(raw: str) -> str:
    if raw.startswith('"'):
        return raw[1:-1].replace('""', '"')
    return raw.lower()


@attrs.define
class Declare:
    name: str
    query: str
    hold: bool
    binary: bool
    scroll: bool = True  # False for NO SCROLL
    text: str = ""  # the DECLARE statement as the client sent it (pg_cursors.statement)


@attrs.define
class Fetch:
    name: str
    direction: str  # forward | backward | absolute | relative
    count: int | None  # rows (forward/backward; None = ALL) or the target (absolute/relative)
    move: bool


@attrs.define
class Close:
    name: str | None  # None = CLOSE ALL


def parse(sql: str) -> Declare | Fetch | Close | None:
    """Recognise a cursor statement; None for anything else (cheap for ordinary SQL)."""
    head = sql.lstrip()[:8].lower()
    if head.startswith("declare"):
        m = _DECLARE.match(sql)
        if m is None:
            return None
        opts = " ".join((m["opts"] or "").lower().split())
        return Declare(_ident(m["name"]), m["query"], (m["hold"] or "").lower() == "with",
                       "binary" in opts, "no scroll" not in opts, sql.strip())
    if head.startswith(("fetch", "move")):
        m = _FETCH.match(sql)
        if m is None:
            return None
        return Fetch(_ident(m["name"]), *_direction(m["dir"]), m["verb"].lower() == "move")
    if head.startswith("close"):
        m = _CLOSE.match(sql)
        if m is None:
            return None
        name = m["name"]
        return Close(None if name.lower() == "all" else _ident(name))
    return None


def _direction(text: str | None) -> tuple[str, int | None]:
    """FETCH's direction clause as (direction, count)."""
    d = " ".join((text or "next").lower().split())
    fixed = {"next": ("forward", 1), "forward": ("forward", 1), "prior": ("backward", 1),
             "backward": ("backward", 1), "first": ("absolute", 1), "last": ("absolute", -1),
             "all": ("forward", ALL), "forward all": ("forward", ALL), "backward all": ("backward", ALL)}
    if d in fixed:
        return fixed[d]
    *word, number = d.split()
    n = int(number)
    kind = word[0] if word else "forward"
    if kind in ("absolute", "relative"):
        return kind, n
    if kind == "backward":
        n = -n
    return ("forward", n) if n >= 0 else ("backward", -n)


@attrs.define
class Cursor:
    """A DECLAREd cursor: its query's rows and a position (0 = before the first row, rows+1 = after
    the last), moved by FETCH/MOVE with PostgreSQL's rules."""

    name: str
    statement: str
    columns: list[Any]
    table: pa.Table
    hold: bool
    binary: bool
    scroll: bool
    created_at: dt.datetime = attrs.Factory(lambda: dt.datetime.now(dt.UTC))
    position: int = 0

    def fetch(self, direction: str, count: int | None) -> tuple[int, list[pa.RecordBatch]]:
        """Move as FETCH does; return (rows, batches of the rows fetched, in fetch order)."""
        n, pos = self.table.num_rows, self.position
        if direction == "forward":
            last = n if count is None else min(pos + count, n)
            self.position = n + 1 if count is None or pos + count > n else pos + count
            if count == 0:  # FETCH FORWARD 0 re-reads the current row
                return self._current()
            return max(last - pos, 0), self.table.slice(pos, max(last - pos, 0)).to_batches()
        if direction == "backward":
            self._check_backward(count != 0)
            first = 1 if count is None else max(pos - count, 1)
            self.position = 0 if count is None or pos - count < 1 else pos - count
            if count == 0:
                return self._current()
            upto = min(pos - 1, n)
            if upto < first:
                return 0, []
            rows = self.table.slice(first - 1, upto - first + 1)
            return rows.num_rows, rows.take(list(range(rows.num_rows - 1, -1, -1))).to_batches()
        target = count if direction == "absolute" else pos + (count or 0)
        assert target is not None
        if direction == "absolute" and target < 0:
            target = n + 1 + target
        self._check_backward(target < pos or (direction == "absolute" and (count or 0) < 0))
        self.position = min(max(target, 0), n + 1)
        return self._current()

    def _current(self) -> tuple[int, list[pa.RecordBatch]]:
        if 1 <= self.position <= self.table.num_rows:
            return 1, self.table.slice(self.position - 1, 1).to_batches()
        return 0, []

    def _check_backward(self, backward: bool) -> None:
        if backward and not self.scroll:
            raise HeliosError("cursor can only scan forward", sqlstate="55000",
                              hint="Declare it with SCROLL option to enable backward scan.")
