"""numeric values that HeliosDB carries one text per value (VALUES rows of several scales, values
past Arrow's 76 digits) meet equal values written with other trailing zeros: a join on them finds
1.5 = 1.50 (it returned no rows) and IN compares them (it failed with an internal error). In order,
on a live PostgreSQL and on HeliosDB."""

from __future__ import annotations

SETUP = ["CREATE TABLE wnk (id int, v numeric)",
         "INSERT INTO wnk VALUES (1, 1.5), (2, 3), (3, 2.000), (4, NULL), (5, 1e50)"]

STEPS = [
    ("SELECT a.x, b.x FROM (VALUES (1.5), (3.00), (2)) a(x) JOIN (VALUES (1.50), (3), (2.000)) b(x) ON a.x = b.x"
     " ORDER BY 1"),
    "SELECT a.x, w.id FROM (VALUES (1.50), (3.0), (7)) a(x) JOIN wnk w ON w.v = a.x ORDER BY w.id",
    "SELECT a.x FROM (VALUES (1.5), (3.00), (2)) a(x) LEFT JOIN wnk w ON w.v = a.x WHERE w.id IS NULL ORDER BY 1",
    "SELECT x FROM (VALUES (1.5), (3.00), (2)) v(x) WHERE x IN (2, 3) ORDER BY x",
    "SELECT x FROM (VALUES (1.5), (3.00), (2), (NULL)) v(x) WHERE x NOT IN (1.50, 7) ORDER BY x",
    "SELECT id FROM wnk WHERE v IN (1e50, 1.50) ORDER BY id",
    "SELECT x FROM (VALUES (1e80), (3.00), (2)) v(x) WHERE x IN (1e80, 2.0) ORDER BY x",
    "SELECT a.x FROM (VALUES (1e80), (5)) a(x) JOIN (VALUES (5.0), (1e80)) b(x) ON a.x = b.x ORDER BY 1",
    "SELECT x FROM (VALUES (1.5), (3.00)) v(x) WHERE x = ANY (ARRAY[3, 4]::numeric[]) ORDER BY x",
]

CLEANUP = ["DROP TABLE IF EXISTS wnk"]


def test_wide_numeric_keys_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
