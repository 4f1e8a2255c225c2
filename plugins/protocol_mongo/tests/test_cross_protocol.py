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
