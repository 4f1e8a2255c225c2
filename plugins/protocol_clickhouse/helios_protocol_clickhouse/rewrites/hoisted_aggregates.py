"""An aggregate inside the array a lambda runs over is computed a level below the lambda:

    SELECT arrayMap(x -> x % 2, arraySort(groupArray(number))) AS arr FROM t GROUP BY k ORDER BY arr
    -> SELECT arrayMap(x -> x % 2, _hoisted0) AS arr
       FROM (SELECT arraySort(groupArray(number)) AS _hoisted0 FROM t GROUP BY k) AS _hoisted ORDER BY arr

A lambda becomes a subquery over its array's elements, and an aggregate cannot sit inside such a
subquery; computed below, its value is a column the lambda reads. Done where the select list's
other items and the ORDER BY name nothing but what the level below gives (the lambda's body reads
only its parameters); elsewhere the statement stays as it is.
"""

from __future__ import annotations

from sqlglot import exp

from helios_protocol_clickhouse.names import column_name


def _aggregated(node: exp.Expression) -> bool:
    return any(isinstance(n, exp.AggFunc) for n in node.walk())


def _lambda_calls(item: exp.Expression) -> list[tuple[exp.Expression, list[exp.Expression]]]:
    """(call, its array arguments holding an aggregate) of the lambda calls in ``item``."""
    out = []
    for call in item.find_all(exp.Func):
        args = [v for v in call.args.values() if isinstance(v, exp.Expression)] + \
            [v for k, vs in call.args.items() if isinstance(vs, list) for v in vs if isinstance(v, exp.Expression)]
        lam = next((a for a in args if isinstance(a, exp.Lambda)), None)
        if lam is None or _aggregated(lam.this):
            continue
        arrays = [a for a in args if a is not lam and _aggregated(a)]
        if arrays:
            out.append((call, arrays))
    return out


def _hoist(select: exp.Select) -> exp.Expression | None:
    if select.args.get("distinct") or select.args.get("group") is not None and \
            select.args["group"].args.get("totals") or select.args.get("qualify"):
        return None
    items = list(select.expressions)
    if any(isinstance(i, exp.Star) for i in items):
        return None
    names = [column_name(i) for i in items]
    if len(set(names)) != len(names):
        return None
    inner_items: list[exp.Expression] = []
    outer_items: list[exp.Expression] = []
    hoisted = 0
    for item, name in zip(items, names, strict=True):
        body = item.this if isinstance(item, exp.Alias) else item
        calls = _lambda_calls(body)
        if not calls:
            inner_items.append(exp.alias_(body.copy(), name, quoted=True))
            outer_items.append(exp.alias_(exp.column(name, quoted=True), name, quoted=True))
            continue
        outer = body.copy()
        replaced = {}
        for _call, arrays in calls:
            for array in arrays:
                column = f"_hoisted{hoisted}"
                hoisted += 1
                inner_items.append(exp.alias_(array.copy(), column, quoted=True))
                replaced[id(array)] = column
        # the same nodes in the copy: walk both trees side by side
        for original, copied in zip(body.walk(), outer.walk(), strict=True):
            if id(original) in replaced:
                copied.replace(exp.column(replaced[id(original)], quoted=True))
        params = {p.name for lam in outer.find_all(exp.Lambda) for p in lam.expressions}
        hoisted_names = set(replaced.values())
        if any(c.name not in params and c.name not in hoisted_names for c in outer.find_all(exp.Column)) or \
                _aggregated(outer):
            return None
        outer_items.append(exp.alias_(outer, name, quoted=True))
    if not hoisted:
        return None
    order = select.args.get("order")
    if order is not None and not all(isinstance(o.this, exp.Column) and not o.this.table and o.this.name in names
                                     for o in order.expressions):
        return None
    inner = select.copy()
    inner.set("expressions", inner_items)
    for key in ("order", "limit", "offset", "settings", "format"):
        inner.set(key, None)
    outer_select = exp.Select(expressions=outer_items).from_(
        exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("_hoisted"))))
    for key in ("order", "limit", "offset", "settings", "format"):
        if select.args.get(key) is not None:
            outer_select.set(key, select.args[key].copy())
    return outer_select


def rewrite(tree: exp.Expression) -> exp.Expression:
    for select in list(tree.find_all(exp.Select)):
        if not any(_lambda_calls(i) for i in select.expressions):
            continue
        replacement = _hoist(select)
        if replacement is None:
            continue
        if select is tree:
            tree = replacement
        else:
            select.replace(replacement)
    return tree
