"""Decorrelation: a correlated ``[NOT] EXISTS`` or ``IN (subquery)`` term of a WHERE becomes
a semi (anti) join with the subquery, rewritten to compute once what the outer rows join on.

A rewrite of the query tree done before binding, in the manner of sqlglot's optimizer
rules: the subquery keeps its own terms, the terms that mention outer columns become the
join condition (equalities become hash keys), and the inner columns they read become the
subquery's output, under a fresh alias. For ``alias = "__sq1"``::

    WHERE EXISTS (SELECT 1 FROM tags t WHERE t.item_id = i.id AND t.tag = 'red')

becomes the semi join of the outer rows with::

    SELECT t.item_id AS __c0 FROM tags AS t WHERE t.tag = 'red'     -- as __sq1
    ON i.id = __sq1.__c0                                             -- written __sq1.__c0 = i.id

and ``x IN (SELECT y FROM u WHERE u.k = o.k)`` adds ``x = __sq1.__in`` to the condition.
NOT EXISTS gives an anti join. Anything else (aggregates, LIMIT, DISTINCT, set
operations, CTEs, views, correlation inside a nested subquery) stays a subquery evaluated
per distinct outer values. ``tests/logical/fixtures/decorrelate_subqueries.txt`` holds
the cases.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
from sqlglot import exp

from helios_core.sql.planner.query_tree import arg, split_and
from helios_core.sql.planner.scalar import contains_aggregate

# (schema or None, name) -> the column names of a stored table; None for anything else
TableColumns = Callable[[str | None, str], list[str] | None]


@attrs.define
class SemiJoin:
    """``kind`` "semi" or "anti"; join ``subquery`` (aliased ``alias``) on ``conditions``."""

    kind: str
    subquery: exp.Select
    alias: str
    conditions: list[exp.Expression]


def decorrelate(term: exp.Expression, outer_columns: set[tuple[str | None, str]], table_columns: TableColumns,
                alias: str) -> SemiJoin | None:
    """The semi/anti join a WHERE term is, or None when its shape does not fit.

    ``outer_columns`` are the (qualifier, name) pairs of the outer query's FROM items.

    >>> import sqlglot
    >>> term = sqlglot.parse_one("select 1 from o where exists (select 1 from u where u.k = o.k and u.v > 2)",
    ...                          read="postgres").args["where"].this
    >>> j = decorrelate(term, {("o", "k")}, lambda db, name: ["k", "v"], "__sq1")
    >>> j.kind, j.subquery.sql(dialect="postgres"), [c.sql(dialect="postgres") for c in j.conditions]
    ('semi', 'SELECT u.k AS __c0 FROM u WHERE u.v > 2', ['__sq1.__c0 = o.k'])
    """
    kind = "semi"
    node = term
    while isinstance(node, exp.Paren):
        node = node.this
    in_left = None
    if isinstance(node, exp.Not):
        inner = node.this
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if not isinstance(inner, exp.Exists):
            return None
        kind, node = "anti", inner
    if isinstance(node, exp.Exists):
        q = node.this
    elif isinstance(node, exp.In) and node.args.get("query") is not None:
        q = node.args["query"]
        in_left = node.this
        if isinstance(in_left, exp.Tuple):
            return None
    else:
        return None
    while isinstance(q, exp.Subquery):
        q = q.this
    if not isinstance(q, exp.Select) or arg(q, "with") is not None:
        return None
    for k in ("group", "having", "limit", "offset", "order", "distinct", "windows"):
        if arg(q, k):
            return None
    if any(contains_aggregate(e) for e in q.expressions):
        return None
    if in_left is not None and len(q.expressions) != 1:
        return None
    from_ = arg(q, "from")
    if from_ is None:
        return None
    inner_items = [from_.this] + [j.this for j in q.args.get("joins") or []]
    inner_aliases: set[str] = set()
    inner_cols: set[str] = set()
    for it in inner_items:
        if not isinstance(it, exp.Table) or not isinstance(it.this, exp.Identifier):
            return None
        inner_aliases.add(it.alias_or_name)
        cols = table_columns(it.db or None, it.name)
        if cols is None:
            return None
        inner_cols.update(cols)
    outer_names = {n for _, n in outer_columns}

    def side(col: exp.Column) -> str | None:
        q_ = col.table or None
        if q_ is not None:
            if q_ in inner_aliases:
                return "inner"
            return "outer" if (q_, col.name) in outer_columns else None
        if col.name in inner_cols:
            return "inner"
        return "outer" if col.name in outer_names else None

    where = arg(q, "where")
    terms = split_and(where.this) if where is not None else []
    local, corr = [], []
    for t in terms:
        sides = set()
        for col in t.find_all(exp.Column):
            sd = side(col)
            if sd is None:
                return None
            sides.add(sd)
        if "outer" in sides:
            if t.find(exp.Subquery, exp.Select, exp.Exists) is not None:
                return None
            corr.append(t)
        else:
            local.append(t)
    if in_left is not None:
        for col in in_left.find_all(exp.Column):
            if side(col) != "outer" and (col.table or col.name not in outer_names):
                return None
    if not corr and in_left is None:
        return None
    select_cols: list[exp.Expression] = []
    mapping: dict[tuple[str | None, str], str] = {}
    conds: list[exp.Expression] = []
    for t in corr:
        t2 = t.copy()
        for col in list(t2.find_all(exp.Column)):
            if side(col) == "inner":
                key = (col.table or None, col.name)
                if key not in mapping:
                    mapping[key] = f"__c{len(mapping)}"
                    select_cols.append(exp.alias_(col.copy(), mapping[key]))
                col.replace(exp.column(mapping[key], table=alias))
        conds.append(t2)
    if in_left is not None:
        select_cols.append(exp.alias_(q.expressions[0].copy(), "__in"))
        conds.append(exp.EQ(this=in_left.copy(), expression=exp.column("__in", table=alias)))
    if not select_cols:
        select_cols = [exp.alias_(exp.Literal.number(1), "__one")]
    sub = q.copy()
    sub.set("expressions", select_cols)
    sub.set("where", exp.Where(this=exp.and_(*local)) if local else None)
    if "where_" in sub.args:
        sub.args.pop("where_", None)
    return SemiJoin(kind, sub, alias, conds)
