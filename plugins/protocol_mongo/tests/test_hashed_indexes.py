"""Hashed indexes: created, listed, hinted, and MongoDB's restrictions on them (pymongo)."""

from __future__ import annotations

import pytest
from bson import Int64
from pymongo import HASHED
from pymongo.errors import OperationFailure, WriteError


def test_created_listed_and_hinted(coll):
    assert coll.create_index([("a", HASHED)]) == "a_hashed"
    assert coll.index_information()["a_hashed"]["key"] == [("a", "hashed")]
    coll.insert_many([{"a": 2}, {"a": 2.0}, {"a": Int64(2)}, {"a": "two"}, {"b": 1}, {"a": {"x": [1, 2]}}])
    assert coll.count_documents({"a": 2}, hint="a_hashed") == 3
    assert coll.create_index([("b", 1), ("c", HASHED)]) == "b_1_c_hashed"  # compound: one hashed field
    coll.drop_index("a_hashed")


def test_restrictions(coll):
    with pytest.raises(OperationFailure) as info:
        coll.create_index([("a", HASHED), ("b", HASHED)])
    assert info.value.code == 31303
    with pytest.raises(OperationFailure) as info:
        coll.create_index([("a", HASHED)], unique=True)
    assert info.value.code == 16764
    coll.create_index([("a", HASHED)])
    with pytest.raises(WriteError) as info:
        coll.insert_one({"a": [1, 2]})
    assert info.value.code == 16766
    coll.insert_one({"_id": 1, "a": 1})
    with pytest.raises(WriteError) as info:
        coll.update_one({"_id": 1}, {"$set": {"a": [1]}})
    assert info.value.code == 16766
    with pytest.raises(Exception) as bulk:  # the others of an unordered batch are written
        coll.insert_many([{"a": 5}, {"a": [6]}, {"a": 7}], ordered=False)
    assert bulk.value.details["writeErrors"][0]["code"] == 16766 and bulk.value.details["nInserted"] == 2
    coll.drop_index("a_hashed")
    coll.insert_one({"a": [3]})
    with pytest.raises(OperationFailure) as info:  # the build finds the array
        coll.create_index([("a", HASHED)])
    assert info.value.code == 16766
