"""Statements lifted by a remembered shape (their digits split out) equal the token loop's lifting."""

from __future__ import annotations

import pytest

from helios_core.sql import constant_lifting as cl

# (first text, texts of the same shape that follow it)
FAMILIES = [
    ("SELECT abalance FROM pgbench_accounts WHERE aid = 4711;",
     ["SELECT abalance FROM pgbench_accounts WHERE aid = 12;", "SELECT abalance FROM pgbench_accounts WHERE aid = 0;",
      "SELECT abalance FROM pgbench_accounts WHERE aid = 99999999999;",
      "SELECT abalance FROM pgbench_accounts WHERE aid = 99999999999999999999999;",
      "SELECT abalance FROM pgbench_accounts WHERE aid = 007;"]),
    ("UPDATE pgbench_accounts SET abalance = abalance + 5 WHERE aid = 7;",
     ["UPDATE pgbench_accounts SET abalance = abalance + 123 WHERE aid = 99;"]),
    ("SELECT * FROM t1 WHERE a = 1 LIMIT 10",
     ["SELECT * FROM t1 WHERE a = 2 LIMIT 10", "SELECT * FROM t1 WHERE a = 2 LIMIT 11",
      "SELECT * FROM t2 WHERE a = 2 LIMIT 10"]),
    ("SELECT 1 + a FROM t WHERE b = 3 AND c = 'x9'",
     ["SELECT 1 + a FROM t WHERE b = 4 AND c = 'x9'", "SELECT 2 + a FROM t WHERE b = 4 AND c = 'x9'",
      "SELECT 1 + a FROM t WHERE b = 4 AND c = 'x8'"]),
    ("SELECT a FROM t WHERE b = 3.5", ["SELECT a FROM t WHERE b = 4.25", "SELECT a FROM t WHERE b = 4.5"]),
    ("SELECT a FROM t WHERE b = - 3", ["SELECT a FROM t WHERE b = - 4"]),
    ("SELECT a FROM t WHERE b = a - 3", ["SELECT a FROM t WHERE b = a - 4"]),
    ("INSERT INTO t VALUES (1, 'a2', 3)", ["INSERT INTO t VALUES (2, 'a2', 4)", "INSERT INTO t VALUES (2, 'a3', 4)"]),
    ("INSERT INTO t VALUES (1, 2), (3, 4)", ["INSERT INTO t VALUES (5, 6), (7, 8)"]),
    ("SELECT a FROM t WHERE b = 1e5", ["SELECT a FROM t WHERE b = 2e5"]),
    ("SELECT a FROM t WHERE b = 12abc", ["SELECT a FROM t WHERE b = 13abc"]),
    ("SELECT a FROM t WHERE b = 12 -- 5", ["SELECT a FROM t WHERE b = 13 -- 6"]),
    ("SELECT a FROM t WHERE b = $1 + 3", ["SELECT a FROM t WHERE b = $2 + 3"]),
]


@pytest.fixture(autouse=True)
def _fresh_shapes():
    cl._shapes.clear()
    yield
    cl._shapes.clear()


@pytest.mark.parametrize("first,others", FAMILIES, ids=[f[0][:40] for f in FAMILIES])
def test_shape_lifting_equals_the_token_loop(first, others):
    assert cl.lift_constants(first) == cl._lift_by_tokens(first)[0]
    for text in others:
        expected = cl._lift_by_tokens(text)[0]
        got = cl.lift_constants(text)
        assert got == expected, text
        if got is not None:
            assert tuple(got.values) == tuple(expected.values) and got.values.kinds == expected.values.kinds


def test_a_remembered_shape_skips_the_token_loop(monkeypatch):
    cl.lift_constants("SELECT abalance FROM pgbench_accounts WHERE aid = 4711;")
    assert len(cl._shapes) == 1

    def refuse(sql):
        raise AssertionError("token loop ran")

    monkeypatch.setattr(cl, "_lift_by_tokens", refuse)
    lifted = cl.lift_constants("SELECT abalance FROM pgbench_accounts WHERE aid = 12;")
    assert lifted.text == "SELECT abalance FROM pgbench_accounts WHERE aid = $1;"
    assert tuple(lifted.values) == ("12",) and lifted.types == ("integer",)


def test_signed_fractional_and_string_values_are_not_remembered():
    for text in ("SELECT a FROM t WHERE b = -3", "SELECT a FROM t WHERE b = 3.5", "INSERT INTO t VALUES ('x', 1)"):
        assert cl.lift_constants(text) is not None
    assert not cl._shapes


def test_the_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(cl, "SHAPES", 3)
    for i in range(10):
        cl.lift_constants(f"SELECT c{'x' * i} FROM t WHERE b = 1")
        assert len(cl._shapes) <= 3
