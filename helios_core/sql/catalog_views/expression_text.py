"""Stored expressions as PostgreSQL's catalog functions print them (pg_get_expr of a default or a
policy, pg_get_constraintdef of a CHECK): casts as `'x'::jsonb` and `(f(x))::uuid`, `true`/`false`,
`ARRAY[...]`, and a default's string literal typed as its column (`'free'::app.plan`).

PostgreSQL prints its parsed trees; HeliosDB keeps the statement's text, so the text is parsed
and printed again. What needs the types of the whole expression (a literal compared with a text
column printing as `''::text`) is not reproduced.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import sqlglot
from sqlglot import exp

from helios_core.frontends.postgres.dialect import DIALECT, expression_text
from helios_core.sql import types as T
from helios_core.sql.functions import bitstring
from helios_core.sql.functions.strings import quote_ident

_ARRAY = re.compile(r"\barray\[")
_BUILTIN_NAMES = {t.name for t in T.ALL_BASE_TYPES}
_BIT_NAME = '"bit"'  # format_type's spelling of bit with no length


def catalog_text(sql: str | None, column_type: Any = None) -> str | None:
    """`sql` (an expression HeliosDB stored) as PostgreSQL's catalog shows it; unchanged when it
    does not parse. With `column_type`, a default: its bare string literals take that type."""
    if not sql:
        return sql
    return _cached(sql, column_type.sql_name() if column_type is not None else None, column_type)


@functools.lru_cache(maxsize=4096)
def _cached(sql: str, _type_key: str | None, column_type: Any) -> str:
    try:
        tree = sqlglot.parse_one(sql, read=DIALECT)
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return sql
    for lit in list(tree.find_all(exp.BitString, exp.HexString)):
        lit.replace(_bit_constant(lit))
    if isinstance(tree, (exp.BitString, exp.HexString)):
        tree = _bit_constant(tree)
    if column_type is not None:
        tree = _typed_default(tree, column_type)
    for ident in tree.find_all(exp.Identifier):  # quoted only where a name needs it, as PostgreSQL prints
        ident.set("quoted", quote_ident(ident.name) != ident.name)
    for node in sorted(tree.find_all(exp.Cast, exp.Boolean), key=_depth, reverse=True):
        node.replace(exp.Var(this=_render(node)))
    if isinstance(tree, (exp.Cast, exp.Boolean)):
        tree = exp.Var(this=_render(tree))
    return _ARRAY.sub("ARRAY[", expression_text(tree))


def _render(node: exp.Expression) -> str:
    if isinstance(node, exp.Var):
        return node.name
    if isinstance(node, exp.Boolean):
        return "true" if node.this else "false"
    inner = node.this
    text = _render(inner) if isinstance(inner, exp.Var) else _ARRAY.sub("ARRAY[", expression_text(inner))
    bare = isinstance(inner, exp.Literal) or (isinstance(inner, exp.Var) and inner.name.startswith("'"))
    return f"{text if bare else '(' + text + ')'}::{_type_text(node.args['to'])}"


def _type_text(to: exp.Expression) -> str:
    written = to.sql(dialect=DIALECT)
    try:
        t = T.type_from_name(written)
    except Exception:  # noqa: BLE001 - a name only the catalog knows: as written
        return written.lower()
    return written.lower() if _user_defined(t) else t.sql_name()


def _user_defined(t: Any) -> bool:
    """Enums, domains and composites (and arrays of them) print with their schema only where the
    catalog can tell it: they keep the spelling they were written with."""
    base = t.element if getattr(t, "element", None) is not None else t
    return base.labels is not None or base.domain is not None or base.name not in _BUILTIN_NAMES


def _typed_default(tree: exp.Expression, column_type: Any) -> exp.Expression:
    """A string literal stands for a value of the column's type (PostgreSQL stores the constant
    already converted, so it prints with that type); inside ARRAY[...], of the element type."""
    plain = column_type
    if _user_defined(plain):
        return tree  # its name may need a schema that only the catalog knows (pg_dump sets no search_path)
    if isinstance(tree, exp.Literal) and tree.is_string and plain.name not in ("unknown",):
        return exp.Var(this=f"{tree.sql(dialect=DIALECT)}::{_plain_name(plain)}")
    element = getattr(plain, "element", None)
    if isinstance(tree, exp.Array) and element is not None:
        for item in list(tree.expressions):
            if isinstance(item, exp.Literal) and item.is_string:
                item.replace(exp.Var(this=f"{item.sql(dialect=DIALECT)}::{_plain_name(element)}"))
    return tree


def _bit_constant(lit: exp.Expression) -> exp.Expression:
    """B'0101' and X'5' are constants of type bit: '0101'::"bit"."""
    bits = bitstring.parse_one(("x" if isinstance(lit, exp.HexString) else "") + lit.this)
    return exp.Var(this=f"'{bits}'::{_BIT_NAME}")


def _plain_name(t: Any) -> str:
    """A type's name without its modifier (PostgreSQL's constant of a varchar(20) column is a
    `character varying`; of a bit(4) column a "bit", quoted since a bare bit means bit(1))."""
    if t.name == "bit":
        return _BIT_NAME
    name = t.sql_name()
    return re.sub(r"\(\d+(,\s*\d+)?\)", "", name)


def _depth(node: exp.Expression) -> int:
    depth = 0
    while node.parent is not None:
        node, depth = node.parent, depth + 1
    return depth
