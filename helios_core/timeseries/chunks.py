"""The time chunks of a time-series table: rows grouped by floor(time / chunk_interval).

Chunk metadata is computed from the rows (one vectorized pass over the time column), so it
is always that of the reader's snapshot and branch. A chunk the compression job packed
(helios_core.storage.packed) reports its segment's bytes, its codec and its tier; any other
chunk's bytes are its share of the table's Arrow bytes. Chunks are aligned on the Unix epoch,
so a retention boundary at a chunk's start removes whole chunks only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import numpy as np
import pyarrow as pa

from helios_core.storage.packed import PackedSource, name_info
from helios_core.timeseries.durations import USEC_PER_DAY, duration_usec

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@attrs.define
class Chunk:
    index: int  # floor(time / interval)
    range_start: int  # microseconds since the epoch
    range_end: int
    rows: int
    bytes: int
    compressed: bool = False
    tier: str = "hot"


def time_usec(arr: pa.Array) -> np.ndarray:
    """Microseconds since the epoch of a timestamp or date column (NULLs dropped)."""
    arr = arr.drop_null() if arr.null_count else arr
    if pa.types.is_date32(arr.type):
        return arr.cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64) * USEC_PER_DAY
    if pa.types.is_timestamp(arr.type):
        unit = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 0}[arr.type.unit]
        ints = arr.cast(pa.int64()).to_numpy(zero_copy_only=False)
        return ints // 1000 if unit == 0 else ints * unit
    raise TypeError(f"not a time column: {arr.type}")


def usec_to_datetime(usec: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=int(usec))


def table_chunks(txn: Any, tdef: Any, record: dict) -> list[Chunk]:
    """The chunks holding rows of the table in ``txn``'s snapshot, oldest first."""
    interval = duration_usec(record["chunk_interval"], "chunk_interval")
    counts: dict[int, int] = {}
    total_bytes = 0
    total_rows = 0
    for batch in txn.scan(tdef.schema, tdef.name):
        total_bytes += batch.nbytes
        total_rows += batch.num_rows
        if not batch.num_rows:
            continue
        times = time_usec(batch.column(record["time_column"]))
        idx, n = np.unique(np.floor_divide(times, interval), return_counts=True)
        for i, c in zip(idx.tolist(), n.tolist(), strict=True):
            counts[i] = counts.get(i, 0) + c
    per_row = total_bytes / total_rows if total_rows else 0
    packed = packed_parts(txn, tdef)
    out = []
    for i, c in sorted(counts.items()):
        p = packed.get(i)
        if p is None:
            out.append(Chunk(i, i * interval, (i + 1) * interval, c, round(c * per_row)))
        else:
            out.append(Chunk(i, i * interval, (i + 1) * interval, c, p[0], p[1], p[2]))
    return out


def packed_parts(txn: Any, tdef: Any) -> dict[int, tuple[int, bool, str]]:
    """Time chunk -> (segment bytes, compressed, tier) of the packed chunks the reader's branch
    sees (its own and its ancestors')."""
    out: dict[int, tuple[int, bool, str]] = {}
    branch = txn._branch
    while branch is not None:
        layer = branch.layers.get(tdef.data_id)
        for ch in list(layer.chunks.values()) if layer is not None else []:
            if ch.part is None:
                continue
            name = ch.segment or getattr(ch.source, "name", "")
            info = name_info(name)
            size, compressed = _segment_bytes(txn.store, ch), info is not None and info[1] is not None
            if ch.part in out:  # late rows packed after the chunk moved to another tier: a second one
                had = out[ch.part]
                size, compressed = size + had[0], compressed and had[1]
            out[ch.part] = (size, compressed, ch.tier)
        branch = branch.parent
    return out


def _segment_bytes(store: Any, ch: Any) -> int:
    source = ch.source
    if isinstance(source, PackedSource):
        return len(memoryview(source.open_buffer()))
    if source is not None:
        return int(source.size)
    try:
        return int(store.tiers.get(ch.tier).size(ch.segment))
    except (OSError, AttributeError):
        return ch.data.nbytes


def chunk_name(table: str, chunk: Chunk) -> str:
    start = usec_to_datetime(chunk.range_start)
    return f"_{table}_chunk_{start:%Y%m%d_%H%M%S}"


def boundary_before(now_usec: int, age_usec: int, interval_usec: int) -> int:
    """Start of the chunk holding ``now - age``: rows before it lie in chunks wholly older than ``age``."""
    return (now_usec - age_usec) // interval_usec * interval_usec
