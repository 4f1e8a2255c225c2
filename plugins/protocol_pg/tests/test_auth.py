"""Authentication against a real ``helios serve`` with an [auth] section: SCRAM, md5, password, roles."""

from __future__ import annotations

import asyncio

import asyncpg
import pg8000.native
import psycopg
import pytest

USERS = {"alice": "s3cret", "helios": "adminpw"}


@pytest.fixture(scope="module", params=["scram-sha-256", "md5", "password"])
def auth_server(request, tmp_path_factory):
    from helios_core.testing import start_server

    server = start_server(tmp_path_factory.mktemp("pg-auth"), {"auth": {"users": USERS, "method": request.param}},
                          only=["postgres"])
    try:
        yield server
    finally:
        server.stop()


def _connect_all_clients(server, user: str, password: str) -> None:
    with psycopg.connect(server.pg_dsn(user=user, password=password)) as conn:
        assert conn.execute("select current_user").fetchone() == (user,)

    async def via_asyncpg() -> None:
        conn = await asyncpg.connect(host=server.host, port=server.port("postgres"), user=user, password=password,
                                     database="helios")
        assert await conn.fetchval("select 1") == 1
        await conn.close()

    asyncio.run(via_asyncpg())
    con = pg8000.native.Connection(user, host=server.host, port=server.port("postgres"), database="helios",
                                   password=password)
    assert con.run("select 1") == [[1]]
    con.close()


def test_configured_users_log_in_with_every_client(auth_server) -> None:
    _connect_all_clients(auth_server, "helios", "adminpw")


def test_wrong_password_and_unknown_user_are_28P01(auth_server) -> None:
    for user, password in (("helios", "nope"), ("mallory", "whatever")):
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(auth_server.pg_dsn(user=user, password=password))

    async def via_asyncpg() -> str:
        try:
            await asyncpg.connect(host=auth_server.host, port=auth_server.port("postgres"), user="helios",
                                  password="nope", database="helios")
        except asyncpg.PostgresError as exc:
            return exc.sqlstate
        return "connected"

    assert asyncio.run(via_asyncpg()) == "28P01"


def test_create_role_with_password_then_log_in(auth_server) -> None:
    with psycopg.connect(auth_server.pg_dsn(user="helios", password="adminpw"), autocommit=True) as conn:
        conn.execute("drop role if exists carol")
        conn.execute("create role carol login password 'pw-carol'")
        stored = conn.execute("select rolpassword from pg_authid where rolname = 'carol'").fetchone()[0]
        assert stored.startswith("SCRAM-SHA-256$")  # never the password itself
    # with method md5 too: a SCRAM-stored password makes the server ask for SCRAM, as PostgreSQL does
    _connect_all_clients(auth_server, "carol", "pw-carol")
