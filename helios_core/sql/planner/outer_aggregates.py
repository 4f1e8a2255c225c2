"""Aggregates that belong to an outer query (PostgreSQL's rule for an aggregate's level).

An aggregate call belongs to the nearest query level whose columns its arguments use; a call
written inside a subquery whose arguments use only the enclosing query's columns is an
aggregate *of the enclosing query*, computed over its rows and seen by the subquery as a
constant::

    SELECT (SELECT max(o.x)) FROM o          -- one row: max over o, not one max per row of o
    SELECT avg((SELECT avg(o.x) FROM i)) FROM o   -- 42803: the inner call is nested in avg()

``find`` walks the select list, HAVING and ORDER BY of a query for such calls. A column is
placed by its qualifier (the FROM items of each query between the call and this one); a call
whose placement cannot be decided from the text and the catalog (an unqualified column, when a
query in between reads a view, a CTE or a subquery's ``*``) stays where it is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlglot import exp

from helios_core.errors import HeliosError
from helios_core.sql.expr import GroupingError, Scope

# (schema, table name) -> the stored table's column names, None when the name is no stored table
TableColumns = Callable[[str | None, str], "list[str] | None"]

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


def _from_items(sel: exp.Select) -> list[exp.Expression]:
    """The items of a query's FROM list and of its JOINs (the joins nested in them are the caller's)."""
    items: list[exp.Expression] = []
    frm = sel.args.get("from_") or sel.args.get("from")
    if frm is not None:
        items.append(frm.this)
        items.extend(frm.expressions or [])
    items.extend(j.this for j in sel.args.get("joins") or [])
    return items


def _column_names(sel: exp.Select, table_columns: TableColumns) -> set[str] | None:
    """The column names a query's FROM items give it (None: not known from the text and catalog)."""
    out: set[str] = set()
    items = _from_items(sel)
    while items:
        it = items.pop()
        items.extend(j.this for j in it.args.get("joins") or [])
        alias = it.args.get("alias")
        named = [c.name for c in alias.columns] if isinstance(alias, exp.TableAlias) and alias.columns else []
        if named:
            out.update(named)
        elif isinstance(it, exp.Table) and isinstance(it.this, exp.Identifier):
            cols = table_columns(it.db or None, it.name)
            if cols is None:
                return None
            out.update(cols)
        elif isinstance(it, exp.Subquery) and isinstance(it.this, exp.Select):
            for e in it.this.expressions:
                if isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star)):
                    return None
                out.add(e.alias_or_name)
        elif isinstance(it, exp.Values) and it.expressions:
            first = it.expressions[0]
            width = len(first.expressions) if isinstance(first, exp.Tuple) else 1
            out.update(f"column{i + 1}" for i in range(width))
        else:
            return None
    return out


def _belongs_here(agg: exp.Expression, sel: exp.Select, scope: Scope, table_columns: TableColumns) -> bool:
    """True when every column the call's arguments use from outside themselves is of ``sel``."""
    between = _enclosing_queries(agg, sel)
    if not between:
        return False  # written at this level: an ordinary aggregate
    between_aliases = set().union(*(_aliases(q) for q in between))
    between_columns: set[str] | None = None
    here = False
    for col in agg.find_all(exp.Column):
        if isinstance(col.this, exp.Star):
            return False
        inner = _enclosing_queries(col, agg)  # queries inside the call's arguments
        qual = col.table
        if not qual:
            if inner:
                continue  # assume an inner query's own column
            if between_columns is None:
                known = [_column_names(q, table_columns) for q in between]
                if any(k is None for k in known):
                    return False
                between_columns = set().union(*known)  # type: ignore[arg-type]
            if col.name in between_columns:
                return False
            try:
                if scope.find_local(col.name, None) is None:
                    return False
            except HeliosError:
                return False
            here = True
            continue
        if any(qual in _aliases(q) for q in inner):
            continue
        if qual in between_aliases:
            return False
        if not scope.has_qualifier(qual):
            return False
        here = True
    return here


def find(sel: exp.Select, sources: Iterable[exp.Expression], scope: Scope,
         is_aggregate: Callable[[exp.Expression], bool], table_columns: TableColumns) -> list[exp.Expression]:
    """Aggregate calls written in subqueries of ``sources`` that belong to ``sel``.

    A call nested in the arguments of another aggregate call is 42803, as in PostgreSQL."""
    found: list[exp.Expression] = []
    for src in sources:
        for node in src.walk() if isinstance(src, exp.Expression) else ():
            if not isinstance(node, exp.Expression) or not is_aggregate(node):
                continue
            if isinstance(node.parent, exp.Filter) and node.parent.this is node:
                continue  # the call of agg(...) FILTER (...): the Filter node is the aggregate
            if not _belongs_here(node, sel, scope, table_columns):
                continue
            p = node.parent
            while p is not None and p is not sel:
                if is_aggregate(p):  # in the arguments (or FILTER) of an aggregate of any level
                    start = node.meta.get("start") if node.meta else None
                    raise GroupingError("aggregate function calls cannot be nested",
                                        position=start + 1 if isinstance(start, int) else None)
                p = p.parent
            if not any(n is node for n in found):
                found.append(node)
    return found


class _TextScope:
    """What ``_belongs_here`` asks of a scope, answered from a query's text and the catalog (before its
    FROM items are planned)."""

    def __init__(self, sel: exp.Select, table_columns: TableColumns) -> None:
        self.names = _aliases_deep(sel)
        self.columns = _column_names(sel, table_columns)

    def has_qualifier(self, qual: str) -> bool:
        return qual in self.names

    def find_local(self, name: str, qual: str | None) -> int | None:
        if self.columns is None:
            raise HeliosError("unknown columns")
        return 0 if name in self.columns else None


def _aliases_deep(sel: exp.Select) -> set[str]:
    out: set[str] = set()
    items = _from_items(sel)
    while items:
        it = items.pop()
        items.extend(j.this for j in it.args.get("joins") or [])
        if it.alias_or_name:
            out.add(it.alias_or_name)
        if isinstance(it, exp.Subquery) and isinstance(it.this, exp.Table):
            items.append(it.this)
    return out


def refuse_misplaced(sel: exp.Select, is_aggregate: Callable[[exp.Expression], bool],
                     table_columns: TableColumns) -> None:
    """42803 for an aggregate of ``sel`` written in a subquery of its FROM items, JOIN conditions or
    WHERE, where ``sel``'s rows are not yet grouped (PostgreSQL's messages)."""
    places: list[tuple[str, exp.Expression]] = []
    frm = sel.args.get("from_") or sel.args.get("from")
    if frm is not None:
        places.append(("FROM clause of their own query level", frm))
    for j in sel.args.get("joins") or []:
        places.append(("FROM clause of their own query level", j.this))
        if j.args.get("on") is not None:
            places.append(("JOIN conditions", j.args["on"]))
    where = sel.args.get("where")
    if where is not None:
        places.append(("WHERE", where))
    for clause, node in places:
        for agg in node.walk():
            if not isinstance(agg, exp.Expression) or not is_aggregate(agg) or not _enclosing_queries(agg, sel):
                continue
            if isinstance(agg.parent, exp.Filter) and agg.parent.this is agg:
                continue
            if _belongs_here(agg, sel, _TextScope(sel, table_columns), table_columns):  # type: ignore[arg-type]
                start = agg.meta.get("start") if agg.meta else None
                raise GroupingError(f"aggregate functions are not allowed in {clause}",
                                    position=start + 1 if isinstance(start, int) else None)
