"""Aggregates that belong to an outer query (PostgreSQL's rule for an aggregate's level).

An aggregate call belongs to the nearest query level whose columns its arguments use; a call
written inside a subquery whose arguments use only the enclosing query's columns is an
aggregate *of the enclosing query*, computed over its rows and seen by the subquery as a
constant::

    SELECT (SELECT max(o.x)) FROM o          -- one row: max over o, not one max per row of o
    SELECT avg((SELECT avg(o.x) FROM i)) FROM o   -- 42803: the inner call is nested in avg()

``find`` walks the select list, HAVING and ORDER BY of a query for such calls. A column is
placed by its qualifier (the FROM items of each query between the call and this one); a call
whose arguments use an unqualified column of a query in between, or whose placement cannot be
decided from qualifiers alone, stays where it is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlglot import exp

from helios_core.sql.expr import GroupingError, Scope

_QUERY = (exp.Select,)


def _aliases(sel: exp.Select) -> set[str]:
    """Names the FROM items of one query are referred to by."""
    out: set[str] = set()
    items: list[exp.Expression] = []
    frm = sel.args.get("from_") or sel.args.get("from")
    if frm is not None:
        items.append(frm.this)
        items.extend(frm.expressions or [])
    for j in sel.args.get("joins") or []:
        items.append(j.this)
    for it in items:
        name = it.alias_or_name if isinstance(it, exp.Expression) else ""
        if name:
            out.add(name)
    return out


def _enclosing_queries(node: exp.Expression, stop: exp.Expression) -> list[exp.Select]:
    """The SELECTs between ``node`` and ``stop`` (innermost first; ``stop`` not included)."""
    out: list[exp.Select] = []
    p = node.parent
    while p is not None and p is not stop:
        if isinstance(p, _QUERY):
            out.append(p)
        p = p.parent
    return out


def _belongs_here(agg: exp.Expression, sel: exp.Select, scope: Scope) -> bool:
    """True when every column the call's arguments use from outside themselves is of ``sel``."""
    between = _enclosing_queries(agg, sel)
    if not between:
        return False  # written at this level: an ordinary aggregate
    between_aliases = set().union(*(_aliases(q) for q in between))
    here = False
    for col in agg.find_all(exp.Column):
        if isinstance(col.this, exp.Star):
            return False
        inner = _enclosing_queries(col, agg)  # queries inside the call's arguments
        qual = col.table
        if not qual:
            if inner:
                continue  # assume an inner query's own column
            return False
        if any(qual in _aliases(q) for q in inner):
            continue
        if qual in between_aliases:
            return False
        if not scope.has_qualifier(qual):
            return False
        here = True
    return here


def find(sel: exp.Select, sources: Iterable[exp.Expression], scope: Scope,
         is_aggregate: Callable[[exp.Expression], bool]) -> list[exp.Expression]:
    """Aggregate calls written in subqueries of ``sources`` that belong to ``sel``.

    A call nested in an aggregate of ``sel`` itself is 42803, as in PostgreSQL."""
    found: list[exp.Expression] = []
    for src in sources:
        for node in src.walk() if isinstance(src, exp.Expression) else ():
            if not isinstance(node, exp.Expression) or not is_aggregate(node):
                continue
            if isinstance(node.parent, exp.Filter) and node.parent.this is node:
                continue  # the call of agg(...) FILTER (...): the Filter node is the aggregate
            if not _belongs_here(node, sel, scope):
                continue
            p = node.parent
            while p is not None and p is not sel:
                if is_aggregate(p) and not _enclosing_queries(p, sel):
                    start = node.meta.get("start") if node.meta else None
                    raise GroupingError("aggregate function calls cannot be nested",
                                        position=start + 1 if isinstance(start, int) else None)
                p = p.parent
            if not any(n is node for n in found):
                found.append(node)
    return found
