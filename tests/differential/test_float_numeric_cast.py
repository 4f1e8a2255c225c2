"""float8 -> numeric as PostgreSQL converts it (through the float's shortest %.15g text, so each
value keeps its own scale) when the values need more than Arrow's 76 digits (1e308 beside 1e-30)
and when NaN and Infinity are among them (an internal error before), and COALESCE over such
numerics. (Values that all fit Arrow's decimals share one display scale per result: the known
difference, see helios_core.sql.types.) In order, on a live PostgreSQL and on HeliosDB; the same rows or the same SQLSTATE."""

from __future__ import annotations

SETUP = ["CREATE TABLE fnc (id int, d float8)",
         ("INSERT INTO fnc VALUES (1, 1.5), (2, 1e308), (3, 'Infinity'), (4, '-Infinity'), (5, 'NaN'), "
          "(6, 1e-30), (7, -2.5), (8, NULL), (9, 0.1), (10, 123456789.125)")]

STEPS = [
    "SELECT id, d::numeric FROM fnc ORDER BY id",
    "SELECT id, round(d)::numeric FROM fnc ORDER BY id",
    "SELECT id, coalesce(d::numeric, 1) FROM fnc ORDER BY id",
    "SELECT id, coalesce(NULL::numeric, d::numeric, 0) FROM fnc ORDER BY id",
    "SELECT id, (d::numeric)::text FROM fnc WHERE id IN (2, 3, 5) ORDER BY id",
]

CLEANUP = ["DROP TABLE IF EXISTS fnc"]


def test_float_to_numeric_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
