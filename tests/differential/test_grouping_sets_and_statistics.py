"""GROUP BY forms and statistics aggregates as PostgreSQL 15 computes them, on a live PostgreSQL and
on HeliosDB in order.

GROUPING SETS nested in GROUPING SETS and ROLLUP/CUBE inside GROUPING SETS expand as PostgreSQL
expands them (they were refused), GROUP BY DISTINCT drops repeated sets (they were kept), a
column functionally dependent on a grouped primary key keeps its value in the sets that hold the
key (it was NULL), and a constant grouping key is NULL in the sets without it (it stayed the
constant, so a filter over it kept rows it should drop); GROUPING() in a subquery over the enclosing
query's grouping columns is that query's (it did not exist). regr_* and bit_xor exist (they did
not; corr and covar_* now accumulate like PostgreSQL, so the last digits agree), so do the
hypothetical-set aggregates rank/dense_rank/percent_rank/cume_dist WITHIN GROUP and percentiles of
an array of fractions (refused before), and
array_agg(DISTINCT x ORDER BY x DESC) follows its ORDER BY (it came out ascending)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("helios_difftest", Path(__file__).with_name("test_differential.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
assert_steps_agree = _mod.assert_steps_agree

SETUP = [
    "CREATE TABLE gsx (a int, b int, c int)",
    "INSERT INTO gsx VALUES (1, 1, 1), (1, 1, 1), (1, 2, 2), (2, 2, 2), (2, 3, 4), (3, NULL, 5)",
    "CREATE TABLE gsx_pk (a int PRIMARY KEY, b int, c int, d int)",
    "INSERT INTO gsx_pk VALUES (1, 1, 1, 1), (2, 2, 2, 2)",
    "CREATE TABLE stx (x float8, y float8, r real, s int2, i8 int8)",
    ("INSERT INTO stx VALUES (10, 150, 1, 2, 3), (20, 250, 2, 3, 4), (30, 350, 3, 4, 5), (80, 540, 4, 5, 6), "
    "(100, 200, 5, 6, 7), (NULL, 7, NULL, 8, NULL)"),
]

STEPS = [
    "SELECT sum(c) FROM gsx GROUP BY GROUPING SETS ((), GROUPING SETS ((), GROUPING SETS ((a, b)))) ORDER BY 1 DESC",
    "SELECT sum(c) FROM gsx GROUP BY GROUPING SETS (a, GROUPING SETS (a, CUBE (b))) ORDER BY 1 DESC",
    "SELECT sum(c) FROM gsx GROUP BY GROUPING SETS ((a, (a, b)), GROUPING SETS ((a, (a, b)), a)) ORDER BY 1 DESC",
    "SELECT a, b, sum(c), count(*) FROM gsx GROUP BY GROUPING SETS (ROLLUP (a, b), a) ORDER BY 1, 2, 3",
    "SELECT a, b, grouping(a, b), count(*) FROM gsx GROUP BY (a, b) ORDER BY 1, 2",
    "SELECT a, b, c FROM gsx GROUP BY DISTINCT ROLLUP (a, b), ROLLUP (a, c) ORDER BY a, b, c",
    "SELECT a, d, grouping(a, b, c) FROM gsx_pk GROUP BY GROUPING SETS ((a, b), (a, c)) ORDER BY 3, 1",
    "SELECT * FROM (SELECT 1 AS x, a, sum(b) FROM gsx GROUP BY GROUPING SETS (1, 2)) ss ORDER BY 2, 1",
    "SELECT * FROM (SELECT 1 AS x, a, sum(b) FROM gsx GROUP BY GROUPING SETS (1, 2)) ss WHERE x = 1 AND a = 1",
    ("SELECT regr_count(y, x), regr_sxx(y, x), regr_syy(y, x), regr_sxy(y, x), regr_avgx(y, x), regr_avgy(y, x), "
    "regr_r2(y, x), regr_slope(y, x), regr_intercept(y, x) FROM stx"),
    "SELECT covar_pop(y, x), covar_samp(y, x), corr(y, x) FROM stx",
    "SELECT regr_count(r, s), regr_sxx(r, s), regr_avgx(r, s), regr_r2(r, s), regr_slope(r, s) FROM stx",
    "SELECT s % 2 AS k, regr_slope(y, x), corr(y, x) FROM stx GROUP BY 1 ORDER BY 1",
    "SELECT regr_count(y, x) FROM stx WHERE false",
    "SELECT regr_slope(y, 'a'::text) FROM stx",
    "SELECT bit_and(s), bit_or(s), bit_xor(i8), bit_xor(s) FROM stx",
    ("SELECT array_agg(DISTINCT a ORDER BY a DESC), array_agg(DISTINCT b ORDER BY b DESC NULLS LAST), "
    "array_agg(DISTINCT b ORDER BY b NULLS FIRST) FROM gsx"),
]

CLEANUP = ["DROP TABLE IF EXISTS gsx", "DROP TABLE IF EXISTS gsx_pk", "DROP TABLE IF EXISTS stx"]


def test_grouping_sets_and_statistics_as_postgres(systems):
    assert_steps_agree(*systems, STEPS)
