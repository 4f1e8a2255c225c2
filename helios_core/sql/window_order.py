"""Which window PostgreSQL sorts for last, and so the order rows leave a WindowAgg in.

PostgreSQL numbers every expression a query sorts or groups on (its ``tleSortGroupRef``): the
ORDER BY items first, then GROUP BY, then each window's ORDER BY and PARTITION BY items, named
windows before inline ones; an expression met again keeps its number. The windows are then
evaluated in the order of their sort clauses compared item by item, higher numbers first and
longer lists before their prefixes (``common_prefix_cmp``), each one re-sorting the rows only
when the previous sort does not already give its order. Without an ORDER BY of its own a query
returns the rows in the last window's order, which is what this module lets the window operator
reproduce.
"""

from __future__ import annotations

import functools

from sqlglot import exp

# one sort item: (expression number, descending, nulls first)
SortItem = tuple[int, bool, bool]


def _text(e: exp.Expression) -> str:
    return e.sql(dialect="postgres").lower()


def _window_clauses(w: exp.Window, named: dict[str, exp.Window]) -> tuple[list[exp.Expression], list[exp.Ordered]]:
    partition = list(w.args.get("partition_by") or [])
    order = w.args.get("order")
    alias = w.args.get("alias")
    if alias is not None and alias.name in named and named[alias.name] is not w:
        bp, bo = _window_clauses(named[alias.name], named)
        partition = partition or bp
        order_items = list(order.expressions) if order is not None else bo
        return partition, order_items
    return partition, list(order.expressions) if order is not None else []


class _Numbering:
    """Hands out one number per distinct expression text, in first-seen order."""

    def __init__(self, sel: exp.Select) -> None:
        self.numbers: dict[str, int] = {}
        self.aliases = {e.alias.lower(): e.this for e in sel.expressions if isinstance(e, exp.Alias)}
        self.outputs = [e.this if isinstance(e, exp.Alias) else e for e in sel.expressions]

    def resolve(self, e: exp.Expression) -> exp.Expression:
        """An ORDER BY / GROUP BY item naming an output column by alias or position."""
        if isinstance(e, exp.Column) and not e.table and e.name.lower() in self.aliases:
            return self.aliases[e.name.lower()]
        if isinstance(e, exp.Literal) and e.is_int and 1 <= int(e.this) <= len(self.outputs):
            return self.outputs[int(e.this) - 1]
        return e

    def number(self, e: exp.Expression) -> int:
        return self.numbers.setdefault(_text(e), len(self.numbers) + 1)


def window_sort_items(sel: exp.Select, windows: list[exp.Window]) -> list[list[SortItem]]:
    """For each of ``windows``: its PARTITION BY then ORDER BY items as numbered sort items,
    without repeats, constants left out (they do not sort)."""
    named = {}
    for w in sel.args.get("windows") or []:
        named[w.this.name if isinstance(w.this, exp.Identifier) else str(w.this)] = w
    numbering = _Numbering(sel)
    order = sel.args.get("order")
    for o in (order.expressions if order is not None else []):
        numbering.number(numbering.resolve(o.this))
    group = sel.args.get("group")
    for g in (group.expressions if group is not None else []):
        numbering.number(numbering.resolve(g))
    out: dict[int, list[SortItem]] = {}
    for w in [*named.values(), *windows]:
        partition, order_items = _window_clauses(w, named)
        # PostgreSQL transforms a window's ORDER BY before its PARTITION BY
        ordered = [(numbering.number(o.this), o) for o in order_items if not isinstance(o.this, exp.Literal | exp.Null)]
        items: list[SortItem] = []
        for p in partition:
            if not isinstance(p, exp.Literal | exp.Null):
                item = (numbering.number(p), False, False)
                if item not in items:
                    items.append(item)
        for number, o in ordered:
            desc = bool(o.args.get("desc"))
            nf = o.args.get("nulls_first")
            item = (number, desc, desc if nf is None else bool(nf))
            if item not in items:
                items.append(item)
        out[id(w)] = items
    return [out[id(w)] for w in windows]


def _compare(a: list[SortItem], b: list[SortItem]) -> int:
    for (ra, da, na), (rb, db, nb) in zip(a, b, strict=False):
        if ra != rb:
            return -1 if ra > rb else 1
        if da != db:  # a descending sort's operator has the higher number
            return -1 if da else 1
        if na != nb:
            return -1 if nb else 1
    return (len(a) < len(b)) - (len(a) > len(b))


def evaluation_order(items: list[list[SortItem]]) -> list[int]:
    """Indexes of ``items`` in the order PostgreSQL evaluates their windows (stable for equals)."""
    return sorted(range(len(items)), key=functools.cmp_to_key(lambda i, j: _compare(items[i], items[j])))


def already_sorted(current: list[SortItem], wanted: list[SortItem]) -> bool:
    """Rows sorted on ``current`` are in ``wanted``'s order too (wanted is a prefix)."""
    return len(wanted) <= len(current) and current[:len(wanted)] == wanted
