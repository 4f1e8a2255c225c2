"""TPC-H Q1/Q3/Q6/Q12 and the ClickBench-style queries.

Over the wire (HeliosDB and PostgreSQL through psycopg, every row fetched) beside DuckDB
in-process, and embedded (HeliosDB's helios_core.connect() in a child process) beside
DuckDB in-process. Every answer is checked against DuckDB's; a wrong answer is reported
as an error, not as a time.
"""

from __future__ import annotations

from collections.abc import Callable

from bench import queries
from bench.answers import difference, normalize
from bench.context import BenchContext
from bench.measure import Plan, Row, alternate, describe_error


class WrongAnswer(Exception):
    """The system's rows differ from DuckDB's for the same query and data."""


def _checked(timed: Callable[[], tuple[float, list]], expected: list[tuple] | None) -> Callable[[], float]:
    def action() -> float:
        seconds, rows = timed()
        if expected is not None:
            diff = difference(expected, normalize(rows))
            if diff:
                raise WrongAnswer(diff)
        return seconds * 1000.0

    return action


def _reference(ctx: BenchContext, sql: str) -> list[tuple] | None:
    if ctx.duck is None or ctx.unavailable("duckdb", needs_data=True):
        return None
    try:
        return normalize(ctx.duck.timed(sql, ctx.settings.query_timeout)[1])
    except Exception:
        return None


def run_wire(ctx: BenchContext, group: str, suite: dict[str, str]) -> None:
    ctx.ensure_loaded()
    plan = Plan(runs=ctx.settings.runs, slow_seconds=ctx.settings.slow_seconds)
    timeout = ctx.settings.query_timeout
    for name, sql in suite.items():
        row = Row(group, name, "ms", False)
        expected = _reference(ctx, sql)
        actions: dict[str, Callable[[], float]] = {}
        for system_name in ("helios", "postgres"):
            why = ctx.unavailable(system_name, needs_data=True)
            system = ctx.wire_systems()[system_name]  # after unavailable(): a restart replaces it
            if why or system is None:
                row.cell(system_name).error = why or "not started"
                continue
            actions[system_name] = _checked(lambda s=system, q=sql: s.timed(q, timeout), expected)
        why = ctx.unavailable("duckdb", needs_data=True)
        if why or ctx.duck is None:
            row.cell("duckdb").error = why or "not started"
        else:
            actions["duckdb"] = _checked(lambda q=sql: ctx.duck.timed(q, timeout), expected)
        ctx.rows.append(alternate(row, actions, plan))


def run_tpch(ctx: BenchContext) -> None:
    run_wire(ctx, "tpch", queries.TPCH)


def run_clickbench(ctx: BenchContext) -> None:
    run_wire(ctx, "clickbench", queries.CLICKBENCH)


def run_inprocess(ctx: BenchContext) -> None:
    """Issue 4's comparison: the embedded engine beside DuckDB, both in-process."""
    ctx.ensure_loaded()
    plan = Plan(runs=ctx.settings.runs, slow_seconds=ctx.settings.slow_seconds)
    timeout = ctx.settings.query_timeout
    embedded = ctx.embedded(fresh=True)
    setup_error = None
    try:
        embedded.call("sql_open", timeout=60)
        load_seconds = embedded.call("sql_load", timeout=ctx.settings.load_timeout, scale=ctx.settings.scale)
    except Exception as exc:
        setup_error = f"embedded load failed: {describe_error(exc)}"
    load_row = Row("inprocess", "load TPC-H (copy_in Arrow; DuckDB: Arrow)", "rows/s", True)
    total = sum(t.num_rows for t in ctx.tables().values())
    if setup_error:
        load_row.cell("helios").error = setup_error
    else:
        load_row.cell("helios").samples.append(total / load_seconds)
    ctx.rows.append(load_row)
    for name, sql in queries.ALL.items():
        row = Row("inprocess", name, "ms", False)
        expected = _reference(ctx, sql)
        actions: dict[str, Callable[[], float]] = {}
        if setup_error:
            row.cell("helios").error = setup_error
        else:
            def helios_timed(sql: str = sql) -> tuple[float, list]:
                reply = embedded.call("sql_query", timeout=timeout, sql=sql)
                return reply["seconds"], reply["rows"]

            actions["helios"] = _checked(helios_timed, expected)
        if ctx.duck is not None and not ctx.unavailable("duckdb", needs_data=True):
            actions["duckdb"] = _checked(lambda sql=sql: ctx.duck.timed(sql, timeout), expected)
        ctx.rows.append(alternate(row, actions, plan))
    if not setup_error:
        try:
            embedded.call("sql_close", timeout=60)
        except Exception:
            pass
