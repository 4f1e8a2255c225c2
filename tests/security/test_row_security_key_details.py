"""A unique violation must not tell a role the key values of rows row security hides from it (nor
a role without SELECT on the table): PostgreSQL then sends no DETAIL. psycopg against a real server."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors

from helios_core.testing import HeliosServer, start_server

USERS = {"helios": "adminpw", "tenant": "tenantpw", "writer": "writerpw"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    srv = start_server(tmp_path_factory.mktemp("rls_keys"), {"auth": {"users": USERS}}, only=["postgres"])
    try:
        yield srv
    finally:
        srv.stop()


def _connect(server: HeliosServer, user: str) -> psycopg.Connection:
    return psycopg.connect(server.pg_dsn(user=user, password=USERS[user]), autocommit=True)


def _duplicate_detail(conn: psycopg.Connection, sql: str) -> str | None:
    with pytest.raises(errors.UniqueViolation) as ei:
        conn.execute(sql)
    return ei.value.diag.message_detail


def test_unique_violation_details_are_hidden_where_rows_are(server: HeliosServer) -> None:
    with _connect(server, "helios") as admin, _connect(server, "tenant") as tenant, \
            _connect(server, "writer") as writer:
        admin.execute("create table accounts (email text primary key, tenant text)")
        admin.execute("insert into accounts values ('ceo@other.example', 'other')")
        admin.execute("create table plain (k int primary key)")
        admin.execute("insert into plain values (7)")
        admin.execute("alter table accounts enable row level security")
        admin.execute("create policy own on accounts using (tenant = current_user) with check (tenant = current_user)")
        admin.execute("grant select, insert on accounts, plain to tenant")
        admin.execute("grant insert on plain to writer")
        # the owner, and a role that reads the table without row security, see the key
        assert _duplicate_detail(admin, "insert into accounts values ('ceo@other.example', 'other')") == \
            "Key (email)=(ceo@other.example) already exists."
        assert _duplicate_detail(tenant, "insert into plain values (7)") == "Key (k)=(7) already exists."
        # under row security, or without SELECT: the violation, no key values
        assert _duplicate_detail(tenant, "insert into accounts values ('ceo@other.example', 'tenant')") is None
        assert _duplicate_detail(writer, "insert into plain values (7)") is None
