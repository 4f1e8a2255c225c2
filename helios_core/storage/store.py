"""The Store: databases, branches, the transaction table and the read path over layers."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core import statement_gate
from helios_core.errors import DiskFull, HeliosError, InvalidCatalogName, InvalidParameterValue
from helios_core.hookspecs import StorageTier
from helios_core.storage import (
    column_fills,
    commit_feed,
    compaction,
    mover,
    narrowed,
    persist,
    records,
    repack,
    secondary_index,
    spill,
    table_activity,
)
from helios_core.storage.clock import Clock
from helios_core.storage.errors import DependentObjectsStillExist, InvalidBranch
from helios_core.storage.layer import Branch
from helios_core.storage.packed import PackSpec
from helios_core.storage.repack import PackReport
from helios_core.storage.schema import BranchInfo, TableDef
from helios_core.storage.segments import may_match, prune_terms
from helios_core.storage.ssi import SsiManager
from helios_core.storage.table_locks import TableLocks
from helios_core.storage.tiering import COLD, HOT, READ_AHEAD, TierSet
from helios_core.storage.txn import READ_COMMITTED, Transaction
from helios_core.storage.versions import ROWID, Chunk
from helios_core.storage.wal import Wal

_log = logging.getLogger("helios.storage")


class DuplicateDatabase(HeliosError):
    sqlstate = "42P04"


def _filled(fill: tuple[Any, Any], n: int) -> pa.Array:
    """``n`` rows of a column added after a batch was written: its fill value (None: NULLs)."""
    arrow_type, value = fill
    return column_fills.rows(value, arrow_type, n)


class Store:
    """All databases of one server. Thread-safe: sessions call it from worker threads."""

    def __init__(self, data_dir: str | None, tier: StorageTier | None, retention_seconds: int,
                 tiers: TierSet | None = None) -> None:
        self.data_dir = data_dir
        self.tiers = tiers if tiers is not None else TierSet(tier)
        self.tier = self.tiers.hot  # new segments are written here
        self.retention_us = int(retention_seconds * 1_000_000)
        self.mu = threading.RLock()
        self.clock = Clock()
        self.commit_observers: list[Any] = []  # helios_commit_observers (storage.commit_feed)
        self.dbs: dict[str, dict[str, Branch]] = {}
        self.branches: dict[int, Branch] = {}
        self.active: dict[int, Transaction] = {}
        self.row_locks: dict[tuple[tuple[int, int], int], dict[int, str]] = {}
        self.table_locks = TableLocks(self.mu)  # table-level write/exclusive locks
        self.ssi = SsiManager()  # SERIALIZABLE transactions' read/write dependencies
        self._txids = itertools.count(1)
        self._chunk_ids = itertools.count(1)
        self._next_oid = 1
        self._next_branch_id = 1
        self._json_cache: dict[str, Any] = {}
        self._def_cache: dict[str, TableDef] = {}
        self._schema_cache: dict[tuple[int, Any, bool], tuple[TableDef, pa.Schema]] = {}
        self._present_plans: dict[tuple[int, tuple[str, ...]], tuple[TableDef, str, Any]] = {}
        self.catalog_version = 0  # bumped by every commit that changed some catalog
        # what upper layers derive from the catalog, each entry stamped with catalog_version by its owner
        self.derived_caches: dict[str, Any] = {}
        self.catalog_ts = 0
        self._table_cache: dict[tuple[int, str, str], tuple[int, TableDef | None]] = {}
        self.closed = False
        self.wal: Wal | None = None
        self.checkpoint_no = 0
        self._apply_cv = threading.Condition(self.mu)
        self._ticket = 0  # commit pipeline: log order = apply order
        self._applied_ticket = 0
        self._inflight: dict[int, tuple[int, int]] = {}  # ticket -> (commit ts, WAL start offset)
        self._meta_lock = threading.Lock()  # serializes database/branch changes
        self._ckpt_lock = threading.Lock()
        self.checkpoint_wal_bytes = 64 << 20  # auto-checkpoint when the WAL grows past this
        self.small_segment_rows = 1 << 20  # checkpoints merge segments smaller than this
        # codec of the column buffers of the segments checkpoints write ("zstd", "lz4" or None): a
        # compressed segment is decoded into memory when opened instead of being mapped
        self.segment_codec: str | None = None
        self.segments_pruned = 0  # scans that skipped a chunk by its min/max statistics
        self.xact_commit = 0  # transactions ended since the server started (metrics)
        self.xact_rollback = 0
        self.checkpoints = 0
        self.compactions = 0  # merges of chunks (memtable and segment compaction)
        self.index_stats: dict[tuple[int, str], list[int]] = {}  # (table id, index name) -> [scans, rows]
        self.table_stats: dict[int, list[int]] = {}  # table id -> helios_core.storage.table_activity counters
        self.maintenance_stats: dict[int, dict] = {}  # table id -> last VACUUM/ANALYZE (helios_core.sql.maintenance)
        self._auto_ckpt: threading.Thread | None = None
        self.on_cold_read: Any = None  # called with a chunk whose segment a scan reads from the cold tier
        self.checkpoint_wal_seq = 1  # the WAL file the last checkpoint replays from
        # WAL archiving (helios_core.archiving): the lowest WAL file seq still to be shipped to the
        # primary backend; files from there on are kept locally even when the checkpoint is past them
        self.wal_keep_from: Any = None  # Callable[[], int] | None
        self.switched_wal_bytes = 0  # WAL in files switch_wal closed since the last checkpoint
        self.spill_after_bytes = spill.SPILL_AFTER_BYTES  # a transaction's new rows past this go to spill files
        self.spills_committed: list[str] = []  # spill files committed since the last checkpoint (storage.spill)
        self._spill_pool: ThreadPoolExecutor | None = None

    def index_activity(self, table_id: int, index: str) -> list[int]:
        """[scans, rows fetched] of one secondary index (pg_stat_user_indexes), since the server started."""
        key = (table_id, index)
        counters = self.index_stats.get(key)
        if counters is None:
            counters = self.index_stats.setdefault(key, [0, 0])
        return counters

    def table_activity(self, table_id: int) -> list[int]:
        """The activity counters of a table (helios_core.storage.table_activity), created on first use."""
        counters = self.table_stats.get(table_id)
        if counters is None:
            counters = self.table_stats.setdefault(table_id, table_activity.new())
        return counters

    # ------------------------------------------------------------------ open/close
    @classmethod
    def open(cls, data_dir: str | None = None, *, tier: StorageTier | None = None,
             retention_seconds: int = 7 * 86400, tiers: TierSet | None = None,
             recover_until: int | None = None) -> Store:
        """Open (recovering if needed) a store; `data_dir` None keeps everything in memory.

        ``tiers``: the hot tier and any warm/cold tiers (default: ``tier`` alone as the hot one).
        ``recover_until`` (point-in-time recovery): replay stops before the first logged change
        stamped later than this commit timestamp, and the log is cut there.
        """
        if tiers is not None:
            tier = tiers.hot
        if data_dir is not None and tier is None:
            tier = _installed_disk_tier(data_dir)
        if tiers is None:
            tiers = TierSet(tier)
        elif tiers.hot is None:
            tiers.tiers[HOT] = tier
        store = cls(data_dir, tier, retention_seconds, tiers)
        if data_dir is not None:
            wal_dir = os.path.join(data_dir, "wal")
            os.makedirs(wal_dir, exist_ok=True)
            seq, off = persist.load(store)
            store.checkpoint_wal_seq = seq
            seq, off = persist.replay_wal(store, wal_dir, seq, off, stop_after_ts=recover_until)
            spill.recover(store, store.spills_committed)
            store.wal = Wal(wal_dir, seq, off)
        return store

    def close(self, *, checkpoint: bool = True) -> None:
        """Checkpoint (flush memtables to segments), then close the WAL."""
        if self.closed:
            return
        if self.wal is not None:
            try:
                if checkpoint:
                    self.checkpoint()
            finally:
                self.wal.close()
        if self._spill_pool is not None:
            self._spill_pool.shutdown(wait=True)
        self.closed = True

    def commits_are_quick(self) -> bool:
        """A commit's wait for the log is short: no log, or its recent fsyncs averaged under
        QUICK_SYNC_SECONDS. A protocol commits a write on its event loop only then (time_budget):
        on a disk with slow fsyncs, commits wait in worker threads, where they share fsyncs."""
        return self.wal is None or self.wal.sync_seconds < QUICK_SYNC_SECONDS

    def checkpoint(self, *, vacuum: bool = False) -> None:
        """Flush committed memtable chunks to segments (merging small ones), write a manifest atomically.

        `vacuum`: also drop versions older than the retention window that no branch or snapshot needs.
        """
        if self.data_dir is None or self.wal is None:
            if vacuum:
                self.vacuum()
            return
        with self._ckpt_lock:
            self._checkpoint_locked(vacuum)

    def _checkpoint_locked(self, vacuum: bool = False, before_manifest: Any = None) -> None:
        """The checkpoint itself (caller holds ``_ckpt_lock``). ``before_manifest`` runs under the
        store lock just before the manifest is built (the tier mover records its moves there)."""
        for layer in self._layers():
            compaction.compact_layer(self, layer, to_tier=True, gc=vacuum, min_count=1,
                                     small_rows=self.small_segment_rows)
        if vacuum:
            self._drop_unreferenced_layers()
        for layer, ch in self._unflushed():  # chunks an open transaction has stamped
            persist.flush_chunk(self, layer, ch)
        with self.mu:
            for layer, ch in self._unflushed():
                persist.flush_chunk(self, layer, ch)
            if before_manifest is not None:
                before_manifest()
            if self._inflight:
                seq, off = self.wal.file_seq, min(o for _, o in self._inflight.values())
            else:
                seq, off = self.wal.rotate(), 0
            self.switched_wal_bytes = 0
            meta, state = persist.manifest_state(self)
            covered_spills, self.spills_committed = self.spills_committed, []
            self.checkpoint_no += 1
            self.checkpoints += 1
            meta["checkpoint"] = self.checkpoint_no
            meta["wal"] = {"seq": seq, "offset": off}
            referenced = {(ch.tier, ch.segment) for b in self.branches.values() for lay in b.layers.values()
                          for ch in lay.chunks.values() if ch.segment is not None}
        try:
            persist.write_checkpoint(self, meta, state)
        except BaseException:
            with self.mu:  # still needed: the WAL that names them is kept
                self.spills_committed[:0] = covered_spills
            raise
        self.checkpoint_wal_seq = seq
        self._cleanup(seq, referenced)
        spill.remove(self, covered_spills)  # their commits are in the manifest's segments now
        pa.default_memory_pool().release_unused()  # the merge buffers: back to the system, not kept by the pool

    def pack(self, db: str, branch: str, data_id: int, spec: PackSpec, before_part: int) -> PackReport:
        """Rewrite a table's time chunks before ``before_part`` on one branch as packed chunks
        (helios_core.storage.repack), then checkpoint so the manifest names them."""
        with self.mu:
            b = self._branch(db, branch)
            layer = b.layers.get(data_id)
        if layer is None:
            return PackReport()
        with self._ckpt_lock:
            report = repack.pack_layer(self, layer, spec, before_part)
            if report.parts and self.wal is not None:
                self._checkpoint_locked(False)
        return report

    def place_packed(self, db: str, branch: str, data_id: int, role_of_part: Any) -> int:
        """Move a table's packed chunks (storage.packed) on one branch to the tier ``role_of_part(part)``
        names (None: stay), through the tier mover; roles the store has no tier for are skipped."""
        with self.mu:
            b = self._branch(db, branch)
            layer = b.layers.get(data_id)
            chunks = [] if layer is None else [c for c in layer.chunks.values()
                                               if c.part is not None and c.segment is not None]
        wanted: dict[str, list[tuple[Any, Chunk]]] = {}
        for ch in chunks:
            role = role_of_part(ch.part)
            if role is not None and role != ch.tier and self.tiers.has(role):
                wanted.setdefault(role, []).append((layer, ch))
        return sum(mover.move_chunks(self, items, role) for role, items in wanted.items())

    def vacuum(self) -> int:
        """Garbage-collect old versions in every layer (the in-memory path; checkpoint(vacuum=True) on disk)."""
        if self.wal is not None:
            self.checkpoint(vacuum=True)
            return 0
        n = sum(compaction.compact_layer(self, lay, to_tier=False, gc=True, min_count=1)
                for lay in self._layers())
        return n + self._drop_unreferenced_layers()

    def _drop_unreferenced_layers(self) -> int:
        """Free data sets (dropped or truncated tables) that no retained catalog version points to.

        Catalog versions are collected like any other, so once none that mentions a data set is
        left, no snapshot, branch or time-travel read can reach it any more.
        """
        dropped = 0
        with self.mu:
            referenced: set[int] = set()
            for b in self.branches.values():
                cat = b.layers.get(0)
                if cat is None:
                    continue
                for ch in cat.chunks.values():
                    for kind, value in zip(ch.data.column("c0").to_pylist(), ch.data.column("c2").to_pylist(),
                                           strict=True):
                        if kind == "table":
                            referenced.add(json.loads(value)["data_id"])
            busy = {key for t in self.active.values() for key in t.writes}
            for b in self.branches.values():
                for did in list(b.layers):
                    if did != 0 and did not in referenced and (b.branch_id, did) not in busy:
                        del b.layers[did]
                        dropped += 1
        return dropped

    def _layers(self) -> list[Any]:
        with self.mu:
            return [lay for b in self.branches.values() for lay in b.layers.values()]

    def _compact_memtables(self, txn: Transaction) -> None:
        """Keep per-statement memtable chunks few, so scans do not pay per-chunk overhead. A size
        class only reaches 16 chunks after new ones were written, so the layer's chunks are counted
        once per 16 appended (not at every commit: a table of many chunks made each commit pay)."""
        for w in txn.writes.values():
            layer = w.layer
            if len(layer.chunks) < MEMTABLE_FAN_IN or layer.appended < MEMTABLE_FAN_IN:
                continue
            layer.appended = 0
            classes: dict[int, int] = {}
            for c in list(layer.chunks.values()):
                if c.segment is None:
                    k = _size_class(c.num_rows)
                    classes[k] = classes.get(k, 0) + 1
            for k, n in classes.items():
                # size-tiered: each row is copied O(log16 N) times; chunks of 32k rows and more (bulk
                # loads) cost a scan nothing per row and wait for the checkpoint, which writes them out
                if n >= MEMTABLE_FAN_IN and k < _BULK_CLASS:
                    compaction.compact_layer(self, layer, to_tier=False, gc=False, small_rows=1 << 62,
                                             memtable_only=True, select=lambda c, k=k: _size_class(c.num_rows) == k)

    def _unflushed(self) -> list[tuple[Any, Any]]:
        with self.mu:
            return [(lay, ch) for b in self.branches.values() for lay in b.layers.values()
                    for ch in list(lay.chunks.values())
                    if ch.segment is None and not (isinstance(ch.created, int) and ch.created < 0)]

    def _cleanup(self, wal_seq: int, referenced: set[tuple[str, str]]) -> None:
        self.trim_wal()
        for name in os.listdir(self.data_dir):
            if name.startswith("state-") and name != f"state-{self.checkpoint_no}.arrow":
                os.unlink(os.path.join(self.data_dir, name))
        for tier_name, tier in self.tiers.tiers.items():
            # files no manifest records on this tier: copies a move left behind, uploads a crash cut short
            try:
                for name in list(tier.list("")):
                    if (tier_name, name) not in referenced:
                        tier.delete(name)
                        self.tiers.forget(tier_name, name)
            except Exception as exc:  # a remote tier that is down: cleaned up next time
                if tier_name == HOT:
                    raise
                _log.warning("tier cleanup of the %s tier skipped: %s", tier_name, str(exc).splitlines()[0])

    def trim_wal(self) -> None:
        """Delete the WAL files no recovery needs: before the checkpoint's and, with archiving,
        already shipped to the primary backend."""
        if self.data_dir is None:
            return
        upto = self.checkpoint_wal_seq
        if self.wal_keep_from is not None:
            upto = min(upto, self.wal_keep_from())
        wal_dir = os.path.join(self.data_dir, "wal")
        for name in os.listdir(wal_dir):
            if name.endswith(".wal") and int(name.split(".")[0]) < upto:
                with contextlib.suppress(FileNotFoundError):  # the archiver and a checkpoint may both trim
                    os.unlink(os.path.join(wal_dir, name))

    def switch_wal(self) -> bool:
        """Close the current WAL file and start the next one, if it holds anything and no commit
        is in flight (archiving ships closed files only: this bounds how old an unshipped commit
        gets). Returns whether it switched."""
        if self.wal is None:
            return False
        with self.mu:
            if self._inflight or self.wal.offset == 0 or self.closed:
                return False
            self.switched_wal_bytes += self.wal.offset
            self.wal.rotate()
            return True

    def spill_pool(self) -> ThreadPoolExecutor:
        """The threads that write spill files (file writes and fsync run without the GIL)."""
        with self.mu:
            if self._spill_pool is None:
                self._spill_pool = ThreadPoolExecutor(spill.THREADS, thread_name_prefix="helios-spill")
            return self._spill_pool

    def _maybe_checkpoint(self) -> None:
        """Start a background checkpoint when the WAL has grown large."""
        if self.wal is None or self.wal.offset + self.switched_wal_bytes < self.checkpoint_wal_bytes:
            return
        if self._auto_ckpt is not None and self._auto_ckpt.is_alive():
            return

        def run() -> None:
            try:
                self.checkpoint(vacuum=True)
            except HeliosError:
                pass  # disk full: retried at the next trigger; the WAL still has everything

        self._auto_ckpt = threading.Thread(target=run, name="helios-checkpoint", daemon=True)
        self._auto_ckpt.start()

    def now(self) -> int:
        return self.clock.tick()

    # ------------------------------------------------------------------ ids
    def _next_txid(self) -> int:
        return next(self._txids)

    def _next_chunk_id(self) -> int:
        return next(self._chunk_ids)

    def _peek_chunk_id(self) -> int:
        with self.mu:
            n = next(self._chunk_ids)
            self._chunk_ids = itertools.count(n)
            return n

    def _reset_chunk_ids(self, start: int) -> None:
        self._chunk_ids = itertools.count(start)

    def _alloc_id(self) -> int:
        with self.mu:
            oid = self._next_oid
            self._next_oid += 1
            return oid

    def _snapshot_ts(self) -> int:
        """A timestamp that every finished commit is at or below and no running commit is."""
        with self.mu:
            if self._inflight:
                return min(ts for ts, _ in self._inflight.values()) - 1
            return self.clock.tick()

    # ------------------------------------------------------------------ commit pipeline
    def _run_logged(self, payload: list[Any] | None, apply: Any, fail: Any = None) -> None:
        """Log a record, wait until it is durable (group commit), then apply it in log order.

        Caller holds self.mu exactly once; it is released while waiting for the fsync.
        """
        if self.wal is None or payload is None:
            apply()
            return
        try:
            seq, start = self.wal.append(payload)
        except DiskFull:
            if fail is not None:
                fail()
            raise
        self._ticket += 1
        ticket = self._ticket
        self._inflight[ticket] = (self.clock.last, start)
        self.mu.release()
        err: BaseException | None = None
        try:
            with statement_gate.waiting(resume=True):  # the fsync, or another commit's that covers it
                self.wal.sync(seq)
        except BaseException as e:  # noqa: BLE001 - any failure must still advance the apply order
            err = e
        finally:
            self.mu.acquire()
        while self._applied_ticket != ticket - 1:
            with statement_gate.waiting():  # an earlier commit still applying
                self._apply_cv.wait()
        try:
            if err is None:
                apply()
            elif fail is not None:
                fail()
        finally:
            self._applied_ticket = ticket
            del self._inflight[ticket]
            self._apply_cv.notify_all()
        if err is not None:
            raise err

    def _apply_meta(self, h: dict[str, Any]) -> None:
        k = h["k"]
        if k == "db+":
            self._add_branch(h["name"], "main", None, None, h["ts"], h["id"])
        elif k == "db-":
            for b in self.dbs.pop(h["name"], {}).values():
                b.dropped = True
                b.layers = {}
                self.branches.pop(b.branch_id, None)
        elif k == "br+":
            parent = self.branches[h["parent"]]
            self._add_branch(parent.db, h["name"], parent, h["fork_ts"], h["ts"], h["id"])
        elif k == "br-":
            b = self.branches.pop(h["id"], None)
            if b is not None:
                self.dbs[b.db].pop(b.name, None)
                b.dropped = True
                b.layers = {}
        elif k == "br~":
            b = self.branches[h["id"]]
            del self.dbs[b.db][b.name]
            b.name = h["new"]
            self.dbs[b.db][b.name] = b
        if "ts" in h:
            self.clock.advance_to(h["ts"])

    def _meta(self, header: dict[str, Any]) -> None:
        """Log + apply a database/branch change (caller holds _meta_lock and self.mu)."""
        self._run_logged(records.encode(header) if self.wal is not None else None,
                         lambda: self._apply_meta(header))

    # ------------------------------------------------------------------ databases, branches
    def create_database(self, name: str) -> None:
        with self._meta_lock, self.mu:
            if name in self.dbs:
                raise DuplicateDatabase(f'database "{name}" already exists')
            self._meta({"k": "db+", "name": name, "id": self._next_branch_id, "ts": self.clock.tick()})

    def _add_branch(self, db: str, name: str, parent: Branch | None, fork_ts: int | None, created_ts: int,
                    branch_id: int | None = None) -> Branch:
        if branch_id is None:
            branch_id = self._next_branch_id
        self._next_branch_id = max(self._next_branch_id, branch_id + 1)
        b = Branch(branch_id, db, name, parent, fork_ts, created_ts)
        self.dbs.setdefault(db, {})[name] = b
        self.branches[branch_id] = b
        return b

    def drop_database(self, name: str) -> None:
        with self._meta_lock, self.mu:
            if name not in self.dbs:
                raise InvalidCatalogName(f'database "{name}" does not exist')
            self._meta({"k": "db-", "name": name, "ts": self.clock.tick()})

    def list_databases(self) -> list[str]:
        return sorted(self.dbs)

    def _db(self, db: str) -> dict[str, Branch]:
        branches = self.dbs.get(db)
        if branches is None:
            raise InvalidCatalogName(f'database "{db}" does not exist')
        return branches

    def _branch(self, db: str, name: str) -> Branch:
        b = self._db(db).get(name)
        if b is None:
            raise InvalidBranch(f'branch "{name}" does not exist')
        return b

    @staticmethod
    def _info(b: Branch) -> BranchInfo:
        return BranchInfo(b.name, b.parent.name if b.parent else None, b.fork_ts, b.created_ts, b.branch_id)

    def create_branch(self, db: str, name: str, *, parent: str = "main", at_ts: int | None = None) -> BranchInfo:
        """O(1): records (parent, fork_ts); no data is copied."""
        with self._meta_lock, self.mu:
            branches = self._db(db)
            if name in branches:
                raise InvalidBranch(f'branch "{name}" already exists', sqlstate="42710")
            p = self._branch(db, parent)
            now = self.clock.tick()
            if at_ts is None:
                fork = now
            else:
                fork = int(at_ts)
                if fork > now:
                    raise InvalidParameterValue("cannot branch from a timestamp in the future")
                if fork < now - self.retention_us:
                    raise InvalidParameterValue("timestamp is older than the retention window")
                if fork < p.created_ts:
                    raise InvalidParameterValue(f'branch "{parent}" did not exist at that timestamp')
            bid = self._next_branch_id
            self._meta({"k": "br+", "name": name, "id": bid, "parent": p.branch_id, "fork_ts": fork, "ts": now})
            return self._info(self.branches[bid])

    def drop_branch(self, db: str, name: str) -> None:
        """Frees only what the branch alone owns: its layers. Refused while it has child branches."""
        with self._meta_lock, self.mu:
            b = self._branch(db, name)
            if b.parent is None:
                raise HeliosError(f'cannot drop the root branch "{name}"', sqlstate="0A000")
            kids = [c.name for c in self.dbs[db].values() if c.parent is b]
            if kids:
                raise DependentObjectsStillExist(
                    f'cannot drop branch "{name}" because other branches depend on it',
                    detail="branches " + ", ".join(sorted(kids)) + " were forked from it")
            self._meta({"k": "br-", "id": b.branch_id, "ts": self.clock.tick()})

    def rename_branch(self, db: str, old: str, new: str) -> None:
        with self._meta_lock, self.mu:
            branches = self._db(db)
            b = self._branch(db, old)
            if new in branches:
                raise InvalidBranch(f'branch "{new}" already exists', sqlstate="42710")
            self._meta({"k": "br~", "id": b.branch_id, "new": new, "ts": self.clock.tick()})

    def list_branches(self, db: str) -> list[BranchInfo]:
        with self.mu:
            return [self._info(b) for b in sorted(self._db(db).values(), key=lambda b: b.branch_id)]

    def get_branch(self, db: str, name: str) -> BranchInfo | None:
        with self.mu:
            b = self.dbs.get(db, {}).get(name)
            return None if b is None else self._info(b)

    # ------------------------------------------------------------------ transactions
    def begin(self, db: str, branch: str = "main", *, isolation: str = READ_COMMITTED, read_only: bool = False,
              lock_timeout: float | None = None) -> Transaction:
        if self.closed:
            raise HeliosError("the storage is closed", sqlstate="57P01")
        with self.mu:
            b = self._branch(db, branch)
            txn = Transaction(self, b, isolation, read_only, lock_timeout)
            self.active[txn.txid] = txn
            return txn

    def _commit(self, txn: Transaction) -> int:
        if not txn.writes:
            with self.mu:
                ts = txn.commit_ts = self.clock.tick()
                txn._finish("committed")
                return ts
        ipc = persist.chunk_blobs(txn) if self.wal is not None else {}
        spilled = txn.spilled_files()
        if spilled:
            spill.sync_directory(self)  # the names a commit record gives must survive a crash
        with self.mu:
            ts = self.clock.tick()
            payload = persist.encode_commit(txn, ts, self._next_oid, ipc) if self.wal is not None else None

            def apply() -> None:
                txn._apply(ts)
                txn.commit_ts = ts
                if self.commit_observers:  # in commit order: applies run in log order under self.mu
                    commit_feed.tell(self.commit_observers, txn, ts)
                txn._finish("committed")
                if spilled:
                    self.spills_committed.extend(spilled)
                    self.switched_wal_bytes += txn.spilled_bytes  # counts toward the next checkpoint

            def fail() -> None:
                txn._undo()
                txn._finish("aborted")

            try:
                self._run_logged(payload, apply, fail)
            except BaseException:
                txn.let_writes_go()
                raise
        self._compact_memtables(txn)
        txn.let_writes_go()
        self._maybe_checkpoint()
        return ts

    # ------------------------------------------------------------------ read path
    def _visible(self, branch: Branch, t: TableDef, ts: int, txid: int, filter: pc.Expression | None,
                 rid_np: np.ndarray | None, key_probe: Any = None,
                 counts: list[int] | None = None, need: list[str] | None = None,
                 index: tuple[str, list[Any]] | None = None, only: set[int] | None = None
                 ) -> Iterator[pa.RecordBatch]:
        """Physical batches of `t` on `branch` visible to snapshot (ts, txid).

        Visibility of the branch's own versions (and its tombstones) is decided at call time, so
        writes the same transaction makes while the result is consumed do not leak into it.
        `filter` prunes chunks by min/max statistics, `key_probe` (a primary key) by bloom filter;
        the caller still applies its filter: pruning only skips chunks that cannot match.
        ``counts`` (optional, ``[read, skipped]``) is increased per chunk, for EXPLAIN ANALYZE; a
        longer one also gets the chunks read through ``index``, the names of those read and how
        many were in memory and how many came from a tier (``[..., through index, names, memory, tier]``).
        ``need``: the physical columns the caller uses (None: all); a segment on a remote tier
        fetches only those. ``index`` (physical column, probe): chunks whose sorted copy of the
        column can answer the probe are read at the positions it finds (storage.secondary_index).
        ``only``: the ids of the chunks to read (``ReadOps.key_bounds`` named them), the others skipped.
        """
        layer = branch.layers.get(t.data_id)
        terms = self._prune_terms(t, filter) if filter is not None else None
        plan: list[tuple[Chunk, Any]] = []
        wanted = np.unique(rid_np) if rid_np is not None and index is None else None
        if layer is not None:
            chunks = list(layer.chunks.values())
            small_hits = secondary_index.small_chunk_positions(layer, chunks, index[0], index[1]) \
                if index is not None else None
            for ch in chunks:
                if only is not None and ch.chunk_id not in only:
                    continue
                if (terms and ch.stats is not None and not may_match(ch.stats, terms)) or (
                        key_probe is not None and ch.bloom is not None and not ch.bloom.might_contain(key_probe)):
                    self.segments_pruned += 1
                    if counts is not None:
                        counts[1] += 1
                    continue
                if counts is not None:
                    counts[0] += 1
                    if len(counts) > 3:  # EXPLAIN (ANALYZE, BUFFERS): which chunks, and from where
                        counts[3].append(ch.segment or f"memtable:{ch.chunk_id}")
                        counts[4 if ch.resident else 5] += 1
                if index is not None:
                    pos = small_hits.get(ch.chunk_id) if small_hits else None
                    if pos is None:
                        pos = secondary_index.positions(ch, index[0], index[1])
                    if pos is not None:
                        if counts is not None and len(counts) > 2:
                            counts[2] += 1
                        if len(pos):
                            pos = secondary_index.visible_at(ch, pos, ts, txid)
                        if rid_np is not None and len(pos):
                            pos = pos[np.isin(ch.rowids()[pos], rid_np)]
                        if len(pos):
                            plan.append((ch, pos))
                        continue
                if wanted is not None:  # a few rowids (an index's candidates): found by binary search
                    if ch.all_ended_by(ts):  # replaced or deleted rows only: none of its versions is seen
                        continue
                    pos = secondary_index.visible_at(ch, ch.rowid_positions(wanted), ts, txid)
                    if len(pos):
                        plan.append((ch, pos))
                    continue
                m = ch.visible_mask(ts, txid)
                if m is None:
                    continue
                if rid_np is not None:
                    sel = np.isin(ch.rowids(), rid_np)
                    if m is True:
                        m = sel
                    else:
                        m = (m.to_numpy(zero_copy_only=False) if isinstance(m, pa.Array) else m) & sel
                if m is not True:
                    cnt = m.true_count if isinstance(m, pa.Array) else int(np.count_nonzero(m))
                    if cnt == 0:
                        continue
                    if cnt == len(m):
                        m = True
                plan.append((ch, m))
        dead = layer.dead_tombs(ts, txid) if (layer is not None and branch.parent is not None) else None
        parent = branch.parent
        return self._produce(plan, parent, branch.fork_ts, t, ts, filter, rid_np, key_probe, dead, counts, need,
                             index, only)

    def visible_chunks(self, branch: Branch, t: TableDef, ts: int, txid: int
                       ) -> Iterator[tuple[Chunk, np.ndarray | None]]:
        """Every chunk of `t` a read of `branch` walks (its own, then its ancestors' as of the fork),
        with the rows snapshot (ts, txid) sees: a numpy bool mask, or None when it sees them all.
        The same walk as ``_visible``, for index structures derived chunk by chunk."""
        layer = branch.layers.get(t.data_id)
        if layer is not None:
            for ch in list(layer.chunks.values()):
                m = ch.visible_mask(ts, txid)
                if m is None or m is False:
                    yield ch, np.zeros(ch.num_rows, dtype=bool)
                elif m is True:
                    yield ch, None
                else:
                    yield ch, (m.to_numpy(zero_copy_only=False) if isinstance(m, pa.Array) else np.asarray(m))
        parent = branch.parent
        if parent is None:
            return
        dead = layer.dead_tombs(ts, txid) if layer is not None else None
        for ch, m in self.visible_chunks(parent, t, min(ts, branch.fork_ts), 0):
            if dead is not None and len(dead):
                keep = ~np.isin(ch.rowids(), dead)
                m = keep if m is None else (m & keep)
            yield ch, m

    def _produce(self, plan: list[tuple[Chunk, Any]], parent: Branch | None, fork_ts: int | None,
                 t: TableDef, ts: int, filter: pc.Expression | None, rid_np: np.ndarray | None, key_probe: Any,
                 dead: np.ndarray | None, counts: list[int] | None = None,
                 need: list[str] | None = None, index: tuple[str, list[Any]] | None = None,
                 only: set[int] | None = None) -> Iterator[pa.RecordBatch]:
        now = time.monotonic()
        remote = [ch.source for ch, _m in plan if not ch.resident]
        for source in remote[1:1 + READ_AHEAD]:  # the segments after the first are fetched meanwhile
            self.tiers.read_ahead(source, need)
        seen_remote = 0
        kept = None if need is None else {*need, ROWID}
        for ch, m in plan:
            ch.last_read = now
            if ch.resident:
                data = ch.data
                if kept is not None and m is not True and len(kept) < data.num_columns:
                    # only the columns the scan uses are copied by the filter or take below
                    data = data.select([n for n in data.schema.names if n in kept])
            else:
                if ch.tier == COLD and self.on_cold_read is not None:
                    self.on_cold_read(ch)
                seen_remote += 1
                if seen_remote + READ_AHEAD < len(remote):
                    self.tiers.read_ahead(remote[seen_remote + READ_AHEAD], need)
                data = ch.columns(need)
            if m is True:
                narrowed.register(ch, data)  # the batch itself, as every scan of the chunk gets it
                yield data
            elif isinstance(m, np.ndarray) and m.dtype == np.int64:  # positions an index found
                # one row, or a short run of rows: a slice of the batch, not a copy of its columns
                # (short: too few rows for the kept values of stored slices, storage.narrowed)
                yield data.slice(int(m[0]), len(m)) if len(m) < narrowed.MIN_ROWS and \
                    int(m[-1]) - int(m[0]) == len(m) - 1 else data.take(pa.array(m))
            else:
                yield data.filter(m if isinstance(m, pa.Array) else pa.array(m))
        if parent is None:
            return
        for b in self._visible(parent, t, min(ts, fork_ts), 0, filter, rid_np, key_probe, counts, need, index, only):
            if dead is not None and len(dead):
                keep = ~np.isin(b.column(ROWID).to_numpy(), dead)
                if not keep.all():
                    b = b.filter(pa.array(keep))
                    if b.num_rows == 0:
                        continue
            yield b

    @staticmethod
    def _prune_terms(t: TableDef, filter: pc.Expression) -> list[tuple[str, str, Any]]:
        out = []
        for name, op, val in prune_terms(filter):
            c = t.column(name)
            if c is not None:
                out.append((f"c{c.col_id}", op, val))
        return out

    def _full_schema(self, t: TableDef) -> pa.Schema:
        key = (id(t), None, True)
        hit = self._schema_cache.get(key)
        if hit is not None and hit[0] is t:
            return hit[1]
        sch = pa.schema([pa.field(c.name, c.type) for c in t.columns] + [pa.field(ROWID, pa.int64())])
        if len(self._schema_cache) > 4096:
            self._schema_cache.clear()
        self._schema_cache[key] = (t, sch)
        return sch

    def _present_schema(self, t: TableDef, columns: list[str] | None, with_rowid: bool) -> pa.Schema:
        key = (id(t), tuple(columns) if columns is not None else None, with_rowid)
        hit = self._schema_cache.get(key)
        if hit is not None and hit[0] is t:
            return hit[1]
        full = self._full_schema(t)
        names = list(columns) if columns is not None else [c.name for c in t.columns]
        if with_rowid:
            names.append(ROWID)
        sch = pa.schema([full.field(n) for n in names])
        self._schema_cache[key] = (t, sch)
        return sch

    def _present_some(self, t: TableDef, phys: pa.RecordBatch, need: list[str]) -> pa.RecordBatch:
        """``_present`` of just the physical columns ``need`` (+ _rowid), under their user names.
        Which column of the batch each one is (or its fill) and the schema are planned once per
        table, batch layout and ``need``: a scan presents every batch of a table alike."""
        names = phys.schema.names
        key = ("some", id(t), tuple(names), tuple(need))
        plan = self._present_plans.get(key)
        if plan is None or plan[0] is not t:
            plan = (t, "some", self._present_some_plan(t, names, need))
            if len(self._present_plans) > 4096:
                self._present_plans.clear()
            self._present_plans[key] = plan
        picks, schema = plan[2]
        n = phys.num_rows
        return pa.RecordBatch.from_arrays(
            [phys.column(p) if isinstance(p, int) else _filled(p, n) for p in picks], schema=schema)

    def _present_some_plan(self, t: TableDef, names: list[str], need: list[str]
                           ) -> tuple[list[Any], pa.Schema]:
        """``_present_some``'s columns: each one's position in the physical batch, or (type, fill
        value) for a column added by ALTER TABLE after the batch was written; and the schema."""
        full = self._full_schema(t)
        fills = t.options.get("__fill__")
        wanted = set(need)
        picks: list[Any] = []
        fields = []
        for c, field in zip(t.columns, full, strict=False):
            pn = f"c{c.col_id}"
            if pn not in wanted:
                continue
            picks.append(names.index(pn) if pn in names else (c.type, fills.get(str(c.col_id)) if fills else None))
            fields.append(field)
        picks.append(names.index(ROWID))
        fields.append(full.field(ROWID))
        return picks, pa.schema(fields)

    def _column_picks(self, t: TableDef, names: list[str], out: pa.Schema) -> list[int] | None:
        """Which physical column (of a batch laid out as ``names``) gives each column of ``out``,
        planned once per table, layout and ``out``; None when one was added after that layout."""
        key = (id(t), tuple(names), id(out))
        plan = self._present_plans.get(key)
        if plan is None or plan[0] is not t or plan[2][0] is not out:
            by_name = {c.name: f"c{c.col_id}" for c in t.columns}
            by_name[ROWID] = ROWID
            phys_names = [by_name.get(n) for n in out.names]
            picks = [names.index(p) for p in phys_names if p is not None and p in names]
            plan = (t, "columns", (out, picks if len(picks) == len(out) else None))
            if len(self._present_plans) > 4096:
                self._present_plans.clear()
            self._present_plans[key] = plan
        return plan[2][1]

    def _present_columns(self, t: TableDef, phys: pa.RecordBatch, out: pa.Schema) -> pa.RecordBatch:
        """``_present(t, phys).select(out.names)`` in one step when every column asked for is in
        the physical batch (a point read's row): the physical columns picked by a cached plan."""
        picks = self._column_picks(t, phys.schema.names, out)
        if picks is None:  # a column added after this row was written: filled by _present
            return self._present(t, phys).select(out.names)
        # picked and renamed inside Arrow: a Python object per column (``phys.column(i)``) costs
        # more than the rest of a point read; the general build when the fields differ otherwise
        renamed = phys.select(picks).rename_columns(out.names)
        if renamed.schema.equals(out):
            return renamed
        return pa.RecordBatch.from_arrays([phys.column(i) for i in picks], schema=out)

    def _presented_chunk(self, t: TableDef, ch: Any, out: pa.Schema) -> pa.RecordBatch | None:
        """A resident chunk's rows as ``_present_columns`` gives them, kept on the chunk (a
        zero-copy view) per table definition and ``out``: a point read then slices its row
        out of it instead of picking and renaming columns for each read. None when a column
        asked for was added after the chunk was written (its fill would be built for every row)."""
        if not ch.resident:
            return self._presented_segment(t, ch, out)
        kept = ch.presented
        hit = kept.get(id(out)) if kept is not None else None
        if hit is not None and hit[0] is t and hit[1] is out:
            return hit[2]
        view = self._built_view(t, ch, out)
        if view is not None:
            if kept is None or len(kept) >= 4:
                kept = ch.presented = {}
            kept[id(out)] = (t, out, view)
        return view

    def _presented_segment(self, t: TableDef, ch: Any, out: pa.Schema) -> pa.RecordBatch | None:
        """``_presented_chunk`` for a chunk read through the tiers' cache (a compressed or remote
        segment): the view is kept in that cache beside the decoded columns, counted against its
        budget (it holds those columns' buffers) and dropped with them when the segment moves or
        goes. None when the chunk's source keeps no cache."""
        source = ch.source
        key_of = getattr(source, "key", None)
        cache = getattr(getattr(source, "tiers", None), "cache", None)
        if key_of is None or cache is None:
            return None
        kind, name, _columns = key_of(None)
        key = (kind, name, ("presented", id(t), id(out)))
        hit = cache.get(key, counted=False)
        if hit is not None and hit[0] is t and hit[1] is out:
            return hit[2]
        view = self._built_view(t, ch, out)
        if view is not None:
            cache.put(key, (t, out, view), view.nbytes)
        return view

    def _built_view(self, t: TableDef, ch: Any, out: pa.Schema) -> pa.RecordBatch | None:
        """All of ``ch``'s rows as ``_present_columns`` gives them (zero-copy), or None when a column
        asked for was added after the chunk was written."""
        data = ch.data
        if self._column_picks(t, data.schema.names, out) is None:
            return None
        return self._present_columns(t, data, out)

    def _present(self, t: TableDef, phys: pa.RecordBatch) -> pa.RecordBatch:
        """Physical batch (c<col_id> columns) -> the table's current user-named columns + _rowid."""
        names = phys.schema.names
        key = (id(t), tuple(names))
        plan = self._present_plans.get(key)
        if plan is None or plan[0] is not t:
            want = [f"c{c.col_id}" for c in t.columns] + [ROWID]
            if names == want:
                plan = (t, "rename", None)
            elif all(w in names for w in want):
                plan = (t, "select", [names.index(w) for w in want])
            else:
                plan = (t, "build", None)
            if len(self._present_plans) > 4096:
                self._present_plans.clear()
            self._present_plans[key] = plan
        full = self._full_schema(t)
        if plan[1] == "rename":
            return phys.rename_columns(full.names)
        if plan[1] == "select":
            return phys.select(plan[2]).rename_columns(full.names)
        n = phys.num_rows
        fills = t.options.get("__fill__")
        arrays = []
        for c in t.columns:
            pn = f"c{c.col_id}"
            if pn in names:
                arrays.append(phys.column(pn))
            else:
                arrays.append(column_fills.rows(fills.get(str(c.col_id)) if fills else None, c.type, n))
        arrays.append(phys.column(ROWID))
        return pa.RecordBatch.from_arrays(arrays, schema=full)

    def _parse_json(self, text: str) -> Any:
        v = self._json_cache.get(text)
        if v is None:
            if len(self._json_cache) > 10000:
                self._json_cache.clear()
            v = self._json_cache[text] = json.loads(text)
        return json.loads(text) if not isinstance(v, dict) else _copy(v)

    def _parse_tabledef(self, text: str) -> TableDef:
        t = self._def_cache.get(text)
        if t is None:
            if len(self._def_cache) > 10000:
                self._def_cache.clear()
            t = self._def_cache[text] = TableDef.from_record(json.loads(text))
        return t


QUICK_SYNC_SECONDS = 0.004
_BULK_CLASS = 4  # _size_class of 32,768 rows
MEMTABLE_FAN_IN = 16  # memtable chunks of one size class merged at once (Store._compact_memtables)


def _size_class(rows: int) -> int:
    return max(rows, 1).bit_length() // 4


def _installed_disk_tier(data_dir: str) -> StorageTier:
    """The tier of an installed plugin (helios_storage_tiers hook; "nvme" preferred)."""
    import pluggy

    from helios_core import hookspecs

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints(hookspecs.PROJECT)
    factories = [f for group in pm.hook.helios_storage_tiers() for f in (group or [])]
    if not factories:
        raise HeliosError("a data_dir needs a storage tier: pip install helios-storage-nvme", sqlstate="58000")
    factories.sort(key=lambda f: f.name != "nvme")
    return factories[0].create(data_dir, None)


def _copy(v: dict) -> dict:
    return json.loads(json.dumps(v))
