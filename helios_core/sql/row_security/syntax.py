"""CREATE / ALTER / DROP POLICY and ALTER TABLE ... {ENABLE | DISABLE | [NO] FORCE} ROW LEVEL SECURITY."""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType

from helios_core.frontends.postgres import dialect

_COMMANDS = ("ALL", "SELECT", "INSERT", "UPDATE", "DELETE")


def parse_switch(c: Any) -> Any:
    c.expect("ALTER", "TABLE")
    if_exists = c.accept("IF", "EXISTS")
    c.accept("ONLY")
    table = c.dotted_name()
    if c.accept("ENABLE"):
        change = {"enabled": True}
    elif c.accept("DISABLE"):
        change = {"enabled": False}
    elif c.accept("NO", "FORCE"):
        change = {"forced": False}
    else:
        c.expect("FORCE")
        change = {"forced": True}
    c.expect("ROW", "LEVEL", "SECURITY")
    c.end()
    return dialect.Utility(kind="row_security_switch", args={"table": table, "if_exists": if_exists,
                                                            "change": change})


def _roles(c: Any) -> list[str]:
    out = [_role(c)]
    while c.cur is not None and c.cur.token_type == TokenType.COMMA:
        c.i += 1
        out.append(_role(c))
    return out


def _role(c: Any) -> str:
    for word in ("PUBLIC", "CURRENT_USER", "CURRENT_ROLE", "SESSION_USER"):
        if c.accept(word):
            return f"@{word.lower()}" if word != "PUBLIC" else "public"
    return c.name()


def _clauses(c: Any, args: dict) -> None:
    if c.accept("TO"):
        args["roles"] = _roles(c)
    if c.accept("USING"):
        args["using"] = c.parenthesized_text()
    if c.accept("WITH", "CHECK"):
        args["check"] = c.parenthesized_text()


def parse_create(c: Any) -> Any:
    c.expect("CREATE", "POLICY")
    args: dict[str, Any] = {"name": c.name()}
    c.expect("ON")
    args["table"] = c.dotted_name()
    args["permissive"] = True
    if c.accept("AS"):
        if c.accept("RESTRICTIVE"):
            args["permissive"] = False
        elif not c.accept("PERMISSIVE"):
            word = c.cur.text if c.cur is not None else ""
            err = dialect.syntax_error(f'unrecognized row security option "{word.lower()}"',
                                        c.offset + (c.cur.start if c.cur is not None else len(c.text)) + 1)
            err.hint = "Only PERMISSIVE or RESTRICTIVE policies are supported currently."
            raise err
    args["command"] = "ALL"
    if c.accept("FOR"):
        word = c.word()
        if word not in _COMMANDS:
            c.fail()
        c.i += 1
        args["command"] = word
    _clauses(c, args)
    c.end()
    return dialect.Utility(kind="create_policy", args=args)


def parse_alter(c: Any) -> Any:
    c.expect("ALTER", "POLICY")
    args: dict[str, Any] = {"name": c.name()}
    c.expect("ON")
    args["table"] = c.dotted_name()
    if c.accept("RENAME", "TO"):
        args["rename"] = c.name()
    else:
        _clauses(c, args)
    c.end()
    return dialect.Utility(kind="alter_policy", args=args)


def parse_drop(c: Any) -> Any:
    return c.drop_on_table("POLICY", "drop_policy")
