"""EXPLAIN and EXPLAIN ANALYZE text for a Plan, in PostgreSQL's indented-arrow layout.

EXPLAIN ANALYZE runs the plan with per-operator instrumentation (``ctx.op_stats``) and shows
each operator's rows, loops and inclusive wall time in milliseconds. The options of
``EXPLAIN (...)`` (helios_core.frontends.postgres.explain_options) shape it as in PostgreSQL:
TIMING off drops the times, SUMMARY off the planning and execution times, and BUFFERS adds, under each
scan, the segments it read (in memory: hit; fetched from a tier: read), skipped, and their names.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import attrs

from helios_core.sql import plan_costs

# "relation [alias]" of a scan's label, each name quoted where SQL needs it
_NAMES = re.compile(r'("(?:[^"]|"")*"|\S+)(?: ("(?:[^"]|"")*"|\S+))?')


def _unquoted(name: str) -> str:
    """A name as the text label quoted it, as the structured formats give it (unquoted)."""
    return name[1:-1].replace('""', '"') if len(name) > 1 and name.startswith('"') and name.endswith('"') else name


# detail keys PostgreSQL's structured formats give as lists (one item per key expression)
_LIST_KEYS = {"Output", "Sort Key", "Group Key", "Presorted Key", "Hash Key"}


def explain_lines(plan: Any, ctx: Any = None, analyze: bool = False, options: dict[str, Any] | None = None,
                  ) -> list[str]:
    stats, total_ms, show, summary = _run(plan, ctx, analyze, options or {})
    show["ctx"] = ctx
    lines: list[str] = []
    _walk(plan.root, 0, lines, stats, show)
    for i, sub in enumerate(getattr(plan, "subplans", None) or [], start=1):
        # PostgreSQL lists each expression subquery as "SubPlan n" under the plan it serves
        lines.append(f"  SubPlan {i}")
        sub_lines: list[str] = []
        _walk(sub, 1, sub_lines, stats, show)
        lines.extend("  " + ln for ln in sub_lines)
    planning_ms = (options or {}).get("planning_ms")
    if summary and planning_ms is not None:
        lines.append(f"Planning Time: {planning_ms:.3f} ms")
    if analyze and summary:
        lines.append(f"Execution Time: {total_ms:.3f} ms")
    return lines


class _Folded:
    """A node shown as PostgreSQL shows it: a projection is no node of its own (plan nodes project
    their own output; VERBOSE lists it as the input's Output), and a filter over a scan is that
    scan's Filter line."""

    def __init__(self, outer: Any, child: Any, verbose: bool) -> None:
        self._outer, self._child, self._verbose = outer, child, verbose
        self.children = child.children

    def label(self) -> str:
        return self._child.label()

    def details(self) -> list[str]:
        if self._outer.label() == "Project":
            own = [d for d in self._child.details() if not d.startswith("Output: ")]
            return ([*self._outer.details()] if self._verbose else []) + own
        outputs = [d for d in self._child.details() if d.startswith("Output: ")]
        rest = [d for d in self._child.details() if not d.startswith("Output: ")]
        return outputs + [*self._outer.details()] + rest

    def __getattr__(self, name: str) -> Any:
        return getattr(self._child, name)


def _shown(op: Any, show: dict[str, bool]) -> Any:
    """The node EXPLAIN shows for ``op``: a Project over one input is folded into that input, and so
    is a Filter over a scan (a table's, a function's, a catalog's)."""
    if isinstance(op, _Folded) or len(op.children) != 1:
        return op
    label = op.label()
    if label == "Project":
        return _Folded(op, _shown(op.children[0], show), show.get("verbose", False))
    if label == "Filter":
        child = _shown(op.children[0], show)
        if " on " in child.label() and not child.children and not any(d.startswith("Filter: ")
                                                                        for d in child.details()):
            return _Folded(op, child, show.get("verbose", False))
    return op


def _stats_of(op: Any, stats: dict | None) -> Any:
    if stats is None:
        return None
    while isinstance(op, _Folded) and op._outer.label() == "Project":
        op = op._child
    return stats.get(id(op._outer if isinstance(op, _Folded) else op))


def explain_json(plan: Any, ctx: Any = None, analyze: bool = False, options: dict[str, Any] | None = None) -> str:
    """EXPLAIN (FORMAT JSON): the same plan as one JSON document in PostgreSQL's shape
    (``[{"Plan": {"Node Type": ..., "Plans": [...]}, "Execution Time": ...}]``, two-space indents)."""
    stats, total_ms, show, summary = _run(plan, ctx, analyze, options or {})
    show["ctx"] = ctx
    root = _node(plan.root, stats, show)
    for i, sub in enumerate(getattr(plan, "subplans", None) or [], start=1):
        root.setdefault("Plans", []).append({**_node(sub, stats, show, "SubPlan"), "Subplan Name": f"SubPlan {i}"})
    doc: dict[str, Any] = {"Plan": root}
    planning_ms = (options or {}).get("planning_ms")
    if summary and planning_ms is not None:
        doc["Planning Time"] = round(planning_ms, 3)
    if analyze and summary:
        doc["Triggers"] = []
        doc["Execution Time"] = round(total_ms, 3)
    return json.dumps([doc], indent=2)


def explain_write_json(operation: str, table: str, source: Any, *, run: Any = None) -> str:
    """EXPLAIN (FORMAT JSON [, ANALYZE]) of INSERT/UPDATE/DELETE: PostgreSQL's ModifyTable node over
    the plan of the rows it reads (a Values Scan for INSERT ... VALUES). ``run`` (ANALYZE) executes
    the statement: the ModifyTable node gets its actual time and loops (0 rows, as without RETURNING),
    the document its Triggers and Execution Time; the nodes below it show their plan only."""
    node: dict[str, Any] = {"Node Type": "ModifyTable", "Operation": operation, "Parallel Aware": False,
                            "Async Capable": False, "Relation Name": table, "Alias": table}
    if source is not None:
        child = _node(source.root, None, {"timing": False, "buffers": False, "verbose": False}, "Outer")
    else:
        child = {"Node Type": "Values Scan", "Parent Relationship": "Outer", "Parallel Aware": False,
                 "Async Capable": False, "Alias": "*VALUES*"}
    doc: dict[str, Any] = {"Plan": node}
    if run is not None:
        start = time.perf_counter()
        run()
        ms = round((time.perf_counter() - start) * 1000, 3)
        node.update({"Actual Startup Time": ms, "Actual Total Time": ms, "Actual Rows": 0, "Actual Loops": 1})
        doc.update({"Triggers": [], "Execution Time": ms})
    node["Plans"] = [child]
    return json.dumps([doc], indent=2)


def _node(op: Any, stats: dict | None, show: dict[str, bool], relationship: str | None = None) -> dict[str, Any]:
    op = _shown(op, show)
    head = op.label()
    kind, _, relation = head.partition(" on ")
    kind, _, index = kind.partition(" using ")  # "Index Scan using t_pkey": the node is an Index Scan
    node: dict[str, Any] = {"Node Type": kind}
    if relationship is not None:
        node["Parent Relationship"] = relationship
    node["Parallel Aware"] = False  # statements run in one thread
    node["Async Capable"] = False
    if index:
        node["Scan Direction"] = "Forward"
        node["Index Name"] = _unquoted(index)
    if relation == '"*VALUES*"':  # a name PostgreSQL gives: an alias and no relation
        node["Alias"] = "*VALUES*"
    elif relation:
        m = _NAMES.fullmatch(relation)
        name, alias = (_unquoted(m[1]), _unquoted(m[2] or m[1])) if m else (relation, relation)
        node["Relation Name"] = name
        node["Alias"] = alias
    if show.get("costs"):
        cost = _cost(op, show)
        node.update({"Startup Cost": round(cost.startup, 2), "Total Cost": round(cost.total, 2),
                     "Plan Rows": max(1, round(cost.rows)), "Plan Width": cost.width})
    if stats is not None:
        s = _stats_of(op, stats)
        rows, secs, loops = s if s is not None else (0, 0.0, 0)
        if show["timing"]:
            node["Actual Startup Time"] = round(secs * 1000, 3)
            node["Actual Total Time"] = round(secs * 1000, 3)
        node["Actual Rows"] = rows
        node["Actual Loops"] = loops
    for detail in op.details():
        key, sep, value = detail.partition(": ")
        if not sep:
            continue
        node[key] = [v.strip() for v in value.split(", ")] if key in _LIST_KEYS else value
    if op.children:
        node["Plans"] = [_node(c, stats, show, "Outer" if i == 0 else "Inner") for i, c in enumerate(op.children)]
    return node


def _cost(op: Any, show: dict[str, Any]) -> plan_costs.Cost:
    """The estimate of a shown node: rows and costs of the Filter folded into it (if any), the width
    of the projection folded into it (if any)."""
    target = op
    while isinstance(target, _Folded):
        if target._outer.label() == "Filter":
            target = target._outer
            break
        target = target._child
    cache = show.setdefault("costs_of", {})
    key = id(op)
    if key not in cache:
        try:
            cost = plan_costs.estimate(target, show.get("ctx"))
            if isinstance(op, _Folded) and op._outer.label() == "Project":
                cost = attrs.evolve(cost, width=plan_costs.width_of(op._outer))
        except Exception:  # noqa: BLE001 - an estimate must never fail EXPLAIN
            cost = plan_costs.Cost(0.0, 0.0, 1, 0)
        cache[key] = cost
    return cache[key]


def _run(plan: Any, ctx: Any, analyze: bool, opts: dict[str, Any]) -> tuple[dict | None, float, dict, bool]:
    """Run the plan when ANALYZE asks: per-operator statistics and the total time."""
    timing = analyze if opts.get("timing") is None else opts["timing"]
    summary = analyze if opts.get("summary") is None else opts["summary"]
    show = {"timing": timing, "buffers": analyze and bool(opts.get("buffers")), "verbose": bool(opts.get("verbose")),
            "costs": opts.get("costs", True) is not False}
    stats = None
    total_ms = 0.0
    if analyze:
        if ctx is None:
            raise ValueError("EXPLAIN ANALYZE needs a context to run the plan")
        ctx.op_stats = {}
        t0 = time.perf_counter()
        try:
            for _ in plan.root.execute(ctx):
                ctx.check_cancel()
        finally:
            stats = ctx.op_stats
            ctx.op_stats = None
        total_ms = (time.perf_counter() - t0) * 1000
    return stats, total_ms, show, summary


def _walk(op: Any, depth: int, lines: list[str], stats: dict | None, show: dict[str, bool]) -> None:
    op = _shown(op, show)
    head = op.label()
    if show.get("costs"):
        head += "  " + _cost(op, show).text()
    if stats is not None:
        s = _stats_of(op, stats)
        if s is None:
            head += " (never executed)"
        else:
            rows, secs, loops = s
            if show["timing"]:  # (the time to the first row is not kept: the total stands for both)
                head += f" (actual time={secs * 1000:.3f}..{secs * 1000:.3f} rows={rows} loops={loops})"
            else:
                head += f" (actual rows={rows} loops={loops})"
    # PostgreSQL's layout: a child's arrow under its parent's details, 6 columns deeper per level
    if depth == 0:
        prefix = ""
    else:
        prefix = " " * (2 + 6 * (depth - 1)) + "->  "
    detail_prefix = " " * (2 + 6 * depth)
    lines.append(prefix + head)
    for d in op.details():
        lines.append(detail_prefix + d)
    if stats is not None and hasattr(op, "analyze_details"):
        lines.extend(detail_prefix + d for d in op.analyze_details(stats))
    if stats is not None and show["buffers"] and hasattr(op, "buffer_details"):
        lines.extend(detail_prefix + d for d in op.buffer_details(stats))
    for c in op.children:
        _walk(c, depth + 1, lines, stats, show)
