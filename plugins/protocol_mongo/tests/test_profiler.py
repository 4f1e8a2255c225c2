"""The database profiler: profile levels, slowms, filter and the system.profile collection (pymongo)."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure


@pytest.fixture
def profiled_db(client):
    db = client.profiled_testdb
    client.drop_database(db)
    yield db
    db.command("profile", 0, slowms=100, sampleRate=1.0, filter="unset")
    db.system.profile.drop()


def test_level_two_keeps_every_operation(profiled_db):
    db = profiled_db
    assert db.command("profile", -1)["was"] == 0
    reply = db.command("profile", 2)
    assert (reply["was"], reply["slowms"], reply["sampleRate"]) == (0, 100, 1.0)
    db.coll.insert_many([{"type": "a"}, {"type": "b"}])
    db.coll.find().comment("foo").to_list()
    db.coll.find().comment("foo").distinct("type")
    db.command("profile", 0)
    assert db.system.profile.count_documents({"ns": f"{db.name}.coll", "op": "query", "command.comment": "foo"}) == 1
    assert db.system.profile.count_documents({"ns": f"{db.name}.coll", "op": "command", "command.distinct": "coll",
                                              "command.comment": "foo"}) == 1
    insert = db.system.profile.find_one({"op": "insert"})
    assert insert["ninserted"] == 2 and isinstance(insert["millis"], int) and "ts" in insert
    query = db.system.profile.find_one({"op": "query"})
    assert query["nreturned"] == 2
    before = db.system.profile.count_documents({})
    db.coll.find_one()
    assert db.system.profile.count_documents({}) == before  # level 0: nothing more
    assert "system.profile" in db.list_collection_names()
    assert db.system.profile.options()["capped"] is True


def test_level_one_slowms_and_filter(profiled_db):
    db = profiled_db
    db.command("profile", 1, slowms=60_000)
    db.coll.insert_one({"x": 1})
    db.coll.find_one({"x": 1})
    assert "system.profile" not in db.list_collection_names()  # nothing that slow
    db.command("profile", 2, filter={"op": "remove"})
    db.coll.insert_one({"x": 2})
    db.coll.delete_one({"x": 2})
    db.command("profile", 0)
    assert [d["op"] for d in db.system.profile.find()] == ["remove"]
    assert db.command("profile", -1)["filter"] == {"op": "remove"}


def test_errors_and_failed_operations(profiled_db):
    db = profiled_db
    with pytest.raises(OperationFailure) as info:
        db.command("profile", 5)
    assert info.value.code == 2
    with pytest.raises(OperationFailure) as info:
        db.command("profile", 2, sampleRate=3)
    assert info.value.code == 2
    db.command("profile", 2)
    with pytest.raises(OperationFailure):
        db.coll.find({"$bad": 1}).to_list()
    db.command("profile", 0)
    failed = db.system.profile.find_one({"ok": 0.0})
    assert failed["errCode"] == 2 and failed["op"] == "query"
    with pytest.raises(OperationFailure) as info:
        db.system.profile.insert_one({"forged": True})
    assert info.value.code == 73
