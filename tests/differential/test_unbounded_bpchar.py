"""A column declared ``bpchar`` without a length is unbounded blank-padded text in PostgreSQL (not
character(1), which is what the catalog's spelling 'character' would read back as): values of any
length are kept, trailing blanks count for octet_length and not for comparison, and format_type
spells it 'bpchar' with typmod -1 and 'character' without one. In order, on a live PostgreSQL and
on HeliosDB; same rows or SQLSTATE."""

from __future__ import annotations

SETUP = ["CREATE TABLE ub_t (id int, x bpchar, y bpchar(3), z char, w bpchar[])"]

STEPS = [
    "INSERT INTO ub_t VALUES (1, 'abc  ', 'ab', 'q', '{ab ,c}'), (2, 'a', 'xyz', 'r', NULL)",
    "INSERT INTO ub_t VALUES (3, 'long value here', 'ab', 'qq', NULL)",
    "SELECT id, x || '|', length(x), octet_length(x), y, w FROM ub_t ORDER BY id",
    "SELECT count(*) FROM ub_t WHERE x = 'abc'",
    "SELECT x, count(*) FROM ub_t GROUP BY x ORDER BY x",
    ("SELECT attname, format_type(atttypid, atttypmod), format_type(atttypid, NULL), atttypmod FROM pg_attribute "
     "WHERE attrelid = 'ub_t'::regclass AND attnum > 1 ORDER BY attnum"),
    "SELECT pg_typeof(x), pg_typeof(w) FROM ub_t WHERE id = 1",
    "ALTER TABLE ub_t ALTER COLUMN y TYPE bpchar",
    "INSERT INTO ub_t VALUES (4, 'b', 'four', 's', NULL)",
    "SELECT id, y FROM ub_t ORDER BY id",
    # trailing blanks do not count for grouping, DISTINCT, joins and ordering, whatever their number
    "CREATE TABLE ub_k (id int, code bpchar, c3 char(3), c5 char(5))",
    ("INSERT INTO ub_k VALUES (1, 'ab', 'ab', 'ab'), (2, 'ab  ', 'x', 'ab'), (3, 'cde', 'cde', 'zz'), "
     "(4, 'ab ', 'ab', 'q'), (5, 'ab' || chr(1), 'q', 'q')"),
    "INSERT INTO ub_k VALUES (6, 'ab   ', 'ab', 'ab'), (7, 'b', 'b', 'b')",
    "SELECT id, code || '|', octet_length(code), c3, c5 FROM ub_k ORDER BY id",
    "SELECT rtrim(code), count(*) FROM ub_k GROUP BY code ORDER BY code",
    "SELECT count(DISTINCT code), count(DISTINCT c3) FROM ub_k",
    "SELECT rtrim(code) FROM (SELECT DISTINCT code FROM ub_k) d ORDER BY 1",
    "SELECT a.id, b.id FROM ub_k a JOIN ub_k b ON a.code = b.code ORDER BY 1, 2",
    "SELECT a.id, b.id FROM ub_k a JOIN ub_k b ON a.c3 = b.c5 ORDER BY 1, 2",
    "SELECT id FROM ub_k ORDER BY code, id",
    "DROP TABLE ub_k",
]

CLEANUP = ["DROP TABLE IF EXISTS ub_t"]


def test_unbounded_bpchar_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
