"""numeric past Arrow's 76 digits (numeric(1000, 800) columns, 1e340, 200-digit products and
quotients), compared with PostgreSQL 15: text output at each value's own scale, arithmetic
result scales, rounding, the numeric functions, casts and their errors, and storage."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("helios_difftest", Path(__file__).with_name("test_differential.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
describe = _mod.describe

_A = "85243.39540024977626076239847863600785982737155858270959890014613035727868293618673807776733416230953723"
_B = "-994877526002806872754342148749241.0435302345186659038705495917473612950131068028082338333100764630624354"

SETUP = [
    "CREATE TABLE wide_num (id int4, val numeric(1000, 800))",
    f"INSERT INTO wide_num VALUES (1, '{_A}'), (2, '{_B}'), (3, 'NaN'), (4, '0'), (5, '7.5'), (6, NULL)",
    "CREATE TABLE wide_scale10 (id int4, val numeric(210, 10))",
    "INSERT INTO wide_scale10 VALUES (1, '-34338492.215397047'), (2, 'NaN'), (3, '4.31')",
]

STATEMENTS = [
    # storage, text output, order-insensitive reads
    "SELECT id, val FROM wide_num ORDER BY id",
    "SELECT id, val FROM wide_scale10 ORDER BY id",
    "SELECT id FROM wide_num WHERE val > 1 ORDER BY id",
    "SELECT id FROM wide_num WHERE val = 'NaN' ORDER BY id",
    "SELECT id FROM wide_scale10 WHERE val = 'NaN'",
    # arithmetic result scales: + - keep the larger scale, * adds them, / follows select_div_scale
    "SELECT a.id, b.id, a.val + b.val, a.val - b.val FROM wide_num a, wide_num b WHERE a.id < 3 AND b.id < 6 ORDER BY 1, 2",
    "SELECT a.id, b.id, a.val * b.val FROM wide_num a, wide_num b WHERE a.id IN (1, 2) AND b.id IN (2, 5) ORDER BY 1, 2",
    "SELECT a.id, b.id, a.val / b.val FROM wide_num a, wide_num b WHERE a.id < 6 AND b.id IN (1, 2, 5) ORDER BY 1, 2",
    "SELECT a.id, a.val % 7, div(a.val, 7), mod(a.val, 3) FROM wide_num a WHERE id IN (1, 2, 5) ORDER BY 1",
    "SELECT id, round(val, 10), round(val, -3), trunc(val, 40), round(val), ceil(val), floor(val) FROM wide_num ORDER BY id",
    "SELECT id, -val, abs(val), sign(val), scale(val), min_scale(val), trim_scale(val) FROM wide_num ORDER BY id",
    "SELECT id, sqrt(abs(val)), ln(abs(val)), log(abs(val)), exp(val / 1e30) FROM wide_num WHERE id IN (1, 2, 5) ORDER BY 1",
    "SELECT id, power(val, 2), val ^ 3, power(numeric '10', ln(abs(round(val, 200)))) FROM wide_num WHERE id IN (1, 5)",
    "SELECT id, val::float8, val::text, (val * 0)::int8 FROM wide_num WHERE id IN (1, 2, 5) ORDER BY 1",
    "SELECT id, round(val * val, 30) FROM wide_scale10 WHERE id <> 2 ORDER BY 1",
    # values over 76 digits without a column
    "SELECT 1e340::text = '1' || repeat('0', 340), pg_typeof(1e100)",
    "SELECT 1e100 * 1e100 / 3, 1e100 + 0.000001, -1e80 - 1",
    "SELECT (2::numeric ^ 300)::numeric(400, 100)",
    "SELECT 1e400::float8",
    "SELECT 1e80::int8",
    "SELECT '1e90'::numeric(100, 20), '12345.678901234567890123456789'::numeric(100, 20)",
    "SELECT 'Infinity'::numeric(1000, 800)",
    "SELECT '1e990'::numeric(1000, 800)",
    "SELECT 1e100 / 0",
    # ordering, grouping and DISTINCT compare values (1.5 = 1.50) in PostgreSQL's order (NaN last)
    "SELECT val FROM wide_num ORDER BY val DESC NULLS LAST",
    "SELECT x, count(*) FROM (VALUES (1e100), (1e100 + 0.5), (2.5), (2.50), (1e100), (NULL)) v(x) GROUP BY x ORDER BY x",
    "SELECT DISTINCT x FROM (VALUES (1e90), (2.5::numeric(1000, 800)), (2.50)) v(x) ORDER BY x",
    "SELECT count(DISTINCT x), count(x) FROM (VALUES (1e100), (2.5), (2.50)) v(x)",
    "SELECT max(val), min(val), sum(val) FROM wide_scale10",
    # VALUES rows keep each value's own scale, and so do results computed from them
    "SELECT x, -x, x + 1, x * 2, round(x, 1), sqrt(abs(x)) FROM (VALUES ('0'::numeric), ('4.2'), ('1.000'), ('nan')) v(x)",
    ("WITH v(x) AS (VALUES ('0'::numeric), ('1'), ('4.2'), ('inf'), ('nan')) "
     "SELECT x1, x2, power(x1, x2), x1 / x2 FROM v v1(x1), v v2(x2) WHERE x2 <> 0 AND (x1 <> 0 OR x2 >= 0)"),
    # to_number through to_char templates
    ("SELECT to_number('-34,338,492.654,878', '99G999G999D999G999'), to_number('<564646.654564>', '999999.999999PR'), "
     "to_number('0.00001-', '9.999999S'), to_number('.-01', 'S99.99'), to_number(' . 0 1-', ' 9 9 . 9 9 S'), "
     "to_number('123,000', '999G'), to_number('$1,234.56', 'L99,999.99'), to_number('42nd', '99th'), "
     "to_number('.0', '99999999.99999999')"),
]


CLEANUP = ['DROP TABLE wide_num, wide_scale10']


def _exact(o):
    """Rows as text, every digit and the scale included (the shared comparison normalizes
    numerics to 28 significant digits), or the error's SQLSTATE."""
    if o.sqlstate is not None:
        return ("error", o.sqlstate)
    return ("ok", list(o.oids), sorted(o.rows, key=repr))


@pytest.mark.parametrize("sql", STATEMENTS)
def test_wide_numeric_agrees(systems, sql):
    pg, hx = systems
    p, h = pg.run(sql), hx.run(sql)
    assert _exact(p) == _exact(h), describe(0, sql, p, h)
