"""CREATE VIEW's options, which sqlglot reads only in part.

PostgreSQL takes ``WITH (check_option = local, security_barrier, security_invoker = on)``
after the view's name (a bare name means true) and ``WITH [LOCAL | CASCADED] CHECK OPTION``
after the query; both set the same options. The tokens are taken out of the statement
before sqlglot sees it and the options are returned as a dict, checked as PostgreSQL
checks them (22023 for an unknown name or a bad value).
"""

from __future__ import annotations

from sqlglot.tokens import Token, TokenType

from helios_core.errors import InvalidParameterValue

OPTIONS = ("check_option", "security_barrier", "security_invoker")
_TRUE = {"true", "on", "yes", "1", "t", "y"}
_FALSE = {"false", "off", "no", "0", "f", "n"}


def _view_word_index(chunk: list[Token]) -> int | None:
    """Index of VIEW in CREATE [OR REPLACE] [TEMP|TEMPORARY] [RECURSIVE] VIEW, else None."""
    words = [t.text.upper() for t in chunk[:7]]
    i = 1
    if words[i:i + 2] == ["OR", "REPLACE"]:
        i += 2
    if i < len(words) and words[i] in ("TEMP", "TEMPORARY"):
        i += 1
    if i < len(words) and words[i] == "RECURSIVE":
        i += 1
    return i if i < len(words) and words[i] == "VIEW" else None


def check_value(name: str, raw: str | None) -> object:
    """The stored value of one option (22023 as PostgreSQL for a bad name or value)."""
    name = name.lower()
    if name not in OPTIONS:
        raise InvalidParameterValue(f'unrecognized parameter "{name}"')
    if name == "check_option":
        value = (raw or "").lower()
        if value not in ("local", "cascaded"):
            raise InvalidParameterValue(f'invalid value for enum option "check_option": {raw}',
                                        detail='Valid values are "local" and "cascaded".')
        return value
    value = "true" if raw is None else raw.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidParameterValue(f'invalid value for boolean option "{name}": {raw}')


def parse_option_list(tokens: list[Token]) -> dict[str, object]:
    """``name [= value], ...`` (the tokens between the parentheses) as checked options."""
    out: dict[str, object] = {}
    item: list[Token] = []
    for tok in [*tokens, None]:
        if tok is None or tok.token_type == TokenType.COMMA:
            if item:
                name = item[0].text
                raw = item[2].text if len(item) >= 3 and item[1].token_type == TokenType.EQ else None
                out[name.lower()] = check_value(name, raw)
            item = []
        else:
            item.append(tok)
    return out


def strip_view_options(chunk: list[Token]) -> tuple[list[Token], dict[str, object] | None]:
    """(the statement without its view options, the options) for CREATE VIEW; else (chunk, None)."""
    at = _view_word_index(chunk)
    if at is None:
        return chunk, None
    options: dict[str, object] = {}
    # WITH [LOCAL | CASCADED] CHECK OPTION at the end
    words = [t.text.upper() for t in chunk]
    if words[-2:] == ["CHECK", "OPTION"]:
        level = words[-3] if len(words) >= 3 and words[-3] in ("LOCAL", "CASCADED") else None
        start = len(chunk) - (4 if level else 3)
        if start > at and words[start] == "WITH":
            chunk = chunk[:start]
            options["check_option"] = (level or "CASCADED").lower()
    # WITH ( ... ) between the name (and its column list) and AS
    i = at + 1
    depth = 0
    while i < len(chunk):
        tok = chunk[i]
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
        elif tok.token_type == TokenType.R_PAREN:
            depth -= 1
        elif depth == 0 and tok.text.upper() == "AS":
            break
        elif depth == 0 and tok.text.upper() == "WITH" and i + 1 < len(chunk) and \
                chunk[i + 1].token_type == TokenType.L_PAREN:
            close = i + 2
            level = 1
            while close < len(chunk):
                if chunk[close].token_type == TokenType.L_PAREN:
                    level += 1
                elif chunk[close].token_type == TokenType.R_PAREN:
                    level -= 1
                    if level == 0:
                        break
                close += 1
            listed = parse_option_list(chunk[i + 2:close])
            options = {**listed, **options} if "check_option" in options else {**options, **listed}
            chunk = chunk[:i] + chunk[close + 1:]
            break
        i += 1
    return chunk, options
