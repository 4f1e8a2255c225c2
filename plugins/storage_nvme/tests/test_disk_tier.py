"""The nvme tier: atomic puts, mmapped opens, listing, deletion, hook registration."""

from __future__ import annotations

import os

import pyarrow as pa
from helios_storage_nvme import DiskTier, helios_storage_tiers

from helios_core.storage import ColumnDef, Store


def test_put_open_list_delete(tmp_path):
    tier = DiskTier(str(tmp_path))
    tier.put("1/2/000001.arrow", b"hello")
    tier.put("1/3/000002.arrow", pa.py_buffer(b"world!"))
    assert tier.root == os.path.join(str(tmp_path), "segments")
    buf = tier.open("1/2/000001.arrow")
    assert isinstance(buf, pa.Buffer) and buf.to_pybytes() == b"hello"
    assert tier.size("1/3/000002.arrow") == 6
    assert list(tier.list("")) == ["1/2/000001.arrow", "1/3/000002.arrow"]
    assert list(tier.list("1/3")) == ["1/3/000002.arrow"]
    tier.delete("1/2/000001.arrow")
    tier.delete("1/2/000001.arrow")  # idempotent
    assert list(tier.list("")) == ["1/3/000002.arrow"]
    assert not [f for _, _, fs in os.walk(tier.root) for f in fs if ".tmp" in f]


def test_open_is_memory_mapped(tmp_path):
    tier = DiskTier(str(tmp_path))
    table = pa.table({"x": list(range(1000))})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    tier.put("seg.arrow", sink.getvalue())
    buf = tier.open("seg.arrow")
    got = pa.ipc.open_file(pa.BufferReader(buf)).read_all()
    assert got.equals(table)
    assert not buf.is_mutable  # a read-only mapping of the file, not a heap copy


def test_hook_and_default_tier_for_a_data_dir(tmp_path):
    (factory,) = helios_storage_tiers()
    assert factory.name == "nvme" and factory.package == "helios-storage-nvme"
    assert isinstance(factory.create(str(tmp_path), None), DiskTier)
    # Store.open with a data_dir and no tier finds this plugin through the "helios" entry points
    s = Store.open(str(tmp_path))
    assert isinstance(s.tier, DiskTier)
    s.create_database("db")
    with s.begin("db") as t:
        t.create_table("public", "t", [ColumnDef("id", pa.int64())], primary_key=["id"])
        t.insert("public", "t", pa.table({"id": [1, 2]}))
    s.close()
    assert list(DiskTier(str(tmp_path)).list(""))
    s = Store.open(str(tmp_path))
    with s.begin("db") as t:
        assert t.lookup("public", "t", (2,)).num_rows == 1
    s.close()
