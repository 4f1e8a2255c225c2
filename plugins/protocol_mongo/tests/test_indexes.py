"""createIndexes/listIndexes/dropIndexes: unique enforced by the kernel, TTL by the background job."""

from __future__ import annotations

import datetime
import time

import pymongo
import pytest
from pymongo.errors import DuplicateKeyError, OperationFailure


def test_unique_and_compound_indexes(coll, mongo_server):
    assert coll.create_index("email", unique=True) == "email_1"
    assert coll.create_index([("last", pymongo.ASCENDING), ("first", pymongo.DESCENDING)]) == "last_1_first_-1"
    info = coll.index_information()
    assert set(info) == {"_id_", "email_1", "last_1_first_-1"} and info["email_1"]["unique"] is True
    coll.insert_one({"_id": 1, "email": "a@x", "last": "L"})
    with pytest.raises(DuplicateKeyError) as dup:
        coll.insert_one({"_id": 2, "email": "a@x"})
    assert "index: email_1 dup key: { email: \"a@x\" }" in str(dup.value)
    assert dup.value.details["keyValue"] == {"email": "a@x"}
    coll.insert_one({"_id": 3})  # a missing field counts as null: one such document is allowed...
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({"_id": 4})  # ...but not two, as in MongoDB
    with pytest.raises(DuplicateKeyError):
        coll.update_one({"_id": 3}, {"$set": {"email": "a@x"}})
    coll.drop_index("email_1")
    coll.insert_one({"_id": 4, "email": "a@x"})
    with pytest.raises(OperationFailure) as info:
        coll.drop_index("no_such_index")
    assert info.value.code == 27
    assert sorted(coll.index_information()) == ["_id_", "last_1_first_-1"]


def test_sparse_unique_index_skips_missing_fields(coll):
    coll.create_index("code", unique=True, sparse=True)
    coll.insert_many([{"_id": 1}, {"_id": 2}, {"_id": 3, "code": "c"}])
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({"_id": 4, "code": "c"})


def test_ttl_index_removes_expired_documents(coll):
    """The shared server runs the TTL monitor every second (ttl_monitor_interval = "1s")."""
    coll.create_index("at", expireAfterSeconds=60)
    now = datetime.datetime.now(datetime.UTC)
    coll.insert_many([{"_id": "old", "at": now - datetime.timedelta(minutes=5)},
                      {"_id": "new", "at": now}, {"_id": "nodate", "at": "yesterday"}])
    deadline = time.monotonic() + 15
    while coll.count_documents({}) == 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sorted(d["_id"] for d in coll.find()) == ["new", "nodate"]


def test_rename_collection_and_stats(client):
    for name in ("renamed_src", "renamed_dst"):
        client.testdb[name].drop()
    client.otherdb.moved.drop()
    src = client.testdb.renamed_src
    src.insert_many([{"_id": i, "k": i} for i in range(5)])
    src.create_index("k", unique=True)
    src.rename("renamed_dst")
    dst = client.testdb.renamed_dst
    assert dst.count_documents({}) == 5 and "k_1" in dst.index_information()
    assert "renamed_src" not in client.testdb.list_collection_names()
    client.admin.command("renameCollection", "testdb.renamed_dst", to="otherdb.moved")
    moved = client.otherdb.moved
    assert moved.count_documents({}) == 5
    with pytest.raises(DuplicateKeyError):
        moved.insert_one({"_id": 9, "k": 1})
    with pytest.raises(OperationFailure) as info:
        client.admin.command("renameCollection", "testdb.renamed_dst", to="testdb.x")
    assert info.value.code == 26
    assert client.otherdb.command("collStats", "moved")["count"] == 5
    assert client.otherdb.command("dbStats")["objects"] >= 5
