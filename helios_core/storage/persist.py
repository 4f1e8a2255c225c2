"""Durability: WAL records of commits and metadata changes, replay, checkpoints, recovery.

On disk, in ``data_dir``::

    MANIFEST            JSON, replaced atomically (write tmp, fsync, rename, fsync dir): branches,
                        segment list per (branch, table) layer, checkpoint state file, WAL start
    state-<n>.arrow     ended stamps of segment rows and branch tombstones at checkpoint n
    wal/<seq>.wal       the log since the checkpoint
    segments            through the StorageTier: "<branch_id>/<data_id>/<chunk_id>.arrow"

Recovery = load MANIFEST (open segments through the tier, zero-copy), apply the state file,
rebuild the key and rowid indexes, then replay the WAL from the manifest's position,
cutting a torn or corrupt tail.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from helios_core.errors import DiskFull
from helios_core.storage import records, spill
from helios_core.storage.compaction import rebuild_indexes
from helios_core.storage.layer import Branch, Layer
from helios_core.storage.packed import name_info, packed_chunk
from helios_core.storage.segment_open import open_segment, set_index_data, settle_written
from helios_core.storage.segments import CREATED, encode_segment, segment_summary
from helios_core.storage.tiering import HOT
from helios_core.storage.versions import MAX_TS, ROWID, Chunk, unpack_loc
from helios_core.storage.wal import fsync_dir, read_frames, wal_name

if TYPE_CHECKING:  # pragma: no cover
    from helios_core.storage.store import Store
    from helios_core.storage.txn import Transaction

MANIFEST = "MANIFEST"


# ---------------------------------------------------------------------------- commit records
def chunk_blobs(txn: Transaction) -> dict[int, pa.Buffer]:
    """Serialize the transaction's new versions (immutable) before taking the store lock; spilled
    chunks are named by their file instead."""
    return {ch.chunk_id: records.batch_to_ipc(ch.data) for w in txn.writes.values() for ch in w.chunks
            if ch.spill is None}


def encode_commit(txn: Transaction, ts: int, next_oid: int, ipc: dict[int, pa.Buffer]) -> list[Any]:
    blobs: list[Any] = []
    layers = []
    mark = -txn.txid
    for w in txn.writes.values():
        lay = w.layer
        ch_refs = []
        for ch in w.chunks:
            data_ref = -1
            if ch.spill is None:
                blobs.append(ipc[ch.chunk_id] if ch.chunk_id in ipc else records.batch_to_ipc(ch.data))
                data_ref = len(blobs) - 1
            dead = np.nonzero(ch.ended == mark)[0]
            dead_ref = -1
            if len(dead):
                blobs.append(records.ints_to_blob(dead))
                dead_ref = len(blobs) - 1
            # [rows blob, own-ended blob] or, spilled, [-1, own-ended blob, spill file name]
            ch_refs.append([data_ref, dead_ref] if ch.spill is None else [data_ref, dead_ref, ch.spill])
        ended = tombs = -1
        if w.ended_rowids:
            blobs.append(records.ints_to_blob(w.ended_rowids))
            ended = len(blobs) - 1
        if w.tombs:
            blobs.append(records.ints_to_blob(w.tombs))
            tombs = len(blobs) - 1
        if ch_refs or ended >= 0 or tombs >= 0:
            layers.append({"b": lay.branch.branch_id, "d": lay.data_id, "pk": list(lay.pk_cols),
                           "ch": ch_refs, "e": ended, "t": tombs})
    return records.encode({"k": "c", "ts": ts, "oid": next_oid, "L": layers}, blobs)


def layer_for(store: Store, branch: Branch, data_id: int, pk_cols: tuple[str, ...]) -> Layer:
    layer = branch.layers.get(data_id)
    if layer is None:
        layer = branch.layers[data_id] = Layer(branch, data_id, tuple(pk_cols))
    return layer


def index_chunk(layer: Layer, ch: Chunk) -> None:
    """Make `ch` the newest version holder for its rowids and keys (bulk dict updates)."""
    rowids = ch.data.column(ROWID).to_pylist()
    base = ch.chunk_id << 32
    if rowids and rowids[-1] - rowids[0] == len(rowids) - 1 and rowids == list(range(rowids[0], rowids[-1] + 1)) \
            and not _any_located(layer, rowids):
        layer.rowloc.add_run(rowids[0], rowids[-1] + 1, base)  # a fresh insert
    else:
        layer.rowloc.update(zip(rowids, range(base, base + len(rowids)), strict=True))
    if layer.pk_cols:
        layer.pk.update(zip(layer.keys_of(ch.data), rowids, strict=True))
    if rowids:
        layer.branch.note_rowid(max(rowids))


def _any_located(layer: Layer, rowids: list[int]) -> bool:
    if len(rowids) < 64:
        return any(map(layer.rowloc.__contains__, rowids))
    return bool((layer.rowloc.get_many(rowids) >= 0).any())


def replay(store: Store, payload: bytes) -> None:
    header, blobs = records.decode(payload)
    kind = header["k"]
    if kind == "c":
        ts = header["ts"]
        store._next_oid = max(store._next_oid, header["oid"])
        for L in header["L"]:
            branch = store.branches.get(L["b"])
            if branch is None:
                continue  # branch dropped later in the log
            layer = layer_for(store, branch, L["d"], tuple(L["pk"]))
            if L["e"] >= 0:  # committed versions it replaced or deleted (before its new versions)
                _end_rows(layer, records.blob_to_ints(blobs[L["e"]]), ts)
            for ref in L["ch"]:
                if len(ref) > 2:  # rows in a spill file (storage.spill)
                    ch = Chunk(store._next_chunk_id(), spill.read(store, ref[2]), ts)
                    ch.spill = ref[2]
                    store.spills_committed.append(ref[2])
                else:
                    ch = Chunk(store._next_chunk_id(), records.ipc_to_batch(blobs[ref[0]]), ts)
                if ref[1] >= 0:  # versions it wrote and replaced itself
                    ch.end(records.blob_to_ints(blobs[ref[1]]), ts)
                layer.chunks[ch.chunk_id] = ch
                index_chunk(layer, ch)
            if L["t"] >= 0:
                for r in records.blob_to_ints(blobs[L["t"]]).tolist():
                    layer.tomb[r] = ts
        store.clock.advance_to(ts)
    else:
        store._apply_meta(header)


def _end_rows(layer: Layer, rowids: np.ndarray, ts: int) -> None:
    for r in rowids.tolist():
        loc = layer.rowloc.get(r)
        if loc is None:
            continue
        cid, pos = unpack_loc(loc)
        ch = layer.chunks.get(cid)
        if ch is None:
            continue
        if ch.ended[pos] == MAX_TS:
            ch.end(pos, ts)


# ---------------------------------------------------------------------------- atomic files
def write_atomic(directory: str, name: str, data: bytes) -> None:
    tmp = os.path.join(directory, name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(directory, name))
        fsync_dir(directory)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise DiskFull(f"could not write {name}: {e.strerror or e}") from None


# ---------------------------------------------------------------------------- checkpoint
def segment_name(layer: Layer, ch: Chunk) -> str:
    return f"{layer.branch.branch_id}/{layer.data_id}/{ch.chunk_id:012d}.arrow"


def flush_chunk(store: Store, layer: Layer, ch: Chunk) -> None:
    """Write a committed memtable chunk as a segment through the tier; swap in the mmapped data."""
    name = segment_name(layer, ch)
    buf, _stats, _bloom = encode_segment(ch, layer.pk_cols, compression=store.segment_codec)
    try:
        store.tier.put(name, buf)
    except OSError as e:
        raise DiskFull(f"could not write segment {name}: {e.strerror or e}") from None
    with store.mu:
        settle_written(store, ch, name, buf, layer.pk_cols)


def manifest_state(store: Store) -> tuple[dict[str, Any], pa.Table]:
    """Everything a restart needs besides segments and the WAL tail (caller holds store.mu)."""
    dbs: dict[str, list[dict[str, Any]]] = {}
    layers = []
    kinds, bs, ds, xs, ps, es = [], [], [], [], [], []
    for db, branches in store.dbs.items():
        out = dbs[db] = []
        for b in branches.values():
            out.append({"id": b.branch_id, "name": b.name, "parent": b.parent.branch_id if b.parent else None,
                        "fork_ts": b.fork_ts, "created_ts": b.created_ts, "next_seq": b.next_seq})
            for layer in b.layers.values():
                segs = []
                for ch in layer.chunks.values():
                    if ch.segment is None:
                        continue
                    if ch.tier == HOT:
                        segs.append([ch.chunk_id, ch.segment])
                    else:  # where it lives and its size: read back by byte ranges
                        segs.append([ch.chunk_id, ch.segment, ch.tier, ch.source.size])
                    e = ch.ended
                    idx = np.nonzero((e != MAX_TS) & (e > 0))[0]
                    if len(idx):
                        n = len(idx)
                        kinds.append(np.zeros(n, np.int8))
                        bs.append(np.full(n, b.branch_id, np.int64))
                        ds.append(np.full(n, layer.data_id, np.int64))
                        xs.append(np.full(n, ch.chunk_id, np.int64))
                        ps.append(idx.astype(np.int64))
                        es.append(e[idx])
                committed_tombs = {r: e for r, e in layer.tomb.items() if e > 0}
                if committed_tombs:
                    n = len(committed_tombs)
                    kinds.append(np.ones(n, np.int8))
                    bs.append(np.full(n, b.branch_id, np.int64))
                    ds.append(np.full(n, layer.data_id, np.int64))
                    xs.append(np.fromiter(committed_tombs.keys(), np.int64, n))
                    ps.append(np.zeros(n, np.int64))
                    es.append(np.fromiter(committed_tombs.values(), np.int64, n))
                layers.append({"b": b.branch_id, "d": layer.data_id, "pk": list(layer.pk_cols), "segments": segs})
    cat = (lambda parts, dt: np.concatenate(parts) if parts else np.array([], dt))
    state = pa.table({"kind": cat(kinds, np.int8), "b": cat(bs, np.int64), "d": cat(ds, np.int64),
                      "x": cat(xs, np.int64), "pos": cat(ps, np.int64), "ended": cat(es, np.int64)})
    meta = {"version": 1, "clock": store.clock.last, "next_oid": store._next_oid,
            "next_branch_id": store._next_branch_id, "next_chunk_id": store._peek_chunk_id(),
            "dbs": dbs, "layers": layers}
    return meta, state


def remote_chunk(store: Store, layer: Layer, chunk_id: int, tier: str, name: str, size: int) -> Chunk:
    """A chunk whose segment stays on ``tier``: only its stamps, row ids and key columns are fetched
    (byte ranges), for the indexes; its other columns are read when a scan needs them."""
    if not store.tiers.has(tier):
        raise RuntimeError(f"manifest: segment {name} is on the {tier} tier, which is not configured")
    source = store.tiers.source(tier, name, size)
    batch = source.fetch([ROWID, CREATED, *layer.pk_cols])
    stats, bloom = segment_summary(batch.schema.metadata)
    created_np = np.array(batch.column(CREATED).to_numpy(), dtype=np.int64)
    created: int | np.ndarray = int(created_np[0]) if len(created_np) and created_np.min() == created_np.max() \
        else created_np
    ch = Chunk(chunk_id, None, created, source=source, num_rows=batch.num_rows)
    ch.tier, ch.stats, ch.bloom = tier, stats, bloom
    set_index_data(ch, batch.select([ROWID, *layer.pk_cols]), layer.pk_cols)
    return ch


def write_checkpoint(store: Store, meta: dict[str, Any], state: pa.Table) -> None:
    n = meta["checkpoint"]
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, state.schema) as w:
        w.write_table(state)
    write_atomic(store.data_dir, f"state-{n}.arrow", sink.getvalue().to_pybytes())
    meta["state"] = f"state-{n}.arrow"
    write_atomic(store.data_dir, MANIFEST, json.dumps(meta).encode())


# ---------------------------------------------------------------------------- recovery
def load(store: Store) -> tuple[int, int]:
    """Load the last checkpoint; returns the WAL position (file seq, offset) to replay from."""
    path = os.path.join(store.data_dir, MANIFEST)
    if not os.path.exists(path):
        return 1, 0
    with open(path, "rb") as f:
        meta = json.load(f)
    store.clock.advance_to(meta["clock"])
    store._next_oid = meta["next_oid"]
    store._next_branch_id = meta["next_branch_id"]
    store._reset_chunk_ids(meta["next_chunk_id"])
    store.checkpoint_no = meta["checkpoint"]
    pending: list[tuple[dict[str, Any], str]] = []
    for db, branches in meta["dbs"].items():
        store.dbs.setdefault(db, {})
        for b in branches:
            pending.append((b, db))
    by_id: dict[int, Branch] = {}
    while pending:
        rest = []
        for b, db in pending:
            if b["parent"] is not None and b["parent"] not in by_id:
                rest.append((b, db))
                continue
            br = store._add_branch(db, b["name"], by_id.get(b["parent"]), b["fork_ts"], b["created_ts"], b["id"])
            br.next_seq = b["next_seq"]
            by_id[b["id"]] = br
        if len(rest) == len(pending):
            raise RuntimeError("manifest: branch parents form a cycle")
        pending = rest
    for L in meta["layers"]:
        branch = by_id[L["b"]]
        layer = layer_for(store, branch, L["d"], tuple(L["pk"]))
        for entry in L["segments"]:
            chunk_id, name = entry[0], entry[1]
            packed = name_info(name)
            if len(entry) > 2:
                ch = remote_chunk(store, layer, chunk_id, entry[2], name, entry[3])
                ch.part = None if packed is None else packed[0]
            elif packed is not None:
                mapped = store.tier.open(name)  # kept with the chunk (see segment_open._source)
                ch = packed_chunk(store, chunk_id, name, packed[0], lambda m=mapped: m, layer.pk_cols)
            else:
                ch = open_segment(store, chunk_id, name, layer.pk_cols)
            ch.segment = name
            layer.chunks[chunk_id] = ch
    with pa.memory_map(os.path.join(store.data_dir, meta["state"])) as src:
        state = pa.ipc.open_file(src).read_all()
    cols = {n: state.column(n).to_numpy() for n in state.column_names}
    for i in range(state.num_rows):
        b, d, x, pos, e = int(cols["b"][i]), int(cols["d"][i]), int(cols["x"][i]), int(cols["pos"][i]), \
            int(cols["ended"][i])
        layer = by_id[b].layers[d]
        if cols["kind"][i] == 0:
            layer.chunks[x].end(pos, e)
        else:
            layer.tomb[x] = e
    for branch in by_id.values():
        for layer in branch.layers.values():
            rebuild_indexes(layer)
    return meta["wal"]["seq"], meta["wal"]["offset"]


def replay_wal(store: Store, wal_dir: str, seq: int, offset: int,
               stop_after_ts: int | None = None) -> tuple[int, int]:
    """Replay every intact record from (seq, offset); returns the append position (torn tail cut).

    ``stop_after_ts``: the first record stamped later than it ends the log like a torn tail
    (point-in-time recovery), so it and everything after it are cut.
    """
    cur_seq, cur_off = seq, offset
    s = seq
    while True:
        path = os.path.join(wal_dir, wal_name(s))
        if not os.path.exists(path):
            break
        with open(path, "rb") as f:
            data = f.read()
        start = offset if s == seq else 0
        end = start
        stopped = False
        for _pos, frame_end, payload in read_frames(data, start):
            if stop_after_ts is not None and record_ts(payload) > stop_after_ts:
                stopped = True
                break
            replay(store, payload)
            end = frame_end
        cur_seq, cur_off = s, end
        if stopped or end != len(data):  # torn/corrupt tail or recovery target: cut here
            for later in sorted(os.listdir(wal_dir)):
                if later.endswith(".wal") and int(later.split(".")[0]) > s:
                    os.unlink(os.path.join(wal_dir, later))
            break
        s += 1
    return cur_seq, cur_off


def record_ts(payload: bytes) -> int:
    """The commit timestamp a WAL record carries (-1 for the few metadata records without one)."""
    header, _blobs = records.decode(payload)
    return int(header.get("ts", -1))
