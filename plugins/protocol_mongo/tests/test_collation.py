"""Collations through pymongo: ICU's comparison for a locale and strength, per operation."""

from __future__ import annotations

import pytest
from pymongo.collation import Collation
from pymongo.errors import OperationFailure

CASE_INSENSITIVE = Collation(locale="en_US", strength=2)


@pytest.fixture
def words(coll):
    coll.insert_many([{"_id": 1, "w": "ping"}, {"_id": 2, "w": "PING"}, {"_id": 3, "w": "Pong"},
                      {"_id": 4, "w": "apple"}, {"_id": 5, "w": "Banana"}, {"_id": 6, "w": "péché"}])
    return coll


def test_equality_under_a_case_insensitive_collation(words):
    assert sorted(d["_id"] for d in words.find({"w": "Ping"}, collation=CASE_INSENSITIVE)) == [1, 2]
    assert list(words.find({"w": "Ping"})) == []  # simple: byte comparison
    assert words.count_documents({"w": {"$in": ["PONG"]}}, collation=CASE_INSENSITIVE) == 1


def test_sort_follows_the_locale(words):
    simple = [d["w"] for d in words.find({}, sort=[("w", 1)])]
    assert simple == ["Banana", "PING", "Pong", "apple", "ping", "péché"]
    english = [d["w"] for d in words.find({}, sort=[("w", 1), ("_id", 1)], collation=Collation(locale="en"))]
    assert english == ["apple", "Banana", "péché", "ping", "PING", "Pong"]


def test_primary_strength_ignores_accents(words):
    assert [d["_id"] for d in words.find({"w": "PECHE"}, collation=Collation(locale="fr", strength=1))] == [6]
    assert list(words.find({"w": "PECHE"}, collation=CASE_INSENSITIVE)) == []


def test_writes_and_distinct_take_the_collation(words):
    assert words.distinct("w", {"w": {"$regex": "^p", "$options": "i"}}, collation=CASE_INSENSITIVE) \
        in (["péché", "ping", "Pong"], ["péché", "PING", "Pong"])
    assert words.update_many({"w": "PING"}, {"$set": {"hit": True}}, collation=CASE_INSENSITIVE).modified_count == 2
    assert words.delete_one({"w": "pong"}, collation=CASE_INSENSITIVE).deleted_count == 1
    assert words.count_documents({"hit": True}) == 2 and words.count_documents({}) == 5


def test_aggregate_groups_by_collated_key(words):
    groups = list(words.aggregate([{"$match": {"w": {"$in": ["ping", "pong"]}}},
                                   {"$group": {"_id": "$w", "n": {"$sum": 1}}}], collation=CASE_INSENSITIVE))
    assert sorted(g["n"] for g in groups) == [1, 2]


def test_an_empty_collation_is_the_simple_one(words):
    assert words.delete_many({"w": "PING"}, collation={}).deleted_count == 1


def test_bad_collations_are_refused(words):
    with pytest.raises(OperationFailure) as bad_locale:
        list(words.find({}, collation=Collation(locale="xx_nowhere")))
    assert bad_locale.value.code == 2
    with pytest.raises(OperationFailure) as bad_strength:
        list(words.find({}, collation=Collation(locale="en", strength=9)))
    assert bad_strength.value.code == 2


def test_default_collations_are_refused_not_ignored(client, coll):
    with pytest.raises(OperationFailure, match="default collation"):
        client.testdb.create_collection(coll.name, collation=Collation(locale="en"))
    with pytest.raises(OperationFailure, match="default collation"):
        coll.create_index("w", collation=Collation(locale="en", strength=2))
