"""Packed chunks: the rows of one time chunk of a table, sorted, in a segment of their own.

Time-series tables (helios_core.timeseries) ask the store to *pack* the rows of a time chunk
(``floor(time / interval)``) once it is old enough: the rows are sorted by the given columns
(the partition key, then the time) and written as one segment with every column buffer
zstd-compressed and the chosen string columns dictionary-encoded (codec ``zstd``), or as a
plain Arrow file (codec ``None``). The segment's name records its time chunk and codec::

    <branch_id>/<data_id>/<chunk_id>.t<time chunk>.<zstd|plain>.arrow

A compressed segment cannot be read zero-copy, so a packed chunk is not resident: a scan
decodes only the columns it needs, through the tiers' LRU cache (and their read-ahead
threads), exactly as it reads a segment kept on a remote tier. Dictionary columns come back
as plain columns, so the rest of the engine never sees the file's encoding.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.storage.segments import CREATED, encode_segment, plain_batch, segment_summary
from helios_core.storage.tiering import CachedColumnReads
from helios_core.storage.versions import ROWID, Chunk

if TYPE_CHECKING:  # pragma: no cover
    from helios_core.storage.layer import Layer
    from helios_core.storage.store import Store

_NAME = re.compile(r"\.t(-?\d+)\.(zstd|plain)\.arrow$")
AUTO_DICTIONARY_SHARE = 0.5  # "auto": a string column with at most this share of distinct values


@attrs.frozen
class PackSpec:
    """How a table's time chunks are packed (physical column names ``c<col_id>``).

    ``interval``: the chunk width in microseconds; ``sort``: the sort columns, in order;
    ``codec``: "zstd" or None (plain Arrow); ``dictionary``: columns always dictionary-encoded;
    ``auto_dictionary``: also every string column with few distinct values.
    """

    time_column: str
    interval: int
    sort: tuple[str, ...]
    codec: str | None = "zstd"
    dictionary: tuple[str, ...] = ()
    auto_dictionary: bool = False

    def part_of(self, column: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """The time chunk of each row (int64; NULL times get the largest value: never packed)."""
        arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        if pa.types.is_date32(arr.type):
            usec = arr.cast(pa.int32()).cast(pa.int64()).fill_null(0).to_numpy() * 86_400_000_000
        else:
            usec = arr.cast(pa.int64()).fill_null(0).to_numpy()
        part = np.floor_divide(usec, self.interval)
        if arr.null_count:
            part[np.asarray(arr.is_null())] = np.iinfo(np.int64).max
        return part


def packed_name(layer: Layer, chunk_id: int, part: int, codec: str | None) -> str:
    return f"{layer.branch.branch_id}/{layer.data_id}/{chunk_id:012d}.t{part}.{codec or 'plain'}.arrow"


def name_info(name: str) -> tuple[int, str | None] | None:
    """(time chunk, codec) of a packed segment's name; None for any other segment."""
    m = _NAME.search(name)
    if m is None:
        return None
    return int(m.group(1)), None if m.group(2) == "plain" else m.group(2)


def _dictionary_columns(data: pa.RecordBatch, spec: PackSpec) -> list[str]:
    out = [c for c in spec.dictionary if c in data.schema.names]
    if spec.auto_dictionary and data.num_rows:
        for name, col in zip(data.schema.names, data.columns, strict=True):
            if name in out or not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
                continue
            if pc.count_distinct(col).as_py() <= AUTO_DICTIONARY_SHARE * data.num_rows:
                out.append(name)
    return out


def encode_packed(ch: Chunk, pk_cols: tuple[str, ...], spec: PackSpec) -> tuple[pa.Buffer, dict[str, Any], Any]:
    """The segment file of a packed chunk, its statistics and key bloom (as any segment's)."""
    dictionary = [] if spec.codec is None else _dictionary_columns(ch.data, spec)
    return encode_segment(ch, pk_cols, compression=spec.codec, dictionary=dictionary)


class PackedSource(CachedColumnReads):
    """Reads of a packed segment: the named columns decoded (and cached) on demand.

    The same interface as tiering.RemoteSegment (``key``, ``read``, ``load``), so scans read
    it ahead in the tiers' threads; ``open_buffer`` gives the file (an mmap of the hot tier).
    """

    __slots__ = ("_schema", "name", "open_buffer", "tiers")

    def __init__(self, tiers: Any, name: str, open_buffer: Callable[[], pa.Buffer]) -> None:
        self.tiers, self.name, self.open_buffer = tiers, name, open_buffer
        self._schema: pa.Schema | None = None

    def key(self, columns: list[str] | None) -> tuple[str, str, tuple[str, ...] | None]:
        return "packed", self.name, None if columns is None else tuple(sorted({*columns, ROWID}))

    def fetch(self, columns: list[str] | None) -> pa.RecordBatch:
        """The decoded columns (all when None), schema metadata kept."""
        buf = self.open_buffer()
        reader = pa.ipc.open_file(pa.BufferReader(buf))
        if columns is not None:
            wanted = [i for i, n in enumerate(reader.schema.names) if n in columns]
            reader = pa.ipc.open_file(pa.BufferReader(buf), options=pa.ipc.IpcReadOptions(included_fields=wanted))
        if reader.num_record_batches == 1:
            batch = reader.get_batch(0)
        else:
            batch = reader.read_all().combine_chunks().to_batches()[0]
        return plain_batch(batch).replace_schema_metadata(reader.schema.metadata)

    def schema(self) -> pa.Schema:
        """The schema ``read`` gives (no stamps, dictionary columns plain), from the file's footer
        (read once: the file never changes)."""
        if self._schema is None:
            schema = pa.ipc.open_file(pa.BufferReader(self.open_buffer())).schema
            fields = [pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
                      for f in schema if f.name != CREATED]
            self._schema = pa.schema(fields)
        return self._schema

    def forget(self) -> None:
        self.tiers.cache.forget(lambda k: k[0] == "packed" and k[1] == self.name)


def packed_chunk(store: Store, chunk_id: int, name: str, part: int, open_buffer: Callable[[], pa.Buffer],
                 pk_cols: tuple[str, ...]) -> Chunk:
    """A packed chunk read lazily: only its stamps, row ids and key columns are decoded now."""
    source = PackedSource(store.tiers, name, open_buffer)
    index = source.fetch([ROWID, CREATED, *pk_cols])
    stats, bloom = segment_summary(index.schema.metadata)
    created_np = np.array(index.column(CREATED).to_numpy(), dtype=np.int64)
    created: int | np.ndarray = int(created_np[0]) if len(created_np) and created_np.min() == created_np.max() \
        else created_np
    ch = Chunk(chunk_id, None, created, source=source, num_rows=index.num_rows)
    ch.stats, ch.bloom, ch.part = stats, bloom, part
    ch.rowids_np = np.array(index.column(ROWID).to_numpy(), dtype=np.int64)
    ch.key_arrays = [index.column(c) for c in pk_cols] if pk_cols else None
    return ch
