"""REASSIGN OWNED BY / DROP OWNED BY, PostgreSQL's way to empty a role before DROP ROLE: objects of
every kind change owner or go, RESTRICT stops at another role's dependent object, the dropped
role's grants go, and DROP ROLE then succeeds (and is refused while a routine or type is still
owned). In order, on a live PostgreSQL and on HeliosDB; same rows or SQLSTATE."""

from __future__ import annotations

SETUP = ["CREATE ROLE own_old", "CREATE ROLE own_new", "CREATE ROLE own_other",
         "GRANT CREATE ON SCHEMA public TO own_old", "CREATE SCHEMA own_schema AUTHORIZATION own_old",
         "CREATE TABLE own_kept (id int)", "GRANT SELECT ON own_kept TO own_old"]

_OWNERS = ("SELECT c.relname::text, r.rolname::text FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
           "WHERE c.relname LIKE 'own\\_%' AND r.rolname LIKE 'own\\_%' ORDER BY 1")
STEPS = [
    "SET ROLE own_old",
    "CREATE TABLE public.own_t (id int PRIMARY KEY)",
    "CREATE VIEW public.own_v AS SELECT id FROM own_t",
    "CREATE SEQUENCE public.own_s",
    "CREATE FUNCTION public.own_f(a int) RETURNS int LANGUAGE sql AS 'SELECT a'",
    "CREATE TABLE own_schema.own_inner (x int)",
    "RESET ROLE",
    _OWNERS,
    "DROP ROLE own_old",
    "BEGIN",
    "REASSIGN OWNED BY own_old TO own_new",
    _OWNERS,
    ("SELECT p.proname::text, r.rolname::text FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner "
    "WHERE p.proname = 'own_f'"),
    "SELECT nspname::text, pg_get_userbyid(nspowner)::text FROM pg_namespace WHERE nspname = 'own_schema'",
    "ROLLBACK",
    "SET ROLE own_other",
    "DROP OWNED BY own_old",
    "RESET ROLE",
    "CREATE VIEW own_dependent AS SELECT * FROM own_t",
    "DROP OWNED BY own_old",
    "DROP OWNED BY own_old CASCADE",
    _OWNERS,
    "SELECT count(*) FROM pg_proc WHERE proname = 'own_f'",
    "SELECT has_table_privilege('own_old', 'own_kept', 'SELECT')",
    "DROP ROLE own_old",
    "SET ROLE own_new",
    "CREATE FUNCTION public.own_g() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "RESET ROLE",
    "DROP ROLE own_new",
    "REASSIGN OWNED BY own_new TO CURRENT_USER",
    "DROP ROLE own_new",
]

CLEANUP = ["DROP SCHEMA IF EXISTS own_schema CASCADE",
           "DROP TABLE IF EXISTS own_kept, own_t CASCADE", "DROP FUNCTION IF EXISTS own_g()",
           "DROP OWNED BY own_old CASCADE", "DROP OWNED BY own_new CASCADE",
           "DROP ROLE IF EXISTS own_old", "DROP ROLE IF EXISTS own_new", "DROP ROLE IF EXISTS own_other"]


def test_reassign_and_drop_owned_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
