"""float8 powers with infinite and extreme operands, as PostgreSQL's dpow checks them: an infinite
base or exponent may give 0 or -0 without an underflow error (power('-Infinity', -1) is -0), while
a finite nonzero base whose power rounds to 0 is 22003 underflow and one that reaches infinity is
22003 overflow. In order, on a live PostgreSQL and on HeliosDB; the same rows or the same SQLSTATE."""

from __future__ import annotations

SETUP = ["CREATE TABLE fp (id int, x float8, y float8)",
         ("INSERT INTO fp VALUES (1, '-Infinity', -1), (2, 'Infinity', -2), (3, '-Infinity', 3), (4, 2, '-Infinity'),"
          " (5, 0.5, 'Infinity'), (6, 1e-200, 1), (7, -8, 3)")]

STEPS = [
    "SELECT power('-Infinity'::float8, -1), power('Infinity'::float8, -2), power('-Infinity'::float8, 3)",
    "SELECT '-Infinity'::float8 ^ -1, 2::float8 ^ '-Infinity'::float8, 0.5::float8 ^ 'Infinity'::float8",
    "SELECT id, power(x, y), x ^ y FROM fp ORDER BY id",
    "SELECT power(1e-200::float8, 2)",
    "SELECT power(1e200::float8, 2)",
    "SELECT power(0::float8, -1)",
    "SELECT power(-8::float8, 1.0 / 3)",
]

CLEANUP = ["DROP TABLE IF EXISTS fp"]


def test_float_powers_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
