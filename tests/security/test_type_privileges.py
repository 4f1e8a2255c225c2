"""USAGE on CREATE TYPE / CREATE DOMAIN types, from plain login roles through psycopg against a real
server: a revoked type cannot be declared in a column, attribute, domain or routine (42501), GRANT ON
TYPE | DOMAIN refuses arrays and non-domains, has_type_privilege answers as PostgreSQL 15."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors

from helios_core.testing import HeliosServer, start_server

USERS = {"helios": "adminpw", "alice": "alicepw", "bob": "bobpw"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    srv = start_server(tmp_path_factory.mktemp("type_privileges"), {"auth": {"users": USERS}}, only=["postgres"])
    try:
        with psycopg.connect(srv.pg_dsn(user="helios", password=USERS["helios"]), autocommit=True) as admin:
            admin.execute("grant create on schema public to alice, bob")
        yield srv
    finally:
        srv.stop()


def connect(server: HeliosServer, user: str) -> psycopg.Connection:
    return psycopg.connect(server.pg_dsn(user=user, password=USERS[user]), autocommit=True)


def fails(conn: psycopg.Connection, sql: str, sqlstate: str, message: str) -> None:
    with pytest.raises(errors.Error) as ei:
        conn.execute(sql)
    assert (ei.value.sqlstate, ei.value.diag.message_primary) == (sqlstate, message)


def test_a_revoked_type_cannot_be_declared(server: HeliosServer) -> None:
    with connect(server, "alice") as alice, connect(server, "bob") as bob:
        alice.execute("create domain money_d as int")
        alice.execute("create type pair as (a int, b int)")
        bob.execute("create table before_revoke (m money_d)")
        alice.execute("revoke usage on domain money_d from public")
        alice.execute("revoke usage on type pair from public")
        for sql in ("create table t1 (a int, b money_d)", "create table t2 (p pair[])",
                    "create domain d2 as money_d", "create type t3 as (a int, b money_d)",
                    "create function f1(x money_d) returns int language sql as 'select 1'",
                    "create function f2() returns money_d language sql as 'select 1'",
                    "alter table before_revoke add column c money_d",
                    "alter table before_revoke alter column m type money_d"):
            fails(bob, sql, "42501", f"permission denied for type {'pair' if 'pair' in sql else 'money_d'}")
        assert bob.execute("select has_type_privilege('money_d', 'USAGE'), has_type_privilege('int4', 'USAGE'), "
                           "has_type_privilege('alice', 'pair', 'USAGE')").fetchone() == (False, True, True)
        alice.execute("grant usage on type money_d to bob")
        bob.execute("create table t1 (a int, b money_d)")


def test_grant_on_type_names_what_it_may(server: HeliosServer) -> None:
    with connect(server, "alice") as alice, connect(server, "bob") as bob:
        alice.execute("create type kinds as (a int)")
        fails(alice, "grant usage on type _kinds to bob", "0LP01", "cannot set privileges of array types")
        fails(alice, "grant usage on domain kinds to bob", "42809", '"kinds" is not a domain')
        bob.execute("revoke all on type kinds from public")  # no grant option: nothing revoked (a warning)
        assert bob.execute("select has_type_privilege('kinds', 'USAGE')").fetchone() == (True,)
        alice.execute("revoke all on type kinds from public")
        fails(bob, "revoke all on type kinds from public", "42501", "permission denied for type kinds")
