"""A LATERAL item that is one row of expressions, pulled up into the query that reads it.

``FROM a, b JOIN LATERAL (VALUES (a.x)) ss(y) ON b.k = ss.y`` names expressions of earlier FROM
items; PostgreSQL pulls such a subquery up (pull_up_simple_values / pull_up_simple_subquery), so
``ss.y`` becomes ``a.x`` and ``b.k = a.x`` a join key, instead of running the join once per row of
``a``. The same here, on the sqlglot tree, for an inner or cross join with a single-row VALUES or
a SELECT of expressions with no FROM. Anything that could change meaning is left alone: string
literals and NULLs (their type comes from the subquery), volatile calls (evaluated once per
row there), aggregates, set-returning functions, a reference to the item as a whole or by an
unqualified name, or another relation of the same name in the query.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

VOLATILE = {"random", "nextval", "setval", "currval", "clock_timestamp", "timeofday", "gen_random_uuid",
            "random_normal", "txid_current", "statement_timestamp"}
_SELECT_BLOCKERS = ("from", "from_", "where", "group", "having", "order", "limit", "offset", "distinct", "windows",
                    "joins", "with", "with_", "locks", "qualify")


def _row_of(body: exp.Expression, alias: exp.TableAlias) -> tuple[list[exp.Expression], list[str]] | None:
    cols = [c.name for c in alias.columns]
    if isinstance(body, exp.Values):
        if len(body.expressions) != 1:
            return None
        row = body.expressions[0]
        exprs = list(row.expressions) if isinstance(row, exp.Tuple) else [row]
        return (exprs, cols) if len(cols) == len(exprs) else None
    if isinstance(body, exp.Select) and not any(body.args.get(k) for k in _SELECT_BLOCKERS):
        items = list(body.expressions)
        if any(isinstance(e, exp.Star) for e in items):
            return None
        exprs = [e.this if isinstance(e, exp.Alias) else e for e in items]
        names = cols or [e.alias_or_name for e in items]
        return (exprs, names) if len(names) == len(exprs) and all(names) else None
    return None


def _safe(e: exp.Expression, is_aggregate: Callable[[exp.Expression], bool], is_srf: Callable) -> bool:
    for n in e.walk():
        if isinstance(n, (exp.Null, exp.Star, exp.Window, exp.Select, exp.Subquery)):
            return False
        if isinstance(n, exp.Literal) and n.is_string:
            return False
        if isinstance(n, exp.Func) and (is_aggregate(n) or is_srf(n) or
                                        (n.sql_name() if not isinstance(n, exp.Anonymous) else str(n.this)).lower()
                                        in VOLATILE):
            return False
        if isinstance(n, exp.Rand):
            return False
    return True


def pull_up(sel: exp.Select, is_aggregate: Callable[[exp.Expression], bool], is_srf: Callable) -> exp.Select | None:
    """``sel`` with its single-row LATERAL items replaced by their expressions (None: nothing to do)."""
    joins = list(sel.args.get("joins") or [])
    if any(isinstance(e, exp.Star) for e in sel.expressions):
        return None  # SELECT * shows the item's columns too
    for idx, j in enumerate(joins):
        if j.args.get("side") or str(j.args.get("kind") or "").upper() not in ("", "CROSS", "INNER") \
                or j.args.get("using") or j.args.get("method"):
            continue
        item = j.this
        alias = item.args.get("alias") if isinstance(item, exp.Lateral) else None
        sub = item.this if isinstance(item, exp.Lateral) else None
        if alias is None or not isinstance(sub, exp.Subquery) or sub.args.get("alias"):
            continue
        row = _row_of(sub.this, alias)
        if row is None:
            continue
        exprs, names = row
        if not all(_safe(e, is_aggregate, is_srf) for e in exprs):
            continue
        qual = alias.name
        others = [n for n in sel.walk() if n is not item and not _under(n, item)]
        if any(isinstance(n, exp.TableAlias) and n.name == qual for n in others) or any(
                isinstance(n, exp.Table) and n.alias_or_name == qual for n in others):
            continue  # the name means something else somewhere in the query
        cols = [n for n in others if isinstance(n, exp.Column)]
        if any((not n.table and n.name in names + [qual]) or (n.table == qual and n.name not in names)
               for n in cols):
            continue  # ss.* / ss / an unqualified column: resolution left to the planner
        new = sel.copy()
        by_name = dict(zip(names, exprs, strict=True))
        for c in list(new.find_all(exp.Column)):
            if c.table == qual and c.name in by_name and not _under(c, new.args["joins"][idx].this):
                value = exp.Paren(this=by_name[c.name].copy())
                if c.parent is new and c in new.expressions:  # a select item keeps the column's name
                    value = exp.alias_(value, c.name, quoted=True)
                c.replace(value)
        new_join = new.args["joins"][idx]
        on = new_join.args.get("on")
        new_join.pop()
        if on is not None:
            new.where(on, copy=False)
        return pull_up(new, is_aggregate, is_srf) or new
    return None


def hoist(sel: exp.Select) -> exp.Select | None:
    """An inner LATERAL item moved up to just after the FROM items it reads, as a cross join whose ON
    condition joins the WHERE: ``FROM a, b JOIN LATERAL (VALUES (a.x), (-1)) ss(y) ON b.k = ss.y``
    then computes ss once per row of a, not the join with b once per row of a (inner joins commute;
    the select list must not expand ``*``, whose column order follows the FROM items)."""
    joins = list(sel.args.get("joins") or [])
    from_ = sel.args.get("from_") or sel.args.get("from")
    if from_ is None or not joins or any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and
                                                                       isinstance(e.this, exp.Star))
                                         for e in sel.expressions):
        return None
    items = [from_.this] + [j.this for j in joins]
    for k in range(2, len(items)):
        j = joins[k - 1]
        item = items[k]
        if not isinstance(item, exp.Lateral) or j.args.get("side") or j.args.get("using") or j.args.get("method") \
                or str(j.args.get("kind") or "").upper() not in ("", "CROSS", "INNER"):
            continue
        cols = list(item.find_all(exp.Column))
        if not cols or any(not c.table for c in cols):
            continue  # unqualified names: which item they read is the planner's to find out
        names = [i.alias_or_name for i in items]
        read = [names.index(c.table) for c in cols if c.table in names[:k]]
        if len(read) != len(cols):
            continue
        m = max(read)
        between = joins[m:k - 1]  # the joins of items m+1 .. k-1
        if m >= k - 1 or any(b.args.get("side") or b.args.get("using") or b.args.get("method") or
                             str(b.args.get("kind") or "").upper() not in ("", "CROSS", "INNER")
                             for b in between):
            continue
        new = sel.copy()
        new_joins = list(new.args["joins"])
        moved = new_joins.pop(k - 1)
        on = moved.args.get("on")
        moved.set("on", None)
        moved.set("kind", "CROSS")
        new_joins.insert(m, moved)
        new.set("joins", new_joins)
        if on is not None:
            new.where(on, copy=False)
        return new
    return None


def _under(node: exp.Expression, ancestor: exp.Expression) -> bool:
    p = node.parent
    while p is not None:
        if p is ancestor:
            return True
        p = p.parent
    return False
