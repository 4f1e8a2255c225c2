"""collMod: validators, validation level and action, capped caps, index options (pymongo)."""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure, WriteError


def test_validator_added_changed_and_removed(coll):
    db = coll.database
    coll.insert_one({"_id": "before", "z": -1})
    db.command("collMod", coll.name, validator={"z": {"$gte": 0}})
    assert coll.options()["validator"] == {"z": {"$gte": 0}}
    with pytest.raises(WriteError) as info:
        coll.insert_one({"z": -5})
    assert info.value.code == 121
    coll.insert_one({"z": 5})
    coll.insert_one({"z": -5}, bypass_document_validation=True)
    db.command("collMod", coll.name, validationAction="warn")
    coll.insert_one({"z": -6})  # warn: written
    db.command("collMod", coll.name, validationAction="error", validator={"z": {"$type": "string"}})
    with pytest.raises(WriteError):
        coll.insert_one({"z": 1})
    db.command("collMod", coll.name, validator={})
    coll.insert_one({"z": 1})
    assert "validator" not in coll.options()


def test_validation_level_moderate(coll):
    db = coll.database
    coll.insert_many([{"_id": "bad", "n": "text"}, {"_id": "good", "n": 1}])
    db.command("collMod", coll.name, validator={"n": {"$type": "number"}}, validationLevel="moderate")
    coll.update_one({"_id": "bad"}, {"$set": {"other": 1}})  # was invalid already: not checked
    with pytest.raises(WriteError) as info:  # was valid: must stay so
        coll.update_one({"_id": "good"}, {"$set": {"n": "text"}})
    assert info.value.code == 121
    with pytest.raises(WriteError):
        coll.insert_one({"n": "text"})
    db.command("collMod", coll.name, validationLevel="off")
    coll.insert_one({"n": "text"})
    with pytest.raises(OperationFailure) as info:
        db.command("collMod", coll.name, validationLevel="sometimes")
    assert info.value.code == 2


def test_capped_caps_changed(coll):
    db = coll.database
    db.create_collection(coll.name, capped=True, size=100_000, max=10)
    coll.insert_many([{"i": i} for i in range(6)])
    db.command("collMod", coll.name, cappedMax=3)
    coll.insert_one({"i": 6})
    assert [d["i"] for d in coll.find()] == [4, 5, 6]
    assert coll.options()["max"] == 3
    db.plain_collmod.insert_one({})
    with pytest.raises(OperationFailure) as info:
        db.command("collMod", "plain_collmod", cappedSize=4096)
    assert info.value.code == 72
    db.drop_collection("plain_collmod")


def test_index_options(coll):
    db = coll.database
    coll.create_index("t", expireAfterSeconds=3600)
    coll.create_index("u", name="u_idx")
    reply = db.command("collMod", coll.name, index={"keyPattern": {"t": 1}, "expireAfterSeconds": 60})
    assert (reply["expireAfterSeconds_old"], reply["expireAfterSeconds_new"]) == (3600, 60)
    assert coll.index_information()["t_1"]["expireAfterSeconds"] == 60
    reply = db.command("collMod", coll.name, index={"name": "u_idx", "hidden": True})
    assert (reply["hidden_old"], reply["hidden_new"]) == (False, True)
    coll.insert_one({"u": 1})
    with pytest.raises(OperationFailure) as info:  # a hidden index cannot be hinted
        coll.find_one({"u": 1}, hint="u_idx")
    assert info.value.code == 2
    db.command("collMod", coll.name, index={"name": "u_idx", "hidden": False})
    assert coll.find_one({"u": 1}, hint="u_idx")["u"] == 1
    with pytest.raises(OperationFailure) as info:
        db.command("collMod", coll.name, index={"name": "nope", "hidden": True})
    assert info.value.code == 27


def test_errors(coll):
    db = coll.database
    with pytest.raises(OperationFailure) as info:
        db.command("collMod", "collmod_missing", validator={"a": 1})
    assert info.value.code == 26
    coll.insert_one({})
    with pytest.raises(OperationFailure) as info:
        db.command("collMod", coll.name, viewOn="other", pipeline=[])
    assert info.value.code == 72
    with pytest.raises(OperationFailure) as info:
        db.command("collMod", coll.name, noSuchOption=1)
    assert info.value.code == 40415
    with pytest.raises(OperationFailure) as info:  # a bad validator changes nothing
        db.command("collMod", coll.name, validator={"a": {"$nope": 1}})
    assert "validator" not in coll.options()


def test_update_many_stops_at_the_first_invalid_document_in_insertion_order(coll):
    db = coll.database
    first = coll.insert_one({"z": 0}).inserted_id
    coll.insert_many([{"z": 5, "other": i} for i in range(3)])
    coll.update_one({"_id": first}, {"$set": {"touched": True}})  # a new row version: later in the table's scan
    db.command("collMod", coll.name, validator={"z": {"$gte": 0}})
    with pytest.raises(WriteError):
        coll.update_many({}, {"$inc": {"z": -1}})  # the first document (by insertion) fails: nothing is written
    assert sorted(d["z"] for d in coll.find()) == [0, 5, 5, 5]
