"""Randomized check against a model: random writes, readers with old snapshots, branches of
branches, time travel, memtable merges, vacuum, checkpoints and reopening (durable variant).

The model is a plain dict per branch of committed rows; every read the kernel answers (scans,
point reads, AS OF, old snapshots) must equal the model's answer.
"""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from helios_core.storage import ColumnDef, Store

SEEDS = [1, 2, 3, 4]


def rows_of(txn, **kw) -> dict[int, str]:
    tbl = pa.Table.from_batches(list(txn.scan("public", "t", **kw)))
    return dict(zip(tbl.column("k").to_pylist(), tbl.column("v").to_pylist(), strict=True))


def run(seed: int, data_dir: str | None, steps: int = 250, retention: int = 3600) -> None:
    """retention 0: vacuum really collects (no time travel then; readers and forks pin versions)."""
    rng = random.Random(seed)
    tier = None
    if data_dir is not None:
        nvme = pytest.importorskip("helios_storage_nvme", reason="durable variant needs storage_nvme")
        tier = nvme.DiskTier(data_dir)
    store = Store.open(data_dir, tier=tier, retention_seconds=retention)
    store.create_database("db")
    with store.begin("db") as t:
        t.create_table("public", "t", [ColumnDef("k", pa.int64()), ColumnDef("v", pa.string())],
                       primary_key=["k"])
    model: dict[str, dict[int, str]] = {"main": {}}
    history: list[tuple[str, int, dict[int, str]]] = []  # (branch, ts, committed state at ts)
    readers: list[tuple[str, object, dict[int, str]]] = []  # RR readers and what they must keep seeing
    for step in range(steps):
        op = rng.random()
        branch = rng.choice(sorted(model))
        if op < 0.55:  # one writer transaction with a few writes
            t = store.begin("db", branch)
            state = dict(model[branch])
            for _ in range(rng.randint(1, 4)):
                k = rng.randrange(30)
                if k in state and rng.random() < 0.5:
                    rid = t.lookup("public", "t", (k,), with_rowid=True).column("_rowid")
                    if rng.random() < 0.5:
                        assert t.delete("public", "t", rid).count == 1
                        del state[k]
                    else:
                        v = f"{branch}-{step}"
                        assert t.update("public", "t", rid, pa.record_batch({"k": [k], "v": [v]})).count == 1
                        state[k] = v
                elif k not in state:
                    v = f"{branch}-{step}"
                    t.insert("public", "t", pa.table({"k": [k], "v": [v]}))
                    state[k] = v
                assert rows_of(t) == state  # own writes visible
            if rng.random() < 0.15:
                t.rollback()
            else:
                ts = t.commit()
                model[branch] = state
                history.append((branch, ts, dict(state)))
        elif op < 0.65:  # open a repeatable-read reader that must keep its snapshot
            r = store.begin("db", branch, isolation="repeatable read")
            assert rows_of(r) == model[branch]
            readers.append((branch, r, dict(model[branch])))
        elif op < 0.72 and len(model) < 6:  # branch (maybe from the past, maybe of a branch)
            name = f"b{step}"
            past = [h for h in history if h[0] == branch]
            if past and retention and rng.random() < 0.4:
                _, ts, st = rng.choice(past)
                store.create_branch("db", name, parent=branch, at_ts=ts)
                model[name] = dict(st)
            else:
                store.create_branch("db", name, parent=branch)
                model[name] = dict(model[branch])
        elif op < 0.76 and len(model) > 1:  # drop a leaf branch
            leaves = [b.name for b in store.list_branches("db") if b.name != "main"
                      and not any(c.parent == b.name for c in store.list_branches("db"))]
            if leaves:
                victim = rng.choice(leaves)
                for _, r, _ in [x for x in readers if x[0] == victim]:
                    r.rollback()
                readers = [x for x in readers if x[0] != victim]
                history = [h for h in history if h[0] != victim]
                store.drop_branch("db", victim)
                del model[victim]
        elif op < 0.80:
            store.vacuum()
        elif op < 0.84 and data_dir is not None:
            store.checkpoint()
        elif op < 0.87 and data_dir is not None:  # restart (readers end with the process)
            for _, r, _ in readers:
                r.rollback()
            readers = []
            if rng.random() < 0.5:
                store.close()
            store = Store.open(data_dir, tier=tier, retention_seconds=retention)
        else:  # time travel to a random past commit of this branch
            past = [h for h in history if h[0] == branch]
            if past and retention:
                _, ts, st = rng.choice(past)
                with store.begin("db", branch) as t:
                    assert rows_of(t, as_of=ts) == st
        # invariants after every step
        for b, r, snap in readers:
            assert rows_of(r) == snap, (seed, step, b)
        b = rng.choice(sorted(model))
        with store.begin("db", b) as t:
            assert rows_of(t) == model[b], (seed, step, b)
            for k in rng.sample(range(30), 5):
                got = t.lookup("public", "t", (k,)).column("v").to_pylist()
                assert got == ([model[b][k]] if k in model[b] else []), (seed, step, b, k)
    for _, r, _ in readers:
        r.rollback()
    store.close()


@pytest.mark.parametrize("seed", SEEDS)
def test_model_in_memory(seed):
    run(seed, None)


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_model_durable(seed, tmp_path):
    run(seed, str(tmp_path))


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_model_with_garbage_collection(seed, tmp_path):
    run(seed, None, retention=0)
    run(seed + 100, str(tmp_path), retention=0)
