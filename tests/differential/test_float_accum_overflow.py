"""avg, variance and stddev over float8 raise 22003 where PostgreSQL's float8_accum does: when
finite inputs make its running sum or its sum of squared deviations infinite (-1.2 and 5e299 in
one group), but not for one huge value alone, equal huge values, or inputs already infinite; sum
over a window frame raises when finite inputs add up to infinity. Grouped, whole-table, FILTER and
window forms, in order, on a live PostgreSQL and on HeliosDB."""

from __future__ import annotations

SETUP = ["CREATE TABLE fao (id int, g text, d float8, r real)",
         ("INSERT INTO fao VALUES (1, 'a', -1.2, 1), (2, 'b', 5e299, 2), (3, 'b', -1e300, 3), (4, 'c', 1e300, 4),"
          " (5, 'd', 1e200, 5), (6, 'd', 1e200, 6), (7, 'e', 'Infinity', 7), (8, 'e', 1e300, 8),"
          " (9, 'f', 1e300, 9), (10, 'f', 'Infinity', 10), (11, 'g', 'NaN', 1), (12, 'g', 1e300, 1)")]

STEPS = [
    "SELECT g, avg(d) FROM fao WHERE g IN ('a', 'c', 'd') GROUP BY g ORDER BY g",
    "SELECT g, avg(d) FROM fao WHERE g = 'b' GROUP BY g",
    "SELECT g, avg(d) FROM fao WHERE g = 'e' GROUP BY g",
    "SELECT g, avg(d) FROM fao WHERE g = 'f' GROUP BY g",
    "SELECT g, avg(d) FROM fao WHERE g = 'g' GROUP BY g",
    "SELECT avg(d) FROM fao WHERE g IN ('a', 'b')",
    "SELECT stddev(d), variance(d) FROM fao WHERE g = 'd'",
    "SELECT variance(d) FROM fao WHERE g = 'b'",
    "SELECT var_pop(d) FROM fao WHERE g = 'c'",
    "SELECT avg(d) FILTER (WHERE g = 'a' OR g = 'c') FROM fao",
    "SELECT avg(d) OVER (PARTITION BY g) FROM fao WHERE g = 'b'",
    "SELECT avg(d) OVER (ORDER BY id) FROM fao WHERE g IN ('a', 'c') ORDER BY id",
    "SELECT avg(d) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM fao WHERE g IN ('d', 'e') ORDER BY id",
    "SELECT sum(d) OVER (ORDER BY id) FROM fao WHERE g IN ('c', 'd') ORDER BY id",
    "SELECT sum(d) OVER () FROM fao WHERE g IN ('c', 'f') ORDER BY id",
    "SELECT g, stddev(r), avg(r) FROM fao GROUP BY g ORDER BY g",
]

CLEANUP = ["DROP TABLE IF EXISTS fao"]


def test_float_accumulation_overflow_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
