"""Prefix operators over columns as PostgreSQL reads them: ``@ x`` (absolute value; it was an
internal error, read as a variable named x), ``- x`` and ``~ x``, and their errors. In order, on a
live PostgreSQL and on HeliosDB; the same rows or the same SQLSTATE."""

from __future__ import annotations

SETUP = ["CREATE TABLE pfx (id int, a int, b float8, c numeric(6,2))",
         "INSERT INTO pfx VALUES (1, -5, -1.5, -2.25), (2, 7, 2, 3.5), (3, NULL, NULL, NULL)"]

STEPS = [
    "SELECT id, @ a, @ b, @ c FROM pfx ORDER BY id",
    "SELECT id, - a, ~ a FROM pfx ORDER BY id",
    "SELECT id FROM pfx WHERE @ a > 6 ORDER BY id",
    "SELECT @ nope FROM pfx",
    "INSERT INTO pfx VALUES (4, -2147483648, 0, 0)",
    "SELECT @ a FROM pfx WHERE id = 4",
]

CLEANUP = ["DROP TABLE IF EXISTS pfx"]


def test_prefix_operators_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
