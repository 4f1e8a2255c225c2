"""pg_proc.prorettype of user routines beside a live PostgreSQL 15: a trigger function returns the
pseudo-type trigger (it showed text), an event trigger function event_trigger; set-returning,
RETURNS TABLE, void and scalar functions and a procedure as before."""

from __future__ import annotations

STEPS = [
    "CREATE FUNCTION rrt_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    "CREATE FUNCTION rrt_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$",
    "CREATE FUNCTION rrt_set(n int) RETURNS SETOF int LANGUAGE sql AS 'SELECT generate_series(1, n)'",
    "CREATE FUNCTION rrt_tab(n int) RETURNS TABLE (k int) LANGUAGE sql AS 'SELECT n'",
    "CREATE FUNCTION rrt_void() RETURNS void LANGUAGE sql AS 'SELECT'",
    "CREATE FUNCTION rrt_num(x numeric) RETURNS numeric LANGUAGE sql AS 'SELECT x'",
    "CREATE PROCEDURE rrt_proc() LANGUAGE sql AS 'SELECT 1'",
    ("SELECT proname, prorettype::regtype, proretset, prokind, pg_get_function_result(oid) FROM pg_proc "
    "WHERE proname LIKE 'rrt\\_%' ORDER BY proname"),
    "DROP FUNCTION rrt_touch(), rrt_ddl(), rrt_set(int), rrt_tab(int), rrt_void(), rrt_num(numeric)",
    "DROP PROCEDURE rrt_proc()",
]


def test_routine_result_types_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
