"""Time series ingest by 1,000-row INSERT batches from many clients, HeliosDB beside PostgreSQL 15.

    python -m bench.timeseries_ingest [--events N] [--clients N] [--runs N] [--modes literal,params,executemany]
                                      [--statement-turns true|false|both]

The same seeded events as bench.timeseries (time over 90 days, repo_id, duration_ms, status) go
into HeliosDB's CREATE TIMESERIES TABLE and into a PostgreSQL table with a btree on time, each
run on fresh connections (a loader's), the two systems alternating. Ways of sending a batch:

* ``literal``: ``INSERT INTO build_metrics VALUES ('...', 1, 2.5, 'ok'), ...`` as one simple-query
  text (what bench.timeseries sends);
* ``params``: the same statement with ``%s`` placeholders, values bound by psycopg (extended protocol);
* ``executemany``: psycopg's ``executemany`` of a one-row INSERT over the batch's 1,000 rows.

``--statement-turns both`` runs two HeliosDB servers, one with the server setting
``statement_turns`` off (``helios-all``: every session's statement contends for the
interpreter at once), alternating with the others: the A/B of helios_core.statement_gate.

Prints events/s (wall) and the server CPU per 1,000-row batch: HeliosDB's process, and
PostgreSQL's postmaster with its exited backends (/proc: wall time is noisy on a shared machine).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable

import psycopg
from helios_core.testing import start_server

from bench.pg_cluster import PgCluster
from bench.timeseries import HELIOS_DDL, PG_DDL, _events

BATCH = 1000


def _literal(c: psycopg.Connection, batch: list[tuple]) -> None:
    values = ",".join(f"('{t.isoformat()}', {r}, {d}, '{s}')" for t, r, d, s in batch)
    c.execute(f"INSERT INTO build_metrics VALUES {values}")


def _params(c: psycopg.Connection, batch: list[tuple]) -> None:
    c.execute("INSERT INTO build_metrics VALUES " + ",".join(["(%s, %s, %s, %s)"] * len(batch)),
              [v for row in batch for v in row])


def _executemany(c: psycopg.Connection, batch: list[tuple]) -> None:
    c.cursor().executemany("INSERT INTO build_metrics VALUES (%s, %s, %s, %s)", batch)


MODES: dict[str, Callable[[psycopg.Connection, list[tuple]], None]] = {
    "literal": _literal, "params": _params, "executemany": _executemany}


def _load(dsn: str, rows: list[tuple], clients: int, send: Callable) -> float:
    """Seconds to send ``rows`` in 1,000-row batches from ``clients`` new connections at once."""
    batches = [rows[i:i + BATCH] for i in range(0, len(rows), BATCH)]
    errors: list[BaseException] = []

    def worker(mine: list[list[tuple]]) -> None:
        try:
            with psycopg.connect(dsn, autocommit=True) as c:
                for batch in mine:
                    send(c, batch)
        except BaseException as e:  # reported after the run
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(batches[k::clients],)) for k in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def _cpu(pid: int, children: bool = False) -> float:
    """User + system CPU of a process (and of its reaped children: PostgreSQL's exited backends)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--modes", default="literal")
    parser.add_argument("--statement-turns", choices=("true", "false", "both"), default="true")
    args = parser.parse_args()
    events = _events(args.events, seed=19)
    rows = list(zip(*(column.to_pylist() for column in events.columns), strict=True))
    batches = -(-args.events // BATCH)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="helios-bench-tsi-"))
    turns = {"true": [True], "false": [False], "both": [True, False]}[args.statement_turns]
    servers = {("helios" if on else "helios-all"): start_server(workdir / str(on), {"statement_turns": on},
                                                                  only=["postgres"]) for on in turns}
    cluster = PgCluster.start()
    try:
        pg_dsn = f"host={cluster.host} port={cluster.port} user={cluster.user} dbname={cluster.database}"
        pg_pid = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
        systems = (*((name, h.pg_dsn(), HELIOS_DDL, h.process.pid, False) for name, h in servers.items()),
                   ("postgres", pg_dsn, PG_DDL, pg_pid, True))
        for _, dsn, ddl, _, _ in systems:
            with psycopg.connect(dsn, autocommit=True) as c:
                c.execute(ddl)
        print(f"{args.events:,} events in {BATCH:,}-row INSERTs from {args.clients} clients, {args.runs} runs each; "
              "events/s median [min-max], server CPU ms per batch median")
        for mode in args.modes.split(","):
            rates: dict[str, list[float]] = {name: [] for name, *_ in systems}
            cpus: dict[str, list[float]] = {name: [] for name, *_ in systems}
            for _ in range(args.runs):
                for name, dsn, _, pid, children in systems:
                    cpu = _cpu(pid, children)
                    seconds = _load(dsn, rows, args.clients, MODES[mode])
                    time.sleep(0.2)  # PostgreSQL's postmaster reaps the closed backends
                    cpus[name].append((_cpu(pid, children) - cpu) * 1000 / batches)
                    rates[name].append(args.events / seconds)
            for name, r in rates.items():
                print(f"{mode:<12} {name:<10} {statistics.median(r):>10,.0f} events/s [{min(r):,.0f}-{max(r):,.0f}]"
                      f"  CPU {statistics.median(cpus[name]):,.1f} ms/batch")
            for name in servers:
                print(f"{mode:<12} {name} / postgres: events/s "
                      f"{statistics.median(rates[name]) / statistics.median(rates['postgres']):.2f}x, CPU per batch "
                      f"{statistics.median(cpus[name]) / statistics.median(cpus['postgres']):.2f}x")
    finally:
        cluster.stop()
        for server in servers.values():
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
