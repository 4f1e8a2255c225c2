"""COPY of TPC-H lineitem into two `helios serve` builds and PostgreSQL 15, alternating.

    python -m bench.copy_side_by_side --scale 1 --rounds 2 --before /path/to/older/checkout

``--before`` is a source tree of another HeliosDB build (its ``helios_core`` and plugin packages
are put first on that server's PYTHONPATH); without it only this build and PostgreSQL run. Each
round drops and recreates the target table in every system in turn, then times one
COPY FROM STDIN of the pre-encoded text. Per COPY: rows/s, server CPU (utime+stime of the
`helios serve` process, of the PostgreSQL backend from ``pg_backend_pid()``) and, for HeliosDB,
the peak resident memory sampled every 0.2 s (``VmRSS``, and ``RssAnon``: memory not backed by
a file). At the end: each system's bytes for the table (HeliosDB: data directory growth after
CHECKPOINT, WAL included; PostgreSQL: ``pg_total_relation_size``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pathlib
import threading
import time
from typing import Self

from bench import datagen, lifecycle
from bench.context import dir_bytes
from bench.helios_server import HeliosServer
from bench.pg_cluster import PgCluster
from bench.pgwire import PgWireSystem, copy_text_chunks, create_table_sql
from bench.process_cpu import cpu_seconds

TARGET = "lineitem_ingest"


def _status_kb(pid: int, field: str) -> int:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class PeakMemory:
    """Samples a process's VmRSS and RssAnon while a COPY runs; ``peak`` gives their maxima in MB."""

    def __init__(self, pid: int) -> None:
        self.pid, self.rss, self.anon = pid, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError):
                self.rss = max(self.rss, _status_kb(self.pid, "VmRSS"))
                self.anon = max(self.anon, _status_kb(self.pid, "RssAnon"))
            self._stop.wait(0.2)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _start_helios(tree: str | None) -> HeliosServer:
    saved = os.environ.get("PYTHONPATH")
    if tree:
        plugins = pathlib.Path(tree) / "plugins"
        paths = [tree] + [str(p) for p in sorted(plugins.iterdir()) if (p / "pyproject.toml").exists()]
        os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    try:
        server = HeliosServer.start(timeout=120)
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
    if server.error:
        raise RuntimeError(server.error)
    return server


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--before", help="source tree of the build to compare with")
    ap.add_argument("--timeout", type=float, default=1200.0, help="seconds one COPY may take")
    args = ap.parse_args()
    lineitem = datagen.load_tables(args.scale)["lineitem"]
    chunks = copy_text_chunks(lineitem)
    rows = lineitem.num_rows
    del lineitem
    systems: dict[str, tuple[PgWireSystem, int | None, pathlib.Path | None]] = {}
    try:
        pg = PgCluster.start()
        systems["postgres"] = (PgWireSystem("postgres", pg.host, pg.port, pg.user, pg.database), None, None)
        builds = [("before", args.before), ("after", None)] if args.before else [("after", None)]
        for name, tree in builds:
            s = _start_helios(tree)
            systems[name] = (PgWireSystem(name, s.host, s.port, s.user, s.database), s.process.pid, s.data_dir)
        base_bytes = {n: dir_bytes(d) for n, (_w, _p, d) in systems.items() if d is not None}
        print(f"lineitem at scale {args.scale}: {rows:,} rows, {sum(map(len, chunks)) / 1e6:.0f} MB of COPY text")
        for r in range(1, args.rounds + 1):
            for name, (wire, pid, _d) in systems.items():
                wire.run(f"DROP TABLE IF EXISTS {TARGET}", timeout=600)
                if pid is not None:
                    wire.run("CHECKPOINT", timeout=600)
                wire.run(create_table_sql("lineitem", TARGET), timeout=60)
                cpu_pid = pid if pid is not None else wire.run("SELECT pg_backend_pid()", timeout=30)[0][0]
                cpu0 = cpu_seconds(cpu_pid)
                with PeakMemory(pid or cpu_pid) as mem:
                    seconds = wire.copy_in(TARGET, chunks, args.timeout)
                cpu = cpu_seconds(cpu_pid) - cpu0
                extra = f", peak VmRSS {mem.rss / 1024:,.0f} MB, RssAnon {mem.anon / 1024:,.0f} MB" if pid else ""
                print(f"round {r} {name:8s}: {rows / seconds:>9,.0f} rows/s ({seconds:6.1f} s), "
                      f"server CPU {cpu:6.1f} s{extra}", flush=True)
        for name, (wire, pid, d) in systems.items():
            if pid is None:
                size = wire.run(f"SELECT pg_total_relation_size('{TARGET}')", timeout=60)[0][0]
            else:
                wire.run("CHECKPOINT", timeout=1200)
                size = dir_bytes(d) - base_bytes[name]
            print(f"bytes {name:8s}: {size / 1e6:,.1f} MB")
    finally:
        for wire, _pid, _d in systems.values():
            wire.close()
        lifecycle.stop_all()


if __name__ == "__main__":
    t0 = time.time()
    main()
    print(f"took {time.time() - t0:.0f} s")
