"""A view's ``*`` is expanded when the view is created.

PostgreSQL stores a view's query with ``*`` and ``t.*`` replaced by the columns they stood for
at CREATE VIEW: a column added to the table later is not a column of the view, and dropping a
column the view reads needs CASCADE. A view stored with its ``*`` would grow a column each time
its table did. ``expand_stars`` rewrites the select list of the view's outermost SELECT when its
FROM names only tables and views (joined with ON, or not joined) whose columns are known, and
each arm of a set operation the same way; a query of another shape (subqueries or functions in
FROM, USING or NATURAL joins) is kept as written.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from helios_core.sql.context import table_sql_columns


def expand_stars(txn: Any, query: exp.Expression) -> exp.Expression:
    """The query with its top-level ``*`` / ``alias.*`` written out as qualified columns, when
    every source of its FROM is a relation of known columns (see the module docstring). Each
    arm of a UNION / INTERSECT / EXCEPT is expanded, or none is."""
    if isinstance(query, exp.SetOperation):
        left, right = expand_stars(txn, query.this), expand_stars(txn, query.expression)
        if _has_star(left) or _has_star(right):
            return query
        query = query.copy()
        query.set("this", left)
        query.set("expression", right)
        return query
    if not isinstance(query, exp.Select) or not any(_is_star(e) for e in query.expressions):
        return query
    sources = _sources(txn, query)
    if sources is None:
        return query
    expanded: list[exp.Expression] = []
    for e in query.expressions:
        if isinstance(e, exp.Star):
            picked = sources
        elif _is_star(e):
            qual = e.table
            picked = [s for s in sources if s[0] == qual]
            if len(picked) != 1:
                return query  # a qualifier the binder will judge (and refuse): keep it as written
        else:
            expanded.append(e)
            continue
        for alias, cols in picked:
            expanded.extend(exp.column(c, table=alias, quoted=True) for c in cols)
    query = query.copy()
    query.set("expressions", expanded)
    return query


def _has_star(query: exp.Expression) -> bool:
    """A star left in the select list of the query (or of an arm of it)."""
    if isinstance(query, exp.SetOperation):
        return _has_star(query.this) or _has_star(query.expression)
    return not isinstance(query, exp.Select) or any(_is_star(e) for e in query.expressions)


def _is_star(e: exp.Expression) -> bool:
    return isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))


def _sources(txn: Any, query: exp.Select) -> list[tuple[str, list[str]]] | None:
    """(alias, column names) of each FROM source in order, or None when one is not a plain relation."""
    from_ = query.args.get("from_") or query.args.get("from")  # sqlglot renamed the key ("from_")
    if from_ is None:
        return None
    items = [from_.this]
    for join in query.args.get("joins") or []:
        if join.args.get("using") or (join.args.get("method") or "").upper() == "NATURAL":
            return None
        items.append(join.this)
    out = []
    for item in items:
        if not isinstance(item, exp.Table) or item.args.get("db") is None or not isinstance(item.this, exp.Identifier):
            return None
        cols = _relation_columns(txn, item.args["db"].name, item.name)
        alias = item.args.get("alias")
        if cols is None or alias is None or not alias.name:
            return None
        renamed = [c.name for c in alias.args.get("columns") or []]
        out.append((alias.name, renamed + cols[len(renamed):]))
    return out


def _relation_columns(txn: Any, schema: str, name: str) -> list[str] | None:
    table = txn.get_table(schema, name)
    if table is not None:
        return [n for n, _ in table_sql_columns(table)]
    view = txn.catalog_get("view", f"{schema}.{name}")
    if view is not None and view.get("columns"):
        return list(view["columns"])
    return None
