"""A statement still holding a chunk whose compressed segment a later checkpoint merged away (and
whose file it deleted) reads that chunk's rows all the same: the file was mapped when the chunk
took it. Before, the read failed with "no such segment" (a BM25 index build right after a large
load met it: the load's checkpoint merged the segments the build had just listed)."""

from __future__ import annotations

import os

import pyarrow as pa
import pytest

from helios_core.storage import ColumnDef, Store

nvme = pytest.importorskip("helios_storage_nvme", reason="needs the storage_nvme disk tier")


def _segment_files(d) -> set[str]:
    return {os.path.relpath(os.path.join(root, f), d) for root, _dirs, files in os.walk(d)
            for f in files if f.endswith(".arrow") and not f.startswith("state-")}


def _put(store: Store, first: int, n: int) -> None:
    with store.begin("db") as t:
        t.insert("public", "t", pa.table({"id": list(range(first, first + n)),
                                           "v": [f"value {i}" for i in range(first, first + n)]}))


@pytest.mark.parametrize("codec", ["zstd", None])
def test_a_listed_chunk_reads_after_its_segment_was_merged_and_deleted(tmp_path, codec) -> None:
    store = Store.open(str(tmp_path), tier=nvme.DiskTier(str(tmp_path)))
    try:
        store.segment_codec = codec
        store.create_database("db")
        with store.begin("db") as t:
            t.create_table("public", "t", [ColumnDef("id", pa.int64()), ColumnDef("v", pa.string())],
                           primary_key=["id"])
        _put(store, 0, 1000)
        store.checkpoint()
        before = _segment_files(tmp_path)
        with store.begin("db") as reader:
            tdef = reader._def("public", "t")
            listed = list(reader.chunks_def(tdef, ["v"]))  # the chunks, their rows not read yet
            _put(store, 1000, 1000)
            store.checkpoint()  # merges the small segments into one: the first file is deleted
            assert before - _segment_files(tmp_path), "the checkpoint did not replace the listed segment"
            values = [v for _cid, _n, _mask, read, _rowids in listed for v in read().column("v").to_pylist()]
        assert sorted(values) == sorted(f"value {i}" for i in range(1000))
    finally:
        store.close()
