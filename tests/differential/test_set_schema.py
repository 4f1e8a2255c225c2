"""ALTER ... SET SCHEMA compared with a live PostgreSQL 15 through psycopg on both sides (a real
``helios serve``): what moves, what is refused with PostgreSQL's SQLSTATE, message and DETAIL, and
what follows the moved object (a sequence's position, the column defaults that call it)."""

from __future__ import annotations

import psycopg
import pytest

SCRIPT = [
    "create schema ss_a",
    "create schema ss_b",
    "create sequence ss_q1",
    "alter sequence ss_q1 set schema public",
    "select nextval('ss_q1')",
    "alter sequence ss_q1 set schema ss_b",
    "select nextval('ss_b.ss_q1')",
    "select nextval('ss_q1')",
    "create table ss_own (id serial)",
    "alter sequence ss_own_id_seq set schema ss_b",
    "create sequence ss_a.ss_q1",
    "alter sequence ss_a.ss_q1 set schema ss_b",
    "alter sequence ss_nosuch set schema ss_b",
    "alter sequence if exists ss_nosuch set schema ss_b",
    "alter sequence ss_b.ss_q1 set schema ss_nosuch",
    "create sequence ss_q3",
    "create table ss_q3t (a int default nextval('ss_q3'))",
    "alter sequence ss_q3 set schema ss_b",
    "insert into ss_q3t default values",
    "select a from ss_q3t",
    "select column_default from information_schema.columns where table_name = 'ss_q3t'",
    ("select sequence_schema, sequence_name from information_schema.sequences where sequence_name like 'ss%' "
     "order by 1, 2"),
]
CLEANUP = ["drop schema if exists ss_a, ss_b cascade", "drop table if exists ss_own, ss_q3t cascade"]


def _run(conn: psycopg.Connection, sql: str) -> tuple:
    notices: list[tuple] = []

    def handler(d: psycopg.errors.Diagnostic) -> None:
        notices.append((d.severity_nonlocalized, d.message_primary, d.message_detail))

    conn.add_notice_handler(handler)
    try:
        cur = conn.execute(sql)
        rows = cur.fetchall() if cur.description else None
        error = None
    except psycopg.Error as e:
        rows, error = None, (e.sqlstate, e.diag.message_primary, e.diag.message_detail, e.diag.message_hint)
    conn.remove_notice_handler(handler)
    return error, notices, rows


@pytest.fixture(scope="module")
def helios_dsn(tmp_path_factory):
    from helios_core.testing import start_server

    server = start_server(tmp_path_factory.mktemp("drop-deps"), only=["postgres"])
    try:
        yield server.pg_dsn()
    finally:
        server.stop()


def test_set_schema_as_postgresql(postgres_dsn, helios_dsn):
    with psycopg.connect(postgres_dsn, autocommit=True) as pg, psycopg.connect(helios_dsn, autocommit=True) as hx:
        try:
            differ = []
            for sql in SCRIPT:
                want, got = _run(pg, sql), _run(hx, sql)
                if want != got:
                    differ.append(f"{sql}\n  PostgreSQL: {want}\n  HeliosDB:   {got}")
            assert differ == [], "\n".join(differ)
        finally:
            for sql in CLEANUP:
                pg.execute(sql)
