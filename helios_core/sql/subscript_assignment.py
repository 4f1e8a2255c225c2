"""``UPDATE ... SET col[sub] = v``: the value the whole column gets.

PostgreSQL assigns through a type's subscripting: jsonb replaces (or adds) the value at the path,
creating the missing levels; hstore sets one key. Both are written here as the function calls
that do the same (jsonb_set with create_missing, hstore's ``||``); an array element through
helios_array_assign (one dimension, lower bound 1). Slices and other lower bounds are refused:
the subscript must never be dropped (the statement would then replace the whole column).
"""

from __future__ import annotations

from sqlglot import exp

from helios_core.errors import FeatureNotSupported
from helios_core.sql import types as T


def subscripts_of(lhs: exp.Bracket) -> tuple[exp.Expression, list[exp.Expression]]:
    """The subscripted column of ``col[a][b]`` and its subscripts, outermost last."""
    subs: list[exp.Expression] = []
    node: exp.Expression = lhs
    while isinstance(node, exp.Bracket):
        if len(node.expressions) != 1 or isinstance(node.expressions[0], exp.Slice):
            raise FeatureNotSupported("assignment to an array slice is not supported by HeliosDB")
        subs.insert(0, node.expressions[0])
        node = node.this
    return node, subs


def _path(subs: list[exp.Expression]) -> exp.Expression:
    return exp.Array(expressions=[exp.Cast(this=s.copy(), to=exp.DataType.build("text")) for s in subs])


def _empty_for(sub: exp.Expression) -> exp.Expression:
    number = isinstance(sub, exp.Literal) and not sub.is_string
    return exp.Cast(this=exp.Literal.string("[]" if number else "{}"), to=exp.DataType.build("jsonb"))


def _jsonb_set(doc: exp.Expression, path: exp.Expression, value: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="jsonb_set", expressions=[doc, path, value, exp.true()])


def assignment(column: str, t: T.SqlType, subs: list[exp.Expression], value: exp.Expression,
               base: exp.Expression | None = None) -> exp.Expression:
    """The expression ``column`` is set to by ``SET column[subs...] = value`` (``base``: the value an
    earlier element assignment of the same SET list gave it, instead of the stored one)."""
    col = base.copy() if base is not None else exp.Column(this=exp.to_identifier(column, quoted=True))
    if t.name == "jsonb" and t.element is None:
        # every missing level on the way is created (an object, or an array under a number subscript)
        doc: exp.Expression = exp.Coalesce(this=col, expressions=[_empty_for(subs[0])])
        for depth in range(1, len(subs)):
            inner = exp.Coalesce(this=exp.JSONBExtract(this=doc.copy(), expression=_path(subs[:depth])),
                                 expressions=[_empty_for(subs[depth])])
            doc = _jsonb_set(doc, _path(subs[:depth]), inner)
        return _jsonb_set(doc, _path(subs), exp.Cast(this=value.copy(), to=exp.DataType.build("jsonb")))
    if t.name == "hstore" and t.element is None and len(subs) == 1:
        pair = exp.Anonymous(this="hstore", expressions=[exp.Cast(this=subs[0].copy(), to=exp.DataType.build("text")),
                                                         exp.Cast(this=value.copy(), to=exp.DataType.build("text"))])
        empty = exp.Cast(this=exp.Literal.string(""), to=exp.DataType.build("hstore", udt=True))
        return exp.DPipe(this=exp.Coalesce(this=col, expressions=[empty]), expression=pair)
    if t.element is not None:
        if len(subs) != 1:
            raise FeatureNotSupported("assignment to an element of a multidimensional array is not supported "
                                      "by HeliosDB")
        return exp.Anonymous(this="helios_array_assign", expressions=[col, subs[0].copy(), value.copy()])
    raise FeatureNotSupported(f"cannot subscript type {t.sql_name()} because it does not support subscripting"
                              if t.name not in ("hstore",) else "assignment to nested hstore subscripts is not "
                              "supported", sqlstate="42804" if t.name not in ("hstore",) else "0A000")
