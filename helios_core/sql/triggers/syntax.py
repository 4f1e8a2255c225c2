"""CREATE [OR REPLACE] TRIGGER ... and DROP TRIGGER [IF EXISTS] name ON table [CASCADE | RESTRICT]."""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType

from helios_core.errors import FeatureNotSupported
from helios_core.frontends.postgres import dialect

_EVENTS = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")


def parse_create(c: Any) -> Any:
    c.expect("CREATE")
    replace = c.accept("OR", "REPLACE")
    if c.accept("CONSTRAINT"):
        raise FeatureNotSupported("CREATE CONSTRAINT TRIGGER is not supported")
    c.expect("TRIGGER")
    name = c.name()
    if c.accept("INSTEAD", "OF"):
        timing: str | None = "INSTEAD OF"
    else:
        timing = "BEFORE" if c.accept("BEFORE") else ("AFTER" if c.accept("AFTER") else None)
    if timing is None:
        c.fail()
    events: list[str] = []
    columns: list[str] = []
    while True:
        word = c.word()
        if word not in _EVENTS:
            c.fail()
        c.i += 1
        events.append(word)
        if word == "UPDATE" and c.accept("OF"):
            columns.append(c.name())
            while c.cur is not None and c.cur.token_type == TokenType.COMMA:
                c.i += 1
                columns.append(c.name())
        if not c.accept("OR"):
            break
    c.expect("ON")
    table = c.dotted_name()
    if c.word() == "FROM" or c.word() in ("DEFERRABLE", "INITIALLY") or c.word() == "NOT" and c.peek_word() == "DEFERRABLE":
        raise FeatureNotSupported("constraint trigger options (FROM, DEFERRABLE) are not supported")
    if c.accept("REFERENCING"):
        raise FeatureNotSupported("transition tables (REFERENCING OLD/NEW TABLE) are not supported")
    level = "STATEMENT"
    if c.accept("FOR"):
        c.accept("EACH")
        level = "ROW" if c.accept("ROW") else ("STATEMENT" if c.accept("STATEMENT") else c.fail())
    if level == "ROW" and "TRUNCATE" in events:
        raise FeatureNotSupported("TRUNCATE FOR EACH ROW triggers are not supported")
    when = None
    if c.accept("WHEN"):
        when = c.parenthesized_text()
    c.expect("EXECUTE")
    if not (c.accept("FUNCTION") or c.accept("PROCEDURE")):
        c.fail()
    function = c.dotted_name()
    if c.cur is None or c.cur.token_type != TokenType.L_PAREN:
        c.fail()
    c.i += 1
    args: list[str] = []
    while c.cur is not None and c.cur.token_type != TokenType.R_PAREN:
        if c.cur.token_type == TokenType.COMMA:
            c.i += 1
            continue
        args.append(c.cur.text)
        c.i += 1
    if c.cur is None:
        c.fail()
    c.i += 1
    c.end()
    return dialect.Utility(kind="create_trigger", args={
        "name": name, "replace": replace, "table": table, "function": function, "record": {
            "name": name, "timing": timing, "events": events, "columns": columns, "level": level, "when": when,
            "args": args}})


def parse_enable(c: Any) -> Any:
    c.expect("ALTER", "TABLE")
    c.accept("ONLY")
    if_exists = c.accept("IF", "EXISTS")
    table = c.dotted_name()
    enable = c.accept("ENABLE")
    if not enable:
        c.expect("DISABLE")
    if c.word() in ("ALWAYS", "REPLICA"):
        raise FeatureNotSupported(f"ENABLE {c.word()} TRIGGER is not supported")
    c.expect("TRIGGER")
    which = "all" if c.accept("ALL") else ("user" if c.accept("USER") else c.name())
    c.end()
    return dialect.Utility(kind="enable_trigger", args={"table": table, "if_exists": if_exists,
                                                       "enable": enable, "which": which})


def parse_drop(c: Any) -> Any:
    return c.drop_on_table("TRIGGER", "drop_trigger")
