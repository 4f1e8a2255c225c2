"""The syntax of SQL/MED's catalog statements, read from plain tokens.

CREATE/ALTER/DROP FOREIGN DATA WRAPPER, SERVER and USER MAPPING, COMMENT ON FOREIGN DATA
WRAPPER / SERVER and IMPORT FOREIGN SCHEMA become ``Utility(kind="foreign_data")`` whose
``args["verb"]`` says which; helios_core.sql.foreign_data runs them. Generic option lists
(``OPTIONS (name 'value', ADD|SET|DROP name ...)``) come back as ``[(action, name, value)]``
with action None for the plain form.
"""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType

from helios_core.errors import SyntaxError_


def starts_statement(words: list[str]) -> bool:
    """Whether a statement's first words are one of those parsed here."""
    w = (words + ["", "", "", ""])[:4]
    if w[0] in ("CREATE", "ALTER", "DROP"):
        return (w[1] == "FOREIGN" and w[2] == "DATA") or w[1] == "SERVER" or (w[1] == "USER" and w[2] == "MAPPING")
    if w[0] == "COMMENT" and w[1] == "ON":
        return (w[2] == "FOREIGN" and w[3] == "DATA") or w[2] == "SERVER"
    return w[0] == "IMPORT" and w[1] == "FOREIGN"


def parse(c: Any, utility: Any) -> Any:
    """The statement at the cursor (on its first word) as a Utility."""
    w = c.word()
    if w == "COMMENT":
        c.i += 2
        kind = "fdw" if c.accept("FOREIGN", "DATA", "WRAPPER") else "server"
        if kind == "server":
            c.expect("SERVER")
        name = c.name()
        c.expect("IS")
        text = None if c.accept("NULL") else c.string_any()
        c.end()
        return utility(kind="foreign_data", args={"verb": "comment", "object": kind, "name": name, "text": text})
    if w == "IMPORT":
        return utility(kind="foreign_data", args=_import_schema(c))
    c.i += 1
    if c.accept("FOREIGN", "DATA", "WRAPPER"):
        args = _wrapper(c, w)
    elif c.accept("SERVER"):
        args = _server(c, w)
    else:
        c.expect("USER", "MAPPING")
        args = _mapping(c, w)
    c.end()
    return utility(kind="foreign_data", args=args)


def _drop(c: Any, obj: str) -> dict:
    if_exists = c.accept("IF", "EXISTS")
    names = c.names()
    cascade = c.accept("CASCADE")
    if not cascade:
        c.accept("RESTRICT")
    return {"verb": "drop", "object": obj, "names": names, "if_exists": if_exists, "cascade": cascade}


def _rename_or_owner(c: Any, obj: str, name: str) -> dict | None:
    if c.accept("RENAME", "TO"):
        return {"verb": "rename", "object": obj, "name": name, "new": c.name()}
    if c.accept("OWNER", "TO"):
        return {"verb": "owner", "object": obj, "name": name, "owner": _role(c)}
    return None


def _wrapper(c: Any, verb: str) -> dict:
    if verb == "DROP":
        return _drop(c, "fdw")
    name = c.name()
    if verb == "ALTER":
        simple = _rename_or_owner(c, "fdw", name)
        if simple is not None:
            return simple
    args: dict[str, Any] = {"verb": verb.lower(), "object": "fdw", "name": name, "options": None}
    seen: set[str] = set()
    while c.word() in ("HANDLER", "VALIDATOR", "NO"):
        at = c.rest_offset() + 1
        negated = c.accept("NO")
        which = c.word()
        if which not in ("HANDLER", "VALIDATOR"):
            c.fail()
        c.i += 1
        if which in seen:
            raise SyntaxError_("conflicting or redundant options", position=at)
        seen.add(which)
        args[which.lower()] = None if negated else c.dotted_name()
    if c.word() == "OPTIONS":
        args["options"] = options(c)
    if verb == "ALTER" and not seen and args["options"] is None:
        c.fail()
    return args


def _server(c: Any, verb: str) -> dict:
    if verb == "DROP":
        return _drop(c, "server")
    if verb == "CREATE":
        if_not_exists = c.accept("IF", "NOT", "EXISTS")
        name = c.name()
        args: dict[str, Any] = {"verb": "create", "object": "server", "name": name, "if_not_exists": if_not_exists,
                                "type": None, "version": None, "options": None}
        if c.accept("TYPE"):
            args["type"] = c.string()
        if c.accept("VERSION"):
            args["version"] = None if c.accept("NULL") else c.string()
        c.expect("FOREIGN", "DATA", "WRAPPER")
        args["fdw"] = c.name()
        if c.word() == "OPTIONS":
            args["options"] = options(c)
        return args
    name = c.name()
    simple = _rename_or_owner(c, "server", name)
    if simple is not None:
        return simple
    args = {"verb": "alter", "object": "server", "name": name, "options": None}
    if c.accept("VERSION"):
        args["version"] = None if c.accept("NULL") else c.string()
    if c.word() == "OPTIONS":
        args["options"] = options(c)
    if "version" not in args and args["options"] is None:
        c.fail()
    return args


def _mapping(c: Any, verb: str) -> dict:
    if_exists = verb == "DROP" and c.accept("IF", "EXISTS")
    if_not_exists = verb == "CREATE" and c.accept("IF", "NOT", "EXISTS")
    c.expect("FOR")
    user = _role(c, mapping=True)
    c.expect("SERVER")
    server = c.name()
    args: dict[str, Any] = {"verb": verb.lower(), "object": "mapping", "user": user, "server": server,
                            "if_exists": if_exists, "if_not_exists": if_not_exists, "options": None}
    if verb != "DROP" and c.word() == "OPTIONS":
        args["options"] = options(c)
    elif verb == "ALTER":
        c.fail()
    return args


def _role(c: Any, *, mapping: bool = False) -> str:
    """A role specification; USER (in a user mapping) and CURRENT_ROLE mean the current user."""
    w = c.word()
    if w in ("CURRENT_USER", "CURRENT_ROLE", "SESSION_USER", "PUBLIC") or (mapping and w == "USER"):
        c.i += 1
        return {"USER": "current_user", "CURRENT_ROLE": "current_user"}.get(w, w.lower())
    return c.name()


def options(c: Any) -> list[tuple[str | None, str, str | None]]:
    """``OPTIONS ( [ADD | SET | DROP] name ['value'], ... )``."""
    c.expect("OPTIONS")
    if c.cur is None or c.cur.token_type != TokenType.L_PAREN:
        c.fail()
    c.i += 1
    out: list[tuple[str | None, str, str | None]] = []
    while True:
        action = None
        nxt = c.toks[c.i + 1] if c.i + 1 < len(c.toks) else None
        if c.word() in ("ADD", "SET", "DROP") and nxt is not None and nxt.token_type not in (
                TokenType.STRING, TokenType.COMMA, TokenType.R_PAREN):
            action = c.word().lower()
            c.i += 1
        name = c.name()
        value = None if action == "drop" else c.string()
        out.append((action, name, value))
        if not c.list_goes_on():
            return out


def _import_schema(c: Any) -> dict:
    c.expect("IMPORT", "FOREIGN", "SCHEMA")
    remote = c.name()
    listed: list[str] = []
    mode = None
    if c.accept("LIMIT", "TO") or c.accept("EXCEPT"):
        mode = "limit" if c.toks[c.i - 1].text.upper() == "TO" else "except"
        listed = c.paren_names()
    c.expect("FROM", "SERVER")
    server = c.name()
    c.expect("INTO")
    local = c.name()
    opts = options(c) if c.word() == "OPTIONS" else None
    return {"verb": "import", "object": "schema", "remote": remote, "mode": mode, "tables": listed,
            "server": server, "into": local, "options": opts}
