"""money as PostgreSQL 15 with lc_monetary C: input ('$1,234.56', '(1)', rounding of a third
fractional digit), output, arithmetic with integers and floats (truncating vs rounding
division), casts from and to numeric and integers, comparisons, cashlarger/cash_words, storage,
and the errors (22003 money out of range, 22012, 22P02), compared with a live PostgreSQL."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("helios_difftest", Path(__file__).with_name("test_differential.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
describe = _mod.describe

SETUP = [
    "SET lc_monetary = 'C'",
    "CREATE TABLE money_t (id int, m money)",
    "INSERT INTO money_t VALUES (1, '$1,234.56'), (2, '(12.345)'), (3, '-0.005'), (4, NULL), (5, '92233720368547758.07')",
]

STATEMENTS = [
    "SELECT id, m FROM money_t ORDER BY id",
    "SELECT id FROM money_t WHERE m > '$0' ORDER BY id",
    "SELECT -m FROM money_t",
    ("SELECT id, m + '1.01', m - '$2', m * 2, 3 * m, m / 3, m * 1.5::float8, m / 7::float4, m / '$2'::money "
    "FROM money_t WHERE id < 5 ORDER BY id"),
    "SELECT '878.08'::money / 11::float8, '878.08'::money / 11::int, '90000000000000099.00'::money / 10::bigint",
    ("SELECT 1234567890::money, (-12345)::int8::money, 12.345::numeric::money, '12.34'::money::numeric, "
    "'-92233720368547758.08'::money::numeric"),
    "SELECT cashlarger('$1', '$2'), cashsmaller('$1', '$2'), cash_words('$1,234,567.01'), cash_words('-1.00')",
    "SELECT m::text, pg_typeof(m) FROM money_t WHERE id = 1",
    "SELECT '123456789012345678'::money",
    "SELECT 'x1'::money",
    "SELECT m + '0.01' FROM money_t WHERE id = 5",
    "SELECT '42'::money * 'nan'::float4",
    "SELECT '1'::money / 0::int2",
    "SELECT '1'::money + 1.5",
]


CLEANUP = ['DROP TABLE money_t']


@pytest.mark.parametrize("sql", STATEMENTS)
def test_money_agrees(systems, sql):
    pg, hx = systems
    p, h = pg.run(sql), hx.run(sql)
    want = ("error", p.sqlstate) if p.sqlstate else ("ok", list(p.oids), p.rows)
    got = ("error", h.sqlstate) if h.sqlstate else ("ok", list(h.oids), h.rows)
    assert got == want, describe(0, sql, p, h)
