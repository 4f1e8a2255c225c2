"""to_char(number, template) beside a live PostgreSQL 15: every template below over numeric,
float8, float4, int4 and int8 columns of the same values (zero, halves, a lone fraction, large,
negative, NULL; NaN and infinities in the float and numeric columns); the same text or the same
SQLSTATE at each step. The templates mix digit places, separators, every sign pattern, FM, V,
EEEE, RN, TH, L and literal text (functions.number_template)."""

from __future__ import annotations

SETUP = [
    "CREATE TABLE tcn (id int, n numeric, d float8, r float4, i int4, b int8)",
    ("INSERT INTO tcn SELECT id, v::numeric, v::float8, v::float4, round(v)::int4, round(v)::int8 FROM (VALUES "
     "(1, 0), (2, 0.5), (3, -0.5), (4, 0.05), (5, -0.001), (6, 12), (7, -12), (8, 123.45), (9, -1234.5), "
     "(10, 9.999), (11, 2.5), (12, 485), (13, 1994), (14, 12345.678), (15, 999999), (16, 0.995), (17, 11), "
     "(18, 3), (19, 100), (20, NULL)) v(id, v)"),
    "INSERT INTO tcn VALUES (21, 'NaN', 'NaN', 'NaN', 1, 1), (22, 'Infinity', '-Infinity', 'Infinity', -1, -1)",
]

TEMPLATES = [
    "9.99", "0.00%", '999"pct"', '9.99 "rad"', "FMRN", "rn", "FM9999th", "9999TH", "L999.99", "9.99EEEE",
    "99.999EEEE", "9EEEE", "9999V9", "SG9999", "PL9999", "FM9.99", "$9,999.00", "00009", "9999MI", "x99y",
    "9.9 ab", "999", "9.9", "FM999.", "99G999D99", "0000PR", "FM0000PR", ".99", "9", "S9999.9", "9999S",
    "FM9999S", "9,999", "FM9,999", "0,000.00", "9999.99PR", "FM9999.99PR", "9999.99MI", "FM9999.99MI",
    "PL9999.9", "FMPL9999.9", "SG9999.9", "FMSG9999.9", "999.999", "FM999.999", "FM999.990", "9.0",
    "FM0.99", "0.9", "FM90.99", "S9.99", "FMS9.99", "9.99S", "FM9.99S", "9999V99", "9999999999.99",
    "FM9,999,999.00", '"Total: "9,999', "B999", "9SP9", "9999D", "D99", "G999", "9,,9",
    "9.9.9", "SS99", "S99PR", "9EEEEPR", "PR9", "FM9EEEE", "9999.99th",
]

STEPS = [f"SELECT id, to_char(n, '{t}'), to_char(d, '{t}'), to_char(r, '{t}'), to_char(i, '{t}'), "
         f"to_char(b, '{t}') FROM tcn WHERE id < 21 ORDER BY id" for t in TEMPLATES]
# NaN and the infinities: numeric and float ones (their Roman numerals differ: left out)
STEPS += [f"SELECT id, to_char(n, '{t}'), to_char(d, '{t}'), to_char(r, '{t}') FROM tcn WHERE id >= 21 ORDER BY id"
          for t in TEMPLATES if "RN" not in t.upper() and "TH" not in t.upper()]

CLEANUP = ["DROP TABLE IF EXISTS tcn"]


def test_to_char_numbers_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
