"""The table of the in-process kernel benchmarks: `rows` x 10 columns, deterministic.

Shaped like issue 3 asks (bulk insert of 10M rows x 10 columns from Arrow): an int64
primary key, integers, doubles, a date, short strings and a flag, in 100k-row batches.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

BATCH_ROWS = 100_000
SCAN_FILTER_LIMIT = 100_000  # `a < 100000` keeps about 10% of the rows
COLUMNS = [("id", "bigint"), ("a", "bigint"), ("b", "bigint"), ("c", "integer"), ("d", "double precision"),
           ("e", "double precision"), ("f", "date"), ("g", "text"), ("h", "text"), ("i", "boolean")]
SCAN_SQL = f"SELECT sum(d) AS s, count(*) AS n FROM {{table}} WHERE a < {SCAN_FILTER_LIMIT}"


def kernel_batches(rows: int) -> list[pa.RecordBatch]:
    rng = np.random.default_rng(7)
    words = pa.array([f"w{i:04d}" for i in range(1000)])
    batches = []
    for start in range(0, rows, BATCH_ROWS):
        n = min(BATCH_ROWS, rows - start)
        batches.append(pa.RecordBatch.from_pydict({
            "id": pa.array(np.arange(start, start + n, dtype=np.int64)),
            "a": pa.array(rng.integers(0, 1_000_000, n)),
            "b": pa.array(rng.integers(-10**12, 10**12, n)),
            "c": pa.array(rng.integers(0, 1000, n).astype(np.int32)),
            "d": pa.array(rng.random(n) * 1000.0),
            "e": pa.array(rng.normal(size=n)),
            "f": pa.array(rng.integers(8000, 20000, n).astype(np.int32), pa.date32()),
            "g": words.take(pa.array(rng.integers(0, 1000, n))),
            "h": words.take(pa.array(rng.integers(0, 1000, n))),
            "i": pa.array(rng.random(n) < 0.5),
        }))
    return batches


def lookup_keys(rows: int, count: int) -> list[int]:
    rng = np.random.default_rng(11)
    return [int(k) for k in rng.integers(0, rows, count)]
