"""ClickHouse's aliases hold in the whole query level: a name defined with ``AS`` in the
select list may be used in other select items, WHERE, GROUP BY, HAVING and ORDER BY, and
it wins over a column of the same name.

    SELECT [1, 2, 3] AS arr, arr[id] FROM t     -> SELECT [1, 2, 3] AS arr, [1, 2, 3][id] FROM t
    SELECT number * 2 AS number, number + 1 ... -> the second ``number`` is ``number * 2``
    SELECT abs(x - 10 AS d), d                  -> SELECT abs((x - 10)), (x - 10)

A name given inside an expression (a function's argument, a condition) holds the same way.
"""

from __future__ import annotations

from sqlglot import exp


def rewrite(tree: exp.Expression) -> exp.Expression:
    for select in list(tree.find_all(exp.Select)):
        _substitute(select)
    return tree


_SCOPES = ("where", "group", "having", "order", "qualify")


def _nested_aliases(select: exp.Select) -> dict[str, exp.Expression]:
    """Names given inside this select's expressions (not its items' own names), each replaced by
    what it names; subqueries keep theirs."""
    found: dict[str, exp.Expression] = {}
    parts = [item.this if isinstance(item, exp.Alias) else item for item in select.expressions]
    parts += [select.args[key] for key in _SCOPES if select.args.get(key) is not None]
    for part in parts:
        for node in list(part.find_all(exp.Alias)):
            if _owner(node) is not select or node.find_ancestor(exp.Lambda) is not None:
                continue
            found.setdefault(node.alias, node.this)
            node.replace(exp.Paren(this=node.this))
    return found


def _substitute(select: exp.Select) -> None:
    nested = _nested_aliases(select)
    aliases: dict[str, exp.Expression] = dict(nested)
    for item in select.expressions:
        if isinstance(item, exp.Alias) and not _is_trivial(item):
            aliases[item.alias] = item.this
    if not aliases:
        return
    aliases = {name: _resolved(name, aliases, set()) for name in aliases}
    # a name only given inside an expression is no output column: GROUP BY / ORDER BY it is the expression
    inner_only = set(nested) - {item.alias for item in select.expressions if isinstance(item, exp.Alias)
                                and not _is_trivial(item)}
    scopes: list[tuple[exp.Expression, str | None]] = []
    for item in select.expressions:
        # ``b`` listed again (``b AS b``, as the select list names it) is what b names
        named = isinstance(item, exp.Alias) and not (_is_trivial(item) and item.alias in aliases)
        scopes.append((item.this if isinstance(item, exp.Alias) else item, item.alias if named else None))
    for key in _SCOPES:
        part = select.args.get(key)
        if part is not None:
            scopes.append((part, None))
    for node, own in scopes:
        for column in list(node.find_all(exp.Column)):
            if column.table in aliases and isinstance(column.this, exp.Literal) and column.table != own:
                # t.1 with t an alias: the element of what t stands for
                column.replace(exp.Anonymous(this="tupleElement", expressions=[
                    exp.Paren(this=aliases[column.table].copy()), column.this.copy()]))
                continue
            if column.table or column.name not in aliases or column.name == own:
                continue
            if _owner(column) is not select:
                continue
            if key_is_output_reference(column, select) and column.name not in inner_only:
                continue
            column.replace(exp.Paren(this=aliases[column.name].copy()))


def _resolved(name: str, aliases: dict[str, exp.Expression], seen: set[str]) -> exp.Expression:
    """What ``name`` stands for, with the names it uses replaced in turn (``1 AS a, a + 1 AS b``)."""
    value = exp.Paren(this=aliases[name].copy())
    for column in list(value.find_all(exp.Column)):
        other = column.name
        if column.table or other == name or other in seen or other not in aliases or \
                column.find_ancestor(exp.Select, exp.Lambda) is not None:
            continue
        column.replace(_resolved(other, aliases, seen | {name}))
    return value.this


def _is_trivial(item: exp.Alias) -> bool:
    """``x AS x``: nothing to substitute."""
    return isinstance(item.this, exp.Column) and item.this.name == item.alias and not item.this.table


def key_is_output_reference(column: exp.Column, select: exp.Select) -> bool:
    """A bare name in GROUP BY / ORDER BY already means the output column: leave it."""
    parent = column.parent
    if isinstance(parent, exp.Ordered) and parent.parent is select.args.get("order"):
        return True
    return isinstance(parent, exp.Group) and parent is select.args.get("group")


def _owner(node: exp.Expression) -> exp.Expression | None:
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Select):
        parent = parent.parent
    return parent
