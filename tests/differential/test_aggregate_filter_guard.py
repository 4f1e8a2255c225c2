"""An aggregate's FILTER guards its argument, as in PostgreSQL: ``sum(y / x) FILTER (WHERE x <> 0)``
computes y / x only for the rows the FILTER keeps (a division by zero on the other rows was
raised), grouped or not, for list aggregates too; an argument that fails on a kept row still
fails. In order, on a live PostgreSQL and on HeliosDB; the same rows or the same SQLSTATE."""

from __future__ import annotations

SETUP = ["CREATE TABLE fg (g int, x int, y int)",
         "INSERT INTO fg VALUES (1, 0, 5), (1, 2, 10), (2, 5, 1), (2, 0, 3), (3, 0, 1)"]

STEPS = [
    "SELECT sum(y / x) FILTER (WHERE x <> 0) FROM fg",
    "SELECT g, sum(y / x) FILTER (WHERE x <> 0), count(*) FROM fg GROUP BY g ORDER BY g",
    "SELECT g, array_agg(y / x ORDER BY y) FILTER (WHERE x <> 0) FROM fg GROUP BY g ORDER BY g",
    "SELECT max(100 / x) FILTER (WHERE x > 0), min(y % x) FILTER (WHERE x <> 0) FROM fg",
    "SELECT sum(y / x) FILTER (WHERE x >= 0) FROM fg",
    "SELECT sum(y / x) FROM fg",
]

CLEANUP = ["DROP TABLE IF EXISTS fg"]


def test_filter_guards_the_argument_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
