"""What a commit changed, for the commit observers of the plugin API (``helios_commit_observers``).

At commit the store holds its commit lock and has just stamped the transaction's versions with
the commit timestamp. ``describe`` takes, per table written, references to the chunks holding
the versions the commit made (those still live after it) and the ones it ended, with their
positions: numpy work only, no row is copied. The rows are read when an observer asks
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
from helios_core.storage.versions import MAX_TS, ROWID

if TYPE_CHECKING:  # pragma: no cover
    from helios_core.storage.schema import TableDef
    from helios_core.storage.txn import Transaction

log = logging.getLogger("helios.commit_feed")

Parts = list[tuple[Any, np.ndarray]]  # (chunk, positions)


def describe(txn: Transaction, ts: int) -> CommittedChanges | None:
    """The commit's changes (under the store's lock, after ``_apply``); None when it wrote no table."""
    tables: list[CommittedTable] = []
    for w in txn.writes.values():
        t = w.table
        if t is None:
            continue
        after: Parts = []
        for ch in w.chunks:
            pos = np.flatnonzero(np.asarray(ch.ended) == MAX_TS)
            if len(pos):
                after.append((ch, pos))
        before: Parts = []
        if w.ended_locs:
            locs = np.asarray(w.ended_locs, dtype=np.int64)
            cids = locs >> 32
            for cid in np.unique(cids).tolist():
                ch = w.layer.chunks.get(cid)
                if ch is not None:
                    before.append((ch, np.sort(locs[cids == cid] & 0xFFFFFFFF)))
        if not after and not before:
            continue
        rows = sum(len(pos) for _ch, pos in before) + sum(len(pos) for _ch, pos in after)
        tables.append(CommittedTable(schema=t.schema, name=t.name, before=_reader(t, before),
                                     after=_reader(t, after), rows=rows))
    if not tables:
        return None
    branch = txn._branch
    return CommittedChanges(database=branch.db, branch=branch.name, commit_ts=ts, tables=tables)


def _reader(t: TableDef, parts: Parts) -> Any:
    def read() -> pa.Table:
        schema = pa.schema([pa.field(ROWID, pa.int64())] + [pa.field(c.name, c.type) for c in t.columns])
        batches = []
        for ch, pos in parts:
            data = ch.data.take(pa.array(pos, pa.int64()))
            cols = [data.column(ROWID)]
            for c in t.columns:
                phys = f"c{c.col_id}"
                idx = data.schema.get_field_index(phys)
                cols.append(data.column(idx).cast(c.type) if idx >= 0 else pa.nulls(data.num_rows, c.type))
            batches.append(pa.RecordBatch.from_arrays(cols, schema=schema))
        return pa.Table.from_batches(batches, schema=schema)
    return read


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
