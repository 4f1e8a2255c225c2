"""numeric results of aggregates and window functions printed at the scale PostgreSQL 15 gives each
value, on a live PostgreSQL and on HeliosDB (text compared, so every digit counts).

avg(x) of each group at its own display scale (1.5000000000000000 beside 0.00000000000000000000:
every group had the largest scale of the result), a NULL quotient no longer widening the others
(x / NULL rows made every quotient 20 digits), and lag/lead whose default has another scale keeping
each value's own (lag(int, 1, 0.7) printed 4 as 4.0)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("helios_difftest", Path(__file__).with_name("test_differential.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
assert_steps_agree = _mod.assert_steps_agree

SETUP = [
    "CREATE TABLE nrs (g int, i int, x int, n numeric)",
    ("INSERT INTO nrs VALUES (1, 1, 1, 1.5), (1, 2, 2, 2.25), (2, 3, 0, 0), (2, 4, 0, NULL), (3, 5, 100000, 7), "
    "(4, 6, NULL, NULL)"),
]

STEPS = [
    "SELECT g, avg(x), avg(n) FROM nrs GROUP BY g ORDER BY g",
    "SELECT i, avg(x) OVER (ORDER BY i ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM nrs ORDER BY i",
    "SELECT i, avg(n) OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM nrs ORDER BY i",
    "SELECT x::numeric / 3 FROM (VALUES (10), (NULL), (20)) v(x)",
    ("SELECT lag(x, 1, 0.7) OVER (ORDER BY i), lead(x * 2, 1, -1.4) OVER (PARTITION BY g ORDER BY i) "
    "FROM nrs ORDER BY i"),
]

CLEANUP = ["DROP TABLE IF EXISTS nrs"]


def test_numeric_result_scales_as_postgres(systems):
    assert_steps_agree(*systems, STEPS)
