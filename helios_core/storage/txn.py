"""Transactions: snapshots, row writes with first-updater-wins locking, catalog DDL.

Write protocol (PostgreSQL's, on column arrays): to update or delete a row a
transaction stamps ``ended = -txid`` on the row's newest version (its write lock).
Another writer that finds a negative stamp waits for that transaction to finish;
if it committed, REPEATABLE READ fails with 40001 and READ COMMITTED reports the row
in ``WriteOutcome.changed``/``gone``. New versions go into a pending chunk whose
``created`` is ``-txid``; commit stamps the commit timestamp on all of them at once.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Self

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core import statement_gate, time_budget
from helios_core.errors import (
    DeadlockDetected,
    HeliosError,
    LockNotAvailable,
    NotNullViolation,
    SerializationFailure,
    UndefinedColumn,
    UndefinedTable,
    UniqueViolation,
)
from helios_core.storage import spill
from helios_core.storage.catalog import CATALOG, CatalogOps
from helios_core.storage.errors import InvalidTransactionState, ReadOnlyTransaction
from helios_core.storage.layer import Branch, Layer
from helios_core.storage.lock_wait import LockWaitOnLoop
from helios_core.storage.locmap import LocMap
from helios_core.storage.reads import READ_COMMITTED, ReadOps
from helios_core.storage.schema import TableDef, WriteOutcome
from helios_core.storage.ssi import ALL, SerializableXact
from helios_core.storage.table_activity import N_TUP_DEL, N_TUP_INS, N_TUP_UPD
from helios_core.storage.table_locks import TableKey, reaches
from helios_core.storage.versions import MAX_TS, ROWID, Chunk, unpack_loc

if TYPE_CHECKING:  # pragma: no cover
    from helios_core.storage.store import Store

REPEATABLE_READ = "repeatable read"
_DONE_LOCK = threading.Lock()  # orders a transaction's end with the making of its ``done`` event
LOCK_WAIT_SLICE = 0.05  # seconds a lock waiter sleeps between looks at its interrupt_check
SMALL_WRITE_BYTES = 256 << 10  # writes_are_small: new row versions held in memory
SMALL_WRITE_ITEMS = 256  # writes_are_small: new chunks and ended versions

_EMPTY = pa.array([], pa.int64())

# classification of a row a writer wants to touch
_OWN, _COMMITTED, _INHERITED, _CHANGED, _GONE, _WAIT = range(6)


class LayerWrites:
    """What one transaction did to one layer: needed to commit, roll back and log it."""

    __slots__ = ("chunks", "ended_locs", "ended_rowids", "layer", "own", "own_ended", "own_undo_old",
                 "own_undo_r", "pk_undo_key", "pk_undo_old", "ranges", "table", "tombs")

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        self.chunks: list[Chunk] = []
        self.own = LocMap()  # rowid -> loc of this txn's newest version
        self.ended_locs: list[int] = []  # committed versions this txn ended (own layer)
        self.ended_rowids: list[int] = []  # their rowids (for the WAL)
        self.tombs: list[int] = []  # inherited rowids this txn ended
        self.pk_undo_key: list[Any] = []  # key index entries replaced (parallel lists: no tuples)
        self.pk_undo_old: list[int | None] = []
        self.own_undo_r: list[int] = []  # for ROLLBACK TO SAVEPOINT
        self.own_undo_old: list[int | None] = []
        self.own_ended: list[int] = []  # own versions this txn replaced/deleted again
        self.ranges: list[tuple[int, int, Any]] = []  # pending_new entries it added
        self.table: TableDef | None = None  # the definition last written with (commit observers)

    def marks(self) -> tuple[int, ...]:
        return (len(self.chunks), len(self.ended_locs), len(self.tombs), len(self.pk_undo_key), len(self.own_undo_r),
                len(self.own_ended), len(self.ranges))


class Transaction(ReadOps, CatalogOps):
    """One transaction on one branch. Used by one session thread at a time."""

    def __init__(
        self, store: Store, branch: Branch, isolation: str, read_only: bool, lock_timeout: float | None
    ) -> None:
        iso = isolation.lower().replace("_", " ")
        serializable = iso == "serializable"
        if serializable:
            iso = REPEATABLE_READ  # a REPEATABLE READ snapshot plus SSI's read/write tracking
        elif iso == "read uncommitted":
            iso = READ_COMMITTED
        if iso not in (READ_COMMITTED, REPEATABLE_READ):
            raise HeliosError(f"unknown isolation level {isolation!r}", sqlstate="22023")
        self.store = store
        self._branch = branch
        self.db = branch.db
        self.isolation = iso
        self.read_only = read_only
        self.lock_timeout = lock_timeout
        self.txid = store._next_txid()
        self.state = "active"
        self._done: threading.Event | None = None  # made when someone waits (most never are)
        self._on_end: list[Callable[[], None]] | None = None  # when_ended's callbacks
        self._ended = False
        self.waiting_for: Transaction | None = None
        self.commit_ts: int | None = None
        self._snapshot: int | None = None
        self._recheck_snap: int | None = None  # RC: snapshot of the last latest=True re-read
        # tables (data ids) whose rows this transaction wrote in the current statement only and
        # that the statement's other parts must read as they were before it (writable WITH)
        self.hidden_writes: frozenset[int] = frozenset()
        self.writes: dict[tuple[int, int], LayerWrites] = {}
        self.row_locks: list[tuple[tuple[int, int], int]] = []
        self.table_locks: list[tuple[TableKey, str]] = []  # table locks taken, in order
        self.table_waits: list[Transaction] = []  # whom a table-lock wait is blocked by
        # called while a lock wait goes on: raises to end it (the session's cancel / statement_timeout)
        self.interrupt_check: Callable[[], None] | None = None
        self.ddl = False
        self.resident_new_bytes = 0  # new row versions held in memory, not yet spilled (storage.spill)
        self.spilled_bytes = 0
        self._spills: list[tuple[Chunk, LayerWrites, Any]] = []  # chunks being written to spill files
        # SERIALIZABLE: the SSI state (ssi.py); None at the other levels and once a READ ONLY
        # DEFERRABLE transaction has its safe snapshot
        self.sx: SerializableXact | None = store.ssi.register(self.txid, read_only) if serializable else None

    # ------------------------------------------------------------------ basics
    @property
    def done(self) -> threading.Event:
        """Set when the transaction has ended: what a lock waiter blocks on. Made on first
        use, since a transaction nobody waits for (nearly all) need not pay for an Event."""
        ev = self._done
        if ev is None:
            with _DONE_LOCK:
                ev = self._done
                if ev is None:
                    ev = threading.Event()
                    if self._ended:
                        ev.set()
                    self._done = ev
        return ev

    @property
    def branch(self) -> str:
        return self._branch.name

    @property
    def branch_lineage(self) -> list[int]:
        """Ids of this transaction's branch and of its ancestors, nearest first: a row id carries
        the id of the branch that wrote the row (ctid is derived from both)."""
        out, b = [], self._branch
        while b is not None:
            out.append(b.branch_id)
            b = b.parent
        return out

    @property
    def branch_id(self) -> int:
        """The branch's id, unique in the store (branch names repeat across databases)."""
        return self._branch.branch_id

    @property
    def snapshot_ts(self) -> int:
        """Taken at the first statement (as PostgreSQL does), fixed under REPEATABLE READ."""
        if self._snapshot is None:
            if self.sx is None:
                self._snapshot = self.store._snapshot_ts()
            else:
                with self.store.mu:  # SSI's clean-up must see the snapshot the moment it exists
                    self._snapshot = self.sx.snapshot_ts = self.store._snapshot_ts()
        return self._snapshot

    def wait_for_safe_snapshot(self) -> None:
        """READ ONLY DEFERRABLE: block until a snapshot no serializable writer can make unsafe."""
        sx = self.sx
        if sx is None or not self.read_only or self._snapshot is not None:
            return
        ssi = self.store.ssi
        while True:
            with self.store.mu:
                snap = self.store._snapshot_ts()
                others = ssi.running_writers(sx)
            if ssi.snapshot_is_safe(sx, others, snap):
                self._snapshot = snap
                self.sx = None
                return

    # ------------------------------------------------------------- SSI hooks
    # Every read and write of a user table passes here (scans, key lookups, inserts, updates,
    # deletes), whatever path a statement takes: a new read or write path must call them too.
    def ssi_read(self, t: TableDef, keys: Any = None) -> None:
        """Record a read of table ``t``: the given primary-key values, or (None) the whole relation."""
        sx = self.sx
        if sx is None or t.table_id == 0:
            return
        snap = self.snapshot_ts
        self.store.ssi.on_read(sx, (self._branch.branch_id, t.table_id), ALL if keys is None else keys, snap)

    def ssi_write(self, t: TableDef, keys: Any = None) -> None:
        """Record a write of table ``t``: the primary-key values touched, or (None) unknown rows."""
        sx = self.sx
        if sx is None or t.table_id == 0:
            return
        snap = self.snapshot_ts
        self.store.ssi.on_write(sx, (self._branch.branch_id, t.table_id), ALL if keys is None else keys, snap)

    def new_statement(self) -> None:
        """READ COMMITTED: the next statement sees everything committed before it starts."""
        if self.isolation == READ_COMMITTED:
            self._snapshot = None
            self._recheck_snap = None

    def reader_txid(self, t: TableDef) -> int:
        """The transaction id reads of ``t`` use: 0 (own writes unseen) while the statement
        reads a table its data-modifying WITH queries changed (see ``written_since``)."""
        return 0 if t.data_id in self.hidden_writes else self.txid

    def write_marks(self) -> dict[tuple[int, int], tuple[int, ...]]:
        """Where this transaction's writes stand now, per layer: compare with ``written_since``."""
        return {key: w.marks() for key, w in self.writes.items()}

    def written_since(self, marks: dict[tuple[int, int], tuple[int, ...]]) -> tuple[set[int], set[int]]:
        """(data ids first written after ``marks`` were taken, data ids written before and again after).

        A table of the first kind reads as it was at ``marks`` by leaving out the transaction's own
        writes (it has no older ones); one of the second kind cannot be read that way."""
        fresh, again = set(), set()
        for key, w in self.writes.items():
            before = marks.get(key)
            if before == w.marks():
                continue
            if before is None or not any(before):
                fresh.add(w.layer.data_id)
            else:
                again.add(w.layer.data_id)
        return fresh, again

    @contextlib.contextmanager
    def own_writes_seen(self) -> Iterator[None]:
        """Reads inside see all of this transaction's writes again: constraint checks, foreign-key
        actions and triggers look at the rows as the statement has left them, as PostgreSQL's do."""
        saved, self.hidden_writes = self.hidden_writes, frozenset()
        try:
            yield
        finally:
            self.hidden_writes = saved

    def self_modified(self, t: TableDef, rowids: list[int]) -> list[bool]:
        """Which of ``rowids`` of ``t`` (a table of ``hidden_writes``) the current statement
        already updated or deleted: PostgreSQL's later writes of one statement skip them."""
        layer = self._branch.layers.get(t.data_id)
        w = self.writes.get(layer.key) if layer is not None else None
        if w is None:
            return [False] * len(rowids)
        ended = set(w.ended_rowids) | set(w.tombs)
        return [r in w.own or r in ended for r in rowids]

    def _check_active(self) -> None:
        if self.state != "active":
            raise InvalidTransactionState(f"transaction is already {self.state}")

    def _check_write(self) -> None:
        self._check_active()
        if self.read_only:
            raise ReadOnlyTransaction("cannot execute write in a read-only transaction")
        if self._branch.dropped:
            raise HeliosError(f'branch "{self._branch.name}" was dropped', sqlstate="42704")

    def commit(self) -> int:
        self._check_active()
        if self._spills:
            self._settle_spills(None)
        if self.sx is not None:
            try:
                self.store.ssi.pre_commit(self.sx)
            except SerializationFailure:
                self.rollback()
                raise
        return self.store._commit(self)

    def writes_are_small(self) -> bool:
        """Committing or rolling back costs little: at most SMALL_WRITE_BYTES of new row versions,
        none spilled, and at most SMALL_WRITE_ITEMS chunks and ended versions (their log record is
        encoded, and their stamps applied, in proportion)."""
        if self.resident_new_bytes > SMALL_WRITE_BYTES or self.spilled_bytes or self._spills:
            return False
        items = 0
        for w in self.writes.values():
            items += len(w.chunks) + len(w.ended_locs) + len(w.tombs)
            if items > SMALL_WRITE_ITEMS:
                return False
        return True

    def rollback(self) -> None:
        if self.state != "active":
            return
        with self.store.mu:
            self._undo()
            self._finish("aborted")
        self.let_writes_go()

    def let_writes_go(self) -> None:
        """Forget a finished transaction's write log (its new chunks, undo lists). The object itself
        can outlive it: a cached plan keeps the context it was planned in, and with it that
        execution's transaction; its rows must not stay in memory with it (a checkpoint had
        replaced them, yet they were held as long as the plan was cached)."""
        if self.state != "active":
            self.writes = {}
            self._spills = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self.state == "active":
            if exc_type is None:
                self.commit()
            else:
                self.rollback()

    # ------------------------------------------------------------ commit/undo
    def _apply(self, ts: int) -> None:
        """Stamp the commit timestamp on everything this transaction wrote (under store.mu)."""
        mark = -self.txid
        if self.ddl:
            self.store.catalog_ts = ts
            self.store.catalog_version += 1
        for w in self.writes.values():
            layer = w.layer
            for ch in w.chunks:
                ch.created = ts
                e = ch.ended
                e[e == mark] = ts
            if w.ended_locs:
                locs = np.asarray(w.ended_locs, dtype=np.int64)
                cids = locs >> 32
                for cid in np.unique(cids).tolist():
                    ch = layer.chunks.get(cid)
                    if ch is not None:
                        ch.end(locs[cids == cid] & 0xFFFFFFFF, ts)
            for r in w.tombs:
                layer.tomb[r] = ts
            layer.rowloc.absorb(w.own)
            if layer.pending_new:
                layer.pending_new = [p for p in layer.pending_new if p[2] is not self]
            w.ranges.clear()  # its entries hold this transaction: a cycle that kept the rows it wrote

    def spilled_files(self) -> list[str]:
        return [ch.spill for w in self.writes.values() for ch in w.chunks if ch.spill is not None]

    def _maybe_spill(self) -> None:
        """Past ``store.spill_after_bytes`` of new rows in memory, write them to spill files: in the
        store's spill threads (the statement goes on decoding meanwhile); the statement waits only
        while more than that many bytes are still in memory."""
        store = self.store
        limit = store.spill_after_bytes
        if self.resident_new_bytes < limit or not spill.enabled(store):
            return
        queued = {id(ch) for ch, _w, _f in self._spills}
        for w in list(self.writes.values()):
            for ch in list(w.chunks):
                if ch.spill is None and ch.resident and ch.num_rows and id(ch) not in queued:
                    self._spills.append((ch, w, store.spill_pool().submit(spill.write, store, ch.data)))
        self._settle_spills(limit)

    def _settle_spills(self, limit: int | None) -> None:
        """Swap in the spill files written so far, waiting while more than ``limit`` bytes of new rows
        are still in memory (None: for every file). A chunk rolled back meanwhile loses its file."""
        store = self.store
        while self._spills and (limit is None or self._spills[0][2].done() or self.resident_new_bytes > limit):
            ch, w, fut = self._spills.pop(0)
            try:
                name, mapped = fut.result()
            except HeliosError:  # disk full: the rows stay in memory and go into the commit record
                continue
            with store.mu:
                if self.writes.get(w.layer.key) is not w or not any(c is ch for c in w.chunks):
                    spill.remove(store, [name])
                    continue
                ch.data, ch.spill = mapped, name
            self.resident_new_bytes = max(0, self.resident_new_bytes - mapped.nbytes)
            self.spilled_bytes += mapped.nbytes

    def _drop_pending_spills(self) -> None:
        """Rollback: wait for spill files still being written and delete them."""
        while self._spills:
            _ch, _w, fut = self._spills.pop(0)
            try:
                name, _mapped = fut.result()
            except HeliosError:
                continue
            spill.remove(self.store, [name])

    def _undo(self) -> None:
        self._drop_pending_spills()
        spill.remove(self.store, self.spilled_files())
        for w in self.writes.values():
            layer = w.layer
            for ch in w.chunks:
                layer.chunks.pop(ch.chunk_id, None)
            for loc in w.ended_locs:
                cid, pos = unpack_loc(loc)
                ch = layer.chunks.get(cid)
                if ch is not None and ch.ended[pos] == -self.txid:
                    ch.end(pos, MAX_TS)
            for r in w.tombs:
                if layer.tomb.get(r) == -self.txid:
                    del layer.tomb[r]
            for key, old in zip(reversed(w.pk_undo_key), reversed(w.pk_undo_old), strict=True):
                if old is None:
                    layer.pk.pop(key, None)
                else:
                    layer.pk[key] = old
            if layer.pending_new:
                layer.pending_new = [p for p in layer.pending_new if p[2] is not self]
            w.ranges.clear()

    def _finish(self, state: str) -> None:
        locks = self.store.row_locks
        for key in self.row_locks:
            holders = locks.get(key)
            if holders is not None:
                holders.pop(self.txid, None)
                if not holders:
                    del locks[key]
        self.row_locks = []
        self.store.table_locks.release_all(self)
        self.state = state
        if state == "committed":  # the server's transaction counters (helios_transactions_total)
            self.store.xact_commit += 1
        else:
            self.store.xact_rollback += 1
        self.store.active.pop(self.txid, None)
        if self.sx is not None:
            self.store.ssi.finish(self.sx, state == "committed", self.commit_ts)
        with _DONE_LOCK:
            self._ended = True
            ev = self._done
            callbacks, self._on_end = self._on_end, None
        if ev is not None:
            ev.set()
        if callbacks:
            for callback in callbacks:
                callback()

    def when_ended(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` (on the ending thread, so it must be quick and thread-safe) once the
        transaction has ended; at once if it has."""
        with _DONE_LOCK:
            if not self._ended:
                if self._on_end is None:
                    self._on_end = []
                self._on_end.append(callback)
                return
        callback()

    # ------------------------------------------------------------- savepoints
    def savepoint(self, name: str | None = None) -> Any:
        """A token for rollback_to: how far each layer's write log had grown."""
        self._check_active()
        return ({k: w.marks() for k, w in self.writes.items()}, len(self.row_locks), len(self.table_locks))

    def release_savepoint(self, token: Any) -> None:
        """Nothing to do: the writes simply stay part of the transaction."""

    def rollback_to(self, token: Any) -> None:
        """Undo everything written (and row locks taken) since the savepoint."""
        self._check_active()
        self._settle_spills(None)
        layer_marks, nlocks, ntable_locks = token
        zero = (0, 0, 0, 0, 0, 0, 0)
        me = -self.txid
        with self.store.mu:
            for key, w in self.writes.items():
                nch, nend, ntomb, npk, nown, nownend, nrng = layer_marks.get(key, zero)
                layer = w.layer
                gone_chunks = {ch.chunk_id for ch in w.chunks[nch:]}
                spill.remove(self.store, [ch.spill for ch in w.chunks[nch:] if ch.spill is not None])
                for ch in w.chunks[nch:]:
                    layer.chunks.pop(ch.chunk_id, None)
                if gone_chunks:
                    w.own.drop_runs(lambda base, g=gone_chunks: (base >> 32) in g)
                for r, old in zip(reversed(w.own_undo_r[nown:]), reversed(w.own_undo_old[nown:]), strict=True):
                    if old is None:
                        w.own.pop(r, None)
                    else:
                        w.own[r] = old
                for loc in w.own_ended[nownend:] + w.ended_locs[nend:]:
                    cid, pos = unpack_loc(loc)
                    ch = layer.chunks.get(cid)
                    if ch is not None and ch.ended[pos] == me:
                        ch.end(pos, MAX_TS)
                for r in w.tombs[ntomb:]:
                    if layer.tomb.get(r) == me:
                        del layer.tomb[r]
                for k, old in zip(reversed(w.pk_undo_key[npk:]), reversed(w.pk_undo_old[npk:]), strict=True):
                    if old is None:
                        layer.pk.pop(k, None)
                    else:
                        layer.pk[k] = old
                dropped = set(map(id, w.ranges[nrng:]))
                if dropped:
                    layer.pending_new = [p for p in layer.pending_new if id(p) not in dropped]
                del w.chunks[nch:], w.ended_locs[nend:], w.ended_rowids[nend:], w.tombs[ntomb:]
                del w.pk_undo_key[npk:], w.pk_undo_old[npk:], w.own_undo_r[nown:], w.own_undo_old[nown:]
                del w.own_ended[nownend:], w.ranges[nrng:]
            locks = self.store.row_locks
            for key in self.row_locks[nlocks:]:
                holders = locks.get(key)
                if holders is not None:
                    holders.pop(self.txid, None)
                    if not holders:
                        del locks[key]
            del self.row_locks[nlocks:]
            self.store.table_locks.release_since(self, ntable_locks)

    rollback_to_savepoint = rollback_to

    # ------------------------------------------------------------- waiting
    def _wait_for(self, other: Transaction, nowait: bool, row: Any = None) -> None:
        """Block until `other` ends, as a row-lock waiter (deadlock check + lock_timeout). ``row``
        (the row's identity, where known) queues waiters for one row in turn on an event loop."""
        if nowait:
            raise LockNotAvailable("could not obtain lock on row")
        # tried on a protocol's event loop: handed back, to wait there (without lock_timeout) or in a worker
        if time_budget.active():
            time_budget.inline(None if self.lock_timeout else LockWaitOnLoop(self, other, row))
        with self.store.mu:
            if reaches(other, self):
                raise DeadlockDetected(
                    "deadlock detected",
                    detail=f"Transaction {self.txid} waits for transaction {other.txid}, "
                    "which waits for this transaction.",
                )
            self.waiting_for = other
        give_up = time.monotonic() + self.lock_timeout if self.lock_timeout else None
        try:
            with statement_gate.waiting():
                while not other.done.wait(LOCK_WAIT_SLICE if give_up is None else
                                          max(0.0, min(LOCK_WAIT_SLICE, give_up - time.monotonic()))):
                    if give_up is not None and time.monotonic() >= give_up:
                        raise LockNotAvailable("canceling statement due to lock timeout")
                    if self.interrupt_check is not None:
                        self.interrupt_check()  # a cancel request or statement_timeout ends the wait
        finally:
            self.waiting_for = None

    def lock_table(self, schema: str, name: str, mode: str, nowait: bool = False) -> None:
        """LOCK TABLE: take the table lock ``mode`` ("write" or "exclusive") until the transaction ends;
        NOWAIT fails at once (55P03) instead of waiting."""
        t = self.get_table(schema, name)
        if t is None:
            raise UndefinedTable(f'relation "{name}" does not exist')
        self._lock_table(t, mode, nowait)

    def _lock_table(self, t: TableDef, mode: str, nowait: bool = False) -> TableDef:
        """Take a table lock ("write" or "exclusive"); returns the definition to go on with.

        After a wait the table may have been dropped (42P01) or truncated/rewritten: READ COMMITTED
        then continues with the new definition and a fresh snapshot (PostgreSQL resolves the table
        after locking it); REPEATABLE READ cannot see the new data set and fails with 40001.
        An exclusive lock under READ COMMITTED always takes a fresh snapshot, so a rewrite copies
        the rows writers committed while it waited.
        """
        if t.table_id == 0:  # the catalog itself: row locks suffice
            return t
        key = (self._branch.branch_id, t.table_id)
        waited = self.store.table_locks.acquire(self, key, mode, nowait, t.name)
        if waited is None:
            return t
        if not waited and mode == "write" and self._latest_definition(t):
            return t  # no wait and no DDL since `t` was read: nothing to look up again
        rr = self.isolation == REPEATABLE_READ
        if mode == "exclusive":
            if not rr:
                self._snapshot = None
                self._recheck_snap = None
            elif any(b.state == "committed" for b in waited):
                raise SerializationFailure("could not serialize access due to concurrent update",
                                           detail=f'relation "{t.name}" was written by a concurrent transaction')
        row = self._lookup_phys(self._branch, CATALOG, ("table", f"{t.schema}.{t.name}"), self._latest_ts(),
                                self.txid)
        cur = None if row is None else self.store._parse_tabledef(row.column(2)[0].as_py())
        if cur is None or cur.table_id != t.table_id:
            raise UndefinedTable(f'relation "{t.name}" does not exist')
        if cur.data_id == t.data_id and (mode != "exclusive" or cur.to_record() == t.to_record()):
            return t
        if rr:
            raise SerializationFailure("could not serialize access due to concurrent update",
                                       detail=f'relation "{t.name}" was changed by a concurrent transaction')
        self._snapshot = None
        self._recheck_snap = None
        return cur

    def _latest_definition(self, t: TableDef) -> bool:
        """``t`` is the newest committed definition of its table: the one ``get_table`` cached at
        the current catalog version (no DDL committed since), and this transaction changed none."""
        store = self.store
        hit = store._table_cache.get((self._branch.branch_id, t.schema, t.name))
        return not self.ddl and hit is not None and hit[1] is t and hit[0] == store.catalog_version

    # ------------------------------------------------------------- writing
    def _layer_for_write(self, t: TableDef) -> tuple[Layer, LayerWrites]:
        layer = self._branch.layers.get(t.data_id)
        if layer is None:
            pk_cols = tuple(f"c{t.column(k).col_id}" for k in t.primary_key)
            layer = self._branch.layers.setdefault(t.data_id, Layer(self._branch, t.data_id, pk_cols))
        w = self.writes.get(layer.key)
        if w is None:
            w = self.writes[layer.key] = LayerWrites(layer)
        w.table = t
        return layer, w

    def _physical(self, t: TableDef, data: pa.RecordBatch | pa.Table, base: pa.RecordBatch | None = None
                  ) -> pa.RecordBatch:
        """User-named input -> physical batch of all current columns (cast, NOT NULL checked)."""
        if isinstance(data, pa.Table):
            data = data.combine_chunks()
            data = data.to_batches()[0] if data.num_rows else pa.RecordBatch.from_pylist([], schema=data.schema)
        n = data.num_rows
        layout = _physical_layout(t)
        names = data.schema.names
        for nm in names:
            if nm != ROWID and nm not in layout.by_name:
                raise UndefinedColumn(f'column "{nm}" of relation "{t.name}" does not exist')
        given = dict(zip(names, data.columns, strict=True))
        arrays = []
        for c in t.columns:
            arr = given.get(c.name)
            if arr is not None:
                if arr.type != c.type:
                    try:
                        arr = arr.cast(c.type)
                    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                        raise HeliosError(f'column "{c.name}" is of type {c.type} but value is {arr.type}: {e}',
                                          sqlstate="42804") from None
            elif base is not None:
                arr = base.column(c.name)
            else:
                arr = pa.nulls(n, c.type)
            if not c.nullable and arr.null_count:
                raise NotNullViolation(
                    f'null value in column "{c.name}" of relation "{t.name}" violates not-null constraint',
                    schema_name=t.schema, table_name=t.name, column_name=c.name)
            arrays.append(arr)
        return pa.RecordBatch.from_arrays(arrays, schema=layout.schema)

    def insert(self, schema: str, name: str, data: pa.RecordBatch | pa.Table) -> pa.Array:
        self._check_write()
        return self.insert_def(self._def(schema, name), data)

    def insert_rows(self, schema: str, name: str, rows: list[dict[str, Any]]) -> pa.Array:
        """Convenience: insert Python dict rows."""
        t = self._def(schema, name)
        names = {k for r in rows for k in r}
        sch = pa.schema([pa.field(c.name, c.type) for c in t.columns if c.name in names])
        return self.insert_def(t, pa.RecordBatch.from_pylist(rows, schema=sch))

    def insert_def(self, t: TableDef, data: pa.RecordBatch | pa.Table) -> pa.Array:
        self._check_write()
        if t.options and t.options.get("partition_by"):  # its rows live in its partitions (sql/partitions.py)
            raise HeliosError(f'cannot insert into partitioned table "{t.name}" directly', sqlstate="0A000")
        if t.table_id:
            t = self._lock_table(t, "write")
        phys = self._physical(t, data)
        n = phys.num_rows
        if n == 0:
            return _EMPTY
        layer, w = self._layer_for_write(t)
        keys = layer.keys_of(phys) if layer.pk_cols else None
        if keys is not None and len(set(keys)) != n:
            seen: set = set()
            dup = next(k for k in keys if k in seen or seen.add(k))
            raise self._unique_error(t, dup)
        if self.sx is not None:
            self.ssi_write(t, keys)
        store = self.store
        while True:
            with store.mu:
                if keys is not None:
                    other = self._check_unique(t, layer, keys, ())
                else:
                    other = None
                if other is None:
                    start = self._branch.alloc_rowids(n)
                    rowids = pa.array(np.arange(start, start + n, dtype=np.int64))
                    self._append_chunk(layer, w, phys, rowids, fresh=True)
                    layer.pending_new.append((start, start + n, self))
                    w.ranges.append(layer.pending_new[-1])
                    if keys is not None:
                        self._pk_set(layer, w, keys, rowids.to_pylist())
                    store.table_activity(t.table_id)[N_TUP_INS] += n
                    break
            self._wait_for(other, False)
        self.resident_new_bytes += phys.nbytes
        self._maybe_spill()
        return rowids

    def _append_chunk(self, layer: Layer, w: LayerWrites, phys: pa.RecordBatch, rowids: pa.Array,
                      fresh: bool = False) -> Chunk:
        data = phys.append_column(ROWID, rowids)
        ch = Chunk(self.store._next_chunk_id(), data, -self.txid)
        layer.chunks[ch.chunk_id] = ch
        layer.appended += 1
        w.chunks.append(ch)
        base = ch.chunk_id << 32
        rl = rowids.to_pylist()
        if fresh:  # new contiguous rowids: one run instead of a dict entry per row
            w.own.add_run(rl[0], rl[0] + len(rl), base)
            return ch
        w.own_undo_r.extend(rl)
        w.own_undo_old.extend(map(w.own.get, rl) if w.own else itertools.repeat(None, len(rl)))
        w.own.update(zip(rl, range(base, base + data.num_rows), strict=True))
        return ch

    def _pk_set(self, layer: Layer, w: LayerWrites, keys: list, rowids: list[int]) -> None:
        pk = layer.pk
        old = pk.get_many(keys)
        w.pk_undo_key.extend(keys)
        w.pk_undo_old.extend(old)
        pk.update(zip(keys, rowids, strict=True))

    def _unique_error(self, t: TableDef, key: Any) -> UniqueViolation:
        vals = key if isinstance(key, tuple) else (key,)
        name = str((t.options or {}).get("pk_name") or f"{t.name}_pkey")
        return UniqueViolation(
            f'duplicate key value violates unique constraint "{name}"',
            detail=f"Key ({', '.join(t.primary_key)})=({', '.join(map(str, vals))}) already exists.",
            schema_name=t.schema, table_name=t.name, constraint_name=name,
        )

    def _check_unique(self, t: TableDef, layer: Layer, keys: list, replacing: Any) -> Transaction | None:
        """Raise 23505 if a key is live (committed or pending); return a txn to wait for if undecided.

        `replacing`: rowids whose current versions are being replaced by this write.
        """
        keyset = set(keys)
        common = layer.pk.keys() & keyset
        for k in common:
            r = layer.pk[k]
            if r in replacing:
                continue
            st = self._key_state(layer, r, k)
            if st is True:
                raise self._unique_error(t, k)
            if isinstance(st, Transaction):
                return st
        rest = keyset - common
        b = layer.branch
        # inherited keys: live in an ancestor at the fork point and not deleted here
        while rest and b.parent is not None:
            parent = b.parent
            pl = parent.layers.get(t.data_id)
            if pl is not None:
                for k in pl.pk.keys() & rest:
                    row = self._lookup_phys(layer.branch, t, k if isinstance(k, tuple) else (k,),
                                            MAX_TS - 1, self.txid)
                    if row is None:
                        continue
                    r = row.column(ROWID)[0].as_py()
                    if r in replacing:
                        continue
                    e = layer.tomb.get(r)
                    if e is not None and e < 0 and e != -self.txid:
                        other = self.store.active.get(-e)
                        if other is not None:
                            return other
                    raise self._unique_error(t, k)
            b = parent
        return None

    def _key_state(self, layer: Layer, r: int, k: Any) -> bool | Transaction | None:
        """Is row r holding key k live (True), dead (None), or being decided by an open txn?"""
        w = self.writes.get(layer.key)
        loc = w.own.get(r) if w is not None else None
        if loc is None:
            loc = layer.rowloc.get(r)
        if loc is None:
            owner = layer.pending_owner(r)
            if owner is not None and owner is not self:
                return owner
            if layer.branch.parent is not None and r >> 40 != layer.branch.branch_id:
                e = layer.tomb.get(r)
                if e is None:
                    return True  # inherited row still live here
                if e < 0 and e != -self.txid:
                    return self.store.active.get(-e)
            return None
        cid, pos = unpack_loc(loc)
        ch = layer.chunks.get(cid)
        if ch is None:
            return None
        e = int(ch.ended[pos])
        if e < 0 and e != -self.txid:
            return self.store.active.get(-e)  # being replaced/deleted (maybe re-keyed): wait
        if layer.key_at(ch, pos) != k:
            return None
        return True if e == MAX_TS else None

    def _classify(self, layer: Layer, r: int, snap: int, mode: str) -> tuple[int, Any]:
        """Where row r's newest version is and whether we may write/lock it now."""
        me = self.txid
        w = self.writes.get(layer.key)
        loc = w.own.get(r) if w is not None else None
        if loc is not None:
            cid, pos = unpack_loc(loc)
            if layer.chunks[cid].ended[pos] == -me:
                return _GONE, None
            return _OWN, loc
        loc = layer.rowloc.get(r)
        if loc is not None:
            cid, pos = unpack_loc(loc)
            ch = layer.chunks[cid]
            e = int(ch.ended[pos])
            if e == -me:
                return _GONE, None
            if e < 0:
                return _WAIT, self.store.active.get(-e)
            if e != MAX_TS:
                return (_GONE, None) if e <= snap else (_GONE, True)
            if ch.created_at(pos) > snap:
                return _CHANGED, None
            kind = _COMMITTED
        else:
            if layer.branch.parent is None or r >> 40 == layer.branch.branch_id:
                return _GONE, None
            e = layer.tomb.get(r)
            if e is not None:
                if e == -me:
                    return _GONE, None
                if e < 0:
                    return _WAIT, self.store.active.get(-e)
                return (_GONE, None) if e <= snap else (_GONE, True)
            kind = _INHERITED
        other = self._row_lock_holder(layer, r, mode)
        if other is not None:
            return _WAIT, other
        return kind, loc

    def _row_lock_holder(self, layer: Layer, r: int, mode: str) -> Transaction | None:
        """Another running transaction whose row lock on ``r`` conflicts with ``mode`` (only
        "share" locks share). Caller holds store.mu."""
        holders = self.store.row_locks.get((layer.key, r)) if self.store.row_locks else None
        if holders:
            for txid, m in holders.items():
                if txid != self.txid and (mode != "share" or m == "update"):
                    other = self.store.active.get(txid)
                    if other is not None:
                        return other
        return None

    def _take_row_lock(self, layer: Layer, r: int, mode: str) -> None:
        """Hold a row lock on ``r`` ("update" or "share") until the transaction ends (an
        "update" lock already held stays). Caller holds store.mu."""
        key = (layer.key, r)
        holders = self.store.row_locks.setdefault(key, {})
        if holders.get(self.txid) != "update":
            holders[self.txid] = mode
            self.row_locks.append(key)

    def _claim(self, t: TableDef, rowids: pa.Array, mode: str, nowait: bool = False
               ) -> tuple[Layer, LayerWrites, list[int], list[int], list[int], list[int]]:
        """Lock rows for writing ('write') or SELECT FOR UPDATE/SHARE; returns ok/own/changed/gone."""
        layer, w = self._layer_for_write(t)
        rids = pa.array(rowids, pa.int64()).to_pylist()
        snap = self.snapshot_ts
        if self._recheck_snap is not None and self._recheck_snap > snap:
            snap = self._recheck_snap
        rr = self.isolation == REPEATABLE_READ
        n = len(rids)
        done = np.zeros(n, dtype=bool)
        bases = np.full(n, -1, dtype=np.int64)  # for writes: location of the version replaced (-1: inherited)
        changed: list[int] = []
        gone: list[int] = []
        i = 0
        store = self.store
        if mode == "write" and n >= 32:
            with store.mu:
                self._claim_bulk(layer, w, rids, snap, done, bases)
        while i < n:
            other = None
            with store.mu:
                while i < n:
                    if done[i]:
                        i += 1
                        continue
                    r = rids[i]
                    kind, info = self._classify(layer, r, snap, mode)
                    if kind == _WAIT:
                        if info is None:  # finished meanwhile: look again
                            continue
                        other = info
                        break
                    if kind in (_CHANGED, _GONE) and (kind == _CHANGED or info) and rr:
                        raise SerializationFailure("could not serialize access due to concurrent update")
                    if kind == _CHANGED:
                        other = self._lock_changed_row(layer, r, "update" if mode == "write" else mode)
                        if other is not None:
                            break
                        changed.append(r)
                    elif kind == _GONE:
                        gone.append(r)
                    elif kind == _OWN:
                        if mode == "write":
                            cid, pos = unpack_loc(info)
                            layer.chunks[cid].end(pos, -self.txid)
                            w.own_ended.append(info)
                        done[i] = True
                        bases[i] = info
                    elif mode == "write":
                        bases[i] = -1 if info is None else info
                        done[i] = True
                        if kind == _COMMITTED:
                            cid, pos = unpack_loc(info)
                            layer.chunks[cid].end(pos, -self.txid)
                            w.ended_locs.append(info)
                            w.ended_rowids.append(r)
                        else:
                            layer.tomb[r] = -self.txid
                            w.tombs.append(r)
                    else:
                        self._take_row_lock(layer, r, mode)
                        done[i] = True
                    i += 1
            if other is not None:
                self._wait_for(other, nowait)
        sel = np.nonzero(done)[0]
        return layer, w, [rids[j] for j in sel.tolist()], bases[sel], changed, gone

    def _claim_bulk(self, layer: Layer, w: LayerWrites, rids: list[int], snap: int, done: np.ndarray,
                    bases: np.ndarray) -> None:
        """Vectorized claim of the common case: live committed versions nobody else touches.

        Everything else (own versions, waits, conflicts, inherited rows, rows with a row lock) is
        left to the per-row path.
        """
        if len(set(rids)) != len(rids):
            return
        locks = self.store.row_locks
        locked = [r for key, r in locks if key == layer.key] if locks else []
        own = w.own
        rl = layer.rowloc
        locs = rl.get_many(rids)
        if own:
            locs[own.get_many(rids) >= 0] = -1  # our own versions: the per-row path
        valid = locs >= 0
        rid_np = np.asarray(rids, dtype=np.int64)
        unlocked = ~np.isin(rid_np, np.asarray(locked, dtype=np.int64)) if locked else None
        if layer.branch.parent is not None and not valid.all():
            # rows inherited from the parent that nobody on this branch has touched: tombstone them
            bid = layer.branch.branch_id
            tomb = layer.tomb
            me_ = -self.txid
            for j in np.nonzero(~valid)[0].tolist():
                r = rids[j]
                if r in own or r >> 40 == bid or r in tomb or (unlocked is not None and not unlocked[j]):
                    continue
                tomb[r] = me_
                w.tombs.append(r)
                done[j] = True
        if unlocked is not None:
            valid &= unlocked
        if not valid.any():
            return
        cids = locs >> 32
        pos_all = locs & 0xFFFFFFFF
        me = -self.txid
        for cid in np.unique(cids[valid]).tolist():
            ch = layer.chunks.get(cid)
            if ch is None:
                continue
            sel = np.nonzero(valid & (cids == cid))[0]
            pos = pos_all[sel]
            good = ch.ended[pos] == MAX_TS
            c = ch.created
            if isinstance(c, int):
                if c < 0 or c > snap:
                    continue
            else:
                good &= c[pos] <= snap
            if not good.any():
                continue
            gsel = sel[good]
            ch.end(pos[good], me)
            done[gsel] = True
            bases[gsel] = locs[gsel]
            w.ended_locs.extend(locs[gsel].tolist())
            w.ended_rowids.extend(rid_np[gsel].tolist())

    def update(self, schema: str, name: str, rowids: pa.Array, new_rows: pa.RecordBatch) -> WriteOutcome:
        self._check_write()
        return self.update_def(self._def(schema, name), rowids, new_rows)

    def update_def(self, t: TableDef, rowids: pa.Array, new_rows: pa.RecordBatch | pa.Table) -> WriteOutcome:
        self._check_write()
        if isinstance(new_rows, pa.Table):
            new_rows = new_rows.combine_chunks().to_batches()[0] if new_rows.num_rows else \
                pa.RecordBatch.from_pylist([], schema=new_rows.schema)
        rowids = pa.array(rowids, pa.int64())
        if len(rowids) != new_rows.num_rows:
            raise HeliosError("update: rowids and new_rows differ in length", sqlstate="XX000")
        if ROWID in new_rows.schema.names:
            new_rows = new_rows.drop_columns([ROWID])
        t = self._lock_table(t, "write")
        layer, w, ok, bases, changed, gone = self._claim(t, rowids, "write")
        self.store.table_activity(t.table_id)[N_TUP_UPD] += len(ok)
        if ok and self.sx is not None:
            keys_touched = self._keys_replaced(layer, bases)
            names = new_rows.schema.names
            if keys_touched is not None and all(k in names for k in t.primary_key):  # the key may move
                cols = [new_rows.column(k).to_pylist() for k in t.primary_key]
                keys_touched.update(cols[0] if len(cols) == 1 else zip(*cols, strict=True))
            self.ssi_write(t, keys_touched)
        if ok:
            if len(ok) != len(rowids):
                mask = pc.is_in(rowids, pa.array(ok, pa.int64()))
                new_rows = new_rows.filter(mask)
                ok_arr = rowids.filter(mask)
            else:
                ok_arr = rowids
            base = None
            if set(new_rows.schema.names) != {c.name for c in t.columns}:
                base = self._current_versions(t, layer, ok_arr, bases)
            phys = self._physical(t, new_rows, base)
            keys = layer.keys_of(phys) if layer.pk_cols else None
            if keys is not None:
                if len(set(keys)) != len(keys):
                    seen: set = set()
                    raise self._unique_error(t, next(k for k in keys if k in seen or seen.add(k)))
                ok_list = ok_arr.to_pylist()
                # keys that already belong to the row being updated need no uniqueness check, and no
                # index write when this branch's index has them already
                cur = np.fromiter(map(layer.pk.get, keys, itertools.repeat(-1)), dtype=np.int64,
                                  count=len(keys))
                unindexed = np.nonzero(cur != ok_arr.to_numpy())[0].tolist()
                moved = unindexed
                if unindexed and layer.branch.parent is not None:
                    ancestors = [a.layers[t.data_id] for a in _ancestors(layer.branch) if t.data_id in a.layers]
                    moved = [i for i in unindexed
                             if not any(a.pk.get(keys[i]) == ok_list[i] for a in ancestors)]
                mkeys = [keys[i] for i in moved]
                replacing = set(ok_list) if moved else set()
                ikeys = [keys[i] for i in unindexed]
                irows = [ok_list[i] for i in unindexed]
                while True:
                    with self.store.mu:
                        other = self._check_unique(t, layer, mkeys, replacing) if mkeys else None
                        if other is None:
                            self._append_chunk(layer, w, phys, ok_arr)
                            if ikeys:
                                self._pk_set(layer, w, ikeys, irows)
                            break
                    self._wait_for(other, False)
            else:
                with self.store.mu:
                    self._append_chunk(layer, w, phys, ok_arr)
            self.resident_new_bytes += phys.nbytes
            self._maybe_spill()
        return WriteOutcome(len(ok), pa.array(changed, pa.int64()), pa.array(gone, pa.int64()))

    def update_row(self, t: TableDef, rowid: int, new_row: pa.RecordBatch) -> int:
        """UPDATE of one row to a whole new version (user-named columns) that keeps its primary key:
        the point-write path's ``update_def``, without its batch machinery. Returns 1 (written), 0
        (gone) or -1 (changed: under READ COMMITTED a newer committed version exists, which the
        caller reads and tries again). Anything unusual (SERIALIZABLE, a key this branch's index
        does not map to the row) goes through ``update_def``."""
        self._check_write()
        t = self._lock_table(t, "write")
        layer, w = self._layer_for_write(t)
        phys = self._physical(t, new_row)
        if self.sx is not None or not layer.pk_cols or layer.pk.get(layer.keys_of(phys)[0]) != rowid:
            out = self.update_def(t, pa.array([rowid], pa.int64()), new_row)
            return 1 if out.count else (-1 if len(out.changed) else 0)
        code = self._claim_row(layer, w, rowid)
        if code == 1:
            with self.store.mu:
                self._append_chunk(layer, w, phys, pa.array([rowid], pa.int64()))
            self.store.table_activity(t.table_id)[N_TUP_UPD] += 1
        return code

    def delete_row(self, t: TableDef, rowid: int) -> int:
        """DELETE of one row: the point-write path's ``delete_def``; returns as ``update_row``."""
        self._check_write()
        if self.sx is not None:
            out = self.delete_def(t, pa.array([rowid], pa.int64()))
            return 1 if out.count else (-1 if len(out.changed) else 0)
        t = self._lock_table(t, "write")
        layer, w = self._layer_for_write(t)
        code = self._claim_row(layer, w, rowid)
        if code == 1:
            self.store.table_activity(t.table_id)[N_TUP_DEL] += 1
        return code

    def _claim_row(self, layer: Layer, w: LayerWrites, r: int) -> int:
        """``_claim`` of one row for writing: 1 claimed, 0 gone, -1 changed (waits as _claim does)."""
        snap = self.snapshot_ts
        if self._recheck_snap is not None and self._recheck_snap > snap:
            snap = self._recheck_snap
        me = -self.txid
        while True:
            with self.store.mu:
                kind, info = self._classify(layer, r, snap, "write")
                if kind == _WAIT:
                    if info is None:  # finished meanwhile: look again
                        continue
                    other = info
                else:
                    if kind in (_CHANGED, _GONE) and (kind == _CHANGED or info) and \
                            self.isolation == REPEATABLE_READ:
                        raise SerializationFailure("could not serialize access due to concurrent update")
                    if kind == _CHANGED:
                        other = self._lock_changed_row(layer, r, "update")
                        if other is None:
                            return -1
                    elif kind == _GONE:
                        return 0
                    elif kind == _INHERITED:
                        layer.tomb[r] = me
                        w.tombs.append(r)
                        return 1
                    else:
                        cid, pos = unpack_loc(info)
                        layer.chunks[cid].end(pos, me)
                        if kind == _OWN:
                            w.own_ended.append(info)
                        else:
                            w.ended_locs.append(info)
                            w.ended_rowids.append(r)
                        return 1
            self._wait_for(other, False, (id(layer), r))

    def _lock_changed_row(self, layer: Layer, r: int, mode: str) -> Transaction | None:
        """READ COMMITTED found row ``r`` replaced by a commit after the statement's snapshot: lock
        its newest version (``mode``) before the statement reads it again, as PostgreSQL locks the
        newest version before its re-check. Without the lock, writers that keep committing newer
        versions of a hot row between a statement's re-read and its write could make it re-check
        forever. Returns the transaction to wait for when another already holds such a lock
        (nothing is taken then). Caller holds store.mu."""
        other = self._row_lock_holder(layer, r, mode)
        if other is None:
            self._take_row_lock(layer, r, mode)
        return other

    def _current_versions(self, t: TableDef, layer: Layer, rowids: pa.Array, locs_np: np.ndarray
                          ) -> pa.RecordBatch:
        """User-named rows of the versions a write replaces, in `rowids` order (partial updates)."""
        parts: list[pa.RecordBatch] = []
        locs = [None if x < 0 else x for x in locs_np.tolist()]
        direct = [(i, loc) for i, loc in enumerate(locs) if loc is not None]
        by_chunk: dict[int, list[tuple[int, int]]] = {}
        for i, loc in direct:
            cid, pos = unpack_loc(loc)
            by_chunk.setdefault(cid, []).append((i, pos))
        order: list[int] = []
        for cid, items in by_chunk.items():
            ch = layer.chunks[cid]
            parts.append(self.store._present(t, ch.data.take(pa.array([p for _, p in items], pa.int64()))))
            order.extend(i for i, _ in items)
        inherited = [i for i, loc in enumerate(locs) if loc is None]
        if inherited:
            b = layer.branch
            want = rowids.take(pa.array(inherited, pa.int64()))
            got = [self.store._present(t, x) for x in self.store._visible(
                b.parent, t, b.fork_ts, 0, None, want.to_numpy())]
            tbl = pa.Table.from_batches(got, schema=self.store._full_schema(t)).combine_chunks()
            idx = pc.index_in(want, tbl.column(ROWID))
            parts.append(tbl.take(idx).to_batches()[0])
            order.extend(inherited)
        tbl = pa.Table.from_batches(parts).combine_chunks()
        inv = np.empty(len(order), dtype=np.int64)
        inv[np.array(order, dtype=np.int64)] = np.arange(len(order))
        return tbl.take(pa.array(inv)).to_batches()[0]

    def delete(self, schema: str, name: str, rowids: pa.Array) -> WriteOutcome:
        self._check_write()
        return self.delete_def(self._def(schema, name), rowids)

    def delete_def(self, t: TableDef, rowids: pa.Array) -> WriteOutcome:
        self._check_write()
        t = self._lock_table(t, "write")
        layer, _w, ok, bases, changed, gone = self._claim(t, rowids, "write")
        if ok and self.sx is not None:
            self.ssi_write(t, self._keys_replaced(layer, bases))
        self.store.table_activity(t.table_id)[N_TUP_DEL] += len(ok)
        return WriteOutcome(len(ok), pa.array(changed, pa.int64()), pa.array(gone, pa.int64()))

    def _keys_replaced(self, layer: Layer, bases: np.ndarray) -> set | None:
        """Primary keys of the row versions a write replaces (SSI); None when not all are known."""
        if not layer.pk_cols or len(bases) > 512 or (bases < 0).any():
            return None
        out = set()
        for loc in bases.tolist():
            cid, pos = unpack_loc(loc)
            ch = layer.chunks.get(cid)
            if ch is None:
                return None
            out.add(layer.key_at(ch, pos))
        return out

    def lock_rows(self, schema: str, name: str, rowids: pa.Array, mode: str = "update", nowait: bool = False
                  ) -> WriteOutcome:
        """SELECT ... FOR UPDATE / FOR SHARE: lock rows until the transaction ends."""
        self._check_active()
        if mode not in ("update", "share"):
            raise HeliosError(f"unknown lock mode {mode!r}", sqlstate="22023")
        t = self._lock_table(self._def(schema, name), "write", nowait)
        _layer, _w, ok, _own, changed, gone = self._claim(t, rowids, mode, nowait)
        return WriteOutcome(len(ok), pa.array(changed, pa.int64()), pa.array(gone, pa.int64()))



def _ancestors(b: Branch) -> list[Branch]:
    out = []
    while b.parent is not None:
        b = b.parent
        out.append(b)
    return out


@attrs.define(frozen=True)
class _PhysicalLayout:
    """A table definition's physical schema (columns named by col_id) and its columns by name."""

    table: TableDef
    schema: pa.Schema
    by_name: dict[str, Any]


_LAYOUTS: dict[int, _PhysicalLayout] = {}


def _physical_layout(t: TableDef) -> _PhysicalLayout:
    """Made once per table definition (definitions are immutable; DDL makes a new one): every
    written row used to rebuild the schema and search the columns by name."""
    hit = _LAYOUTS.get(id(t))
    if hit is not None and hit.table is t:
        return hit
    if len(_LAYOUTS) > 4096:
        _LAYOUTS.clear()
    layout = _LAYOUTS[id(t)] = _PhysicalLayout(
        t, pa.schema([pa.field(f"c{c.col_id}", c.type) for c in t.columns]), {c.name: c for c in t.columns})
    return layout
