"""COPY ingest: the lineitem data, COPY FROM STDIN into a fresh table, rows per second.

The COPY text is encoded once before timing; each run drops and recreates the target
table, then times the COPY alone. DuckDB, which has no wire protocol, ingests the same
rows from Arrow, its fastest path.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.context import BenchContext
from bench.measure import Plan, Row, alternate
from bench.pgwire import PgWireSystem, create_table_sql

TARGET = "lineitem_ingest"


def run(ctx: BenchContext) -> None:
    lineitem = ctx.tables()["lineitem"]
    chunks = ctx.copy_chunks()["lineitem"]
    rows = lineitem.num_rows
    timeout = ctx.settings.load_timeout
    row = Row("copy", f"ingest lineitem, {rows:,} rows (COPY; DuckDB: Arrow)", "rows/s", True)
    actions: dict[str, Callable[[], float]] = {}

    def wire(system: PgWireSystem) -> Callable[[], float]:
        def action() -> float:
            system.run(f"DROP TABLE IF EXISTS {TARGET}", timeout=120)
            system.run(create_table_sql("lineitem", TARGET), timeout=60)
            return rows / system.copy_in(TARGET, chunks, timeout)

        return action

    for name in ("helios", "postgres"):
        why = ctx.unavailable(name)
        system = ctx.wire_systems()[name]  # after unavailable(): a restart replaces it
        if why or system is None:
            row.cell(name).error = why or "not started"
        else:
            actions[name] = wire(system)
    if ctx.duck is None:
        row.cell("duckdb").error = ctx.unavailable("duckdb") or "not started"
    else:
        def duck_action() -> float:
            ctx.duck.execute(f"DROP TABLE IF EXISTS {TARGET}")
            return rows / ctx.duck.load("lineitem", lineitem, TARGET)

        actions["duckdb"] = duck_action
    ctx.rows.append(alternate(row, actions, Plan(runs=ctx.settings.runs, slow_seconds=ctx.settings.slow_seconds)))
    for name, system in ctx.wire_systems().items():
        if system is not None and not ctx.unavailable(name):
            try:
                system.run(f"DROP TABLE IF EXISTS {TARGET}", timeout=120)
            except Exception:
                pass
    if ctx.duck is not None:
        ctx.duck.execute(f"DROP TABLE IF EXISTS {TARGET}")
