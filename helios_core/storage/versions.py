"""Row versions of one table in one branch, and their visibility.

A *chunk* is a batch of row versions written together (one statement of one
transaction, or a flushed/compacted segment). Every version carries:

* ``created``: commit timestamp of the transaction that wrote it (a scalar for a
  memtable chunk, an int64 column for a segment). While the writer is still open it
  is ``-txid`` (negative): invisible to everybody but the writer.
* ``ended``: commit timestamp of the transaction that deleted or replaced it,
  ``MAX_TS`` while it is the live version, or ``-txid`` while an open transaction is
  deleting/replacing it (that marker is also the row's write lock).

A snapshot ``(ts, txid)`` sees a version when ``created <= ts < ended``, plus the
writer's own pending versions and minus versions it ended itself. The test is
evaluated on whole numpy/Arrow columns at once (``visible_mask``); the ``ended``
column lives in a numpy array because later deletes stamp it in place: through ``Chunk.end``
(or by assigning a new array), which bumps the chunk's ``ended_version`` so that the range of
its stamps, kept per chunk (``ended_range``), is recomputed only after a change: a scan of an
unchanged table does not pass over every stamp again to learn that nothing ended.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MAX_TS = np.iinfo(np.int64).max
ROWID = "_rowid"
LOC_SHIFT = 32
LOC_MASK = (1 << LOC_SHIFT) - 1
ARROW_MASK_ROWS = 4096  # chunks at least this long get their visibility from pyarrow.compute
DEAD_CHECK_ROWS = 1024  # chunks at least this long are first checked for "every version ended" (two passes, no mask)
# the test suite sets it: every use of a kept stamp range is checked against the stamps themselves
# (a write to ``ended`` that bypassed ``Chunk.end`` would show as a stale range)
_CHECK_RANGES = bool(os.environ.get("HELIOS_CHECK_ENDED_RANGES"))


class Chunk:
    """Immutable row data (physical columns ``c<col_id>`` + ``_rowid``) with MVCC stamps."""

    __slots__ = ("_data", "_ended", "_ended_range", "_settled", "bloom", "chunk_id", "created", "ended_version", "index_data", "key_arrays", "last_read",
                 "narrowed", "narrowed_from", "part", "presented", "rowid_order", "rowids_np", "segment", "sorted_index", "source", "spill", "stats", "tier")

    def __init__(
        self, chunk_id: int, data: pa.RecordBatch | None, created: int | np.ndarray, ended: np.ndarray | None = None,
        *, source: Any = None, num_rows: int | None = None,
    ) -> None:
        self.chunk_id = chunk_id
        self._data = data
        self.source = source  # a segment on a remote tier: ``data`` is fetched (through a cache) when read
        self.created = created
        rows = data.num_rows if data is not None else num_rows
        self.ended_version = 0
        self._ended_range: tuple[int, int, int] | None = None
        self._settled: tuple[int, Any, int, pa.BooleanArray | None] | None = None
        self.ended = np.full(rows, MAX_TS, dtype=np.int64) if ended is None else ended
        self.segment: str | None = None  # tier name once flushed
        self.tier = "hot"  # the tier its segment is recorded on (manifest)
        self.last_read = 0.0  # monotonic time of the last scan that read it (hot-tier LRU)
        self.stats: dict[str, tuple[Any, Any]] | None = None
        self.bloom: Any = None
        self.rowids_np: np.ndarray | None = None
        self.rowid_order: tuple | None = None  # (rowids, permutation or None, sorted rowids): rowid_positions
        self.key_arrays: list[pa.Array] | None = None  # primary-key columns, for point reads
        self.index_data: pa.RecordBatch | None = None  # a remote segment's _rowid and key columns
        self.part: int | None = None  # a packed chunk's time chunk (helios_core.storage.packed)
        self.sorted_index: dict[Any, Any] | None = None  # what is derived from its rows: ``derived()``
        self.spill: str | None = None  # the spill file its rows are mapped from (storage.spill)
        self.presented: dict[int, tuple[Any, pa.Schema, pa.RecordBatch]] | None = None  # Store._presented_chunk
        self.narrowed: dict[tuple[str, int, int], tuple[Any, int, int]] | None = None  # storage.narrowed
        self.narrowed_from: Any = None  # weak reference to the batch last registered there

    @property
    def ended(self) -> np.ndarray:
        """The versions' end stamps (write them with ``end``)."""
        return self._ended

    @ended.setter
    def ended(self, value: np.ndarray) -> None:
        self._ended = value
        self.ended_version += 1

    def end(self, pos: Any, stamp: Any) -> None:
        """Stamp the versions at ``pos`` (an index, a mask or positions) as ended by ``stamp``."""
        self._ended[pos] = stamp
        self.ended_version += 1

    def ended_range(self) -> tuple[int, int]:
        """(smallest, largest) end stamp, kept until the stamps change."""
        kept = self._ended_range
        version = self.ended_version
        if kept is None or kept[2] != version:
            e = self._ended
            kept = self._ended_range = (int(e.min()), int(e.max()), version)
        elif _CHECK_RANGES:
            e = self._ended
            assert (int(e.min()), int(e.max())) == kept[:2], f"chunk {self.chunk_id}: stale ended range {kept}"
        return kept[0], kept[1]

    def _settled_mask(self, ts: int) -> pa.BooleanArray | None:
        """The versions not ended, kept until the stamps change, when that is what snapshot ``ts``
        sees: no pending stamp (no open transaction's lock or write) and every creation and every
        end in the chunk at or before ``ts``. None when the snapshot needs its own mask."""
        kept = self._settled
        version = self.ended_version
        c = self.created
        if kept is None or kept[0] != version or kept[1] is not c:
            e = self._ended
            finite = e[e != MAX_TS]
            last = max(int(finite.max()) if len(finite) else 0, c if isinstance(c, int) else int(c.max()))
            pending = (len(finite) and int(finite.min()) < 0) or (isinstance(c, int) and c < 0) or \
                (not isinstance(c, int) and int(c.min()) < 0)
            mask = None if pending else pc.equal(pa.array(e), MAX_TS)
            kept = self._settled = (version, c, last, mask)
        elif _CHECK_RANGES and kept[3] is not None:
            assert kept[3].equals(pc.equal(pa.array(self._ended), MAX_TS)), f"chunk {self.chunk_id}: stale mask"
        _version, _created, last, mask = kept
        return mask if mask is not None and ts >= last else None

    @property
    def data(self) -> pa.RecordBatch:
        """The row data: resident, or read from the segment's tier (cached) when it is remote."""
        if self._data is not None:
            return self._data
        return self.source.read(None)

    @data.setter
    def data(self, value: pa.RecordBatch) -> None:
        self._data = value
        self.source = None
        self.presented = None
        self.narrowed = self.narrowed_from = None

    def columns(self, names: list[str] | None) -> pa.RecordBatch:
        """The named physical columns (all when None); a remote segment fetches only those."""
        if self._data is not None or names is None:
            return self.data
        return self.source.read(names)

    @property
    def schema(self) -> pa.Schema:
        """The physical schema, without decoding a segment read on demand."""
        if self._data is not None:
            return self._data.schema
        schema = getattr(self.source, "schema", None)
        return schema() if schema is not None else self.data.schema

    @property
    def resident(self) -> bool:
        return self._data is not None

    def make_remote(self, source: Any, tier: str) -> None:
        """The segment now lives on ``tier``: drop the local data, read through ``source`` from now on."""
        self.source, self.tier = source, tier
        self._data = None
        self.presented = None  # its views would keep the dropped data in memory
        self.narrowed = self.narrowed_from = None

    @property
    def num_rows(self) -> int:
        return len(self.ended)

    def created_at(self, pos: int) -> int:
        c = self.created
        return c if isinstance(c, int) else int(c[pos])

    def derived(self) -> dict[Any, Any]:
        """Structures worked out from the chunk's rows and kept with it (it never changes): a
        column's sorted copy (storage.secondary_index), a value -> positions map, an expression
        index's keys; each keyed by what it depends on, and gone with the chunk."""
        if self.sorted_index is None:
            self.sorted_index = {}
        return self.sorted_index

    def rowids(self) -> np.ndarray:
        if self.rowids_np is None:
            self.rowids_np = self.data.column(ROWID).to_numpy()
        return self.rowids_np

    def rowid_positions(self, wanted: np.ndarray) -> np.ndarray:
        """The positions (ascending) of the row versions whose rowid is in ``wanted`` (sorted,
        unique), by binary search: k rowids cost O(k log n), not a pass over the chunk as a
        membership test does. A chunk's rowids are usually ascending (one statement's rows); a
        compacted segment holds runs (the old versions, then the new ones, under the same
        rowids): it keeps a sorted copy and its permutation, built on the first such search
        (the rows of a chunk never change, so neither do they)."""
        rowids = self.rowids()
        order = self.rowid_order
        if order is None or order[0] is not rowids:
            ascending = len(rowids) < 2 or bool((rowids[1:] > rowids[:-1]).all())
            perm = None if ascending else np.argsort(rowids, kind="stable")
            order = self.rowid_order = (rowids, perm, rowids if perm is None else rowids[perm])
        _, perm, ordered = order
        if not len(ordered) or not len(wanted) or wanted[0] > ordered[-1] or wanted[-1] < ordered[0]:
            return np.empty(0, dtype=np.int64)
        lo, hi = np.searchsorted(wanted, (ordered[0], ordered[-1] + 1))
        wanted = wanted[lo:hi]
        if perm is None:
            pos = np.searchsorted(ordered, wanted)
            return pos[ordered[pos] == wanted].astype(np.int64, copy=False)
        left = np.searchsorted(ordered, wanted, "left")
        counts = np.searchsorted(ordered, wanted, "right") - left
        firsts = np.repeat(left, counts)
        within = np.arange(len(firsts)) - np.repeat(np.cumsum(counts) - counts, counts)
        return np.sort(perm[firsts + within]).astype(np.int64, copy=False)

    def all_ended_by(self, ts: int) -> bool:
        """Whether every version of a chunk of DEAD_CHECK_ROWS or more ended by a commit at or before
        ``ts`` (no snapshot at ``ts`` sees any; two passes over ``ended``, no mask). Smaller chunks: False."""
        if len(self._ended) < DEAD_CHECK_ROWS:
            return False
        first, last = self.ended_range()
        return 0 <= first <= ts and last <= ts

    def visible_mask(self, ts: int, txid: int) -> np.ndarray | pa.BooleanArray | bool | None:
        """Which versions snapshot (ts, txid) sees: None (none), True (all) or a boolean array.

        ``txid`` 0 means "no own writes" (time travel, another branch's view). Large chunks are
        evaluated with pyarrow.compute over a zero-copy Arrow view of the stamp columns (the
        result feeds ``filter`` directly); small memtable chunks with numpy, whose per-call
        overhead is lower.
        """
        c = self.created
        if isinstance(c, int):
            if c < 0:
                if txid == 0 or c != -txid:
                    return None
            elif c > ts:
                return None
            created_ok: np.ndarray | bool = True
        else:
            created_ok = False
        e = self._ended
        if len(e) >= DEAD_CHECK_ROWS:
            first_end, last_end = self.ended_range()
            if created_ok is True and len(e) >= ARROW_MASK_ROWS and first_end > ts:
                return True  # nothing ended, deleted or locked as the snapshot sees it: no pass, no mask
            if 0 <= first_end <= ts and last_end <= ts:
                return None  # every version ended by a commit the snapshot sees (replaced or deleted rows)
        if len(e) >= ARROW_MASK_ROWS:
            settled = self._settled_mask(ts)
            if settled is not None:  # a snapshot after the chunk's last change: the same mask each time
                return settled
            ea = pa.array(e)
            alive = pc.or_(pc.greater(ea, ts), pc.less(ea, 0))
            if txid:
                alive = pc.and_(alive, pc.not_equal(ea, -txid))
            if created_ok is not True:
                alive = pc.and_(alive, pc.less_equal(pa.array(c), ts))
            return alive
        alive = (e > ts) | (e < 0)
        if txid:
            alive &= e != -txid
        if created_ok is not True:
            alive &= c <= ts
        return alive


def pack_loc(chunk_id: int, pos: int) -> int:
    return (chunk_id << LOC_SHIFT) | pos


def unpack_loc(loc: int) -> tuple[int, int]:
    return loc >> LOC_SHIFT, loc & LOC_MASK
