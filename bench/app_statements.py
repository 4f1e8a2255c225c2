"""An application's everyday statements over the wire, HeliosDB beside PostgreSQL 15: one client,
the drivers as their docs show them (psycopg with ``%s`` parameters, asyncpg's prepared
statements), a table of the usual column types (bigint key, text, numeric(10,2), int,
timestamptz, boolean, varchar, float8), and a users table with a UNIQUE email beside an indexed
column of 300,000 rows (loaded by COPY), read and written by those columns.

    python -m bench.app_statements [--runs 2000]

Prints, per statement, the mean wall time of one execution on each system, their ratio, and
HeliosDB's server CPU per execution (from /proc: what it spent whatever else runs). Without a
PostgreSQL installation only HeliosDB's figures are printed. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import decimal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import psycopg
from helios_core.testing import start_server

from bench.process_cpu import cpu_seconds

TABLE = ("CREATE TABLE app_orders (id bigint PRIMARY KEY, name text, price numeric(10,2), qty int, "
         "created timestamptz, flag boolean, note varchar(40), score float8)")
NOW = dt.datetime(2026, 12, 7, 12, 30, 15, 250000, tzinfo=dt.UTC)
ROW = ("n", decimal.Decimal("12.50"), 3, NOW, True, "note", 2.5)
BASE = 1_000_000  # the keys of the rows the reads and updates find

# (label, SQL, parameters of execution i)
PSYCOPG: list[tuple[str, str, Callable[[int], tuple]]] = [
    ("INSERT all columns", "INSERT INTO app_orders VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
     lambda i: (i, *ROW)),
    ("INSERT two columns", "INSERT INTO app_orders (id, name) VALUES (%s, %s)", lambda i: (i, "x")),
    ("SELECT * by key", "SELECT * FROM app_orders WHERE id = %s", lambda i: (BASE + i % 500,)),
    ("SELECT * missing key", "SELECT * FROM app_orders WHERE id = %s", lambda i: (-1 - i,)),
    ("UPDATE qty by key", "UPDATE app_orders SET qty = qty + %s WHERE id = %s", lambda i: (1, BASE + i % 500)),
    ("UPDATE price by key", "UPDATE app_orders SET price = %s WHERE id = %s",
     lambda i: (decimal.Decimal("9.99"), BASE + i % 500)),
]
# a users table with a UNIQUE email and an orders-like table with an index on its user column
USERS = 30_000  # rows loaded by COPY; deletes take emails of [0, 10k), updates ids of [10k, 20k), reads [20k, 30k)
INDEXED: list[tuple[str, str, Callable[[int], tuple]]] = [
    ("INSERT, UNIQUE email", "INSERT INTO app_users VALUES (%s, %s, 'n')", lambda i: (10 * USERS + i, f"new{i}@x")),
    ("SELECT by UNIQUE email", "SELECT id, name FROM app_users WHERE email = %s",
     lambda i: (f"user{20_000 + i % 10_000}@example.com",)),
    ("SELECT by indexed column", "SELECT id, note FROM app_items WHERE user_id = %s", lambda i: (i % 3_000,)),
    ("DELETE by UNIQUE email", "DELETE FROM app_users WHERE email = %s", lambda i: (f"user{i % 10_000}@example.com",)),
    ("UPDATE email by key", "UPDATE app_users SET email = %s WHERE id = %s",
     lambda i: (f"moved{i}@x", 10_000 + i % 10_000)),
]
ASYNCPG: list[tuple[str, str, Callable[[int], tuple]]] = [
    ("asyncpg fetchrow * by key", "SELECT * FROM app_orders WHERE id = $1", lambda i: (BASE + i % 500,)),
    ("asyncpg fetchrow 2 columns", "SELECT id, name FROM app_orders WHERE id = $1", lambda i: (BASE + i % 500,)),
]


def _prepare(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS app_orders")
        c.execute(TABLE)
        with c.cursor() as cur:
            cur.executemany("INSERT INTO app_orders VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                            [(BASE + i, *ROW) for i in range(500)])
        for t in ("app_items", "app_users"):
            c.execute(f"DROP TABLE IF EXISTS {t}")
        c.execute("CREATE TABLE app_users (id bigint PRIMARY KEY, email text UNIQUE, name text)")
        c.execute("CREATE TABLE app_items (id bigint PRIMARY KEY, user_id bigint, note text)")
        c.execute("CREATE INDEX app_items_user ON app_items (user_id)")
        with c.cursor() as cur:
            with cur.copy("COPY app_users FROM STDIN") as copy:
                for i in range(USERS):
                    copy.write_row((i, f"user{i}@example.com", "name"))
            with cur.copy("COPY app_items FROM STDIN") as copy:
                for i in range(10 * USERS):
                    copy.write_row((i, i % 3_000, "note"))


def _psycopg_times(dsn: str, runs: int, cpu: Callable[[], float]) -> dict[str, tuple[float, float]]:
    out = {}
    with psycopg.connect(dsn, autocommit=True, prepare_threshold=0) as c, c.cursor() as cur:
        for k, (label, sql, args) in enumerate(PSYCOPG + INDEXED):
            key = (k + 1) * 10 * runs  # fresh keys for each INSERT shape
            for i in range(50):
                cur.execute(sql, args(key + runs + i))
            started, spent = time.perf_counter(), cpu()
            for i in range(runs):
                cur.execute(sql, args(key + i))
                if cur.description:
                    cur.fetchall()
            out[label] = ((time.perf_counter() - started) / runs, (cpu() - spent) / runs)
    return out


def _asyncpg_times(host: str, port: int, user: str, database: str, runs: int,
                   cpu: Callable[[], float]) -> dict[str, tuple[float, float]]:
    async def main() -> dict[str, tuple[float, float]]:
        conn = await asyncpg.connect(host=host, port=port, user=user, database=database)
        out = {}
        try:
            for label, sql, args in ASYNCPG:
                stmt = await conn.prepare(sql)
                for i in range(50):
                    await stmt.fetchrow(*args(i))
                started, spent = time.perf_counter(), cpu()
                for i in range(runs):
                    await stmt.fetchrow(*args(i))
                out[label] = ((time.perf_counter() - started) / runs, (cpu() - spent) / runs)
        finally:
            await conn.close()
        return out

    return asyncio.run(main())


def _measure(dsn: str, host: str, port: int, user: str, database: str, runs: int,
             cpu: Callable[[], float]) -> dict[str, tuple[float, float]]:
    _prepare(dsn)
    return {**_psycopg_times(dsn, runs, cpu), **_asyncpg_times(host, port, user, database, runs, cpu)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    args = ap.parse_args()
    results: dict[str, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), only=["postgres"])
        try:
            pid = server.process.pid
            results["helios"] = _measure(server.pg_dsn(), server.host, server.port("postgres"), "helios", "helios",
                                         args.runs, lambda: cpu_seconds(pid))
        finally:
            server.stop()
    try:
        from bench.pg_cluster import PgCluster

        cluster = PgCluster.start()
    except Exception as e:  # no PostgreSQL here: HeliosDB's figures alone
        print(f"PostgreSQL not available ({e}); HeliosDB only")
        cluster = None
    if cluster is not None:
        try:
            dsn = f"host={cluster.host} port={cluster.port} user={cluster.user} dbname={cluster.database}"
            results["postgres"] = _measure(dsn, cluster.host, cluster.port, cluster.user, cluster.database,
                                           args.runs, lambda: 0.0)
        finally:
            cluster.stop()
    print(f"{'statement':28s} {'HeliosDB µs':>12s} {'PostgreSQL µs':>14s} {'ratio':>7s} {'Helios CPU µs':>14s}")
    for label, (wall, cpu) in results["helios"].items():
        pg: Any = results.get("postgres", {}).get(label)
        pg_text = f"{pg[0] * 1e6:14.0f} {wall / pg[0]:7.2f}" if pg else f"{'-':>14s} {'-':>7s}"
        print(f"{label:28s} {wall * 1e6:12.0f} {pg_text} {cpu * 1e6:14.0f}")


if __name__ == "__main__":
    main()
