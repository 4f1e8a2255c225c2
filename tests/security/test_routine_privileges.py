"""EXECUTE on CREATE FUNCTION/PROCEDURE/AGGREGATE routines and who may drop them, from a plain login
role through psycopg against a real server, with PostgreSQL 15's SQLSTATEs and messages."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors

from helios_core.testing import HeliosServer, start_server

USERS = {"helios": "adminpw", "alice": "alicepw", "bob": "bobpw"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    srv = start_server(tmp_path_factory.mktemp("routine_privileges"), {"auth": {"users": USERS}}, only=["postgres"])
    try:
        with psycopg.connect(srv.pg_dsn(user="helios", password=USERS["helios"]), autocommit=True) as admin:
            admin.execute("grant create on schema public to alice")  # PostgreSQL 15: nobody else may create there
        yield srv
    finally:
        srv.stop()


def connect(server: HeliosServer, user: str) -> psycopg.Connection:
    return psycopg.connect(server.pg_dsn(user=user, password=USERS[user]), autocommit=True)


def fails(conn: psycopg.Connection, sql: str, sqlstate: str, message: str) -> None:
    with pytest.raises(errors.Error) as ei:
        conn.execute(sql)
    assert (ei.value.sqlstate, ei.value.diag.message_primary) == (sqlstate, message)


def test_revoked_execute_is_refused_per_signature(server: HeliosServer) -> None:
    with connect(server, "alice") as alice, connect(server, "bob") as bob:
        alice.execute("create function twice(int) returns int language sql as 'select 2 * $1'")
        alice.execute("create function twice(text) returns text language sql as 'select $1 || $1'")
        alice.execute("create procedure noop(int) language sql as 'select $1'")
        alice.execute("create aggregate total(int) (sfunc = int4pl, stype = int4)")
        assert bob.execute("select twice(2), total(x) from (values (1), (2)) v(x)").fetchone() == (4, 3)
        alice.execute("revoke all on function twice(int), total(int) from public")
        alice.execute("revoke all on procedure noop(int) from public")
        fails(bob, "select twice(2)", "42501", "permission denied for function twice")
        fails(bob, "select total(x) from (values (1)) v(x)", "42501", "permission denied for aggregate total")
        fails(bob, "call noop(1)", "42501", "permission denied for procedure noop")
        assert bob.execute("select twice('a'::text)").fetchone() == ("aa",)  # the other overload is untouched
        assert bob.execute("select has_function_privilege('twice(int)', 'EXECUTE'), "
                           "has_function_privilege('bob', 'twice(text)', 'EXECUTE')").fetchone() == (False, True)
        alice.execute("grant execute on function twice(integer) to bob")
        assert bob.execute("select twice(3)").fetchone() == (6,)


def test_creating_a_routine_needs_create_on_its_schema_and_replacing_needs_ownership(server: HeliosServer) -> None:
    with connect(server, "alice") as alice, connect(server, "bob") as bob:
        alice.execute("create function alices() returns int language sql security definer as 'select 1'")
        fails(bob, "create function bobs() returns int language sql as 'select 1'", "42501",
              "permission denied for schema public")
        fails(bob, "create aggregate bobs_total(int) (sfunc = int4pl, stype = int4)", "42501",
              "permission denied for schema public")
        with psycopg.connect(server.pg_dsn(user="helios", password=USERS["helios"]), autocommit=True) as admin:
            admin.execute("grant create on schema public to bob")
            try:
                # CREATE on the schema is not enough to take over alice's (SECURITY DEFINER) function
                fails(bob, "create or replace function alices() returns int language sql security definer "
                      "as 'select 2'", "42501", "must be owner of function alices")
                assert alice.execute("select alices()").fetchone() == (1,)
            finally:
                admin.execute("revoke create on schema public from bob")


def test_only_the_owner_drops_a_routine(server: HeliosServer) -> None:
    with connect(server, "alice") as alice, connect(server, "bob") as bob:
        alice.execute("create function mine() returns int language sql as 'select 1'")
        alice.execute("create procedure mine_p() language sql as 'select 1'")
        fails(bob, "drop function mine()", "42501", "must be owner of function mine")
        fails(bob, "drop procedure mine_p()", "42501", "must be owner of procedure mine_p")
        bob.execute("grant execute on function mine() to bob")  # no grant option: nothing granted (a warning)
        alice.execute("revoke all on function mine() from public")
        fails(bob, "select mine()", "42501", "permission denied for function mine")
        alice.execute("drop function mine()")


def test_grant_names_the_routine_kind_and_privilege(server: HeliosServer) -> None:
    with connect(server, "alice") as alice, connect(server, "helios") as admin:
        admin.execute("create schema alice_s authorization alice")
        alice.execute("create procedure kind_p(int) language sql as 'select $1'")
        alice.execute("create function kind_f(int) returns int language sql as 'select $1'")
        fails(alice, "revoke all on function kind_p(int) from public", "42809", "kind_p(integer) is not a function")
        fails(alice, "grant usage on function kind_f(int) to bob", "0LP01", "invalid privilege type USAGE for function")
        fails(alice, "grant all on function kind_nosuch(int) to bob", "42883",
              "function kind_nosuch(integer) does not exist")
        alice.execute("create function alice_s.g() returns int language sql as 'select 1'")
        alice.execute("revoke all on all functions in schema alice_s from public")
        assert alice.execute("select has_function_privilege('bob', 'alice_s.g()', 'EXECUTE')").fetchone() == (False,)
        alice.execute("grant all on all routines in schema alice_s to public")
        assert alice.execute("select has_function_privilege('bob', 'alice_s.g()', 'EXECUTE')").fetchone() == (True,)
