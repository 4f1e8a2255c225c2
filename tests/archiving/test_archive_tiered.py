"""Backups of a store whose segments partly live on a warm object tier (a local-directory object
store here; S3/GCS/Azure run the same code): the backup copies those objects, so it restores on
its own, onto the local tier, even once the tier's objects are gone."""

from __future__ import annotations

import pyarrow as pa
import pytest
from helios_storage_nvme.tier import DiskTier
from helios_storage_object.archive import ObjectArchiver
from helios_storage_object.backends import open_backend
from helios_storage_object.tier import ObjectTier

from helios_core.archiving import backup as backups
from helios_core.archiving.repository import Repository
from helios_core.archiving.restore import restore
from helios_core.storage import ColumnDef, Store, mover
from helios_core.storage.tiering import TierSet


def values(store: Store, table: str) -> list[int]:
    with store.begin("db", read_only=True) as txn:
        return sorted(v for b in txn.scan("public", table) for v in b.column("v").to_pylist())


@pytest.fixture
def tiered(tmp_path):
    data = str(tmp_path / "data")
    warm = ObjectTier(open_backend("local", {"path": str(tmp_path / "objects"), "prefix": "warm"}, timeout=10.0))
    store = Store.open(data, tiers=TierSet(DiskTier(data, None), {"warm": warm}))
    store.create_database("db")
    for table, rows in (("old", range(1000)), ("new", range(5))):
        with store.begin("db") as txn:
            txn.create_table("public", table, [ColumnDef("v", pa.int64())])
            txn.insert_rows("public", table, [{"v": v} for v in rows])
    with store.begin("db", read_only=True) as txn:
        data_id = txn.get_table("public", "old").data_id
    assert mover.move_table(store, "db", "main", data_id, "warm") >= 1
    store.checkpoint()
    repo = Repository("local", ObjectArchiver(open_backend("local", {"path": str(tmp_path / "archive"),
                                                                     "prefix": "a"}, timeout=10.0)))
    yield store, warm, repo, tmp_path
    store.close(checkpoint=False)


def test_the_backup_copies_warm_segments_and_restores_without_the_tier(tiered):
    store, warm, repo, tmp = tiered
    assert list(warm.list(""))  # segments of "old" live on the warm tier only
    with pytest.raises(backups.BackupError, match="warm tier"):
        backups.create(store.data_dir, store.tier, [repo])  # without the warm tier it cannot be read
    made = backups.create(store.data_dir, store.tier, [repo], remote={"warm": warm})
    for name in list(warm.list("")):  # the tier's objects go (a lifecycle rule, a lost bucket)
        warm.delete(name)
    out = str(tmp / "restored")
    res = restore(repo, out, lambda d: DiskTier(d, None))
    assert res.problem is None and res.backup_id == made["id"]
    restored = Store.open(out, tier=DiskTier(out, None))  # no warm tier configured: all of it is local
    try:
        assert values(restored, "old") == list(range(1000))
        assert values(restored, "new") == list(range(5))
    finally:
        restored.close(checkpoint=False)
