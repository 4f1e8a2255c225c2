"""Row-wise comparison: ``(a, b, c) op (x, y, z)`` as PostgreSQL defines it, written as scalar SQL.

PostgreSQL compares two row constructors field by field: ``=`` is true when every pair is
equal, ``<>`` when some pair differs, and ``< <= > >=`` are decided by the first pair that is
not equal, NULL when that pair holds a NULL. SQL's three-valued AND/OR give exactly those
answers when the comparison is expanded lexicographically, so the expression compiler compiles
the expansion (which every later rule, including filter pushdown, then understands)::

    >>> from sqlglot import parse_one
    >>> expand("<", parse_one("(a, b)").expressions, parse_one("(1, 2)").expressions).sql()
    '(a < 1 OR (a = 1 AND b < 2))'
    >>> expand("IS DISTINCT FROM", [parse_one("a")], [parse_one("1")]).sql()
    'a IS DISTINCT FROM 1'
"""

from __future__ import annotations

from sqlglot import exp

from helios_core.errors import SyntaxError_

_OPS: dict[str, type[exp.Expression]] = {"=": exp.EQ, "<>": exp.NEQ, "!=": exp.NEQ, "<": exp.LT,
                                          "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE,
                                          "IS DISTINCT FROM": exp.NullSafeNEQ,
                                          "IS NOT DISTINCT FROM": exp.NullSafeEQ}
ROW_OPS = frozenset(_OPS)


def row_items(node: exp.Expression) -> list[exp.Expression] | None:
    """The fields of a row constructor ``(a, b)`` / ``ROW(a, b)`` / ``ROW(a)``, else None."""
    if isinstance(node, exp.Tuple):
        return list(node.expressions)
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "row":
        return list(node.expressions)
    if isinstance(node, exp.Paren) and isinstance(node.this, exp.Tuple):
        return list(node.this.expressions)
    return None


def _pair(op: str, a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return _OPS[op](this=a.copy(), expression=b.copy())


def expand(op: str, left: list[exp.Expression], right: list[exp.Expression]) -> exp.Expression:
    """The scalar expression equal to ``ROW(left) op ROW(right)``."""
    if op not in _OPS:
        raise SyntaxError_(f"operator {op} is not supported for row expressions")
    if len(left) != len(right):
        raise SyntaxError_("unequal number of entries in row expressions")
    if not left:
        raise SyntaxError_("cannot compare rows of zero length")
    if op in ("=", "IS NOT DISTINCT FROM"):
        return exp.and_(*[_pair(op, a, b) for a, b in zip(left, right, strict=True)])
    if op in ("<>", "!=", "IS DISTINCT FROM"):
        return exp.or_(*[_pair(op, a, b) for a, b in zip(left, right, strict=True)])
    strict = op[0]  # "<" or ">"
    out = _pair(op, left[-1], right[-1])
    for a, b in zip(reversed(left[:-1]), reversed(right[:-1]), strict=True):
        out = exp.Paren(this=exp.or_(_pair(strict, a, b), exp.Paren(this=exp.and_(_pair("=", a, b), out))))
    return out


def subquery_fields(node: exp.Expression, width: int) -> list[exp.Expression] | None:
    """``(SELECT x, y ...)`` compared with a row: one scalar subquery per column, each reading
    the same query (``(SELECT _r.c2 FROM (SELECT x, y ...) AS _r(c1, c2))``), so a subquery of
    more than one row is still PostgreSQL's 21000 and an empty one NULL."""
    q = node.this if isinstance(node, exp.Subquery) else node
    while isinstance(q, exp.Paren):
        q = q.this
    if isinstance(q, exp.Subquery):
        q = q.this
    if not isinstance(q, (exp.Select, exp.Union, exp.Intersect, exp.Except)) or not isinstance(
            node, (exp.Subquery, exp.Paren)):
        return None
    if isinstance(q, exp.Select) and len(q.expressions) != width:
        raise SyntaxError_("subquery has too many columns" if len(q.expressions) > width
                           else "subquery has too few columns")
    names = [f"c{i + 1}" for i in range(width)]
    alias = exp.TableAlias(this=exp.to_identifier("_r"), columns=[exp.to_identifier(n) for n in names])
    return [exp.Subquery(this=exp.select(exp.column(n, table="_r")).from_(
        exp.Subquery(this=q.copy(), alias=alias))) for n in names]
