"""INSERT of 1M rows in native blocks (clickhouse-driver) beside COPY FROM STDIN (psycopg).

    python -m bench.clickhouse_native_insert [--rows N] [--runs N] [--block N]

One ``helios serve`` with the ClickHouse and PostgreSQL protocols and a private PostgreSQL 15
cluster (bench.pg_cluster); the same rows (id bigint, amount double precision, name text, at
timestamp) go into a fresh table per run: through the native protocol in blocks of ``--block``
rows (columnar Python lists, lz4 off and on; and a pandas DataFrame sent with the driver's
``use_numpy``, the way its documentation gives for large inserts), and as pre-encoded COPY text
into HeliosDB and PostgreSQL.
Prints rows/s, median [min-max] of the runs, and rows per CPU-second of the server process (of
the PostgreSQL backend that ran the COPY) which a loaded machine's wall clock does not blur.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import statistics
import tempfile
import time
from collections.abc import Callable

import psycopg
from clickhouse_driver import Client
from helios_core.testing import start_server

from bench.pg_cluster import PgCluster

COLUMNS = "id bigint, amount double precision, name text, at timestamp"


def _rows(n: int) -> tuple[list, bytes]:
    base = dt.datetime(2024, 1, 1)
    columns = [list(range(n)), [i * 0.25 for i in range(n)], [f"user-{i % 1000}" for i in range(n)],
               [base + dt.timedelta(seconds=i) for i in range(n)]]
    text = "".join(f"{i}\t{a}\t{s}\t{t:%Y-%m-%d %H:%M:%S}\n" for i, a, s, t in zip(*columns, strict=True))
    return columns, text.encode()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (from /proc): what a server spent, whatever the
    machine's load did to the wall clock."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(runs: int, prepare: Callable[[], None], action: Callable[[], None], n: int, server_pid: int) -> str:
    rates, cpu_rates = [], []
    for _ in range(runs + 1):  # the first is a warm-up
        prepare()
        cpu = _cpu_seconds(server_pid)
        started = time.perf_counter()
        action()
        rates.append(n / (time.perf_counter() - started))
        cpu_rates.append(n / max(_cpu_seconds(server_pid) - cpu, 0.01))
    rates, cpu_rates = rates[1:], cpu_rates[1:]
    return (f"{statistics.median(rates):>12,.0f} rows/s  [{min(rates):,.0f}-{max(rates):,.0f}]"
            f"  server: {statistics.median(cpu_rates):>11,.0f} rows per CPU-second")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--block", type=int, default=100_000)
    args = parser.parse_args()
    columns, copy_text = _rows(args.rows)
    helios = start_server(pathlib.Path(tempfile.mkdtemp(prefix="helios-bench-ch-")), only=["clickhouse", "postgres"])
    cluster = PgCluster.start()
    try:
        pg_dsn = f"host={cluster.host} port={cluster.port} user={cluster.user} dbname={cluster.database}"
        with psycopg.connect(helios.pg_dsn(), autocommit=True) as hconn, \
                psycopg.connect(pg_dsn, autocommit=True) as pconn:

            def fresh(conn: psycopg.Connection) -> Callable[[], None]:
                def prepare() -> None:
                    conn.execute("drop table if exists ingest")
                    conn.execute(f"create table ingest ({COLUMNS})")
                    conn.execute("checkpoint")  # the last run's rows written out before this one is timed
                return prepare

            def copy(conn: psycopg.Connection) -> Callable[[], None]:
                def action() -> None:
                    with conn.cursor().copy("copy ingest from stdin") as cp:
                        for start in range(0, len(copy_text), 1 << 20):
                            cp.write(copy_text[start:start + (1 << 20)])
                return action

            def native(compression: str | bool) -> Callable[[], None]:
                client = Client("127.0.0.1", port=helios.port("clickhouse"), compression=compression,
                                settings={"insert_block_size": args.block})

                def action() -> None:
                    client.execute("INSERT INTO ingest (id, amount, name, at) VALUES", columns, columnar=True)
                return action

            def native_numpy() -> Callable[[], None]:
                import numpy as np
                import pandas as pd

                client = Client("127.0.0.1", port=helios.port("clickhouse"),
                                settings={"insert_block_size": args.block, "use_numpy": True})
                frame = pd.DataFrame({"id": np.asarray(columns[0], dtype=np.int64),
                                      "amount": np.asarray(columns[1], dtype=np.float64),
                                      "name": np.asarray(columns[2], dtype=object),
                                      "at": np.asarray(columns[3], dtype="datetime64[s]")})

                def action() -> None:
                    client.insert_dataframe("INSERT INTO ingest (id, amount, name, at) VALUES", frame)
                return action

            print(f"{args.rows:,} rows, {args.runs} runs (+1 warm-up), native blocks of {args.block:,} rows")
            helios_pid = helios.process.pid
            backend_pid = pconn.execute("select pg_backend_pid()").fetchone()[0]
            print("helios   native INSERT        ",
                  _timed(args.runs, fresh(hconn), native(False), args.rows, helios_pid))
            print("helios   native INSERT (lz4)  ",
                  _timed(args.runs, fresh(hconn), native("lz4"), args.rows, helios_pid))
            print("helios   native INSERT, numpy ",
                  _timed(args.runs, fresh(hconn), native_numpy(), args.rows, helios_pid))
            print("helios   COPY FROM STDIN      ", _timed(args.runs, fresh(hconn), copy(hconn), args.rows, helios_pid))
            print("postgres COPY FROM STDIN      ", _timed(args.runs, fresh(pconn), copy(pconn), args.rows, backend_pid))
    finally:
        cluster.stop()
        helios.stop()


if __name__ == "__main__":
    main()
