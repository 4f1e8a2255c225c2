"""SECURITY DEFINER routines and routines with SET clauses, as PostgreSQL 15 runs them: the body runs
as the owner (current_user; session_user stays the caller), a SET clause's settings last for the
call only while other settings its body changes stay, an error inside puts the caller's identity
back, SET ROLE inside is refused, an RLS policy may call a definer function, and pg_proc /
pg_get_functiondef / ALTER FUNCTION show and change both. In order, on a live PostgreSQL and on
HeliosDB; same rows or SQLSTATE."""

from __future__ import annotations

SETUP = [
    "CREATE ROLE sd_caller",
    "CREATE TABLE sd_secret (id int, v text)",
    "INSERT INTO sd_secret VALUES (1, 'hidden'), (2, 'also hidden')",
    "CREATE TABLE sd_docs (id int, owner_name text)",
    "INSERT INTO sd_docs VALUES (1, 'sd_caller'), (2, 'someone_else')",
    "ALTER TABLE sd_docs ENABLE ROW LEVEL SECURITY",
    "GRANT SELECT ON sd_docs TO sd_caller",
    ("CREATE FUNCTION sd_read(k int) RETURNS text LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp "
     "AS $$ SELECT v FROM sd_secret WHERE id = k $$"),
    ("CREATE FUNCTION sd_who() RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS "
     "$$ BEGIN RETURN (current_user = 'sd_caller')::text || '/' || (session_user = current_user)::text; END $$"),
    ("CREATE FUNCTION sd_fail() RETURNS int LANGUAGE plpgsql SECURITY DEFINER AS "
     "$$ BEGIN RAISE EXCEPTION 'no' USING ERRCODE = 'P0001'; END $$"),
    "CREATE FUNCTION sd_set_role() RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$ BEGIN SET ROLE sd_caller; END $$",
    ("CREATE FUNCTION sd_settings() RETURNS text LANGUAGE plpgsql SET work_mem = '64MB' AS "
     "$$ BEGIN PERFORM set_config('sd.app_user', 'kept', false); RETURN current_setting('work_mem'); END $$"),
    ("CREATE FUNCTION sd_visible_owner() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER "
     "AS $$ SELECT 'sd_caller'::text $$"),
    "CREATE POLICY sd_own ON sd_docs FOR SELECT USING (owner_name = sd_visible_owner())",
    "GRANT EXECUTE ON FUNCTION sd_read(int), sd_who(), sd_fail(), sd_set_role(), sd_settings() TO sd_caller",
]

STEPS = [
    "SELECT proname::text, prosecdef, proconfig FROM pg_proc WHERE proname LIKE 'sd\\_%' ORDER BY 1",
    "SELECT pg_get_functiondef('sd_read(int)'::regprocedure)",
    "SET ROLE sd_caller",
    "SELECT v FROM sd_secret",
    "SELECT sd_read(1), sd_read(2), sd_read(3)",
    "SELECT sd_who()",
    "SELECT current_user::text",
    "SELECT sd_fail()",
    "SELECT current_user::text",
    "SELECT sd_set_role()",
    "SELECT sd_settings(), current_setting('work_mem'), current_setting('sd.app_user')",
    "SELECT id FROM sd_docs ORDER BY id",
    "RESET ROLE",
    "ALTER FUNCTION sd_read(int) SECURITY INVOKER",
    "ALTER FUNCTION sd_settings() RESET ALL",
    "ALTER FUNCTION sd_who() SET search_path = pg_catalog",
    "SELECT proname::text, prosecdef, proconfig FROM pg_proc WHERE proname LIKE 'sd\\_%' ORDER BY 1",
    "SET ROLE sd_caller",
    "SELECT sd_read(1)",
    "SELECT sd_settings()",
    "RESET ROLE",
]

CLEANUP = ["DROP TABLE IF EXISTS sd_secret, sd_docs",
           ("DROP FUNCTION IF EXISTS sd_read(int), sd_who(), sd_fail(), sd_set_role(), sd_settings(), "
           "sd_visible_owner()"),
           "DROP ROLE IF EXISTS sd_caller"]


def test_security_definer_and_set_clauses_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
