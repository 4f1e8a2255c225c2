"""EXPLAIN and EXPLAIN ANALYZE text for a Plan, in PostgreSQL's indented-arrow layout.

EXPLAIN ANALYZE runs the plan with per-operator instrumentation (``ctx.op_stats``) and shows
each operator's rows, loops and inclusive wall time in milliseconds. The options of
``EXPLAIN (...)`` (helios_core.frontends.postgres.explain_options) shape it as in PostgreSQL:
TIMING off drops the times, SUMMARY off the execution time, and BUFFERS adds, under each
scan, the segments it read (in memory: hit; fetched from a tier: read), skipped, and their names.
"""

from __future__ import annotations

import time
from typing import Any


def explain_lines(plan: Any, ctx: Any = None, analyze: bool = False, options: dict[str, Any] | None = None,
                  ) -> list[str]:
    opts = options or {}
    timing = analyze if opts.get("timing") is None else opts["timing"]
    summary = analyze if opts.get("summary") is None else opts["summary"]
    show = {"timing": timing, "buffers": analyze and bool(opts.get("buffers"))}
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
    lines: list[str] = []
    _walk(plan.root, 0, lines, stats, show)
    for i, sub in enumerate(getattr(plan, "subplans", None) or [], start=1):
        # PostgreSQL lists each expression subquery as "SubPlan n" under the plan it serves
        lines.append(f"  SubPlan {i}")
        sub_lines: list[str] = []
        _walk(sub, 1, sub_lines, stats, show)
        lines.extend("  " + ln for ln in sub_lines)
    if analyze and summary:
        lines.append(f"Execution Time: {total_ms:.3f} ms")
    return lines


def _walk(op: Any, depth: int, lines: list[str], stats: dict | None, show: dict[str, bool]) -> None:
    head = op.label()
    if stats is not None:
        s = stats.get(id(op))
        if s is None:
            head += " (never executed)"
        else:
            rows, secs, loops = s
            if show["timing"]:
                head += f" (actual time={secs * 1000:.3f} ms rows={rows} loops={loops})"
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
