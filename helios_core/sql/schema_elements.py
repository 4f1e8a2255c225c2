"""CREATE SCHEMA name [AUTHORIZATION role] followed by the objects to create in it.

PostgreSQL's CREATE SCHEMA may carry CREATE TABLE, VIEW, INDEX, SEQUENCE, TRIGGER and GRANT
statements (no semicolons between them). They run in the new schema, in PostgreSQL's order
(sequences, tables, views, indexes, triggers, grants) and in the same transaction: the
whole statement succeeds or nothing is created. An element that names another schema is
refused (42P15) as PostgreSQL refuses it.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlglot.tokens import TokenType

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.frontends import registry as dialects
from helios_core.frontends.postgres.dialect import tokenize_plain
from helios_core.session import Result

_ORDER = {"SEQUENCE": 0, "TABLE": 1, "VIEW": 2, "INDEX": 3, "TRIGGER": 4, "GRANT": 5}
_KINDS = ("SEQUENCE", "TABLE", "VIEW", "INDEX", "UNIQUE", "TRIGGER", "TEMP", "TEMPORARY", "UNLOGGED",
          "OR", "RECURSIVE", "CONSTRAINT")


def split(rest: str) -> tuple[str, list[str]] | None:
    """(the CREATE SCHEMA header, the element statements) of ``rest`` (the text after CREATE), or
    None when there are no elements."""
    tokens = tokenize_plain(rest)
    if not tokens or tokens[0].text.upper() != "SCHEMA":
        return None
    starts: list[int] = []
    depth = 0
    for i, tok in enumerate(tokens):
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
        elif tok.token_type == TokenType.R_PAREN:
            depth -= 1
        elif depth == 0 and i > 1 and (
                (tok.text.upper() == "CREATE" and i + 1 < len(tokens) and tokens[i + 1].text.upper() in _KINDS)
                or tok.text.upper() == "GRANT"):
            starts.append(tok.start)
    if not starts:
        return None
    header = rest[:starts[0]].strip()
    bounds = [*starts, len(rest)]
    elements = [rest[a:b].strip().rstrip(";").strip() for a, b in itertools.pairwise(bounds)]
    return header, [e for e in elements if e]


def _kind(element: str) -> str:
    words = element.upper().split()
    if words[0] == "GRANT":
        return "GRANT"
    for w in words[1:6]:
        if w in _ORDER:
            return w
    return "TABLE"


def run(session: Any, header: str, elements: list[str]) -> Result:
    """Create the schema, then its elements with it first on search_path."""
    if "IF NOT EXISTS" in " ".join(header.upper().split()):
        raise FeatureNotSupported("CREATE SCHEMA IF NOT EXISTS cannot include schema elements")
    (created,) = dialects.parse(f"CREATE {header}", "postgres")
    result = session.dispatch_nested(created)
    name = _schema_name(session, header)
    ordered = sorted(elements, key=lambda e: _ORDER.get(_kind(e), 1))
    owner = (session.tx.current().catalog_get("schema", name) or {}).get("owner") or session.user
    values = session.settings_obj.values
    saved_path, saved_role = session.settings_obj.get("search_path"), values.get("role", "none")
    session.settings_obj.set("search_path", '"' + name.replace('"', '""') + '"')
    if owner != session.user:  # AUTHORIZATION role: the elements are created as (and owned by) that role
        values["role"] = owner
    try:
        for element in ordered:
            for st in dialects.parse(element, "postgres"):
                _check_schema(st.ast, name)
                session.dispatch_nested(st)
    finally:
        session.settings_obj.set("search_path", saved_path)
        values["role"] = saved_role
    return Result(command_tag=result.command_tag)


def _schema_name(session: Any, header: str) -> str:
    words = tokenize_plain(header)
    names = [t for t in words[1:] if t.text.upper() not in ("IF", "NOT", "EXISTS")]
    if not names:
        raise HeliosError("syntax error at end of input", sqlstate="42601")
    first = names[0]
    if first.text.upper() == "AUTHORIZATION":  # CREATE SCHEMA AUTHORIZATION role: named after the role
        first = names[1]
    text = first.text
    return text if first.token_type == TokenType.IDENTIFIER else text.lower()


def _check_schema(ast: Any, name: str) -> None:
    """42P15 when an element creates its object in another schema."""
    target = getattr(ast, "this", None)
    table = getattr(target, "this", None) if target is not None and target.key == "schema" else target
    db = table.args.get("db") if table is not None and hasattr(table, "args") else None
    if db is not None and getattr(ast, "key", "") == "create":
        other = db.this if getattr(db, "quoted", False) else str(db.this).lower()
        if other != name:
            raise HeliosError(f"CREATE specifies a schema ({other}) different from the one being created ({name})",
                              sqlstate="42P15")
