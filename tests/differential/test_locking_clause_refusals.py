"""SELECT ... FOR UPDATE/SHARE over rows that are not table rows is refused as PostgreSQL 15 refuses
it (0A000, naming the clause): DISTINCT, GROUP BY, HAVING, aggregate functions, window functions,
set-returning functions in the target list. An aggregate in a subquery does not count, and plain
locking reads still lock and return their rows. Beside a live PostgreSQL."""

from __future__ import annotations

SETUP = ["CREATE TABLE lcr (a int, b int)", "INSERT INTO lcr VALUES (1, 2), (3, 4)"]

STEPS = [
    "SELECT count(*) FROM lcr FOR UPDATE",
    "SELECT a FROM lcr GROUP BY a FOR SHARE",
    "SELECT DISTINCT a FROM lcr FOR UPDATE",
    "SELECT sum(a) FROM lcr HAVING sum(a) > 0 FOR NO KEY UPDATE",
    "SELECT a, row_number() OVER () FROM lcr FOR KEY SHARE",
    "SELECT a, generate_series(1, 2) FROM lcr FOR UPDATE",
    "SELECT a FROM lcr WHERE a IN (SELECT max(a) FROM lcr) FOR UPDATE",
    "SELECT a, (SELECT count(*) FROM lcr) FROM lcr ORDER BY a FOR UPDATE",
    "SELECT a FROM lcr ORDER BY a FOR UPDATE SKIP LOCKED",
]

CLEANUP = ["DROP TABLE IF EXISTS lcr"]


def test_locking_clause_refusals_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
