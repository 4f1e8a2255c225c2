"""ALTER SEQUENCE ... RENAME TO as PostgreSQL 15 does it: the sequence keeps its position, column
defaults that call it and serial columns that own it keep working, a taken name is 42P07 (RENAME
TO was read as OWNER TO: "role ... does not exist"). In order, on a live PostgreSQL and on HeliosDB;
same rows or SQLSTATE."""

from __future__ import annotations

SETUP = ["CREATE SEQUENCE sqr_a", "CREATE TABLE sqr_t (id int DEFAULT nextval('sqr_a'), s serial, note text)",
         "CREATE SEQUENCE sqr_taken"]

STEPS = [
    "SELECT nextval('sqr_a'), nextval('sqr_a')",
    "ALTER SEQUENCE sqr_a RENAME TO sqr_b",
    "SELECT nextval('sqr_b')",
    "SELECT nextval('sqr_a')",
    "INSERT INTO sqr_t (note) VALUES ('after the first rename') RETURNING id, s",
    "ALTER SEQUENCE sqr_t_s_seq RENAME TO sqr_t_s_seq2",
    "INSERT INTO sqr_t (note) VALUES ('after the second') RETURNING id, s",
    "SELECT pg_get_serial_sequence('sqr_t', 's')",
    "ALTER SEQUENCE sqr_b RENAME TO sqr_taken",
    "ALTER SEQUENCE IF EXISTS sqr_missing RENAME TO sqr_other",
    "SELECT sequencename::text, last_value FROM pg_sequences WHERE sequencename LIKE 'sqr\\_%' ORDER BY 1",
    "ALTER SEQUENCE sqr_taken INCREMENT BY 5 START WITH 10 RESTART NO MAXVALUE CACHE 3 CYCLE",
    "SELECT nextval('sqr_taken'), nextval('sqr_taken')",
    "ALTER SEQUENCE sqr_taken RESTART WITH -5 MINVALUE -10",
    "SELECT nextval('sqr_taken')",
]

CLEANUP = ["DROP TABLE IF EXISTS sqr_t", "DROP SEQUENCE IF EXISTS sqr_a, sqr_b, sqr_taken"]


def test_sequence_rename_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
