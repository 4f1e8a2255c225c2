"""Change streams (pymongo's and motor's watch()) against a real server, with writes from MongoDB
clients, from psycopg over SQL and from heliosdb.mongo() inside SQL transactions."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import psycopg
import pymongo
import pytest
from bson import Timestamp
from motor.motor_asyncio import AsyncIOMotorClient
from pymongo.errors import OperationFailure


def _next(stream, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = stream.try_next()
        if event is not None:
            return event
    raise AssertionError("no change event arrived")


def _collect(stream, count: int, timeout: float = 5.0) -> list:
    return [_next(stream, timeout) for _ in range(count)]


def test_events_of_a_collection(client, coll):
    coll.insert_one({"_id": 0})
    with coll.watch(max_await_time_ms=200) as stream:
        assert stream.try_next() is None  # what was there before is not an event
        coll.insert_one({"_id": 1, "a": 1, "arr": [1, 2, 3], "sub": {"x": 1, "y": 2}})
        coll.update_one({"_id": 1}, {"$set": {"a": 2, "sub.x": 5}, "$unset": {"sub.y": ""}, "$pop": {"arr": 1}})
        coll.update_one({"_id": 1}, {"$push": {"arr": 9}})
        coll.replace_one({"_id": 1}, {"b": 1})
        coll.delete_one({"_id": 1})
        events = _collect(stream, 5)
    kinds = [e["operationType"] for e in events]
    assert kinds == ["insert", "update", "update", "replace", "delete"]
    insert, update, push, replace, delete = events
    assert insert["fullDocument"] == {"_id": 1, "a": 1, "arr": [1, 2, 3], "sub": {"x": 1, "y": 2}}
    assert insert["ns"] == {"db": "testdb", "coll": coll.name} and insert["documentKey"] == {"_id": 1}
    assert isinstance(insert["clusterTime"], Timestamp) and insert["wallTime"] is not None
    assert update["updateDescription"] == {"updatedFields": {"a": 2, "sub.x": 5}, "removedFields": ["sub.y"],
                                           "truncatedArrays": [{"field": "arr", "newSize": 2}]}
    assert "fullDocument" not in update
    assert push["updateDescription"]["updatedFields"] == {"arr.2": 9}
    assert replace["fullDocument"] == {"_id": 1, "b": 1}
    assert delete["documentKey"] == {"_id": 1} and "fullDocument" not in delete
    tokens = [e["_id"]["_data"] for e in events]
    assert tokens == sorted(tokens) and len(set(tokens)) == 5


def test_full_document_options(client, coll):
    coll.insert_one({"_id": 1, "n": 0})
    with coll.watch(full_document="updateLookup", max_await_time_ms=200) as lookup, \
            coll.watch(full_document="whenAvailable", full_document_before_change="whenAvailable",
                       max_await_time_ms=200) as images:
        coll.update_one({"_id": 1}, {"$inc": {"n": 1}})
        coll.update_one({"_id": 1}, {"$inc": {"n": 1}})
        first = _next(images)  # no changeStreamPreAndPostImages on the collection: null images
        assert first["fullDocument"] is None and first["fullDocumentBeforeChange"] is None
        assert _next(lookup)["fullDocument"] == {"_id": 1, "n": 2}  # the document as it is now
    client.testdb.command("collMod", coll.name, changeStreamPreAndPostImages={"enabled": True})
    info = next(i for i in client.testdb.list_collections() if i["name"] == coll.name)
    assert info["options"]["changeStreamPreAndPostImages"] == {"enabled": True}
    with coll.watch(full_document="required", full_document_before_change="required",
                    max_await_time_ms=200) as required:
        coll.update_one({"_id": 1}, {"$inc": {"n": 1}})
        coll.replace_one({"_id": 1}, {"r": 1})
        coll.delete_one({"_id": 1})
        update, replace, delete = _collect(required, 3)
    assert update["fullDocument"] == {"_id": 1, "n": 3}  # the document as this update left it
    assert update["fullDocumentBeforeChange"] == {"_id": 1, "n": 2}
    assert replace["fullDocumentBeforeChange"] == {"_id": 1, "n": 3} and replace["fullDocument"] == {"_id": 1, "r": 1}
    assert delete["fullDocumentBeforeChange"] == {"_id": 1, "r": 1}
    client.testdb.command("collMod", coll.name, changeStreamPreAndPostImages={"enabled": False})
    coll.insert_one({"_id": 2})
    with coll.watch(full_document_before_change="required", max_await_time_ms=200) as strict:
        coll.delete_one({"_id": 2})
        with pytest.raises(OperationFailure) as failure:
            _next(strict)
    assert failure.value.code == 47
    with coll.watch(max_await_time_ms=200) as plain:  # off: no field at all
        coll.insert_one({"_id": 3})
        coll.delete_one({"_id": 3})
        assert "fullDocumentBeforeChange" not in _collect(plain, 2)[1]
    with pytest.raises(OperationFailure) as failure:
        coll.watch(full_document_before_change="sometimes")
    assert failure.value.code == 2


def test_watcher_thread_sees_another_client_and_sql(client, coll, mongo_server, mongo_uri):
    coll.insert_one({"_id": "seed"})
    seen: list = []
    ready = threading.Event()

    def watch() -> None:
        with pymongo.MongoClient(mongo_uri) as other, other.testdb[coll.name].watch(max_await_time_ms=100) as stream:
            ready.set()
            seen.extend(_collect(stream, 5, timeout=10))

    thread = threading.Thread(target=watch)
    thread.start()
    assert ready.wait(10)
    coll.insert_one({"_id": "m", "v": 1})
    table = f'testdb."{coll.name}"'
    with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as conn:
        conn.execute(f"insert into {table} (_id, doc) values (%s, %s)", (json.dumps("s"), json.dumps({"_id": "s", "v": 1})))
        conn.execute(f"""update {table} set doc = jsonb_set(doc, '{{v}}', '2') where _id = '"s"'""")
        conn.execute(f"""delete from {table} where _id = '"m"'""")
        with conn.transaction():
            conn.execute("select heliosdb.mongo('testdb', %s)",
                         (json.dumps({"insert": coll.name, "documents": [{"_id": "f", "via": "sql"}]}),))
    thread.join(15)
    assert [(e["operationType"], e["documentKey"]["_id"]) for e in seen] == [
        ("insert", "m"), ("insert", "s"), ("update", "s"), ("delete", "m"), ("insert", "f")]
    assert seen[1]["fullDocument"] == {"_id": "s", "v": 1}
    assert seen[2]["updateDescription"]["updatedFields"] == {"v": 2}
    assert seen[4]["fullDocument"] == {"_id": "f", "via": "sql"}


def test_only_committed_changes_in_commit_order(client, coll, mongo_server):
    coll.insert_one({"_id": 0})
    table = f'testdb."{coll.name}"'
    with coll.watch(max_await_time_ms=200) as stream:
        with psycopg.connect(mongo_server.pg_dsn()) as conn:  # an aborted SQL transaction: nothing
            conn.execute(f"insert into {table} (_id, doc) values ('\"gone\"', '{{\"x\": 1}}')")
            conn.execute("select heliosdb.mongo('testdb', %s)",
                         (json.dumps({"delete": coll.name, "deletes": [{"q": {"_id": 0}, "limit": 1}]}),))
            conn.rollback()
        with client.start_session() as session:  # an aborted MongoDB transaction: nothing
            session.start_transaction()
            coll.insert_one({"_id": "aborted"}, session=session)
            session.abort_transaction()
        with client.start_session() as session, session.start_transaction():  # committed: one cluster time
            coll.insert_one({"_id": "t1"}, session=session)
            coll.insert_one({"_id": "t2"}, session=session)
        coll.insert_one({"_id": "after"})
        events = _collect(stream, 3)
        assert stream.try_next() is None
    assert [e["documentKey"]["_id"] for e in events] == ["t1", "t2", "after"]
    assert events[0]["clusterTime"] == events[1]["clusterTime"] < events[2]["clusterTime"]


def test_resume_after_a_token(client, coll):
    with coll.watch(max_await_time_ms=200) as stream:
        coll.insert_many([{"_id": i} for i in range(4)])
        first = _collect(stream, 2)
        token = stream.resume_token
    assert token == first[-1]["_id"]
    coll.insert_one({"_id": 4})
    with coll.watch(resume_after=token, max_await_time_ms=200) as resumed:
        assert [e["documentKey"]["_id"] for e in _collect(resumed, 3)] == [2, 3, 4]
    with coll.watch(start_after=token, max_await_time_ms=200) as started:
        assert _next(started)["documentKey"]["_id"] == 2
    at = first[0]["clusterTime"]
    with coll.watch(start_at_operation_time=at, max_await_time_ms=200) as timed:
        assert [e["documentKey"]["_id"] for e in _collect(timed, 5)] == [0, 1, 2, 3, 4]
    # the empty batches' token moves on with the commits of other collections and resumes there
    with coll.watch(max_await_time_ms=100) as idle:
        assert idle.try_next() is None
        client.testdb.other_collection.insert_one({})
        assert idle.try_next() is None
        idle_token = idle.resume_token
    coll.insert_one({"_id": 5})
    with coll.watch(resume_after=idle_token, max_await_time_ms=200) as resumed:
        assert _next(resumed)["documentKey"]["_id"] == 5


def test_resume_point_too_old_or_bad(client, coll):
    with pytest.raises(OperationFailure) as info:
        coll.watch(resume_after={"_data": "82" + "0" * 15 + "1" + "0" * 14})
    assert info.value.code == 286
    with pytest.raises(OperationFailure) as info:
        coll.watch(start_at_operation_time=Timestamp(1000, 1))
    assert info.value.code == 286
    with pytest.raises(OperationFailure) as info:
        coll.watch(resume_after={"_data": "nonsense"})
    assert info.value.code == 260


def test_pipeline_over_events(client, coll):
    pipeline = [{"$match": {"operationType": "insert", "fullDocument.keep": True}},
                {"$project": {"fullDocument._id": 1, "operationType": 1}}]
    with coll.watch(pipeline, max_await_time_ms=200) as stream:
        coll.insert_many([{"_id": 1, "keep": False}, {"_id": 2, "keep": True}])
        coll.delete_many({})
        event = _next(stream)
        assert stream.try_next() is None
    assert event["fullDocument"] == {"_id": 2} and event["operationType"] == "insert"
    assert set(event) == {"_id", "fullDocument", "operationType"}
    with pytest.raises(OperationFailure) as info:
        coll.watch([{"$group": {"_id": None}}])
    assert info.value.code == 20
    with pytest.raises(OperationFailure) as info:
        coll.watch([{"$unsupported": 1}])
    assert info.value.code == 40324
    with pytest.raises(OperationFailure) as info:  # change streams read majority-committed data only
        coll.with_options(read_concern=pymongo.read_concern.ReadConcern("local")).watch()
    assert info.value.code == 72
    with coll.watch([{"$project": {"_id": 0}}], max_await_time_ms=200) as broken:
        coll.insert_one({"_id": 3})
        with pytest.raises(OperationFailure) as info:
            _next(broken)
    assert info.value.code == 280 and info.value.details["codeName"] == "ChangeStreamFatalError"
    assert info.value.has_error_label("NonResumableChangeStreamError")


def test_drop_invalidates_a_collection_stream(client, coll):
    coll.insert_one({"_id": 1})
    with coll.watch(max_await_time_ms=200) as stream:
        coll.insert_one({"_id": 2})
        coll.drop()
        events = _collect(stream, 3)
        assert not stream.alive
    assert [e["operationType"] for e in events] == ["insert", "drop", "invalidate"]
    assert events[1]["ns"] == {"db": "testdb", "coll": coll.name}
    invalidate = events[2]["_id"]
    with pytest.raises(OperationFailure) as info:
        coll.watch(resume_after=invalidate)
    assert info.value.code == 260
    with coll.watch(start_after=invalidate, max_await_time_ms=200) as again:
        coll.insert_one({"_id": 3})
        assert _next(again)["documentKey"] == {"_id": 3}


def test_rename_onto_an_existing_collection(client):
    db = client.cs_rename
    client.drop_database("cs_rename")
    db.source.insert_one({"_id": 1})
    db.target.insert_one({"_id": 2})
    with db.source.watch(max_await_time_ms=200) as source, db.target.watch(max_await_time_ms=200) as target:
        db.source.rename("target", dropTarget=True)
        events = _collect(source, 2)
        assert [e["operationType"] for e in events] == ["rename", "invalidate"]
        assert events[0]["to"] == {"db": "cs_rename", "coll": "target"}
        assert [e["operationType"] for e in _collect(target, 2)] == ["drop", "invalidate"]
    client.drop_database("cs_rename")


def test_database_and_client_streams(client):
    db = client.cs_database
    client.drop_database("cs_database")
    db.a.insert_one({"_id": 0})
    with db.watch(max_await_time_ms=200) as db_stream, client.watch(max_await_time_ms=200) as all_stream:
        db.command("profile", 2)  # system.profile's documents are no events of the database
        db.a.insert_one({"_id": 1})
        db.command("profile", 0)
        db.b.insert_one({"_id": 2})
        client.cs_elsewhere.c.insert_one({"_id": 3})
        db.a.rename("renamed")
        client.drop_database("cs_database")
        events = _collect(db_stream, 7)
        seen = [(e["operationType"], e.get("ns", {}).get("coll")) for e in events]
        assert seen[:3] == [("insert", "a"), ("insert", "b"), ("rename", "a")]
        assert sorted(seen[3:5]) == [("drop", "b"), ("drop", "renamed")]
        assert seen[5:] == [("dropDatabase", None), ("invalidate", None)]
        assert events[2]["to"] == {"db": "cs_database", "coll": "renamed"}
        everything = _collect(all_stream, 7)
        assert [e["ns"]["db"] for e in everything[:3]] == ["cs_database", "cs_database", "cs_elsewhere"]
        assert everything[-1]["operationType"] == "dropDatabase" and all_stream.alive
    client.drop_database("cs_elsewhere")


def test_motor_watch(mongo_uri):
    async def run() -> list:
        motor = AsyncIOMotorClient(mongo_uri)
        try:
            coll = motor.testdb.motor_changes
            await coll.drop()
            await coll.insert_one({"_id": 0})
            async with coll.watch(max_await_time_ms=200) as stream:
                async def writer() -> None:
                    await asyncio.sleep(0.3)
                    await coll.insert_one({"_id": 1})
                    await coll.update_one({"_id": 1}, {"$set": {"x": 1}})

                task = asyncio.create_task(writer())
                out = []
                async for event in stream:
                    out.append((event["operationType"], event["documentKey"]["_id"]))
                    if len(out) == 2:
                        break
                await task
                return out
        finally:
            motor.close()

    assert asyncio.run(run()) == [("insert", 1), ("update", 1)]


def test_change_stream_in_a_transaction_is_refused(client, coll):
    coll.insert_one({"_id": 0})
    with client.start_session() as session:
        session.start_transaction()
        with pytest.raises(OperationFailure) as info:
            coll.watch(session=session)
        assert info.value.code == 263
        session.abort_transaction()


def test_sql_drop_table_invalidates_and_change_stream_must_come_first(client, coll, mongo_server):
    coll.insert_one({"_id": 1})
    with coll.watch(max_await_time_ms=200) as stream:
        with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as conn:
            conn.execute(f'drop table testdb."{coll.name}"')
        assert [e["operationType"] for e in _collect(stream, 2)] == ["drop", "invalidate"]
    with pytest.raises(OperationFailure) as info:
        list(coll.aggregate([{"$match": {}}, {"$changeStream": {}}]))
    assert info.value.code == 40602


def test_history_bound_loses_old_resume_points(tmp_path):
    from helios_core.testing import start_server

    server = start_server(tmp_path, {"protocols": {"mongodb": {"change_history_commits": 3}}}, only=["mongodb"])
    try:
        with pymongo.MongoClient(f"mongodb://127.0.0.1:{server.port('mongodb')}/") as small:
            coll = small.testdb.bounded
            with coll.watch(max_await_time_ms=200) as stream:
                coll.insert_one({"_id": 0})
                token = _next(stream)["_id"]
                coll.insert_one({"_id": 1})
                with coll.watch(resume_after=token, max_await_time_ms=200) as held:  # still held
                    assert _next(held)["documentKey"] == {"_id": 1}
                for i in range(2, 6):
                    coll.insert_one({"_id": i})
                with pytest.raises(OperationFailure) as info:  # the commits after it are gone
                    coll.watch(resume_after=token)
                assert info.value.code == 286
                with pytest.raises(OperationFailure) as info:  # a stream that fell behind too
                    _next(stream)
                assert info.value.code == 286
    finally:
        server.stop()


def test_streams_follow_their_branch(client, coll, mongo_server, mongo_uri):
    coll.insert_one({"_id": 0})
    with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as conn:
        conn.execute("drop branch if exists stream_branch")
        conn.execute("create branch stream_branch from main")
    with pymongo.MongoClient(mongo_uri, maxPoolSize=1) as on_branch:
        on_branch.admin.command("heliosdb", 1, branch="stream_branch")
        branch_coll = on_branch.testdb[coll.name]
        with coll.watch(max_await_time_ms=200) as main_stream, \
                branch_coll.watch(max_await_time_ms=200) as branch_stream:
            branch_coll.insert_one({"_id": "on-branch"})
            coll.insert_one({"_id": "on-main"})
            assert _next(branch_stream)["documentKey"] == {"_id": "on-branch"}
            assert _next(main_stream)["documentKey"] == {"_id": "on-main"}
            assert branch_stream.try_next() is None and main_stream.try_next() is None


def test_motor_database_and_client_streams(mongo_uri):
    async def run() -> tuple[list, list]:
        motor = AsyncIOMotorClient(mongo_uri)
        try:
            db = motor.cs_motor
            await motor.drop_database("cs_motor")
            await db.a.insert_one({"_id": 0})
            async with db.watch(max_await_time_ms=200) as db_stream, \
                    motor.watch(max_await_time_ms=200) as all_stream:
                await db.a.insert_one({"_id": 1})
                await db.b.delete_one({"_id": 9})  # deletes nothing: no event
                await db.b.insert_one({"_id": 2})
                seen_db = [(await db_stream.next())["ns"]["coll"] for _ in range(2)]
                seen_all = [(await all_stream.next())["documentKey"]["_id"] for _ in range(2)]
            await motor.drop_database("cs_motor")
            return seen_db, seen_all
        finally:
            motor.close()

    assert asyncio.run(run()) == (["a", "b"], [1, 2])


def test_expanded_events(client):
    db = client.cs_expanded
    client.drop_database("cs_expanded")
    db.target.insert_one({"_id": 0})
    with db.watch(show_expanded_events=True, max_await_time_ms=200) as stream, \
            db.watch(max_await_time_ms=200) as plain:
        db.create_collection("c", validator={"a": {"$exists": True}})
        db.c.insert_one({"_id": 1, "a": {"1": 1}, "arr": [{"1": 1}]})
        db.c.update_one({"_id": 1}, {"$set": {"a.1": 2, "arr.0.1": 3}})
        db.c.create_index("x", name="x_1")
        db.command("collMod", "c", validationAction="warn")
        db.c.drop_index("x_1")
        db.create_collection("v", viewOn="c", pipeline=[])
        db.c.rename("target", dropTarget=True)
        events = _collect(stream, 9)
        assert [e["operationType"] for e in _collect(plain, 4)] == ["insert", "update", "drop", "rename"]
    kinds = [e["operationType"] for e in events]
    assert kinds == ["create", "insert", "update", "createIndexes", "modify", "dropIndexes", "create", "drop",
                     "rename"]
    create, insert, update, created_index, modify, dropped_index, view, drop, rename = events
    uuid = create["collectionUUID"]
    assert create["operationDescription"]["idIndex"]["name"] == "_id_"
    assert insert["collectionUUID"] == uuid == update["collectionUUID"] == rename["collectionUUID"]
    assert update["updateDescription"]["disambiguatedPaths"] == {"a.1": ["a", "1"], "arr.0.1": ["arr", 0, "1"]}
    assert created_index["operationDescription"]["indexes"][0]["name"] == "x_1"
    assert modify["operationDescription"]["validationAction"] == "warn"
    assert dropped_index["operationDescription"]["indexes"][0]["key"] == {"x": 1}
    assert view["ns"] == {"db": "cs_expanded", "coll": "v"} and view["operationDescription"]["viewOn"] == "c"
    assert drop["ns"]["coll"] == "target" and drop["collectionUUID"] != uuid
    assert rename["operationDescription"] == {"to": {"db": "cs_expanded", "coll": "target"},
                                              "dropTarget": drop["collectionUUID"]}
    client.drop_database("cs_expanded")
