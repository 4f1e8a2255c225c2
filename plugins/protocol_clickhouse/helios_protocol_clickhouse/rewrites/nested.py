"""Nested columns: ``n Nested(x UInt8, y String)`` is the array columns ``n.x Array(UInt8)`` and
``n.y Array(String)``, as ClickHouse stores it.

    CREATE TABLE t (s String, n Nested(x UInt8, y String))
    -> CREATE TABLE t (s String, `n.x` Array(UInt8), `n.y` Array(String))
    SELECT n.x FROM t                   -> SELECT `n.x` FROM t      (n is no table of the query)
    SELECT s, n.x FROM t ARRAY JOIN n   -> ... ARRAY JOIN `n.x`, `n.y`   (each of n's arrays)
    ... ARRAY JOIN n AS m               -> ... ARRAY JOIN `n.x` AS `m.x`, `n.y` AS `m.y`

``m.x`` after ``ARRAY JOIN n AS m`` is the element, ``n.x`` still the whole array; an ARRAY JOIN
without an alias puts the elements in the arrays' places, as for any array.
"""

from __future__ import annotations

from sqlglot import exp

from helios_protocol_clickhouse.catalog import schema_of
from helios_protocol_clickhouse.rewrites.context import RewriteContext


def expand_columns(columns: list[exp.Expression]) -> list[exp.Expression]:
    """Column definitions with each ``Nested(...)`` one made its array columns."""
    out: list[exp.Expression] = []
    for column in columns:
        kind = column.args.get("kind") if isinstance(column, exp.ColumnDef) else None
        if isinstance(kind, exp.DataType) and kind.this == exp.DataType.Type.NESTED:
            for part in kind.expressions:
                element = part.args.get("kind") if isinstance(part, exp.ColumnDef) else part
                out.append(exp.ColumnDef(this=exp.to_identifier(f"{column.name}.{part.name}", quoted=True),
                                         kind=exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[element.copy()],
                                                           nested=True)))
        else:
            out.append(column)
    return out


def _sources(select: exp.Select) -> list[exp.Table]:
    from_ = select.args.get("from_") or select.args.get("from")
    tables = [from_.this] if from_ is not None else []
    tables += [j.this for j in select.args.get("joins") or [] if str(j.args.get("kind") or "").upper() != "ARRAY"]
    return [t for t in tables if isinstance(t, exp.Table)]


def _source_names(select: exp.Select) -> set[str]:
    from_ = select.args.get("from_") or select.args.get("from")
    nodes = [from_.this] if from_ is not None else []
    nodes += [j.this for j in select.args.get("joins") or [] if str(j.args.get("kind") or "").upper() != "ARRAY"]
    names = set()
    for node in nodes:
        if isinstance(node, exp.Table):
            names.add(node.name)
        if node.alias:
            names.add(node.alias)
    return names


def rewrite(tree: exp.Expression, ctx: RewriteContext) -> exp.Expression:
    if ctx.table_columns is None:
        return tree
    for select in list(tree.find_all(exp.Select)):
        columns: list[str] = []
        for table in _sources(select):
            found = ctx.table_columns(schema_of(table.db or ctx.database), table.name) or []
            columns += [c.name for c in found]
        dotted = [c for c in columns if "." in c]
        if not dotted:
            continue
        groups = {c.split(".", 1)[0] for c in dotted}
        aliases = _expand_array_joins(select, dotted, set(columns))
        sources = _source_names(select)
        prefixes = groups | aliases

        def join_names(node: exp.Expression, prefixes: set[str] = prefixes, sources: set[str] = sources) -> exp.Expression:
            if isinstance(node, exp.Column) and node.table and not node.args.get("db") and \
                    node.table in prefixes and node.table not in sources:
                return exp.column(exp.to_identifier(f"{node.table}.{node.name}", quoted=True))
            return node

        for key in ("expressions", "where", "group", "having", "order", "joins", "qualify"):
            value = select.args.get(key)
            if isinstance(value, list):
                select.set(key, [v.transform(join_names) for v in value])
            elif isinstance(value, exp.Expression):
                select.set(key, value.transform(join_names))
    return tree


def _expand_array_joins(select: exp.Select, dotted: list[str], columns: set[str]) -> set[str]:
    """ARRAY JOIN of a Nested column's name: each of its arrays; returns the aliases given."""
    aliases = set()
    for join in select.args.get("joins") or []:
        if str(join.args.get("kind") or "").upper() != "ARRAY":
            continue
        items = [join.this, *(join.args.get("expressions") or [])]
        expanded = []
        for item in items:
            alias = item.alias if isinstance(item, exp.Alias) else None
            inner = item.this if isinstance(item, exp.Alias) else item
            if isinstance(inner, exp.Column) and not inner.table and inner.name not in columns:
                parts = [c for c in dotted if c.split(".", 1)[0] == inner.name]
                if parts:
                    for part in parts:
                        column = exp.column(exp.to_identifier(part, quoted=True))
                        suffix = part.split(".", 1)[1]
                        expanded.append(exp.alias_(column, exp.to_identifier(f"{alias}.{suffix}", quoted=True))
                                        if alias else column)
                    if alias:
                        aliases.add(alias)
                    continue
            expanded.append(item)
        join.set("this", expanded[0])
        join.set("expressions", expanded[1:])
    return aliases


def insert_columns(insert: exp.Insert) -> None:
    """``INSERT INTO t (x, n.a, n.b)``: the dotted names are the columns ``n.a`` and ``n.b``."""
    schema = insert.this
    if not isinstance(schema, exp.Schema):
        return
    names = []
    for item in schema.expressions:
        if isinstance(item, exp.Dot) and isinstance(item.this, exp.Identifier) and \
                isinstance(item.expression, exp.Identifier):
            item = exp.to_identifier(f"{item.this.name}.{item.expression.name}", quoted=True)
        names.append(item)
    schema.set("expressions", names)
