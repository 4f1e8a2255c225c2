"""The primary-key index: integer keys folded into sorted arrays behave as the dict they replace,
cost about 16 bytes a key, and serve lookups, uniqueness checks, updates, rollbacks and recovery."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from helios_core.errors import UniqueViolation
from helios_core.storage import ColumnDef, MemoryTier, Store, keyindex
from helios_core.storage.keyindex import KeyIndex


@pytest.fixture
def small_folds(monkeypatch):
    monkeypatch.setattr(keyindex, "FOLD_MIN", 8)


def test_behaves_as_a_dict_under_random_operations(small_folds):
    rng = random.Random(13)
    index, model = KeyIndex(), {}
    for step in range(3000):
        op = rng.random()
        k = rng.randrange(200)
        if op < 0.4:
            index[k] = model[k] = step
        elif op < 0.6:
            pairs = [(rng.randrange(200), step) for _ in range(rng.randrange(1, 30))]
            index.update(pairs)
            model.update(pairs)
        elif op < 0.8:
            assert index.pop(k, None) == model.pop(k, None)
        else:
            probe = {rng.randrange(220) for _ in range(20)}
            assert index.keys() & probe == model.keys() & probe
            keys = list(probe)
            assert index.get_many(keys) == [model.get(x) for x in keys]
        assert index.get(k) == model.get(k) and index.get(k, -1) == model.get(k, -1)
    assert len(index.keys_np)  # it did fold into arrays
    assert dict(index.items()) == model and len(index) == len(model)
    assert index.get(5.0) == model.get(5) and index.get("5") is None


def test_text_keys_stay_in_the_dict(small_folds):
    index = KeyIndex()
    index.update((f"k{i}", i) for i in range(100))
    assert not len(index.keys_np) and index["k42"] == 42 and index.keys() & {"k1", "x"} == {"k1"}


def _store(tmp_path=None):
    s = Store.open(None if tmp_path is None else str(tmp_path), tier=None if tmp_path is None else MemoryTier())
    s.create_database("db")
    with s.begin("db") as t:
        t.create_table("public", "t", [ColumnDef("id", pa.int64()), ColumnDef("v", pa.string())], primary_key=["id"])
    return s


def _load(s, start, n):
    with s.begin("db") as t:
        t.insert("public", "t", pa.table({"id": pa.array(range(start, start + n), pa.int64()),
                                          "v": [f"v{i}" for i in range(start, start + n)]}))


def _v(s, key):
    with s.begin("db") as t:
        got = t.lookup("public", "t", (key,))
        return got.column("v").to_pylist()[0] if got is not None and got.num_rows else None


def test_a_large_table_keeps_a_compact_index_that_still_enforces_keys():
    s = _store()
    for start in range(0, 300_000, 50_000):
        _load(s, start, 50_000)
    layer = s.branches[1].layers[1]
    assert layer.pk.nbytes() < 20 * 300_000  # a dict took over 100 bytes a key
    assert _v(s, 0) == "v0" and _v(s, 123_456) == "v123456" and _v(s, 300_000) is None
    with pytest.raises(UniqueViolation):
        _load(s, 299_999, 2)
    with s.begin("db") as t:  # a key moved to a new row, then the move rolled back
        got = t.lookup("public", "t", (77,), with_rowid=True)
        t.delete("public", "t", got.column("_rowid"))
        t.insert("public", "t", pa.table({"id": pa.array([77], pa.int64()), "v": ["again"]}))
        t.rollback()
    assert _v(s, 77) == "v77"
    with s.begin("db") as t:
        got = t.lookup("public", "t", (78,), with_rowid=True)
        t.update("public", "t", got.column("_rowid"), pa.table({"id": pa.array([400_000], pa.int64())}))
    assert _v(s, 78) is None and _v(s, 400_000) == "v78"
    _load(s, 78, 1)
    assert _v(s, 78) == "v78"


def test_recovery_rebuilds_the_compact_index(tmp_path, small_folds):
    s = _store(tmp_path)
    tier = s.tier
    _load(s, 0, 100_000)
    s.checkpoint()
    _load(s, 100_000, 10)  # only in the WAL
    s.close(checkpoint=False)
    again = Store.open(str(tmp_path), tier=tier)
    layer = again.branches[1].layers[1]
    assert len(layer.pk.keys_np) >= 100_000
    assert _v(again, 99_999) == "v99999" and _v(again, 100_005) == "v100005"
    with pytest.raises(UniqueViolation):
        _load(again, 5, 1)
