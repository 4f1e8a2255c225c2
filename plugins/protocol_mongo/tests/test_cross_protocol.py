"""Collections are SQL tables: documents written with pymongo are rows for psycopg and back."""

from __future__ import annotations

import json

import psycopg
import pymongo
import pytest
from bson import Int64, ObjectId


def test_pymongo_document_is_a_row(client, mongo_server):
    coll = client.shop.customers
    coll.drop()
    oid = ObjectId()
    coll.insert_one({"_id": oid, "name": "Ada", "tier": "gold", "visits": Int64(3), "tags": ["a", "b"]})
    with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as conn:
        row = conn.execute("select _id, doc from shop.customers").fetchone()
        assert row[0] == {"$oid": str(oid)}
        assert row[1] == {"_id": {"$oid": str(oid)}, "name": "Ada", "tier": "gold",
                          "visits": {"$numberLong": "3"}, "tags": ["a", "b"]}
        assert conn.execute("select doc->>'name' from shop.customers where doc @> '{\"tier\": \"gold\"}'"
                            ).fetchone() == ("Ada",)


def test_sql_row_is_a_document(client, mongo_server):
    client.shop.products.drop()
    client.shop.create_collection("products")
    with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as conn:
        doc = {"_id": "p1", "price": 9.5, "stock": 3, "dims": {"w": 1, "h": 2}}
        conn.execute("insert into shop.products values (%s, %s)", (json.dumps("p1"), json.dumps(doc)))
        conn.execute("update shop.products set doc = jsonb_set(doc, '{stock}', '4') where _id = '\"p1\"'")
    assert client.shop.products.find_one({"dims.h": 2}) == {"_id": "p1", "price": 9.5, "stock": 4,
                                                            "dims": {"w": 1, "h": 2}}
    assert "products" in client.shop.list_collection_names() and "shop" in client.list_database_names()
    with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as conn:  # no _id: one is generated
        conn.execute("""insert into shop.products (doc) values ('{"sku": "no-id"}')""")
    generated = client.shop.products.find_one({"sku": "no-id"})
    assert isinstance(generated["_id"], ObjectId)
    client.shop.products.update_one({"_id": generated["_id"]}, {"$set": {"seen": True}})
    assert client.shop.products.find_one({"_id": generated["_id"]})["seen"] is True


def test_mongo_reads_do_not_wait_for_an_open_sql_transaction(client, mongo_server):
    client.shop.ledger.drop()
    client.shop.ledger.insert_one({"_id": "acct", "balance": 10})
    with psycopg.connect(mongo_server.pg_dsn()) as conn:
        conn.execute("""update shop.ledger set doc = '{"_id": "acct", "balance": 99}' where _id = '"acct"'""")
        assert client.shop.ledger.find_one({"_id": "acct"})["balance"] == 10  # at once: the last commit
        conn.commit()
    assert client.shop.ledger.find_one({"_id": "acct"})["balance"] == 99


def test_connection_works_on_a_chosen_branch(client, mongo_server, mongo_uri):
    client.shop.stock.drop()
    client.shop.stock.insert_one({"_id": "a", "n": 1})
    with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as conn:
        conn.execute("drop branch if exists mongo_feature")
        conn.execute("create branch mongo_feature from main")
    with pymongo.MongoClient(mongo_uri, maxPoolSize=1) as on_branch:
        assert on_branch.admin.command("heliosdb", 1, branch="mongo_feature")["branch"] == "mongo_feature"
        on_branch.shop.stock.insert_one({"_id": "b", "n": 2})
        assert sorted(d["_id"] for d in on_branch.shop.stock.find()) == ["a", "b"]
        with pytest.raises(pymongo.errors.OperationFailure) as info:
            on_branch.admin.command("heliosdb", 1, branch="no_such_branch")
        assert info.value.code == 26
    assert [d["_id"] for d in client.shop.stock.find()] == ["a"]  # main does not see the branch's write


def _mongo(conn, db, command, **kwargs):
    return conn.execute("select heliosdb.mongo(%s, %s)", (db, json.dumps(command)), **kwargs).fetchone()[0]


def test_sql_transaction_with_heliosdb_mongo_commits_or_rolls_back_both_sides(client, mongo_server):
    client.shop.profiles.drop()
    client.shop.profiles.insert_one({"_id": "u1", "role": "reader"})
    grant = {"update": "profiles", "updates": [{"q": {"_id": "u1"}, "u": {"$set": {"role": "admin"}}}]}
    with psycopg.connect(mongo_server.pg_dsn()) as conn:
        conn.execute("drop table if exists shop_permissions")
        conn.execute("create table shop_permissions (uid text primary key, role text)")
        conn.execute("insert into shop_permissions values ('u1', 'reader')")
        conn.commit()
        conn.execute("update shop_permissions set role = 'admin' where uid = 'u1'")
        assert _mongo(conn, "shop", grant) == {"n": 1, "nModified": 1, "ok": 1}
        # the transaction sees its own write; MongoDB clients see the last commit meanwhile
        assert conn.execute("select doc->>'role' from shop.profiles").fetchone() == ("admin",)
        assert client.shop.profiles.find_one()["role"] == "reader"
        conn.rollback()
        assert client.shop.profiles.find_one()["role"] == "reader"
        assert conn.execute("select role from shop_permissions").fetchone() == ("reader",)
        conn.execute("update shop_permissions set role = 'admin' where uid = 'u1'")
        _mongo(conn, "shop", grant)
        conn.commit()
    assert client.shop.profiles.find_one()["role"] == "admin"


def test_heliosdb_mongo_runs_each_command_every_time(client, mongo_server):
    client.shop.events.drop()
    with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as conn:
        for i in range(7):  # psycopg prepares the statement after five runs: it must still run each time
            assert _mongo(conn, "shop", {"insert": "events", "documents": [{"_id": i, "n": i}]}) == {"n": 1, "ok": 1}
        reply = _mongo(conn, "shop", {"find": "events", "filter": {"n": {"$gte": 4}}, "sort": {"n": -1},
                                      "batchSize": 1})
        assert [d["_id"] for d in reply["cursor"]["firstBatch"]] == [6, 5, 4] and reply["ok"] == 1
        changed = _mongo(conn, "shop", {"findAndModify": "events", "query": {"_id": 5}, "update": {"$inc": {"n": 10}},
                                        "new": True})
        assert changed["value"] == {"_id": 5, "n": 15}
        total = _mongo(conn, "shop", {"aggregate": "events", "pipeline": [{"$group": {"_id": None, "t": {"$sum": "$n"}}}],
                                      "cursor": {}})
        assert total["cursor"]["firstBatch"] == [{"_id": None, "t": 31}]
        assert _mongo(conn, "shop", {"delete": "events", "deletes": [{"q": {"n": {"$lt": 3}}, "limit": 0}]})["n"] == 3
    assert sorted(d["_id"] for d in client.shop.events.find()) == [3, 4, 5, 6]


def test_heliosdb_mongo_write_error_fails_the_sql_transaction(client, mongo_server):
    client.shop.unique_things.drop()
    client.shop.unique_things.insert_one({"_id": "a"})
    with psycopg.connect(mongo_server.pg_dsn()) as conn:
        _mongo(conn, "shop", {"insert": "unique_things", "documents": [{"_id": "b"}]})
        with pytest.raises(psycopg.errors.UniqueViolation, match="E11000 duplicate key") as info:
            _mongo(conn, "shop", {"insert": "unique_things", "documents": [{"_id": "a"}]})
        assert "11000" in info.value.diag.message_detail
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("select 1")
        conn.rollback()
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="not 'drop'"):
            _mongo(conn, "shop", {"drop": "unique_things"})
        conn.rollback()
    assert [d["_id"] for d in client.shop.unique_things.find()] == ["a"]
