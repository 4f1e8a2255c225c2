"""search_path as PostgreSQL 15 shows it and reads it back: names quoted where they need it ('' as "",
"My Schema" as one quoted name, "$user"), so saving current_setting('search_path') and setting it
again keeps the same path; current_schemas lists only the schemas that exist. In order, on a live
PostgreSQL and on HeliosDB; same rows or SQLSTATE."""

from __future__ import annotations

SETUP = ['CREATE SCHEMA "Sp Mixed"', 'CREATE TABLE "Sp Mixed".sp_t (a int)', 'INSERT INTO "Sp Mixed".sp_t VALUES (1)']

STEPS = [
    "SET search_path = ''",
    "SHOW search_path",
    "SET search_path = 'Sp Mixed', public",
    "SHOW search_path",
    "SELECT a FROM sp_t",
    "SELECT set_config('search_path', current_setting('search_path'), false)",
    "SELECT a FROM sp_t",
    'SET search_path = SpNoSuch, "$user", public',
    "SHOW search_path",
    "SELECT current_schemas(false), current_schemas(true)",
    "RESET search_path",
]

CLEANUP = ['DROP SCHEMA IF EXISTS "Sp Mixed" CASCADE']


def test_search_path_text_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)

