"""Server CPU for sending a large text-format result over the PostgreSQL protocol (a
generate_series of ~400k rows with a timestamp and a few columns, fetched with psycopg):
what the DataRow encoding costs, measured on the server process whatever else runs.

    python -m bench.pg_text_rows [--rows 432000] [--runs 3]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import psycopg
from helios_core.testing import start_server

from bench.process_cpu import cpu_seconds

QUERY = ("select i, i * 2.5 as x, 'name ' || i as s, (i % 2 = 0) as flag, "
         "timestamp '2024-01-01' + i * interval '1 second' as ts "
         "from generate_series(1, {rows}) as g(i)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=432_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), only=["postgres"])
        try:
            with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
                for run in range(args.runs):
                    before = cpu_seconds(server.process.pid)
                    rows = conn.execute(QUERY.format(rows=args.rows)).fetchall()
                    spent = cpu_seconds(server.process.pid) - before
                    print(f"run {run + 1}: {len(rows)} rows, server CPU {spent:.2f} s")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
