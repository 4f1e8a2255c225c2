"""How a chunk holds its hot segment: mapped zero-copy, or, compressed, decoded on demand.

An uncompressed segment file is mapped and its rows are read in place (the page cache holds
them, not the process). A compressed one cannot be mapped that way: decoding it whole when it
is written or opened would keep every compressed table in memory twice over its file. Its
chunk keeps only its row ids, key columns and stamps; scans decode the columns they need
through the tiers' size-limited cache (``packed.PackedSource``), as they read packed chunks.
Either way the file is mapped once, when the chunk takes it: a file the checkpoint deletes after a
merge stays readable by the statements still holding the chunks it replaced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from helios_core.storage.packed import PackedSource
from helios_core.storage.segments import CODEC_KEY, CREATED, decode_segment, segment_summary
from helios_core.storage.versions import ROWID, Chunk

if TYPE_CHECKING:  # pragma: no cover
    from helios_core.storage.store import Store


def set_index_data(ch: Chunk, index: pa.RecordBatch, pk_cols: tuple[str, ...]) -> None:
    """Keep a chunk's row ids and key columns in memory (copied: no mapping of a freed file)."""
    index = pa.RecordBatch.from_arrays([pa.concat_arrays([c, c.slice(0, 0)]) for c in index.columns],
                                       names=index.schema.names)
    ch.index_data = index
    ch.rowids_np = np.array(index.column(ROWID).to_numpy(), dtype=np.int64)
    ch.key_arrays = [index.column(c) for c in pk_cols] if pk_cols else None


def _source(store: Store, name: str) -> PackedSource:
    """Reads of a compressed segment through a mapping opened now and kept with the chunk: a
    statement that took this chunk before a merge replaced it reads it after the checkpoint has
    deleted the file (its blocks stay allocated until the last such chunk is dropped)."""
    mapped = store.tier.open(name)
    return PackedSource(store.tiers, name, lambda: mapped)


def settle_written(store: Store, ch: Chunk, name: str, buf: pa.Buffer, pk_cols: tuple[str, ...]) -> None:
    """``ch``'s rows were just written as segment ``name`` (file contents ``buf``): read them from
    there from now on. The caller makes the change visible (holds the store lock if ``ch`` is shared)."""
    meta = pa.ipc.open_file(pa.BufferReader(buf)).schema.metadata or {}
    stats, bloom = segment_summary(meta)
    if CODEC_KEY not in meta:
        data, created, stats, bloom = decode_segment(store.tier.open(name))
        ch.data = data
        if isinstance(ch.created, int) and not isinstance(created, int):
            ch.created = created
    else:
        data = ch.data
        set_index_data(ch, data.select([ROWID, *pk_cols]), pk_cols)
        ch.make_remote(_source(store, name), ch.tier)
    ch.stats, ch.bloom = stats, bloom
    ch.segment = name
    ch.spill = None


def open_segment(store: Store, chunk_id: int, name: str, pk_cols: tuple[str, ...]) -> Chunk:
    """A hot segment opened at recovery: mapped, or (compressed) with only its index columns decoded."""
    buf = store.tier.open(name)
    meta = pa.ipc.open_file(pa.BufferReader(buf)).schema.metadata or {}
    if CODEC_KEY not in meta:
        data, created, stats, bloom = decode_segment(buf)
        ch = Chunk(chunk_id, data, created)
    else:
        source = _source(store, name)
        index = source.fetch([ROWID, CREATED, *pk_cols])
        stats, bloom = segment_summary(index.schema.metadata)
        created_np = np.array(index.column(CREATED).to_numpy(), dtype=np.int64)
        created: int | np.ndarray = int(created_np[0]) if len(created_np) and \
            created_np.min() == created_np.max() else created_np
        ch = Chunk(chunk_id, None, created, source=source, num_rows=index.num_rows)
        set_index_data(ch, index.select([ROWID, *pk_cols]), pk_cols)
    ch.stats, ch.bloom = stats, bloom
    ch.segment = name
    return ch
