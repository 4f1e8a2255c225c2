"""Aggregation edge cases against a real PostgreSQL 15: NULL groups, empty inputs, numeric sums
and averages (precision and scale), count types, DISTINCT aggregates with and without GROUP BY,
FILTER, and inputs that arrive in several chunks (several INSERTs), each statement compared
result for result with PostgreSQL's."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("helios_difftest", Path(__file__).with_name("test_differential.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
agree, describe = _mod.agree, _mod.describe

SETUP = [
    "DROP TABLE IF EXISTS agg_edge",
    "CREATE TABLE agg_edge (g text, h int, i int, b bigint, q numeric(15,2), d numeric(12,4), f float8)",
    # several statements: the rows reach the aggregate in more than one chunk
    ("INSERT INTO agg_edge VALUES ('a', 1, 1, 10, 1.50, 0.0500, 1.5), ('a', 1, 1, 10, 1.50, 0.0500, 1.5),"
    " ('a', NULL, 2, NULL, 2.25, NULL, NULL), (NULL, 2, NULL, 9000000000000000000, NULL, 0.0700, -0.0)"),
    ("INSERT INTO agg_edge VALUES (NULL, NULL, 3, 9000000000000000000, 99999999999.99, 0.1000, 0.0),"
    " ('b', 2, 3, -5, -1.25, 0.0001, 2.5), ('b', NULL, NULL, NULL, NULL, NULL, NULL)"),
    ("INSERT INTO agg_edge SELECT CASE WHEN x % 3 = 0 THEN NULL ELSE 'c' END, x % 4, x % 7, x, x * 1.01,"
    " x / 1000.0, x * 0.5 FROM generate_series(1, 3000) x"),
]

STATEMENTS = [
    # NULL groups and grouping keys of several types
    "SELECT g, count(*), count(h), sum(i), avg(i) FROM agg_edge GROUP BY g ORDER BY g",
    "SELECT g, h, count(*) FROM agg_edge GROUP BY g, h ORDER BY g, h",
    "SELECT h IS NULL, count(*) FROM agg_edge GROUP BY 1 ORDER BY 1",
    # numeric sums and averages keep PostgreSQL's scale; bigint sums are numeric and do not overflow
    "SELECT sum(q), avg(q), sum(d), avg(d), sum(q * (1 - d)), sum(q * (1 - d) * (1 + d)) FROM agg_edge",
    "SELECT g, sum(q), avg(q), sum(q * (1 - d)), min(q), max(d) FROM agg_edge GROUP BY g ORDER BY g",
    "SELECT sum(b), avg(b), sum(i), avg(i), pg_typeof(sum(i)), pg_typeof(sum(b)), pg_typeof(count(*)) FROM agg_edge",
    "SELECT g, sum(b), avg(b) FROM agg_edge GROUP BY g ORDER BY g",
    # empty inputs: the grand aggregate gives one row, a grouped one none
    ("SELECT count(*), count(q), sum(q), avg(q), min(g), max(f), sum(DISTINCT i), count(DISTINCT g) "
    "FROM agg_edge WHERE false"),
    "SELECT g, count(*), sum(q) FROM agg_edge WHERE false GROUP BY g",
    "SELECT count(*) FROM agg_edge",
    "SELECT count(*), sum(q), max(g) FROM agg_edge GROUP BY ()",
    "SELECT 1 AS one FROM agg_edge GROUP BY () HAVING count(*) > 0",
    "SELECT g, count(*), sum(DISTINCT h) FROM agg_edge GROUP BY GROUPING SETS ((g), ()) ORDER BY g",
    # DISTINCT aggregates: NULLs ignored, duplicates counted once, with and without groups and FILTER
    "SELECT count(DISTINCT g), count(DISTINCT h), count(DISTINCT q), sum(DISTINCT i), avg(DISTINCT i) FROM agg_edge",
    ("SELECT g, count(DISTINCT h), sum(DISTINCT q), avg(DISTINCT d), min(DISTINCT i), max(DISTINCT i) "
    "FROM agg_edge GROUP BY g ORDER BY g"),
    ("SELECT g, count(DISTINCT i) FILTER (WHERE h > 0), count(*) FILTER (WHERE h IS NULL) "
    "FROM agg_edge GROUP BY g ORDER BY g"),
    "SELECT count(DISTINCT i) FILTER (WHERE q > 100), sum(DISTINCT h) FILTER (WHERE g = 'c') FROM agg_edge",
    "SELECT count(DISTINCT f) FROM agg_edge",
    "SELECT count(DISTINCT (g, h)) FROM agg_edge",
    "SELECT g, string_agg(DISTINCT h::text, ',' ORDER BY h::text) FROM agg_edge WHERE i < 3 GROUP BY g ORDER BY g",
    "SELECT g, count(DISTINCT i), count(i) FROM agg_edge GROUP BY ROLLUP (g) ORDER BY g",
    # top-k over an aggregate: ties broken by the second key, NULLS FIRST/LAST as asked
    "SELECT h, sum(q) AS s FROM agg_edge GROUP BY h ORDER BY s DESC NULLS LAST, h LIMIT 3",
    "SELECT h, sum(q) AS s FROM agg_edge GROUP BY h ORDER BY s NULLS FIRST, h LIMIT 3",
]


CLEANUP = ['DROP TABLE IF EXISTS agg_edge']


@pytest.mark.parametrize("sql", STATEMENTS)
def test_aggregate_agrees(systems, sql):
    pg, hx = systems
    p, h = pg.run(sql), hx.run(sql)
    assert agree(sql, p, h), describe(0, sql, p, h)
