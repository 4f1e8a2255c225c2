"""Join order of three or more inner-joined FROM items: the smallest intermediate results first.

The order of a FROM list is how the query was written, not a plan: ``FROM lineitem l, orders o,
customer c WHERE ...`` would join the two largest tables first and carry that result into the
last join. Each item gets an estimated row count (``estimate_item``: the rows its table holds,
times PostgreSQL's default selectivities for the terms pushed onto it: 0.005 for an equality,
1/3 for a range or anything else, one row once its primary key is pinned). ``join_order`` starts
from the connected pair with the smallest estimated join and then adds, at each step, the
connected item that gives the smallest estimated result:

- an equality join on the added item's whole primary key keeps the rows joined so far, times
  the fraction of that item its own terms keep (each row finds at most one partner);
- an equality join on the primary key of an item already joined gives the added item's rows
  times the fraction of that item kept so far;
- any other equality join gives the larger of the two sides; no join condition, the product.

Ties keep the FROM order, and two items are left as written: the hash join builds on its smaller
input at run time already. The join's columns keep the FROM order (a projection on top), so
``SELECT *`` and everything bound above do not change. The builder applies it
(``Builder.join_ordering``; tests/logical/fixtures/order_joins.txt holds the cases).

Before (FROM order)::

    Join inner on c.c_custkey = o.o_custkey
      Join inner on l.l_orderkey = o.o_orderkey
        Scan lineitem l [l_orderkey]
        Scan orders o [o_orderkey, o_custkey]
      Filter c.c_nation = 7
        Scan customer c [c_custkey, c_nation]

After::

    Project l_orderkey, o_orderkey, o_custkey, c_custkey, c_nation
      Join inner on l.l_orderkey = o.o_orderkey
        Join inner on c.c_custkey = o.o_custkey
          Filter c.c_nation = 7
            Scan customer c [c_custkey, c_nation]
          Scan orders o [o_orderkey, o_custkey]
        Scan lineitem l [l_orderkey]

>>> # lineitem 6000 rows, orders 1500 (key o_orderkey), customer 150 of which 1 is kept
>>> items = [ItemEstimate(6000, 6000, frozenset()), ItemEstimate(1500, 1500, frozenset({"o_orderkey"})),
...          ItemEstimate(1, 150, frozenset({"c_custkey"}))]
>>> eqs = [Equality(0, "l_orderkey", 1, "o_orderkey"), Equality(2, "c_custkey", 1, "o_custkey")]
>>> join_order(items, eqs, [])
[2, 1, 0]
"""

from __future__ import annotations

from typing import Any

import attrs

from helios_core.logical import nodes as L

EQ_SELECTIVITY = 0.005  # PostgreSQL's DEFAULT_EQ_SEL
OTHER_SELECTIVITY = 1 / 3  # PostgreSQL's DEFAULT_INEQ_SEL, used for any other term too
UNKNOWN_ROWS = 1000.0  # a subquery, function or view whose size is not estimated


@attrs.frozen
class ItemEstimate:
    rows: float  # rows the item yields (its own terms applied)
    stored: float  # rows of the table before them (= rows when not a table)
    key: frozenset[str]  # the table's primary key columns as the item names them (empty: none)

    @property
    def kept(self) -> float:
        return min(1.0, self.rows / self.stored) if self.stored else 1.0


@attrs.frozen
class Equality:
    """``left_item.left_col = right_item.right_col`` between two FROM items."""

    left: int
    left_col: str
    right: int
    right_col: str


def join_order(items: list[ItemEstimate], equalities: list[Equality], links: list[frozenset[int]]) -> list[int]:
    """FROM item indices in join order. ``links``: other conditions' item sets (they connect
    items without an estimate of their own)."""
    n = len(items)
    if n < 3:
        return list(range(n))

    def connected(joined: frozenset[int], k: int) -> bool:
        return any((e.left == k and e.right in joined) or (e.right == k and e.left in joined) for e in equalities) \
            or any(k in s and (s - {k}) and (s - {k}) <= joined for s in links)

    def result(joined: frozenset[int], rows: float, k: int) -> float:
        mine, theirs = set(), {}
        for e in equalities:
            if e.left == k and e.right in joined:
                mine.add(e.left_col)
                theirs.setdefault(e.right, set()).add(e.right_col)
            elif e.right == k and e.left in joined:
                mine.add(e.right_col)
                theirs.setdefault(e.left, set()).add(e.left_col)
        new = items[k]
        if not mine:
            return rows * new.rows if not connected(joined, k) else max(rows, new.rows)
        if new.key and new.key <= mine:
            return rows * new.kept
        for j, cols in theirs.items():
            if items[j].key and items[j].key <= cols:
                return new.rows * min(1.0, rows / items[j].stored) if items[j].stored else new.rows
        return max(rows, new.rows)

    best: tuple[float, int, int] | None = None
    for a in range(n):
        for b in range(a + 1, n):
            if connected(frozenset({a}), b):
                x, y = (b, a) if items[b].rows < items[a].rows else (a, b)  # the smaller one first
                cand = (result(frozenset({x}), items[x].rows, y), x, y)
                if best is None or cand[0] < best[0]:
                    best = cand
    if best is None:
        return list(range(n))
    order = [best[1], best[2]]
    joined, rows = frozenset(order), best[0]
    while len(order) < n:
        choices = [k for k in range(n) if k not in joined]
        linked = [k for k in choices if connected(joined, k)] or choices
        est, k = min((result(joined, rows, k), k) for k in linked)
        order.append(k)
        joined, rows = joined | {k}, est
    return order


def estimate_item(op: Any, stored_rows: Any) -> ItemEstimate:
    """Rows a FROM item yields. ``stored_rows(scan) -> int | None``: the rows its table holds."""
    terms: list[L.ScanTerm] = []
    other = 0
    while isinstance(op, L.Filter):
        if op.scan_terms is not None:
            terms.extend(op.scan_terms)
        else:
            other += len(op.bound_parts)
        op = op.child
    if not isinstance(op, L.Scan):
        rows = UNKNOWN_ROWS * OTHER_SELECTIVITY ** other
        return ItemEstimate(rows, rows, frozenset())
    stored = stored_rows(op)
    if stored is None:
        stored = UNKNOWN_ROWS
    key = frozenset(op.primary_key or ())
    pinned = {t.pushable[0].column for t in terms
              if t.pushable is not None and len(t.pushable) == 1 and t.pushable[0].op == "="}
    if key and key <= pinned:
        return ItemEstimate(min(1.0, float(stored)), float(stored), key)
    sel = 1.0
    for t in terms:
        eq = t.pushable is not None and len(t.pushable) == 1 and t.pushable[0].op in ("=", "in")
        sel *= EQ_SELECTIVITY if eq else OTHER_SELECTIVITY
    sel *= OTHER_SELECTIVITY ** other
    return ItemEstimate(max(1.0, stored * sel) if stored else 0.0, float(stored), key)
