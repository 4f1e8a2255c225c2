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
