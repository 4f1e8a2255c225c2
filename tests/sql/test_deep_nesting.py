"""Deeply nested statements: thousands of levels work as in PostgreSQL 15, deeper ones are 54001
(never an internal error), and the server's log lines stay bounded whatever the statement."""

from __future__ import annotations

import io
import logging

import psycopg
import pytest

from helios_core.logs import MAX_MESSAGE_CHARS, MAX_TRACEBACK_CHARS, OneLineFormatter

HINT = ('Increase the configuration parameter "max_stack_depth" (currently 2048kB), after ensuring the '
        "platform's stack depth limit is adequate.")


def _parens(n: int, inner: str = "1") -> str:
    return "(" * n + inner + ")" * n


@pytest.fixture(scope="module")
def conn(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        c.execute("CREATE TABLE dn (a int)")
        c.execute("INSERT INTO dn VALUES (2)")
        yield c


@pytest.mark.parametrize("depth", [60, 500, 3000])
def test_nested_parentheses_as_deep_as_postgresql_takes(conn, depth):
    assert conn.execute(f"SELECT {_parens(depth)}").fetchone() == (1,)
    assert conn.execute(f"SELECT {_parens(depth, 'a + 1')} FROM dn").fetchone() == (3,)


def test_deep_statements_over_the_extended_protocol_and_in_dml(conn):
    assert conn.execute(f"SELECT {_parens(1000, '%s::int')}", (7,), prepare=True).fetchone() == (7,)
    conn.execute(f"UPDATE dn SET a = {_parens(800, 'a * 2')}")
    assert conn.execute("SELECT a FROM dn").fetchone() == (4,)
    conn.execute("UPDATE dn SET a = 2")


def test_long_operator_chains(conn):
    assert conn.execute("SELECT " + " + ".join(["a"] * 1000) + " FROM dn").fetchone() == (2000,)
    assert conn.execute("SELECT " + " OR ".join(["a = 1"] * 500) + " FROM dn").fetchone() == (False,)


def test_too_deep_is_stack_depth_limit_exceeded(conn):
    for sql in (f"SELECT {_parens(20000)}", "SELECT " + "- " * 30000 + "1"):
        with pytest.raises(psycopg.errors.StatementTooComplex) as ei:
            conn.execute(sql)
        assert ei.value.diag.sqlstate == "54001"
        assert ei.value.diag.message_primary == "stack depth limit exceeded"
        assert ei.value.diag.message_hint == HINT
    assert conn.execute("SELECT 1").fetchone() == (1,)  # the session goes on


def test_log_lines_stay_bounded():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter())
    log = logging.getLogger("helios.test_deep_nesting")
    log.addHandler(handler)
    try:
        log.warning("statement: %s", "SELECT " + _parens(100_000))

        def recurse(n: int) -> int:
            return recurse(n + 1)

        try:
            recurse(0)
        except RecursionError:
            log.exception("internal error")
    finally:
        log.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert all(len(line) < MAX_MESSAGE_CHARS + MAX_TRACEBACK_CHARS + 200 for line in lines)
    assert "characters omitted" in lines[0] and lines[0].endswith(")" * 10)
    assert "RecursionError" in lines[1]
