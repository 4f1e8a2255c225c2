"""A branch as another store had it at a time, copied into the live store as a new branch.

The other store is a scratch restore of the archive (the same server's history, so branch,
table and row ids mean the same things in both). A branch is its parent at a fork point plus
its own layers: the copy forks from the same parent at the same point (the live store keeps
that state while the original branch pins it) and gets the versions the branch itself had
at the time and the inherited rows it had deleted by then. A root branch (main) has no
parent: its copy forks from it at timestamp 0, where nothing is visible, and holds all of
its rows. The copied rows are one logged commit on the new branch, made under a provisional
name and renamed once committed.
"""

from __future__ import annotations

import uuid
from typing import Any

import attrs
import numpy as np
import pyarrow as pa

from helios_core.errors import HeliosError, InvalidParameterValue
from helios_core.storage.layer import Layer
from helios_core.storage.txn import LayerWrites
from helios_core.storage.versions import ROWID

PROVISIONAL = "heliosdb restoring "  # a branch being filled from the archive (a name SQL must quote)


@attrs.frozen
class BranchCopy:
    """What a branch was at ``ts``: where it forked and what it held itself."""

    parent_id: int
    fork_ts: int
    layers: list[tuple[int, tuple[str, ...], list[pa.RecordBatch], list[int]]]  # data_id, pk, batches, tombs


def ancestry(branch: Any) -> list[int]:
    """The ids of a branch and its ancestors (whose data its reads reach)."""
    out = []
    while branch is not None:
        out.append(branch.branch_id)
        branch = branch.parent
    return out


def read_branch(source: Any, branch_id: int | None, ts: int, name: str, db: str) -> BranchCopy:
    """What branch ``branch_id`` (None: the one named ``name`` in ``db`` then) held at ``ts`` in
    ``source`` (a store recovered up to ts)."""
    with source.mu:
        if branch_id is None:
            branch = source.dbs.get(db, {}).get(name)
        else:
            branch = source.branches.get(branch_id)
        if branch is None or branch.dropped or branch.created_ts > ts:
            raise InvalidParameterValue(f'branch "{name}" did not exist at that timestamp')
        if branch_id is None:
            return _materialize(source, branch, ts)
        layers = []
        for data_id, layer in branch.layers.items():
            batches = []
            for ch in list(layer.chunks.values()):
                mask = ch.visible_mask(ts, 0)
                if mask is None:
                    continue
                data = ch.data
                if mask is not True:
                    data = data.filter(mask if isinstance(mask, pa.Array) else pa.array(mask))
                if data.num_rows:
                    batches.append(data)
            dead = layer.dead_tombs(ts, 0)
            tombs = [] if dead is None else dead.tolist()
            if batches or tombs:
                layers.append((data_id, layer.pk_cols, batches, tombs))
        if branch.parent is None:
            return BranchCopy(branch.branch_id, 0, layers)
        return BranchCopy(branch.parent.branch_id, branch.fork_ts, layers)


def _materialize(source: Any, branch: Any, ts: int) -> BranchCopy:
    """Every row the branch saw at ``ts``, its ancestors' included, for a copy that inherits
    nothing: it forks from the database's root at timestamp 0 (the dropped branch's fork point
    is no longer kept by anything in the live store)."""
    pk_of: dict[int, tuple[str, ...]] = {}
    root, cur = branch, branch
    while cur is not None:
        for data_id, layer in cur.layers.items():
            pk_of.setdefault(data_id, layer.pk_cols)
        root, cur = cur, cur.parent
    layers = []
    for data_id, pk_cols in pk_of.items():
        batches = [b for b in source._visible(branch, _DataSet(data_id), ts, 0, None, None) if b.num_rows]
        if batches:
            layers.append((data_id, pk_cols, batches, []))
    return BranchCopy(root.branch_id, 0, layers)


@attrs.frozen
class _DataSet:
    """What the store's read path needs of a table to read its versions: the data set id."""

    data_id: int


def graft(store: Any, db: str, name: str, copy: BranchCopy) -> None:
    """Create branch ``name`` in the live ``store`` holding ``copy``; nothing else changes.

    The branch is made and filled under a provisional name and renamed once its rows are
    committed (each step one logged record): a crash in between never leaves an empty branch
    under the asked-for name, only a provisional one that the next start drops."""
    provisional = f"{PROVISIONAL}{uuid.uuid4().hex[:12]}"
    with store._meta_lock, store.mu:
        if name in store._db(db):
            raise HeliosError(f'branch "{name}" already exists', sqlstate="42710")
        parent = store.branches.get(copy.parent_id)
        if parent is None or parent.db != db:
            raise InvalidParameterValue(f'branch "{name}": the branch it forked from no longer exists')
        bid = store._next_branch_id
        store._meta({"k": "br+", "name": provisional, "id": bid, "parent": copy.parent_id,
                     "fork_ts": copy.fork_ts, "ts": store.clock.tick()})
    try:
        _fill(store, db, provisional, copy)
        store.rename_branch(db, provisional, name)
    except BaseException:
        store.drop_branch(db, provisional)
        raise


def drop_provisional(store: Any) -> list[str]:
    """Drop the provisional branches of grafts a crash cut short; returns their names."""
    with store.mu:
        found = [(db, name) for db, branches in store.dbs.items() for name in branches if name.startswith(PROVISIONAL)]
    for db, name in found:
        store.drop_branch(db, name)
    return [name for _db, name in found]


def _fill(store: Any, db: str, name: str, copy: BranchCopy) -> None:
    txn = store.begin(db, name)
    branch = store.branches[store.dbs[db][name].branch_id]
    try:
        with store.mu:
            for data_id, pk_cols, batches, tombs in copy.layers:
                layer = branch.layers.setdefault(data_id, Layer(branch, data_id, tuple(pk_cols)))
                w = txn.writes.setdefault(layer.key, LayerWrites(layer))
                for batch in batches:
                    rowids = batch.column(ROWID)
                    phys = batch.select([n for n in batch.schema.names if n != ROWID])
                    txn._append_chunk(layer, w, phys, rowids)
                    if layer.pk_cols:
                        txn._pk_set(layer, w, layer.keys_of(batch), rowids.to_pylist())
                    branch.note_rowid(int(np.max(rowids.to_numpy())))
                for r in tombs:
                    layer.tomb[r] = -txn.txid
                w.tombs.extend(tombs)
            txn.ddl = True  # the copy holds the branch's own catalog versions too
    except BaseException:
        txn.rollback()
        raise
    txn.commit()
