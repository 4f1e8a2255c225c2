"""Materialized views as PostgreSQL 15 keeps them when what they read changes, and as routines
create them: renamed source columns and tables still refresh, rows of a materialized view cannot
be locked, a PL/pgSQL function can create (and populate, or not) materialized views inside the
caller's transaction. In order, on a live PostgreSQL and on HeliosDB; same rows or SQLSTATE."""

from __future__ import annotations

SETUP = ["CREATE TABLE mvd_src (i int, j int)",
         "CREATE MATERIALIZED VIEW mvd_named (ii, jj) AS SELECT i, j FROM mvd_src",
         "CREATE MATERIALIZED VIEW mvd_partly (ii) AS SELECT i, j FROM mvd_src WITH NO DATA",
         ("CREATE FUNCTION mvd_make() RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
         "CREATE MATERIALIZED VIEW mvd_made AS SELECT 1 AS x; "
         "CREATE MATERIALIZED VIEW mvd_empty AS SELECT 1 AS x WITH NO DATA; END $$")]

STEPS = [
    "ALTER TABLE mvd_src RENAME COLUMN i TO x",
    "INSERT INTO mvd_src VALUES (1, 2)",
    "REFRESH MATERIALIZED VIEW mvd_named",
    "REFRESH MATERIALIZED VIEW mvd_partly",
    "SELECT * FROM mvd_named",
    "SELECT * FROM mvd_partly",
    "ALTER TABLE mvd_src RENAME TO mvd_source",
    "UPDATE mvd_source SET j = 3",
    "REFRESH MATERIALIZED VIEW mvd_named",
    "SELECT * FROM mvd_named",
    "SELECT * FROM mvd_named FOR UPDATE",
    "SELECT * FROM mvd_named FOR SHARE",
    "BEGIN",
    "SELECT 1 FROM (SELECT mvd_make()) s",  # (a void value is compared in-process here, where it is NULL)
    "SELECT * FROM mvd_made",
    "SELECT * FROM mvd_empty",
    "ROLLBACK",
    "SELECT count(*) FROM pg_matviews WHERE matviewname IN ('mvd_made', 'mvd_empty')",
]

CLEANUP = ["DROP MATERIALIZED VIEW IF EXISTS mvd_named, mvd_partly, mvd_made, mvd_empty",
           "DROP TABLE IF EXISTS mvd_src, mvd_source", "DROP FUNCTION IF EXISTS mvd_make()"]


def test_matview_dependencies_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
