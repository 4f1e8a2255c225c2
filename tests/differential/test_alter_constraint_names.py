"""ALTER TABLE beside a live PostgreSQL 15: a UNIQUE constraint named like an existing index or
constraint is 42P07 (its index would take the name; it was added a second time before), an unnamed
one takes the next free name (t_a_key1, t_a_key2); the type of a column a generated column reads
cannot change (0A000; it changed before, leaving the generated values of the old type)."""

from __future__ import annotations

SETUP = []

STEPS = [
    "CREATE TABLE acn (id int PRIMARY KEY, a int, b int, twice int GENERATED ALWAYS AS (a * 2) STORED)",
    "INSERT INTO acn (id, a, b) VALUES (1, 1, 10), (2, 2, 20)",
    "ALTER TABLE acn ADD CONSTRAINT acn_a_key UNIQUE (a)",
    "ALTER TABLE acn ADD CONSTRAINT acn_a_key UNIQUE (b)",
    "ALTER TABLE acn ADD UNIQUE (a)",
    "ALTER TABLE acn ADD UNIQUE (a)",
    "CREATE INDEX acn_other ON acn (b)",
    "ALTER TABLE acn ADD CONSTRAINT acn_other UNIQUE (b)",
    "ALTER TABLE acn ADD CONSTRAINT acn_pkey UNIQUE (b)",
    "SELECT conname, contype FROM pg_constraint WHERE conrelid = 'acn'::regclass ORDER BY conname",
    "SELECT indexname FROM pg_indexes WHERE tablename = 'acn' ORDER BY indexname",
    "ALTER TABLE acn ALTER COLUMN a TYPE bigint",
    "ALTER TABLE acn ALTER COLUMN b TYPE bigint",
    "SELECT id, a, b, twice, pg_typeof(a), pg_typeof(b) FROM acn ORDER BY id",
    "DROP TABLE acn",
]


def test_alter_table_constraint_names_and_generated_reads_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
