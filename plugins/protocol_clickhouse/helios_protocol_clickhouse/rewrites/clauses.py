"""ClickHouse's own query clauses in SQL terms.

    SELECT ... PREWHERE a WHERE b      -> SELECT ... WHERE (a) AND (b)   (PREWHERE is a WHERE read first)
    GROUP BY k WITH ROLLUP / WITH CUBE -> GROUP BY ROLLUP (k) / CUBE (k)
    x GLOBAL IN (...)                  -> x IN (...)                      (one server: nothing to ship)
    SELECT a UNION ALL SELECT b ORDER BY b -> ... UNION ALL (SELECT b ORDER BY b)  (each part its own clauses)

With ``enable_positional_arguments = 0`` a number in GROUP BY or ORDER BY is a constant, not a
position: it is written so that SQL does not read it as one (``GROUP BY 1`` -> ``GROUP BY CAST(1 AS bigint)``).

ORDER BY ... WITH FILL is refused (48 NOT_IMPLEMENTED); SAMPLE is a condition (``rewrites.sample``).
"""

from __future__ import annotations

from sqlglot import exp

from helios_protocol_clickhouse.errors import ClickHouseError

_NOT_BUILT = {exp.WithFill: "ORDER BY ... WITH FILL"}


def _constant_not_position(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Literal) and not node.is_string:
        return exp.Cast(this=node, to=exp.DataType.build("bigint"))
    return node


def _positions_as_constants(select: exp.Select) -> None:
    group = select.args.get("group")
    if group is not None:
        group.set("expressions", [_constant_not_position(e) for e in group.expressions])
    order = select.args.get("order")
    if order is not None:
        for ordered in order.expressions:
            ordered.set("this", _constant_not_position(ordered.this))


def rewrite(tree: exp.Expression, settings: dict[str, str] | None = None) -> exp.Expression:
    for node in tree.walk():  # clauses PostgreSQL's grammar would silently lose: refused, not dropped
        for kind, what in _NOT_BUILT.items():
            if isinstance(node, kind):
                raise ClickHouseError(48, f"{what} is not supported yet")
    positional = (settings or {}).get("enable_positional_arguments", "1").lower() not in ("0", "false")
    for select in list(tree.find_all(exp.Select)):
        if not positional:
            _positions_as_constants(select)
        prewhere = select.args.get("prewhere")
        if prewhere is not None:
            where = select.args.get("where")
            cond = prewhere.this if where is None else exp.and_(exp.Paren(this=prewhere.this),
                                                               exp.Paren(this=where.this))
            select.set("where", exp.Where(this=cond))
            select.set("prewhere", None)
        group = select.args.get("group")
        if group is not None and (group.args.get("rollup") or group.args.get("cube")) and group.expressions:
            kind = exp.Rollup if group.args.get("rollup") else exp.Cube
            group.set("rollup", None)
            group.set("cube", None)
            group.set("expressions", [kind(expressions=list(group.expressions))])
    for union in list(tree.find_all(exp.SetOperation)):  # ORDER BY/LIMIT of a part belong to that part
        for side in ("this", "expression"):
            part = union.args.get(side)
            if isinstance(part, exp.Select) and any(part.args.get(k) for k in ("order", "limit", "offset")):
                union.set(side, exp.Subquery(this=part))
    for node in list(tree.find_all(exp.In)):
        if node.args.get("is_global"):
            node.set("is_global", None)
    return tree


def has_grouping_sets(tree: exp.Expression) -> bool:
    """ROLLUP/CUBE: ClickHouse shows the rolled-up keys as their default values, not NULL."""
    return any(isinstance(g, exp.Rollup | exp.Cube) or g.args.get("rollup") or g.args.get("cube")
               for g in tree.find_all(exp.Group, exp.Rollup, exp.Cube))
