"""CPU time of the analytic queries on the embedded engine (and DuckDB) in one process.

    python -m bench.query_cpu [--scale S] [--runs N] [--query Q1 --query CB4 ...] [--duckdb]
                              [--repeat-query Q1 --seconds 20]

The nine queries of ``bench/queries.py`` on ``helios_core.connect()`` loaded as
``bench/embedded.py`` loads it (``Session.copy_in`` of Arrow batches). Each query runs once to
warm up, then N times; the figure is the process's CPU time per run (``getrusage``: user +
system of every thread, so worker threads count), min and median of the N runs, then the wall time's. On a machine
shared with other work the wall clock moves several times between identical runs; the CPU
time much less. ``--duckdb`` runs the same queries on an in-memory DuckDB in the same way.
``--repeat-query`` runs one query in a loop for ``--seconds`` (to attach a sampling profiler).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from typing import Any

from bench.queries import ALL


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _helios(scale: float) -> Any:
    from bench.embedded import Child

    child = Child()
    child.sql_open()
    child.sql_load(scale)
    return child._sql


def _duckdb(scale: float) -> Any:
    import duckdb

    from bench.datagen import load_tables

    con = duckdb.connect()
    for name, table in load_tables(scale).items():
        con.register("src", table)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM src")
        con.unregister("src")
    return lambda sql: con.execute(sql).fetchall()


def measure(run: Any, queries: list[str], runs: int) -> dict[str, tuple[list[float], list[float]]]:
    """Per query: (CPU ms, wall ms) of each run."""
    out: dict[str, tuple[list[float], list[float]]] = {}
    for name in queries:
        run(ALL[name])
        cpu, wall = [], []
        for _ in range(runs):
            started, clock = cpu_now(), time.perf_counter()
            run(ALL[name])
            cpu.append((cpu_now() - started) * 1000)
            wall.append((time.perf_counter() - clock) * 1000)
        out[name] = (cpu, wall)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--query", action="append", choices=list(ALL))
    parser.add_argument("--duckdb", action="store_true")
    parser.add_argument("--repeat-query", choices=list(ALL))
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    systems = {"helios": _helios(args.scale)}
    if args.repeat_query:
        ends = time.monotonic() + args.seconds
        while time.monotonic() < ends:
            systems["helios"](ALL[args.repeat_query])
        return
    if args.duckdb:
        systems["duckdb"] = _duckdb(args.scale)
    queries = args.query or list(ALL)
    print(f"CPU ms per run (min / median of {args.runs}), then wall ms (min / median), scale {args.scale:g}, "
          f"load average {' '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}")
    for system, run in systems.items():
        for name, (cpu, wall) in measure(run, queries, args.runs).items():
            print(f"{system:7s} {name:22s} {min(cpu):9.1f} {statistics.median(cpu):9.1f}"
                  f" {min(wall):9.1f} {statistics.median(wall):9.1f}", flush=True)


if __name__ == "__main__":
    main()
