"""Capped collections and tailable cursors (pymongo and motor against a real server)."""

from __future__ import annotations

import asyncio
import threading
import time

import bson
import pytest
from motor.motor_asyncio import AsyncIOMotorClient
from pymongo import CursorType, MongoClient
from pymongo.errors import OperationFailure, WriteError


@pytest.fixture
def capped(coll):
    coll.database.create_collection(coll.name, capped=True, size=100_000, max=3)
    return coll


def test_create_options_and_list_collections(client, coll):
    db = coll.database
    db.create_collection(coll.name, capped=True, size=4096)
    assert coll.options() == {"capped": True, "size": 4096}
    db[coll.name + "_plain"].insert_one({})
    assert db.list_collection_names(filter={"options.capped": True, "name": {"$regex": f"^{coll.name}"}}) == [
        coll.name]
    stats = db.command("collStats", coll.name)
    assert stats["capped"] is True and stats["maxSize"] == 4096 and "max" not in stats
    db.drop_collection(coll.name + "_plain")


def test_create_refuses_bad_options(client, coll):
    db = coll.database
    with pytest.raises(OperationFailure) as info:
        db.command("create", coll.name, capped=True)
    assert info.value.code == 72  # InvalidOptions: size is required
    with pytest.raises(OperationFailure) as info:
        db.command("create", coll.name, capped=True, size=-5)
    assert info.value.code == 2


def test_insertion_order_and_max(capped):
    capped.insert_many([{"_id": f"k{i}", "i": i} for i in (5, 1, 4)])
    assert [d["i"] for d in capped.find()] == [5, 1, 4]  # natural order is insertion order, not _id order
    assert [d["i"] for d in capped.find().sort("$natural", -1)] == [4, 1, 5]
    capped.insert_one({"_id": "k9", "i": 9})
    capped.insert_many([{"i": 10}, {"i": 11}])
    assert [d["i"] for d in capped.find()] == [9, 10, 11]  # the oldest went past max=3
    assert capped.database.command("collStats", capped.name)["max"] == 3


def test_size_cap_removes_oldest(coll):
    coll.database.create_collection(coll.name, capped=True, size=5000)  # 5120 bytes after rounding to 256
    payload = "x" * 1000
    for i in range(12):
        coll.insert_one({"i": i, "p": payload})
    kept = [d["i"] for d in coll.find()]
    assert kept == list(range(12 - len(kept), 12)) and 3 <= len(kept) <= 5
    assert sum(len(bson.encode(d)) for d in coll.find()) <= 5120


def test_update_may_not_change_size(capped):
    capped.insert_one({"_id": 1, "x": 1})
    with pytest.raises(WriteError) as info:
        capped.update_one({"_id": 1}, {"$set": {"y": "longer"}})
    assert info.value.code == 10003
    assert capped.update_one({"_id": 1}, {"$set": {"x": 2}}).modified_count == 1
    assert capped.delete_one({"_id": 1}).deleted_count == 1  # deletes are allowed since MongoDB 5.0


def test_writes_in_transactions_refused(client, capped):
    with client.start_session() as session:
        session.start_transaction()
        with pytest.raises(OperationFailure) as info:
            capped.insert_one({"x": 1}, session=session)
        assert info.value.code == 263
        session.abort_transaction()


def test_tailable_cursor_follows_inserts(capped):
    cursor = capped.find(cursor_type=CursorType.TAILABLE)
    capped.insert_one({"x": 1})
    assert [d["x"] for d in cursor] == [1]
    assert cursor.alive
    capped.insert_one({"x": 2})
    assert [d["x"] for d in cursor] == [2]
    capped.insert_many([{"x": i} for i in range(3, 7)])  # rolls over past the cursor's position
    assert cursor.to_list() == []
    assert not cursor.alive  # CappedPositionLost ended it
    with pytest.raises(OperationFailure) as info:
        capped.database.command("getMore", 0, collection=capped.name)
    assert info.value.code == 43


def test_tailable_on_empty_collection_is_dead_and_filters_apply(coll):
    coll.database.create_collection(coll.name, capped=True, size=100_000)
    capped = coll
    cursor = capped.find(cursor_type=CursorType.TAILABLE)
    assert cursor.to_list() == [] and not cursor.alive
    capped.insert_one({"x": 1})
    cursor = capped.find({"x": {"$gt": 1}}, cursor_type=CursorType.TAILABLE)
    assert cursor.to_list() == [] and cursor.alive  # stands on the document it examined
    capped.insert_many([{"x": 2}, {"x": 0}, {"x": 3}])
    assert [d["x"] for d in cursor] == [2, 3]
    cursor.close()


def test_tailable_errors(client, coll, capped):
    db = capped.database
    with pytest.raises(OperationFailure) as info:
        db.command("find", capped.name, awaitData=True)
    assert info.value.code == 9
    with pytest.raises(OperationFailure) as info:
        db.command("find", capped.name, tailable=True, sort={"x": 1})
    assert info.value.code == 2
    db.plain_for_tailable.insert_one({})
    with pytest.raises(OperationFailure) as info:
        db.plain_for_tailable.find(cursor_type=CursorType.TAILABLE).to_list()
    assert info.value.code == 2
    db.drop_collection("plain_for_tailable")
    capped.insert_one({"x": 1})
    reply = db.command("find", capped.name, tailable=True, batchSize=0)
    with pytest.raises(OperationFailure) as info:  # maxTimeMS is only for awaitData cursors
        db.command("getMore", reply["cursor"]["id"], collection=capped.name, maxTimeMS=10)
    assert info.value.code == 2


def test_await_data_waits_for_an_insert(capped):
    capped.insert_one({"x": 0})
    cursor = capped.find(cursor_type=CursorType.TAILABLE_AWAIT).max_await_time_ms(3000)
    assert cursor.next()["x"] == 0
    threading.Timer(0.5, lambda: capped.insert_one({"x": 1})).start()
    started = time.monotonic()
    docs = cursor.next()
    waited = time.monotonic() - started
    assert docs["x"] == 1 and waited < 2.5
    started = time.monotonic()
    empty = capped.database.command("getMore", cursor.cursor_id, collection=capped.name, maxTimeMS=300)
    assert empty["cursor"]["nextBatch"] == [] and 0.25 < time.monotonic() - started < 2
    cursor.close()


def test_await_data_with_motor(mongo_uri, capped):
    async def run() -> list[int]:
        client = AsyncIOMotorClient(mongo_uri)
        try:
            coll = client[capped.database.name][capped.name]
            await coll.insert_one({"x": 0})
            cursor = coll.find(cursor_type=CursorType.TAILABLE_AWAIT).max_await_time_ms(2000)
            seen = [(await cursor.next())["x"]]

            async def writer() -> None:
                await asyncio.sleep(0.3)
                await coll.insert_one({"x": 1})

            task = asyncio.create_task(writer())
            seen.append((await cursor.next())["x"])
            await task
            await cursor.close()
            return seen
        finally:
            client.close()

    assert asyncio.run(run()) == [0, 1]


def test_kill_during_wait(client, capped):
    capped.insert_one({"x": 0})
    cursor = capped.find(cursor_type=CursorType.TAILABLE)
    done = threading.Event()

    def iterate() -> None:
        while cursor.alive:
            try:
                for _ in cursor:
                    pass
            except OperationFailure as exc:
                assert exc.code in (43, 237)
        done.set()

    thread = threading.Thread(target=iterate)
    thread.start()
    time.sleep(0.5)
    cursor.close()
    thread.join(5)
    assert done.is_set()


def test_rename_across_databases_keeps_capped_and_order(client, capped):
    capped.insert_many([{"_id": k} for k in ("c", "a", "b")])
    target = client.other_testdb[capped.name]
    target.drop()
    client.admin.command("renameCollection", capped.full_name, to=target.full_name)
    assert target.options() == {"capped": True, "size": 100_000, "max": 3}
    assert [d["_id"] for d in target.find()] == ["c", "a", "b"]
    target.insert_one({"_id": "d"})
    assert [d["_id"] for d in target.find()] == ["a", "b", "d"]
    target.drop()


def test_made_again_by_another_client(mongo_uri, capped):
    capped.insert_many([{"_id": k} for k in ("b", "a")])
    assert [d["_id"] for d in capped.find()] == ["b", "a"]
    with MongoClient(mongo_uri) as other:
        other_coll = other[capped.database.name][capped.name]
        other_coll.drop()
        other_coll.insert_many([{"_id": k} for k in ("y", "x")])
    assert sorted(d["_id"] for d in capped.find()) == ["x", "y"]  # a plain collection now: no natural order kept
    assert capped.options() == {}


def test_clone_and_convert_to_capped(coll):
    db = coll.database
    coll.insert_many([{"_id": i} for i in range(10)])
    db.drop_collection(coll.name + "_clone")
    db.command("cloneCollectionAsCapped", coll.name, toCollection=coll.name + "_clone", size=4096)
    clone = db[coll.name + "_clone"]
    assert clone.options() == {"capped": True, "size": 4096} and clone.count_documents({}) == 10
    with pytest.raises(OperationFailure) as info:
        db.command("cloneCollectionAsCapped", coll.name, toCollection=coll.name + "_clone", size=4096)
    assert info.value.code == 48
    db.drop_collection(coll.name + "_clone")
    coll.create_index("x")
    db.command("convertToCapped", coll.name, size=4096)
    assert coll.options() == {"capped": True, "size": 4096}
    assert [i["name"] for i in coll.list_indexes()] == ["_id_"]
    cursor = coll.find(cursor_type=CursorType.TAILABLE)
    assert len(cursor.to_list()) == 10 and cursor.alive
    coll.insert_one({"_id": 10})
    assert [d["_id"] for d in cursor] == [10]
    with pytest.raises(OperationFailure) as info:
        db.command("convertToCapped", "no_such_collection_here", size=4096)
    assert info.value.code == 26


def test_rename_within_a_database_keeps_the_options(client, coll):
    db = coll.database
    db.create_collection(coll.name, capped=True, size=4096, validator={"x": {"$type": "number"}})
    db.drop_collection(coll.name + "_renamed")
    coll.rename(coll.name + "_renamed")
    renamed = db[coll.name + "_renamed"]
    assert renamed.options() == {"capped": True, "size": 4096, "validator": {"x": {"$type": "number"}},
                                 "validationLevel": "strict", "validationAction": "error"}
    with pytest.raises(WriteError):
        renamed.insert_one({"x": "text"})
    db.drop_collection(coll.name + "_renamed")


def test_the_oplog_is_refused(client, coll):
    with pytest.raises(OperationFailure) as info:  # not an empty collection a tool would tail forever
        client.local["oplog.rs"].find_one()
    assert info.value.code == 115
