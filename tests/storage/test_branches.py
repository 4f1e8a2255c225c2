"""Branches (O(1) copy-on-write, branch of a branch, drop) and time travel."""

from __future__ import annotations

import pyarrow as pa
import pytest

from helios_core.errors import InvalidParameterValue, UniqueViolation
from helios_core.storage import ColumnDef, Store
from helios_core.storage.errors import DependentObjectsStillExist, InvalidBranch


def ids(store, branch="main", table="t", **kw):
    with store.begin("db", branch) as t:
        tbl = pa.Table.from_batches(list(t.scan("public", table, **kw)))
        return sorted(tbl.column("id").to_pylist())


def put(store, branch, *keys, table="t"):
    with store.begin("db", branch) as t:
        t.insert("public", table, pa.table({"id": list(keys), "v": [f"{branch}{k}" for k in keys]}))


def remove(store, branch, key, table="t"):
    with store.begin("db", branch) as t:
        t.delete("public", table, t.lookup("public", table, (key,), with_rowid=True).column("_rowid"))


def value(store, branch, key):
    with store.begin("db", branch) as t:
        return t.lookup("public", "t", (key,)).column("v").to_pylist()


def set_value(store, branch, key, v):
    with store.begin("db", branch) as t:
        rid = t.lookup("public", "t", (key,), with_rowid=True).column("_rowid")
        assert t.update("public", "t", rid, pa.record_batch({"id": [key], "v": [v]})).count == 1


@pytest.fixture
def store():
    s = Store.open()
    s.create_database("db")
    with s.begin("db") as t:
        t.create_table("public", "t", [ColumnDef("id", pa.int64()), ColumnDef("v", pa.string())],
                       primary_key=["id"])
    put(s, "main", 1, 2, 3)
    return s


def test_branch_isolation_both_ways(store):
    info = store.create_branch("db", "dev")
    assert info.parent == "main" and info.fork_ts is not None
    put(store, "main", 4)
    put(store, "dev", 5)
    remove(store, "dev", 1)
    set_value(store, "dev", 2, "changed on dev")
    assert ids(store, "main") == [1, 2, 3, 4]
    assert ids(store, "dev") == [2, 3, 5]
    assert value(store, "main", 2) == ["main2"]
    assert value(store, "dev", 2) == ["changed on dev"]
    assert value(store, "dev", 1) == []
    # the key deleted on dev can be reused there; key 4 (main only) is free on dev
    put(store, "dev", 1, 4)
    assert value(store, "dev", 1) == ["dev1"] and value(store, "main", 1) == ["main1"]
    with pytest.raises(UniqueViolation):
        put(store, "dev", 3)  # inherited row still live on dev
    assert [b.name for b in store.list_branches("db")] == ["main", "dev"]


def test_branch_of_branch_and_drop(store):
    store.create_branch("db", "a")
    put(store, "a", 10)
    set_value(store, "a", 1, "a-1")
    store.create_branch("db", "b", parent="a")
    put(store, "b", 20)
    remove(store, "b", 2)
    put(store, "a", 11)  # after b forked: invisible to b
    assert ids(store, "b") == [1, 3, 10, 20]
    assert value(store, "b", 1) == ["a-1"]
    assert ids(store, "a") == [1, 2, 3, 10, 11]
    assert ids(store, "main") == [1, 2, 3]
    with pytest.raises(DependentObjectsStillExist):
        store.drop_branch("db", "a")
    store.drop_branch("db", "b")
    assert store.get_branch("db", "b") is None
    # dropping b freed only b's own data: a and main unchanged
    assert ids(store, "a") == [1, 2, 3, 10, 11]
    assert ids(store, "main") == [1, 2, 3]
    with pytest.raises(InvalidBranch):
        store.begin("db", "b")
    store.drop_branch("db", "a")
    assert ids(store, "main") == [1, 2, 3]
    assert [b.name for b in store.list_branches("db")] == ["main"]


def test_ddl_on_branch_stays_there(store):
    store.create_branch("db", "dev")
    with store.begin("db", "dev") as t:
        t.create_table("public", "only_dev", [ColumnDef("id", pa.int64()), ColumnDef("v", pa.string())])
        t.alter_table("public", "t", add_column=ColumnDef("extra", pa.int64()))
    with store.begin("db", "main") as t:
        assert t.get_table("public", "only_dev") is None
        assert [c.name for c in t.get_table("public", "t").columns] == ["id", "v"]
    with store.begin("db", "dev") as t:
        assert [c.name for c in t.get_table("public", "t").columns] == ["id", "v", "extra"]


def test_time_travel_and_branch_from_the_past(store):
    t0 = store.now()
    set_value(store, "main", 1, "v2")
    remove(store, "main", 3)
    t1 = store.now()
    put(store, "main", 4)
    assert ids(store, "main", as_of=t0) == [1, 2, 3]
    assert ids(store, "main", as_of=t1) == [1, 2]
    with store.begin("db") as t:
        old = pa.Table.from_batches(list(t.scan("public", "t", as_of=t0))).to_pylist()
    assert {r["id"]: r["v"] for r in old}[1] == "main1"
    store.create_branch("db", "past", at_ts=t0)
    assert ids(store, "past") == [1, 2, 3]
    assert value(store, "past", 1) == ["main1"]
    set_value(store, "past", 3, "revived")
    assert value(store, "past", 3) == ["revived"] and value(store, "main", 3) == []
    with pytest.raises(InvalidParameterValue):
        store.create_branch("db", "future", at_ts=store.now() + 10_000_000)
    # time travel on a branch, through the fork point
    t2 = store.now()
    put(store, "past", 50)
    assert ids(store, "past", as_of=t2) == [1, 2, 3]
    assert ids(store, "past") == [1, 2, 3, 50]


def test_time_travel_sees_schema_of_its_time(store):
    t0 = store.now()
    with store.begin("db") as t:
        t.alter_table("public", "t", add_column=ColumnDef("extra", pa.int64()))
    with store.begin("db") as t:
        old = list(t.scan("public", "t", as_of=t0))
        assert old[0].schema.names == ["id", "v"]


def test_branch_creation_is_metadata_only():
    """The branch holds no layers (no copied data) until it writes."""
    s = Store.open()
    s.create_database("db")
    with s.begin("db") as t:
        t.create_table("public", "big", [ColumnDef("id", pa.int64())], primary_key=["id"])
        t.insert("public", "big", pa.table({"id": pa.array(range(200_000), pa.int64())}))
    s.create_branch("db", "x")
    b = s.dbs["db"]["x"]
    assert b.layers == {}
    with s.begin("db", "x") as t:
        assert t.lookup("public", "big", (199_999,)).num_rows == 1
        assert sum(x.num_rows for x in t.scan("public", "big")) == 200_000
