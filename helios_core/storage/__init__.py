'''HeliosDB storage kernel: MVCC row versions over Arrow, branches, time travel.

API (what the SQL engine and everything above it uses; nothing below it)::

    store = Store.open(data_dir=None, *, tier=None, retention_seconds=7*86400)
        # data_dir None: in memory. With a data_dir: WAL + manifests there, segments via `tier`
        # (helios_storage_nvme's disk tier in a server; MemoryTier() in tests).
    store.close(); store.checkpoint(); store.now() -> int   # microseconds, same clock as commits

    store.create_database(name); store.drop_database(name); store.list_databases()
    store.create_branch(db, name, parent="main", at_ts=None) -> BranchInfo   # O(1)
    store.drop_branch(db, name); store.rename_branch(db, old, new)
    store.list_branches(db); store.get_branch(db, name)                       # BranchInfo | None

    txn = store.begin(db, branch="main", isolation="read committed" | "repeatable read",
                      read_only=False, lock_timeout=None)          # "serializable": SSI (ssi.py)
    txn.snapshot_ts; txn.new_statement(); txn.commit() -> commit ts; txn.rollback()
    with store.begin(db) as txn: ...                               # commits, or rolls back on error

    txn.create_table(schema, name, [ColumnDef(name, pa_type, nullable, metadata)], primary_key=[...],
                     options={}, if_not_exists=False) -> TableDef  # 42P07
    txn.drop_table(...); txn.get_table(schema, name) -> TableDef | None; txn.list_tables(schema=None)
    txn.alter_table(schema, name, add_column=, drop_column=, rename_column=(old, new), rename_to=,
                    options=, fill_value=)   # fill_value: what pre-existing rows show for add_column
    txn.truncate(schema, name)               # fresh data set; older snapshots keep the old one
    txn.set_primary_key(schema, name, [cols])   # ALTER TABLE ADD PRIMARY KEY (checks, rewrites)
    txn.replace_column(schema, name, ColumnDef(..., col_id=<existing col_id>))  # ALTER COLUMN
                                             # (rename/nullability/metadata; a new type casts + rewrites)
    txn.get_table_as_of(schema, name, ts)    # the definition a time-travel read uses
    txn.catalog_put(kind, key, dict); txn.catalog_get(kind, key); txn.catalog_delete(kind, key)
    txn.catalog_list(kind) -> {key: dict}; txn.catalog_put_new(kind, key, dict)  # 23505 if exists

    txn.insert(schema, name, RecordBatch | Table) -> pa.Array of new _rowids   # 23502, 23505
    txn.insert_rows(schema, name, [dict, ...])
    txn.scan(schema, name, columns=None, filter=pc.Expression, as_of=None, with_rowid=False,
             rowids=None, latest=False) -> Iterator[RecordBatch]    # always yields >= 1 batch
    txn.lookup(schema, name, key_tuple, columns=None, with_rowid=False) -> RecordBatch (0/1 row)
    txn.update(schema, name, rowids, new_rows) -> WriteOutcome       # new_rows may omit columns:
    txn.delete(schema, name, rowids) -> WriteOutcome                 #   they keep their values
    txn.lock_rows(schema, name, rowids, mode="update" | "share", nowait=False) -> WriteOutcome
    WriteOutcome(count, changed, gone)
    sp = txn.savepoint(name); txn.rollback_to(sp); txn.release_savepoint(sp)

    store.checkpoint(vacuum=False)   # flush + merge small segments + manifest; vacuum: also GC old versions
    store.vacuum()                   # GC of versions older than retention that no branch/snapshot needs

Table locks (module table_locks; PostgreSQL's ROW EXCLUSIVE / ACCESS EXCLUSIVE): insert, update,
delete and lock_rows take a "write" lock on the table; drop_table, truncate, alter_table,
set_primary_key and replace_column take "exclusive". Writers share; "exclusive" conflicts with
both; readers take none. Held until commit/rollback (ROLLBACK TO SAVEPOINT drops those taken
after it); waiters queue in order; lock_timeout -> 55P03, nowait -> 55P03, a cycle across row
and table waits -> 40P01. After waiting, a writer whose table was dropped gets 42P01; one whose
table was truncated/rewritten continues on the new data set under READ COMMITTED (fresh
snapshot) and gets 40001 under REPEATABLE READ. An exclusive lock under READ COMMITTED takes a
fresh snapshot, so a rewrite copies rows committed while it waited.

Errors (helios_core.errors, SQLSTATE): 23505 UniqueViolation, 23502 NotNullViolation,
40001 SerializationFailure, 40P01 DeadlockDetected, 55P03 LockNotAvailable, 42P01 UndefinedTable,
42P07 DuplicateTable, 42703 UndefinedColumn, 53100 DiskFull; storage.errors adds 25006
ReadOnlyTransaction, 2BP01 DependentObjectsStillExist, 42704 InvalidBranch.

READ COMMITTED protocol for the SQL layer (as PostgreSQL's EvalPlanQual)::

    txn.new_statement()                                   # fresh snapshot per statement
    rows = scan(filter=where, with_rowid=True)
    out = txn.update(rowids, new_rows)                    # waits for concurrent writers
    while len(out.changed):                               # rows a later commit replaced
        rows = scan(rowids=out.changed, filter=where, with_rowid=True, latest=True)
        out = txn.update(rows' rowids, recomputed new rows)   # applies to the re-read versions
    # out.gone: rows deleted meanwhile: skipped. REPEATABLE READ raises 40001 instead.

Versions per key (toyDB style). Every row version has ``created`` and ``ended`` commit
timestamps; a snapshot at ts sees created <= ts < ended. ``-txid`` marks what an open
transaction wrote (created) or is replacing/deleting (ended: also the row's write lock)::

    rowid 7 (key 'a')      created  ended
      v1 balance=100          10      40     <- replaced at ts 40
      v2 balance= 70          40      MAX    <- live
      v3 balance= 50         -T9      ...    <- T9's pending update; v2.ended = -T9 until T9 ends

      snapshot ts=25 sees v1;  ts=45 sees v2;  T9 itself sees v3;
      T9 commits at 60: v2.ended = 60, v3.created = 60 (stamped on whole columns at once)

    rowid 8 (key 'b')
      v1                      20      50     <- deleted at 50: no live version

Branches: metadata (parent, fork_ts) and their own layers. Reading branch B at ts::

    main:  k1 v1 (10) ----- k1 v2 (30) ---- k3 (40)
                     \\ fork_ts = 25
    dev:              +-- k2 (35)   tombstone(k1, 45)

    dev @ 37 = main @ min(37, 25) [k1 v1]  + dev's own [k2]              = {k1 v1, k2}
    dev @ 50 = main @ 25 [k1 v1] - tombstones <= 50 [k1] + own [k2]     = {k2}

Indexes per (branch, table) layer: ``pk`` key -> rowid (the row that last took the key; verified
on use), ``rowloc`` rowid -> location of its newest committed version (a LocMap: single entries
plus one run per bulk insert, so tables without a primary key insert with no per-row work). A point read is two dict
lookups plus one row slice; anything the index cannot answer for an old snapshot falls back to a
vectorized scan with the key as filter (still exact).

Durability (with a data_dir; modules wal, records, persist, segments, compaction)::

    commit:  encode versions (Arrow IPC) -> append framed record [len|crc32|payload] under the
             store lock (log order = timestamp order) -> group fsync (leader/follower) ->
             apply in log order -> commit returns
    data_dir/MANIFEST          atomically replaced: branches, segments per layer, WAL start
    data_dir/state-<n>.arrow   ended stamps of segment rows + branch tombstones
    data_dir/wal/<seq>.wal     records since the checkpoint; a torn/corrupt tail is cut at open
    tier: "<branch_id>/<data_id>/<chunk_id>.arrow"   immutable segments (created stamps, min/max
             stats + mmh3 key bloom in the schema metadata), opened zero-copy (mmap on disk)

Writes go to per-(branch, table) memtable chunks (Arrow data + numpy ``ended`` stamps, merged
every few commits); a checkpoint merges them (and small segments) into segments through the tier.
Disk full (ENOSPC/EFBIG/any OSError) while logging fails that transaction with DiskFull (53100)
and cuts the log back; while flushing it fails the checkpoint; the store stays open either way.
A data_dir without a tier uses the installed tier plugin (helios_storage_tiers hook, "nvme").
'''

from helios_core.storage.memory_tier import MemoryTier
from helios_core.storage.schema import BranchInfo, ColumnDef, TableDef, WriteOutcome
from helios_core.storage.store import Store
from helios_core.storage.txn import READ_COMMITTED, REPEATABLE_READ, Transaction

__all__ = [
    "READ_COMMITTED", "REPEATABLE_READ", "BranchInfo", "ColumnDef", "MemoryTier", "Store", "TableDef",
    "Transaction", "WriteOutcome",
]
