"""What psycopg's own test suite showed missing, checked through psycopg against a real server.

Each test names the client-visible behaviour PostgreSQL 15 has and HeliosDB lacked when
psycopg's suite was run against ``helios serve`` (see CLIENT_SUITES.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import IsolationLevel

from helios_core.testing import HeliosServer, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    srv = start_server(tmp_path_factory.mktemp("psycopg-compat"), only=["postgres"])
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def conn(server: HeliosServer) -> Iterator[psycopg.Connection]:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        yield c


def test_pg_typeof_is_a_regtype_that_casts_to_oid(conn: psycopg.Connection) -> None:
    row = conn.execute("select pg_typeof(2::int8), pg_typeof(2::int8)::oid, pg_typeof(array[1.5])").fetchone()
    assert row == ("bigint", 20, "numeric[]")
    assert conn.execute("select pg_typeof(1)").description[0].type_code == 2206


def test_regtype_reads_names_and_prints_them(conn: psycopg.Connection) -> None:
    assert conn.execute("select 'double precision'::regtype, 'int4[]'::regtype::oid").fetchone() == (
        "double precision", 1007)
    assert conn.execute("select 25::regtype::text").fetchone() == ("text",)
    with pytest.raises(psycopg.errors.UndefinedObject):
        conn.execute("select 'no_such_type'::regtype")


@pytest.mark.parametrize("spelling", [
    "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
    "a0eebc999c0b4ef8bb6d6bb9bd380a11",
    "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
])
def test_uuid_input_spellings(conn: psycopg.Connection, spelling: str) -> None:
    got = conn.execute("select %s::uuid", [spelling]).fetchone()[0]
    assert got == uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")


def test_uuid_input_rejects_misplaced_hyphens(conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        conn.execute("select 'a0eeb-c999c0b4ef8bb6d6bb9bd380a11'::uuid")


def test_text_array_keeps_control_characters(conn: psycopg.Connection) -> None:
    # psycopg quotes only array_in's blanks; \x1c-\x1f and \x85 arrive unquoted and are data
    chars = [chr(c) for c in range(1, 256)] + ["€"]
    cur = conn.cursor(binary=False)
    assert cur.execute("select %t::text[]", [chars]).fetchone()[0] == chars


def test_read_uncommitted_is_reported_as_asked(conn: psycopg.Connection) -> None:
    conn.isolation_level = IsolationLevel.READ_UNCOMMITTED
    conn.autocommit = False
    with conn.transaction():
        assert conn.execute("show transaction_isolation").fetchone() == ("read uncommitted",)
    conn.execute("set default_transaction_isolation to 'read uncommitted'")
    assert conn.execute("select current_setting('transaction_isolation')").fetchone() == ("read uncommitted",)


def test_deferrable_transaction_settings(conn: psycopg.Connection) -> None:
    assert conn.execute("show transaction_deferrable").fetchone() == ("off",)
    conn.autocommit = False
    conn.deferrable = True
    conn.read_only = True
    with conn.transaction():
        assert conn.execute("show transaction_deferrable").fetchone() == ("on",)
        assert conn.execute("show transaction_read_only").fetchone() == ("on",)
    conn.deferrable = None
    conn.read_only = None
    conn.execute("set default_transaction_deferrable = on")
    assert conn.execute("show transaction_deferrable").fetchone() == ("on",)
    conn.rollback()
    assert conn.execute("show max_prepared_transactions").fetchone() == ("0",)
