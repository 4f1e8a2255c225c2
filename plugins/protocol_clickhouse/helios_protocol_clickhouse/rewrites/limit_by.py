"""LIMIT n [OFFSET m] BY cols: the first n rows of each group of ``cols``, in the query's order.

    SELECT a, b FROM t ORDER BY b LIMIT 1 BY a
    -> SELECT a, b FROM (SELECT a, b, row_number() OVER (PARTITION BY a ORDER BY b) AS _limit_by_rn
                         FROM t ORDER BY b) AS _limit_by WHERE _limit_by_rn <= 1 ORDER BY ...

Without ORDER BY the rows are numbered as read (``row_number() OVER ()`` a level below), each
group keeps its first rows and the result stays in that order, as ClickHouse's does.

The outer query lists the inner one's output names, so ``SELECT *`` with LIMIT BY is
refused (48 NOT_IMPLEMENTED) rather than answered with an extra column.
"""

from __future__ import annotations

from sqlglot import exp

from helios_protocol_clickhouse.errors import ClickHouseError

RN = "_limit_by_rn"
POS = "_limit_by_pos"
LIMIT_AFTER_BY = "limit_after_by"  # meta key of a LIMIT BY's Limit: the plain LIMIT that follows it (the parser's)


def rewrite(tree: exp.Expression) -> exp.Expression:
    def swap(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Select):
            return node
        limit = node.args.get("limit")
        offset = node.args.get("offset")
        if isinstance(limit, exp.Limit) and not limit.args.get("expressions") and isinstance(offset, exp.Offset) \
                and offset.args.get("expressions"):  # LIMIT n OFFSET m BY x (LIMIT m, n BY x): read with the BY
            limit = exp.Limit(expression=limit.expression.copy(), offset=offset.expression.copy(),
                              expressions=[e.copy() for e in offset.expressions])
            node.set("limit", limit)
            node.set("offset", None)
        if not isinstance(limit, exp.Limit) or not limit.args.get("expressions"):
            return node
        return _wrap(node, limit)

    return tree.transform(swap)


def _wrap(select: exp.Select, limit: exp.Limit) -> exp.Expression:
    if any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
           for e in select.expressions):
        raise ClickHouseError(48, "LIMIT BY with SELECT * is not supported; list the columns")
    after = limit.meta.pop(LIMIT_AFTER_BY, None)  # LIMIT n BY x LIMIT m: m rows of the whole result
    by = [e.copy() for e in limit.args["expressions"]]
    count = limit.expression.copy()
    offset = limit.args.get("offset")
    inner = select.copy()
    inner.set("limit", None)
    order = inner.args.get("order")
    aliases = {e.alias: e.this for e in inner.expressions if isinstance(e, exp.Alias)}

    def unalias(node: exp.Expression) -> exp.Expression:  # a window cannot name output columns
        if isinstance(node, exp.Column) and not node.table and node.name in aliases:
            return aliases[node.name].copy()
        return node

    by = [b.transform(unalias) for b in by]
    names = [e.alias_or_name for e in inner.expressions]
    if order is None:  # the first rows of each group as they come: numbered in the order read, a level below
        base = inner
        keys = [f"_limit_by_key{i}" for i in range(len(by))]
        base.set("expressions", [*base.expressions, *(exp.alias_(b, k) for b, k in zip(by, keys, strict=True)),
                                 exp.alias_(exp.Window(this=exp.Anonymous(this="row_number", expressions=[])), POS)])
        window = exp.Window(this=exp.Anonymous(this="row_number", expressions=[]),
                            partition_by=[exp.column(k) for k in keys],
                            order=exp.Order(expressions=[exp.Ordered(this=exp.column(POS))]))
        inner = exp.select(*[exp.column(n) for n in names], exp.column(POS), exp.alias_(window, RN)).from_(
            exp.Subquery(this=base, alias=exp.TableAlias(this=exp.to_identifier("_limit_by_base"))))
    else:
        window = exp.Window(this=exp.Anonymous(this="row_number", expressions=[]), partition_by=by,
                            order=order.copy().transform(unalias))
        inner.set("expressions", [*inner.expressions, exp.alias_(window, RN)])
    rn = exp.column(RN)
    if offset is not None:
        cond = exp.and_(exp.GT(this=rn, expression=offset.copy()),
                        exp.LTE(this=rn, expression=exp.Add(this=offset.copy(), expression=count)))
    else:
        cond = exp.LTE(this=rn, expression=count)
    skip = None
    if isinstance(after, exp.Limit):  # OFFSET m after the second LIMIT: of the whole result
        plain_offset = (inner if order is not None else base).args.get("offset")
        if isinstance(plain_offset, exp.Offset) and not plain_offset.args.get("expressions"):
            (inner if order is not None else base).set("offset", None)
            skip = plain_offset.expression
        skip = after.args.get("offset") or skip
    outer = exp.select(*[exp.column(n) for n in names]).from_(
        exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("_limit_by")))).where(cond)
    if isinstance(after, exp.Limit):
        outer.set("limit", exp.Limit(expression=after.expression.copy()))
        if skip is not None:
            outer.set("offset", exp.Offset(expression=skip.copy()))
    if order is None:
        outer.set("order", exp.Order(expressions=[exp.Ordered(this=exp.column(POS))]))
    if order is not None:
        outer.set("order", exp.Order(expressions=[exp.Ordered(this=exp.column(RN))]))
        # the inner order holds: re-sort by the same keys when they are output columns
        keys = [o for o in order.expressions if isinstance(o.this, exp.Column) and o.this.name in names]
        if len(keys) == len(order.expressions):
            outer.set("order", exp.Order(expressions=[
                exp.Ordered(this=exp.column(o.this.name), desc=o.args.get("desc")) for o in keys]))
    return outer
