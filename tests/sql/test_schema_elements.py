"""CREATE SCHEMA with the objects to create in it (PostgreSQL's schema elements)."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors


@pytest.fixture
def conn(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        yield c


def test_elements_are_created_in_the_new_schema_in_one_transaction(conn):
    conn.execute("CREATE SCHEMA se_app CREATE VIEW big AS SELECT a FROM items WHERE a > 1 "
                 "CREATE TABLE items (a int PRIMARY KEY) CREATE INDEX ON items (a) CREATE SEQUENCE ids")
    conn.execute("INSERT INTO se_app.items VALUES (1), (2)")  # the view was made after the table it reads
    assert conn.execute("SELECT a FROM se_app.big").fetchall() == [(2,)]
    assert conn.execute("SELECT nextval('se_app.ids')").fetchone() == (1,)
    assert conn.execute("SHOW search_path").fetchone() == ('"$user", public',)  # unchanged afterwards
    with pytest.raises(errors.DuplicateTable):
        conn.execute("CREATE SCHEMA se_half CREATE TABLE t (a int) CREATE TABLE t (b int)")
    assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'se_half'").fetchone() == (0,)


def test_refusals_and_ownership(conn):
    with pytest.raises(errors.InvalidSchemaDefinition, match=r"different from the one being created \(se_x\)"):
        conn.execute("CREATE SCHEMA se_x CREATE TABLE public.se_t (a int)")
    with pytest.raises(errors.FeatureNotSupported, match="IF NOT EXISTS cannot include schema elements"):
        conn.execute("CREATE SCHEMA IF NOT EXISTS se_y CREATE TABLE t (a int)")
    conn.execute("CREATE ROLE se_owner")
    conn.execute("CREATE SCHEMA AUTHORIZATION se_owner CREATE TABLE owned (a int)")
    assert conn.execute("SELECT schemaname, tableowner FROM pg_tables WHERE tablename = 'owned'").fetchall() == [
        ("se_owner", "se_owner")]
    assert conn.execute("SELECT current_user").fetchone() == ("helios",)
