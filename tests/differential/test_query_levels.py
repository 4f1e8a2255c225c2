"""Where an aggregate or a window call belongs, as PostgreSQL 15 decides it, on a live PostgreSQL and
on HeliosDB in order.

An aggregate written in a subquery whose arguments use only the enclosing query's columns is an
aggregate of the enclosing query (one row over all its rows; it was computed once per outer row
inside the subquery), also when the subquery uses it in WHERE or names the columns unqualified; such a call nested in an aggregate
of the enclosing query is 42803 (it ran for minutes instead), and so is one in a subquery of its FROM
items, JOIN conditions or WHERE (it was computed per row). DISTINCT aggregates whose ORDER BY is no
argument (42P10), ordered-set aggregates without WITHIN GROUP (42809) and GROUPS frames without
ORDER BY (42P20) are refused as PostgreSQL refuses them (they were answered). ``SELECT *, f() OVER (...)`` shows
the window call's column once (``*`` showed it a second time, so a subquery of that shape had
extra columns)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("helios_difftest", Path(__file__).with_name("test_differential.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
assert_steps_agree = _mod.assert_steps_agree

SETUP = [
    "CREATE TABLE lvl_o (x int, y int, d text)",
    "INSERT INTO lvl_o VALUES (1, 10, 'a'), (2, 20, 'a'), (3, 30, 'b'), (4, NULL, 'b')",
]

STEPS = [
    "SELECT (SELECT max(o.x)) FROM lvl_o o",
    "SELECT (SELECT max((SELECT i.y FROM lvl_o i WHERE i.x = o.x))) FROM lvl_o o",
    "SELECT (SELECT count(*) FROM lvl_o i WHERE i.x < max(o.x)) FROM lvl_o o",
    "SELECT o.d, (SELECT sum(o.y) FILTER (WHERE o.x > 1)) FROM lvl_o o GROUP BY o.d ORDER BY 1",
    "SELECT o.d, (SELECT max(i.y) FROM lvl_o i WHERE i.d = o.d) FROM lvl_o o ORDER BY 1, 2",
    "SELECT (SELECT count(*) FILTER (WHERE outer_c <> 0) FROM (VALUES (1)) t0(inner_c)) FROM (VALUES (2), (3)) t1(outer_c)",
    "SELECT (SELECT count(*) FROM (VALUES (1)) t0(inner_c)) FROM (VALUES (2), (3)) t1(outer_c)",
    "SELECT (SELECT max(0) FILTER (WHERE y > 10)) FROM lvl_o",
    "SELECT (SELECT sum(y) FROM (SELECT 1 AS q) s) FROM lvl_o",
    "SELECT (SELECT sum(x) FROM lvl_o i) FROM lvl_o",
    "SELECT avg((SELECT avg(a1.x ORDER BY (SELECT avg(a2.y) FROM lvl_o a3)) FROM lvl_o a1)) FROM lvl_o a2",
    ("SELECT *, count(1) OVER (PARTITION BY d) AS c1, row_number() OVER (PARTITION BY d ORDER BY x) AS rn "
    "FROM lvl_o ORDER BY x"),
    ("SELECT * FROM (SELECT *, count(*) OVER (PARTITION BY d || '') AS c, rank() OVER (ORDER BY x) AS r "
    "FROM lvl_o) s WHERE r <= 3 ORDER BY x"),
]

CLEANUP = ["DROP TABLE IF EXISTS lvl_o"]


def test_query_levels_as_postgres(systems):
    assert_steps_agree(*systems, STEPS)
