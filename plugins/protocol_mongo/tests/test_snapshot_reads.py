"""Snapshot reads outside transactions: readConcern level "snapshot" with atClusterTime (pymongo)."""

from __future__ import annotations

import pytest
from bson import Timestamp
from pymongo.errors import OperationFailure


def test_snapshot_session_reads_one_point_in_time(client, coll):
    coll.insert_many([{"_id": i, "x": i} for i in range(5)])
    with client.start_session(snapshot=True) as session:
        assert coll.find_one({"_id": 1}, session=session)["x"] == 1  # fixes the session's atClusterTime
        coll.insert_one({"_id": 10, "x": 10})
        coll.update_one({"_id": 1}, {"$set": {"x": 100}})
        assert coll.find_one({"_id": 1})["x"] == 100  # outside the session: the latest commit
        assert coll.find_one({"_id": 1}, session=session)["x"] == 1
        assert len(list(coll.find({}, session=session).batch_size(2))) == 5  # getMore stays in the snapshot
        total = list(coll.aggregate([{"$group": {"_id": None, "s": {"$sum": "$x"}}}], session=session))
        assert total[0]["s"] == 10
        assert coll.distinct("x", session=session) == [0, 1, 2, 3, 4]


def test_at_cluster_time_reads_the_past(client, coll):
    db = coll.database
    coll.insert_one({"_id": 1, "v": "old"})
    then = db.command("ping")["operationTime"]
    coll.update_one({"_id": 1}, {"$set": {"v": "new"}})
    coll.insert_one({"_id": 2, "v": "later"})
    reply = db.command("find", coll.name, filter={}, readConcern={"level": "snapshot", "atClusterTime": then})
    assert reply["cursor"]["firstBatch"] == [{"_id": 1, "v": "old"}]
    assert reply["cursor"]["atClusterTime"] == then
    reply = db.command("find", coll.name, filter={}, readConcern={"level": "snapshot"})
    assert len(reply["cursor"]["firstBatch"]) == 2 and isinstance(reply["cursor"]["atClusterTime"], Timestamp)
    reply = db.command("distinct", coll.name, key="v", readConcern={"level": "snapshot", "atClusterTime": then})
    assert reply["values"] == ["old"] and reply["atClusterTime"] == then


def test_snapshot_errors(client, coll):
    db = coll.database
    coll.insert_one({"_id": 1})
    with pytest.raises(OperationFailure) as info:  # past the retention window
        db.command("find", coll.name, readConcern={"level": "snapshot", "atClusterTime": Timestamp(1, 1)})
    assert info.value.code == 239
    with pytest.raises(OperationFailure) as info:  # ahead of the cluster
        db.command("find", coll.name, readConcern={"level": "snapshot", "atClusterTime": Timestamp(2**32 - 1, 1)})
    assert info.value.code == 72
    with pytest.raises(OperationFailure) as info:
        db.command("find", coll.name, readConcern={"level": "local", "atClusterTime": Timestamp(2**31, 1)})
    assert info.value.code == 72
    with pytest.raises(OperationFailure) as info:  # count cannot read at a snapshot outside a transaction
        db.command("count", coll.name, readConcern={"level": "snapshot"})
    assert info.value.code == 72
