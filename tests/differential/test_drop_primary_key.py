"""ALTER TABLE ... DROP CONSTRAINT of a primary key, as PostgreSQL 15 does it: the key goes (its
index too, the columns stay NOT NULL, duplicates are accepted after), a foreign key that
references it blocks the drop (2BP01) unless CASCADE drops that foreign key as well, and a new
primary key can be added again. Each statement runs in order on a live PostgreSQL and on
HeliosDB and must give the same rows or SQLSTATE (migration tools drop and re-add keys so)."""

from __future__ import annotations

SETUP = [
    "CREATE TABLE dpk_t (a int PRIMARY KEY, b int)",
    "INSERT INTO dpk_t VALUES (1, 1), (2, 2)",
    "CREATE TABLE dpk_p (id int PRIMARY KEY)",
    "CREATE TABLE dpk_c (pid int REFERENCES dpk_p)",
]

STEPS = [
    "ALTER TABLE dpk_t DROP CONSTRAINT dpk_t_pkey",
    "SELECT conname FROM pg_constraint WHERE conrelid = 'dpk_t'::regclass",
    "INSERT INTO dpk_t VALUES (1, 3)",
    "SELECT * FROM dpk_t ORDER BY a, b",
    "SELECT attname, attnotnull FROM pg_attribute WHERE attrelid = 'dpk_t'::regclass AND attnum > 0 ORDER BY attnum",
    "INSERT INTO dpk_t VALUES (NULL, 4)",
    "SELECT count(*) FROM pg_index WHERE indrelid = 'dpk_t'::regclass",
    "ALTER TABLE dpk_t DROP CONSTRAINT dpk_t_pkey",
    "ALTER TABLE dpk_p DROP CONSTRAINT dpk_p_pkey",
    "ALTER TABLE dpk_p DROP CONSTRAINT dpk_p_pkey CASCADE",
    "SELECT conname FROM pg_constraint WHERE conrelid IN ('dpk_p'::regclass, 'dpk_c'::regclass)",
    "INSERT INTO dpk_c VALUES (99)",
    "ALTER TABLE dpk_t ADD PRIMARY KEY (a)",
    "DELETE FROM dpk_t WHERE b = 3",
    "ALTER TABLE dpk_t ADD PRIMARY KEY (a)",
    "SELECT conname, contype FROM pg_constraint WHERE conrelid = 'dpk_t'::regclass",
    "INSERT INTO dpk_t VALUES (2, 5)",
]

CLEANUP = ["DROP TABLE IF EXISTS dpk_t, dpk_c, dpk_p"]


def test_drop_primary_key_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
