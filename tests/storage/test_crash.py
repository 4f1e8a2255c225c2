"""Crash safety: SIGKILL a writer process at random moments, reopen, check invariants.

Invariants after every kill: the bank total is unchanged (transfers are atomic) on main and
on every branch the writer forked (and moved money on), every
acknowledged insert group is present, and every group is either complete or absent.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pyarrow as pa
import pytest

pytest.importorskip("helios_storage_nvme", reason="the crash test needs the storage_nvme disk tier installed")

from helios_storage_nvme import DiskTier

from helios_core.storage import Store

WRITER = os.path.join(os.path.dirname(__file__), "crash_writer.py")
KILLS = int(os.environ.get("HELIOS_CRASH_KILLS", "25"))  # more for a longer soak: HELIOS_CRASH_KILLS=500


def check(data_dir: str, acked: set[int], seen_branches: set[str]) -> int:
    store = Store.open(data_dir, tier=DiskTier(data_dir))
    try:
        if "bank" not in store.list_databases():
            assert not acked
            return 0
        with store.begin("bank") as t:
            if t.get_table("public", "accounts") is None:
                assert not acked
                return 0
            acc = pa.Table.from_batches(list(t.scan("public", "accounts")))
            assert acc.num_rows == 10
            assert sum(acc.column("bal").to_pylist()) == 10 * 1000
        seen_branches.update(b.name for b in store.list_branches("bank"))
        for b in store.list_branches("bank"):  # every fork is a consistent snapshot plus whole transfers
            with store.begin("bank", b.name) as t:
                acc = pa.Table.from_batches(list(t.scan("public", "accounts")))
                assert sum(acc.column("bal").to_pylist()) == 10 * 1000, b.name
        with store.begin("bank") as t:
            log = pa.Table.from_batches(list(t.scan("public", "log")))
            groups: dict[int, int] = {}
            for g in log.column("grp").to_pylist():
                groups[g] = groups.get(g, 0) + 1
            assert all(n == 3 for n in groups.values()), "a half-present insert group"
            missing = acked - set(groups)
            assert not missing, f"acknowledged groups lost: {sorted(missing)[:10]}"
            assert len(set(log.column("id").to_pylist())) == log.num_rows
            # the primary-key index agrees with the data after recovery
            for g in list(acked)[:5]:
                assert t.lookup("public", "log", (g * 3,)).num_rows == 1
            return max(groups, default=-1) + 1
    finally:
        store.close() if random.random() < 0.3 else None  # sometimes checkpoint, sometimes only WAL


@pytest.mark.timeout(180)
def test_sigkill_writer_repeatedly(tmp_path):
    data_dir = str(tmp_path / "data")
    rng = random.Random(1234)
    next_grp = 0
    acked_all: set[int] = set()
    branches: set[str] = set()
    for _ in range(KILLS):
        proc = subprocess.Popen([sys.executable, WRITER, data_dir, str(next_grp)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        ready = proc.stdout.readline()
        if ready.strip() != "ready":
            proc.kill()
            pytest.fail(f"writer failed to start: {ready!r} {proc.stderr.read()[-3000:]}")
        time.sleep(rng.uniform(0.0, 0.15))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
        assert proc.returncode == -signal.SIGKILL, err[-3000:]
        acked_all |= {int(line.split()[1]) for line in out.splitlines() if line.startswith("ack ")}
        top = check(data_dir, acked_all, branches)
        next_grp = max(next_grp, top) + 3 * 1000  # fresh group ids for the next writer
    assert acked_all, "the writers never acknowledged anything"
    assert len(branches) > 1, "no branch survived a crash: the branch invariant was never exercised"
