"""ARRAY JOIN and arrayJoin(): each row repeated once per element of an array, as an unnest in FROM (which sees the columns before it).

    SELECT s, a FROM t ARRAY JOIN arr AS a
    -> SELECT s, a FROM t CROSS JOIN LATERAL unnest(t.arr) AS _array_join0(a)
    SELECT count(), arrayJoin([1, 2, 3]) AS n GROUP BY n
    -> SELECT count(), _array_join_fn0.v AS n FROM unnest(ARRAY[1, 2, 3]) AS _array_join_fn0(v) GROUP BY ...

An ARRAY JOIN without an alias keeps the array's name for the element (``ARRAY JOIN arr``:
``arr`` is the element after it); several arrays are unnested side by side. LEFT ARRAY
JOIN keeps rows with empty arrays (in their place, with the element type's default). ``arrayJoin(x)`` in the select list multiplies rows
before any aggregation, as in ClickHouse, so it becomes a lateral unnest of the FROM; the same
``arrayJoin(x)`` written twice (in the select list, WHERE, GROUP BY...) is one unnest. An
``arrayJoin`` of a constant array in a query that aggregates repeats each group once per element,
as ClickHouse applies it after the aggregation: its element joins the grouping keys.
"""

from __future__ import annotations

from sqlglot import exp


def rewrite(tree: exp.Expression) -> exp.Expression:
    for select in list(tree.find_all(exp.Select)):
        _array_join_clauses(select)
        _array_join_calls(select)
    return tree


def _array_join_clauses(select: exp.Select) -> None:
    joins = select.args.get("joins") or []
    if not any(_is_array_join(j) for j in joins):
        return
    new_joins = []
    for n, join in enumerate(joins):
        if not _is_array_join(join):
            new_joins.append(join)
            continue
        items = [join.this, *(join.args.get("expressions") or [])]
        arrays, names = [], []
        for i, item in enumerate(items):
            if isinstance(item, exp.Alias) and isinstance(item.this, exp.Column) and not item.this.table and \
                    item.this.name == item.alias:  # ARRAY JOIN arr AS arr: as ARRAY JOIN arr
                item = items[i] = item.this
            if isinstance(item, exp.Alias):
                arrays.append(item.this.copy())
                names.append(item.alias)
            else:
                arrays.append(item.copy())
                names.append(item.name if isinstance(item, exp.Column) else f"_aj{len(names)}")
        alias = f"_array_join{n}"
        if str(join.args.get("side") or "").upper() == "LEFT":  # an empty array: one row, the element's default
            arrays = [exp.Anonymous(this="ch_left_array", expressions=[a]) for a in arrays]
        unnest = exp.Unnest(expressions=arrays,
                            alias=exp.TableAlias(this=exp.to_identifier(alias),
                                                 columns=[exp.to_identifier(x) for x in names]))
        new_joins.append(exp.Join(this=unnest, kind="CROSS"))  # a function in FROM sees the columns before it
        for item, name in zip(items, names, strict=True):
            if not isinstance(item, exp.Alias) and isinstance(item, exp.Column):
                _requalify(select, name, alias)
    select.set("joins", new_joins)


def _array_join_calls(select: exp.Select) -> None:
    scopes = [*select.expressions, *(select.args[k] for k in ("where", "group", "having", "order")
                                     if select.args.get(k) is not None)]
    calls = [node for scope in scopes for node in scope.find_all(exp.Explode) if _owner(node) is select]
    seen: dict[str, str] = {}  # the same arrayJoin written twice is one (ClickHouse computes it once)
    for call in calls:
        key = call.sql(dialect="clickhouse")
        if key in seen:
            call.replace(exp.column("v", table=seen[key]))
            continue
        alias = seen[key] = f"_array_join_fn{len(seen)}"
        table_alias = exp.TableAlias(this=exp.to_identifier(alias), columns=[exp.to_identifier("v")])
        array = call.this
        if isinstance(array, exp.Array) and array.expressions and \
                all(isinstance(e, exp.Array) for e in array.expressions):
            # an array of arrays written out: one row per inner array (they may differ in length,
            # which the kernel's multidimensional arrays cannot hold; an unnest would flatten them)
            unnest = exp.Subquery(this=exp.Values(expressions=[exp.Tuple(expressions=[e.copy()])
                                                               for e in array.expressions]), alias=table_alias)
        else:
            unnest = exp.Unnest(expressions=[array.copy()], alias=table_alias)
        after_aggregation = _aggregates(select) and not array.find(exp.Column) and not _in_aggregate(call)
        call.replace(exp.column("v", table=alias))
        if after_aggregation:
            group = select.args.get("group") or exp.Group(expressions=[])
            group.append("expressions", exp.column("v", table=alias))
            select.set("group", group)
        source = select.args.get("from_")
        if source is None:
            select.set("from_", exp.From(this=unnest))
        else:
            select.append("joins", exp.Join(this=unnest, kind="CROSS"))


_AGGREGATE_WORDS = ("count", "sum", "avg", "min", "max", "any", "uniq", "quantile", "median", "var", "stddev",
                    "covar", "corr", "skew", "kurt", "grouparray", "groupuniqarray", "argmin", "argmax", "topk")


def _is_aggregate_call(node: exp.Expression) -> bool:
    return isinstance(node, exp.AggFunc) or isinstance(
        node, exp.Anonymous | exp.AnonymousAggFunc | exp.CombinedAggFunc | exp.ParameterizedAgg) and \
        str(node.this).lower().startswith(_AGGREGATE_WORDS)


def _in_aggregate(node: exp.Expression) -> bool:
    """An argument of an aggregate (any(arrayJoin(...)) multiplies the rows that aggregate sees)."""
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Select):
        if _is_aggregate_call(parent):
            return True
        parent = parent.parent
    return False


def _aggregates(select: exp.Select) -> bool:
    """The select groups or computes aggregates (its own, not a subquery's)."""
    if select.args.get("group") is not None:
        return True
    for item in select.expressions:
        for node in item.find_all(exp.AggFunc, exp.Anonymous, exp.AnonymousAggFunc, exp.CombinedAggFunc,
                                  exp.ParameterizedAgg):
            if _owner(node) is select and _is_aggregate_call(node):
                return True
    return False


def _owner(node: exp.Expression) -> exp.Expression | None:
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Select):
        parent = parent.parent
    return parent


def _is_array_join(join: exp.Join) -> bool:
    return str(join.args.get("kind") or "").upper() == "ARRAY"


def _requalify(select: exp.Select, name: str, alias: str) -> None:
    for column in select.find_all(exp.Column):
        if column.name == name and not column.table and not isinstance(column.parent, exp.Unnest):
            column.set("table", exp.to_identifier(alias))
