"""Reads of a transaction: snapshot scans (vectorized) and primary-key point reads (O(1)).

A scan decides visibility when it is called (so the transaction's later writes do not leak
into it) and streams RecordBatches with the table's current column names. A point read goes
key -> rowid -> newest version through two dict lookups and answers from the index whenever
the found version settles the question for the snapshot; otherwise it falls back to an exact
vectorized scan with the key as filter (pruned by the segments' bloom filters).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core import parallel
from helios_core.errors import HeliosError, UndefinedColumn, UndefinedTable
from helios_core.storage import row_filter, secondary_index
from helios_core.storage.layer import Branch
from helios_core.storage.schema import TableDef
from helios_core.storage.table_activity import IDX_SCAN, IDX_TUP_FETCH, SEQ_SCAN, SEQ_TUP_READ
from helios_core.storage.tiering import COLD
from helios_core.storage.versions import ROWID, unpack_loc

if TYPE_CHECKING:  # pragma: no cover
    from helios_core.storage.txn import Transaction as _Txn
else:
    _Txn = object

READ_COMMITTED = "read committed"
INHERITED = "inherited"  # ReadOps._locate: the key is not written on this branch


class ReadOps(_Txn):
    """Mixed into Transaction."""
    def _latest_ts(self) -> int:
        return self.store._snapshot_ts()

    def scan(
        self, schema: str, name: str, *, columns: list[str] | None = None, filter: pc.Expression | None = None,
        as_of: int | None = None, with_rowid: bool = False, rowids: pa.Array | None = None, latest: bool = False,
        prune: pc.Expression | None = None, key_probe: Any = None, counts: list[int] | None = None,
        index: tuple[str, str, list[Any]] | None = None, chunks: set[int] | None = None,
    ) -> Iterator[pa.RecordBatch]:
        """Visible rows of a table as RecordBatches, produced lazily chunk by chunk.

        ``filter`` is exact (rows that fail it are dropped here); ``prune`` only skips whole
        segments whose min/max statistics prove no row can match, and ``key_probe`` (a primary
        key value) those whose bloom filter rules the key out: the caller then applies its own
        predicate. ``counts`` (``[read, skipped]``, optionally ``, read through the index]``) is
        increased per segment, for EXPLAIN ANALYZE. ``index`` (index name, column, probe) reads
        each chunk only at the rows the probe can match (storage.secondary_index); the caller
        still applies its predicate. ``chunks``: read only the chunks of these ids (``key_bounds``).
        """
        self._check_active()
        if as_of is not None:
            self._check_as_of(as_of)
            t = self.get_table_as_of(schema, name, as_of)
            if t is None:
                raise UndefinedTable(f'relation "{name}" does not exist at that time')
        else:
            t = self._def(schema, name)
        activity = self.store.table_activity(t.table_id)
        phys_index = None
        if index is not None and (col := t.column(index[1])) is not None:
            phys_index = (f"c{col.col_id}", index[2])
            activity[IDX_SCAN] += 1
            per_index = self.store.index_activity(t.table_id, index[0])
            per_index[0] += 1
            return _counting_rows(self.scan_def(t, columns=columns, filter=filter, as_of=as_of,
                                                with_rowid=with_rowid, rowids=rowids, latest=latest, prune=prune,
                                                key_probe=key_probe, counts=counts, index=phys_index),
                                  activity, IDX_TUP_FETCH, per_index)
        activity[SEQ_SCAN] += 1
        return _counting_rows(self.scan_def(t, columns=columns, filter=filter, as_of=as_of, with_rowid=with_rowid,
                                            rowids=rowids, latest=latest, prune=prune, key_probe=key_probe,
                                            counts=counts, chunks=chunks), activity, SEQ_TUP_READ)

    def scan_def(
        self, t: TableDef, *, columns: list[str] | None = None, filter: pc.Expression | None = None,
        as_of: int | None = None, with_rowid: bool = False, rowids: pa.Array | None = None, latest: bool = False,
        prune: pc.Expression | None = None, key_probe: Any = None, counts: list[int] | None = None,
        index: tuple[str, list[Any]] | None = None, chunks: set[int] | None = None,
    ) -> Iterator[pa.RecordBatch]:
        if as_of is not None:
            ts, txid = as_of, 0
        elif latest:
            ts, txid = self._latest_ts(), self.reader_txid(t)
            if self.isolation == READ_COMMITTED:
                self._recheck_snap = ts  # writes after a re-check apply to the versions it saw
        else:
            ts, txid = self.snapshot_ts, self.reader_txid(t)
        if columns is not None:
            for c in columns:
                if t.column(c) is None:
                    raise UndefinedColumn(f'column "{c}" does not exist')
        rid_np = None
        if rowids is not None:
            if isinstance(rowids, pa.ChunkedArray):  # pa.array() would read it value by value in Python
                rowids = rowids.combine_chunks()
            rid_np = np.asarray(pa.array(rowids, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
        if as_of is not None:
            self._check_as_of(as_of)
        if self.sx is not None and as_of is None:
            self.ssi_read(t, None if key_probe is None else (key_probe,))
        schema = self.store._present_schema(t, columns, with_rowid)
        pruning = filter if prune is None else (prune if filter is None else filter & prune)
        need = _needed_columns(t, columns, filter, self.store._full_schema(t))
        visible = self.store._visible(self._branch, t, ts, txid, pruning, rid_np, key_probe, counts, need, index,
                                      chunks)
        return self._emit(t, visible, filter, columns, with_rowid, schema, need, few_rows=index is not None)

    def key_bounds(self, schema: str, name: str, column: str) -> list[tuple[int, Any, Any, int]]:
        """(chunk id, smallest, largest value of ``column``, row versions) of each chunk a read of
        the table walks, over all the chunk's row versions, visible or not (None, None: unknown, an
        all-NULL column): a top-k by the column reads the chunks whose values lead first and stops at the
        first whose bound cannot beat the k-th row (``scan(chunks=...)``). Segments keep theirs in
        their statistics; other chunks work theirs out once and keep them with the chunk."""
        self._check_active()
        t = self._def(schema, name)
        col = t.column(column)
        if col is None:
            raise UndefinedColumn(f'column "{column}" does not exist')
        physical = f"c{col.col_id}"
        return [(ch.chunk_id, *_bounds_of(ch, physical), ch.num_rows) for ch in self._layer_chunks(t)]

    def index_ready(self, schema: str, name: str, column: str) -> bool:
        """Whether a read of the table through an index on ``column`` would find its rows without
        building anything: every chunk it walks keeps its sorted copy of the column or is small
        (``storage.secondary_index``). A lookup that may instead sort a segment's column first
        (after a restart, a checkpoint's new segment) is no point read."""
        self._check_active()
        t = self._def(schema, name)
        col = t.column(column)
        if col is None:
            return False
        physical = f"c{col.col_id}"
        return all(ch.num_rows < secondary_index.MIN_INDEXED_ROWS or physical in ch.derived()
                   for ch in self._layer_chunks(t))

    def _layer_chunks(self, t: TableDef) -> Iterator[Any]:
        """Every chunk of ``t``'s layers on this branch and its ancestors, whatever it holds visible."""
        branch: Branch | None = self._branch
        while branch is not None:
            layer = branch.layers.get(t.data_id)
            if layer is not None:
                yield from list(layer.chunks.values())
            branch = branch.parent

    def count(self, schema: str, name: str) -> int:
        """How many rows a scan of the table by this statement's snapshot would produce, counted
        from its chunks' visibility without reading a column (count(*) of a whole table). It is
        a sequential scan as far as statistics, serializable reads and tiering (a cold chunk it
        walks asks for its branch's promotion) are concerned."""
        self._check_active()
        t = self._def(schema, name)
        if self.sx is not None:
            self.ssi_read(t, None)
        activity = self.store.table_activity(t.table_id)
        activity[SEQ_SCAN] += 1
        n = 0
        cold_read = self.store.on_cold_read  # a branch queried again asks for its cold segments back
        for ch, mask in self.store.visible_chunks(self._branch, t, self.snapshot_ts, self.reader_txid(t)):
            n += ch.num_rows if mask is None else int(np.count_nonzero(mask))
            if cold_read is not None and not ch.resident and ch.tier == COLD:
                cold_read(ch)
        activity[SEQ_TUP_READ] += n
        return n

    def chunks_def(self, t: TableDef, columns: list[str]
                   ) -> Iterator[tuple[int, int, np.ndarray | None, Any, Any]]:
        """The chunks a scan of ``t`` by this statement's snapshot walks, for index structures kept
        chunk by chunk: ``(chunk id, rows, visible mask or None for all, read, rowids)`` where
        ``read()`` gives the named columns of all the chunk's rows plus ``_rowid``, and ``rowids()``
        the rowids alone (numpy)."""
        for ch, mask, read in self._walked_chunks(t, columns):
            yield ch.chunk_id, ch.num_rows, mask, read, ch.rowids

    def chunk_caches_def(self, t: TableDef, columns: list[str]
                         ) -> Iterator[tuple[dict, np.ndarray | None, Any, Any]]:
        """``chunks_def``'s walk, each chunk with a dict kept with the chunk itself instead of its id:
        ``(cache, visible mask or None, read, rowids)``. A chunk never changes, so what a caller
        derives from its rows (keyed in ``cache`` by what it depends on) stays valid while the chunk
        lives, and goes with it; chunk ids alone can repeat across stores of one process."""
        for ch, mask, read in self._walked_chunks(t, columns):
            yield ch.derived(), mask, read, ch.rowids

    def _walked_chunks(self, t: TableDef, columns: list[str]) -> Iterator[tuple[Any, np.ndarray | None, Any]]:
        self._check_active()
        if self.sx is not None:
            self.ssi_read(t, None)
        need = [f"c{t.column(c).col_id}" for c in columns]
        for ch, mask in self.store.visible_chunks(self._branch, t, self.snapshot_ts, self.reader_txid(t)):
            def read(_ch: Any = ch) -> pa.RecordBatch:
                return self.store._present_some(t, _ch.columns(need + [ROWID]), need)

            yield ch, mask, read

    def estimated_rows(self, t: TableDef) -> int:
        """Rows of ``t`` this branch sees, roughly: the row versions its layer and its ancestors'
        layers hold, less its tombstones (no visibility check: a planner's estimate, O(chunks))."""
        total = 0
        branch: Branch | None = self._branch
        while branch is not None:
            layer = branch.layers.get(t.data_id)
            if layer is not None:
                total += sum(len(ch.ended) for ch in list(layer.chunks.values())) - len(layer.tomb)
            branch = branch.parent
        return max(total, 0)

    def _check_as_of(self, as_of: int) -> None:
        if as_of < self.store.clock.last - self.store.retention_us:
            raise HeliosError("AS OF timestamp is older than the retention window", sqlstate="22023",
                              hint="time travel reaches back as far as the retention setting")

    def _emit(self, t: TableDef, phys_batches: Iterator[pa.RecordBatch], filter: pc.Expression | None,
              columns: list[str] | None, with_rowid: bool, schema: pa.Schema,
              need: list[str] | None = None, few_rows: bool = False) -> Iterator[pa.RecordBatch]:
        direct = row_filter.mask_function(filter) if filter is not None else None
        drop_rowid = filter is not None and not with_rowid and ROWID not in str(filter)

        def presented(phys: pa.RecordBatch) -> pa.RecordBatch:
            # only the columns the scan uses are carried into the filter (the others are never read),
            # the row ids only when they are asked for: filtering copies every column it is given
            if filter is None and need is not None and len(schema):  # the asked columns at once (a plan per layout)
                return self.store._present_columns(t, phys, schema)
            b = self.store._present(t, phys) if need is None else self.store._present_some(t, phys, need)
            if drop_rowid:
                b = b.drop_columns([ROWID])
            if filter is not None:
                b = _filtered(b, filter, direct)
            return b.select(schema.names) if columns is not None or not with_rowid else b

        # a filter the kernels evaluate (no Python, the GIL let go) runs ahead on worker threads,
        # unless an index read hands it a few rows of each chunk (a hand-off costs more than they do)
        on_workers = direct is not None and not few_rows and _many_chunks(self._branch, t)
        produced = False
        for b in (parallel.ordered_map if on_workers else map)(presented, phys_batches):
            if filter is not None and b.num_rows == 0:
                continue
            produced = True
            yield b
        if not produced:
            yield _empty_batch(schema)

    def lookup(
        self, schema: str, name: str, key: tuple, *, columns: list[str] | None = None, with_rowid: bool = False
    ) -> pa.RecordBatch:
        """Primary-key point read: 0 or 1 rows, O(1) through the key index."""
        self._check_active()
        t = self._def(schema, name)
        if not t.primary_key:
            raise HeliosError(f'table "{name}" has no primary key', sqlstate="42P10")
        if not isinstance(key, tuple):
            key = (key,)
        if self.sx is not None:
            self.ssi_read(t, (key[0] if len(key) == 1 else key,))
        schema_out = self.store._present_schema(t, columns, with_rowid)
        activity = self.store.table_activity(t.table_id)
        activity[IDX_SCAN] += 1
        ts, txid = self.snapshot_ts, self.reader_txid(t)
        found = self._locate(self._branch, t, key[0] if len(key) == 1 else tuple(key), ts, txid)
        if found is None:
            return _empty_batch(schema_out)
        if found is INHERITED:
            row = self._lookup_inherited(self._branch, t, key[0] if len(key) == 1 else tuple(key), ts, txid)
        elif found is False:
            row = False
        else:
            ch, pos = found
            activity[IDX_TUP_FETCH] += 1
            view = self.store._presented_chunk(t, ch, schema_out)
            if view is not None:  # a chunk of this branch: its kept view
                return view.slice(pos, 1)
            return self.store._present_columns(t, ch.data.slice(pos, 1), schema_out)
        if row is False:  # the index cannot answer for this snapshot
            row = self._lookup_by_scan(self._branch, t, key, ts, txid)
        if row is None:
            return _empty_batch(schema_out)
        activity[IDX_TUP_FETCH] += 1
        return self.store._present_columns(t, row, schema_out)

    def _lookup_phys(
        self, branch: Branch, t: TableDef, key: tuple, ts: int, txid: int, with_rowid: bool = False
    ) -> pa.RecordBatch | None:
        """Physical row (incl. _rowid) with this key visible at (ts, txid), or None."""
        res = self._lookup_fast(branch, t, key[0] if len(key) == 1 else tuple(key), ts, txid)
        return self._lookup_by_scan(branch, t, key, ts, txid) if res is False else res

    def _lookup_by_scan(self, branch: Branch, t: TableDef, key: tuple, ts: int, txid: int) -> pa.RecordBatch | None:
        """The key's visible physical row found by an exact vectorized scan (where the index cannot
        answer for this snapshot), or None."""
        expr = None
        for name, v in zip(t.primary_key, key, strict=True):
            e = pc.field(f"c{t.column(name).col_id}") == v
            expr = e if expr is None else expr & e
        for b in self.store._visible(branch, t, ts, txid, None, None, key_probe=key[0] if len(key) == 1 else tuple(key)):
            b = b.filter(expr)
            if b.num_rows:
                return b.slice(0, 1)
        return None

    def _locate(self, branch: Branch, t: TableDef, k: Any, ts: int, txid: int) -> Any:
        """The key's visible version in ``branch``'s own layer through the key index: (chunk,
        position), None (no row), False (the index cannot answer: ask the scan) or INHERITED (not
        written on this branch: ask its parent)."""
        layer = branch.layers.get(t.data_id)
        if layer is None:
            return None if branch.parent is None else INHERITED
        rowid = layer.pk.get(k)
        if rowid is None:
            return None if branch.parent is None else INHERITED
        w = self.writes.get(layer.key) if txid == self.txid else None
        loc = w.own.get(rowid) if w is not None else None
        if loc is None:
            loc = layer.rowloc.get(rowid)
        if loc is None:
            return False
        cid, pos = unpack_loc(loc)
        ch = layer.chunks.get(cid)
        if ch is None:
            return False
        c = ch.created_at(pos)
        if c < 0:
            if c != -txid:
                return False
        elif c > ts:
            return False
        if layer.key_at(ch, pos) != k:
            return False
        e = int(ch.ended[pos])
        if (0 < e <= ts) or (txid and e == -txid):
            return None
        return ch, pos

    def _lookup_fast(self, branch: Branch, t: TableDef, k: Any, ts: int, txid: int) -> Any:
        """Index path. Returns a 1-row physical batch, None (no row), or False (ask the scan)."""
        found = self._locate(branch, t, k, ts, txid)
        if found is not INHERITED:
            return found if found is None or found is False else found[0].data.slice(found[1], 1)
        return self._lookup_inherited(branch, t, k, ts, txid)

    def _lookup_inherited(self, branch: Branch, t: TableDef, k: Any, ts: int, txid: int) -> Any:
        """``_lookup_fast`` of a key not written on ``branch``: its parent's row, unless deleted here."""
        layer = branch.layers.get(t.data_id)
        res = self._lookup_fast(branch.parent, t, k, min(ts, branch.fork_ts), 0)
        if res is None or res is False:
            return res
        if layer is not None and layer.tomb:
            e = layer.tomb.get(res.column(ROWID)[0].as_py())
            if e is not None and ((0 < e <= ts) or (txid and e == -txid)):
                # deleted here; if it was updated here the own index would have answered: so gone,
                # unless the key moved to another row of ours (then the index had it too).
                return None
        return res



PARALLEL_CHUNKS = 8  # a filtered scan of a layer with this many chunks filters them on worker threads


def _bounds_of(ch: Any, physical: str) -> tuple[Any, Any]:
    """A chunk's smallest and largest value of a column (its statistics', or worked out once)."""
    stats = ch.stats.get(physical) if ch.stats else None
    if stats is not None and len(stats) == 2:
        return stats[0], stats[1]
    cache = ch.derived()
    key = ("bounds", physical)
    hit = cache.get(key)
    if hit is None:
        if physical not in ch.schema.names:
            hit = (None, None)
        else:
            mm = pc.min_max(ch.columns([physical]).column(physical))
            hit = (mm["min"].as_py(), mm["max"].as_py())
        cache[key] = hit
    return hit


def _many_chunks(branch: Branch, t: TableDef) -> bool:
    layer = branch.layers.get(t.data_id)
    return layer is not None and len(layer.chunks) >= PARALLEL_CHUNKS


def _filtered(b: pa.RecordBatch, filter: pc.Expression, direct: Any) -> pa.RecordBatch:
    """``b.filter(filter)``, through compute kernels when ``direct`` (row_filter) can evaluate it;
    anything it cannot (a missing column, a type without the kernel) gets Acero's own answer."""
    if direct is not None:
        try:
            return b.filter(direct(b))
        except (KeyError, pa.ArrowException):
            pass
    return b.filter(filter)


def _needed_columns(t: TableDef, columns: list[str] | None, filter: pc.Expression | None,
                    full: pa.Schema) -> list[str] | None:
    """The physical columns a scan reads (None: all), so a segment on a remote tier fetches only those.

    The filter's columns are found by name in its text (a name inside a literal only adds a
    column); a filter that names a column of the scanned schema the table's definition does not
    (the row ids) means all columns. (Binding the filter to a schema of the found columns to
    check them ran an Acero plan per scan: an eighth of a one-row INSERT's unique check.)
    """
    if columns is None:
        return None
    names = set(columns)
    if filter is not None:
        text = str(filter)
        names |= {c.name for c in t.columns if c.name in text}
        if any(f.name not in names and f.name in text for f in full):
            return None
    return [f"c{c.col_id}" for c in t.columns if c.name in names]


_EMPTY_BATCHES: dict[int, tuple[pa.Schema, pa.RecordBatch]] = {}
_EMPTY_BATCHES_KEPT = 512


def _empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    """A batch of no rows of ``schema``, kept per schema object (a point read's presented schema is
    one object per table and column choice): built anew, one of eight columns cost 0.17 ms, most of
    a point read that finds no row. Batches are immutable, so one is shared."""
    hit = _EMPTY_BATCHES.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    batch = pa.RecordBatch.from_arrays([pa.array([], f.type) for f in schema], schema=schema)
    if len(_EMPTY_BATCHES) >= _EMPTY_BATCHES_KEPT:
        _EMPTY_BATCHES.clear()
    _EMPTY_BATCHES[id(schema)] = (schema, batch)
    return batch


def _counting_rows(batches: Iterator[pa.RecordBatch], activity: list[int], field: int,
                   per_index: list[int] | None = None) -> Iterator[pa.RecordBatch]:
    """The batches, their rows added to the table's seq_tup_read (or idx_tup_fetch) as they pass."""
    for batch in batches:
        activity[field] += batch.num_rows
        if per_index is not None:
            per_index[1] += batch.num_rows
        yield batch
