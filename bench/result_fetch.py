"""Fetching a large stored result: a 432,000-row table of the time-series rollup's shape (hour,
repo, count, two doubles, count) read whole by psycopg in text and binary and by asyncpg (always
binary), from ``helios serve`` and from a private PostgreSQL 15 cluster: median [min-max] wall ms
of ``--runs`` runs after a warm-up, and HeliosDB / PostgreSQL.

    python -m bench.result_fetch [--runs 5]

It bounds what any server can give a client for such a read (issue 18's continuous aggregate
read as a whole) and shows what HeliosDB's DataRow encoding costs beside PostgreSQL's.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import psycopg
from helios_core.testing import start_server

from bench.pg_cluster import PgCluster

TABLE = ("CREATE TABLE rollup AS SELECT timestamptz '2024-01-01 00:00+00' + h * interval '1 hour' AS hour, "
         "repo AS repo_id, (h * 7 + repo) % 97 AS builds, ((h * 13 + repo) % 1000) / 7.0::float8 AS avg_ms, "
         "((h * 17 + repo) % 2000) / 3.0::float8 AS p95_ms, (h + repo) % 5 AS failures "
         "FROM generate_series(0, 2159) h, generate_series(1, 200) repo")
QUERY = "SELECT * FROM rollup WHERE hour >= '2024-01-01 00:00+00' AND hour < '2024-03-31 00:00+00'"


def _timed(runs: int, action: Callable[[], int]) -> tuple[list[float], int]:
    rows = action()  # warm-up
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        rows = action()
        walls.append((time.perf_counter() - started) * 1000)
    return walls, rows


def _asyncpg_rows(url: str) -> int:
    async def fetch() -> int:
        conn = await asyncpg.connect(url)
        try:
            return len(await conn.fetch(QUERY))
        finally:
            await conn.close()

    return asyncio.run(fetch())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="helios-bench-fetch-"))
    helios = start_server(workdir, only=["postgres"])
    cluster = PgCluster.start()
    try:
        pg_dsn = f"host={cluster.host} port={cluster.port} user={cluster.user} dbname={cluster.database}"
        targets = {"helios": (helios.pg_dsn(), f"postgresql://helios@127.0.0.1:{helios.port('postgres')}/helios"),
                   "postgres": (pg_dsn, f"postgresql://{cluster.user}@{cluster.host}:{cluster.port}/{cluster.database}")}
        medians: dict[tuple[str, str], float] = {}
        for name, (dsn, url) in targets.items():
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(TABLE)
                ways: dict[str, Callable[[], int]] = {
                    "psycopg text": lambda c=conn: len(c.execute(QUERY).fetchall()),
                    "psycopg binary": lambda c=conn: len(c.cursor(binary=True).execute(QUERY).fetchall()),
                    "asyncpg": lambda u=url: _asyncpg_rows(u),
                }
                for way, action in ways.items():
                    walls, rows = _timed(args.runs, action)
                    medians[(name, way)] = statistics.median(walls)
                    print(f"{name:<9} {way:<15} {rows:,} rows {statistics.median(walls):>8,.0f} ms "
                          f"[{min(walls):,.0f}-{max(walls):,.0f}]", flush=True)
        for way in ("psycopg text", "psycopg binary", "asyncpg"):
            print(f"helios / postgres, {way}: {medians[('helios', way)] / medians[('postgres', way)]:.2f}x")
    finally:
        cluster.stop()
        helios.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
