"""CHECK and FOREIGN KEY constraints added NOT VALID, then VALIDATE CONSTRAINT (the safe-migration
pattern of strong_migrations and similar tools), as PostgreSQL 15 does it: existing rows are not
checked until VALIDATE (which fails 23514/23503 while a row breaks it), new rows are checked at once,
pg_constraint.convalidated and pg_get_constraintdef follow, UNIQUE cannot be NOT VALID. (NOT VALID
was ignored: the ADD failed on existing rows, and VALIDATE CONSTRAINT was "not supported".) In
order, on a live PostgreSQL and on HeliosDB; same rows or SQLSTATE."""

from __future__ import annotations

SETUP = ["CREATE TABLE nvc_parent (id int PRIMARY KEY)", "INSERT INTO nvc_parent VALUES (1)",
         "CREATE TABLE nvc (a int, b int)", "INSERT INTO nvc VALUES (-1, 5), (2, 1)"]

_STATE = ("SELECT conname::text, convalidated, pg_get_constraintdef(oid) LIKE '%NOT VALID' FROM pg_constraint "
          "WHERE conrelid = 'nvc'::regclass ORDER BY 1")
STEPS = [
    "ALTER TABLE nvc ADD CONSTRAINT nvc_pos CHECK (a > 0) NOT VALID",
    "INSERT INTO nvc VALUES (-2, 1)",
    "INSERT INTO nvc VALUES (3, 1)",
    "ALTER TABLE nvc ADD CONSTRAINT nvc_fk FOREIGN KEY (b) REFERENCES nvc_parent NOT VALID",
    "INSERT INTO nvc VALUES (4, 9)",
    "ALTER TABLE nvc ADD CONSTRAINT nvc_small CHECK (b < 100)",
    _STATE,
    "ALTER TABLE nvc VALIDATE CONSTRAINT nvc_pos",
    "DELETE FROM nvc WHERE a < 0",
    "ALTER TABLE nvc VALIDATE CONSTRAINT nvc_pos",
    "ALTER TABLE nvc VALIDATE CONSTRAINT nvc_fk",
    "ALTER TABLE nvc VALIDATE CONSTRAINT nvc_missing",
    "ALTER TABLE nvc ADD CONSTRAINT nvc_u UNIQUE (a) NOT VALID",
    _STATE,
    "SELECT a, b FROM nvc ORDER BY a",
]

CLEANUP = ["DROP TABLE IF EXISTS nvc, nvc_parent"]


def test_not_valid_constraints_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
