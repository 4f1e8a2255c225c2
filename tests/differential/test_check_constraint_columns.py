"""pg_constraint.conkey of CHECK constraints beside a live PostgreSQL 15: the columns the
expression reads, in the order they first appear (Django's introspection ties a check to its
columns through it; it was empty). Column-level and table-level checks, several columns, a
function call, a check added by ALTER TABLE, and quoted mixed-case names."""

from __future__ import annotations

STEPS = [
    ('CREATE TABLE ckc (a int, b int, "Mixed" text, c int CHECK (c > 0), CHECK (b > a AND a > 0), '
    'CHECK (length("Mixed") < 10), CONSTRAINT named_one CHECK (c <> b))'),
    "ALTER TABLE ckc ADD CONSTRAINT added_later CHECK (a + c < 100)",
    "SELECT conname, contype, conkey FROM pg_constraint WHERE conrelid = 'ckc'::regclass ORDER BY conname",
    ("SELECT c.conname, array(SELECT attname FROM unnest(c.conkey) WITH ORDINALITY k(colid, i) "
    "JOIN pg_attribute a ON a.attnum = k.colid AND a.attrelid = c.conrelid ORDER BY k.i) "
    "FROM pg_constraint c WHERE c.conrelid = 'ckc'::regclass ORDER BY 1"),
    "DROP TABLE ckc",
]


def test_check_constraint_columns_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
