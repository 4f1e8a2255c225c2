"""Transaction pooling under many clients: N psycopg clients at once over a few engine sessions.

    python -m bench.pooling --clients 5000 --pool-size 50

Starts ``helios serve`` with ``pool_mode = "transaction"``, opens every client concurrently
(asyncio), each runs a short mixed workload (a transaction with an INSERT and a primary-key
SELECT, then an autocommit UPDATE and SELECT) while all stay connected, and reports the wall
time, errors, clients per second and the most engine sessions pg_stat_activity showed.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

import psycopg
from helios_core.testing import start_server


async def _client(dsn: str, i: int, hold: float) -> None:
    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
    try:
        async with conn.transaction():
            await conn.execute("insert into bench_pool values (%s, %s)", (i, "new"))
            assert await (await conn.execute("select v from bench_pool where id = %s", (i,))).fetchone() == ("new",)
        await conn.execute("update bench_pool set v = 'done' where id = %s", (i,))
        await asyncio.sleep(hold)
        assert await (await conn.execute("select v from bench_pool where id = %s", (i,))).fetchone() == ("done",)
    finally:
        await conn.close()


async def _watch_sessions(dsn: str, most: list[int], stop: asyncio.Event) -> None:
    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
    try:
        while not stop.is_set():
            cur = await conn.execute("select count(*) from pg_stat_activity where protocol = 'postgres'")
            most[0] = max(most[0], (await cur.fetchone())[0])
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def _run(dsn: str, clients: int, hold: float) -> tuple[float, list[BaseException], int]:
    most, stop = [0], asyncio.Event()
    watcher = asyncio.create_task(_watch_sessions(dsn, most, stop))
    started = time.monotonic()
    results = await asyncio.gather(*(_client(dsn, i, hold) for i in range(clients)), return_exceptions=True)
    elapsed = time.monotonic() - started
    stop.set()
    await watcher
    return elapsed, [r for r in results if isinstance(r, BaseException)], most[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--pool-size", type=int, default=50)
    parser.add_argument("--hold", type=float, default=1.0, help="seconds each client stays connected")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4 * args.clients + 1024), hard))
    workdir = Path(tempfile.mkdtemp(prefix="helios-bench-pool-"))
    server = start_server(workdir, {"protocols": {"postgres": {
        "pool_mode": "transaction", "pool_size": args.pool_size, "max_client_conn": args.clients + 100}}},
        only=["postgres"])
    try:
        with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
            conn.execute("create table bench_pool (id int primary key, v text)")
        elapsed, errors, most = asyncio.run(_run(server.pg_dsn(), args.clients, args.hold))
        print(f"clients={args.clients} pool_size={args.pool_size} wall={elapsed:.1f}s "
              f"clients/s={args.clients / elapsed:.0f} errors={len(errors)} most_engine_sessions={most}")
        for e in errors[:5]:
            print(" ", type(e).__name__, e)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
