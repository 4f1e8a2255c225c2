"""WAL, group commit, recovery, torn tails, checkpoints, disk full, pruning, GC."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from helios_core.errors import DiskFull
from helios_core.storage import ColumnDef, MemoryTier, Store

nvme = pytest.importorskip("helios_storage_nvme", reason="durability tests need the storage_nvme disk tier")
DiskTier = nvme.DiskTier


def open_store(d, tier=None, **kw):
    return Store.open(str(d), tier=tier or DiskTier(str(d)), **kw)


def setup_table(store, db="db"):
    store.create_database(db)
    with store.begin(db) as t:
        t.create_table("public", "t", [ColumnDef("id", pa.int64()), ColumnDef("v", pa.string())],
                       primary_key=["id"])


def put(store, *ids, db="db"):
    with store.begin(db) as t:
        t.insert("public", "t", pa.table({"id": list(ids), "v": [f"v{i}" for i in ids]}))


def ids(store, branch="main", db="db"):
    with store.begin(db, branch) as t:
        return sorted(pa.Table.from_batches(list(t.scan("public", "t"))).column("id").to_pylist())


def wal_files(d):
    w = os.path.join(str(d), "wal")
    return sorted(os.path.join(w, f) for f in os.listdir(w))


def test_recovery_from_wal_and_checkpoint(tmp_path):
    s = open_store(tmp_path)
    setup_table(s)
    put(s, 1, 2)
    s.checkpoint()
    put(s, 3)
    with s.begin("db") as t:
        t.delete("public", "t", t.lookup("public", "t", (1,), with_rowid=True).column("_rowid"))
    s.create_branch("db", "dev")
    put(s, 4)
    with s.begin("db", "dev") as t:
        t.insert("public", "t", pa.table({"id": [9], "v": ["dev"]}))
    # no close(): the process "dies"; everything since the checkpoint is in the WAL only
    s2 = open_store(tmp_path)
    assert ids(s2) == [2, 3, 4]
    assert ids(s2, "dev") == [2, 3, 9]
    with s2.begin("db") as t:
        assert t.lookup("public", "t", (3,)).column("v").to_pylist() == ["v3"]
    put(s2, 1)  # keys and rowids keep working after recovery
    s2.close()
    s3 = open_store(tmp_path)
    assert ids(s3) == [1, 2, 3, 4]
    assert not any(n.endswith(".tmp") for n in os.listdir(tmp_path))
    s3.close()


def test_records_written_a_few_bytes_at_a_time_recover_whole(tmp_path, monkeypatch):
    """A record's header and parts go out in gathered writes; a write that takes only part of
    them (a signal, a pipe-like file) and more parts than one gathered write may carry are
    resumed where they stopped, so the log holds every record intact."""
    from helios_core.storage import wal as wal_module

    real = os.writev

    def short_writes(fd, views):
        taken, left = [], 7  # at most 7 bytes a call
        for v in views:
            if not left:
                break
            taken.append(bytes(v[:left]))
            left -= len(taken[-1])
        return real(fd, taken)

    monkeypatch.setattr(wal_module.os, "writev", short_writes)
    monkeypatch.setattr(wal_module, "_IOV_MAX", 2)
    s = open_store(tmp_path)
    setup_table(s)
    put(s, 1, 2, 3)
    put(s, 4)
    s2 = open_store(tmp_path)  # no close(): recovered from the log alone
    assert ids(s2) == [1, 2, 3, 4]
    with s2.begin("db") as t:
        assert t.lookup("public", "t", (4,)).column("v").to_pylist() == ["v4"]
    s2.close()


def test_torn_tail_is_cut(tmp_path):
    s = open_store(tmp_path)
    setup_table(s)
    put(s, 1)
    put(s, 2)
    last = wal_files(tmp_path)[-1]
    size = os.path.getsize(last)
    put(s, 3)
    full = os.path.getsize(last)
    with open(last, "r+b") as f:  # the last record was only partly written
        f.truncate(size + (full - size) // 2)
    s2 = open_store(tmp_path)
    assert ids(s2) == [1, 2]
    assert os.path.getsize(last) == size  # cut, never misread
    put(s2, 3)
    s2.close()
    assert ids(open_store(tmp_path)) == [1, 2, 3]


def test_corrupt_record_is_detected(tmp_path):
    s = open_store(tmp_path)
    setup_table(s)
    put(s, 1)
    last = wal_files(tmp_path)[-1]
    size = os.path.getsize(last)
    put(s, 2)
    with open(last, "r+b") as f:  # flip one byte inside the last record's payload
        f.seek(size + 20)
        b = f.read(1)
        f.seek(size + 20)
        f.write(bytes([b[0] ^ 0xFF]))
    s2 = open_store(tmp_path)
    assert ids(s2) == [1]
    s2.close()


def test_group_commit_shares_one_fsync(tmp_path):
    s = open_store(tmp_path)
    setup_table(s)
    wal = s.wal
    n = 6
    txns = [s.begin("db") for _ in range(n)]
    for i, t in enumerate(txns):
        t.insert("public", "t", pa.table({"id": [100 + i], "v": ["x"]}))
    before_fsyncs, before_seq = wal.fsyncs, wal.seq
    with wal.cv:  # hold the syncers back until every commit record is appended
        threads = [threading.Thread(target=t.commit) for t in txns]
        for th in threads:
            th.start()
        deadline = time.monotonic() + 10
        while wal.seq < before_seq + n:
            assert time.monotonic() < deadline
            time.sleep(0.002)  # (keeps holding wal.cv)
    for th in threads:
        th.join(10)
    assert all(t.state == "committed" for t in txns)
    assert wal.fsyncs - before_fsyncs == 1  # one leader fsync made all six durable
    assert ids(open_store(tmp_path)) == list(range(100, 100 + n))


def test_group_commit_acknowledges_nothing_before_the_sync_returns(tmp_path, monkeypatch):
    """Commits waiting on a group's fdatasync neither return nor become visible until it is done."""
    from helios_core.storage import wal as wal_module

    s = open_store(tmp_path)
    setup_table(s)
    gate, syncing = threading.Event(), threading.Event()
    real_sync = wal_module._sync_data

    def slow_sync(fd):
        syncing.set()
        assert gate.wait(10)
        real_sync(fd)

    monkeypatch.setattr(wal_module, "_sync_data", slow_sync)
    txns = [s.begin("db") for _ in range(3)]
    for i, t in enumerate(txns):
        t.insert("public", "t", pa.table({"id": [200 + i], "v": ["x"]}))
    returned: list[int] = []
    before = s.wal.seq
    threads = [threading.Thread(target=lambda t=t, i=i: (t.commit(), returned.append(i))) for i, t in enumerate(txns)]
    for th in threads:
        th.start()
    assert syncing.wait(10)
    deadline = time.monotonic() + 10
    while s.wal.seq < before + 3:  # every commit record appended
        assert time.monotonic() < deadline
        time.sleep(0.005)
    time.sleep(0.2)
    assert returned == [] and all(t.state == "active" for t in txns)
    assert ids(s) == []  # nothing visible while the log is not durable
    gate.set()
    for th in threads:
        th.join(10)
    assert sorted(returned) == [0, 1, 2] and all(t.state == "committed" for t in txns)
    assert ids(s) == [200, 201, 202]


class FullTier(DiskTier):
    """A disk tier whose device is full while `full` is set (ENOSPC from put)."""

    full = False

    def put(self, name, data):
        if self.full:
            raise OSError(errno.ENOSPC, "No space left on device")
        super().put(name, data)


def test_disk_full_on_segment_flush_keeps_store_consistent(tmp_path):
    tier = FullTier(str(tmp_path))
    s = open_store(tmp_path, tier)
    setup_table(s)
    put(s, 1, 2)
    tier.full = True
    with pytest.raises(DiskFull) as ei:
        s.checkpoint()
    assert ei.value.sqlstate == "53100"
    put(s, 3)  # still open and writable (the WAL has room)
    assert ids(s) == [1, 2, 3]
    tier.full = False
    s.checkpoint()
    put(s, 4)
    assert ids(open_store(tmp_path)) == [1, 2, 3, 4]


_WAL_FULL_SCRIPT = textwrap.dedent("""
    import json, os, resource, signal, sys
    import pyarrow as pa
    from helios_storage_nvme import DiskTier
    from helios_core.errors import DiskFull
    from helios_core.storage import Store
    d = sys.argv[1]
    s = Store.open(d, tier=DiskTier(d))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # EFBIG instead of a signal
    limit = os.path.getsize(s.wal.path) + 20000
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    ok, errs = [], []
    for i in range(10, 40):
        try:
            with s.begin("db") as t:
                t.insert("public", "t", pa.table({"id": [i], "v": ["x" * 3000]}))
            ok.append(i)
        except DiskFull as e:
            errs.append([i, e.sqlstate])
    with s.begin("db") as t:   # still open: reads work and see exactly the committed rows
        seen = sorted(pa.Table.from_batches(list(t.scan("public", "t"))).column("id").to_pylist())
    print(json.dumps({"ok": ok, "errs": errs, "seen": seen}))
""")


def test_disk_full_in_wal_fails_the_transaction(tmp_path):
    s = open_store(tmp_path)
    setup_table(s)
    put(s, 1)
    s.close()
    out = subprocess.run([sys.executable, "-c", _WAL_FULL_SCRIPT, str(tmp_path)], capture_output=True,
                         text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["ok"] and res["errs"], res
    assert {e[1] for e in res["errs"]} == {"53100"}
    assert res["seen"] == [1, *res["ok"]]
    assert ids(open_store(tmp_path)) == [1, *res["ok"]]  # failed transactions left nothing behind


def _mount_tmpfs(path: str, size: str) -> bool:
    if sys.platform != "linux" or os.geteuid() != 0:
        return False
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path], capture_output=True,
                       check=False)
    return r.returncode == 0


def test_disk_full_on_a_real_full_filesystem(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if not _mount_tmpfs(str(mnt), "2m"):
        pytest.skip("mounting a small tmpfs needs root on Linux (mount -t tmpfs)")
    try:
        s = open_store(mnt)
        setup_table(s)
        committed: list[int] = []
        failures = 0
        for i in range(0, 4000, 50):
            try:
                with s.begin("db") as t:
                    t.insert("public", "t", pa.table({"id": list(range(i, i + 50)), "v": ["y" * 1000] * 50}))
                committed.extend(range(i, i + 50))
            except DiskFull:
                failures += 1
                if failures > 3:
                    break
        assert failures, "the filesystem never filled up"
        assert ids(s) == committed
        s2 = open_store(mnt)
        assert ids(s2) == committed
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_segments_min_max_pruning_is_exact(tmp_path):
    s = open_store(tmp_path)
    s.small_segment_rows = 10  # keep each checkpoint's segment separate
    setup_table(s)
    for base in (0, 1000, 2000):
        with s.begin("db") as t:
            t.insert("public", "t", pa.table({"id": list(range(base, base + 100)), "v": ["a"] * 100}))
        s.checkpoint()
    before = s.segments_pruned
    with s.begin("db") as t:
        got = pa.Table.from_batches(list(t.scan("public", "t", filter=pc.field("id") >= 2050)))
        assert sorted(got.column("id").to_pylist()) == list(range(2050, 2100))
        got = pa.Table.from_batches(list(t.scan("public", "t", filter=(pc.field("id") > 10) &
                                                (pc.field("id") < 1005))))
        assert sorted(got.column("id").to_pylist()) == list(range(11, 100)) + list(range(1000, 1005))
    assert s.segments_pruned - before >= 3
    seg = next(c for c in s.branches[1].layers[1].chunks.values() if c.segment)
    assert seg.bloom.might_contain(seg.data.column("c0")[0].as_py())
    s.close()


def versions(store, data_id=1, branch_id=1):
    return sum(c.num_rows for c in store.branches[branch_id].layers[data_id].chunks.values())


@pytest.mark.parametrize("durable", [False, True])
def test_gc_keeps_what_branches_need_and_compacts(tmp_path, durable):
    s = open_store(tmp_path, retention_seconds=0) if durable else Store.open(retention_seconds=0)
    setup_table(s)
    put(s, 1, 2)
    s.create_branch("db", "dev")

    def set_v(v):
        with s.begin("db") as t:
            rid = t.lookup("public", "t", (1,), with_rowid=True).column("_rowid")
            t.update("public", "t", rid, pa.record_batch({"id": [1], "v": [v]}))

    for v in ("a", "b", "c"):
        set_v(v)
    assert versions(s) == 5
    s.vacuum()
    assert versions(s) == 3  # v1@fork (pinned by dev) + live 'c' + row 2; 'a' and 'b' collected
    with s.begin("db", "dev") as t:
        assert t.lookup("public", "t", (1,)).column("v").to_pylist() == ["v1"]
    with s.begin("db") as t:
        assert t.lookup("public", "t", (1,)).column("v").to_pylist() == ["c"]
    s.drop_branch("db", "dev")
    s.vacuum()
    assert versions(s) == 2  # the drop freed what only dev needed
    with s.begin("db") as t:
        t.delete("public", "t", t.lookup("public", "t", (2,), with_rowid=True).column("_rowid"))
    s.vacuum()
    assert versions(s) == 1
    put(s, 2)  # its key is free again after its versions were collected
    assert ids(s) == [1, 2]
    if durable:
        s.close()
        assert ids(open_store(tmp_path)) == [1, 2]


def test_many_small_commits_are_merged_in_memory():
    s = Store.open()
    setup_table(s)
    for i in range(200):
        put(s, i)
    layer = s.branches[1].layers[1]
    assert len(layer.chunks) < 40
    assert ids(s) == list(range(200))
    with s.begin("db") as t:
        assert t.lookup("public", "t", (150,)).column("v").to_pylist() == ["v150"]


def test_rowid_runs_stay_bounded_under_single_row_inserts():
    """An append-only table fed one row per commit (TPC-B's history) keeps a bounded rowid index.

    Each insert adds one run; merging the memtable chunks must join their runs too, or every
    merge walks a run list as long as all the inserts ever served.
    """
    s = Store.open()
    setup_table(s)
    for i in range(400):
        put(s, i)
    layer = s.branches[1].layers[1]
    assert len(layer.rowloc.runs) <= 2 * len(layer.chunks) < 80
    assert not layer.rowloc.single  # fresh inserts stay runs, not one dict entry per row
    assert ids(s) == list(range(400))
    with s.begin("db") as t:
        assert t.lookup("public", "t", (377,)).column("v").to_pylist() == ["v377"]
        assert t.lookup("public", "t", (3,)).column("v").to_pylist() == ["v3"]


def test_memory_tier_roundtrip(tmp_path):
    tier = MemoryTier()
    s = Store.open(str(tmp_path), tier=tier)
    setup_table(s)
    put(s, 1, 2, 3)
    s.checkpoint()
    assert list(tier.list(""))
    assert isinstance(tier.open(next(iter(tier.list("")))), pa.Buffer)
    s2 = Store.open(str(tmp_path), tier=tier)
    assert ids(s2) == [1, 2, 3]


def test_drop_branch_frees_only_its_segments(tmp_path):
    s = open_store(tmp_path)
    setup_table(s)
    put(s, 1, 2)
    s.create_branch("db", "dev")
    with s.begin("db", "dev") as t:
        t.insert("public", "t", pa.table({"id": [10], "v": ["dev"]}))
        t.delete("public", "t", t.lookup("public", "t", (1,), with_rowid=True).column("_rowid"))
    s.checkpoint()
    dev_id = s.dbs["db"]["dev"].branch_id
    main_segs = set(s.tier.list("1/"))
    dev_segs = set(s.tier.list(f"{dev_id}/"))
    assert main_segs and dev_segs
    s.drop_branch("db", "dev")
    s.checkpoint()
    assert set(s.tier.list(f"{dev_id}/")) == set()
    assert set(s.tier.list("1/")) == main_segs
    s.close()
    s2 = open_store(tmp_path)
    assert ids(s2) == [1, 2]
    assert s2.get_branch("db", "dev") is None


def test_gc_of_a_reused_key_keeps_the_version_a_branch_pins():
    s = Store.open(retention_seconds=0)
    setup_table(s)
    put(s, 1)
    s.create_branch("db", "dev")

    def delete_1():
        with s.begin("db") as t:
            t.delete("public", "t", t.lookup("public", "t", (1,), with_rowid=True).column("_rowid"))

    delete_1()
    put(s, 1)  # a new row takes key 1, then goes too
    delete_1()
    s.vacuum()
    with s.begin("db", "dev") as t:
        assert t.lookup("public", "t", (1,)).column("v").to_pylist() == ["v1"]
    with s.begin("db") as t:
        assert t.lookup("public", "t", (1,)).num_rows == 0
    put(s, 1)
    assert ids(s) == [1] and ids(s, "dev") == [1]


@pytest.mark.parametrize("durable", [False, True])
def test_vacuum_frees_dropped_and_truncated_tables(tmp_path, durable):
    s = open_store(tmp_path, retention_seconds=0) if durable else Store.open(retention_seconds=0)
    setup_table(s)
    put(s, 1, 2)
    with s.begin("db") as t:
        t.create_table("public", "gone", [ColumnDef("a", pa.int64())])
        t.insert("public", "gone", pa.table({"a": [1, 2, 3]}))
    with s.begin("db") as t:
        old_data = t.get_table("public", "t").data_id
        gone_data = t.get_table("public", "gone").data_id
    with s.begin("db") as t:
        t.drop_table("public", "gone")
        t.truncate("public", "t")
        t.insert("public", "t", pa.table({"id": [5], "v": ["new"]}))
    main = s.branches[1]
    assert old_data in main.layers and gone_data in main.layers
    s.vacuum()
    assert old_data not in main.layers and gone_data not in main.layers
    assert ids(s) == [5]
    if durable:
        assert not any(n.startswith((f"1/{gone_data}/", f"1/{old_data}/")) for n in s.tier.list(""))
        s.close()
        assert ids(open_store(tmp_path)) == [5]
