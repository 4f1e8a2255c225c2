"""EXPLAIN's option list, read as PostgreSQL 15 reads it: ``EXPLAIN (ANALYZE, BUFFERS true, FORMAT TEXT) q``.

Each option is a name with an optional value; a Boolean option without one is true and takes
true/false/on/off/1/0 (``analyze requires a Boolean value`` otherwise, 42601). An unknown
name is ``unrecognized EXPLAIN option "x"`` (42601), WAL and TIMING need ANALYZE (22023),
FORMAT takes TEXT, XML, JSON or YAML (22023 otherwise); only TEXT is produced here, the
others are refused with 0A000. COSTS is accepted (the plans show no costs) as is SETTINGS
(no planner setting changes a plan here, so there is nothing to list).
"""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType

from helios_core.errors import FeatureNotSupported, HeliosError, SyntaxError_

BOOLEAN_OPTIONS = ("analyze", "verbose", "costs", "buffers", "wal", "timing", "summary", "settings")
FORMATS = ("text", "xml", "json", "yaml")
_TRUE = ("true", "on", "1")
_FALSE = ("false", "off", "0")


def defaults() -> dict[str, Any]:
    """The options of a plain EXPLAIN (TIMING and SUMMARY follow ANALYZE unless given)."""
    return {"analyze": False, "verbose": False, "costs": True, "buffers": False, "wal": False, "timing": None,
            "summary": None, "settings": False, "format": "text"}


def parse_option_list(c: Any) -> dict[str, Any]:
    """The options between EXPLAIN's parentheses; ``c`` (the utility parser's cursor) is at the "("."""
    opts = defaults()
    c.i += 1
    while True:
        t = c.cur
        if t is None or t.token_type == TokenType.R_PAREN:
            c.fail()  # "EXPLAIN ()" and a dangling comma are syntax errors, as in PostgreSQL
        start = c.offset + t.start + 1
        name = t.text.lower() if t.token_type != TokenType.IDENTIFIER else t.text
        if name == "analyse" and t.token_type != TokenType.IDENTIFIER:
            name = "analyze"  # the grammar's other spelling of the keyword
        c.i += 1
        value = None
        nxt = c.cur
        if nxt is not None and nxt.token_type not in (TokenType.COMMA, TokenType.R_PAREN):
            value = nxt.text.lower() if nxt.token_type != TokenType.IDENTIFIER else nxt.text
            c.i += 1
        if name in BOOLEAN_OPTIONS:
            opts[name] = _boolean(name, value)
        elif name == "format":
            if value not in FORMATS:
                raise HeliosError(f'unrecognized value for EXPLAIN option "format": "{value or ""}"',
                                  sqlstate="22023", position=start)
            opts["format"] = value
        else:
            raise SyntaxError_(f'unrecognized EXPLAIN option "{name}"', position=start)
        t = c.cur
        if t is not None and t.token_type == TokenType.COMMA:
            c.i += 1
            continue
        if t is None or t.token_type != TokenType.R_PAREN:
            c.fail()
        c.i += 1
        break
    check(opts)
    return opts


def _boolean(name: str, value: str | None) -> bool:
    if value is None or value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SyntaxError_(f"{name} requires a Boolean value")


def check(opts: dict[str, Any]) -> None:
    """PostgreSQL's checks between options, and the refusal of what is not produced here."""
    if opts["wal"] and not opts["analyze"]:
        raise HeliosError("EXPLAIN option WAL requires ANALYZE", sqlstate="22023")
    if opts["timing"] and not opts["analyze"]:
        raise HeliosError("EXPLAIN option TIMING requires ANALYZE", sqlstate="22023")
    if opts["format"] not in ("text", "json"):
        raise FeatureNotSupported(f"EXPLAIN (FORMAT {opts['format'].upper()}) is not supported",
                                  hint="FORMAT TEXT and FORMAT JSON are.")
