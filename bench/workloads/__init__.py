"""The workloads; each module exposes `run(ctx) -> None`, appending Rows to ctx.rows."""

from __future__ import annotations

ORDER = ("storage", "tpch", "clickbench", "inprocess", "copy", "pgbench", "branch", "kernel")
