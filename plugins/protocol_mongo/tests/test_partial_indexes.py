"""Partial indexes (partialFilterExpression), unique ones enforced by the kernel (pymongo, psycopg)."""

from __future__ import annotations

import psycopg
import pytest
from pymongo.errors import DuplicateKeyError, OperationFailure


@pytest.mark.parametrize(("spec", "code"), [
    (5, 14),
    ({"x": {"$asdasd": 3}}, 2),
    ({"$and": 5}, 2),
    ({"x": {"$ne": 3}}, 67),
    ({"x": {"$exists": False}}, 67),
    ({"$nor": [{"x": 1}]}, 67),
])
def test_refused_filters(coll, spec, code):
    with pytest.raises(OperationFailure) as info:
        coll.create_index("x", partialFilterExpression=spec)
    assert info.value.code == code
    if coll.name in coll.database.list_collection_names():
        assert [i["name"] for i in coll.list_indexes()] == ["_id_"]


def test_sparse_and_partial_refused(coll):
    with pytest.raises(OperationFailure) as info:
        coll.create_index("x", sparse=True, partialFilterExpression={"x": {"$exists": True}})
    assert info.value.code == 67


def test_unique_among_the_filtered_documents(coll, mongo_server):
    name = coll.create_index("email", unique=True, partialFilterExpression={"email": {"$type": "string"}})
    definition = coll.index_information()[name]
    assert definition["unique"] and definition["partialFilterExpression"] == {"email": {"$type": "string"}}
    coll.insert_many([{"_id": 1, "email": "a@x"}, {"_id": 2}, {"_id": 3}, {"_id": 4, "email": None},
                      {"_id": 5, "email": None}])  # outside the filter: no collision on missing or null
    with pytest.raises(DuplicateKeyError) as info:
        coll.insert_one({"_id": 6, "email": "a@x"})
    assert "index: email_1" in str(info.value)
    coll.update_one({"_id": 2}, {"$set": {"email": "b@x"}})
    with pytest.raises(DuplicateKeyError):  # an update that brings a document into the filter
        coll.update_one({"_id": 3}, {"$set": {"email": "b@x"}})
    with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as conn:  # the kernel enforces it for SQL too
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(f'insert into testdb."{coll.name}" (_id, doc) values (\'"s1"\', '
                         '\'{"_id": "s1", "email": "a@x"}\')')
        conn.execute(f'insert into testdb."{coll.name}" (_id, doc) values (\'"s2"\', %s)',
                     ['{"_id": "s2", "email": 7}'])
    assert coll.count_documents({}) == 6


def test_range_and_or_filters(coll):
    coll.create_index([("x", 1)], unique=True, partialFilterExpression={
        "$or": [{"a": {"$lte": 1.5}}, {"kind": {"$in": ["p", "q"]}}]})
    coll.insert_many([{"x": 1, "a": 2}, {"x": 1, "a": 3}, {"x": 1, "a": 1}])  # only the last is indexed
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({"x": 1, "kind": "q"})
    coll.insert_one({"x": 1, "kind": "r"})
    with pytest.raises(OperationFailure) as info:  # same name, another filter
        coll.create_index([("x", 1)], partialFilterExpression={"a": 1})
    assert info.value.code in (85, 86)
    coll.drop_index("x_1")
    coll.insert_one({"x": 1, "a": 0})


def test_the_filter_compares_simply_under_a_collation(coll):
    coll.create_index("k", unique=True, partialFilterExpression={"name": "y"})
    # the first write to meet the filter runs under a case-blind collation: the index still compares simply
    coll.update_one({"_id": 1}, {"$set": {"k": 1, "name": "y"}}, upsert=True,
                    collation={"locale": "en", "strength": 2})
    coll.insert_one({"_id": 2, "k": 1, "name": "Y"})  # "Y" is not "y": outside the filter, no collision
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({"_id": 3, "k": 1, "name": "y"})
