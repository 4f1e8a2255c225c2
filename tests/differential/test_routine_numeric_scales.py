"""numeric values keep their display scale through routines, as in PostgreSQL: a PL/pgSQL
variable declared numeric holding 1.50 prints 1.50 in RAISE, a running total of numeric(12,2)
balances prints 150.00, and a function returning x * 2 over 1.50 gives 3.00 (they printed 1.5,
150 and 3: the values went through the column storage scale). In order, on a live PostgreSQL
and on HeliosDB (what RAISE writes is read back through SQLERRM)."""

from __future__ import annotations

SETUP = ["CREATE TABLE rns (id int, bal numeric(12,2))",
         "INSERT INTO rns VALUES (1, 69.50), (2, 80.50)",
         "CREATE FUNCTION rns_twice(x numeric) RETURNS numeric LANGUAGE plpgsql AS $$ BEGIN RETURN x * 2; END $$",
         "CREATE FUNCTION rns_sql(x numeric) RETURNS numeric LANGUAGE sql AS $$ SELECT x * 2 $$",
         ("CREATE FUNCTION rns_total() RETURNS numeric LANGUAGE plpgsql AS $$ DECLARE r record; t numeric := 0;"
          " BEGIN FOR r IN SELECT bal FROM rns ORDER BY id LOOP t := t + r.bal; END LOOP; RETURN t; END $$"),
         ("CREATE FUNCTION rns_rows() RETURNS TABLE(id int, v numeric) LANGUAGE plpgsql AS $$"
          " BEGIN RETURN QUERY SELECT r.id, r.bal * 2 FROM rns r ORDER BY r.id; END $$"),
         # what RAISE writes of a value, read back through SQLERRM
         ("CREATE FUNCTION rns_raised(x numeric) RETURNS text LANGUAGE plpgsql AS $$ DECLARE t numeric := 0;"
          " BEGIN t := t + x; RAISE EXCEPTION '% %', t, t * 2; EXCEPTION WHEN OTHERS THEN RETURN SQLERRM; END $$"),
         ("CREATE FUNCTION rns_declared() RETURNS text LANGUAGE plpgsql AS $$ DECLARE t numeric := 1.50; r record;"
          " BEGIN SELECT 2.50::numeric AS v INTO r; RAISE EXCEPTION '% % %', t, r.v, r.v * 2;"
          " EXCEPTION WHEN OTHERS THEN RETURN SQLERRM; END $$")]

STEPS = [
    "SELECT rns_raised(1.50), rns_raised(2), rns_declared()",
    "SELECT rns_twice(1.50), rns_twice(2), rns_sql(1.50), rns_total()",
    "SELECT id, rns_twice(bal) FROM rns ORDER BY id",
    "SELECT * FROM rns_rows()",
]

CLEANUP = ["DROP FUNCTION IF EXISTS rns_raised(numeric)", "DROP FUNCTION IF EXISTS rns_declared()",
           "DROP FUNCTION IF EXISTS rns_twice(numeric)", "DROP FUNCTION IF EXISTS rns_sql(numeric)",
           "DROP FUNCTION IF EXISTS rns_total()", "DROP FUNCTION IF EXISTS rns_rows()", "DROP TABLE IF EXISTS rns"]


def test_routine_numerics_keep_their_scale_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
