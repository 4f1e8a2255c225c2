"""Numeric result scales and parser-shaped calls found by the differential run; every expected
value is PostgreSQL 15's answer."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.sql import types as T
from helios_core.sql.functions import to_text


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    yield s
    s.close()


def values(session, sql: str) -> list[str | None]:
    r = session.execute(sql)[-1]
    out = []
    for b in r.batches:
        for i, c in enumerate(r.columns):
            out.extend(to_text(b.column(i), T.type_by_oid(c.type_oid)).to_pylist())
    return out


@pytest.mark.parametrize(("sql", "want"), [
    # integer exponents: 16 digits after the point (or the base's scale), whatever the result's size
    ("select power(0.5, 3), 0.5 ^ 3, power(1.5, -2), power(0.5, 3.0)",
     ["0.1250000000000000", "0.1250000000000000", "0.4444444444444444", "0.1250000000000000"]),
    ("select power(2.5, 2), power(10.123456789012345678, 2), power(2.0, 0)",
     ["6.2500000000000000", "102.484377359000152397", "1.0000000000000000"]),
    # other exponents: 16 - trunc(y * log10(x)) digits
    ("select power(0.25, 0.5), power(0.001, 0.5), power(4.0, 0.5), power(123.456, 2.5)",
     ["0.5000000000000000", "0.03162277660168379", "2.0000000000000000", "169348.16848325965"]),
    ("select power(0::numeric, 0.5), power(0.0001, 1.5)", ["0.0000000000000000", "0.0000010000000000000000"]),
    ("select lower(to_hex(255)), md5(lower(to_hex(0::bigint)))", ["ff", "cfcd208495d565ef66e7dff9f98764da"]),
    ("select extract(julian from timestamp '2024-01-01'), extract(julian from timestamp '2024-01-01 10:30')",
     ["2460311.0000000000000000000000000000", "2460311.43750000000000000000"]),
    ("select extract(julian from timestamp '2024-01-01 00:00:01')", ["2460311.000011574074074074074074"]),
])
def test_values_match_postgresql(session, sql, want):
    assert values(session, sql) == want
