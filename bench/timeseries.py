"""Time series: ingest events/s, a 90-day hourly rollup raw vs continuous aggregate, bytes on disk.

    python -m bench.timeseries [--events N] [--insert-events N] [--clients N] [--runs N]

One ``helios serve`` (postgres protocol) with a CREATE TIMESERIES TABLE, a private PostgreSQL 15
cluster (bench.pg_cluster) with a plain table and a btree on time, and DuckDB in-process; the
same seeded events (time over 90 days, repo_id, duration_ms, status) go into each. Prints:

* ingest by COPY FROM STDIN (all events) and by 1,000-row INSERT batches from ``--clients``
  concurrent clients (``--insert-events`` of them), events/s;
* the rollup ``time_bucket('1 hour', time), repo_id, count(*), avg(duration_ms)`` over the 90
  days: HeliosDB over the raw rows, HeliosDB's continuous aggregate, PostgreSQL (date_bin with
  TimescaleDB's origin) and DuckDB (time_bucket), median [min-max] ms of ``--runs`` runs after a
  warm-up, the answers' row counts checked equal;
* bytes on disk right after the compression job packed the chunks (every chunk of the 90 days is
  older than compression_after; before the continuous aggregate exists): HeliosDB's whole data directory (segments, WAL, manifests) and
  its chunks (heliosdb.chunks) beside pg_total_relation_size (heap, TOAST and the btree);
* the HeliosDB server's CPU seconds for each ingest (from /proc: wall time is noisy on a shared
  machine), and the compression job's time.

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import pathlib
import statistics
import tempfile
import threading
import time
from collections.abc import Callable

import duckdb
import numpy as np
import psycopg
from helios_core.testing import start_server

from bench.pg_cluster import PgCluster

START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
DAYS = 90
HELIOS_DDL = ("CREATE TIMESERIES TABLE build_metrics (time timestamptz NOT NULL, repo_id int NOT NULL, "
              "duration_ms double precision, status text) WITH (partition_by = 'repo_id', chunk_interval = '1d')")
PG_DDL = ("CREATE TABLE build_metrics (time timestamptz NOT NULL, repo_id int NOT NULL, duration_ms double precision, "
          "status text); CREATE INDEX ON build_metrics (time)")
ROLLUP = ("SELECT {bucket} AS hour, repo_id, count(*) AS builds, avg(duration_ms) AS avg_ms FROM build_metrics "
          "WHERE time >= '2024-01-01 00:00+00' AND time < '2024-03-31 00:00+00' GROUP BY 1, 2")
CAGG = ("CREATE CONTINUOUS AGGREGATE hourly WITH (timeseries = 'build_metrics', interval = '1h') AS "
        "SELECT time_bucket('1 hour', time) AS hour, repo_id, count(*) AS builds, avg(duration_ms) AS avg_ms "
        "FROM build_metrics GROUP BY hour, repo_id")
CAGG_READ = "SELECT * FROM hourly WHERE hour >= '2024-01-01 00:00+00' AND hour < '2024-03-31 00:00+00'"


def _events(n: int, seed: int = 18) -> list[tuple]:
    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.integers(0, DAYS * 86_400_000_000, n))
    repos = rng.integers(0, 200, n)
    durations = np.round(rng.gamma(2.0, 30_000.0, n), 1)
    failed = rng.random(n) < 0.07
    return [(START + dt.timedelta(microseconds=int(o)), int(r), float(d), "failed" if f else "ok")
            for o, r, d, f in zip(offsets, repos, durations, failed, strict=True)]


def _copy_text(rows: list[tuple]) -> bytes:
    out = io.StringIO()
    for t, r, d, s in rows:
        out.write(f"{t:%Y-%m-%d %H:%M:%S.%f}+00\t{r}\t{d}\t{s}\n")
    return out.getvalue().encode()


def _copy(conn: psycopg.Connection, text: bytes) -> None:
    with conn.cursor().copy("COPY build_metrics FROM STDIN") as cp:
        for start in range(0, len(text), 1 << 20):
            cp.write(text[start:start + (1 << 20)])


def _insert_batches(dsn: str, rows: list[tuple], clients: int) -> None:
    """1,000-row INSERT statements from ``clients`` connections at once."""
    batches = [rows[i:i + 1000] for i in range(0, len(rows), 1000)]
    errors: list[BaseException] = []

    def worker(mine: list[list[tuple]]) -> None:
        try:
            with psycopg.connect(dsn, autocommit=True) as c:
                for batch in mine:
                    values = ",".join(f"('{t.isoformat()}', {r}, {d}, '{s}')" for t, r, d, s in batch)
                    c.execute(f"INSERT INTO build_metrics VALUES {values}")
        except BaseException as e:  # reported after the run
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(batches[k::clients],)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _timed(runs: int, action: Callable[[], int]) -> tuple[str, int]:
    samples, count = [], 0
    for _ in range(runs + 1):
        started = time.perf_counter()
        count = action()
        samples.append((time.perf_counter() - started) * 1000)
    samples = samples[1:]
    return f"{statistics.median(samples):>10,.1f} ms  [{min(samples):,.1f}-{max(samples):,.1f}]", count


def _rate(n: int, action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return n / (time.perf_counter() - started)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _dir_bytes(path: pathlib.Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--insert-events", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = _events(args.events)
    text = _copy_text(rows)
    extra = _events(args.insert_events, seed=19)
    helios = start_server(pathlib.Path(tempfile.mkdtemp(prefix="helios-bench-ts-")), only=["postgres"])
    cluster = PgCluster.start()
    try:
        pg_dsn = f"host={cluster.host} port={cluster.port} user={cluster.user} dbname={cluster.database}"
        with psycopg.connect(helios.pg_dsn(), autocommit=True) as h, psycopg.connect(pg_dsn, autocommit=True) as p:
            h.execute(HELIOS_DDL)
            p.execute(PG_DDL)
            print(f"{args.events:,} events over {DAYS} days; {args.insert_events:,} more by {args.clients} clients "
                  f"in 1,000-row INSERTs; {args.runs} runs (+1 warm-up)")
            pid = helios.process.pid
            for name, conn in (("helios  ", h), ("postgres", p)):
                cpu = _cpu_seconds(pid)
                rate = _rate(args.events, lambda c=conn: _copy(c, text))
                used = f"  (server CPU {_cpu_seconds(pid) - cpu:,.1f} s)" if name.startswith("helios") else ""
                print(f"{name} ingest COPY            {rate:>12,.0f} events/s{used}")
            for name, dsn in (("helios  ", helios.pg_dsn()), ("postgres", pg_dsn)):
                cpu = _cpu_seconds(pid)
                rate = _rate(args.insert_events, lambda d=dsn: _insert_batches(d, extra, args.clients))
                used = f"  (server CPU {_cpu_seconds(pid) - cpu:,.1f} s)" if name.startswith("helios") else ""
                print(f"{name} ingest INSERT x{args.clients}       {rate:>12,.0f} events/s{used}")
            job = h.execute("SELECT job_id FROM heliosdb.jobs WHERE kind = 'compression' "
                            "AND target = 'build_metrics'").fetchone()[0]
            started = time.perf_counter()
            h.execute(f"CALL heliosdb.run_job({int(job)})")
            h.execute("CHECKPOINT")
            status = h.execute("SELECT last_status FROM heliosdb.jobs WHERE job_id = %s", (job,)).fetchone()[0]
            print(f"helios   compression job {time.perf_counter() - started:,.1f} s: {status}")
            h_chunks, packed = h.execute("SELECT sum(bytes), count(*) FILTER (WHERE compressed) || '/' || count(*) "
                                         "FROM heliosdb.chunks").fetchone()
            h_dir = _dir_bytes(helios.data_dir)
            p_bytes = p.execute("SELECT pg_total_relation_size('build_metrics')").fetchone()[0]
            events = args.events + args.insert_events
            print(f"bytes: helios data directory {h_dir:,} ({h_dir / events:.1f} B/event; chunks {h_chunks:,}, "
                  f"{packed} compressed), postgres table + index {p_bytes:,} ({p_bytes / events:.1f} B/event): "
                  f"{h_dir / p_bytes:.2f}x")
            started = time.perf_counter()
            h.execute(CAGG)
            print(f"helios   continuous aggregate built in {time.perf_counter() - started:,.1f} s")
            duck = duckdb.connect()
            duck.execute("CREATE TABLE build_metrics (time timestamptz, repo_id int, duration_ms double, status text)")
            duck.execute("INSERT INTO build_metrics SELECT * FROM read_csv(?, delim='\t', header=false, "
                         "columns={'time': 'TIMESTAMPTZ', 'repo_id': 'INT', 'duration_ms': 'DOUBLE', "
                         "'status': 'VARCHAR'})", [_csv_file(text + _copy_text(extra))])
            results = {
                "helios raw      ": lambda: len(h.execute(ROLLUP.format(bucket="time_bucket('1 hour', time)"))
                                               .fetchall()),
                "helios cagg     ": lambda: len(h.execute(CAGG_READ).fetchall()),
                "postgres        ": lambda: len(p.execute(ROLLUP.format(
                    bucket="date_bin('1 hour', time, '2000-01-03 00:00+00')")).fetchall()),
                "duckdb          ": lambda: len(duck.execute(ROLLUP.format(
                    bucket="time_bucket(INTERVAL '1 hour', time)")).fetchall()),
            }
            counts = {}
            medians = {}
            for name, action in results.items():
                line, counts[name] = _timed(args.runs, action)
                medians[name] = float(line.split()[0].replace(",", ""))
                print(f"{name} rollup {line}  ({counts[name]:,} rows)")
            if len(set(counts.values())) != 1:
                print(f"ANSWERS DIFFER: {counts}")
            pg_ms = medians["postgres        "]
            print(f"ratios: helios raw / postgres {medians['helios raw      '] / pg_ms:.2f}x, "
                  f"helios cagg / postgres {medians['helios cagg     '] / pg_ms:.3f}x")
    finally:
        cluster.stop()
        helios.stop()


def _csv_file(data: bytes) -> str:
    path = pathlib.Path(tempfile.mkdtemp(prefix="helios-bench-ts-duck-")) / "events.tsv"
    path.write_bytes(data)
    return str(path)


if __name__ == "__main__":
    main()
