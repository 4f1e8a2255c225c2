"""``retention_days`` in the archive: backups and WAL no time within the retention needs are deleted,
and every time within it stays restorable (the newest backup from before the horizon stays)."""

from __future__ import annotations

import time

import pyarrow as pa
from helios_storage_nvme.tier import DiskTier
from helios_storage_object.archive import ObjectArchiver
from helios_storage_object.backends import open_backend

from helios_core.archiving import backup as backups
from helios_core.archiving.repository import Repository
from helios_core.archiving.restore import restore
from helios_core.archiving.shipper import WalShipper
from helios_core.storage import ColumnDef, Store


def values(path: str) -> list[int]:
    store = Store.open(path, tier=DiskTier(path, None))
    try:
        with store.begin("db", read_only=True) as txn:
            return sorted(v for b in txn.scan("public", "t") for v in b.column("v").to_pylist())
    finally:
        store.close(checkpoint=False)


def test_expire_keeps_what_the_retention_window_needs(tmp_path):
    repo = Repository("local", ObjectArchiver(open_backend("local", {"path": str(tmp_path / "archive"), "prefix": "r"},
                                                           timeout=10.0)))
    data = str(tmp_path / "data")
    store = Store.open(data, tier=DiskTier(data, None))
    store.create_database("db")
    with store.begin("db") as txn:
        txn.create_table("public", "t", [ColumnDef("v", pa.int64())])
    shipper = WalShipper(store, {"local": repo}, "local", archive_timeout=30)
    shipper.start()
    made, stamps = [], []
    for v in range(3):  # three backups, a row and a closed WAL file after each
        store.checkpoint()
        made.append(backups.create(data, store.tier, [repo]))
        time.sleep(0.01)
        with store.begin("db") as txn:
            txn.insert_rows("public", "t", [{"v": v}])
        stamps.append(txn.commit_ts)
        shipper.switch()
    shipper.stop(wait=10)
    store.close(checkpoint=False)
    wal_before = repo.keys("wal/")
    # the horizon falls between the second backup and the third: the second still covers it
    horizon_us = (made[1]["end_ts"] + made[2]["start_ts"]) // 2
    assert made[1]["end_ts"] < horizon_us < made[2]["start_ts"]
    gone = backups.expire(repo, retention_days=1, now=horizon_us / 1e6 + 86400)
    assert [b["id"] for b in backups.list_backups(repo)] == [made[1]["id"], made[2]["id"]]
    assert any(k.startswith(f"backups/{made[0]['id']}/") for k in gone)
    wal_gone = sorted(k for k in gone if k.startswith("wal/"))
    assert wal_gone and wal_gone == [k for k in wal_before if k < f"wal/00000001/{made[1]['wal_start']['seq']:08d}"]
    # a time just inside the window is restorable: from the second backup and the WAL after it
    res = restore(repo, str(tmp_path / "at-horizon"), lambda d: DiskTier(d, None), horizon_us)
    assert res.problem is None and res.backup_id == made[1]["id"]
    assert values(str(tmp_path / "at-horizon")) == [v for v, ts in enumerate(stamps) if ts <= horizon_us] == [0]
    assert backups.verify(repo).ok
