"""Writer process for test_crash.py: bank transfers + grouped inserts until it is SIGKILLed.

Prints ``ready`` once open and ``ack <group>`` (flushed) after each insert group's commit
returned. Three threads write concurrently so commits share fsyncs (group commit).
"""

from __future__ import annotations

import random
import sys
import threading

import pyarrow as pa
from helios_storage_nvme import DiskTier

from helios_core.errors import DeadlockDetected, SerializationFailure
from helios_core.storage import ColumnDef, Store

ACCOUNTS = 10
START = 1000
GROUP = 3


def setup(store: Store) -> None:
    if "bank" not in store.list_databases():
        store.create_database("bank")
    with store.begin("bank") as t:
        if t.get_table("public", "accounts") is None:
            t.create_table("public", "accounts", [ColumnDef("id", pa.int64()), ColumnDef("bal", pa.int64())],
                           primary_key=["id"])
            t.create_table("public", "log", [ColumnDef("id", pa.int64()), ColumnDef("grp", pa.int64()),
                                             ColumnDef("pad", pa.string())], primary_key=["id"])
            t.insert("public", "accounts", pa.table({"id": list(range(ACCOUNTS)), "bal": [START] * ACCOUNTS}))


def add(t, acc: int, delta: int) -> None:
    """balance += delta with the storage API (READ COMMITTED re-reads when a row changed under us)."""
    while True:
        t.new_statement()
        row = t.lookup("public", "accounts", (acc,), with_rowid=True)
        out = t.update("public", "accounts", row.column("_rowid"),
                       pa.record_batch({"id": [acc], "bal": [row.column("bal")[0].as_py() + delta]}))
        if out.count == 1:
            return


def transfer(store: Store, rng: random.Random, branch: str = "main") -> None:
    a, b = rng.sample(range(ACCOUNTS), 2)
    amount = rng.randint(1, 50)
    iso = rng.choice(["read committed", "repeatable read"])
    while True:
        t = store.begin("bank", branch, isolation=iso)
        try:
            add(t, a, -amount)
            add(t, b, amount)
            t.commit()
            return
        except (SerializationFailure, DeadlockDetected):
            t.rollback()


def insert_group(store: Store, grp: int, out_lock: threading.Lock) -> None:
    with store.begin("bank") as t:
        ids = [grp * GROUP + i for i in range(GROUP)]
        t.insert("public", "log", pa.table({"id": ids, "grp": [grp] * GROUP, "pad": ["x" * 200] * GROUP}))
    with out_lock:
        sys.stdout.write(f"ack {grp}\n")
        sys.stdout.flush()


def worker(store: Store, wid: int, start_grp: int, out_lock: threading.Lock) -> None:
    rng = random.Random()
    grp = start_grp + wid
    while True:
        r = rng.random()
        if r < 0.5:
            transfer(store, rng)
        elif r < 0.95:
            insert_group(store, grp, out_lock)
            grp += 3
        elif r < 0.97:
            store.checkpoint()
        else:
            branch_work(store, rng, wid)


def branch_work(store: Store, rng: random.Random, wid: int) -> None:
    """Branches: fork main (a consistent snapshot), move money on the fork, drop old forks."""
    names = [b.name for b in store.list_branches("bank") if b.name.startswith(f"w{wid}_")]
    if len(names) >= 2 or (names and rng.random() < 0.3):
        store.drop_branch("bank", names[0])
        return
    name = f"w{wid}_{rng.randrange(1 << 30)}"
    store.create_branch("bank", name)
    transfer(store, rng, name)


def main() -> None:
    data_dir = sys.argv[1]
    start_grp = int(sys.argv[2])
    store = Store.open(data_dir, tier=DiskTier(data_dir))
    setup(store)
    out_lock = threading.Lock()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    threads = [threading.Thread(target=worker, args=(store, w, start_grp, out_lock), daemon=True) for w in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


if __name__ == "__main__":
    main()
