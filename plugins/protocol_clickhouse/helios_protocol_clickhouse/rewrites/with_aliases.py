"""ClickHouse's ``WITH <expression> AS name``: a name for an expression (not a table), usable
anywhere in the query, its subqueries included.

    WITH 5 AS x SELECT x + 1                 -> SELECT (5) + 1
    WITH (SELECT max(n) FROM t) AS m SELECT * FROM t WHERE n = m
                                             -> ... WHERE n = ((SELECT max(n) FROM t))

``WITH name AS (SELECT ...)`` (a common table expression) stays as it is. A name the select
list defines again, or a column qualified by a table, is not replaced.
"""

from __future__ import annotations

from sqlglot import exp


def rewrite(tree: exp.Expression) -> exp.Expression:
    for select in list(tree.find_all(exp.Select)):
        _substitute(select)
    return tree


def _substitute(select: exp.Select) -> None:
    with_ = select.args.get("with_")
    if with_ is None:
        return
    scalars = [cte for cte in with_.expressions if cte.args.get("scalar")]
    if not scalars:
        return
    kept = [cte for cte in with_.expressions if not cte.args.get("scalar")]
    values: dict[str, exp.Expression] = {}
    for cte in scalars:  # a later name may use an earlier one
        values[cte.alias] = _replace_names(cte.this.copy(), values, set())
    select.set("with_", exp.With(expressions=kept) if kept else None)
    own = {item.alias for item in select.expressions if isinstance(item, exp.Alias) and
           not (isinstance(item.this, exp.Column) and item.this.name == item.alias and not item.this.table)}
    for key, value in list(select.args.items()):
        if key == "with_" or value is None:
            continue
        if isinstance(value, list):
            select.set(key, [_replace_names(v, values, own) if isinstance(v, exp.Expression) else v for v in value])
        elif isinstance(value, exp.Expression):
            select.set(key, _replace_names(value, values, own))


def _replace_names(node: exp.Expression, values: dict[str, exp.Expression], own: set[str]) -> exp.Expression:
    def one(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Column) and not n.table and isinstance(n.this, exp.Identifier) and \
                n.name in values and n.name not in own and not isinstance(n.parent, exp.Lambda):
            return exp.Paren(this=values[n.name].copy())
        return n

    return node.transform(one)
