"""DROP SEQUENCE / INDEX / SCHEMA with several names (a syntax error before: sqlglot reads a list
only for tables and views), beside a live PostgreSQL 15: all dropped in one statement, IF EXISTS
skipping the missing ones with a notice each, a missing one without it failing the whole
statement (nothing dropped), RESTRICT refusing a schema that holds objects, CASCADE taking them."""

from __future__ import annotations

STEPS = [
    "CREATE SEQUENCE dnl_q1", "CREATE SEQUENCE dnl_q2",
    "DROP SEQUENCE dnl_q1, dnl_nope",
    "SELECT relname FROM pg_class WHERE relname LIKE 'dnl\\_%' ORDER BY 1",
    "DROP SEQUENCE IF EXISTS dnl_q1, dnl_nope, dnl_q2",
    "CREATE TABLE dnl_t (a int, b int)", "CREATE INDEX dnl_i1 ON dnl_t (a)", "CREATE INDEX dnl_i2 ON dnl_t (b)",
    "DROP INDEX dnl_i1, dnl_i2",
    "SELECT indexname FROM pg_indexes WHERE tablename = 'dnl_t'",
    "CREATE SCHEMA dnl_s1", "CREATE SCHEMA dnl_s2", "CREATE TABLE dnl_s2.x (a int)",
    "DROP SCHEMA dnl_s1, dnl_s2",
    "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'dnl\\_%' ORDER BY 1",
    "DROP SCHEMA dnl_s1, dnl_s2 CASCADE",
    "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'dnl\\_%' ORDER BY 1",
    "DROP TABLE dnl_t",
]


def test_drop_name_lists_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
