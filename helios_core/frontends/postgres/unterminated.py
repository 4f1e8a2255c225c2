"""Which quoted string, identifier or comment a statement leaves open, as PostgreSQL's lexer says it.

sqlglot's tokenizer only reports that it failed; PostgreSQL names the construct and points at
where it starts (``unterminated quoted string at or near "'abc"``, position of the quote). This
scanner walks the text once, knowing just enough of PostgreSQL's lexical rules (doubled quotes,
E'' backslash escapes, $tag$ strings, nested /* */ comments, -- comments) to find that start.
"""

from __future__ import annotations

import re

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")
_PREFIXED = {"e": "quoted string", "b": "bit string literal", "x": "hexadecimal string literal",
             "n": "quoted string"}


def find_unterminated(sql: str) -> tuple[str, int] | None:
    """(PostgreSQL's message, 1-based position) for the construct left open at the end, or None."""
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "-" and sql.startswith("--", i):
            nl = sql.find("\n", i)
            if nl < 0:
                return None
            i = nl + 1
        elif ch == "/" and sql.startswith("/*", i):
            end = comment_end(sql, i)
            if end < 0:
                return _message("/* comment", sql, i)
            i = end
        elif ch == "'" or (ch.lower() in _PREFIXED and sql.startswith("'", i + 1) and _word_start(sql, i)):
            start = i
            kind = _PREFIXED.get(ch.lower(), "quoted string") if ch != "'" else "quoted string"
            backslashes = ch.lower() == "e"
            i = i + 1 if ch == "'" else i + 2
            end = quote_end(sql, i, "'", backslashes)
            if end < 0:
                return _message(kind, sql, start)
            i = end
        elif ch == '"':
            end = quote_end(sql, i + 1, '"', False)
            if end < 0:
                return _message("quoted identifier", sql, i)
            i = end
        elif ch == "$" and _word_start(sql, i):
            m = _DOLLAR_TAG.match(sql, i)
            if m is None:
                i += 1
                continue
            close = sql.find(m.group(0), m.end())
            if close < 0:
                return _message("dollar-quoted string", sql, i)
            i = close + len(m.group(0))
        else:
            i += 1
    return None


def _message(kind: str, sql: str, start: int) -> tuple[str, int]:
    return f'unterminated {kind} at or near "{sql[start:]}"', start + 1


def _word_start(sql: str, i: int) -> bool:
    """A prefix letter or $ starts a token only when not in the middle of a word ($1 excepted below)."""
    return i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] in "_$")


def quote_end(sql: str, i: int, quote: str, backslashes: bool) -> int:
    """Index just after the closing quote (a doubled quote is part of the text), or -1."""
    n = len(sql)
    while i < n:
        ch = sql[i]
        if backslashes and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if i + 1 < n and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return -1


def comment_end(sql: str, i: int) -> int:
    """Index just after the (nested) comment opened at i, or -1."""
    depth, n = 0, len(sql)
    while i < n:
        if sql.startswith("/*", i):
            depth += 1
            i += 2
        elif sql.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return -1
