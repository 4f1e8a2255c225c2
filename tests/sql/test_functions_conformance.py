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
    # PostgreSQL 15's regexp_instr/regexp_substr and regexp_count's start and flags
    (("select regexp_instr('abcabc', 'c'), regexp_instr('abcabc', 'c', 4), regexp_instr('abcabc', 'c', 1, 3), "
     "regexp_instr('abcabc', 'b(c)', 1, 1, 1), regexp_instr('ABCabc', 'b(c)', 1, 2, 0, 'i', 1), "
     "regexp_instr('abc', 'b(x)?', 1, 1, 0, '', 1), regexp_instr('abc', 'b', 1, 1, 0, '', 5)"),
     ["3", "6", "0", "4", "6", "0", "0"]),
    (("select regexp_substr('abc', 'b.'), regexp_substr('abcabc', 'b(c)', 1, 2, '', 1), "
     "regexp_substr('ABCabc', 'b', 1, 1, 'i'), regexp_substr('abc', 'x'), regexp_substr('abc', '(b)', 1, 1, '', 2)"),
     ["bc", "c", "B", None, None]),
    ("select regexp_count('abcabc', 'b', 3), regexp_count('ABCabc', 'b', 1, 'i')", ["1", "2"]),
    ("select sha256('abc'), sha224('a'::bytea)",
     ["\\xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      "\\xabd37534c7d9a2efb9465de931cd7055ffdb8879563ae98078d6d6d5"]),
    ("select get_bit('abc'::bytea, 3), set_bit('abc'::bytea, 3, 1), set_byte('abc'::bytea, 0, 321)",
     ["0", "\\x696263", "\\x416263"]),
    ("select make_time(8, 15, 23.5)", ["08:15:23.5"]),
    (("select width_bucket(5, array[1,3,6]), width_bucket(0, array[1,3,6]), width_bucket(6, array[1,3,6]), "
     "width_bucket(2.5, array[1,3,6])"), ["2", "0", "3", "1"]),
])
def test_values_match_postgresql(session, sql, want):
    assert values(session, sql) == want


@pytest.mark.parametrize(("sql", "state", "message"), [
    ("select regexp_instr('abc', 'b', 0)", "22023", 'invalid value for parameter "start": 0'),
    ("select regexp_substr('abc', 'b', 1, 0)", "22023", 'invalid value for parameter "n": 0'),
    ("select regexp_instr('abc', 'b', 1, 1, 2)", "22023", 'invalid value for parameter "endoption": 2'),
    ("select regexp_count('abc', 'b', 1, 'g')", "22023", 'regexp_count() does not support the "global" option'),
    ("select get_bit('abc'::bytea, 24)", "2202E", "index 24 out of valid range, 0..23"),
    ("select set_bit('abc'::bytea, 0, 2)", "22023", "new bit must be 0 or 1"),
    ("select width_bucket(5, array[1,null,6])", "22004", "thresholds array must not contain NULLs"),
])
def test_errors_match_postgresql(session, sql, state, message):
    from helios_core.errors import HeliosError

    with pytest.raises(HeliosError) as ei:
        values(session, sql)
    assert ei.value.sqlstate == state
    assert message in str(ei.value)
