"""INSERT's column list and VALUES rows as PostgreSQL 15 checks them: a named column list must
be filled (42601 "INSERT has more target columns than expressions": it inserted NULLs), extra
expressions and rows of unequal length are 42601 too, at PREPARE already; without a column list
the columns left take their defaults. In order, on a live PostgreSQL and on HeliosDB."""

from __future__ import annotations

SETUP = ["CREATE TABLE ins_shape (a int, b int, c int DEFAULT 5)"]

STEPS = [
    "INSERT INTO ins_shape (a, b) VALUES (1)",
    "INSERT INTO ins_shape (a, b, c) VALUES (1, 2)",
    "INSERT INTO ins_shape (a, b) SELECT 1",
    "INSERT INTO ins_shape (a, b) SELECT 1, 2, 3",
    "INSERT INTO ins_shape VALUES (1)",
    "INSERT INTO ins_shape (a, b) VALUES (1, 2)",
    "INSERT INTO ins_shape (a) VALUES (1, 2)",
    "INSERT INTO ins_shape (a, b) VALUES (1, 2), (3)",
    "INSERT INTO ins_shape (b, a) VALUES (DEFAULT, 4)",
    "PREPARE ins_short(int) AS INSERT INTO ins_shape (a, b) VALUES ($1)",
    "PREPARE ins_full(int, int) AS INSERT INTO ins_shape (a, b) VALUES ($1, $2)",
    "EXECUTE ins_full(7, 8)",
    "SELECT * FROM ins_shape ORDER BY a",
]

CLEANUP = ["DEALLOCATE ALL", "DROP TABLE IF EXISTS ins_shape"]


def test_insert_shape_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
