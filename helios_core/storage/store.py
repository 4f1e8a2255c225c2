"""The Store: databases, branches, the transaction table and the read path over layers."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import HeliosError, InvalidCatalogName, InvalidParameterValue
from helios_core.hookspecs import StorageTier
from helios_core.storage.clock import Clock
from helios_core.storage.errors import DependentObjectsStillExist, InvalidBranch
from helios_core.storage.layer import Branch
from helios_core.storage.schema import BranchInfo, TableDef
from helios_core.storage.txn import READ_COMMITTED, Transaction
from helios_core.storage.versions import ROWID


class DuplicateDatabase(HeliosError):
    sqlstate = "42P04"


class Store:
    """All databases of one server. Thread-safe: sessions call it from worker threads."""

    def __init__(self, data_dir: str | None, tier: StorageTier | None, retention_seconds: int) -> None:
        self.data_dir = data_dir
        self.tier = tier
        self.retention_us = int(retention_seconds * 1_000_000)
        self.mu = threading.RLock()
        self.clock = Clock()
        self.dbs: dict[str, dict[str, Branch]] = {}
        self.branches: dict[int, Branch] = {}
        self.active: dict[int, Transaction] = {}
        self.row_locks: dict[tuple[tuple[int, int], int], dict[int, str]] = {}
        self._txids = itertools.count(1)
        self._chunk_ids = itertools.count(1)
        self._next_oid = 1
        self._next_branch_id = 1
        self._json_cache: dict[str, Any] = {}
        self._def_cache: dict[str, TableDef] = {}
        self._schema_cache: dict[tuple[int, Any, bool], tuple[TableDef, pa.Schema]] = {}
        self.closed = False

    # ------------------------------------------------------------------ open/close
    @classmethod
    def open(cls, data_dir: str | None = None, *, tier: StorageTier | None = None,
             retention_seconds: int = 7 * 86400) -> Store:
        store = cls(data_dir, tier, retention_seconds)
        return store

    def close(self) -> None:
        self.closed = True

    def checkpoint(self) -> None:
        """In memory there is nothing to make durable."""

    def now(self) -> int:
        return self.clock.tick()

    # ------------------------------------------------------------------ ids
    def _next_txid(self) -> int:
        return next(self._txids)

    def _next_chunk_id(self) -> int:
        return next(self._chunk_ids)

    def _alloc_id(self) -> int:
        with self.mu:
            oid = self._next_oid
            self._next_oid += 1
            return oid

    def _snapshot_ts(self) -> int:
        """A timestamp that every finished commit is at or below and no running commit is."""
        with self.mu:
            return self.clock.tick()

    # ------------------------------------------------------------------ databases, branches
    def create_database(self, name: str) -> None:
        with self.mu:
            if name in self.dbs:
                raise DuplicateDatabase(f'database "{name}" already exists')
            ts = self.clock.tick()
            self._add_branch(name, "main", None, None, ts)

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
        with self.mu:
            branches = self.dbs.pop(name, None)
            if branches is None:
                raise InvalidCatalogName(f'database "{name}" does not exist')
            for b in branches.values():
                b.dropped = True
                b.layers.clear()
                self.branches.pop(b.branch_id, None)

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
        with self.mu:
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
            b = self._add_branch(db, name, p, fork, now)
            return self._info(b)

    def drop_branch(self, db: str, name: str) -> None:
        """Frees only what the branch alone owns: its layers. Refused while it has child branches."""
        with self.mu:
            b = self._branch(db, name)
            if b.parent is None:
                raise HeliosError(f'cannot drop the root branch "{name}"', sqlstate="0A000")
            kids = [c.name for c in self.dbs[db].values() if c.parent is b]
            if kids:
                raise DependentObjectsStillExist(
                    f'cannot drop branch "{name}" because other branches depend on it',
                    detail="branches " + ", ".join(sorted(kids)) + " were forked from it")
            del self.dbs[db][name]
            self.branches.pop(b.branch_id, None)
            b.dropped = True
            b.layers = {}

    def rename_branch(self, db: str, old: str, new: str) -> None:
        with self.mu:
            branches = self._db(db)
            b = self._branch(db, old)
            if new in branches:
                raise InvalidBranch(f'branch "{new}" already exists', sqlstate="42710")
            del branches[old]
            b.name = new
            branches[new] = b

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
        with self.mu:
            b = self._branch(db, branch)
            txn = Transaction(self, b, isolation, read_only, lock_timeout)
            self.active[txn.txid] = txn
            return txn

    def _commit(self, txn: Transaction) -> int:
        with self.mu:
            ts = self.clock.tick()
            txn._apply(ts)
            txn.commit_ts = ts
            txn._finish("committed")
            return ts

    # ------------------------------------------------------------------ read path
    def _visible(self, branch: Branch, t: TableDef, ts: int, txid: int, filter: pc.Expression | None,
                 rid_np: np.ndarray | None) -> Iterator[pa.RecordBatch]:
        """Physical batches of `t` on `branch` visible to snapshot (ts, txid)."""
        layer = branch.layers.get(t.data_id)
        if layer is not None:
            for ch in list(layer.chunks.values()):
                m = ch.visible_mask(ts, txid)
                if m is None:
                    continue
                if rid_np is not None:
                    sel = np.isin(ch.rowids(), rid_np)
                    m = sel if m is True else (m & sel)
                data = ch.data
                if m is True:
                    yield data
                    continue
                cnt = int(np.count_nonzero(m))
                if cnt == len(m):
                    yield data
                elif cnt:
                    yield data.filter(pa.array(m))
        if branch.parent is not None:
            dead = layer.dead_tombs(ts, txid) if layer is not None else None
            for b in self._visible(branch.parent, t, min(ts, branch.fork_ts), 0, filter, rid_np):
                if dead is not None and len(dead):
                    keep = ~np.isin(b.column(ROWID).to_numpy(), dead)
                    if not keep.all():
                        b = b.filter(pa.array(keep))
                        if b.num_rows == 0:
                            continue
                yield b

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

    def _present(self, t: TableDef, phys: pa.RecordBatch) -> pa.RecordBatch:
        """Physical batch (c<col_id> columns) -> the table's current user-named columns + _rowid."""
        n = phys.num_rows
        fills = t.options.get("__fill__")
        arrays = []
        names = phys.schema.names
        for c in t.columns:
            pn = f"c{c.col_id}"
            if pn in names:
                arrays.append(phys.column(pn))
            else:
                fill = fills.get(str(c.col_id)) if fills else None
                if fill is None:
                    arrays.append(pa.nulls(n, c.type))
                else:
                    arrays.append(pa.array([fill], c.type).take(pa.array(np.zeros(n, dtype=np.int64))))
        arrays.append(phys.column(ROWID))
        return pa.RecordBatch.from_arrays(arrays, schema=self._full_schema(t))

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


def _copy(v: dict) -> dict:
    return json.loads(json.dumps(v))
