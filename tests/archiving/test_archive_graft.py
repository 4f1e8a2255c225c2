"""A branch restored from the archive is filled under a provisional name and renamed once committed;
what a crash leaves of one is dropped at the next start."""

from __future__ import annotations

import pyarrow as pa
from helios_storage_nvme.tier import DiskTier

from helios_core.archiving.graft import PROVISIONAL, drop_provisional
from helios_core.storage import ColumnDef, Store


def test_a_provisional_branch_left_by_a_crash_is_dropped(tmp_path):
    data = str(tmp_path / "data")
    store = Store.open(data, tier=DiskTier(data, None))
    store.create_database("db")
    with store.begin("db") as txn:
        txn.create_table("public", "t", [ColumnDef("v", pa.int64())])
    store.create_branch("db", "tenant")
    store.create_branch("db", f"{PROVISIONAL}0123")
    store.close(checkpoint=False)  # the crash: the rename never came
    store = Store.open(data, tier=DiskTier(data, None))
    try:
        assert drop_provisional(store) == [f"{PROVISIONAL}0123"]
        assert [b.name for b in store.list_branches("db")] == ["main", "tenant"]
    finally:
        store.close(checkpoint=False)
