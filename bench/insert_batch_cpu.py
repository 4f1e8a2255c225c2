"""CPU of one 1,000-row literal INSERT batch on the embedded engine (no protocol, no other session).

    python -m bench.insert_batch_cpu [--batches N] [--floats repr|uniform|tenths] [--plain] [--data-dir DIR]

The batches bench.timeseries_ingest sends (``INSERT INTO build_metrics VALUES ('<iso time>', repo,
duration, 'status'), ...``) into a CREATE TIMESERIES TABLE (``--plain``: an ordinary table), run
on ``helios_core.connect()``; durations as Python writes a float (``repr``: up to 17 significant
digits, from bench.timeseries's gamma distribution; ``uniform``: uniform in [0, 1000), so some
have more decimals than a numeric's storage scale) or rounded to tenths (bench.timeseries's events). Prints thread CPU ms per batch after
three warm-up batches (the first one prepares the shape), and the process's CPU (with the
checkpointer and the time-series jobs): the engine's share of what a server spends per batch. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time

import helios_core

DDL = ("CREATE {kind} build_metrics (time timestamptz NOT NULL, repo_id int NOT NULL, "
       "duration_ms double precision, status text){options}")
TIMESERIES_OPTIONS = " WITH (partition_by = 'repo_id', chunk_interval = '1d')"


def batches(n: int, floats: str, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    out = []
    for _ in range(n):
        rows = []
        for _ in range(1000):
            t = start + dt.timedelta(seconds=rng.randrange(90 * 86400), microseconds=rng.randrange(1_000_000))
            d = rng.random() * 1000 if floats == "uniform" else rng.gammavariate(2.0, 30_000.0)
            duration = f"{d:.1f}" if floats == "tenths" else repr(d)
            rows.append(f"('{t.isoformat()}', {rng.randrange(200)}, {duration}, "
                        f"'{'failed' if rng.random() < 0.07 else 'ok'}')")
        out.append("INSERT INTO build_metrics VALUES " + ",".join(rows))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--floats", choices=("repr", "uniform", "tenths"), default="repr")
    parser.add_argument("--plain", action="store_true", help="an ordinary table, not a time-series one")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    session = helios_core.connect(args.data_dir or tempfile.mkdtemp(prefix="helios-bench-insert-"))
    session.execute(DDL.format(kind="TABLE" if args.plain else "TIMESERIES TABLE",
                               options="" if args.plain else TIMESERIES_OPTIONS))
    statements = batches(args.batches + 3, args.floats)
    for sql in statements[:3]:
        session.execute(sql)
    cpu, process, wall = time.thread_time(), time.process_time(), time.perf_counter()
    for sql in statements[3:]:
        session.execute(sql)
    cpu, process, wall = time.thread_time() - cpu, time.process_time() - process, time.perf_counter() - wall
    print(f"{args.batches} batches of 1,000 rows ({args.floats} floats, "
          f"{'plain' if args.plain else 'time-series'} table): {cpu * 1000 / args.batches:.2f} ms CPU "
          f"({process * 1000 / args.batches:.2f} with the engine's background threads), "
          f"{wall * 1000 / args.batches:.2f} ms wall per batch")
    session.close()


if __name__ == "__main__":
    main()
