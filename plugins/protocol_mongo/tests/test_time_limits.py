"""maxTimeMS: commands stop with error 50 once their time is up (pymongo)."""

from __future__ import annotations

import pytest
from pymongo.errors import ExecutionTimeout, OperationFailure


@pytest.fixture
def big(coll):
    coll.insert_many([{"i": i, "pad": "x" * 200} for i in range(5000)])
    return coll


def test_find_count_distinct_and_update_stop(big):
    with pytest.raises(ExecutionTimeout) as info:
        big.find({"i": {"$gte": 0}}).max_time_ms(1).to_list()
    assert info.value.code == 50
    with pytest.raises(ExecutionTimeout):
        big.database.command("count", big.name, query={"i": {"$gte": 0}}, maxTimeMS=1)
    with pytest.raises(ExecutionTimeout):
        big.distinct("i", {"i": {"$gte": 0}}, maxTimeMS=1)
    reply = big.database.command("update", big.name, updates=[{"q": {"i": {"$gte": 0}}, "u": {"$inc": {"n": 1}},
                                                               "multi": True}], maxTimeMS=1)
    assert reply["writeErrors"][0]["code"] == 50 and reply["nModified"] < 5000  # the statement's write error
    assert len(big.find({"i": {"$gte": 0}}).max_time_ms(60_000).to_list()) == 5000  # enough time: all of it


def test_bad_values(coll):
    coll.insert_one({})
    with pytest.raises(OperationFailure) as info:
        coll.database.command("find", coll.name, maxTimeMS=-1)
    assert info.value.code == 2
    with pytest.raises(OperationFailure) as info:
        coll.database.command("find", coll.name, maxTimeMS="soon")
    assert info.value.code == 14
    assert coll.database.command("find", coll.name, maxTimeMS=0)["ok"] == 1.0  # 0: no limit
