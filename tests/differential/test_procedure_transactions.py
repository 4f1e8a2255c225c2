"""Transaction control in procedures and DO blocks as PostgreSQL 15 runs it: COMMIT / ROLLBACK
[AND CHAIN] end the transaction of a top-level CALL or DO and the rest runs in a new one; inside a
transaction block, a function or an exception-handling block they are 2D000. Also: a PL/pgSQL
variable named like a column of the INSERT's target is the variable in VALUES. In order, on a
live PostgreSQL and on HeliosDB; same rows or SQLSTATE."""

from __future__ import annotations

SETUP = [
    "CREATE TABLE ptx_log (i int)",
    ("CREATE PROCEDURE ptx_batches(n int) LANGUAGE plpgsql AS $$ BEGIN FOR i IN 1..n LOOP "
     "INSERT INTO ptx_log VALUES (i); IF i % 2 = 0 THEN COMMIT; ELSE ROLLBACK; END IF; END LOOP; END $$"),
    "CREATE FUNCTION ptx_fn() RETURNS int LANGUAGE plpgsql AS $$ BEGIN COMMIT; RETURN 1; END $$",
    ("CREATE PROCEDURE ptx_chain() LANGUAGE plpgsql AS $$ BEGIN INSERT INTO ptx_log VALUES (300); "
     "COMMIT AND CHAIN; INSERT INTO ptx_log VALUES (301); END $$"),
    ("CREATE PROCEDURE ptx_outer() LANGUAGE plpgsql AS $$ BEGIN INSERT INTO ptx_log VALUES (400); "
    "CALL ptx_chain(); ROLLBACK; END $$"),
]

STEPS = [
    "CALL ptx_batches(6)",
    "SELECT i FROM ptx_log ORDER BY i",
    "BEGIN",
    "CALL ptx_batches(2)",
    "ROLLBACK",
    "SELECT ptx_fn()",
    "DO $$ BEGIN INSERT INTO ptx_log VALUES (100); COMMIT; INSERT INTO ptx_log VALUES (101); ROLLBACK; END $$",
    ("DO $$ BEGIN BEGIN INSERT INTO ptx_log VALUES (200); COMMIT; EXCEPTION WHEN invalid_transaction_termination "
     "THEN INSERT INTO ptx_log VALUES (201); END; END $$"),
    "CALL ptx_chain()",
    "CALL ptx_outer()",
    "DO $$ DECLARE i int := 7; BEGIN INSERT INTO ptx_log VALUES (i); END $$",
    "SELECT i FROM ptx_log WHERE i > 6 ORDER BY i",
]

CLEANUP = ["DROP TABLE IF EXISTS ptx_log", "DROP PROCEDURE IF EXISTS ptx_batches(int), ptx_chain(), ptx_outer()",
           "DROP FUNCTION IF EXISTS ptx_fn()"]


def test_transaction_control_in_procedures_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
