"""$where: JavaScript predicates (pymongo), their limits and refusals."""

from __future__ import annotations

import datetime
import time

import pytest
from bson import Code, ObjectId
from pymongo.errors import ExecutionTimeout, OperationFailure


def test_expressions_and_functions(coll):
    coll.insert_many([{"x": i} for i in range(10)])
    assert [d["x"] for d in coll.find().where("this.x < 3")] == [0, 1, 2]
    assert len(coll.find().where(Code("function() { return obj.x >= 8; }")).to_list()) == 2
    assert [d["x"] for d in coll.find({"x": 5}).where("this.x > 3")] == [5]
    assert coll.find({"x": 5}).where("this.x < 3").to_list() == []
    assert [d["x"] for d in coll.find({"$or": [{"$where": "this.x == 1"}, {"x": 9}]})] == [1, 9]
    count = coll.database.command("count", coll.name, query={"$where": "var limit = 4; return this.x > limit"})
    assert count["n"] == 5  # count_documents would be an aggregate's $match, where $where is refused


def test_bson_types_reach_javascript(coll):
    oid = ObjectId()
    coll.insert_one({"_id": oid, "when": datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC), "tags": ["a", "b"],
                     "nested": {"n": 2}})
    assert coll.find_one({"$where": "this.when.getUTCFullYear() == 2024 && this.when instanceof Date"})
    assert coll.find_one({"$where": f"this._id.str == '{oid}' && this.tags.length == 2 && this.nested.n == 2"})


def test_refusals(coll):
    coll.insert_many([{"x": 1}, {"x": 2}])
    with pytest.raises(OperationFailure) as info:  # MongoDB 4.4 removed code with scope
        coll.find().where(Code("this.x < i", {"i": 3})).to_list()
    assert info.value.code == 2
    with pytest.raises(OperationFailure) as info:
        coll.find().where(Code("this.x < 3", {})).to_list()
    assert info.value.code == 2
    with pytest.raises(OperationFailure) as info:
        coll.find({"$where": "this.x <"}).to_list()
    assert info.value.code == 139  # JSInterpreterFailure
    with pytest.raises(OperationFailure) as info:
        coll.find({"$where": "this.nope.deeper == 1"}).to_list()
    assert info.value.code == 139
    with pytest.raises(OperationFailure) as info:
        list(coll.aggregate([{"$match": {"$where": "true"}}]))
    assert info.value.code == 2


def test_max_time_ms_bounds_the_evaluation(coll):
    coll.insert_many([{} for _ in range(5)])
    started = time.monotonic()
    with pytest.raises(ExecutionTimeout):  # error 50: sleep(1000) per document, 300 ms allowed
        coll.find({"$where": "function() { sleep(1000); return true; }"}).max_time_ms(300).to_list()
    assert time.monotonic() - started < 2
    with pytest.raises(ExecutionTimeout):
        coll.find({"$where": "while (true) {}"}).max_time_ms(300).to_list()
