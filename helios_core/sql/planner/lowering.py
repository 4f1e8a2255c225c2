"""Lowering: a logical plan (after the rules) becomes a tree of physical operators.

Each logical node maps to one operator of ``helios_core.sql.operators``; the choices made
here are the physical ones: a join with equality keys is a hash join (built on the right
input), one without keys a nested loop, a LATERAL join re-runs its right side per distinct
left values; UNION ALL is an append, the other set operations hash both inputs.

Operators state the ordering they require of each input and the ordering their output
keeps (``Operator.required_ordering`` / ``Operator.ordering``): a sort whose input is
already in that order is dropped, and an operator whose input ordering is not what it
requires is a planner bug, raised here rather than answered wrongly.

An operator bound directly by the binder (table functions, catalog views, recursive CTEs)
passes through; its inputs are lowered in place. Common tables are lowered once and
shared by all their scans.
"""

from __future__ import annotations

from typing import Any

from helios_core.errors import HeliosError
from helios_core.logical import nodes as L
from helios_core.logical.rules import optimize
from helios_core.sql import index_search
from helios_core.sql.expr import column_ref
from helios_core.sql.operators import basic, join, sort, top_by_bounds, whole_reads
from helios_core.sql.operators.aggregate import PLAIN_EQUALITY, HashAggregate
from helios_core.sql.operators.base import Operator, satisfies
from helios_core.sql.operators.scan import TableScan
from helios_core.sql.operators.setop import Append, SetOp
from helios_core.sql.operators.window import WindowOp


def lower(node: Any, memo: dict[int, Operator] | None = None) -> Operator:
    """The physical operator tree of a logical plan."""
    memo = {} if memo is None else memo
    hit = memo.get(id(node))
    if hit is not None:
        return hit
    if isinstance(node, Operator):
        node.children = [lower(c, memo) for c in node.children]
        op = node
    else:
        op = _LOWER[type(node)](node, memo)
        op.fields = node.fields  # a renamed node (FROM ... AS x(a, b)) keeps its names
        if isinstance(op, sort.Sort) and satisfies(op.children[0].ordering(), op.keys):
            op = op.children[0] if op.children[0].fields is node.fields else _renamed(op.children[0], node)
        elif isinstance(op, sort.Sort):
            free_group_order(op)
            op.bounded_top = top_by_bounds.reader(op)
    whole_reads.mark(op)
    _check_required(op)
    memo[id(node)] = op
    return op


# key types whose distinct groups never compare equal in a sort (no floats' -0/+0, no collations;
# unbounded bpchar groups without its blanks, and HashAggregate then keeps its numbering)
_TOTAL_ORDER_KEYS = PLAIN_EQUALITY | {"bpchar"}


def free_group_order(op: sort.Sort) -> None:
    """Tell a GROUP BY under this sort that its groups may come out in any order
    (``HashAggregate.order_free``) when the sort orders by every group key as it is: no two groups
    then tie, so the order the groups arrive in cannot show. A projection (and a HAVING filter) may
    stand between; the aggregation then spares numbering its input rows."""
    project = op.children[0]
    if type(project) is not basic.Project:
        return
    below = project.children[0]
    if type(below) is basic.Filter:
        below = below.children[0]
    if type(below) is not HashAggregate or below.grouping_sets is not None or not below.keys:
        return
    sorted_columns = {project.exprs[k.index].column for k in op.keys}
    if all(i in sorted_columns and key.type.name in _TOTAL_ORDER_KEYS and key.type.labels is None
           and not key.type.is_array for i, key in enumerate(below.keys)):
        below.order_free = True


def _renamed(op: Operator, node: Any) -> Operator:
    return basic.Project(op, [column_ref(i, f) for i, f in enumerate(op.fields)], node.fields)


def _check_required(op: Operator) -> None:
    for child, need in zip(op.children, op.required_ordering(), strict=False):
        if need and not satisfies(child.ordering(), need):
            raise HeliosError(f"internal planner error: {op.label()} needs its input sorted", sqlstate="XX000")


def _scan(n: L.Scan, memo: dict) -> Operator:
    op = TableScan(n.fields, n.schema, n.table, n.columns, with_rowid=n.with_rowid, alias=n.alias, as_of=n.as_of)
    op.primary_key = n.primary_key
    op.prune_terms = n.prune_terms
    op.pushed = n.pushed
    op.pk_lookup = n.pk_lookup
    op.key_name = n.key_name
    op.index = n.index
    op.index_unique = n.index is not None and n.index[0] in n.unique_indexes
    op.guard = n.guard
    if n.score and n.index_use is None:
        raise index_search.score_unavailable()
    op.index_use = n.index_use
    op.score = n.score
    if n.residual:
        op.residual_parts = n.residual
        op.residual_simple = n.residual_simple
        op.residual_pure = n.residual_pure
        op.residual = n.residual[0]
        op.residual_text = n.residual_text
    return op


def _filter(n: L.Filter, memo: dict) -> Operator:
    return basic.Filter(lower(n.child, memo), n.parts[0], n.text, parts=n.parts)


def _project(n: L.Project, memo: dict) -> Operator:
    return basic.Project(lower(n.child, memo), n.exprs, n.fields)


def _join(n: L.Join, memo: dict) -> Operator:
    left, right = lower(n.children[0], memo), lower(n.children[1], memo)
    if n.lateral is not None:
        return join.LateralJoin(n.fields, left, right, n.kind, n.residual, n.lateral)
    if n.lkeys:
        return join.HashJoin(n.fields, left, right, n.lkeys, n.rkeys, n.kind, n.residual, n.key_text)
    return join.NestedLoopJoin(n.fields, left, right, n.kind, n.residual)


def _aggregate(n: L.Aggregate, memo: dict) -> Operator:
    return HashAggregate(n.fields, lower(n.child, memo), n.keys, n.aggs, n.sets, n.grouping_calls)


def _window(n: L.Window, memo: dict) -> Operator:
    return WindowOp(n.fields, lower(n.child, memo), n.specs)


def _sort(n: L.Sort, memo: dict) -> Operator:
    return sort.Sort(lower(n.child, memo), n.keys)


def _distinct(n: L.Distinct, memo: dict) -> Operator:
    return sort.Distinct(lower(n.child, memo), on=n.on, visible=n.visible)


def _limit(n: L.Limit, memo: dict) -> Operator:
    op = basic.Limit(lower(n.child, memo), n.limit, n.offset)
    if n.ties is not None:
        op.ties = n.ties
    return op


def _set_operation(n: L.SetOperation, memo: dict) -> Operator:
    kids = [lower(c, memo) for c in n.children]
    if n.kind == "union" and n.all:
        return Append(n.fields, kids)
    return SetOp(n.fields, kids[0], kids[1], n.kind, n.all)


def _values(n: L.Values, memo: dict) -> Operator:
    return basic.Values(n.fields, n.rows)


def _common_table(n: L.CommonTable, memo: dict) -> Operator:
    return basic.Shared(lower(optimize(n.child), memo), n.name, per_outer_row=n.per_outer_row)


def _cte_scan(n: L.CteScan, memo: dict) -> Operator:
    return basic.SharedRef(lower(n.table, memo), n.fields)  # type: ignore[arg-type]


_LOWER: dict[type, Any] = {
    L.Scan: _scan,
    L.Filter: _filter,
    L.Project: _project,
    L.Join: _join,
    L.Aggregate: _aggregate,
    L.Window: _window,
    L.Sort: _sort,
    L.Distinct: _distinct,
    L.Limit: _limit,
    L.SetOperation: _set_operation,
    L.Values: _values,
    L.CommonTable: _common_table,
    L.CteScan: _cte_scan,
}
