"""Logical sessions and multi-document transactions (pymongo and motor), retryable writes."""

from __future__ import annotations

import asyncio

import psycopg
import pymongo
import pytest
from motor.motor_asyncio import AsyncIOMotorClient
from pymongo.errors import OperationFailure


def test_commit_and_abort(client, coll, mongo_server):
    coll.insert_one({"_id": "acct", "balance": 100})
    with client.start_session() as session:
        with session.start_transaction():
            coll.update_one({"_id": "acct"}, {"$inc": {"balance": -30}}, session=session)
            coll.insert_one({"_id": "log1", "delta": -30}, session=session)
            assert coll.find_one({"_id": "acct"}, session=session)["balance"] == 70
            assert coll.find_one({"_id": "acct"})["balance"] == 100  # not visible outside yet
            with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as conn:
                assert conn.execute(f'select count(*) from testdb."{coll.name}"').fetchone() == (1,)
        assert coll.find_one({"_id": "acct"})["balance"] == 70
        session.start_transaction()
        coll.delete_one({"_id": "acct"}, session=session)
        session.abort_transaction()
    assert coll.count_documents({}) == 2


def test_with_transaction_and_count_refused(client, coll):
    def work(session):
        coll.insert_one({"_id": 1}, session=session)
        coll.insert_one({"_id": 2}, session=session)
        return "done"

    with client.start_session() as session:
        assert session.with_transaction(work) == "done"
        with pytest.raises(OperationFailure) as info, session.start_transaction():
            coll.database.command("count", coll.name, session=session)
        assert info.value.code == 263
    assert sorted(d["_id"] for d in coll.find()) == [1, 2]


def test_duplicate_key_aborts_the_transaction(client, coll):
    coll.insert_one({"_id": 1})
    with client.start_session() as session:
        session.start_transaction()
        coll.insert_one({"_id": 2}, session=session)
        with pytest.raises(pymongo.errors.DuplicateKeyError):
            coll.insert_one({"_id": 1}, session=session)
        with pytest.raises(OperationFailure) as info:
            session.commit_transaction()
        assert info.value.code == 251
    assert [d["_id"] for d in coll.find()] == [1]


def test_write_conflict_is_transient(client, coll):
    coll.insert_one({"_id": "x", "n": 0})
    with client.start_session() as s1, client.start_session() as s2:
        s1.start_transaction()
        s2.start_transaction()
        coll.update_one({"_id": "x"}, {"$inc": {"n": 1}}, session=s1)
        with pytest.raises(OperationFailure) as info:  # fails at once, does not wait for s1
            coll.update_one({"_id": "x"}, {"$inc": {"n": 10}}, session=s2)
        assert info.value.code == 112 and info.value.has_error_label("TransientTransactionError")
        s1.commit_transaction()
    assert coll.find_one({"_id": "x"})["n"] == 1


def test_motor_crud_and_transaction(mongo_uri):
    async def scenario():
        client = AsyncIOMotorClient(mongo_uri, serverSelectionTimeoutMS=10_000)
        coll = client.testdb.motor_things
        await coll.drop()
        await coll.insert_many([{"_id": i, "v": i * i} for i in range(50)])
        docs = await coll.find({"v": {"$gt": 2000}}).sort("v", -1).to_list(None)
        async with await client.start_session() as session, session.start_transaction():
            await coll.update_many({}, {"$inc": {"v": 1}}, session=session)
        total = await coll.aggregate([{"$group": {"_id": None, "s": {"$sum": "$v"}}}]).to_list(None)
        client.close()
        return [d["_id"] for d in docs], total[0]["s"]

    ids, total = asyncio.run(scenario())
    assert ids == [49, 48, 47, 46, 45]
    assert total == sum(i * i for i in range(50)) + 50


def test_catalog_changes_are_refused_inside_a_transaction(client):
    coll = client.txdb.refusals
    coll.drop()
    coll.insert_one({"_id": 1})
    attempts = [lambda s: coll.drop(session=s), lambda s: coll.rename("elsewhere", session=s),
                lambda s: coll.create_index("a", session=s), lambda s: coll.drop_indexes(session=s),
                lambda s: list(coll.aggregate([{"$out": "copy"}], session=s))]
    for attempt in attempts:
        with client.start_session() as session:
            session.start_transaction()
            with pytest.raises(OperationFailure) as refused:
                attempt(session)
            assert refused.value.code == 263
            session.abort_transaction()
    with client.start_session() as session, session.start_transaction():  # a new collection may get indexes
        client.txdb.fresh_in_txn.insert_one({"a": 1}, session=session)
        client.txdb.fresh_in_txn.create_index("a", session=session)
    assert "a_1" in client.txdb.fresh_in_txn.index_information()
    client.txdb.fresh_in_txn.drop()
