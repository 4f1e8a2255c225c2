"""SQL-level cursors: DECLARE / FETCH / MOVE / CLOSE.

In PostgreSQL a cursor declared in SQL *is* a portal of the connection: psycopg's
server-side cursors DECLARE one, ask for its description as a portal, then FETCH
from it. Portals belong to the protocol, so these four statements are recognised
here (only when a statement starts with one of these words) and run over the
connection's portals; the query inside DECLARE goes to the session as usual.
"""

from __future__ import annotations

import re

import attrs

from helios_core.errors import HeliosError

_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_DECLARE = re.compile(
    rf"^\s*declare\s+(?P<name>{_IDENT})\s+(?P<opts>(?:(?:binary|insensitive|asensitive|no\s+scroll|scroll)\s+)*)"
    rf"cursor\s+(?:(?P<hold>with|without)\s+hold\s+)?for\s+(?P<query>.+?)\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_FETCH = re.compile(
    rf"^\s*(?P<verb>fetch|move)\s+(?:(?P<dir>next|prior|first|last|all|forward\s+all|forward|"
    rf"absolute\s+-?\d+|relative\s+-?\d+|forward\s+\d+|-?\d+)\s+)?(?:(?:from|in)\s+)?(?P<name>{_IDENT})\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CLOSE = re.compile(rf"^\s*close\s+(?P<name>all|{_IDENT})\s*;?\s*$", re.IGNORECASE | re.DOTALL)

ALL = -1


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


@attrs.define
class Fetch:
    name: str
    count: int  # ALL = -1
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
        return Declare(_ident(m["name"]), m["query"], (m["hold"] or "").lower() == "with",
                       "binary" in (m["opts"] or "").lower())
    if head.startswith(("fetch", "move")):
        m = _FETCH.match(sql)
        if m is None:
            return None
        return Fetch(_ident(m["name"]), _count(m["dir"]), m["verb"].lower() == "move")
    if head.startswith("close"):
        m = _CLOSE.match(sql)
        if m is None:
            return None
        name = m["name"]
        return Close(None if name.lower() == "all" else _ident(name))
    return None


def _count(direction: str | None) -> int:
    if not direction:
        return 1
    d = " ".join(direction.lower().split())
    if d in ("next", "forward"):
        return 1
    if d in ("all", "forward all"):
        return ALL
    if d.startswith("forward "):
        return int(d.split()[1])
    if d.lstrip("-").isdigit():
        n = int(d)
        if n < 0:
            raise HeliosError("cursor can only scan forward", sqlstate="55000",
                              hint="Declare it with SCROLL option to enable backward scan.")
        return n
    raise HeliosError(f"FETCH {direction.upper()} is not supported: cursors scan forward only",
                      sqlstate="0A000")
