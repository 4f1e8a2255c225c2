"""A script of statements run on a live PostgreSQL and on a real ``helios serve`` through psycopg:
each statement's rows, or its error's SQLSTATE, message, DETAIL and HINT, and the notices it sent,
must be the same on both (what the in-process comparison cannot see: messages and notices)."""

from __future__ import annotations

import psycopg


def run_statement(conn: psycopg.Connection, sql: str) -> tuple:
    """(error fields or None, notices, rows or None) of one statement."""
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


def assert_script_agrees(postgres_dsn: str, helios_dsn: str, script: list[str], cleanup: list[str]) -> None:
    """Every statement of ``script`` answers alike on both; ``cleanup`` then runs on PostgreSQL."""
    with psycopg.connect(postgres_dsn, autocommit=True) as pg, psycopg.connect(helios_dsn, autocommit=True) as hx:
        try:
            differ = []
            for sql in script:
                want, got = run_statement(pg, sql), run_statement(hx, sql)
                if want != got:
                    differ.append(f"{sql}\n  PostgreSQL: {want}\n  HeliosDB:   {got}")
            assert differ == [], "\n".join(differ)
        finally:
            for sql in cleanup:
                pg.execute(sql)
