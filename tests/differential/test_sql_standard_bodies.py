"""SQL-standard routine bodies (PostgreSQL 14+): ``RETURN expr`` and ``BEGIN ATOMIC ... END`` (whose
statements' semicolons do not end the CREATE), LANGUAGE sql implied, and PostgreSQL's refusals
(another language, two bodies). In order, on a live PostgreSQL and on HeliosDB; same rows or
SQLSTATE."""

from __future__ import annotations

SETUP = ["CREATE TABLE ssb_log (v int)"]

STEPS = [
    "CREATE FUNCTION ssb_double(a int) RETURNS int RETURN a * 2",
    ("CREATE FUNCTION ssb_check(a text, b date) RETURNS boolean LANGUAGE sql "
     "BEGIN ATOMIC SELECT a = 'abcd' AND b > '2001-01-01'; END"),
    "CREATE FUNCTION ssb_sign(x int) RETURNS text BEGIN ATOMIC SELECT CASE WHEN x > 0 THEN 'pos' ELSE 'neg' END; END",
    "CREATE PROCEDURE ssb_log2(x int) BEGIN ATOMIC INSERT INTO ssb_log VALUES (x); INSERT INTO ssb_log VALUES (x + 1); END",
    "CREATE FUNCTION ssb_last() RETURNS text BEGIN ATOMIC SELECT 'a;b'; SELECT 'c'; END",
    "SELECT ssb_double(21), ssb_check('abcd', '2020-01-01'), ssb_sign(-1), ssb_sign(3), ssb_last()",
    "CALL ssb_log2(5)",
    "SELECT v FROM ssb_log ORDER BY v",
    ("SELECT proname::text, prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql') FROM pg_proc "
    "WHERE proname LIKE 'ssb\\_%' ORDER BY 1"),
    "CREATE FUNCTION ssb_bad(a int) RETURNS int LANGUAGE plpgsql RETURN a",
    "CREATE FUNCTION ssb_dup(a int) RETURNS int LANGUAGE sql AS 'select 1' RETURN a",
]

CLEANUP = ["DROP TABLE IF EXISTS ssb_log",
           "DROP FUNCTION IF EXISTS ssb_double(int), ssb_check(text, date), ssb_sign(int), ssb_last()",
           "DROP PROCEDURE IF EXISTS ssb_log2(int)"]


def test_sql_standard_bodies_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
