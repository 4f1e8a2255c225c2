"""SCRAM-SHA-256 and SCRAM-SHA-1 logins against [auth.users] and HeliosDB roles; unauthenticated clients refused."""

from __future__ import annotations

import psycopg
import pymongo
import pytest
from pymongo.errors import OperationFailure


def _client(server, credentials: str = "", **kw) -> pymongo.MongoClient:
    return pymongo.MongoClient(f"mongodb://{credentials}127.0.0.1:{server.port('mongodb')}/", serverSelectionTimeoutMS=10_000,
                               **kw)


def test_scram_logins_with_auth_configured(helios_server):
    server = helios_server({"auth": {"users": {"helios": "admin-pw", "alice": "secret"}}},
                           only=["mongodb", "postgres"])
    with _client(server, "helios:admin-pw@") as admin:
        admin.app.things.insert_one({"_id": 1})
        status = admin.admin.command("connectionStatus")
        assert status["authInfo"]["authenticatedUsers"][0]["user"] == "helios"
    with psycopg.connect(server.pg_dsn(password="admin-pw"), autocommit=True) as conn:
        conn.execute("create role bob login password 'bob-pw'")
        conn.execute("grant usage on schema app to alice, bob")
        conn.execute("grant select on app.things to alice, bob")
    with _client(server, "alice:secret@") as alice:
        assert alice.app.things.find_one() == {"_id": 1}
        with pytest.raises(OperationFailure) as info:  # the role's SQL privileges hold over MongoDB too
            alice.app.things.insert_one({"_id": 2})
        assert info.value.code == 13
    with _client(server, "alice:wrong@") as wrong, pytest.raises(OperationFailure) as info:
        wrong.app.things.find_one()
    assert info.value.code == 18
    with _client(server) as anonymous:
        assert anonymous.admin.command("ping")["ok"] == 1.0
        with pytest.raises(OperationFailure) as info:
            anonymous.app.things.find_one()
        assert info.value.code == 13
    with _client(server, "bob:bob-pw@", authMechanism="SCRAM-SHA-256") as bob:  # one password, both protocols
        assert bob.app.things.find_one() == {"_id": 1}
    with _client(server, "alice:secret@", authMechanism="SCRAM-SHA-1") as sha1:
        assert sha1.app.things.find_one() == {"_id": 1}
    with _client(server, "alice:wrong@", authMechanism="SCRAM-SHA-1") as sha1, pytest.raises(OperationFailure) as info:
        sha1.app.things.find_one()
    assert info.value.code == 18
    # a password set over SQL leaves only a SCRAM-SHA-256 verifier: SCRAM-SHA-1 has nothing to check against
    with _client(server, "bob:bob-pw@", authMechanism="SCRAM-SHA-1") as sha1, pytest.raises(OperationFailure) as info:
        sha1.app.things.find_one()
    assert info.value.code == 334


def test_credentials_are_checked_without_auth_section(mongo_server):
    with _client(mongo_server, "helios:whatever@") as client, pytest.raises(OperationFailure) as info:
        client.admin.command("ping")
    assert info.value.code == 18


def test_create_user_is_a_role_that_logs_in(client, mongo_server):
    client.admin.command("createUser", "mongo_made", pwd="made-pw", roles=[])
    assert [u["user"] for u in client.admin.command("usersInfo", "mongo_made")["users"]] == ["mongo_made"]
    with _client(mongo_server, "mongo_made:made-pw@") as made:
        assert made.admin.command("connectionStatus")["authInfo"]["authenticatedUsers"][0]["user"] == "mongo_made"
    with psycopg.connect(mongo_server.pg_dsn(user="mongo_made", password="made-pw")) as conn:
        assert conn.execute("select current_user").fetchone() == ("mongo_made",)
    assert client.admin.command("usersInfo", "mongo_made")["users"][0]["mechanisms"] == ["SCRAM-SHA-1", "SCRAM-SHA-256"]
    with _client(mongo_server, "mongo_made:made-pw@", authMechanism="SCRAM-SHA-1") as sha1:
        assert sha1.admin.command("connectionStatus")["authInfo"]["authenticatedUsers"][0]["user"] == "mongo_made"
    with _client(mongo_server, "mongo_made:bad@", authMechanism="SCRAM-SHA-1") as sha1, \
            pytest.raises(OperationFailure) as info:
        sha1.admin.command("ping")
    assert info.value.code == 18
    client.admin.command("updateUser", "mongo_made", pwd="new-pw")
    with _client(mongo_server, "mongo_made:new-pw@", authMechanism="SCRAM-SHA-1") as sha1:
        assert sha1.admin.command("ping")["ok"] == 1.0
    with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as conn:  # a password changed over SQL
        conn.execute("alter role mongo_made password 'sql-pw'")
    with _client(mongo_server, "mongo_made:new-pw@", authMechanism="SCRAM-SHA-1") as sha1, \
            pytest.raises(OperationFailure) as info:
        sha1.admin.command("ping")
    assert info.value.code == 334  # the keys of the old password no longer count
    with psycopg.connect(mongo_server.pg_dsn(user="mongo_made", password="sql-pw")) as conn, \
            pytest.raises(psycopg.errors.InsufficientPrivilege):  # a plain role cannot read the keys
        conn.execute("select * from heliosdb_mongo.scram_sha1_credentials")
    with pytest.raises(OperationFailure) as info:
        client.admin.command("createUser", "reader", pwd="x", roles=["read"])
    assert info.value.code == 2
    client.admin.command("dropUser", "mongo_made")
    assert client.admin.command("usersInfo", "mongo_made")["users"] == []
