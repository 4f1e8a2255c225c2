"""Merging chunks (memtable -> segment, small segments -> one) and version garbage collection.

A merge concatenates chunks with the same physical schema, drops versions no snapshot
can see any more (ended before the retention horizon and not visible at any pinned
timestamp: running snapshots, forks of descendant branches), writes one segment
through the tier and swaps it in under the store lock. Chunks carrying an open
transaction's stamp (``ended < 0``) are left alone: that transaction holds their
locations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from helios_core.errors import DiskFull
from helios_core.storage.keyindex import KeyIndex
from helios_core.storage.layer import Branch, Layer
from helios_core.storage.locmap import LocMap
from helios_core.storage.segment_open import settle_written
from helios_core.storage.segments import CREATED, encode_segment
from helios_core.storage.tiering import HOT
from helios_core.storage.versions import MAX_TS, Chunk

if TYPE_CHECKING:  # pragma: no cover
    from helios_core.storage.store import Store


def pins_for(store: Store, branch: Branch) -> list[int]:
    """Timestamps at which descendants read this branch (min of forks along their chain)."""
    pins = []
    for b in store.branches.values():
        ts, cur = None, b
        while cur.parent is not None:
            ts = cur.fork_ts if ts is None else min(ts, cur.fork_ts)
            if cur.parent is branch:
                pins.append(ts)
                break
            cur = cur.parent
    return pins


def horizon(store: Store) -> int:
    """Versions ended at or before this are invisible to every snapshot but pinned ones."""
    h = store.clock.last - store.retention_us
    for t in list(store.active.values()):
        snap = t._snapshot
        if snap is not None:
            h = min(h, snap)
    return h


def garbage_mask(created: np.ndarray, ended: np.ndarray, hz: int, pins: list[int]) -> np.ndarray:
    dead = (ended > 0) & (ended != MAX_TS) & (ended <= hz)
    for p in pins:
        dead &= ~((created <= p) & (ended > p))
    return dead


def _created_array(ch: Chunk) -> np.ndarray:
    c = ch.created
    return np.full(ch.num_rows, c, dtype=np.int64) if isinstance(c, int) else np.asarray(c, dtype=np.int64)


def _rows(ch: Chunk) -> pa.RecordBatch:
    """A chunk's rows for a merge: a segment read on demand is decoded past the read cache (it is
    read once, and would push out what scans keep there)."""
    if ch.resident or not hasattr(ch.source, "fetch"):
        return ch.data
    batch = ch.source.fetch(None)
    return batch.remove_column(batch.schema.get_field_index(CREATED)).replace_schema_metadata(None)


def merge(store: Store, layer: Layer, sources: list[Chunk], *, gc: bool, to_tier: bool) -> Chunk | None:
    """Replace `sources` (same schema, all committed) by one chunk; returns it, or None if skipped."""
    if not sources:
        return None
    with store.mu:
        hz = horizon(store) if gc else -1
        pins = pins_for(store, layer.branch) if gc else []
    data = pa.Table.from_batches([_rows(c) for c in sources]).combine_chunks()
    data = data.to_batches()[0] if data.num_rows else _rows(sources[0]).slice(0, 0)
    created = np.concatenate([_created_array(c) for c in sources])
    ended_snap = np.concatenate([c.ended.copy() for c in sources])
    keep = ~garbage_mask(created, ended_snap, hz, pins) if gc else np.ones(len(created), dtype=bool)
    if len(sources) == 1 and keep.all() and (sources[0].segment is not None or not to_tier):
        return None  # nothing to merge, nothing to collect
    if not keep.all():
        data = data.filter(pa.array(keep))
        created = created[keep]
    new = Chunk(store._next_chunk_id(), data, int(created[0]) if len(created) and
                created.min() == created.max() else created)
    name = None
    if to_tier and new.num_rows:
        from helios_core.storage.persist import segment_name

        name = segment_name(layer, new)
        buf, _s, _b = encode_segment(new, layer.pk_cols, compression=store.segment_codec)
        try:
            store.tier.put(name, buf)
        except OSError as e:
            raise DiskFull(f"could not write segment {name}: {e.strerror or e}") from None
        settle_written(store, new, name, buf, layer.pk_cols)
    with store.mu:
        if any(layer.chunks.get(c.chunk_id) is not c or (c.ended < 0).any() for c in sources):
            if name is not None:
                store.tier.delete(name)
            return None
        ended_now = np.concatenate([c.ended for c in sources])
        new.ended = ended_now[keep].copy()
        _swap(layer, sources, new, keep)
        return new


def _swap(layer: Layer, sources: list[Chunk], new: Chunk, keep: np.ndarray) -> None:
    """Point the rowid index at the merged chunk; forget fully collected rows."""
    rl = layer.rowloc
    new_index = np.cumsum(keep) - 1  # position in the merged chunk of every kept source row
    new_base = np.int64(new.chunk_id) << 32
    handled = np.zeros(len(keep), dtype=bool)
    offsets: dict[int, int] = {}
    offset = 0
    for c in sources:
        offsets[c.chunk_id] = offset
        offset += c.num_rows
    for i in rl.runs_into_any(set(offsets)):
        lo, hi, base = rl.runs[i]
        p0 = (base & 0xFFFFFFFF) + offsets[base >> 32]
        p1 = p0 + (hi - lo)
        if keep[p0:p1].all():  # whole run survives, contiguous and in order: move it
            rl.set_run_base(i, int(new_base + new_index[p0]))
            handled[p0:p1] = True
    for i in reversed(rl.runs_into_any(set(offsets))):  # runs that lose rows become single entries first
        rl.run_to_singles(i)
    rl.coalesce()  # runs moved side by side into the merged chunk become one
    old_locs = np.concatenate([(np.int64(c.chunk_id) << 32) + np.arange(c.num_rows, dtype=np.int64)
                               for c in sources])
    rowids = np.concatenate([c.rowids() for c in sources])
    todo = np.nonzero(~handled)[0]
    if len(todo):
        new_locs = np.full(len(old_locs), -1, dtype=np.int64)
        new_locs[keep] = new_base + np.arange(int(keep.sum()), dtype=np.int64)
        # a row whose versions are all collected has no location any more. Its keys stay in the key
        # index as a hint: a point read finding no location falls back to the exact scan (an older
        # row with that key may still be pinned by a branch), and inserts treat the key as free.
        rl.relocate(rowids[todo], old_locs[todo], new_locs[todo], set(offsets))
    for c in sources:
        del layer.chunks[c.chunk_id]
    layer.chunks[new.chunk_id] = new


def compact_layer(store: Store, layer: Layer, *, to_tier: bool, gc: bool, small_rows: int = 1 << 20,
                  min_count: int = 2, memtable_only: bool = False, select: Any = None) -> int:
    """Collect garbage (gc: only chunks that hold some), then merge memtable chunks / small segments.

    Returns the number of merges done.
    """
    merges = 0

    def candidates(wanted: Any = None) -> list[Chunk]:
        with store.mu:
            # segments on a warm or cold tier stay as they are: merging them would pull them back
            # packed chunks (storage.packed) are rewritten by their own job, never merged here;
            # ``wanted`` is tried first: it is cheap, the scan of ``ended`` is not on a large chunk;
            # chunks a pack is rewriting are its own until it ends (repack: merging them would void it)
            claimed = layer.claimed
            return [c for c in layer.chunks.values() if (wanted is None or wanted(c)) and c.tier == HOT
                    and c.part is None and not (claimed and c.chunk_id in claimed)
                    and not (isinstance(c.created, int) and c.created < 0)
                    and not (c.ended < 0).any()]

    if gc:
        with store.mu:
            hz, pins = horizon(store), pins_for(store, layer.branch)
        for c in candidates():
            if garbage_mask(_created_array(c), c.ended, hz, pins).any() and \
                    merge(store, layer, [c], gc=True, to_tier=to_tier) is not None:
                merges += 1
    cands = candidates(lambda c: (c.segment is None or (not memtable_only and c.num_rows < small_rows))
                       and (not memtable_only or c.num_rows < small_rows) and (select is None or select(c)))
    packs = [pack for group in _by_schema(cands) for pack in _packs(group, small_rows)]
    for group in packs:
        if to_tier:
            wanted = any(c.segment is None for c in group) or len(group) >= 2
        else:
            wanted = len(group) >= min_count
        if wanted and merge(store, layer, group, gc=False, to_tier=to_tier) is not None:
            merges += 1
    store.compactions += merges  # metrics: helios_compactions_total
    return merges


def _by_schema(chunks: list[Chunk]) -> list[list[Chunk]]:
    """The chunks grouped by physical schema, in order. Compared, not hashed: hashing a schema
    builds a tuple of its fields (microseconds each), and a memtable merge groups 16 chunks or
    more after every 16 commits of a table."""
    groups: list[tuple[pa.Schema, list[Chunk]]] = []
    for c in chunks:
        schema = c.schema
        for seen, members in groups:
            if seen.equals(schema, check_metadata=True):
                members.append(c)
                break
        else:
            groups.append((schema, [c]))
    return [members for _schema, members in groups]


def _packs(group: list[Chunk], small_rows: int) -> list[list[Chunk]]:
    """Consecutive runs of chunks of at most ``small_rows`` rows together (a chunk larger than that
    is a run of its own): merged segments stay near that size, so a large table keeps many
    segments whose min/max statistics let a selective scan skip most of them."""
    packs: list[list[Chunk]] = []
    rows = 0
    for c in sorted(group, key=lambda c: c.chunk_id):
        if packs and rows + c.num_rows <= small_rows:
            packs[-1].append(c)
            rows += c.num_rows
        else:
            packs.append([c])
            rows = c.num_rows
    return packs


def rebuild_indexes(layer: Layer) -> None:
    """Recovery: rowid -> newest version (largest ended), key -> row that took it last (vectorized)."""
    chunks = list(layer.chunks.values())
    if not chunks:
        return
    rowids = np.concatenate([c.rowids() for c in chunks])
    ended = np.concatenate([c.ended for c in chunks])
    created = np.concatenate([_created_array(c) for c in chunks])
    locs = np.concatenate([(np.int64(c.chunk_id) << 32) + np.arange(c.num_rows, dtype=np.int64) for c in chunks])
    order = np.lexsort((ended, rowids))
    last = np.ones(len(order), dtype=bool)
    r_sorted = rowids[order]
    last[:-1] = r_sorted[1:] != r_sorted[:-1]
    sel = order[last]
    layer.rowloc = LocMap.from_arrays(rowids[sel], locs[sel])
    own = rowids[(rowids >> 40) == layer.branch.branch_id]
    if len(own):
        layer.branch.note_rowid(int(own.max()))
    if layer.pk_cols:
        keys: list = []
        for c in chunks:
            keys.extend(layer.keys_of(c.index_data if c.index_data is not None else c.data))
        order = np.lexsort((created, ended == MAX_TS))  # live versions last, then newest: they win
        layer.pk = KeyIndex.from_pairs([keys[i] for i in order.tolist()], rowids[order])
