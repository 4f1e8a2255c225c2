"""bytea hex input errors as PostgreSQL 15 reports them, beside a live PostgreSQL: a character that
is not a hex digit where one must be ("invalid hexadecimal digit", 22023; 22P02 with another
message before), an odd number of digits, whitespace only between byte pairs, and an upper-case
\\X, which is not the hex prefix (the escape format refuses it)."""

from __future__ import annotations

STEPS = [
    "SELECT '\\xzz'::bytea",
    "SELECT '\\x1'::bytea",
    "SELECT '\\x1g'::bytea",
    "SELECT '\\x 01'::bytea",
    "SELECT '\\x0 1'::bytea",
    "SELECT '\\x01 0'::bytea",
    "SELECT '\\xDEADbeef'::bytea, '\\x'::bytea, '\\x01 02'::bytea",
    "SELECT '\\X0A'::bytea",
]


def test_bytea_hex_input_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
