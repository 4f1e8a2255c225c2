"""Finds and updates by ``_id`` (the primary-key point paths, finds answered on the event loop) keep
MongoDB's results: what they match, what they count as modified, what a transaction sees."""

from __future__ import annotations

import asyncio
import threading

import psycopg
import pymongo
from bson import Decimal128, Int64, ObjectId
from motor.motor_asyncio import AsyncIOMotorClient


def test_find_one_by_id_string_objectid_and_eq(coll):
    oid = ObjectId()
    coll.insert_many([{"_id": "k1", "v": 1, "b": "x"}, {"_id": oid, "v": 2}, {"_id": "k3", "nested": {"z": 1, "a": 2}}])
    assert coll.find_one({"_id": "k1"}) == {"_id": "k1", "v": 1, "b": "x"}
    assert list(coll.find_one({"_id": "k1"})) == ["_id", "v", "b"]  # written order
    assert coll.find_one({"_id": oid}) == {"_id": oid, "v": 2}
    assert coll.find_one({"_id": {"$eq": "k3"}}) == {"_id": "k3", "nested": {"z": 1, "a": 2}}
    assert list(coll.find_one({"_id": "k3"})["nested"]) == ["z", "a"]
    assert coll.find_one({"_id": "missing"}) is None
    assert list(coll.find({"_id": "k1"})) == [{"_id": "k1", "v": 1, "b": "x"}]
    assert list(coll.find({"_id": "k1"}, batch_size=1)) == [{"_id": "k1", "v": 1, "b": "x"}]
    # what is not a point find still answers as MongoDB: projection, skip, batchSize 0
    assert coll.find_one({"_id": "k1"}, {"v": 1}) == {"_id": "k1", "v": 1}
    assert coll.find_one({"_id": "k1"}, skip=1) is None
    assert list(coll.find({"_id": "k1"}, batch_size=0)) == [{"_id": "k1", "v": 1, "b": "x"}]


def test_find_by_id_of_a_missing_collection(client):
    assert client.testdb.point_nowhere.find_one({"_id": "x"}) is None


def test_numeric_and_collated_ids_match_as_mongodb(coll):
    coll.insert_many([{"_id": 1.0, "v": "double"}, {"_id": Int64(2), "v": "long"}, {"_id": "Ab", "v": "s"},
                      {"_id": Decimal128("3"), "v": "dec"}])
    assert coll.find_one({"_id": 1})["v"] == "double"  # 1 == 1.0 == Int64(1) to MongoDB, not to jsonb
    assert coll.find_one({"_id": 2.0})["v"] == "long"
    assert coll.find_one({"_id": 3})["v"] == "dec"
    assert coll.find_one({"_id": "ab"}) is None
    assert coll.find_one({"_id": "ab"}, collation={"locale": "en", "strength": 2})["v"] == "s"
    assert coll.update_one({"_id": 1}, {"$set": {"w": 1}}).modified_count == 1
    assert coll.update_one({"_id": "ab"}, {"$set": {"w": 1}}, collation={"locale": "en", "strength": 2}
                           ).modified_count == 1
    assert coll.find_one({"_id": "Ab"})["w"] == 1


def test_update_one_by_id_counts_modifications_by_type_and_order(coll):
    coll.insert_one({"_id": "u", "a": 1, "b": "x"})
    assert coll.update_one({"_id": "u"}, {"$set": {"a": 1}}).modified_count == 0
    assert coll.update_one({"_id": "u"}, {"$set": {"a": 1.0}}).modified_count == 1  # int32 -> double
    assert type(coll.find_one({"_id": "u"})["a"]) is float
    assert coll.update_one({"_id": "u"}, {"$set": {"a": Int64(1)}}).modified_count == 1
    assert coll.find_one({"_id": "u"})["a"] == Int64(1) and type(coll.find_one({"_id": "u"})["a"]) is Int64
    result = coll.replace_one({"_id": "u"}, {"b": "x", "a": Int64(1)})  # same values, other order
    assert result.modified_count == 1
    assert list(coll.find_one({"_id": "u"})) == ["_id", "b", "a"]
    assert coll.update_one({"_id": "nope"}, {"$set": {"a": 1}}).matched_count == 0
    upserted = coll.update_one({"_id": "new"}, {"$set": {"a": 2}}, upsert=True)
    assert upserted.upserted_id == "new" and coll.find_one({"_id": "new"}) == {"_id": "new", "a": 2}
    # the update does not share values with the stored document: nested arrays change alone
    coll.insert_one({"_id": "n", "list": [[1], {"x": [2]}]})
    coll.update_one({"_id": "n"}, {"$push": {"list.0": 9, "list.1.x": 8}})
    assert coll.find_one({"_id": "n"})["list"] == [[1, 9], {"x": [2, 8]}]


def test_point_find_sees_sql_writes_and_transactions_see_their_own(client, coll, mongo_server):
    coll.insert_one({"_id": "t", "n": 0})
    with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as conn:
        conn.execute(f"""update testdb."{coll.name}" set doc = jsonb_set(doc, '{{n}}', '5') where _id = '"t"'""")
    assert coll.find_one({"_id": "t"})["n"] == 5
    with client.start_session() as session:
        session.start_transaction()
        coll.update_one({"_id": "t"}, {"$inc": {"n": 1}}, session=session)
        assert coll.find_one({"_id": "t"}, session=session)["n"] == 6
        assert coll.find_one({"_id": "t"})["n"] == 5  # outside: the last commit
        session.abort_transaction()
    assert coll.find_one({"_id": "t"})["n"] == 5


def test_concurrent_point_finds_and_updates(client, coll):
    coll.insert_many([{"_id": f"k{i}", "n": 0} for i in range(20)])
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(40):
                key = f"k{(worker * 7 + i) % 20}"
                assert coll.find_one({"_id": key})["_id"] == key
                if worker % 2:
                    coll.update_one({"_id": f"k{worker}"}, {"$inc": {"n": 1}})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [coll.find_one({"_id": f"k{w}"})["n"] for w in range(6)] == [0, 40, 0, 40, 0, 40]


def test_motor_point_find_and_update(mongo_uri):
    async def scenario():
        client = AsyncIOMotorClient(mongo_uri, serverSelectionTimeoutMS=10_000)
        coll = client.testdb.motor_points
        await coll.drop()
        await coll.insert_many([{"_id": f"m{i}", "v": i} for i in range(10)])
        found = await asyncio.gather(*(coll.find_one({"_id": f"m{i}"}) for i in range(10)))
        updated = await coll.update_one({"_id": "m3"}, {"$set": {"v": "three"}})
        again = await coll.find_one({"_id": "m3"})
        client.close()
        return found, updated.modified_count, again

    found, modified, again = asyncio.run(scenario())
    assert [d["v"] for d in found] == list(range(10))
    assert modified == 1 and again == {"_id": "m3", "v": "three"}


def test_concurrent_updates_of_one_document_lose_nothing(coll):
    """Single-document updates are atomic: read, apply and write of one document are not interleaved."""
    coll.insert_one({"_id": "hot", "tag": "h", "n": 0, "m": 0, "k": 0})
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(15):
                coll.update_one({"_id": "hot"}, {"$inc": {"n": 1}})  # the point path
                coll.update_one({"tag": "h"}, {"$inc": {"m": 1}})  # the general path
                coll.find_one_and_update({"tag": "h"}, {"$inc": {"k": 1}})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert coll.find_one({"_id": "hot"}) == {"_id": "hot", "tag": "h", "n": 60, "m": 60, "k": 60}


def test_concurrent_update_many_loses_nothing(coll):
    """updateMany updates each document atomically: $inc from several clients at once adds up."""
    coll.insert_many([{"_id": f"u{i}", "grp": "g", "n": 0} for i in range(5)])
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(10):
                coll.update_many({"grp": "g"}, {"$inc": {"n": 1}})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(d["n"] for d in coll.find({"grp": "g"})) == [40] * 5
    result = coll.update_many({"grp": "g", "n": 40}, {"$set": {"done": True}})
    assert (result.matched_count, result.modified_count) == (5, 5)


def test_point_finds_that_need_the_general_path_still_get_its_answer(client, coll):
    """A find by _id is answered without the per-command machinery only when that machinery has nothing
    to do: on a view, with the profiler on, a snapshot read, a time limit or a bad API version the
    general path answers (the view's document, a profile entry, atClusterTime, error 322)."""
    db = coll.database
    coll.insert_many([{"_id": "k1", "v": 1}, {"_id": "k2", "v": 2}])
    db.command("create", f"{coll.name}_view", viewOn=coll.name, pipeline=[{"$set": {"seen": True}}])
    try:
        assert db[f"{coll.name}_view"].find_one({"_id": "k1"}) == {"_id": "k1", "v": 1, "seen": True}
    finally:
        db.drop_collection(f"{coll.name}_view")
    reply = db.command("find", coll.name, filter={"_id": "k2"}, limit=1, singleBatch=True)
    assert reply["cursor"]["firstBatch"] == [{"_id": "k2", "v": 2}] and reply["cursor"]["id"] == 0
    assert "operationTime" in reply and "clusterTime" in reply["$clusterTime"]
    reply = db.command("find", coll.name, filter={"_id": "k2"}, limit=1, readConcern={"level": "snapshot"})
    assert reply["cursor"]["firstBatch"] == [{"_id": "k2", "v": 2}] and "atClusterTime" in reply["cursor"]
    reply = db.command("find", coll.name, filter={"_id": "k1"}, limit=1, maxTimeMS=5000)
    assert reply["cursor"]["firstBatch"] == [{"_id": "k1", "v": 1}]
    try:
        db.command("find", coll.name, filter={"_id": "k1"}, limit=1, apiVersion="2")
        raise AssertionError("apiVersion 2 was accepted")
    except pymongo.errors.OperationFailure as exc:
        assert exc.code == 322
    db.command("profile", 2)
    try:
        assert coll.find_one({"_id": "k1"}) == {"_id": "k1", "v": 1}
        entries = list(db["system.profile"].find({"ns": coll.full_name, "op": "query"}))
        assert any(e["command"].get("filter") == {"_id": "k1"} for e in entries)
    finally:
        db.command("profile", 0)
        db.drop_collection("system.profile")
