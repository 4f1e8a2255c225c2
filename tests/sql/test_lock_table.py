"""LOCK TABLE takes the lock it names (it used to parse any words as a mode and lock nothing)."""

from __future__ import annotations

import psycopg
import pytest


@pytest.fixture(scope="module")
def two(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as a, \
            psycopg.connect(pg_server.pg_dsn(), autocommit=True) as b:
        a.execute("CREATE TABLE lk (id int)")
        b.execute("SET lock_timeout = '300ms'")
        yield a, b


@pytest.mark.parametrize(("sql", "message", "position"), [  # PostgreSQL 15's answers
    ("LOCK TABLE lk nonsense", 'syntax error at or near "nonsense"', 15),
    ("LOCK TABLE lk IN bogus MODE", 'syntax error at or near "bogus"', 18),
])
def test_lock_grammar(two, sql, message, position):
    a, _ = two
    with a.transaction(), pytest.raises(psycopg.errors.SyntaxError) as ei:
        a.execute(sql)
    assert (ei.value.diag.message_primary, int(ei.value.diag.statement_position)) == (message, position)


def test_access_exclusive_blocks_writers_until_commit(two):
    a, b = two
    with a.transaction():
        a.execute("LOCK TABLE lk IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(psycopg.errors.LockNotAvailable, match="lock timeout"):
            b.execute("INSERT INTO lk VALUES (1)")
        with b.transaction(), pytest.raises(psycopg.errors.LockNotAvailable) as ei:
            b.execute("LOCK TABLE lk IN ROW EXCLUSIVE MODE NOWAIT")
        assert ei.value.diag.message_primary == 'could not obtain lock on relation "lk"'
    b.execute("INSERT INTO lk VALUES (1)")


def test_row_exclusive_locks_share_with_writers(two):
    a, b = two
    with a.transaction():
        a.execute("LOCK lk IN ROW EXCLUSIVE MODE")
        b.execute("INSERT INTO lk VALUES (2)")  # ROW EXCLUSIVE does not conflict with itself
        with b.transaction(), pytest.raises(psycopg.errors.LockNotAvailable):
            b.execute("LOCK TABLE lk IN EXCLUSIVE MODE NOWAIT")


def test_modes_without_an_equivalent_are_refused(two):
    a, _ = two
    for mode in ("SHARE", "SHARE ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE"):
        with a.transaction(), pytest.raises(psycopg.errors.FeatureNotSupported, match=mode):
            a.execute(f"LOCK TABLE lk IN {mode} MODE")
