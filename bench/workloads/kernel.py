"""Issue 3's in-process kernel benchmarks, HeliosDB's storage API beside DuckDB in-process.

HeliosDB runs in a child process (bench.embedded) on helios_core.storage.Store with no
data dir (in memory); DuckDB uses an in-memory connection. Same deterministic 10-column
table (bench.kernel_data). Runs alternate between the two.
- bulk insert: all batches into a fresh table with an int64 primary key, then commit.
- point read: median µs of single-key reads by primary key (HeliosDB: txn.lookup;
  DuckDB: a parameterized SELECT, its fastest point read).
- filtered scan + aggregate: sum(d), count(*) where a < 100000 (~10% of rows).
- branch creation on the table just loaded (HeliosDB only).
"""

from __future__ import annotations

from collections.abc import Callable

from bench.answers import difference, normalize
from bench.context import BenchContext
from bench.measure import Plan, Row, alternate, describe_error


def run(ctx: BenchContext) -> None:
    s = ctx.settings
    n = s.kernel_rows
    insert = Row("kernel", f"bulk insert {n:,} rows x 10 cols from Arrow", "rows/s", True)
    point = Row("kernel", f"PK point read (median of {s.point_reads:,})", "µs", False)
    scan = Row("kernel", f"filtered scan + aggregate over {n:,} rows", "ms", False)
    branch = Row("kernel", f"branch creation on {n:,} rows (Store.create_branch)", "ms", False)
    ctx.rows.extend([insert, point, scan, branch])
    timeout = max(60.0, s.load_timeout)
    embedded = ctx.embedded(fresh=True)
    helios_error = None
    try:
        embedded.call("kernel_open", timeout=60, rows=n)
    except Exception as exc:
        helios_error = describe_error(exc)
    duck = ctx.duck
    if duck is not None:
        duck.kernel_open(n)
    plan = Plan(runs=s.runs, slow_seconds=s.slow_seconds)

    def both(row: Row, helios: Callable[[], float], duckdb: Callable[[], float] | None) -> None:
        actions: dict[str, Callable[[], float]] = {}
        if helios_error:
            row.cell("helios").error = helios_error
        else:
            actions["helios"] = helios
        if duckdb is not None and duck is not None:
            actions["duckdb"] = duckdb
        alternate(row, actions, plan)

    runs = iter(range(10_000))
    both(insert, lambda: n / embedded.call("kernel_bulk_insert", timeout=timeout, run=next(runs)),
         (lambda: n / duck.kernel_bulk_insert(next(runs))) if duck else None)
    if not insert.cells.get("helios") or insert.cell("helios").error:
        helios_error = helios_error or f"no table: bulk insert failed: {insert.cell('helios').error}"
    both(point, lambda: embedded.call("kernel_point_read", timeout=timeout, count=s.point_reads),
         (lambda: duck.kernel_point_read(s.point_reads)) if duck else None)

    expected = normalize(duck.kernel_scan_agg()["rows"]) if duck else None

    def helios_scan() -> float:
        reply = embedded.call("kernel_scan_agg", timeout=timeout)
        if expected is not None:
            diff = difference(expected, normalize(reply["rows"]))
            if diff:
                raise RuntimeError(f"wrong answer: {diff}")
        return reply["seconds"] * 1000.0

    both(scan, helios_scan, (lambda: duck.kernel_scan_agg()["seconds"] * 1000.0) if duck else None)
    both(branch, lambda: embedded.call("kernel_branch", timeout=60) * 1000.0, None)
    peak = Row("kernel", "peak RSS of the in-process HeliosDB child", "MB", False)
    ctx.rows.append(peak)
    try:
        peak.cell("helios").samples.append(embedded.call("peak_rss_mb", timeout=30))
    except Exception as exc:
        peak.cell("helios").error = describe_error(exc)
    embedded.stop()  # free the child's memory for what follows
