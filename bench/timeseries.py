"""Time series: ingest events/s, a 90-day hourly rollup raw vs continuous aggregate, bytes on disk.

    python -m bench.timeseries [--events N] [--insert-events N] [--clients N] [--runs N]

One ``helios serve`` (postgres protocol) with a CREATE TIMESERIES TABLE, a private PostgreSQL 15
cluster (bench.pg_cluster) with a plain table and a btree on time, and DuckDB in-process; the
same seeded events (time over 90 days, repo_id, duration_ms, status) go into each. Prints:

* ingest by COPY FROM STDIN (all events) and by 1,000-row INSERT batches from ``--clients``
  concurrent clients (``--insert-events`` of them), events/s, after a CHECKPOINT on both systems
  so that the INSERTs do not share the machine with writing out the COPY;
* the seed's hourly rollup over the 90 days (``time_bucket('1 hour', time), repo_id``: builds,
  avg and p95 (percentile_cont) of duration_ms, failures): HeliosDB over the raw rows,
  HeliosDB's continuous aggregate of the same query, PostgreSQL (date_bin with TimescaleDB's
  origin) and DuckDB (time_bucket); median [min-max] wall ms of ``--runs`` runs after a
  warm-up, and the CPU the server process (HeliosDB's, PostgreSQL's backend) spent on it, which
  a loaded machine does not inflate; every answer is compared row by row with PostgreSQL's;
* a dashboard read of the continuous aggregate (one repo, 90 days: 2,160 rows), since the
  whole rollup is 200 x 2,160 rows and reading it is mostly sending them;
* other queries over the continuous aggregate (hourly totals of all repos, per-repo totals, one
  day of every repo), each answer checked against DuckDB computing the same over the raw events;
* bytes on disk right after the compression job packed the chunks (every chunk of the 90 days is
  older than compression_after; before the continuous aggregate exists): HeliosDB's whole data
  directory (segments, WAL, manifests) and its chunks (heliosdb.chunks) beside
  pg_total_relation_size (heap, TOAST and the btree);
* the HeliosDB server's CPU seconds for each ingest, and the compression job's time.

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import pathlib
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable

import duckdb
import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from helios_core.testing import start_server

from bench.pg_cluster import PgCluster
from bench.process_cpu import cpu_seconds

START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
DAYS = 90
REPOS = 200
HELIOS_DDL = ("CREATE TIMESERIES TABLE build_metrics (time timestamptz NOT NULL, repo_id int NOT NULL, "
              "duration_ms double precision, status text) WITH (partition_by = 'repo_id', chunk_interval = '1d')")
PG_DDL = ("CREATE TABLE build_metrics (time timestamptz NOT NULL, repo_id int NOT NULL, duration_ms double precision, "
          "status text); CREATE INDEX ON build_metrics (time)")
AGGREGATES = ("count(*) AS builds, avg(duration_ms) AS avg_ms, "
              "percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_ms, "
              "count(*) FILTER (WHERE status = 'failed') AS failures")
WINDOW = "time >= '2024-01-01 00:00+00' AND time < '2024-03-31 00:00+00'"
ROLLUP = f"SELECT {{bucket}} AS hour, repo_id, {AGGREGATES} FROM build_metrics WHERE {WINDOW} GROUP BY 1, 2"
CAGG = ("CREATE CONTINUOUS AGGREGATE hourly WITH (timeseries = 'build_metrics', interval = '1h') AS "
        f"SELECT time_bucket('1 hour', time) AS hour, repo_id, {AGGREGATES} FROM build_metrics GROUP BY hour, repo_id")
CAGG_READ = "SELECT * FROM hourly WHERE hour >= '2024-01-01 00:00+00' AND hour < '2024-03-31 00:00+00'"
CAGG_QUERIES = {  # name: query over the continuous aggregate ``hourly`` (DuckDB runs it over the rollup)
    "hourly totals  ": ("SELECT hour, sum(builds) AS builds, sum(failures) AS failures, max(p95_ms) AS p95 "
                        "FROM hourly GROUP BY hour"),
    "per-repo totals": "SELECT repo_id, sum(builds) AS builds, avg(avg_ms) AS avg_ms, max(p95_ms) AS p95 FROM hourly "
                       "GROUP BY repo_id",
    "one day        ": ("SELECT * FROM hourly WHERE hour >= '2024-02-01 00:00+00' AND hour < '2024-02-02 00:00+00'"),
}
DASHBOARD = ("SELECT hour, builds, avg_ms, p95_ms, failures FROM hourly WHERE repo_id = 7 "
             "AND hour >= '2024-01-01 00:00+00' AND hour < '2024-03-31 00:00+00' ORDER BY hour")
PG_DASHBOARD = (f"SELECT date_bin('1 hour', time, '2000-01-03 00:00+00') AS hour, {AGGREGATES} FROM build_metrics "
                f"WHERE repo_id = 7 AND {WINDOW} GROUP BY 1 ORDER BY 1")


def _say(text: str) -> None:
    print(text, flush=True)


def _events(n: int, seed: int = 18) -> pa.Table:
    """The events as an Arrow table (vectorized: 10M in seconds)."""
    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.integers(0, DAYS * 86_400_000_000, n))
    start_us = int(START.timestamp()) * 1_000_000
    status = np.where(rng.random(n) < 0.07, "failed", "ok")
    return pa.table({
        "time": pa.array(offsets + start_us, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "repo_id": pa.array(rng.integers(0, REPOS, n).astype(np.int32)),
        "duration_ms": pa.array(np.round(rng.gamma(2.0, 30_000.0, n), 1)),
        "status": pa.array(status),
    })


def _copy_text(events: pa.Table) -> bytes:
    """COPY text format: tab-separated, timestamps with microseconds and +00."""
    shown = events.set_column(0, "time", pc.binary_join_element_wise(
        pc.strftime(events.column("time"), format="%Y-%m-%d %H:%M:%S"), "+00", ""))
    sink = pa.BufferOutputStream()
    pacsv.write_csv(shown, sink, pacsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none"))
    return sink.getvalue().to_pybytes()


def _rows(events: pa.Table) -> list[tuple]:
    return list(zip(*(events.column(i).to_pylist() for i in range(events.num_columns)), strict=True))


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


class Timing:
    """Wall ms and server-process CPU ms of each run of one query, and its last answer."""

    def __init__(self, runs: int, action: Callable[[], list[tuple]], cpu: Callable[[], float]) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.rows: list[tuple] = []
        for i in range(runs + 1):
            cpu0, started = cpu(), time.perf_counter()
            self.rows = action()
            if i:  # the first run warms up
                self.wall.append((time.perf_counter() - started) * 1000)
                self.cpu.append((cpu() - cpu0) * 1000)

    def line(self) -> str:
        w, c = self.wall, self.cpu
        return (f"{statistics.median(w):>10,.1f} ms [{min(w):,.1f}-{max(w):,.1f}]  "
                f"CPU {statistics.median(c):>8,.1f} ms [{min(c):,.0f}-{max(c):,.0f}]")


def _rate(n: int, action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return n / (time.perf_counter() - started)


def _dir_bytes(path: pathlib.Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _normal(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b))
    return a == b


def differences(rows: list[tuple], reference: list[tuple], key_columns: int = 2) -> str | None:
    """None when the answers hold the same rows (any order, floats within 1e-9), else the first difference."""
    if len(rows) != len(reference):
        return f"{len(rows):,} rows, PostgreSQL {len(reference):,}"
    mine = sorted(tuple(_normal(v) for v in r) for r in rows)
    theirs = sorted(tuple(_normal(v) for v in r) for r in reference)
    for m, t in zip(mine, theirs, strict=True):
        if len(m) != len(t) or not all(_same(x, y) for x, y in zip(m, t, strict=True)):
            return f"row {m[:key_columns]}: {m} against PostgreSQL's {t}"
    return None


def _backend_cpu(conn: psycopg.Connection) -> Callable[[], float]:
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    return lambda: cpu_seconds(pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--insert-events", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    events = _events(args.events)
    text = _copy_text(events)
    extra = _events(args.insert_events, seed=19)
    _say(f"{args.events:,} events over {DAYS} days generated in {time.perf_counter() - started:,.1f} s "
         f"({len(text) / 1e6:,.0f} MB of COPY text)")
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="helios-bench-ts-"))
    helios = start_server(workdir, only=["postgres"])
    cluster = PgCluster.start()
    try:
        pg_dsn = f"host={cluster.host} port={cluster.port} user={cluster.user} dbname={cluster.database}"
        with psycopg.connect(helios.pg_dsn(), autocommit=True) as h, psycopg.connect(pg_dsn, autocommit=True) as p:
            h.execute(HELIOS_DDL)
            p.execute(PG_DDL)
            _say(f"{args.insert_events:,} more by {args.clients} clients in 1,000-row INSERTs; "
                 f"{args.runs} runs (+1 warm-up)")
            pid = helios.process.pid
            for name, conn in (("helios  ", h), ("postgres", p)):
                cpu = cpu_seconds(pid)
                rate = _rate(args.events, lambda c=conn: _copy(c, text))
                used = f"  (server CPU {cpu_seconds(pid) - cpu:,.1f} s)" if name.startswith("helios") else ""
                _say(f"{name} ingest COPY            {rate:>12,.0f} events/s{used}")
            if args.insert_events:
                rows = _rows(extra)
                # each ingest measured on its own: both systems write out what the COPY left in
                # memory first (HeliosDB's memtable to segments, PostgreSQL's dirty buffers)
                started = time.perf_counter()
                for conn in (h, p):
                    conn.execute("CHECKPOINT")
                _say(f"CHECKPOINT on both after the COPY: {time.perf_counter() - started:,.1f} s")
                for name, dsn in (("helios  ", helios.pg_dsn()), ("postgres", pg_dsn)):
                    cpu = cpu_seconds(pid)
                    rate = _rate(args.insert_events, lambda d=dsn: _insert_batches(d, rows, args.clients))
                    used = f"  (server CPU {cpu_seconds(pid) - cpu:,.1f} s)" if name.startswith("helios") else ""
                    _say(f"{name} ingest INSERT x{args.clients}       {rate:>12,.0f} events/s{used}")
            job = h.execute("SELECT job_id FROM heliosdb.jobs WHERE kind = 'compression' "
                            "AND target = 'build_metrics'").fetchone()[0]
            started, cpu = time.perf_counter(), cpu_seconds(pid)
            h.execute(f"CALL heliosdb.run_job({int(job)})")
            h.execute("CHECKPOINT")
            status = h.execute("SELECT last_status FROM heliosdb.jobs WHERE job_id = %s", (job,)).fetchone()[0]
            _say(f"helios   compression job + checkpoint {time.perf_counter() - started:,.1f} s "
                 f"(server CPU {cpu_seconds(pid) - cpu:,.1f} s): {status}")
            h_chunks, packed = h.execute("SELECT sum(bytes), count(*) FILTER (WHERE compressed) || '/' || count(*) "
                                         "FROM heliosdb.chunks").fetchone()
            h_dir = _dir_bytes(helios.data_dir)
            p.execute("VACUUM ANALYZE build_metrics")
            p_bytes = p.execute("SELECT pg_total_relation_size('build_metrics')").fetchone()[0]
            n = args.events + args.insert_events
            _say(f"bytes: helios data directory {h_dir:,} ({h_dir / n:.1f} B/event; chunks {h_chunks:,} = "
                 f"{h_chunks / n:.1f} B/event, {packed} compressed), postgres table + index {p_bytes:,} "
                 f"({p_bytes / n:.1f} B/event): directory {h_dir / p_bytes:.3f}x, chunks {h_chunks / p_bytes:.3f}x "
                 "(goal <= 0.2x)")
            started, cpu = time.perf_counter(), cpu_seconds(pid)
            h.execute(CAGG)
            _say(f"helios   continuous aggregate built in {time.perf_counter() - started:,.1f} s "
                 f"(server CPU {cpu_seconds(pid) - cpu:,.1f} s)")
            duck = duckdb.connect()
            duck.execute("CREATE TABLE build_metrics AS SELECT * FROM events UNION ALL SELECT * FROM extra")
            h_cpu, p_cpu = (lambda: cpu_seconds(pid)), _backend_cpu(p)
            rollup = {
                "helios raw      ": (lambda: h.execute(ROLLUP.format(bucket="time_bucket('1 hour', time)"))
                                     .fetchall(), h_cpu),
                "helios cagg     ": (lambda: h.execute(CAGG_READ).fetchall(), h_cpu),
                "postgres        ": (lambda: p.execute(ROLLUP.format(
                    bucket="date_bin('1 hour', time, '2000-01-03 00:00+00')")).fetchall(), p_cpu),
                "duckdb          ": (lambda: duck.execute(ROLLUP.format(
                    bucket="time_bucket(INTERVAL '1 hour', time)")).fetchall(), time.process_time),
            }
            dashboard = {
                "helios cagg     ": (lambda: h.execute(DASHBOARD).fetchall(), h_cpu),
                "postgres raw    ": (lambda: p.execute(PG_DASHBOARD).fetchall(), p_cpu),
            }
            for title, queries in (("rollup, 90 days x 200 repos", rollup), ("dashboard, one repo", dashboard)):
                _say(title + ":")
                timings = {}
                for name, (action, cpu) in queries.items():
                    timings[name] = Timing(args.runs, action, cpu)
                    _say(f"  {name} {timings[name].line()}  ({len(timings[name].rows):,} rows)")
                reference = timings[next(k for k in timings if k.startswith("postgres"))]
                for name, t in timings.items():
                    if t is not reference:
                        diff = differences(t.rows, reference.rows, 2 if title.startswith("rollup") else 1)
                        _say(f"  {name} answer: {'same as PostgreSQL' if diff is None else 'DIFFERS: ' + diff}")
                ref_cpu = statistics.median(reference.cpu)
                for name, t in timings.items():
                    if t is not reference:
                        cpu_ratio = f"{statistics.median(t.cpu) / ref_cpu:.3f}x" if ref_cpu else "n/a (under a clock tick)"
                        _say(f"  {name} / postgres: wall {statistics.median(t.wall) / statistics.median(reference.wall):.3f}x,"
                             f" CPU {cpu_ratio}")
            _say("other queries over the continuous aggregate (answers checked against DuckDB over the raw events):")
            duck_hourly = ROLLUP.format(bucket="time_bucket(INTERVAL '1 hour', time)")
            for name, sql in CAGG_QUERIES.items():
                t = Timing(args.runs, lambda q=sql: h.execute(q).fetchall(), h_cpu)
                expected = duck.execute(f"WITH hourly AS ({duck_hourly}) {sql}").fetchall()
                diff = differences(t.rows, expected, 1)
                _say(f"  helios cagg {name} {t.line()}  ({len(t.rows):,} rows): "
                     f"{'same as DuckDB' if diff is None else 'DIFFERS: ' + diff}")
    finally:
        cluster.stop()
        helios.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
