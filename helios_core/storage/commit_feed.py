"""What a commit changed, for the commit observers of the plugin API (``helios_commit_observers``).

At commit the store holds its commit lock and has just stamped the transaction's versions with
the commit timestamp. ``describe`` takes, per table written, references to the chunks holding
the versions the commit made and to those holding the ones it ended: no row is copied, no
array is scanned (a single-row commit pays a few microseconds). The rows are read when an observer asks
(``CommittedTable.before()`` / ``after()``), from those same chunks, which are immutable
apart from their stamps; a flush or compaction that replaces them in the layer later does not
change what the references hold.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from helios_core.hookspecs import CommittedChanges, CommittedTable
from helios_core.storage.versions import ROWID

if TYPE_CHECKING:  # pragma: no cover
    from helios_core.storage.schema import TableDef
    from helios_core.storage.txn import Transaction

log = logging.getLogger("helios.commit_feed")

class _Rows:
    """One table's row versions of one commit, read on demand (``CommittedTable.before/after``).

    Taken under the commit lock with no copying: the chunks the commit wrote (their versions it
    did not end again itself are the new rows: any stamp but the commit's own, which later
    commits may change but never to it) and, for the versions it ended, their chunks by id as
    the layer held them then (a compaction may replace them in the layer afterwards).
    """

    __slots__ = ("chunks", "ended", "locs", "t", "ts")

    def __init__(self, t: TableDef, ts: int, chunks: list[Any], ended: dict[int, Any], locs: list[int]) -> None:
        self.t, self.ts, self.chunks, self.ended, self.locs = t, ts, chunks, ended, locs

    def before(self) -> pa.Table:
        if not self.locs:
            return self._table([])
        locs = np.asarray(self.locs, dtype=np.int64)
        cids = locs >> 32
        parts = []
        for cid in np.unique(cids).tolist():
            ch = self.ended.get(cid)
            if ch is not None:
                parts.append((ch, np.sort(locs[cids == cid] & 0xFFFFFFFF)))
        return self._table(parts)

    def after(self) -> pa.Table:
        parts = []
        for ch in self.chunks:
            pos = np.flatnonzero(np.asarray(ch.ended) != self.ts)
            if len(pos):
                parts.append((ch, pos))
        return self._table(parts)

    def _table(self, parts: list[tuple[Any, np.ndarray]]) -> pa.Table:
        t = self.t
        schema = pa.schema([pa.field(ROWID, pa.int64())] + [pa.field(c.name, c.type) for c in t.columns])
        batches = []
        for ch, pos in parts:
            data = ch.data.take(pa.array(pos, pa.int64()))
            cols = [data.column(ROWID)]
            for c in t.columns:
                idx = data.schema.get_field_index(f"c{c.col_id}")
                cols.append(data.column(idx).cast(c.type) if idx >= 0 else pa.nulls(data.num_rows, c.type))
            batches.append(pa.RecordBatch.from_arrays(cols, schema=schema))
        return pa.Table.from_batches(batches, schema=schema)


def describe(txn: Transaction, ts: int) -> CommittedChanges | None:
    """The commit's changes (under the store's lock, after ``_apply``); None when it wrote no table."""
    tables: list[CommittedTable] = []
    for w in txn.writes.values():
        t = w.table
        if t is None:
            continue
        locs = w.ended_locs
        ended: dict[int, Any] = {}
        if locs:
            chunks = w.layer.chunks
            for cid in {loc >> 32 for loc in locs}:
                ch = chunks.get(cid)
                if ch is not None:
                    ended[cid] = ch
        made = sum(ch.num_rows for ch in w.chunks)
        if not made and not locs:
            continue
        rows = _Rows(t, ts, w.chunks, ended, locs)
        tables.append(CommittedTable(schema=t.schema, name=t.name, before=rows.before, after=rows.after,
                                     rows=made + len(locs), table_id=t.table_id))
    if not tables:
        return None
    branch = txn._branch
    return CommittedChanges(database=branch.db, branch=branch.name, commit_ts=ts, tables=tables)


def tell(observers: list[Any], txn: Transaction, ts: int) -> None:
    """Call each observer with the commit's changes; an observer's failure never fails the commit."""
    try:
        changes = describe(txn, ts)
    except Exception:
        log.exception("describing commit %d for its observers failed", ts)
        return
    if changes is None:
        return
    for observer in observers:
        try:
            observer(changes)
        except Exception:
            log.exception("commit observer %r failed", observer)
