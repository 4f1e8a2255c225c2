"""Moving segments between tiers: copy, record in the manifest, then free the old copy.

A move never leaves a segment unrecorded: the copy is written (durably) to the target tier
first, the manifest that names the new tier is written next (atomically, by a checkpoint),
and only then is the old copy deleted (the checkpoint's clean-up deletes every file no
manifest records on its tier). A crash before the manifest leaves the segment recorded
where it was, with a stray copy the next clean-up removes; a crash after it leaves a
stray old copy, removed the same way. So each segment is readable in exactly one
recorded place at any point.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pyarrow as pa

from helios_core.storage.layer import Layer
from helios_core.storage.packed import PackedSource
from helios_core.storage.segment_open import set_index_data
from helios_core.storage.segments import decode_segment, recompress_segment
from helios_core.storage.tiering import COLD, HOT
from helios_core.storage.versions import ROWID, Chunk

if TYPE_CHECKING:  # pragma: no cover
    from helios_core.storage.store import Store

_log = logging.getLogger("helios.tiering")
UPLOAD_THREADS = 8


def segment_bytes(store: Store, ch: Chunk) -> pa.Buffer | bytes:
    """The whole segment file as stored on its current tier."""
    if ch.tier == HOT:
        return store.tiers.get(HOT).open(ch.segment)
    return store.tiers.guard(ch.tier, ch.segment, lambda: store.tiers.read_range(ch.tier, ch.segment, 0,
                                                                              ch.source.size))


def move_chunks(store: Store, items: list[tuple[Layer, Chunk]], to: str) -> int:
    """Move the segments of ``items`` to tier ``to``; returns how many moved.

    Segments going cold are rewritten with zstd-compressed buffers. Chunks that changed
    meanwhile (merged, dropped, not yet a segment) are skipped.
    """
    target = store.tiers.get(to)

    def copy(item: tuple[Layer, Chunk]) -> tuple[Layer, Chunk, str, int] | None:
        layer, ch = item
        was, name = ch.tier, ch.segment
        if name is None or was == to:
            return None
        buf = segment_bytes(store, ch)
        if to == COLD:
            buf = recompress_segment(buf)
        store.tiers.guard(to, name, lambda: target.put(name, buf))
        return layer, ch, was, len(memoryview(buf))

    # uploads overlap (each waits on the network); the first failure is raised once all have finished
    with ThreadPoolExecutor(UPLOAD_THREADS, thread_name_prefix="helios-tier-upload") as pool:
        copied = [c for c in pool.map(copy, items) if c is not None]
    if not copied or store.wal is None:
        return 0
    moved = 0

    def record() -> None:  # under the store lock, just before the manifest is built
        nonlocal moved
        for layer, ch, was, size in copied:
            if layer.chunks.get(ch.chunk_id) is not ch or ch.tier != was:
                continue  # merged or moved meanwhile: the copy is unrecorded and gets cleaned up
            if to == HOT:
                data, _created, _stats, _bloom = decode_segment(target.open(ch.segment))
                ch.data = data
                ch.tier, ch.index_data = HOT, None
            else:
                if ch.index_data is None:
                    set_index_data(ch, ch.data.select([ROWID, *layer.pk_cols]), layer.pk_cols)
                if not isinstance(ch.created, int):
                    ch.created = ch.created.copy()  # not a view of the file being freed
                if isinstance(ch.source, PackedSource):
                    ch.source.forget()
                ch.make_remote(store.tiers.source(to, ch.segment, size), to)
            store.tiers.forget(was, ch.segment)
            moved += 1

    with store._ckpt_lock:
        store._checkpoint_locked(False, before_manifest=record)
    return moved


def move_table(store: Store, db: str, branch_name: str, data_id: int, to: str) -> int:
    """``ALTER TABLE t SET (tier = ...)``: the table's segments on one branch (memtables flushed first)."""
    store.tiers.get(to)
    with store.mu:
        branch = store.dbs.get(db, {}).get(branch_name)
    if branch is None:
        return 0
    store.checkpoint()
    return move_chunks(store, chunks_of_branch(store, branch.branch_id, data_id=data_id), to)


def chunks_of_branch(store: Store, branch_id: int, *, data_id: int | None = None) -> list[tuple[Layer, Chunk]]:
    """Every flushed chunk a branch owns (of one table when ``data_id`` is given)."""
    with store.mu:
        branch = store.branches.get(branch_id)
        if branch is None:
            return []
        return [(lay, ch) for did, lay in branch.layers.items() if data_id is None or did == data_id
                for ch in list(lay.chunks.values()) if ch.segment is not None]


def hot_bytes(store: Store) -> int:
    total = 0
    hot = store.tiers.get(HOT)
    for _lay, ch in all_segments(store):
        if ch.tier == HOT:
            try:
                total += hot.size(ch.segment)
            except OSError:
                pass
    return total


def all_segments(store: Store) -> list[tuple[Layer, Chunk]]:
    with store.mu:
        return [(lay, ch) for b in store.branches.values() for lay in b.layers.values()
                for ch in list(lay.chunks.values()) if ch.segment is not None]


def enforce_hot_size(store: Store, limit: int, to: str) -> int:
    """Move the least recently read hot segments to ``to`` until the hot tier holds at most ``limit`` bytes.

    The catalog's own segments (data set 0) stay hot: every statement reads them.
    """
    hot = store.tiers.get(HOT)
    sized = []
    for lay, ch in all_segments(store):
        if ch.tier == HOT and lay.data_id != 0:
            try:
                sized.append((ch.last_read, ch.chunk_id, lay, ch, hot.size(ch.segment)))
            except OSError:
                continue
    total = hot_bytes(store)
    picked = []
    for _read, _cid, lay, ch, size in sorted(sized, key=lambda x: (x[0], x[1])):
        if total <= limit:
            break
        picked.append((lay, ch))
        total -= size
    if not picked:
        return 0
    started = time.monotonic()
    n = move_chunks(store, picked, to)
    _log.info("tiering: hot tier over %d bytes: %d segments moved to %s in %.2fs", limit, n, to,
              time.monotonic() - started)
    return n
