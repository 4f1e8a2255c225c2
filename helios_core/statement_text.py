"""A statement's normalized text: its constants replaced by ``$n``, as pg_stat_statements shows it.

``select * from t where id = 42 and name = 'x'`` and ``... id = 7 and name = 'y'`` are one
entry of the statement statistics, ``select * from t where id = $1 and name = $2``. The
numbering starts after the highest ``$n`` the text already holds (a prepared statement's
parameters keep theirs). Words, quoted identifiers and comments are left as written; a
number glued to a word (``t1``, ``$1``) is part of that word. The closing semicolon is not part of
the text, as in PostgreSQL. A minus sign before a number is part of the constant where it is a
sign and not a subtraction (after an operator, a parenthesis, a comma or a keyword such as WHERE:
``abalance + -5`` is ``abalance + $1``, ``a - 5`` is ``a - $1``), as PostgreSQL's parser folds a
negated number into one constant.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""(?P<str>[eEbBxXnN]?'(?:[^'\\]|''|\\.)*')
    |(?P<qid>"(?:[^"]|"")*")
    |(?P<comment>--[^\n]*)
    |(?P<param>\$\d+)
    |(?P<word>[A-Za-z_\x80-\uffff][A-Za-z0-9_$\x80-\uffff]*)
    |(?P<num>(?P<minus>-\s*)?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    """,
    re.VERBOSE,
)
_PARAM = re.compile(r"\$(\d+)")
_WORD_BEFORE = re.compile(r"[A-Za-z_\x80-\uffff][A-Za-z0-9_$\x80-\uffff]*$")
# words after which an expression begins: a minus there is a sign
_SIGN_AFTER = frozenset({
    "select", "where", "and", "or", "not", "when", "then", "else", "case", "by", "limit", "offset",
    "having", "on", "between", "like", "ilike", "is", "return", "returning", "set", "values", "in",
    "any", "all", "some", "distinct", "array", "interval", "using", "fetch", "first", "next",
})
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
        kind = m.lastgroup
        if kind == "minus":  # the inner group ends last: the match is a number
            kind = "num"
        if kind not in ("str", "num"):
            return m.group(0)
        n += 1
        minus = m.group("minus") if kind == "num" else None
        if minus and not _is_sign(sql, m.start()):
            return f"{minus}${n}"
        return f"${n}"

    return _statement_end(_TOKEN.sub(replace, sql))


def _is_sign(sql: str, at: int) -> bool:
    """Whether the minus at ``at`` is a sign: nothing before it, or an operator, an opening
    parenthesis or bracket, a comma or a keyword that begins an expression."""
    before = sql[:at].rstrip()
    if not before:
        return True
    last = before[-1]
    if last in "=<>!+-*/%^(,[|&~:@#":
        return True
    word = _WORD_BEFORE.search(before)
    return word is not None and word.group(0).lower() in _SIGN_AFTER


def _statement_end(sql: str) -> str:
    """The statement without the blanks around it and its closing semicolons, as PostgreSQL's
    pg_stat_statements shows it (``... = $1;`` sent by pgbench is ``... = $1``)."""
    return sql.strip().rstrip(";").rstrip()
