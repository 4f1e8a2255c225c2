"""The shape PostgreSQL requires of a WITH RECURSIVE query that reads itself (checkWellFormedRecursion).

``non-recursive term UNION [ALL] recursive term``, with the self-reference only in the recursive
term, once, not under an outer join's nullable side nor in a subquery of its expressions, and no
aggregate, ORDER BY, LIMIT, OFFSET or FOR UPDATE around it. A query of another shape would run
forever or compute something else than PostgreSQL, so it is refused with PostgreSQL's error.
"""

from __future__ import annotations

from sqlglot import exp

from helios_core.errors import HeliosError
from helios_core.sql.planner.query_tree import arg
from helios_core.sql.window_placement import position_of


def _refs(ast: exp.Expression, name: str) -> list[exp.Table]:
    """The tables of ``ast`` that read the WITH query ``name`` (not a WITH query of that name
    defined inside ``ast``, which hides it)."""
    return [t for t in ast.find_all(exp.Table) if t.name == name and not t.args.get("db")
            and not _shadowed(t, name, ast)]


def _shadowed(t: exp.Table, name: str, root: exp.Expression) -> bool:
    node: exp.Expression = t
    while node is not root and node.parent is not None:
        parent = node.parent
        with_ = parent.args.get("with_") or parent.args.get("with") if isinstance(
            parent, (exp.Select, exp.SetOperation)) else None
        if with_ is not None and node is not with_:
            names = [c.alias_or_name for c in with_.expressions]
            if name in names:
                return True  # the query's own part reads its WITH query of that name
        if isinstance(node, exp.CTE) and isinstance(parent, exp.With):
            names = [c.alias_or_name for c in parent.expressions]
            k = names.index(node.alias_or_name)
            if name in names[:k] or (parent.args.get("recursive") and name in names):
                return True  # a later WITH query (or any, under RECURSIVE) sees that one
        node = parent
    return False


def _position(node: exp.Expression) -> int | None:
    return position_of(node)


def _error(message: str, node: exp.Expression, sqlstate: str = "42P19") -> HeliosError:
    return HeliosError(message, sqlstate=sqlstate, position=_position(node))


def check(body: exp.Expression, name: str, is_aggregate: object, at: exp.Expression | None = None) -> None:
    """Raise PostgreSQL's error when a self-referencing recursive query is not of the allowed shape
    (``at``: the WITH query's name, where PostgreSQL points for a query of the wrong form)."""
    refs = _refs(body, name)
    if not refs:
        return
    if type(body) is not exp.Union:
        raise _error(f'recursive query "{name}" does not have the form non-recursive-term UNION [ALL] '
                     "recursive-term", at if at is not None else body)
    anchor, rec = body.this, body.expression
    own_with = body.args.get("with_") or body.args.get("with")
    for ref in _refs(own_with, name) if own_with is not None else []:  # WITH x1 AS (... x ...) a UNION b
        raise _error(f'recursive reference to query "{name}" must not appear within a subquery', ref)
    for ref in _refs(anchor, name):
        raise _error(f'recursive reference to query "{name}" must not appear within its non-recursive term', ref)
    for key, what in (("order", "ORDER BY"), ("offset", "OFFSET"), ("limit", "LIMIT")):
        clause = arg(body, key)
        if clause is not None:
            raise _error(f"{what} in a recursive query is not implemented", clause, "0A000")
    while isinstance(rec, (exp.Subquery, exp.Paren)) and isinstance(rec.this, exp.SetOperation) and not (
            rec.this.args.get("with_") or rec.this.args.get("with")):
        rec = rec.this
    if isinstance(rec, exp.SetOperation):  # (a UNION b): the reference once, never on EXCEPT's right
        _check_set_operation(rec, name)
        return
    if not isinstance(rec, exp.Select):
        return
    if rec.args.get("locks"):
        raise HeliosError("FOR UPDATE/SHARE in a recursive query is not implemented", sqlstate="0A000")
    rec_refs = _refs(rec, name)
    for ref in rec_refs:
        p = ref.parent
        while p is not None and p is not rec:
            if isinstance(p, exp.Subquery) and not isinstance(p.parent, (exp.From, exp.Join)):
                raise _error(f'recursive reference to query "{name}" must not appear within a subquery', ref)
            p = p.parent
    items = [arg(rec, "from"), *(rec.args.get("joins") or [])]
    for k, join in enumerate(items[1:], start=1):
        side = str(join.args.get("side") or "").upper()
        nullable = {"LEFT": [k], "RIGHT": list(range(k)), "FULL": list(range(k + 1))}.get(side, [])
        for i in nullable:
            for ref in _refs(items[i], name) if items[i] is not None else []:
                raise _error(f'recursive reference to query "{name}" must not appear within an outer join', ref)
    if len(rec_refs) > 1:  # also inside a subquery of FROM: (a UNION ALL b) AS t
        raise _error(f'recursive reference to query "{name}" must not appear more than once', rec_refs[1])
    for e in rec.expressions:
        for n in e.walk():
            if isinstance(n, (exp.Subquery, exp.Select)):
                continue
            if is_aggregate(n) and _same_level(n, rec):  # type: ignore[operator]
                raise _error("aggregate functions are not allowed in a recursive query's recursive term", n)


def _check_set_operation(op: exp.Expression, name: str) -> None:
    """PostgreSQL's walk of a recursive term that is itself a set operation."""
    for node in op.find_all(exp.Except):
        for ref in _refs(node.expression, name):
            raise _error(f'recursive reference to query "{name}" must not appear within EXCEPT', ref)
    refs = _refs(op, name)
    if len(refs) > 1:
        raise _error(f'recursive reference to query "{name}" must not appear more than once', refs[1])


def _same_level(node: exp.Expression, rec: exp.Select) -> bool:
    p = node.parent
    while p is not None and p is not rec:
        if isinstance(p, (exp.Select, exp.Subquery)):
            return False
        p = p.parent
    return True
