"""Grouped percentile_cont / percentile_disc against a real PostgreSQL 15: NULL and text group keys,
timestamp keys, FILTER, DESC order, NULL values, numeric and float values, rows arriving in several
chunks, float NaN, bigint keys far apart, runs of many lengths. HeliosDB computes them from runs of
rows per group sorted on their own (numbers) or from one sort by (group keys, value) (other types);
each answer is compared with PostgreSQL's."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("helios_difftest", Path(__file__).with_name("test_differential.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
Postgres, Helios, agree, describe = _mod.Postgres, _mod.Helios, _mod.agree, _mod.describe

SETUP = [
    "DROP TABLE IF EXISTS pct_groups",
    "CREATE TABLE pct_groups (g text, h int, t timestamptz, v float8, q numeric(10,2), ok bool)",
    ("INSERT INTO pct_groups VALUES ('a', 1, '2024-01-01 10:05+00', 1.5, 2.50, true), "
     "('a', 1, '2024-01-01 10:40+00', NULL, NULL, false), (NULL, NULL, '2024-01-01 11:00+00', 7, 1.25, NULL), "
     "('b', 2, '2024-01-01 11:30+00', -0.5, -3.00, true)"),
    ("INSERT INTO pct_groups SELECT CASE WHEN x % 5 = 0 THEN NULL ELSE chr(97 + x % 3) END, "
     "CASE WHEN x % 7 = 0 THEN NULL ELSE x % 4 END, '2024-01-01 00:00+00'::timestamptz + x * interval '7 minutes', "
     "CASE WHEN x % 11 = 0 THEN NULL ELSE (x * 37 % 101) * 1.5 END, (x * 13 % 97) / 4.0, x % 3 = 0 "
     "FROM generate_series(1, 2000) x"),
    "DROP TABLE IF EXISTS pct_wide",
    "CREATE TABLE pct_wide (big bigint, k int, v float8, n int, t timestamp)",
    ("INSERT INTO pct_wide SELECT CASE WHEN x % 3 = 0 THEN -9000000000000000000 WHEN x % 3 = 1 "
     "THEN 9000000000000000000 ELSE x % 17 END, (x * 7919) % (1 + x % 40), "
     "CASE WHEN x % 13 = 0 THEN 'NaN'::float8 WHEN x % 29 = 0 THEN NULL ELSE (x * 7 % 31) - 15.25 END, "
     "x * 31 % 23, '2024-03-01'::timestamp + (x * 17 % 1000) * interval '1 minute' "
     "FROM generate_series(1, 3000) x"),
]

STATEMENTS = [
    ("SELECT g, h, percentile_cont(0.95) WITHIN GROUP (ORDER BY v), percentile_disc(0.5) WITHIN GROUP (ORDER BY v), "
     "count(*) FROM pct_groups GROUP BY g, h ORDER BY g, h"),
    ("SELECT date_trunc('hour', t) AS hour, g, percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS p50, "
     "percentile_cont(0.9) WITHIN GROUP (ORDER BY q) FILTER (WHERE ok) AS p90_ok FROM pct_groups "
     "GROUP BY 1, 2 ORDER BY 1, 2"),
    ("SELECT h, percentile_disc(0.1) WITHIN GROUP (ORDER BY q DESC), percentile_cont(0) WITHIN GROUP (ORDER BY v), "
     "percentile_cont(1) WITHIN GROUP (ORDER BY v DESC) FROM pct_groups GROUP BY h ORDER BY h"),
    "SELECT g, percentile_disc(0.5) WITHIN GROUP (ORDER BY g) FROM pct_groups GROUP BY g ORDER BY g",
    ("SELECT ok, percentile_cont(0.25) WITHIN GROUP (ORDER BY v) FILTER (WHERE h = 2) FROM pct_groups "
     "GROUP BY ok ORDER BY ok"),
    "SELECT g, percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM pct_groups WHERE h = 99 GROUP BY g",
    ("SELECT big, k, percentile_cont(0.95) WITHIN GROUP (ORDER BY v), percentile_disc(0.5) WITHIN GROUP "
     "(ORDER BY v DESC), percentile_disc(0.3) WITHIN GROUP (ORDER BY n), percentile_disc(0.7) WITHIN GROUP "
     "(ORDER BY t DESC), count(*) FROM pct_wide GROUP BY big, k ORDER BY big, k"),
    ("SELECT k, percentile_cont(0.5) WITHIN GROUP (ORDER BY n DESC), percentile_cont(0.2) WITHIN GROUP "
     "(ORDER BY v) FILTER (WHERE n > 5) FROM pct_wide GROUP BY k ORDER BY k"),
]


@pytest.fixture(scope="module")
def systems(postgres_dsn):
    pg = Postgres(postgres_dsn)
    hx = Helios()
    for sql in SETUP:
        for system in (pg, hx):
            out = system.run(sql)
            assert out.sqlstate is None, (sql, out.detail)
    yield pg, hx
    pg.run("DROP TABLE IF EXISTS pct_groups")
    pg.run("DROP TABLE IF EXISTS pct_wide")
    pg.close()


@pytest.mark.parametrize("sql", STATEMENTS)
def test_grouped_percentile_agrees(systems, sql):
    pg, hx = systems
    p, h = pg.run(sql), hx.run(sql)
    assert agree(sql, p, h), describe(0, sql, p, h)
