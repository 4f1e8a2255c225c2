"""YCSB-style workloads A (50/50 read/update), B (95/5) and C (read only) with pymongo against
HeliosDB's MongoDB protocol, beside PostgreSQL 15 holding the same documents in a jsonb table
through psycopg; and insert_many of 1,000-document batches.

    python -m bench.mongo_ycsb [--docs N] [--seconds S] [--clients 1,8]

One ``helios serve`` (mongodb protocol) and a private PostgreSQL 15 cluster (bench.pg_cluster).
A read is ``find_one({_id})`` / ``select doc ... where id = %s``; an update sets one field
(``$set`` / ``jsonb_set``). Each client is a thread with its own connection (pymongo shares
one pooled client). Prints ops/s per workload and client count, and the ratio to PostgreSQL.
The insert figure and each workload come with the server's CPU time per document or operation
(from /proc), which moves less than wall time when other work shares the machine. Not part of
the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Callable

import psycopg
import pymongo
from helios_core.testing import start_server

from bench.pg_cluster import PgCluster

WORKLOADS = {"A": 0.5, "B": 0.95, "C": 1.0}  # share of reads


def _document(i: int) -> dict:
    return {"_id": f"user{i}", **{f"field{f}": f"v{i}-{f}-" + "x" * 80 for f in range(10)}}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run(clients: int, seconds: float, make_worker: Callable[[], Callable[[random.Random], None]]
         ) -> tuple[float, int, float]:
    """(operations per second, operations, this process's CPU seconds: the client side) of ``clients``
    threads for ``seconds``."""
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def loop(k: int) -> None:
        op = make_worker()
        rng = random.Random(k)
        n = 0
        while time.perf_counter() < stop:
            op(rng)
            n += 1
        done[k] = n

    threads = [threading.Thread(target=loop, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    cpu_started = time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - started), sum(done), time.process_time() - cpu_started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", default="1,8")
    args = parser.parse_args()
    client_counts = [int(c) for c in args.clients.split(",")]
    docs = [_document(i) for i in range(args.docs)]
    data_dir = pathlib.Path(tempfile.mkdtemp(prefix="helios-bench-mongo-"))
    helios = start_server(data_dir, only=["mongodb"])
    cluster = PgCluster.start()
    try:
        pg_dsn = f"host={cluster.host} port={cluster.port} user={cluster.user} dbname={cluster.database}"
        mongo = pymongo.MongoClient(f"mongodb://127.0.0.1:{helios.port('mongodb')}/", maxPoolSize=64)
        coll = mongo.ycsb.usertable
        coll.drop()
        cpu_before = _cpu_seconds(helios.process.pid)
        started = time.perf_counter()
        for start in range(0, len(docs), 1000):
            coll.insert_many(docs[start:start + 1000], ordered=False)
        insert_rate = len(docs) / (time.perf_counter() - started)
        insert_cpu = _cpu_seconds(helios.process.pid) - cpu_before
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            conn.execute("drop table if exists usertable")
            conn.execute("create table usertable (id text primary key, doc jsonb not null)")
            started = time.perf_counter()
            with conn.cursor().copy("copy usertable (id, doc) from stdin") as cp:
                for d in docs:
                    cp.write_row((d["_id"], json.dumps(d)))
            pg_load = len(docs) / (time.perf_counter() - started)
        print(f"{args.docs:,} documents; insert_many (1,000 per batch): {insert_rate:,.0f} docs/s, "
              f"{args.docs / max(insert_cpu, 1e-9):,.0f} docs per server CPU-second "
              f"(PostgreSQL COPY of the same jsonb: {pg_load:,.0f} rows/s)")

        def mongo_worker(read_share: float) -> Callable[[], Callable[[random.Random], None]]:
            def make() -> Callable[[random.Random], None]:
                def op(rng: random.Random) -> None:
                    key = f"user{rng.randrange(args.docs)}"
                    if rng.random() < read_share:
                        coll.find_one({"_id": key})
                    else:
                        coll.update_one({"_id": key}, {"$set": {"field0": f"u{rng.random()}"}})
                return op
            return make

        def pg_worker(read_share: float) -> Callable[[], Callable[[random.Random], None]]:
            def make() -> Callable[[random.Random], None]:
                conn = psycopg.connect(pg_dsn, autocommit=True)

                def op(rng: random.Random) -> None:
                    key = f"user{rng.randrange(args.docs)}"
                    if rng.random() < read_share:
                        conn.execute("select doc from usertable where id = %s", (key,)).fetchone()
                    else:
                        conn.execute("update usertable set doc = jsonb_set(doc, '{field0}', %s) where id = %s",
                                     (json.dumps(f"u{rng.random()}"), key))
                return op
            return make

        print(f"{'workload':<10}{'clients':>8}{'helios ops/s':>16}{'postgres ops/s':>16}{'ratio':>8}"
              f"{'helios CPU us/op':>18}{'client CPU us/op (pymongo / psycopg)':>40}")
        for name, share in WORKLOADS.items():
            for clients in client_counts:
                cpu_before = _cpu_seconds(helios.process.pid)
                ours, count, our_client = _run(clients, args.seconds, mongo_worker(share))
                cpu_per_op = (_cpu_seconds(helios.process.pid) - cpu_before) / max(count, 1) * 1e6
                theirs, their_count, their_client = _run(clients, args.seconds, pg_worker(share))
                clients_cpu = (f"{our_client / max(count, 1) * 1e6:,.0f} / "
                               f"{their_client / max(their_count, 1) * 1e6:,.0f}")
                print(f"{name:<10}{clients:>8}{ours:>16,.0f}{theirs:>16,.0f}{ours / theirs:>8.2f}{cpu_per_op:>18,.0f}"
                      f"{clients_cpu:>40}")
        mongo.close()
    finally:
        cluster.stop()
        helios.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
