"""Documents keep the order their fields were written in, as MongoDB does, while ``doc`` stays jsonb."""

from __future__ import annotations

import json

import psycopg
from bson import SON, Int64


def _keys(doc):
    return list(doc)


def test_find_returns_fields_as_written(coll):
    coll.insert_one({"zeta": 1, "_id": 7, "alpha": {"yy": 1, "b": [{"q": 1, "p": 2}, 3]}, "mid": Int64(2),
                     "tiny": 1e-7, "huge": 1e20})
    doc = coll.find_one({"_id": 7})
    assert _keys(doc) == ["_id", "zeta", "alpha", "mid", "tiny", "huge"]  # _id first, then as written
    assert _keys(doc["alpha"]) == ["yy", "b"] and _keys(doc["alpha"]["b"][0]) == ["q", "p"]
    assert doc["tiny"] == 1e-7 and doc["huge"] == 1e20 and isinstance(doc["huge"], float)


def test_updates_keep_positions_and_append_new_fields(coll):
    coll.insert_one(SON([("_id", 1), ("long_name", 1), ("b", 2)]))
    coll.update_one({"_id": 1}, {"$set": {"long_name": 5, "aa": 3}})
    assert _keys(coll.find_one()) == ["_id", "long_name", "b", "aa"]
    coll.replace_one({"_id": 1}, {"zz": 1, "a": 2})
    assert _keys(coll.find_one()) == ["_id", "zz", "a"]


def test_insert_many_keeps_each_documents_order(coll):
    docs = [{"_id": i, f"k{i % 3}": i, "x": {"second": 2, "first": 1}} for i in range(2500)]
    assert len(coll.insert_many(docs).inserted_ids) == 2500
    for got in coll.find({"_id": {"$in": [0, 1, 2499]}}):
        assert _keys(got) == ["_id", f"k{got['_id'] % 3}", "x"] and _keys(got["x"]) == ["second", "first"]


def test_sql_sees_plain_jsonb_and_its_edits_show_through(coll, mongo_server):
    coll.insert_one({"_id": "a", "name": "Ada", "city": "Paris", "visits": 1})
    table = f'testdb."{coll.name}"'
    with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as conn:
        assert conn.execute(f"select doc->>'city' from {table} where doc @> '{{\"name\": \"Ada\"}}'"
                            ).fetchone() == ("Paris",)
        conn.execute(f"update {table} set doc = (doc - 'city') || '{{\"added\": true}}'")
    assert _keys(coll.find_one()) == ["_id", "name", "visits", "added"]


def test_a_table_made_through_sql_is_a_collection(client, mongo_server):
    client.testdb.drop_collection("sqlmade")
    with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as conn:
        conn.execute("create table testdb.sqlmade (_id jsonb primary key, doc jsonb not null)")
        conn.execute("insert into testdb.sqlmade values (%s, %s)", (json.dumps("s"), json.dumps({"_id": "s", "v": 1})))
    coll = client.testdb.sqlmade
    coll.insert_many([{"_id": "m", "zz": 1, "a": 2}])
    coll.update_one({"_id": "s"}, {"$set": {"w": 2}})
    assert sorted(d["_id"] for d in coll.find()) == ["m", "s"]
    assert coll.find_one({"_id": "s"}) == {"_id": "s", "v": 1, "w": 2}
    assert set(coll.find_one({"_id": "m"})) == {"_id", "zz", "a"}  # jsonb's order: no column to keep it
