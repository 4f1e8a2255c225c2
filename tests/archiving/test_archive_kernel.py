"""WAL archiving in the kernel, in process: shipping, retention of local WAL, backups, point-in-time
restore, verification, against obstore's local-directory store (the cloud backends run the same code
in plugins/storage_object)."""

from __future__ import annotations

import os
import time

import obstore
import pyarrow as pa
import pytest
from helios_storage_nvme.tier import DiskTier
from obstore.exceptions import NotFoundError
from obstore.store import LocalStore

from helios_core.archiving import backup as backups
from helios_core.archiving.objects import CorruptObject
from helios_core.archiving.repository import Repository, wal_key
from helios_core.archiving.restore import RestoreError, restore
from helios_core.archiving.shipper import WalShipper
from helios_core.hookspecs import WalArchiver
from helios_core.storage import ColumnDef, Store


class DirArchiver(WalArchiver):
    """An archive in a local directory through obstore; ``down`` makes every call fail (a backend outage)."""

    def __init__(self, root: str) -> None:
        os.makedirs(root, exist_ok=True)
        self.store = LocalStore(root, automatic_cleanup=True)
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise OSError("backend unreachable")

    def archive(self, name: str, data: bytes) -> None:
        self._check()
        obstore.put(self.store, name, data)

    def fetch(self, name: str) -> bytes:
        self._check()
        try:
            return obstore.get(self.store, name).bytes().to_bytes()
        except NotFoundError:
            raise FileNotFoundError(name) from None

    def list(self, prefix: str = "") -> list[str]:
        self._check()
        return [m["path"] for batch in obstore.list(self.store, prefix or None) for m in batch]

    def delete(self, name: str) -> None:
        self._check()
        obstore.delete(self.store, name)


def open_store(path: str, **kw) -> Store:
    return Store.open(path, tier=DiskTier(path, None), **kw)


def insert(store: Store, value: int) -> int:
    with store.begin("db") as txn:
        txn.insert_rows("public", "t", [{"v": value}])
    return txn.commit_ts


def values(store: Store) -> list[int]:
    with store.begin("db", read_only=True) as txn:
        return sorted(v for b in txn.scan("public", "t") for v in b.column("v").to_pylist())


def wait_for(cond, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def setup(tmp_path):
    data = str(tmp_path / "data")
    store = open_store(data)
    store.create_database("db")
    with store.begin("db") as txn:
        txn.create_table("public", "t", [ColumnDef("v", pa.int64())])
    primary, secondary = DirArchiver(str(tmp_path / "s3")), DirArchiver(str(tmp_path / "gcs"))
    repos = {"s3": Repository("s3", primary), "gcs": Repository("gcs", secondary)}
    shipper = WalShipper(store, repos, "s3", archive_timeout=0.1)
    shipper.start()
    yield store, shipper, repos, primary, secondary, tmp_path
    shipper.stop(wait=0.5)
    store.close(checkpoint=False)


def shipped_past(shipper: WalShipper, backend: str) -> callable:
    """Everything written so far is on ``backend`` (the current file once archive_timeout closed it)."""
    wal = shipper.store.wal
    target = wal.file_seq if wal.offset > 0 else wal.file_seq - 1
    return lambda: (shipper.status[backend].last_seq or 0) >= target


def test_archive_timeout_ships_and_restore_to_time(setup):
    store, shipper, repos, _p, _s, tmp = setup
    made = backups.create(store.data_dir, store.tier, list(repos.values()))
    before = [insert(store, i) for i in range(5)]
    time.sleep(0.05)
    cut = store.now()
    time.sleep(0.05)
    after = [insert(store, i) for i in range(5, 10)]
    assert max(before) < cut < min(after)
    wait_for(shipped_past(shipper, "s3"))  # the partly filled file went out on archive_timeout
    rows = {r["backend"]: r for r in shipper.rows()}
    assert rows["s3"]["lag_bytes"] == 0 and rows["s3"]["last_segment"].startswith("wal/00000001/")
    out = str(tmp / "restored")
    res = restore(repos["s3"], out, lambda d: DiskTier(d, None), cut)
    assert res.problem is None and res.backup_id == made["id"] and res.timeline == 2
    restored = open_store(out)
    assert values(restored) == list(range(5))
    restored.close()
    latest = str(tmp / "latest")
    wait_for(shipped_past(shipper, "gcs"))
    restore(repos["gcs"], latest, lambda d: DiskTier(d, None), None)
    restored = open_store(latest)
    assert values(restored) == list(range(10))
    restored.close()


def test_local_wal_kept_until_primary_has_it_and_secondary_catches_up_in_order(setup):
    store, shipper, repos, primary, secondary, _tmp = setup
    secondary.down = True
    primary.down = True
    for i in range(3):
        insert(store, i)
        shipper.switch()
    closed = store.wal.file_seq - 1
    store.checkpoint()  # the checkpoint no longer needs these files, but the primary does not have them
    wal_dir = os.path.join(store.data_dir, "wal")
    assert os.path.exists(os.path.join(wal_dir, f"{closed:08d}.wal"))
    wait_for(lambda: shipper.status["s3"].failures > 0 and shipper.status["gcs"].failures > 0)
    insert(store, 99)  # the server goes on while both backends are down
    primary.down = False
    wait_for(shipped_past(shipper, "s3"))
    assert not os.path.exists(os.path.join(wal_dir, f"{closed:08d}.wal"))  # now trimmed
    assert shipper.status["gcs"].last_seq < closed
    secondary.down = False
    wait_for(shipped_past(shipper, "gcs"))  # from the primary: the local copies are gone
    assert repos["gcs"].wal_seqs(1) == repos["s3"].wal_seqs(1)
    seqs = repos["gcs"].wal_seqs(1)
    assert seqs == list(range(seqs[0], seqs[-1] + 1))


def test_corrupt_wal_object_stops_replay_and_is_named(setup):
    store, shipper, repos, _p, _s, tmp = setup
    backups.create(store.data_dir, store.tier, [repos["s3"]])
    insert(store, 1)
    shipper.switch()
    good = store.wal.file_seq - 1
    insert(store, 2)
    shipper.switch()
    wait_for(shipped_past(shipper, "s3"))
    bad_key = wal_key(1, good + 1)
    path = os.path.join(tmp, "s3", bad_key)
    with open(path, "r+b") as f:
        f.seek(-3, os.SEEK_END)
        byte = f.read(1)
        f.seek(-3, os.SEEK_END)
        f.write(bytes([byte[0] ^ 0x01]))
    report = backups.verify(repos["s3"])
    assert not report.ok and any(b.startswith(bad_key) for b in report.bad)
    with pytest.raises(CorruptObject, match=bad_key):
        repos["s3"].get(bad_key)
    res = restore(repos["s3"], str(tmp / "r"), lambda d: DiskTier(d, None), None)
    assert res.problem is not None and bad_key in res.problem
    restored = open_store(str(tmp / "r"))
    assert values(restored) == [1]  # the last consistent point before the bad object
    restored.close()


def test_restore_refuses_a_non_empty_directory(setup):
    store, _shipper, repos, *_rest, tmp = setup
    backups.create(store.data_dir, store.tier, [repos["s3"]])
    target = tmp / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(RestoreError, match="not empty"):
        restore(repos["s3"], str(target), lambda d: DiskTier(d, None), None)
    assert os.listdir(target) == ["keep.txt"]


def test_backup_is_incremental_and_expires(setup):
    store, _shipper, repos, *_rest = setup
    insert(store, 1)
    store.checkpoint()
    first = backups.create(store.data_dir, store.tier, [repos["s3"]])
    again = backups.create(store.data_dir, store.tier, [repos["s3"]])
    assert first["uploaded_bytes"] > 0
    assert set(again["segments"].values()) == set(first["segments"].values())
    assert again["uploaded_bytes"] < first["uploaded_bytes"]  # only the state file and manifest
    assert len(backups.list_backups(repos["s3"])) == 2
    gone = backups.expire(repos["s3"], retention_days=1, now=time.time() + 3 * 86400)
    assert [b["id"] for b in backups.list_backups(repos["s3"])] == [again["id"]]  # the newest stays
    assert any(k.startswith(f"backups/{first['id']}/") for k in gone)
    with pytest.raises(FileNotFoundError):
        repos["s3"].get(f"backups/{first['id']}/backup.json")


def test_files_closed_by_archive_timeout_still_count_towards_the_auto_checkpoint(setup):
    store, shipper, *_rest = setup
    store.checkpoint_wal_bytes = 4096
    before = store.checkpoint_no
    for i in range(40):  # each commit lands in its own small file: no one file reaches the threshold
        insert(store, i)
        shipper.switch()
    wait_for(lambda: store.checkpoint_no > before)
