"""ClickBench-style queries and TPC-H Q1/Q6 over ClickHouse's native protocol, beside chdb and PostgreSQL.

    python -m bench.clickhouse_queries [--scale 0.1] [--runs 3]

The same TPC-H-shaped lineitem (bench.datagen, cached as Parquet) is loaded into one
``helios serve`` (through COPY over its PostgreSQL port, then read through clickhouse-driver
on its native port), a private PostgreSQL 15 cluster (psycopg, then ANALYZE) and chdb,
ClickHouse's engine in-process (a MergeTree table filled from the Parquet file). Each query
runs once to warm up, then ``--runs`` times per system; the answers are compared (numbers
within 1e-6 relative) and a wrong answer is reported instead of a time. Prints median
milliseconds and the ratios the goals are stated in: PostgreSQL ÷ HeliosDB (goal ≥ 5) and
HeliosDB ÷ chdb (goal ≤ 3). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import decimal
import json
import pathlib
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import chdb.session
import psycopg
from clickhouse_driver import Client
from helios_core.testing import start_server

from bench.datagen import cache_dir, load_tables
from bench.pg_cluster import PgCluster
from bench.pgwire import copy_text_chunks, create_table_sql
from bench.queries import CLICKBENCH, TPCH

QUERIES = {"Q1": TPCH["Q1"], "Q6": TPCH["Q6"], **CLICKBENCH}


def _load_pg(conn: psycopg.Connection, chunks: list[bytes]) -> None:
    conn.execute("DROP TABLE IF EXISTS lineitem")
    conn.execute(create_table_sql("lineitem"))
    with conn.cursor().copy("COPY lineitem FROM STDIN") as copy:
        for chunk in chunks:
            copy.write(chunk)


def _number(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int | float | decimal.Decimal):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return v.rstrip()  # char(n) padding aside
    return str(v)


def _same(a: list[tuple], b: list[tuple]) -> bool:
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b, strict=True):
        for x, y in zip(map(_number, ra), map(_number, rb), strict=True):
            if isinstance(x, float) and isinstance(y, float):
                if abs(x - y) > 1e-6 * max(1.0, abs(x), abs(y)):
                    return False
            elif x != y:
                return False
    return True


def _timed(runs: int, action: Callable[[], list[tuple]]) -> tuple[float, list[tuple]]:
    answer = action()  # warm-up
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    lineitem = load_tables(args.scale)["lineitem"]
    chunks = copy_text_chunks(lineitem)
    parquet = cache_dir(args.scale) / "lineitem.parquet"
    helios = start_server(pathlib.Path(tempfile.mkdtemp(prefix="helios-bench-chq-")), only=["clickhouse", "postgres"])
    cluster = PgCluster.start()
    chdb_dir = tempfile.mkdtemp(prefix="helios-bench-chdb-")
    try:
        pg_dsn = f"host={cluster.host} port={cluster.port} user={cluster.user} dbname={cluster.database}"
        with psycopg.connect(helios.pg_dsn(), autocommit=True) as hconn, \
                psycopg.connect(pg_dsn, autocommit=True) as pconn:
            started = time.perf_counter()
            _load_pg(hconn, chunks)
            hconn.execute("CHECKPOINT")  # the load's segments merged before timing (PostgreSQL: ANALYZE)
            print(f"lineitem: {lineitem.num_rows:,} rows; HeliosDB load {time.perf_counter() - started:.1f} s")
            _load_pg(pconn, chunks)
            pconn.execute("ANALYZE lineitem")
            session = chdb.session.Session(chdb_dir)
            session.query(f"CREATE TABLE lineitem ENGINE = MergeTree ORDER BY tuple() AS "
                          f"SELECT * FROM file('{parquet}', Parquet)")
            # its parts merged now, not by background merges while the others' queries are timed
            session.query("OPTIMIZE TABLE lineitem FINAL")
            client = Client("127.0.0.1", port=helios.port("clickhouse"), send_receive_timeout=600)

            def chdb_rows(sql: str) -> list[tuple]:
                out = json.loads(session.query(sql, "JSONCompact").bytes() or b'{"data": []}')
                return [tuple(r) for r in out["data"]]

            print(f"{args.runs} runs after a warm-up; median ms")
            print(f"{'query':<20}{'helios (native)':>16}{'chdb':>10}{'postgres':>10}{'pg/helios':>11}"
                  f"{'helios/chdb':>13}")
            for name, sql in QUERIES.items():
                text = " ".join(sql.split())
                h_ms, h_rows = _timed(args.runs, lambda t=text: client.execute(t))
                c_ms, c_rows = _timed(args.runs, lambda t=text: chdb_rows(t))
                p_ms, p_rows = _timed(args.runs, lambda t=text: pconn.execute(t).fetchall())
                verdict = "" if _same(h_rows, p_rows) and _same(h_rows, c_rows) else \
                    "  WRONG ANSWER (differs from " + ("PostgreSQL" if not _same(h_rows, p_rows) else "chdb") + ")"
                print(f"{name:<20}{h_ms:>16.1f}{c_ms:>10.1f}{p_ms:>10.1f}{p_ms / h_ms:>11.2f}{h_ms / c_ms:>13.2f}"
                      f"{verdict}")
    finally:
        cluster.stop()
        helios.stop()


if __name__ == "__main__":
    main()
