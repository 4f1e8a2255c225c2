"""A storage scan's row filter evaluated by compute kernels (storage.row_filter) keeps exactly the
rows Acero's evaluation of the same expression keeps; shapes it does not read stay with Acero."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from helios_core.storage import ColumnDef, Store
from helios_core.storage.row_filter import mask_function

ROWS = 5000


@pytest.fixture(scope="module")
def batch() -> pa.RecordBatch:
    rng = np.random.default_rng(7)
    a = pa.array(rng.integers(-50, 50, ROWS), mask=rng.random(ROWS) < 0.1)
    f = rng.normal(size=ROWS)
    f[::97] = np.nan
    i32 = pa.array(rng.integers(0, 10, ROWS).astype(np.int32))
    t = pa.array([None if x % 11 == 0 else f"x{x % 9}" for x in range(ROWS)])
    return pa.RecordBatch.from_arrays([a, pa.array(f), i32, pa.array([str(x % 7) for x in range(ROWS)]), t,
                                       pa.array(np.arange(ROWS))], names=["a", "f", "i32", "s", "t", "pos"])


READ = [
    pc.field("a") < 10,
    pc.field("a") >= -3,
    pc.field("a") == 0,
    pc.field("a") != 7,
    pc.field("f") > 0.25,
    pc.field("f") <= -1.5,
    pc.field("f") < 1e-3,
    (pc.field("a") < 20) & (pc.field("f") > 0),
    (pc.field("a") > -20) & (pc.field("i32") <= 4) & (pc.field("f") != 0.5),
    pc.field("i32") == 3,
    pc.field("s") == "3",
    pc.field("s") != "3",
    pc.field("s") < "4",
    (pc.field("s") >= "2") & (pc.field("a") < 0),
    pc.field("t") == "x5",  # a text column with NULLs
    (pc.field("t") > "x2") & (pc.field("s") <= "5"),
]


@pytest.mark.parametrize("expression", READ, ids=[str(e) for e in READ])
def test_conjunctions_of_number_and_text_terms_keep_acero_s_rows(batch, expression) -> None:
    mask = mask_function(expression)
    assert mask is not None
    kept = batch.filter(mask(batch)).column("pos")  # (NaN is unequal to itself: compared by position)
    assert kept.equals(batch.filter(expression).column("pos")) and 0 < len(kept) < ROWS


KEPT_WITH_ACERO = [
    pc.field("s") == 'q"q',  # printed with an escape: it would not read back as the same text
    pc.field("s") == 'a") and (s == "b',
    pc.field("s") == pa.scalar("3", pa.large_string()),
    (pc.field("a") < 5) | (pc.field("f") > 1),
    pc.field("a").is_null(),
    ~(pc.field("a") < 3),
    pc.field("a") < pa.scalar(3, pa.int32()),
    pc.field("a") < pc.field("i32"),
]


@pytest.mark.parametrize("expression", KEPT_WITH_ACERO, ids=[str(e) for e in KEPT_WITH_ACERO])
def test_other_shapes_are_not_read(expression) -> None:
    assert mask_function(expression) is None


def test_store_scans_filter_alike_and_report_errors_as_before(tmp_path) -> None:
    store = Store.open(None)
    try:
        store.create_database("db")
        with store.begin("db") as t:
            t.create_table("public", "t", [ColumnDef("id", pa.int64()), ColumnDef("v", pa.float64()),
                                           ColumnDef("s", pa.string())], primary_key=["id"])
            for first in range(0, 3000, 1000):  # several chunks
                t.insert("public", "t", pa.table({"id": list(range(first, first + 1000)),
                                                  "v": [x / 10 for x in range(first, first + 1000)],
                                                  "s": [str(x) for x in range(first, first + 1000)]}))
        with store.begin("db", read_only=True) as t:
            got = pa.Table.from_batches(list(t.scan("public", "t", columns=["id", "v"],
                                                    filter=(pc.field("id") >= 500) & (pc.field("v") < 250.0))))
            assert sorted(got.column("id").to_pylist()) == list(range(500, 2500))
            with pytest.raises(pa.ArrowException):  # a column the scan does not have: Acero's error
                list(t.scan("public", "t", columns=["id"], filter=pc.field("nope") < 3))
    finally:
        store.close()


def test_a_scan_of_many_chunks_filtered_on_workers_keeps_the_order_and_rows(monkeypatch) -> None:
    from helios_core.storage import reads

    store = Store.open(None)
    try:
        store.create_database("db")
        with store.begin("db") as t:
            t.create_table("public", "t", [ColumnDef("id", pa.int64()), ColumnDef("v", pa.float64())],
                           primary_key=["id"])
        for first in range(0, 12_000, 1000):  # twelve chunks, one per transaction
            with store.begin("db") as t:
                t.insert("public", "t", pa.table({"id": list(range(first, first + 1000)),
                                                  "v": [(x * 7919) % 1000 / 10 for x in range(first, first + 1000)]}))
        flt = (pc.field("v") < 30.0) & (pc.field("id") >= 500)

        def scanned() -> list[int]:
            with store.begin("db", read_only=True) as t:
                return [i for b in t.scan("public", "t", columns=["id"], filter=flt) for i in b.column("id").to_pylist()]

        monkeypatch.setattr(reads, "PARALLEL_CHUNKS", 8)
        on_workers = scanned()
        monkeypatch.setattr(reads, "PARALLEL_CHUNKS", 10**9)
        assert on_workers == scanned() == [x for x in range(500, 12_000) if (x * 7919) % 1000 / 10 < 30.0]
    finally:
        store.close()


def test_row_ids_are_filtered_only_when_asked_for_or_filtered_on() -> None:
    store = Store.open(None)
    try:
        store.create_database("db")
        with store.begin("db") as t:
            t.create_table("public", "t", [ColumnDef("id", pa.int64()), ColumnDef("v", pa.int64())], primary_key=["id"])
            t.insert("public", "t", pa.table({"id": list(range(100)), "v": [x % 7 for x in range(100)]}))
        with store.begin("db", read_only=True) as t:
            with_ids = pa.Table.from_batches(list(t.scan("public", "t", filter=pc.field("v") == 3, with_rowid=True)))
            assert with_ids.column_names == ["id", "v", "_rowid"] and with_ids.num_rows == 14
            plain = pa.Table.from_batches(list(t.scan("public", "t", columns=["id"], filter=pc.field("v") == 3)))
            assert plain.column_names == ["id"] and plain.column("id").to_pylist() == with_ids.column("id").to_pylist()
            first = with_ids.column("_rowid")[0].as_py()
            by_id = pa.Table.from_batches(list(t.scan("public", "t", columns=["id"], filter=pc.field("_rowid") == first)))
            assert by_id.column("id").to_pylist() == [3]
    finally:
        store.close()
