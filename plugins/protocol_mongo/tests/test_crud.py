"""CRUD through pymongo: queries, projections, cursors, updates, upserts, errors, BSON round trips."""

from __future__ import annotations

import datetime
import re
import uuid

import bson
import pytest
from bson import Binary, Code, DBRef, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.codec_options import CodecOptions
from pymongo import ASCENDING, DESCENDING, CursorType, ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure, WriteConcernError, WriteError
from pymongo.write_concern import WriteConcern


def test_every_bson_type_round_trips(coll):
    doc = {
        "_id": ObjectId(), "int32": 7, "int64": Int64(7), "double": 7.0, "nan": float("nan"),
        "inf": float("-inf"), "string": "héllo", "bool": True, "null": None, "decimal": Decimal128("1.10"),
        "date": datetime.datetime(2024, 2, 29, 12, 30, 1, 123000, tzinfo=datetime.UTC),
        "binary": Binary(b"\x00\x01", 0), "uuid": Binary(uuid.uuid4().bytes, 4), "regex": Regex("^a.*", "i"),
        "timestamp": Timestamp(1700000000, 3), "minkey": MinKey(), "maxkey": MaxKey(), "code": Code("x = 1"),
        "big": Int64(2**53 + 1), "nested": {"arr": [1, Int64(2), {"d": Decimal128("3")}], "empty": {}},
        "dbref": DBRef("other", 5),
    }
    coll.insert_one(doc)
    raw = coll.with_options(codec_options=CodecOptions(tz_aware=True)).find_one({"_id": doc["_id"]})
    assert set(raw) == set(doc)
    for key, value in doc.items():  # the exact BSON bytes of every value (type tags included)
        assert bson.encode({key: raw[key]}) == bson.encode({key: value}), key
    assert next(iter(raw)) == "_id"


def test_comparison_and_logical_operators(coll):
    coll.insert_many([{"_id": i, "n": i, "s": f"s{i}", "tags": ["even" if i % 2 == 0 else "odd", f"t{i % 3}"]}
                      for i in range(20)])
    ids = lambda flt: sorted(d["_id"] for d in coll.find(flt))
    assert ids({"n": {"$gte": 5, "$lt": 8}}) == [5, 6, 7]
    assert ids({"n": {"$in": [1, 3, 99]}}) == [1, 3]
    assert ids({"n": {"$nin": list(range(2, 20))}}) == [0, 1]
    assert ids({"$or": [{"n": 1}, {"s": "s2"}]}) == [1, 2]
    assert ids({"$and": [{"n": {"$gt": 15}}, {"tags": "odd"}]}) == [17, 19]
    assert ids({"$nor": [{"n": {"$lt": 18}}]}) == [18, 19]
    assert ids({"n": {"$not": {"$lt": 18}}}) == [18, 19]
    assert ids({"tags": {"$all": ["even", "t0"]}}) == [0, 6, 12, 18]
    assert ids({"tags": {"$size": 2}, "n": {"$mod": [7, 0]}}) == [0, 7, 14]
    assert ids({"s": {"$regex": "^S1", "$options": "i"}, "n": {"$lt": 12}}) == [1, 10, 11]
    assert ids({"s": re.compile("^s1[89]")}) == [18, 19]
    assert ids({"$expr": {"$eq": [{"$mod": ["$n", 5]}, 0]}}) == [0, 5, 10, 15]
    assert ids({"missing": {"$exists": False}, "n": 3}) == [3]
    assert ids({"n": {"$type": "int"}, "_id": {"$lt": 2}}) == [0, 1]


def test_dotted_paths_arrays_and_cross_type_order(coll):
    coll.insert_many([
        {"_id": 1, "items": [{"sku": "a", "qty": 5}, {"sku": "b", "qty": 1}]},
        {"_id": 2, "items": [{"sku": "a", "qty": 1}]},
        {"_id": 3, "v": "text"}, {"_id": 4, "v": 10}, {"_id": 5, "v": None}, {"_id": 6, "v": [3, 30]},
        {"_id": 7, "v": Int64(10)}, {"_id": 8, "v": 10.0},
    ])
    ids = lambda flt, **kw: [d["_id"] for d in coll.find(flt, **kw)]
    assert sorted(ids({"items.sku": "b"})) == [1]
    assert sorted(ids({"items": {"$elemMatch": {"sku": "a", "qty": {"$gt": 2}}}})) == [1]
    assert sorted(ids({"items.0.qty": 1})) == [2]
    assert sorted(ids({"v": {"$gt": 5}})) == [4, 6, 7, 8]  # type bracketing: "text" is not > 5
    assert sorted(ids({"v": 10})) == [4, 7, 8]  # numbers compare by value across types
    assert sorted(ids({"v": None})) == [1, 2, 5]
    order = ids({"_id": {"$gte": 3}}, sort=[("v", ASCENDING), ("_id", ASCENDING)])
    assert order == [5, 6, 4, 7, 8, 3]  # null < numbers (array by its smallest) < strings


def test_projection_sort_skip_limit_and_cursors(coll):
    coll.insert_many([{"_id": i, "a": {"b": i, "c": -i}, "arr": list(range(5)), "x": i % 7} for i in range(10_000)])
    assert coll.count_documents({}) == 10_000
    seen = [d["_id"] for d in coll.find({}, {"_id": 1}).sort("_id", DESCENDING).batch_size(1000)]
    assert seen == list(range(9_999, -1, -1))
    page = list(coll.find({"x": 3}, {"a.b": 1, "_id": 0}).sort([("a.b", DESCENDING)]).skip(2).limit(3))
    assert page == [{"a": {"b": 9_985}}, {"a": {"b": 9_978}}, {"a": {"b": 9_971}}]
    assert coll.find_one({"_id": 4}, {"arr": {"$slice": -2}, "a": 0}) == {"_id": 4, "arr": [3, 4], "x": 4}
    cursor = coll.find({}).batch_size(10)
    next(cursor)
    cursor_id = cursor.cursor_id
    assert cursor_id
    cursor.close()
    with pytest.raises(OperationFailure) as info:
        coll.database.command("getMore", Int64(cursor_id), collection=coll.name)
    assert info.value.code == 43


def test_update_operators(coll):
    coll.insert_one({"_id": 1, "n": 1, "f": 2.5, "arr": [1, 2, 3, 2], "doc": {"x": 1}, "tags": ["a"],
                     "grades": [{"g": 80, "ok": False}, {"g": 95, "ok": False}]})
    coll.update_one({"_id": 1}, {"$inc": {"n": 2}, "$mul": {"f": 2}, "$set": {"doc.y": "new"}, "$unset": {"doc.x": ""},
                                 "$rename": {"tags": "labels"}, "$min": {"low": 5}, "$max": {"n2": 9},
                                 "$currentDate": {"at": True}})
    doc = coll.find_one({"_id": 1})
    assert doc["n"] == 3 and doc["f"] == 5.0 and doc["doc"] == {"y": "new"} and doc["labels"] == ["a"]
    assert "tags" not in doc and doc["low"] == 5 and doc["n2"] == 9 and isinstance(doc["at"], datetime.datetime)
    coll.update_one({"_id": 1}, {"$push": {"arr": {"$each": [9, 0], "$sort": 1, "$slice": 4}},
                                 "$addToSet": {"labels": {"$each": ["a", "b"]}}, "$pull": {"grades": {"g": 80}}})
    doc = coll.find_one({"_id": 1})
    assert doc["arr"] == [0, 1, 2, 2] and doc["labels"] == ["a", "b"] and doc["grades"] == [{"g": 95, "ok": False}]
    coll.update_one({"_id": 1}, {"$pop": {"arr": -1}, "$pullAll": {"labels": ["b"]}})
    coll.update_one({"_id": 1, "arr": 2}, {"$set": {"arr.$": 20}})
    doc = coll.find_one({"_id": 1})
    assert doc["arr"] == [1, 20, 2] and doc["labels"] == ["a"]
    coll.update_one({"_id": 1}, {"$inc": {"arr.$[]": 1}})
    coll.update_one({"_id": 1}, {"$set": {"arr.$[big]": 0}},
                    array_filters=[{"big": {"$gt": 10}}])
    assert coll.find_one({"_id": 1})["arr"] == [2, 0, 3]


def test_upsert_replace_and_find_and_modify(coll):
    result = coll.update_one({"name": "ada", "age": {"$gt": 3}}, {"$set": {"lang": "en"}, "$setOnInsert": {"n": 1}},
                             upsert=True)
    assert result.upserted_id is not None and result.matched_count == 0
    assert coll.find_one({"name": "ada"}, {"_id": 0}) == {"name": "ada", "lang": "en", "n": 1}
    coll.replace_one({"name": "ada"}, {"name": "ada", "v": 2})
    assert coll.find_one({"name": "ada"}, {"_id": 0}) == {"name": "ada", "v": 2}
    coll.insert_many([{"_id": i, "q": i} for i in range(5)])
    got = coll.find_one_and_update({"q": {"$gte": 2}}, {"$inc": {"q": 100}}, sort=[("q", DESCENDING)],
                                   return_document=ReturnDocument.AFTER)
    assert got == {"_id": 4, "q": 104}
    gone = coll.find_one_and_delete({"q": 0})
    assert gone == {"_id": 0, "q": 0} and coll.count_documents({"q": 0}) == 0
    assert coll.find_one_and_replace({"_id": 9}, {"z": 1}, upsert=True, return_document=ReturnDocument.AFTER) == {
        "_id": 9, "z": 1}
    assert coll.distinct("q") == [1, 2, 3, 104]
    assert coll.delete_many({"q": {"$lt": 10}}).deleted_count == 3


def test_error_codes(coll):
    coll.insert_one({"_id": "k", "s": "text"})
    with pytest.raises(DuplicateKeyError) as dup:
        coll.insert_one({"_id": "k"})
    assert dup.value.code == 11000 and 'dup key: { _id: "k" }' in str(dup.value) and "E11000" in str(dup.value)
    with pytest.raises(BulkWriteError) as bulk:
        coll.insert_many([{"_id": "a"}, {"_id": "k"}, {"_id": "b"}], ordered=False)
    assert bulk.value.details["nInserted"] == 2 and bulk.value.details["writeErrors"][0]["index"] == 1
    with pytest.raises(WriteError) as info:
        coll.update_one({"_id": "k"}, {"$inc": {"s": 1}})
    assert info.value.code == 14
    with pytest.raises(WriteError) as info:
        coll.update_one({"_id": "k"}, {"$set": {"_id": "other"}})
    assert info.value.code == 66
    with pytest.raises(WriteError) as info:
        coll.update_one({"_id": "k"}, {"$bogus": {"s": 1}})
    assert info.value.code == 9
    with pytest.raises(OperationFailure) as info:
        list(coll.find({"s": {"$bogus": 1}}))
    assert info.value.code == 2
    coll.insert_one({"_id": "big", "blob": "x" * (9 * 1024 * 1024)})
    with pytest.raises(WriteError) as info:  # an update that grows a document past 16 MiB
        coll.update_one({"_id": "big"}, {"$set": {"more": "y" * (8 * 1024 * 1024)}})
    assert info.value.code == 10334


def test_json_schema_validator(client):
    db = client.testdb
    db.validated.drop()
    db.create_collection("validated", validator={"$jsonSchema": {
        "bsonType": "object", "required": ["name", "age"],
        "properties": {"name": {"bsonType": "string"}, "age": {"bsonType": "int", "minimum": 0}}}})
    coll = db.validated
    coll.insert_one({"name": "ada", "age": 36})
    for bad in ({"name": "bob"}, {"name": 7, "age": 1}, {"name": "eve", "age": -1}):
        with pytest.raises(WriteError) as info:
            coll.insert_one(bad)
        assert info.value.code == 121
    with pytest.raises(WriteError) as info:
        coll.update_one({"name": "ada"}, {"$unset": {"age": ""}})
    assert info.value.code == 121
    coll.insert_one({"name": "raw"}, bypass_document_validation=True)
    assert coll.count_documents({}) == 2
    options = next(c for c in db.list_collections() if c["name"] == "validated")["options"]
    assert options["validator"]["$jsonSchema"]["required"] == ["name", "age"]


def test_explain_names_the_key_lookup(coll):
    coll.insert_one({"_id": "a", "tag": "x"})
    plan = coll.find({"_id": "a"}).explain()["queryPlanner"]["winningPlan"]
    assert plan["stage"] == "IDHACK" and "_id = $1" in plan["sql"]
    assert coll.find({"n": {"$gt": 1}}).explain()["queryPlanner"]["winningPlan"]["stage"] == "COLLSCAN"


def test_hints_name_existing_indexes_and_write_concern_has_one_member(coll):
    coll.insert_one({"_id": 1, "a": 1})
    coll.create_index("a")
    assert list(coll.find({"a": 1}).hint("a_1")) == [{"_id": 1, "a": 1}]
    assert list(coll.find({"a": 1}).hint([("_id", 1)])) == [{"_id": 1, "a": 1}]
    with pytest.raises(OperationFailure) as info:
        list(coll.find({"a": 1}).hint("no_such_index"))
    assert info.value.code == 2
    coll.with_options(write_concern=WriteConcern(w="majority")).insert_one({"_id": 2})
    with pytest.raises(WriteConcernError) as info:
        coll.with_options(write_concern=WriteConcern(w=3)).insert_one({"_id": 3})
    assert info.value.code == 100


def test_replies_carry_the_cluster_time_for_causal_sessions(client, coll):
    with client.start_session(causal_consistency=True) as session:
        coll.insert_one({"x": 1}, session=session)
        first = session.operation_time
        coll.find_one({}, session=session)
        assert first is not None and session.operation_time > first
        assert session.cluster_time["clusterTime"] >= session.operation_time


def test_validate_reads_every_document(client, coll):
    coll.insert_many([{"i": i} for i in range(5)])
    reply = client.testdb.command("validate", coll.name)
    assert reply["valid"] is True and reply["nrecords"] == 5
    with pytest.raises(OperationFailure) as missing:
        client.testdb.command("validate", "no_such_collection")
    assert missing.value.code == 26
    assert client.testdb.validate_collection(coll.name, background=True)["valid"] is True
    with pytest.raises(OperationFailure) as both:
        client.testdb.validate_collection(coll.name, full=True, background=True)
    assert both.value.code == 72


def test_index_options_are_listed_back(coll):
    coll.create_index("a", background=True)
    assert coll.index_information()["a_1"]["background"] is True


def test_projection_of_id_alone_and_dotted_collection_names(client):
    coll = client.testdb["fs.files"]
    coll.drop()
    coll.insert_many([{"_id": 1, "a": 1, "b": 2}, {"_id": 2, "a": 3}])
    assert list(coll.find_one({"_id": 1}, {"_id": True})) == ["_id"]
    assert coll.find_one({"_id": 2}, {"_id": 0, "a": 1}) == {"a": 3}


def test_min_and_max_bound_the_hinted_index(coll):
    coll.create_index([("j", ASCENDING), ("k", DESCENDING)])
    coll.insert_many([{"j": j, "k": j % 3} for j in range(10)])
    hint = [("j", ASCENDING), ("k", DESCENDING)]
    assert [d["j"] for d in coll.find().min([("j", 3), ("k", 0)]).max([("j", 6), ("k", 0)]).hint(hint)] \
        == [3, 4, 5]
    assert len(coll.find().max([("j", 3), ("k", 9)]).hint(hint).to_list()) == 3
    with pytest.raises(OperationFailure):
        coll.find().max([("k", 3), ("j", 3)]).hint(hint).to_list()  # not the index's order
    with pytest.raises(OperationFailure) as unhinted:
        coll.database.command("find", coll.name, max={"j": 3})  # pymongo itself refuses it without a hint
    assert unhinted.value.code == 51173


def test_a_bad_update_is_refused_when_nothing_matches(coll):
    with pytest.raises(OperationFailure) as refused:
        coll.update_many({}, {"$thismodifierdoesntexist": 1})
    assert refused.value.code == 9


def test_fsync_answers_and_refuses_the_lock(client):
    assert client.admin.command("fsync")["ok"] == 1.0
    with pytest.raises(OperationFailure) as locked:
        client.admin.command("fsync", lock=True)
    assert locked.value.code == 115


def test_hinted_index_orders_results_and_explain_checks_the_hint(coll):
    coll.insert_many([{"_id": i, "num": i} for i in range(20)])
    coll.create_index([("num", DESCENDING)], name="num_down")
    assert next(coll.find())["num"] == 0
    assert next(coll.find().hint("num_down"))["num"] == 19  # the index's order, as a scan of it gives
    assert next(coll.find().hint([("num", DESCENDING)]).sort("num", ASCENDING))["num"] == 0  # a sort wins
    with pytest.raises(OperationFailure) as info:
        coll.find({"num": 3}).hint([("other", ASCENDING)]).explain()
    assert info.value.code == 2
    stats = coll.find({"num": {"$gte": 15}}).explain()["executionStats"]
    assert (stats["nReturned"], stats["totalDocsExamined"]) == (5, 20)
    planner_only = coll.database.command("explain", {"find": coll.name}, verbosity="queryPlanner")
    assert "executionStats" not in planner_only


def test_exhaust_cursor_streams_every_batch(coll):
    coll.insert_many([{"_id": i} for i in range(250)])
    cursor = coll.find(cursor_type=CursorType.EXHAUST, batch_size=10).sort("_id", ASCENDING)
    assert [d["_id"] for d in cursor] == list(range(250))
    assert coll.find_one({"_id": 249}) == {"_id": 249}  # the connection is usable after the stream
