"""PostgreSQL's prefix @ (absolute value). sqlglot tokenizes @ as a parameter marker, so "@ 5" was
read as the parameter $5, "@ -5" and "@ 2.5" were syntax errors and "@ x + 1" was (@ x) + 1; as
PostgreSQL's other operators, @ binds looser than + and -. Expected values are PostgreSQL 15's."""

from __future__ import annotations

import pytest

import helios_core


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    yield s
    s.close()


def _rows(s, sql):
    return [tuple(str(v) for v in row) for row in list(s.execute(sql))[-1].rows()]


def test_prefix_at_sign_is_absolute_value(session):
    assert _rows(session, "SELECT @ 5, @ -5, @(-5.5), @ 2.5, - @ -3, @ -2 + 1, @ -5 * 2, @ -2.5e1, @ 1 - 3") == [
        ("5", "5", "5.5", "2.5", "-3", "1", "10", "25", "2")]


def test_prefix_at_sign_over_columns_and_comparisons(session):
    assert _rows(session, "SELECT @ x, @ x + 1, @x FROM (VALUES (-1), (2)) t(x) ORDER BY 1") == [
        ("1", "0", "1"), ("2", "3", "2")]
    assert _rows(session, "SELECT @ -2 < 1, 1 + @ -2") == [("False", "3")]


def test_parameters_still_read_as_parameters(session):
    prepared = session.prepare("SELECT $1 + 1, @ $1", [23])
    assert [tuple(r) for r in session.execute_prepared(prepared, [-4]).rows()] == [(-3, 4)]
