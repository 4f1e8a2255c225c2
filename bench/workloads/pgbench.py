"""pgbench, the real binary, against each PG-wire system: -S (select-only; simple and
prepared protocol; 1 and 8 clients) and TPC-B-like (8 clients).

Each system is initialised with `pgbench -i -s N` first (its own init, timed). Runs use
-n (no vacuum: not every system has VACUUM), -j 2 for 8 clients (2 cores here), and -T
seconds; the sample is pgbench's "tps (without initial connection time)". A run with
failed transactions or a non-zero exit is an error, not a number.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable

from bench.context import BenchContext
from bench.measure import Plan, Row, alternate, describe_error
from bench.pg_cluster import PG_BIN
from bench.pgwire import PgWireSystem

TPS_RE = re.compile(r"tps = ([0-9.]+) \(without initial connection time\)")
FAILED_RE = re.compile(r"number of failed transactions: (\d+)")

VARIANTS = [
    ("-S simple, 1 client", ["-S", "-M", "simple", "-c", "1", "-j", "1"]),
    ("-S prepared, 1 client", ["-S", "-M", "prepared", "-c", "1", "-j", "1"]),
    ("-S simple, 8 clients", ["-S", "-M", "simple", "-c", "8", "-j", "2"]),
    ("-S prepared, 8 clients", ["-S", "-M", "prepared", "-c", "8", "-j", "2"]),
    ("TPC-B, 8 clients", ["-M", "prepared", "-c", "8", "-j", "2"]),
]


def pgbench_binary() -> str:
    path = PG_BIN / "pgbench"
    return str(path) if path.exists() else (shutil.which("pgbench") or "pgbench")


def _connection_args(system: PgWireSystem) -> list[str]:
    return ["-h", system.host, "-p", str(system.port), "-U", system.user]


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    try:
        return subprocess.run([pgbench_binary(), *args], check=False, capture_output=True, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired as exc:
        raise TimeoutError(f"pgbench did not finish within {timeout:.0f}s") from exc


def _last_line(text: str) -> str:
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    return lines[-1][:200] if lines else "no output"


def initialise(system: PgWireSystem, scale: int, timeout: float) -> float:
    """pgbench -i (drop, create tables, client-side COPY, vacuum, primary keys); seconds."""
    import time

    started = time.perf_counter()
    result = _run(["-i", "-s", str(scale), "-q", *_connection_args(system), system.database], timeout)
    if result.returncode != 0:
        raise RuntimeError(f"pgbench -i exited {result.returncode}: {_last_line(result.stderr)}")
    return time.perf_counter() - started


def bench_once(system: PgWireSystem, variant: list[str], seconds: int) -> float:
    args = ["-n", "-T", str(seconds), *variant, *_connection_args(system), system.database]
    result = _run(args, timeout=seconds + 120)
    if result.returncode != 0:
        raise RuntimeError(f"pgbench exited {result.returncode}: {_last_line(result.stderr)}")
    failed = FAILED_RE.search(result.stdout)
    if failed and int(failed.group(1)) > 0:
        raise RuntimeError(f"pgbench: {failed.group(1)} failed transactions")
    match = TPS_RE.search(result.stdout)
    if not match:
        raise RuntimeError(f"no tps in pgbench output: {_last_line(result.stdout)}")
    return float(match.group(1))


def run(ctx: BenchContext) -> None:
    settings = ctx.settings
    init_row = Row("pgbench", f"pgbench -i -s {settings.pgbench_scale}", "s", False)
    ctx.rows.append(init_row)
    ready: dict[str, PgWireSystem] = {}
    for name in ("helios", "postgres"):
        why = ctx.unavailable(name)
        system = ctx.wire_systems()[name]  # after unavailable(): a restart replaces it
        if why or system is None:
            init_row.cell(name).error = why or "not started"
            continue
        try:
            init_row.cell(name).samples.append(initialise(system, settings.pgbench_scale, settings.pgbench_init_timeout))
            ready[name] = system
        except Exception as exc:
            init_row.cell(name).error = describe_error(exc)
    for label, variant in VARIANTS:
        row = Row("pgbench", label, "tps", True)
        for name in ctx.wire_systems():
            if name not in ready:
                row.cell(name).error = init_row.cell(name).error
        actions: dict[str, Callable[[], float]] = {
            name: (lambda s=system, v=variant: bench_once(s, v, settings.pgbench_seconds))
            for name, system in ready.items()
        }
        plan = Plan(runs=settings.pgbench_runs, warmup=False)
        for name, system in ready.items():  # short warm-up at the same settings
            try:
                bench_once(system, variant, settings.pgbench_warmup_seconds)
            except Exception as exc:
                row.cell(name).error = describe_error(exc)
                actions.pop(name)
        ctx.rows.append(alternate(row, actions, plan))
