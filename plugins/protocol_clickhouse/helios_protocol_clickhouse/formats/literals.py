"""ClickHouse's text form of composite values read back: ``[1,2]``, ``['a','b']``, ``(1,'x')``."""

from __future__ import annotations

from typing import Any

from helios_protocol_clickhouse.errors import ClickHouseError


def parse_array_text(text: str) -> list[Any]:
    """``[1, 'a\\'b', NULL, [2]]`` -> [1, "a'b", None, [2]] (numbers as int/float, strings unescaped)."""
    value, _end = _value(text.strip(), 0)
    if not isinstance(value, list):
        raise ClickHouseError(6, f"Cannot parse array from {text[:60]!r}")
    return value


def parse_tuple_text(text: str) -> tuple:
    """``(1, 'a', [2])`` -> (1, "a", [2])."""
    value, _end = _value(text.strip(), 0)
    if not isinstance(value, tuple):
        raise ClickHouseError(6, f"Cannot parse tuple from {text[:60]!r}")
    return value


def value_text(value: Any) -> str | None:
    """A parsed value's text as a String holds it (a string as it is; an array or tuple in its
    quoted form, which a CAST reads back); None for NULL."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return _quoted(value)


def _quoted(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[" + ",".join(_quoted(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ",".join(_quoted(v) for v in value) + ")"
    return str(value)


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\n\r":
        pos += 1
    return pos


def _value(text: str, pos: int) -> tuple[Any, int]:
    pos = _skip(text, pos)
    if pos >= len(text):
        raise ClickHouseError(6, "Cannot parse value: unexpected end")
    c = text[pos]
    if c in "[(":
        close = "]" if c == "[" else ")"
        items = []
        pos = _skip(text, pos + 1)
        if pos < len(text) and text[pos] == close:
            return ([] if c == "[" else ()), pos + 1
        while True:
            item, pos = _value(text, pos)
            items.append(item)
            pos = _skip(text, pos)
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            if pos < len(text) and text[pos] == close:
                return (items if c == "[" else tuple(items)), pos + 1
            raise ClickHouseError(6, f"Cannot parse array: expected ',' or '{close}' at {pos}")
    if c == "'":
        out = []
        pos += 1
        while pos < len(text):
            ch = text[pos]
            if ch == "\\" and pos + 1 < len(text):
                nxt = text[pos + 1]
                out.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "f": "\f"}.get(nxt, nxt))
                pos += 2
                continue
            if ch == "'":
                if pos + 1 < len(text) and text[pos + 1] == "'":
                    out.append("'")
                    pos += 2
                    continue
                return "".join(out), pos + 1
            out.append(ch)
            pos += 1
        raise ClickHouseError(6, "Cannot parse string: no closing quote")
    end = pos
    while end < len(text) and text[end] not in ",])":
        end += 1
    token = text[pos:end].strip()
    if token.upper() == "NULL":
        return None, end
    try:
        return int(token), end
    except ValueError:
        try:
            return float(token), end
        except ValueError:
            return token, end
