"""What statement statistics cost on pgbench -S: server CPU per transaction with them on and off.

    python -m bench.stats_overhead --runs 6 --transactions 3000

Starts two ``helios serve`` processes side by side, one with the default ``[metrics]
statement_statistics = true`` and one with ``false`` (pg_stat_statements, the statement series
and the slow-statement log not kept), initialises pgbench's tables in each, and then alternates
``pgbench -S -M prepared -c 1 -t N`` between them, ``--runs`` times each (the order within a
pair flips every pair). The figure is the server's CPU time per transaction, from
``/proc/PID/stat`` around each run: on a machine shared with other jobs that is what the server
itself spent, where tps moves with everyone else's load. Prints each run, the medians, and
the overhead (on / off - 1) with the spread of the per-pair ratios.
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import statistics
import tempfile

from helios_core.testing import start_server

from bench import lifecycle
from bench.pgbench_pooling import DONE_RE, pgbench
from bench.process_cpu import cpu_seconds
from bench.progress import say


def run_once(server, transactions: int) -> tuple[float, float]:
    """(server CPU µs per transaction, tps) of one pgbench -S -M prepared -c 1 run."""
    pid = server.process.pid
    before = cpu_seconds(pid)
    out = pgbench(server.port("postgres"), "helios", "helios",
                  ["-n", "-S", "-M", "prepared", "-c", "1", "-j", "1", "-t", str(transactions)], timeout=900)
    cpu = cpu_seconds(pid) - before
    done = int(DONE_RE.search(out).group(1))
    tps = float(out.split("tps = ")[1].split()[0])
    return cpu * 1e6 / done, tps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--transactions", type=int, default=3000)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="helios-bench-stats-"))
    servers = {}
    for name, on in (("on", True), ("off", False)):
        srv = start_server(workdir / name, {"metrics": {"statement_statistics": on}}, only=["postgres"])
        lifecycle.on_exit(f"helios {name}", srv.stop)
        servers[name] = srv
        pgbench(srv.port("postgres"), "helios", "helios", ["-i", "-I", "dtgp", "-s", str(args.scale), "-q"], 900)
        run_once(srv, max(200, args.transactions // 10))  # warm-up: plans cached, pages touched
    results: dict[str, list[float]] = {"on": [], "off": []}
    ratios = []
    try:
        for i in range(args.runs):
            order = ("on", "off") if i % 2 == 0 else ("off", "on")
            pair = {}
            for name in order:
                us, tps = run_once(servers[name], args.transactions)
                pair[name] = us
                results[name].append(us)
                say(f"run {i + 1} statistics {name}: {us:.0f} µs CPU per transaction, {tps:,.0f} tps")
            ratios.append(pair["on"] / pair["off"])
    finally:
        lifecycle.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    med_on, med_off = statistics.median(results["on"]), statistics.median(results["off"])
    print(f"pgbench -S -M prepared -c 1 -t {args.transactions}, {args.runs} alternating runs per side")
    print(f"statistics on:  median {med_on:.0f} µs server CPU per transaction "
          f"({', '.join(f'{x:.0f}' for x in results['on'])})")
    print(f"statistics off: median {med_off:.0f} µs ({', '.join(f'{x:.0f}' for x in results['off'])})")
    print(f"overhead: {100 * (med_on / med_off - 1):+.1f}% (medians); per-pair ratios "
          f"{min(ratios):.3f}..{max(ratios):.3f}, median {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
