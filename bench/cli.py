"""`python -m bench [--quick] [--scale S] [--workload NAME ...] [--runs N]`.

Starts PostgreSQL 15, `helios serve` and DuckDB, runs the chosen workloads on all of them
in the same run, prints one table, writes bench/results/<date>-<git sha>.json (and .md),
and stops every server whatever happens.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
import traceback

import attrs

from bench import lifecycle, machine, report
from bench.context import BenchContext, Settings
from bench.measure import Row
from bench.progress import say
from bench.workloads import ORDER, analytics, branching, ingest, kernel, pgbench, storage

RUNNERS = {
    "storage": storage.run,
    "tpch": analytics.run_tpch,
    "clickbench": analytics.run_clickbench,
    "inprocess": analytics.run_inprocess,
    "copy": ingest.run,
    "pgbench": pgbench.run,
    "branch": branching.run,
    "kernel": kernel.run,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    parser.add_argument("--quick", action="store_true", help="small data and short runs (< 2 minutes)")
    parser.add_argument("--scale", type=float, help="TPC-H scale factor (default 1, --quick 0.01)")
    parser.add_argument("--runs", type=int, help="measured runs per workload (default 3, --quick 1)")
    parser.add_argument("--workload", nargs="+", choices=ORDER, metavar="NAME",
                        help=f"only these workloads, of: {', '.join(ORDER)}")
    parser.add_argument("--helios-at", metavar="HOST:PORT[:USER[:DB]]",
                        help="measure a HeliosDB server already running there instead of starting one")
    parser.add_argument("--readme", action="store_true", help="put this run's table into bench/README.md")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings.make(quick=args.quick, scale=args.scale, runs=args.runs)
    settings.helios_at = args.helios_at
    chosen = [w for w in ORDER if not args.workload or w in args.workload]
    started = time.perf_counter()
    say(f"bench: {'quick' if settings.quick else 'full'} run, scale {settings.scale:g}, "
        f"{settings.runs} measured run(s), workloads: {' '.join(chosen)}")
    ctx = BenchContext(settings)
    lifecycle.on_exit("bench systems", ctx.stop)
    try:
        ctx.start_systems()
        for name in chosen:
            say(f"bench: workload {name}")
            step = time.perf_counter()
            try:
                RUNNERS[name](ctx)
            except Exception as exc:  # a broken workload must not lose the others' results
                traceback.print_exc()
                row = Row(name, "workload crashed", "-", False)
                row.cell("helios").error = f"{type(exc).__name__}: {exc}"[:300]
                ctx.rows.append(row)
            say(f"bench: workload {name} took {time.perf_counter() - step:.1f}s")
        meta = {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "machine": machine.describe(),
            "versions": ctx.versions(),
            "settings": attrs.asdict(settings),
            "workloads": chosen,
            "unavailable": ctx.errors,
            "helios_restarts": ctx.restarts,
            "helios_warnings": ctx.helios_server.warnings() if ctx.helios_server else [],
            "seconds": round(time.perf_counter() - started, 1),
        }
    finally:
        ctx.stop()
        lifecycle.stop_all()
    if ctx.helios_server is not None and ctx.helios_server.kept_log is not None:
        meta["helios_log"] = str(ctx.helios_server.kept_log)
        say(f"bench: helios serve log kept at {ctx.helios_server.kept_log}")
    path = report.write(ctx.rows, meta, quick=settings.quick, every=ORDER)
    m = meta["machine"]
    print(f"\nHeliosDB bench, {'quick' if settings.quick else 'full'} run, TPC-H scale {settings.scale:g}, "
          f"{settings.runs} run(s); {m['cpu_model']}, {m['nproc']} cores, {m['memory_gib']} GiB; "
          f"git {m['git_sha']}; {meta['seconds']}s\n")
    print(report.render_text(ctx.rows))
    for i, why in enumerate(ctx.restarts, 1):
        print(f"helios serve restart {i}: {why}")
    if args.readme:
        report.update_readme(ctx.rows, meta, quick=settings.quick, json_path=path)
        say("bench: table written to bench/README.md")
    say(f"\nbench: results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
