"""A statement's normalized text: its constants replaced by ``$n``, as pg_stat_statements shows it.

``select * from t where id = 42 and name = 'x'`` and ``... id = 7 and name = 'y'`` are one
entry of the statement statistics, ``select * from t where id = $1 and name = $2``. The
numbering starts after the highest ``$n`` the text already holds (a prepared statement's
parameters keep theirs). Words, quoted identifiers and comments are left as written; a
number glued to a word (``t1``, ``$1``) is part of that word. The closing semicolon is not part of
the text, as in PostgreSQL.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""(?P<str>[eEbBxXnN]?'(?:[^'\\]|''|\\.)*')
    |(?P<qid>"(?:[^"]|"")*")
    |(?P<comment>--[^\n]*)
    |(?P<param>\$\d+)
    |(?P<word>[A-Za-z_\x80-\uffff][A-Za-z0-9_$\x80-\uffff]*)
    |(?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    """,
    re.VERBOSE,
)
_PARAM = re.compile(r"\$(\d+)")
_DOLLAR_QUOTE = re.compile(r"\$[A-Za-z_]*\$")
_CACHE_LIMIT = 4096
_cache: dict[str, str] = {}


def normalize(sql: str) -> str:
    """``sql`` with its string and number constants replaced by ``$n`` (cached per text)."""
    text = _cache.get(sql)
    if text is not None:
        return text
    text = _normalize(sql)
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[sql] = text
    return text


def _normalize(sql: str) -> str:
    if _DOLLAR_QUOTE.search(sql):
        return _statement_end(sql)  # dollar-quoted bodies (function definitions) are kept whole
    n = max((int(m) for m in _PARAM.findall(sql)), default=0)

    def replace(m: re.Match[str]) -> str:
        nonlocal n
        if m.lastgroup in ("str", "num"):
            n += 1
            return f"${n}"
        return m.group(0)

    return _statement_end(_TOKEN.sub(replace, sql))


def _statement_end(sql: str) -> str:
    """The statement without the blanks around it and its closing semicolons, as PostgreSQL's
    pg_stat_statements shows it (``... = $1;`` sent by pgbench is ``... = $1``)."""
    return sql.strip().rstrip(";").rstrip()
