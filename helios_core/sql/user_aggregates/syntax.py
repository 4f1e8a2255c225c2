"""The grammar of CREATE [OR REPLACE] AGGREGATE, DROP AGGREGATE and an aggregate's signature.

    CREATE AGGREGATE name ( [argmode] [argname] argtype [, ...] [ORDER BY ...] | * ) ( option = value, ... )
    CREATE AGGREGATE name ( BASETYPE = type, option = value, ... )          -- the old spelling
    DROP AGGREGATE [IF EXISTS] name ( signature ) [, ...] [CASCADE | RESTRICT]

Option names are case-folded identifiers: a quoted one with capitals is not recognized (a
WARNING, as PostgreSQL gives). Values are kept as written (type and function names, strings).
"""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType

from helios_core.errors import HeliosError
from helios_core.frontends.postgres import dialect
from helios_core.sql.routines.definition import keeping_unknown_types
from helios_core.sql.routines.definition import type_spelling as _type_name

STRINGS = (TokenType.STRING, TokenType.HEREDOC_STRING, TokenType.RAW_STRING, TokenType.NATIONAL_STRING)


def depth_step(tok: Any, depth: int) -> int:
    """Parenthesis/bracket depth after a token (routine and aggregate signatures share it)."""
    if tok.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET):
        return depth + 1
    if tok.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET):
        return depth - 1
    return depth

# old spellings of PostgreSQL 7 and their current names
_ALIASES = {"sfunc1": "sfunc", "stype1": "stype", "initcond1": "initcond"}
OPTIONS = {"sfunc", "stype", "sspace", "finalfunc", "finalfunc_extra", "finalfunc_modify", "combinefunc",
           "serialfunc", "deserialfunc", "initcond", "msfunc", "minvfunc", "mstype", "msspace", "mfinalfunc",
           "mfinalfunc_extra", "mfinalfunc_modify", "minitcond", "sortop", "parallel", "hypothetical", "basetype"}


def _argument(c: Any, stop: int) -> dict:
    """One argument of a signature, tokens c.i .. stop-1: [IN | VARIADIC] [name] type."""
    mode = "i"
    if c.word() == "VARIADIC":
        mode = "v"
        c.i += 1
    elif c.word() == "IN":
        c.i += 1
    first = c.toks[c.i]
    text = c.text[first.start:c.toks[stop - 1].end + 1]
    name = None
    try:
        type_name = _type_name(text)
    except HeliosError:
        if stop - c.i < 2:
            raise
        name = first.text if first.token_type == TokenType.IDENTIFIER else first.text.lower()
        rest = c.toks[c.i + 1]
        type_name = _type_name(c.text[rest.start:c.toks[stop - 1].end + 1])
    c.i = stop
    return {"name": name, "type": type_name, "mode": mode, "default": None}


def parse_signature(c: Any) -> tuple[list[dict], int | None]:
    """``(args [ORDER BY args])`` or ``(*)``: (arguments, number of direct arguments of an
    ordered-set aggregate or None). The cursor is left after the closing parenthesis."""
    if c.cur is None or c.cur.token_type != TokenType.L_PAREN:
        c.fail()
    c.i += 1
    if c.cur is not None and c.cur.token_type == TokenType.STAR:
        c.i += 1
        if c.cur is None or c.cur.token_type != TokenType.R_PAREN:
            c.fail()
        c.i += 1
        return [], None
    args: list[dict] = []
    direct: int | None = None
    if c.cur is not None and c.cur.token_type == TokenType.R_PAREN:
        c.i += 1
        return args, None
    while True:
        if c.cur is not None and c.cur.token_type == TokenType.ORDER_BY:
            if direct is not None:
                c.fail()
            direct = len(args)
            c.i += 1
        start = c.i
        depth = 0
        while c.cur is not None:
            t = c.cur
            if depth == 0 and (t.token_type in (TokenType.COMMA, TokenType.R_PAREN) or (
                    t.token_type == TokenType.ORDER_BY and c.i > start)):
                break
            depth = depth_step(t, depth)
            c.i += 1
        if c.cur is None or c.i == start:
            c.fail()
        stop = c.i
        c.i = start
        args.append(_argument(c, stop))
        if c.cur.token_type == TokenType.COMMA:
            c.i += 1
            continue
        if c.cur.token_type == TokenType.R_PAREN:
            c.i += 1
            return args, direct
        # ORDER BY after arguments: loop round


def _option_value(c: Any) -> str:
    """A value as written: a string's contents, else the text up to the next comma or parenthesis."""
    if c.cur is not None and c.cur.token_type in STRINGS:
        return c.string_any()
    start = c.i
    depth = 0
    while c.cur is not None:
        t = c.cur
        if depth == 0 and t.token_type in (TokenType.COMMA, TokenType.R_PAREN):
            break
        depth = depth_step(t, depth)
        c.i += 1
    if c.i == start:
        c.fail()
    return c.text[c.toks[start].start:c.toks[c.i - 1].end + 1].strip()


def _options(c: Any) -> tuple[dict[str, str], list[str]]:
    """``( name [= value], ... )`` after the signature; (options, warnings)."""
    if c.cur is None or c.cur.token_type != TokenType.L_PAREN:
        c.fail()
    c.i += 1
    options: dict[str, str] = {}
    warnings: list[str] = []
    while True:
        quoted = c.cur is not None and c.cur.token_type == TokenType.IDENTIFIER
        key = c.name()
        value = "true"
        if c.cur is not None and c.cur.token_type == TokenType.EQ:
            c.i += 1
            value = _option_value(c)
        key_l = _ALIASES.get(key, key) if not quoted or key == key.lower() else key
        if key_l not in OPTIONS:
            warnings.append(f'aggregate attribute "{key}" not recognized')
        else:
            options[key_l] = value
        if not c.list_goes_on():
            return options, warnings


def _old_style(c: Any) -> bool:
    """``name ( word = ...``: the options come straight after the name."""
    j = c.i + 1
    return j + 1 < len(c.toks) and c.toks[j + 1].token_type == TokenType.EQ


def parse_create(c: Any) -> Any:
    c.expect("CREATE")
    replace = c.accept("OR", "REPLACE")
    c.expect("AGGREGATE")
    name = c.dotted_name()
    if _old_style(c):
        options, warnings = _options(c)
        args: list[dict] | None = None
        direct = None
    else:
        args, direct = parse_signature(c)
        options, warnings = _options(c)
    c.end()
    return dialect.Utility(kind="create_aggregate", args={
        "name": name, "replace": replace, "args": args, "direct": direct, "options": options,
        "warnings": warnings})


def parse_drop(c: Any) -> Any:
    c.expect("DROP", "AGGREGATE")
    if_exists = c.accept("IF", "EXISTS")
    targets = []
    stars = []  # the targets written name(*): PostgreSQL's messages say so
    while True:
        name = c.dotted_name()
        star = c.peek_word(1) == "*" and c.peek_word(2) == ")"
        with keeping_unknown_types():
            args, _direct = parse_signature(c)
        targets.append((name, [a["type"] for a in args]))
        if star:
            stars.append(len(targets) - 1)
        if c.cur is not None and c.cur.token_type == TokenType.COMMA:
            c.i += 1
            continue
        break
    cascade = c.accept("CASCADE")
    c.accept("RESTRICT")
    c.end()
    return dialect.Utility(kind="drop_routine", args={"what": "aggregate", "targets": targets, "stars": stars,
                                                      "if_exists": if_exists, "cascade": cascade})


def parse_comment(c: Any) -> Any:
    """COMMENT ON AGGREGATE name ( signature ) IS 'text' | NULL."""
    c.expect("COMMENT", "ON", "AGGREGATE")
    name = c.dotted_name()
    args, _direct = parse_signature(c)
    c.expect("IS")
    text = None if c.accept("NULL") else c.string_any()
    c.end()
    return dialect.Utility(kind="comment_aggregate", args={"name": name, "args": [a["type"] for a in args],
                                                          "text": text})
