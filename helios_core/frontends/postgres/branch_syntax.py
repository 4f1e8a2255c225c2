"""HeliosDB's branch statements as sqlglot expressions, parsed by the dialect's parser.

::

    CREATE BRANCH [IF NOT EXISTS] name [FROM parent] [AT TIMESTAMP ts | AS OF TIMESTAMP ts]
    DROP BRANCH [IF EXISTS] name
    ALTER BRANCH name RENAME TO new
    ALTER BRANCH name SET option = value [, ...]        (also option TO value)
    ALTER BRANCH name RESET option [, ...]
    MERGE BRANCH source INTO target [WITH (option = value, ...)]

They are nodes of the same tree every other statement is (``exp.Expression`` subclasses),
so a front end can build one without SQL text and a printer can print them. ``ts`` is any
expression (a string literal, ``now() - interval '1 hour'``). Option values are kept as
the text of the literal or word written (``'2GB'`` -> ``2GB``, ``20`` -> ``20``); a value
``None`` (RESET) restores the default. ``helios_core.sql.ddl.branch_statement`` runs them.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.tokens import TokenType


class CreateBranch(exp.Expression):
    arg_types = {"this": True, "parent": False, "at": False, "exists": False}  # noqa: RUF012


class DropBranch(exp.Expression):
    arg_types = {"this": True, "exists": False}  # noqa: RUF012


class AlterBranch(exp.Expression):
    """``rename`` (RENAME TO) or ``options`` (SET / RESET: ``exp.Property`` name = value)."""

    arg_types = {"this": True, "rename": False, "options": False}  # noqa: RUF012


class MergeBranch(exp.Expression):
    arg_types = {"this": True, "target": True, "options": False}  # noqa: RUF012


BRANCH_STATEMENTS = (CreateBranch, DropBranch, AlterBranch, MergeBranch)
_VERBS = {"CREATE", "DROP", "ALTER", "MERGE"}


def starts_branch_statement(parser: Any) -> bool:
    """The parser is at ``CREATE|DROP|ALTER|MERGE BRANCH``."""
    cur, nxt = _current(parser), parser._next
    return cur is not None and nxt is not None and nxt.token_type != _END and cur.text.upper() in _VERBS and nxt.text.upper() == "BRANCH" \
        and nxt.token_type != TokenType.IDENTIFIER


def parse_branch_statement(parser: Any) -> exp.Expression:
    """One branch statement from a sqlglot parser positioned at its first word."""
    verb = parser._curr.text.upper()
    parser._advance(2)
    if verb == "CREATE":
        exists = parser._match_text_seq("IF", "NOT", "EXISTS")
        name = _name(parser)
        parent = _name(parser) if parser._match_text_seq("FROM") else None
        at = None
        if parser._match_text_seq("AT", "TIMESTAMP") or parser._match_text_seq("AS", "OF", "TIMESTAMP") \
                or parser._match_text_seq("AT"):
            at = parser._parse_assignment()
            if at is None:
                _fail(parser, "expected a timestamp")
        return CreateBranch(this=name, parent=parent, at=at, exists=exists or None)
    if verb == "DROP":
        exists = parser._match_text_seq("IF", "EXISTS")
        return DropBranch(this=_name(parser), exists=exists or None)
    name = _name(parser)
    if verb == "ALTER":
        if parser._match_text_seq("RENAME", "TO"):
            return AlterBranch(this=name, rename=_name(parser))
        if parser._match(TokenType.SET):
            options = [_option(parser, "TO")]
            while parser._match(TokenType.COMMA):
                options.append(_option(parser, "TO"))
            return AlterBranch(this=name, options=options)
        if parser._match_text_seq("RESET"):
            options = [exp.Property(this=_name(parser), value=None)]
            while parser._match(TokenType.COMMA):
                options.append(exp.Property(this=_name(parser), value=None))
            return AlterBranch(this=name, options=options)
        _fail(parser, "expected RENAME, SET or RESET")
    if not parser._match_text_seq("INTO"):
        _fail(parser, "expected INTO")
    target = _name(parser)
    options = []
    if parser._match(TokenType.WITH):
        if not parser._match(TokenType.L_PAREN):
            _fail(parser, "expected (")
        while not parser._match(TokenType.R_PAREN):
            options.append(_option(parser, None))
            parser._match(TokenType.COMMA)
    return MergeBranch(this=name, target=target, options=options)


def option_values(node: AlterBranch | MergeBranch) -> dict[str, str | None]:
    """{option: value text} in the order written; None for RESET."""
    return {p.name: (p.args["value"].name if p.args.get("value") is not None else None)
            for p in node.args.get("options") or []}


def timestamp_of(node: CreateBranch) -> tuple[str | None, str | None]:
    """(a string literal's text, or the SQL of another expression) of AT TIMESTAMP."""
    at = node.args.get("at")
    if at is None:
        return None, None
    if isinstance(at, exp.Literal) and at.is_string:
        return at.this, None
    return None, at.sql(dialect="postgres")


_END = getattr(TokenType, "SENTINEL", None)  # newer sqlglot parsers end the tokens with a sentinel


def _current(parser: Any) -> Any:
    """The current token, None at the end of the statement."""
    cur = parser._curr
    return None if cur is None or cur.token_type == _END else cur


def _fail(parser: Any, message: str) -> None:
    """A syntax error at the current token, or at the end of the input when there is none."""
    if _current(parser) is None:
        raise ParseError(message, errors=[{"description": message, "highlight": "", "start_context": ""}])
    parser.raise_error(message, parser._curr)
    raise ParseError(message)  # a parser that collects errors instead of raising them: stop here anyway


def _name(parser: Any) -> exp.Identifier:
    cur = _current(parser)
    if cur is None or cur.token_type in (TokenType.STRING, TokenType.NUMBER):
        _fail(parser, "expected a name")
    ident = parser._parse_id_var(any_token=True)
    if not isinstance(ident, exp.Identifier):
        _fail(parser, "expected a name")
    return ident


def _option(parser: Any, alternative: str | None) -> exp.Property:
    key = _name(parser)
    matched = parser._match(TokenType.EQ) or (alternative is not None and parser._match_text_seq(alternative))
    if not matched and alternative is not None:
        _fail(parser, "expected =")
    return exp.Property(this=key, value=_value(parser))


def _value(parser: Any) -> exp.Expression:
    """A literal, a signed number or a word, as written."""
    cur = _current(parser)
    if cur is None:
        _fail(parser, "expected a value")
    sign = ""
    if cur.token_type in (TokenType.DASH, TokenType.PLUS):
        sign = "-" if cur.token_type == TokenType.DASH else ""
        parser._advance()
        cur = _current(parser)
        if cur is None or cur.token_type != TokenType.NUMBER:
            _fail(parser, "expected a number")
    parser._advance()
    if cur.token_type == TokenType.STRING:
        return exp.Literal.string(cur.text)
    if cur.token_type == TokenType.NUMBER:
        return exp.Literal.number(sign + cur.text)
    if cur.token_type == TokenType.IDENTIFIER:
        return exp.Var(this=cur.text)
    if cur.text and (cur.text[0].isalpha() or cur.text[0] == "_"):
        return exp.Var(this=cur.text.lower())
    parser._retreat(parser._index - 1)
    _fail(parser, "expected a value")
    return exp.Null()
