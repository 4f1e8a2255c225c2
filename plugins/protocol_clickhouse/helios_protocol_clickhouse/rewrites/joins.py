"""ClickHouse's join strictness and ORDER BY ALL.

    a ANY LEFT JOIN b USING k   -> a LEFT JOIN (SELECT DISTINCT ON (k) * FROM b) AS b USING k
    a ALL INNER JOIN b USING k  -> a INNER JOIN b USING k
    ORDER BY ALL                -> ORDER BY 1, 2, ... (every output column)

ANY keeps one right row per key (the first); ALL is the SQL join. In a join with USING, a
name both sides have (other than the keys) means the left side's column, as in ClickHouse:

    SELECT b FROM l ALL LEFT JOIN r USING k  -> SELECT l.b FROM l LEFT JOIN r USING k
"""

from __future__ import annotations

from sqlglot import exp

from helios_protocol_clickhouse.errors import ClickHouseError
from helios_protocol_clickhouse.names import source_column_names
from helios_protocol_clickhouse.rewrites.context import RewriteContext


def rewrite(tree: exp.Expression, ctx: RewriteContext | None = None) -> exp.Expression:
    for join in reversed(list(tree.find_all(exp.Join))):  # inner joins first: an ANY join copies its right side
        strictness = str(join.args.get("kind") or "").upper()
        if strictness in ("ANY", "ALL", "SEMI", "ANTI", "ASOF"):
            if strictness in ("SEMI", "ANTI", "ASOF"):
                raise ClickHouseError(48, f"{strictness} JOIN is not supported")
            side = str(join.args.get("side") or "").upper()
            join.set("kind", "INNER" if side in ("", "INNER") else None)
            join.set("side", None if side in ("", "INNER") else side)
            if strictness == "ANY":
                _distinct_right(join)
    for n, subquery in enumerate(list(tree.find_all(exp.Subquery))):
        if subquery.args.get("alias") is None and isinstance(subquery.parent, exp.From | exp.Join):
            subquery.set("alias", exp.TableAlias(this=exp.to_identifier(f"_subquery{n}")))
    for select in list(tree.find_all(exp.Select)):
        if ctx is not None and ctx.table_columns is not None:
            _qualify_shared_names(select, ctx)
        _qualify_using_keys(select)
        order = select.args.get("order")
        if order is not None and len(order.expressions) == 1 and _is_all(order.expressions[0].this):
            ordered = order.expressions[0]
            count = _output_width(select, ctx)
            order.set("expressions", [exp.Ordered(this=exp.Literal.number(i + 1), desc=ordered.args.get("desc"))
                                      for i in range(count)])
    return tree


def _is_all(node: exp.Expression) -> bool:
    return isinstance(node, exp.Column) and node.name.upper() == "ALL" and not node.table and \
        not node.this.args.get("quoted")


def _output_width(select: exp.Select, ctx: RewriteContext | None = None) -> int:
    if not any(isinstance(e, exp.Star) for e in select.expressions):
        return len(select.expressions)
    star = _star_width(select, ctx) if len(select.expressions) == 1 else None
    if star is not None:
        return star
    source = select.args.get("from_")
    if source is not None and isinstance(source.this, exp.Subquery) and isinstance(source.this.this, exp.Select) \
            and len(select.expressions) == 1 and not select.args.get("joins"):
        return _output_width(source.this.this)
    raise ClickHouseError(48, "ORDER BY ALL over SELECT * of a source of unknown columns is not supported; "
                              "list the columns")


def _star_width(select: exp.Select, ctx: RewriteContext | None) -> int | None:
    """How many columns ``SELECT *`` gives: the left side's, then each joined side's but its USING keys."""
    source = select.args.get("from_")
    if ctx is None or ctx.table_columns is None or source is None:
        return None
    left = source_column_names(source.this, ctx.table_columns, ctx.database)
    if left is None:
        return None
    width = len(left)
    for join in select.args.get("joins") or []:
        if str(join.args.get("kind") or "").upper() == "ARRAY":
            return None
        names = source_column_names(join.this, ctx.table_columns, ctx.database)
        if names is None:
            return None
        keys = {u.name for u in join.args.get("using") or []}
        width += len([n for n in names if n not in keys])
    return width


def _distinct_right(join: exp.Join) -> None:
    using = join.args.get("using") or []
    keys = [exp.column(u.name) for u in using]
    if not keys:
        raise ClickHouseError(48, "ANY JOIN ... ON is not supported yet; join with USING, or use ALL")
    right = join.this
    alias = right.args.get("alias")
    name = alias.name if alias is not None else (right.name if isinstance(right, exp.Table) else "_any_right")
    inner = right.this.copy() if isinstance(right, exp.Subquery) else exp.select("*").from_(right.copy())
    if isinstance(right, exp.Table):
        inner = exp.select("*").from_(exp.Table(this=right.this.copy(), db=right.args.get("db")))
    wrapped = exp.select("*").from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("_any"))))
    wrapped.set("distinct", exp.Distinct(on=exp.Tuple(expressions=keys)))
    join.set("this", exp.Subquery(this=wrapped, alias=exp.TableAlias(this=exp.to_identifier(name))))


_SCOPES = ("where", "group", "having", "order", "qualify")


def _qualify_shared_names(select: exp.Select, ctx: RewriteContext) -> None:
    """A name the left side and a side joined with USING both give, not a key: the left one's."""
    joins = [j for j in select.args.get("joins") or [] if j.args.get("using")]
    source = select.args.get("from_")
    if not joins or source is None or not source.this.alias_or_name:
        return
    assert ctx.table_columns is not None
    left = source_column_names(source.this, ctx.table_columns, ctx.database)
    if left is None:
        return
    keys: set[str] = set()
    right: set[str] = set()
    for join in joins:
        keys |= {u.name for u in join.args["using"]}
        right |= set(source_column_names(join.this, ctx.table_columns, ctx.database) or [])
    shared = (set(left) & right) - keys
    if not shared:
        return
    alias = exp.to_identifier(source.this.alias_or_name)
    parts = list(select.expressions) + [select.args[k] for k in _SCOPES if select.args.get(k) is not None]
    for part in parts:
        for column in list(part.find_all(exp.Column)):
            if not column.table and column.name in shared and column.find_ancestor(exp.Select) is select and \
                    column.find_ancestor(exp.Lambda) is None:
                column.set("table", alias.copy())


def _qualify_using_keys(select: exp.Select) -> None:
    """ORDER BY k, with k a USING key, means the join key (ClickHouse), even when ``a.*, b.*``
    output two columns called k: name it through the left side's alias."""
    keys = {u.name for j in select.args.get("joins") or [] for u in j.args.get("using") or []}
    order = select.args.get("order")
    source = select.args.get("from_")
    alias = source.this.args.get("alias") if source is not None else None
    if not keys or order is None or alias is None or not alias.name:
        return
    for ordered in order.expressions:
        column = ordered.this
        if isinstance(column, exp.Column) and not column.table and column.name in keys:
            column.set("table", exp.to_identifier(alias.name))
