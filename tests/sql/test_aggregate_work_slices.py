"""GROUP BY whose computed arguments are built slice by slice, and aggregations computed once.

The hash aggregation builds its work table ``WORK_SLICE_ROWS`` input rows at a time when an
argument is computed; with a small slice size every answer here must equal the one built over
the whole input (and the exact values computed in Python): NULLs, numeric scales, groups a
FILTER leaves empty, grouping sets, ordered list aggregates, numeric NaN in one slice only,
and unscaled int64 sums that would overflow over the whole input although no slice does.
"""
from __future__ import annotations

import decimal

import pytest

import helios_core
from helios_core.sql.operators import aggregate

ROWS = 5000


def _rows(session, sql: str) -> list[tuple]:
    result = None
    for result in session.execute(sql):
        pass
    return result.rows()


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    _rows(s, "CREATE TABLE t (k int, g text, v numeric(12,2), w numeric(18,0), i int4, f float8, n numeric, u numeric(18,0))")
    _rows(s, f"""INSERT INTO t SELECT x % 7, CASE WHEN x % 11 = 0 THEN NULL ELSE 'g' || (x % 5) END,
                 CASE WHEN x % 13 = 0 THEN NULL ELSE (x % 1000) / 100.0 END, 900000000000000000, x, x * 0.5,
                 CASE WHEN x = 4321 THEN 'NaN'::numeric ELSE x / 4.0 END, 6000000000000000
                 FROM generate_series(1, {ROWS}) x""")
    yield s
    s.close()


def _both(session, monkeypatch, sql: str) -> tuple[list, list]:
    monkeypatch.setattr(aggregate, "WORK_SLICE_ROWS", 700)
    sliced = _rows(session, sql)
    monkeypatch.setattr(aggregate, "WORK_SLICE_ROWS", 1 << 40)
    whole = _rows(session, sql)
    return sliced, whole


QUERIES = [
    ("SELECT g, count(*), count(v), sum(v * 2), avg(v + 1), min(v - 1), max(v * v), sum(i + 1), avg(i * 2) "
     "FROM t GROUP BY g"),
    "SELECT k, sum(v * (1 - v)), avg(v * (1 - v)), sum(v), avg(v), count(v) FROM t GROUP BY k",
    "SELECT k, sum(v * 2) FILTER (WHERE i < 0), count(v + 1) FILTER (WHERE i < 0) FROM t GROUP BY k",
    "SELECT g, k, sum(v * 3), count(*) FROM t GROUP BY GROUPING SETS ((g), (k), ())",
    "SELECT k, string_agg(g || 'x', ',' ORDER BY i DESC), sum(i * 2) FROM t WHERE i % 97 = 0 GROUP BY k",
    "SELECT k, sum(n * 2), avg(n + 1), max(n - 1) FROM t GROUP BY k",
    "SELECT k, sum(w * 2), avg(w + 0) FROM t GROUP BY k",
    "SELECT sum(v * 2), avg(v + 1), count(*) FROM t",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_sliced_work_table_answers_as_whole(session, monkeypatch, sql):
    sliced, whole = _both(session, monkeypatch, sql)
    assert sliced == whole
    assert len(sliced) > 0


def test_sliced_sums_are_exact(session, monkeypatch):
    sliced, _ = _both(session, monkeypatch,
                      "SELECT k, sum(v * (1 - v)), count(v * 2), sum(w * 2) FROM t GROUP BY k ORDER BY k")
    expect = {}
    for x in range(1, ROWS + 1):
        k = x % 7
        s, c, sw = expect.get(k, (decimal.Decimal(0), 0, 0))
        if x % 13:
            v = decimal.Decimal(x % 1000) / 100
            s, c = s + v * (1 - v), c + 1
        expect[k] = (s, c, sw + 2 * 900000000000000000)
    assert sliced == [(k, *expect[k]) for k in sorted(expect)]


def test_no_slice_overflows_but_the_whole_sum_would(session, monkeypatch):
    """700 rows of u + 0 sum inside int64, 5,000 do not: the slices must not take the unscaled
    int64 path their own size would allow."""
    sliced, whole = _both(session, monkeypatch, "SELECT k % 1, sum(u + 0), avg(u * 1) FROM t GROUP BY k % 1")
    assert sliced == whole == [(0, decimal.Decimal(ROWS * 6000000000000000), decimal.Decimal(6000000000000000))]
    assert ROWS * 6000000000000000 > 2**63


def test_shared_aggregations_keep_null_counts(session):
    """sum(v) beside avg(v) and count(v) share Arrow's aggregation, but count(v) of a column with
    NULLs is not the group's row count."""
    rows = _rows(session, "SELECT g, count(*), count(v), count(i), sum(v), avg(v) FROM t WHERE g = 'g1' GROUP BY g")
    expect_v = [decimal.Decimal(x % 1000) / 100 for x in range(1, ROWS + 1)
                if x % 5 == 1 and x % 11 and x % 13]
    total = sum(1 for x in range(1, ROWS + 1) if x % 5 == 1 and x % 11)
    assert rows[0][:4] == ("g1", total, len(expect_v), total)
    assert rows[0][4] == sum(expect_v)
    assert rows[0][5] == (sum(expect_v) / len(expect_v)).quantize(rows[0][5])


def test_grand_count_distinct_counts_values_as_postgresql(monkeypatch):
    """count(DISTINCT x) without GROUP BY counts Arrow's unique values for plain-equality types;
    NULL is not counted, floats (-0.0 = 0.0, NaN = NaN), char(n) padding and FILTER keep the
    general path."""
    fast = []
    counter = aggregate._grand_count_distinct

    def spy(spec, values):
        out = counter(spec, values)
        fast.append((spec.args[0].type.name, out is not None))
        return out

    monkeypatch.setattr(aggregate, "_grand_count_distinct", spy)
    s = helios_core.connect()
    try:
        _rows(s, "CREATE TABLE d (a int, t text, n numeric(6,3), f float8, c char(3), ci int, b bool, dt date)")
        _rows(s, "INSERT INTO d VALUES (1, 'x', 1.0, 0.0, 'a', 1, true, '2024-01-01'), "
                 "(1, 'x', 1.00, -0.0, 'a  ', 2, true, '2024-01-01'), (NULL, NULL, NULL, NULL, NULL, 3, NULL, NULL), "
                 "(2, 'X', 2, 'NaN', ' a', 4, false, '2024-01-02'), (3, 'y', 2.000, 'NaN', 'b', 5, NULL, NULL)")
        assert _rows(s, "SELECT count(DISTINCT a), count(DISTINCT t), count(DISTINCT n), count(DISTINCT f), "
                        "count(DISTINCT c), count(DISTINCT b), count(DISTINCT dt), count(*), "
                        "count(DISTINCT a) FILTER (WHERE ci > 2) FROM d") == [(3, 3, 2, 2, 3, 2, 2, 5, 2)]
        assert _rows(s, "SELECT count(DISTINCT a), count(DISTINCT t) FROM d WHERE ci = 3") == [(0, 0)]
        assert _rows(s, "SELECT count(DISTINCT a) FROM d WHERE false") == [(0,)]
        assert ("int4", True) in fast and ("text", True) in fast and ("float8", False) in fast
        assert ("bpchar", True) not in fast
    finally:
        s.close()
