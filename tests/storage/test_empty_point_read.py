"""A point read that finds no row answers with an empty batch of the presented schema, kept per
schema object (reads._empty_batch): the right columns and types each time, a new one for another
column choice or table definition."""

from __future__ import annotations

import pyarrow as pa

from helios_core.storage import reads
from tests.storage.sqlish import make_store


def test_a_missing_key_gives_the_presented_schema_every_time():
    store = make_store("t", "v", {1: 10})
    txn = store.begin("db")
    first = txn.lookup("public", "t", 99)
    again = txn.lookup("public", "t", 98)
    assert first.num_rows == 0 and again is first  # kept, not rebuilt
    some = txn.lookup("public", "t", 99, columns=["v"], with_rowid=True)
    assert some.num_rows == 0 and some.schema.names == ["v", "_rowid"] and some is not first
    assert txn.lookup("public", "t", 1).num_rows == 1


def test_kept_batches_are_bounded_and_checked_by_identity():
    schemas = [pa.schema([("a", pa.int64()), (f"b{i}", pa.string())]) for i in range(reads._EMPTY_BATCHES_KEPT + 5)]
    for s in schemas:
        batch = reads._empty_batch(s)
        assert batch.schema == s and batch.num_rows == 0
    assert len(reads._EMPTY_BATCHES) <= reads._EMPTY_BATCHES_KEPT
    kept = reads._empty_batch(schemas[-1])
    assert reads._empty_batch(schemas[-1]) is kept
    other = pa.schema(list(schemas[-1]))  # equal, another object: its own batch
    assert reads._empty_batch(other) is not kept and reads._empty_batch(other).schema.equals(other)
