"""Read-only views (create with viewOn and pipeline) against a real server with pymongo."""

from __future__ import annotations

import psycopg
import pytest
from pymongo.errors import OperationFailure


@pytest.fixture
def shop(client):
    client.drop_database("viewshop")
    db = client.viewshop
    db.orders.insert_many([
        {"_id": 1, "item": "apple", "qty": 5, "status": "A"},
        {"_id": 2, "item": "pear", "qty": 10, "status": "B"},
        {"_id": 3, "item": "apple", "qty": 15, "status": "A"},
        {"_id": 4, "item": "fig", "qty": 1, "status": "A"},
    ])
    yield db
    client.drop_database("viewshop")


def test_create_list_and_read_a_view(shop):
    shop.create_collection("active", viewOn="orders",
                           pipeline=[{"$match": {"status": "A"}}, {"$project": {"status": 0}}])
    infos = {i["name"]: i for i in shop.list_collections()}
    assert infos["active"]["type"] == "view" and infos["orders"]["type"] == "collection"
    assert infos["active"]["options"] == {"viewOn": "orders", "pipeline": [{"$match": {"status": "A"}},
                                                                          {"$project": {"status": 0}}]}
    assert infos["active"]["info"] == {"readOnly": True}
    assert "active" in shop.list_collection_names(filter={"type": "view"})
    view = shop.active
    assert list(view.find({}, sort=[("_id", 1)])) == [{"_id": 1, "item": "apple", "qty": 5},
                                                      {"_id": 3, "item": "apple", "qty": 15},
                                                      {"_id": 4, "item": "fig", "qty": 1}]
    assert view.find_one({"_id": 2}) is None and view.find_one({"_id": 3})["qty"] == 15  # the point path too
    assert list(view.find({"qty": {"$gt": 2}}, {"_id": 0, "qty": 1}).sort("qty", -1)) == [{"qty": 15}, {"qty": 5}]
    assert view.count_documents({}) == 3 and view.estimated_document_count() == 3
    assert view.count_documents({"item": "apple"}) == 2
    assert sorted(view.distinct("item")) == ["apple", "fig"]
    assert list(view.aggregate([{"$group": {"_id": "$item", "total": {"$sum": "$qty"}}}, {"$sort": {"_id": 1}}])) == [
        {"_id": "apple", "total": 20}, {"_id": "fig", "total": 1}]
    shop.orders.insert_one({"_id": 5, "item": "kiwi", "qty": 2, "status": "A"})  # a view reads its source now
    assert view.count_documents({}) == 4


def test_view_of_a_view_and_lookup_from_a_view(shop):
    shop.create_collection("apples", viewOn="orders", pipeline=[{"$match": {"item": "apple"}}])
    shop.create_collection("big_apples", viewOn="apples", pipeline=[{"$match": {"qty": {"$gte": 10}}}])
    assert [d["_id"] for d in shop.big_apples.find()] == [3]
    shop.items.insert_many([{"_id": "apple"}, {"_id": "fig"}])
    joined = list(shop.items.aggregate([
        {"$lookup": {"from": "apples", "localField": "_id", "foreignField": "item", "as": "orders"}},
        {"$project": {"n": {"$size": "$orders"}}}, {"$sort": {"_id": 1}}]))
    assert joined == [{"_id": "apple", "n": 2}, {"_id": "fig", "n": 0}]
    with pytest.raises(OperationFailure) as info:  # a cycle is refused
        shop.command("collMod", "apples", viewOn="big_apples", pipeline=[])
    assert info.value.code == 5 and info.value.details["codeName"] == "GraphContainsCycle"
    for i in range(20):  # 20 views over views at most
        shop.command("create", f"chain{i}", viewOn=f"chain{i - 1}" if i else "orders", pipeline=[])
    assert shop.chain19.count_documents({}) == 4
    with pytest.raises(OperationFailure) as info:
        shop.command("create", "chain20", viewOn="chain19", pipeline=[])
    assert info.value.code == 165


def test_writes_to_a_view_fail_with_166(shop):
    shop.create_collection("v", viewOn="orders", pipeline=[])
    for call in (lambda: shop.v.insert_one({"x": 1}), lambda: shop.v.update_one({}, {"$set": {"x": 1}}),
                 lambda: shop.v.delete_many({}), lambda: shop.v.find_one_and_update({}, {"$set": {"x": 1}}),
                 lambda: shop.v.create_index("x"), lambda: list(shop.v.list_indexes())):
        with pytest.raises(OperationFailure) as info:
            call()
        assert info.value.code == 166 and info.value.details["codeName"] == "CommandNotSupportedOnView", call
    assert shop.orders.count_documents({}) == 4 and "x" not in shop.orders.find_one()


def test_create_refusals_and_drop(shop, mongo_server):
    shop.create_collection("v", viewOn="orders", pipeline=[{"$match": {"qty": 1}}])
    with pytest.raises(OperationFailure) as info:
        shop.command("create", "v", viewOn="orders", pipeline=[])
    assert info.value.code == 48
    with pytest.raises(OperationFailure) as info:
        shop.command("create", "v")
    assert info.value.code == 48
    with pytest.raises(OperationFailure) as info:
        shop.command("create", "orders", viewOn="v", pipeline=[])
    assert info.value.code == 48
    with pytest.raises(OperationFailure) as info:
        shop.create_collection("w", viewOn="orders", pipeline=[{"$out": "x"}])
    assert info.value.code == 167
    with pytest.raises(OperationFailure) as info:
        shop.command("create", "w", pipeline=[])
    assert info.value.code == 2
    with pytest.raises(OperationFailure) as info:
        shop.create_collection("w", viewOn="orders", pipeline=[], capped=True, size=4096)
    assert info.value.code == 167
    with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as conn:  # SQL sees a view with no rows
        assert conn.execute("select count(*) from viewshop.v").fetchone() == (0,)
    shop.command("collMod", "v", viewOn="orders", pipeline=[{"$match": {"qty": 10}}])
    assert [d["_id"] for d in shop.v.find()] == [2]
    shop.v.drop()
    assert "v" not in shop.list_collection_names() and shop.v.find_one() is None
    shop.create_collection("v")  # the name is free again, for a collection
    shop.v.insert_one({"_id": 1})
    assert shop.v.count_documents({}) == 1
