"""Large transactions spill their new rows to files before commit (storage.spill), and compressed
segments are read on demand (storage.segment_open): memory stays bounded, atomicity holds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pytest

from helios_core.storage import ColumnDef, Store

nvme = pytest.importorskip("helios_storage_nvme", reason="spill tests need the storage_nvme disk tier")
DiskTier = nvme.DiskTier

MB = 1 << 20


def open_store(d, **kw):
    s = Store.open(str(d), tier=DiskTier(str(d)), **kw)
    s.spill_after_bytes = 4 * MB
    return s


def setup(store):
    if "db" not in store.list_databases():
        store.create_database("db")
        with store.begin("db") as t:
            t.create_table("public", "t", [ColumnDef("id", pa.int64()), ColumnDef("pad", pa.string())])


def batch(start, n=50_000):
    """About 2.4 MB of rows."""
    ids = np.arange(start, start + n, dtype=np.int64)
    return pa.table({"id": ids, "pad": pa.array(np.char.add("row-padding-", ids.astype(str)).astype(object))})


def spill_files(d):
    p = os.path.join(str(d), "spill")
    return sorted(os.listdir(p)) if os.path.isdir(p) else []


def count(store):
    with store.begin("db") as t:
        return sum(b.num_rows for b in t.scan("public", "t"))


def wal_bytes(d):
    w = os.path.join(str(d), "wal")
    return sum(os.path.getsize(os.path.join(w, f)) for f in os.listdir(w))


def test_large_transaction_spills_commits_and_recovers(tmp_path):
    s = open_store(tmp_path)
    setup(s)
    wal_before = wal_bytes(tmp_path)
    t = s.begin("db")
    for i in range(8):
        t.insert("public", "t", batch(i * 50_000))
    assert len(spill_files(tmp_path)) >= 4
    assert count(s) == 0  # not visible before commit
    t.commit()
    assert count(s) == 400_000
    assert wal_bytes(tmp_path) - wal_before < 4 * MB  # the commit record names the files
    s.close(checkpoint=False)  # as a crash after commit: the WAL names the spill files
    s = open_store(tmp_path)
    assert count(s) == 400_000
    assert spill_files(tmp_path)
    s.checkpoint()
    assert spill_files(tmp_path) == []  # covered by the checkpoint's segments
    s.close()
    s = open_store(tmp_path)
    assert count(s) == 400_000
    with s.begin("db") as t:
        got = np.sort(np.concatenate([b.column("id").to_numpy() for b in t.scan("public", "t")]))
    assert (got == np.arange(400_000)).all()
    s.close()


def test_rollback_and_savepoint_delete_spill_files(tmp_path):
    s = open_store(tmp_path)
    setup(s)
    t = s.begin("db")
    t.insert("public", "t", batch(0))
    sp = t.savepoint()
    for i in range(1, 4):
        t.insert("public", "t", batch(i * 50_000))
    assert spill_files(tmp_path)
    t.rollback_to(sp)
    kept = spill_files(tmp_path)
    assert len(kept) <= 1  # only the rows before the savepoint, if they were spilled
    for i in range(4, 8):
        t.insert("public", "t", batch(i * 50_000))
    assert len(spill_files(tmp_path)) > len(kept)
    t.rollback()
    assert spill_files(tmp_path) == []
    assert count(s) == 0
    s.close()
    s = open_store(tmp_path)
    assert count(s) == 0
    s.close()


def test_crash_mid_transaction_recovers_to_before_it(tmp_path):
    s = open_store(tmp_path)
    setup(s)
    with s.begin("db") as t:
        t.insert("public", "t", batch(0, 10))
    s.close(checkpoint=False)
    code = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from test_spill import open_store, batch
        s = open_store({str(tmp_path)!r})
        t = s.begin("db")
        for i in range(8):
            t.insert("public", "t", batch(1000 + i * 50_000))
        print(len(os.listdir(os.path.join({str(tmp_path)!r}, "spill"))), flush=True)
        os.kill(os.getpid(), {int(signal.SIGKILL)})
    """)
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert out.returncode == -signal.SIGKILL, out.stderr
    assert int(out.stdout.split()[0]) >= 4  # the rows had gone to spill files
    s = open_store(tmp_path)
    assert count(s) == 10
    assert spill_files(tmp_path) == []
    s.close()


def _insert_measured(store, batches):
    """Insert 24 batches in one transaction; returns (bytes inserted, peak growth of pyarrow's pool)."""
    base = pa.total_allocated_bytes()
    peak = total = 0
    t = store.begin("db")
    for i in range(batches):
        b = batch(i * 50_000)
        total += b.nbytes
        t.insert("public", "t", b)
        del b
        peak = max(peak, pa.total_allocated_bytes() - base)
    return t, total, peak


def test_memory_of_a_large_transaction_is_bounded(tmp_path):
    """The pool grows by at most the spill threshold plus one batch, however much is inserted."""
    s = open_store(tmp_path)
    s.spill_after_bytes = 2 * MB
    setup(s)
    t, total, peak = _insert_measured(s, 24)
    t.commit()
    assert count(s) == 24 * 50_000
    assert total > 10 * s.spill_after_bytes
    assert peak < s.spill_after_bytes + 2 * total / 24, (peak, total)
    s.close()


def test_without_spilling_the_same_transaction_holds_its_rows(tmp_path):
    """The bound above is the spill's doing: with it off, the rows stay allocated until commit."""
    s = open_store(tmp_path)
    s.spill_after_bytes = 1 << 62
    setup(s)
    t, total, peak = _insert_measured(s, 24)
    assert peak > total / 2, (peak, total)  # (the id column is numpy's memory, not the pool's)
    t.rollback()
    s.close()


def test_compressed_segments_are_read_on_demand(tmp_path):
    s = open_store(tmp_path)
    s.segment_codec = "zstd"
    setup(s)
    with s.begin("db") as t:
        t.insert("public", "t", batch(0, 200_000))
    s.checkpoint()
    layer = next(lay for b in s.branches.values() for lay in b.layers.values() if lay.chunks and lay.data_id > 0
                 and sum(c.num_rows for c in lay.chunks.values()) == 200_000)
    assert all(c.segment and not c.resident for c in layer.chunks.values())
    assert count(s) == 200_000
    s.close()
    s = open_store(tmp_path)
    layer = next(lay for b in s.branches.values() for lay in b.layers.values()
                 if sum(c.num_rows for c in lay.chunks.values()) == 200_000)
    assert all(not c.resident for c in layer.chunks.values())
    with s.begin("db") as t:
        got = pa.Table.from_batches(list(t.scan("public", "t")))
    assert sorted(got.column("id").to_pylist()) == list(range(200_000))
    assert got.column("pad")[5].as_py().startswith("row-padding-")
    s.close()


def test_a_large_update_spills_its_new_versions(tmp_path):
    s = open_store(tmp_path)
    setup(s)
    with s.begin("db") as t:
        for i in range(4):
            t.insert("public", "t", batch(i * 50_000))
    s.checkpoint()
    s.spill_after_bytes = 1 * MB
    t = s.begin("db")
    for b in t.scan("public", "t", with_rowid=True):
        t.update("public", "t", b.column("_rowid"), pa.table({"pad": pa.array(["updated"] * b.num_rows)}))
    assert spill_files(tmp_path)
    assert count(s) == 200_000
    t.commit()
    s.close(checkpoint=False)
    s = open_store(tmp_path)
    with s.begin("db") as t:
        pads = pa.Table.from_batches(list(t.scan("public", "t"))).column("pad")
    assert len(pads) == 200_000 and set(pads.to_pylist()) == {"updated"}
    s.close()


def test_commit_waits_for_every_spill_file_being_written(tmp_path, monkeypatch):
    """Slow spill writes still under way at COMMIT: the commit names them all, none is left over."""
    import time

    from helios_core.storage import spill

    write = spill.write

    def slow_write(store, data):
        time.sleep(0.2)
        return write(store, data)

    monkeypatch.setattr(spill, "write", slow_write)
    s = open_store(tmp_path)  # small chunks: crossing the threshold queues many at once
    setup(s)
    t = s.begin("db")
    for i in range(20):
        t.insert("public", "t", batch(i * 8_000, 8_000))
    t.commit()
    named = set(s.spills_committed)
    assert len(named) >= 8 and set(spill_files(tmp_path)) == named
    s.checkpoint()
    assert spill_files(tmp_path) == []
    s.close()
    s = open_store(tmp_path)
    assert count(s) == 160_000
    s.close()
