"""PostgreSQL's ``$n`` parameters told apart from dollar-quoted strings.

In PostgreSQL ``$`` followed by digits is a parameter, and a dollar quote's tag follows
identifier rules (it never starts with a digit), so ``VALUES ($1,$2)`` is two parameters.
sqlglot's tokenizer reads ``$1,$`` as the opening tag of a dollar-quoted string instead
(it only recognises a parameter when whitespace follows), so ``$1,$2`` becomes an
unterminated string. :func:`tokenize_with_parameters` finds the parameters with
PostgreSQL's lexical rules first (skipping strings, quoted identifiers, comments and
dollar quotes), hides each one from sqlglot behind a same-length word, and puts the
PARAMETER and NUMBER tokens sqlglot itself makes for ``$1`` back in its place: positions,
and so error positions, stay those of the original text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot.tokens import Token, TokenType

from helios_core.frontends.postgres.unterminated import comment_end, quote_end

_MAYBE = re.compile(r"\$\d")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*)?\$")
_IDENT_CHAR = re.compile(r"[A-Za-z0-9_$\x80-\U0010ffff]")
_DIGITS = re.compile(r"\d+")


def parameter_spans(sql: str) -> list[tuple[int, int]]:
    """(start, end) of every ``$n`` parameter of ``sql`` (end exclusive), in order."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "'":
            escapes = i > 0 and sql[i - 1] in "eE" and (i < 2 or not _IDENT_CHAR.match(sql[i - 2]))
            i = _skip_quoted(sql, i + 1, "'", backslash=escapes)
        elif ch == '"':
            i = _skip_quoted(sql, i + 1, '"', backslash=False)
        elif ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif ch == "/" and sql.startswith("/*", i):
            i = _skip_block_comment(sql, i)
        elif ch == "$":
            digits = _DIGITS.match(sql, i + 1)
            if digits:
                end = digits.end()
                if end >= n or not _IDENT_CHAR.match(sql[end]):
                    spans.append((i, end))
                i = end
                continue
            tag = _DOLLAR_TAG.match(sql, i)
            if tag:
                close = sql.find(tag.group(0), tag.end())
                i = n if close < 0 else close + len(tag.group(0))
            else:
                i += 1
        elif _IDENT_CHAR.match(ch):
            # a word: "$" inside it (a$1) belongs to the word, as in PostgreSQL
            i += 1
            while i < n and _IDENT_CHAR.match(sql[i]):
                i += 1
        else:
            i += 1
    return spans


def _skip_quoted(sql: str, i: int, quote: str, *, backslash: bool) -> int:
    """Index after the quoted text whose body starts at i (the end of sql when it is unterminated)."""
    end = quote_end(sql, i, quote, backslash)
    return len(sql) if end < 0 else end


def _skip_block_comment(sql: str, i: int) -> int:
    end = comment_end(sql, i)
    return len(sql) if end < 0 else end


def tokenize_with_parameters(sql: str, tokenize: Callable[[str], list[Token]]) -> list[Token]:
    """Tokens of ``sql`` from ``tokenize`` (a sqlglot tokenizer), with ``$n`` always a parameter."""
    if "$" not in sql or not _MAYBE.search(sql):
        return tokenize(sql)
    spans = parameter_spans(sql)
    if not spans:
        return tokenize(sql)
    masked = list(sql)
    for start, _end in spans:
        masked[start] = "_"  # "$12" -> "_12": one plain word of the same length
    starts = {start: end for start, end in spans}
    text = "".join(masked)
    out: list[Token] = []
    for tok in tokenize(text):
        end = starts.get(tok.start)
        if end is not None and tok.end == end - 1 and tok.token_type == TokenType.VAR:
            digits = sql[tok.start + 1:end]
            out.append(Token(TokenType.PARAMETER, "$", line=tok.line, col=tok.col - len(digits),
                             start=tok.start, end=tok.start, comments=tok.comments))
            out.append(Token(TokenType.NUMBER, digits, line=tok.line, col=tok.col, start=tok.start + 1, end=end - 1))
            continue
        if "_" in tok.text:
            tok.text = _unmasked(tok, out[-1] if out else None, text, sql)
        out.append(tok)
    return out


def _unmasked(tok: Token, prev: Token | None, masked: str, sql: str) -> str:
    """The token's text as the user wrote it (a masked "$n" inside it shown as "$n" again)."""
    if masked[tok.start:tok.end + 1] == tok.text:
        return sql[tok.start:tok.end + 1]
    if prev is not None:  # the rest of a command, which sqlglot keeps as one stripped string
        rest = masked[prev.end + 1:tok.end + 1].strip()
        if rest == tok.text:
            return sql[prev.end + 1:tok.end + 1].strip()
    return tok.text
