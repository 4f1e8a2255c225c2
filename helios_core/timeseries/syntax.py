"""The statements of time series, parsed into plain dicts (``helios_sql_statements``)::

    CREATE TIMESERIES TABLE [IF NOT EXISTS] name (columns ...) [WITH (option = value, ...)]
    CREATE CONTINUOUS AGGREGATE [IF NOT EXISTS] name [WITH (option = value, ...)] AS query
    DROP CONTINUOUS AGGREGATE [IF EXISTS] name

CREATE TIMESERIES TABLE is CREATE TABLE with one more word: the word is blanked out (so
error positions stay where the client wrote them) and the rest is parsed as CREATE TABLE.
"""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType

from helios_core.errors import SyntaxError_
from helios_core.frontends.postgres import dialect


def _fail(text: str, tok: Any) -> None:
    if tok is None:
        raise SyntaxError_("syntax error at end of input", position=len(text))
    raise SyntaxError_(f'syntax error at or near "{tok.text}"', position=tok.start + 1)


class _Words:
    """A cursor over the plain tokens of a statement."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = dialect.tokenize_plain(text)
        self.i = 0

    @property
    def cur(self) -> Any:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def accept(self, *words: str) -> bool:
        save = self.i
        for w in words:
            t = self.cur
            if t is None or t.token_type in (TokenType.STRING, TokenType.IDENTIFIER) or t.text.upper() != w:
                self.i = save
                return False
            self.i += 1
        return True

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            _fail(self.text, self.cur)

    def name(self) -> str:
        t = self.cur
        if t is None or t.token_type in (TokenType.STRING, TokenType.NUMBER) or not t.text:
            _fail(self.text, t)
        self.i += 1
        return t.text if t.token_type == TokenType.IDENTIFIER else t.text.lower()

    def dotted_name(self) -> str:
        parts = [self.name()]
        while self.cur is not None and self.cur.token_type == TokenType.DOT:
            self.i += 1
            parts.append(self.name())
        return ".".join(parts)

    def symbol(self, kind: Any) -> bool:
        if self.cur is not None and self.cur.token_type == kind:
            self.i += 1
            return True
        return False

    def value(self) -> str | None:
        t = self.cur
        if t is None:
            _fail(self.text, t)
        self.i += 1
        if t.token_type == TokenType.NULL:
            return None
        if t.token_type in (TokenType.STRING, TokenType.NUMBER, TokenType.IDENTIFIER):
            return t.text
        if t.text and (t.text[0].isalpha() or t.text[0] == "_"):
            return t.text.lower()
        self.i -= 1
        _fail(self.text, t)
        return None

    def options(self) -> dict[str, str | None]:
        """``(name = value, ...)`` after WITH."""
        if not self.symbol(TokenType.L_PAREN):
            _fail(self.text, self.cur)
        out: dict[str, str | None] = {}
        while True:
            key = self.name()
            if not self.symbol(TokenType.EQ):
                _fail(self.text, self.cur)
            out[key] = self.value()
            if self.symbol(TokenType.R_PAREN):
                return out
            if not self.symbol(TokenType.COMMA):
                _fail(self.text, self.cur)


def parse_create_timeseries(text: str) -> dict[str, Any]:
    """CREATE TIMESERIES TABLE: the CREATE TABLE text it stands for (checked here)."""
    words = _Words(text)
    words.expect("CREATE")
    marker = words.cur
    words.expect("TIMESERIES", "TABLE")
    create = text[:marker.start] + " " * (marker.end + 1 - marker.start) + text[marker.end + 1:]
    stmts = dialect.parse(create)  # syntax errors point into the client's text
    if len(stmts) != 1 or stmts[0].is_utility or stmts[0].ast.key != "create":
        _fail(text, marker)
    return {"create": create}


def parse_create_aggregate(text: str) -> dict[str, Any]:
    """CREATE CONTINUOUS AGGREGATE ... AS query: name, options and the query's text."""
    words = _Words(text)
    words.expect("CREATE", "CONTINUOUS", "AGGREGATE")
    if_not_exists = words.accept("IF", "NOT", "EXISTS")
    name = words.dotted_name()
    options = words.options() if words.accept("WITH") else {}
    as_tok = words.cur
    words.expect("AS")
    if words.cur is None:
        _fail(text, None)
    body = text[words.cur.start:]
    stmts = dialect.parse(body)
    if len(stmts) != 1 or stmts[0].ast.key not in ("select", "union", "with"):
        _fail(text, as_tok)
    return {"name": name, "if_not_exists": if_not_exists, "options": options, "query": body}


def parse_drop_aggregate(text: str) -> dict[str, Any]:
    words = _Words(text)
    words.expect("DROP", "CONTINUOUS", "AGGREGATE")
    if_exists = words.accept("IF", "EXISTS")
    name = words.dotted_name()
    if words.cur is not None:
        _fail(text, words.cur)
    return {"name": name, "if_exists": if_exists}
