"""The syntax of GRANT, REVOKE and ALTER DEFAULT PRIVILEGES, read from plain tokens.

One ``GrantSpec`` describes every form::

    GRANT SELECT (a, b), UPDATE ON TABLE t, u TO alice, PUBLIC WITH GRANT OPTION
    REVOKE GRANT OPTION FOR ALL ON ALL TABLES IN SCHEMA s FROM bob CASCADE
    GRANT admins TO alice WITH ADMIN OPTION          (role membership: no ON)
    ALTER DEFAULT PRIVILEGES FOR ROLE r IN SCHEMA s GRANT SELECT ON TABLES TO bob
"""

from __future__ import annotations

from typing import Any

import attrs
from sqlglot.tokens import TokenType

_OBJECT_KINDS = ("TABLE", "SEQUENCE", "SCHEMA", "DATABASE", "FUNCTION", "PROCEDURE", "ROUTINE", "BRANCH",
                 "LANGUAGE", "TYPE", "DOMAIN", "FOREIGN", "LARGE", "TABLESPACE", "PARAMETER")


@attrs.define(kw_only=True)
class GrantSpec:
    is_grant: bool
    privileges: list[tuple[str, list[str] | None]]  # ("SELECT", ["a"]) / ("ALL", None)
    object_kind: str | None  # None: role membership (GRANT role TO role)
    objects: list[str] = attrs.Factory(list)
    all_in_schema: bool = False  # ON ALL TABLES IN SCHEMA s: objects are the schemas
    granted_roles: list[str] = attrs.Factory(list)  # role membership: the roles granted
    grantees: list[str] = attrs.Factory(list)  # role names; "public" for PUBLIC
    option: bool = False  # WITH GRANT/ADMIN OPTION, or REVOKE GRANT/ADMIN OPTION FOR
    granted_by: str | None = None
    cascade: bool = False
    default_for_roles: list[str] = attrs.Factory(list)  # ALTER DEFAULT PRIVILEGES FOR ROLE ...
    default_in_schemas: list[str] = attrs.Factory(list)
    routine_kind: str | None = None  # FUNCTION / PROCEDURE / ROUTINE as written (object_kind is FUNCTION)


def _item_text(tokens: list[Any]) -> str:
    return " ".join(t.text.upper() for t in tokens)


def _role_name(c: Any) -> str:
    """A grantee: a role name, PUBLIC, CURRENT_USER / CURRENT_ROLE / SESSION_USER (kept as keywords)."""
    w = c.word()
    if w in ("PUBLIC", "CURRENT_USER", "CURRENT_ROLE", "SESSION_USER"):
        c.i += 1
        return w.lower()
    if w == "GROUP":
        c.i += 1
    return c.name()


def _names(c: Any, read: Any) -> list[str]:
    out = [read(c)]
    while c.cur is not None and c.cur.token_type == TokenType.COMMA:
        c.i += 1
        out.append(read(c))
    return out


def _object_name(c: Any) -> str:
    """A name; a routine's keeps its argument list as written: ``f(int, text)``."""
    name = c.dotted_name()
    if c.cur is not None and c.cur.token_type == TokenType.L_PAREN:  # a function's argument types
        depth, words = 0, []
        while c.cur is not None:
            if c.cur.token_type == TokenType.L_PAREN:
                depth += 1
            elif c.cur.token_type == TokenType.R_PAREN:
                depth -= 1
                if depth == 0:
                    c.i += 1
                    break
            if depth > 1 or c.cur.token_type != TokenType.L_PAREN:
                words.append(c.cur.text)
            c.i += 1
        name += "(" + " ".join(words).replace(" ,", ",") + ")"
    return name


def parse(c: Any) -> GrantSpec:
    """GRANT|REVOKE ... from the cursor (positioned on GRANT/REVOKE); consumes to the end."""
    is_grant = c.word() == "GRANT"
    c.i += 1
    option = False
    if not is_grant and (c.accept("GRANT", "OPTION", "FOR") or c.accept("ADMIN", "OPTION", "FOR")):
        option = True
    items: list[tuple[list[Any], list[str] | None]] = []
    cur_tokens: list[Any] = []
    cols: list[str] | None = None
    while not c.at_end() and c.word() not in ("ON", "TO", "FROM"):
        t = c.cur
        if t.token_type == TokenType.COMMA:
            items.append((cur_tokens, cols))
            cur_tokens, cols = [], None
            c.i += 1
        elif t.token_type == TokenType.L_PAREN:
            cols = c.paren_names()
        else:
            cur_tokens.append(t)
            c.i += 1
    if not cur_tokens:
        c.fail()
    items.append((cur_tokens, cols))
    spec = GrantSpec(is_grant=is_grant, privileges=[], object_kind=None, option=option)
    if c.accept("ON"):
        kind = "TABLE"
        if c.accept("ALL"):
            word = c.word()
            c.i += 1
            kind = {"TABLES": "TABLE", "SEQUENCES": "SEQUENCE", "FUNCTIONS": "FUNCTION",
                    "PROCEDURES": "FUNCTION", "ROUTINES": "FUNCTION"}.get(word, "")
            if not kind:
                c.i -= 1
                c.fail()
            if kind == "FUNCTION":
                spec.routine_kind = word[:-1]
            c.expect("IN", "SCHEMA")
            spec.all_in_schema = True
        elif c.word() in _OBJECT_KINDS:
            kind = c.word()
            c.i += 1
            if kind == "FOREIGN" and c.accept("DATA", "WRAPPER"):
                kind = "FOREIGN DATA WRAPPER"
            elif kind in ("FOREIGN", "LARGE"):
                kind = f"{kind} {c.word()}"
                c.i += 1
            if kind in ("FUNCTION", "PROCEDURE", "ROUTINE"):
                spec.routine_kind = kind
                kind = "FUNCTION"
        spec.object_kind = kind
        spec.objects = _names(c, _object_name)
        spec.privileges = [(_item_text(toks), cl) for toks, cl in items]
    else:
        for toks, cl in items:
            if len(toks) != 1 or cl is not None:
                c.fail()
        # role membership: re-read the names with identifier rules (quoted names keep their case)
        spec.granted_roles = [t.text if t.token_type == TokenType.IDENTIFIER else t.text.lower()
                              for toks, _ in items for t in toks]
    if not (c.accept("TO") if is_grant else c.accept("FROM")):
        c.fail()
    spec.grantees = _names(c, _role_name)
    while not c.at_end():
        if is_grant and (c.accept("WITH", "GRANT", "OPTION") or c.accept("WITH", "ADMIN", "OPTION")):
            spec.option = True
        elif c.accept("GRANTED", "BY"):
            spec.granted_by = _role_name(c)
        elif c.accept("CASCADE"):
            spec.cascade = True
        elif c.accept("RESTRICT"):
            spec.cascade = False
        else:
            c.fail()
    return spec


def parse_default_privileges(c: Any) -> GrantSpec:
    """ALTER DEFAULT PRIVILEGES [FOR ROLE r, ...] [IN SCHEMA s, ...] GRANT|REVOKE ... ON TABLES|... ."""
    c.expect("ALTER", "DEFAULT", "PRIVILEGES")
    for_roles: list[str] = []
    schemas: list[str] = []
    while c.word() in ("FOR", "IN"):
        if c.accept("FOR"):
            if not (c.accept("ROLE") or c.accept("USER")):
                c.fail()
            for_roles = _names(c, _role_name)
        else:
            c.expect("IN", "SCHEMA")
            schemas = _names(c, lambda cc: cc.name())
    if c.word() not in ("GRANT", "REVOKE"):
        c.fail()
    # ON TABLES / SEQUENCES / FUNCTIONS / SCHEMAS: rewrite to the singular kind after parsing
    start = c.i
    j = start
    while j < len(c.toks) and c.toks[j].text.upper() != "ON":
        j += 1
    if j + 1 >= len(c.toks):
        c.i = j
        c.fail()
    plural = c.toks[j + 1].text.upper()
    kind = {"TABLES": "TABLE", "SEQUENCES": "SEQUENCE", "FUNCTIONS": "FUNCTION", "ROUTINES": "FUNCTION",
            "SCHEMAS": "SCHEMA", "TYPES": "TYPE"}.get(plural)
    if kind is None:
        c.i = j + 1
        c.fail()
    del c.toks[j + 1]  # parse() then reads "ON TO|FROM": take the grantees straight after ON
    is_grant = c.word() == "GRANT"
    c.i += 1
    option = not is_grant and c.accept("GRANT", "OPTION", "FOR")
    items: list[tuple[str, list[str] | None]] = []
    words: list[str] = []
    while c.word() != "ON":
        t = c.cur
        if t is None:
            c.fail()
        if t.token_type == TokenType.COMMA:
            items.append((" ".join(words), None))
            words = []
        else:
            words.append(t.text.upper())
        c.i += 1
    items.append((" ".join(words), None))
    c.i += 1
    if not (c.accept("TO") if is_grant else c.accept("FROM")):
        c.fail()
    spec = GrantSpec(is_grant=is_grant, privileges=items, object_kind=kind, option=option,
                     default_for_roles=for_roles, default_in_schemas=schemas)
    spec.grantees = _names(c, _role_name)
    while not c.at_end():
        if is_grant and c.accept("WITH", "GRANT", "OPTION"):
            spec.option = True
        elif c.accept("CASCADE") or c.accept("RESTRICT"):
            spec.cascade = c.toks[c.i - 1].text.upper() == "CASCADE"
        else:
            c.fail()
    return spec
