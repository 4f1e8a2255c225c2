"""Restores across timelines, in process against a local-directory archive: a server restored to a
time archives on a new timeline; a later restore to a time on that timeline (or to the latest)
replays the old timeline's WAL up to the fork point and then the new one's, never the old
timeline's abandoned future."""

from __future__ import annotations

import time

import pyarrow as pa
import pytest
from helios_storage_nvme.tier import DiskTier
from helios_storage_object.archive import ObjectArchiver
from helios_storage_object.backends import open_backend

from helios_core.archiving import backup as backups
from helios_core.archiving.repository import Repository
from helios_core.archiving.restore import RestoreError, restore
from helios_core.archiving.shipper import WalShipper, read_timeline
from helios_core.storage import ColumnDef, Store


def open_store(path: str) -> Store:
    return Store.open(path, tier=DiskTier(path, None))


def insert(store: Store, *vals: int) -> None:
    for v in vals:
        with store.begin("db") as txn:
            txn.insert_rows("public", "t", [{"v": v}])


def values(path: str) -> list[int]:
    store = open_store(path)
    try:
        with store.begin("db", read_only=True) as txn:
            return sorted(v for b in txn.scan("public", "t") for v in b.column("v").to_pylist())
    finally:
        store.close(checkpoint=False)


def archive_all(store: Store, repo: Repository) -> None:
    """Run a shipper until every closed file and the current one are archived, then stop it."""
    shipper = WalShipper(store, {repo.name: repo}, repo.name, archive_timeout=30)
    shipper.start()
    shipper.stop(wait=10)
    assert shipper.caught_up(), shipper.rows()


def cut_between(store: Store, before: tuple[int, ...], after: tuple[int, ...], *, switch: bool = False) -> int:
    insert(store, *before)
    if switch:  # the later changes go to a file of their own (else the cut falls inside a file)
        store.switch_wal()
    time.sleep(0.01)
    cut = store.now()
    time.sleep(0.01)
    insert(store, *after)
    return cut


@pytest.fixture
def forked(tmp_path):
    """Timeline 1 ran 0..9; a restore to the time between 4 and 5 became timeline 2 and ran 100..104
    (cut2 between 102 and 103). Only timeline 1 has a backup."""
    repo = Repository("local", ObjectArchiver(open_backend("local", {"path": str(tmp_path / "archive"), "prefix": "x"},
                                                           timeout=10.0)))
    one = str(tmp_path / "one")
    store = open_store(one)
    store.create_database("db")
    with store.begin("db") as txn:
        txn.create_table("public", "t", [ColumnDef("v", pa.int64())])
    store.checkpoint()
    backups.create(one, store.tier, [repo])
    cut1 = cut_between(store, (0, 1, 2, 3, 4), (5, 6, 7, 8, 9))
    archive_all(store, repo)
    store.close(checkpoint=False)

    two = str(tmp_path / "two")
    res = restore(repo, two, lambda d: DiskTier(d, None), cut1)
    assert res.problem is None and res.timeline == 2 and read_timeline(two) == 2
    store = open_store(two)
    cut2 = cut_between(store, (100, 101, 102), (103, 104), switch=True)
    archive_all(store, repo)
    store.close(checkpoint=False)
    assert repo.wal_timelines() == [1, 2] and {b["timeline"] for b in repo.backups()} == {1}
    return repo, tmp_path, cut2


def test_latest_follows_the_new_timeline_without_the_old_ones_future(forked):
    repo, tmp, _cut2 = forked
    res = restore(repo, str(tmp / "latest"), lambda d: DiskTier(d, None))
    assert res.problem is None
    assert values(str(tmp / "latest")) == [0, 1, 2, 3, 4, 100, 101, 102, 103, 104]
    again = restore(repo, str(tmp / "latest2"), lambda d: DiskTier(d, None))  # the restore above claimed a
    assert again.timeline > res.timeline  # timeline that archived nothing: "latest" is still timeline 2
    assert values(str(tmp / "latest2")) == [0, 1, 2, 3, 4, 100, 101, 102, 103, 104]


def test_to_a_time_on_the_new_timeline(forked):
    repo, tmp, cut2 = forked
    res = restore(repo, str(tmp / "at"), lambda d: DiskTier(d, None), cut2)
    assert res.problem is None
    assert values(str(tmp / "at")) == [0, 1, 2, 3, 4, 100, 101, 102]


def test_an_older_timeline_is_followed_when_asked(forked):
    repo, tmp, _cut2 = forked
    restore(repo, str(tmp / "old"), lambda d: DiskTier(d, None), timeline=1)
    assert values(str(tmp / "old")) == list(range(10))
    with pytest.raises(RestoreError, match="timeline 7"):
        restore(repo, str(tmp / "none"), lambda d: DiskTier(d, None), timeline=7)


def test_a_restore_of_a_restore_forks_again(forked):
    """Timeline 3 forks from timeline 2 at cut2: its latest is 0..4, 100..102 and what it ran itself."""
    repo, tmp, cut2 = forked
    three = str(tmp / "three")
    res = restore(repo, three, lambda d: DiskTier(d, None), cut2)
    store = open_store(three)
    insert(store, 500)
    archive_all(store, repo)
    store.close(checkpoint=False)
    assert max(repo.wal_timelines()) == res.timeline
    restore(repo, str(tmp / "latest3"), lambda d: DiskTier(d, None))
    assert values(str(tmp / "latest3")) == [0, 1, 2, 3, 4, 100, 101, 102, 500]


def test_verify_checks_each_timelines_history_and_wal(forked):
    repo, _tmp, _cut2 = forked
    assert backups.verify(repo).ok
    tl2 = repo.wal_seqs(2)
    repo.delete(f"wal/00000002/{tl2[0]:08d}.wal")  # the first file after the fork: no backup of timeline 2 names it
    repo.delete("timelines/00000002.json")
    bad = backups.verify(repo).bad
    assert any(b.startswith("timelines/00000002.json: missing") for b in bad)
    repo.put_timeline(2, {"parent": 1, "start_seq": tl2[0]})
    bad = backups.verify(repo).bad
    assert [b.split(":")[0] for b in bad] == [f"wal/00000002/{tl2[0]:08d}.wal"]
