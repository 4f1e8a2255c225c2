"""Packing a layer's old rows into packed chunks (helios_core.storage.packed), one per time chunk.

Like a compaction merge, a pack rewrites committed chunks without changing what any snapshot
sees: every row version keeps its rowid and its created/ended stamps, only its location
changes (the rowid index is pointed at the new places, vectorized: LocMap.relocate). Versions
no snapshot, branch or time-travel window can see any more are dropped on the way. Rows of a
time chunk older than the boundary go to that chunk's packed chunk, merged with the packed
chunk it may already have (a late row); rows of younger time chunks stay in one plain chunk.

Sources are taken in waves of bounded size, so the memory a pack needs does not grow with
the table. A wave's sources are claimed while it is packed (``Layer.claimed``): the writers'
memtable merges, which run on every few commits, leave them alone, so a pack can finish under
a steady ingest of old rows. A wave whose sources changed anyway (a writer stamped one: an
UPDATE or DELETE) is given up, its files deleted: the next run packs them. The caller holds the store's
checkpoint lock and checkpoints afterwards, so a file is never left unrecorded (see
helios_core.storage.mover for the same rule).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import DiskFull
from helios_core.storage.compaction import _created_array, garbage_mask, horizon, pins_for
from helios_core.storage.layer import Layer
from helios_core.storage.packed import PackedSource, PackSpec, encode_packed, name_info, packed_name
from helios_core.storage.persist import segment_name
from helios_core.storage.segment_open import settle_written
from helios_core.storage.segments import encode_segment
from helios_core.storage.tiering import HOT
from helios_core.storage.versions import Chunk

if TYPE_CHECKING:  # pragma: no cover
    from helios_core.storage.store import Store

WAVE_ROWS = 2_000_000


@attrs.define
class PackReport:
    parts: set[int] = attrs.field(factory=set)  # time chunks (re)written
    rows: int = 0  # row versions written into packed chunks
    dropped: int = 0  # versions collected
    bytes: int = 0  # bytes of the packed segments written
    waves_given_up: int = 0


def _committed(c: Chunk) -> bool:
    return c.tier == HOT and not (isinstance(c.created, int) and c.created < 0) and not (c.ended < 0).any()


def _codec(c: Chunk) -> str | None:
    name = c.segment or (c.source.name if isinstance(c.source, PackedSource) else "")
    info = name_info(name)
    return None if info is None else info[1]


def _min_part(c: Chunk, spec: PackSpec) -> int | None:
    """The oldest time chunk a chunk holds rows of (its statistics when it has them)."""
    mm = (c.stats or {}).get(spec.time_column)
    if mm is not None and len(mm) > 2:
        lo = mm[0] * (86_400_000_000 if mm[2] == "day" else 1)
        return lo // spec.interval
    parts = spec.part_of(c.data.column(spec.time_column))
    return int(parts.min()) if len(parts) else None


def pack_layer(store: Store, layer: Layer, spec: PackSpec, before_part: int, *, wave_rows: int = WAVE_ROWS
               ) -> PackReport:
    """Pack the rows of every time chunk before ``before_part`` (caller holds ``store._ckpt_lock``)."""
    report = PackReport()
    with store.mu:
        chunks = [c for c in layer.chunks.values() if _committed(c)]
        hz, pins = horizon(store), pins_for(store, layer.branch)
    loose = [c for c in chunks if c.part is None and c.num_rows and (m := _min_part(c, spec)) is not None
             and m < before_part]
    stale = [c for c in chunks if c.part is not None and c.part < before_part and (
        _codec(c) != spec.codec or garbage_mask(_created_array(c), c.ended, hz, pins).any())]
    waves: list[list[Chunk]] = []
    rows = 0
    for c in sorted(loose, key=lambda c: c.chunk_id):
        if not waves or rows + c.num_rows > wave_rows:
            waves.append([])
            rows = 0
        waves[-1].append(c)
        rows += c.num_rows
    waves.extend([c] for c in stale)
    for wave in waves:
        _pack_wave(store, layer, spec, before_part, wave, report)
    return report


def _pack_wave(store: Store, layer: Layer, spec: PackSpec, before_part: int, wave: list[Chunk],
               report: PackReport) -> None:
    touched = set()
    for c in wave:
        parts = spec.part_of(c.data.column(spec.time_column)) if c.part is None else np.array([c.part])
        touched.update(np.unique(parts[parts < before_part]).tolist())
    with store.mu:
        wave = [c for c in wave if layer.chunks.get(c.chunk_id) is c]  # merged since they were listed: next run
        if not wave:
            return
        sources = list(wave) + [c for c in layer.chunks.values() if c.part in touched and c not in wave
                                and _committed(c)]
        hz, pins = horizon(store), pins_for(store, layer.branch)
        claim = {c.chunk_id for c in sources} - layer.claimed
        layer.claimed |= claim  # the writers' memtable merges leave them alone while they are packed
    try:
        _pack_claimed(store, layer, spec, before_part, sources, hz, pins, report)
    finally:
        with store.mu:
            layer.claimed -= claim


def _pack_claimed(store: Store, layer: Layer, spec: PackSpec, before_part: int, sources: list[Chunk],
                  hz: int, pins: list[int], report: PackReport) -> None:
    data = pa.Table.from_batches([c.data for c in sources]).combine_chunks()
    data = data.to_batches()[0] if data.num_rows else sources[0].data.slice(0, 0)
    created = np.concatenate([_created_array(c) for c in sources])
    ended = np.concatenate([c.ended.copy() for c in sources])
    keep = ~garbage_mask(created, ended, hz, pins)
    parts = spec.part_of(data.column(spec.time_column))
    packable = keep & (parts < before_part)
    groups: list[tuple[int | None, np.ndarray]] = []
    for part in np.unique(parts[packable]).tolist():
        sel = np.nonzero(packable & (parts == part))[0]
        order = np.asarray(_sort_indices(data.take(pa.array(sel)), spec.sort))
        groups.append((part, sel[order]))
    rest = np.nonzero(keep & ~packable)[0]
    if len(rest):
        groups.append((None, rest))
    written: list[tuple[Chunk, np.ndarray, str | None]] = []
    try:
        for part, rows in groups:
            written.append(_write(store, layer, spec, part, data.take(pa.array(rows)), created[rows], rows, report))
    except BaseException:
        _discard(store, written)
        raise
    with store.mu:
        if any(layer.chunks.get(c.chunk_id) is not c or (c.ended < 0).any() for c in sources):
            _discard(store, written)
            report.waves_given_up += 1
            return
        ended_now = np.concatenate([c.ended for c in sources])
        old_locs = np.concatenate([(np.int64(c.chunk_id) << 32) + np.arange(c.num_rows, dtype=np.int64)
                                   for c in sources])
        rowids = np.concatenate([c.rowids() for c in sources])
        new_locs = np.full(len(rowids), -1, dtype=np.int64)
        for ch, rows, _name in written:
            ch.ended = ended_now[rows].copy()
            new_locs[rows] = (np.int64(ch.chunk_id) << 32) + np.arange(len(rows), dtype=np.int64)
        layer.rowloc.relocate(rowids, old_locs, new_locs, {c.chunk_id for c in sources})
        for c in sources:
            del layer.chunks[c.chunk_id]
            if isinstance(c.source, PackedSource):
                c.source.forget()
        for ch, _rows, _name in written:
            layer.chunks[ch.chunk_id] = ch
        report.dropped += int((~keep).sum())
        report.rows += sum(len(rows) for ch, rows, _n in written if ch.part is not None)
        report.parts.update(ch.part for ch, _r, _n in written if ch.part is not None)
        store.compactions += 1


def _sort_indices(batch: pa.RecordBatch, columns: tuple[str, ...]) -> pa.Array:
    keys = [(c, "ascending") for c in columns if c in batch.schema.names]
    if not keys:
        return pa.array(np.arange(batch.num_rows))
    return pc.sort_indices(batch, sort_keys=keys)


def _write(store: Store, layer: Layer, spec: PackSpec, part: int | None, data: pa.RecordBatch,
           created: np.ndarray, rows: np.ndarray, report: PackReport) -> tuple[Chunk, np.ndarray, str | None]:
    """One output chunk: a packed chunk (``part``) or the plain chunk of the rows staying loose."""
    chunk_id = store._next_chunk_id()
    same = len(created) and created.min() == created.max()
    ch = Chunk(chunk_id, data, int(created[0]) if same else created)
    tier = store.tier
    if part is None:
        buf, _s, _b = encode_segment(ch, layer.pk_cols, compression=store.segment_codec)
        if tier is None:
            return ch, rows, None
        name = segment_name(layer, ch)
        _put(tier, name, buf)
        settle_written(store, ch, name, buf, layer.pk_cols)
        return ch, rows, name
    buf, stats, bloom = encode_packed(ch, layer.pk_cols, spec)
    report.bytes += len(buf)
    name = packed_name(layer, chunk_id, part, spec.codec)
    rowids = np.array(data.column("_rowid").to_numpy(), dtype=np.int64)
    if tier is None:
        opener = (lambda b=buf: b)
    else:
        _put(tier, name, buf)
        mapped = tier.open(name)  # kept with the chunk (see segment_open._source)
        opener = (lambda m=mapped: m)
    ch.make_remote(PackedSource(store.tiers, name, opener), HOT)
    ch.stats, ch.bloom, ch.part, ch.rowids_np = stats, bloom, part, rowids
    ch.segment = name if tier is not None else None
    return ch, rows, name if tier is not None else None


def _put(tier: object, name: str, buf: pa.Buffer) -> None:
    try:
        tier.put(name, buf)
    except OSError as e:
        raise DiskFull(f"could not write segment {name}: {e.strerror or e}") from None


def _discard(store: Store, written: list[tuple[Chunk, np.ndarray, str | None]]) -> None:
    for ch, _rows, name in written:
        if isinstance(ch.source, PackedSource):
            ch.source.forget()
        if name is not None and store.tier is not None:
            store.tier.delete(name)
