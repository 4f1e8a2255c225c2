"""A GROUP BY under a sort that orders every group key (lowering.free_group_order) skips numbering
its input rows: the answers equal the numbered plan's, the shortcut is taken only where no two
groups can tie in the sort, and the decimal sums' int64 path (copied by two threads, its peak
taken on the way) still falls back where a sum could overflow."""

from __future__ import annotations

import decimal

import pytest

import helios_core
from helios_core.sql.operators import aggregate
from helios_core.sql.planner import decimal_fast, lowering

ROWS = 150_000  # over the dense-ids threshold, and several chunks


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    s.execute("CREATE TABLE sales (k int, mode char(10), region text, q numeric(15,2), big numeric(18,0), "
              "f float8, day date, tag char(2))")
    step = 10_000
    for start in range(0, ROWS, step):
        s.execute(f"""INSERT INTO sales SELECT x % 97, substr('TRUCK MAIL  AIR   SHIP  ', (x % 4) * 6 + 1, 6),
            CASE WHEN x % 23 = 0 THEN NULL ELSE 'r' || (x % 13) END, (x % 50)::numeric + 0.25,
            900000000000000000 - x, (x % 7) * 0.5, DATE '2021-01-01' + (x % 40), 'a' || (x % 3)
            FROM generate_series({start}, {start + step - 1}) x""")
    yield s
    s.close()


FREE = [
    "SELECT mode, count(*) AS c, avg(q) AS a FROM sales GROUP BY mode ORDER BY c DESC, mode",
    "SELECT region, sum(q) FROM sales GROUP BY region ORDER BY region NULLS FIRST",
    "SELECT k, sum(q) AS s, count(*) FROM sales GROUP BY k ORDER BY s DESC, k LIMIT 10",
    "SELECT mode, region, count(*) FROM sales GROUP BY mode, region HAVING count(*) > 2000 ORDER BY region, mode",
    "SELECT day, tag, max(q), min(k) FROM sales GROUP BY day, tag ORDER BY tag DESC, day",
    "SELECT k % 5 AS m, sum(q) FROM sales GROUP BY 1 ORDER BY 1",
    "SELECT q, count(*) FROM sales WHERE k < 50 GROUP BY q ORDER BY q",
    # integer keys numbered by their offsets (aggregate_by_ids._unordered): negative, stepped, several
    "SELECT k - 50 AS m, k % 3 AS r, sum(q), count(*), avg(f) FROM sales GROUP BY 1, 2 ORDER BY 2, 1",
    "SELECT day, count(*), sum(k) FROM sales GROUP BY day ORDER BY day DESC",
    "SELECT (k % 4) * 1000 - 7 AS s, max(k), min(f), count(region) FROM sales GROUP BY 1 ORDER BY 1",
    "SELECT day::timestamp AS ts, k % 2 AS half, sum(q) FROM sales GROUP BY 1, 2 ORDER BY 1, 2",
]

NUMBERED = [
    "SELECT mode, region, count(*) FROM sales GROUP BY mode, region ORDER BY mode",  # regions may tie
    "SELECT f, count(*) FROM sales GROUP BY f ORDER BY f",  # floats: -0 and 0 tie in the sort
    "SELECT mode, count(*) FROM sales GROUP BY ROLLUP (mode) ORDER BY mode",
    "SELECT lower(region) AS r, count(*) FROM sales GROUP BY region ORDER BY r",  # not the key itself
    "SELECT mode, string_agg(region, ',' ORDER BY region) FROM sales WHERE k < 3 GROUP BY mode ORDER BY mode",
    "SELECT mode, count(*) FROM sales GROUP BY mode",  # no sort: first appearance
    "SELECT tag::bpchar AS t, count(*) FROM sales GROUP BY 1 ORDER BY 1",  # grouped without trailing blanks
]


def _rows(s, sql):
    return s.execute(sql)[-1].rows()


def _unordered_flags(session, sql, monkeypatch):
    seen = []
    real = aggregate.HashAggregate._groups_unordered

    def spy(self, cols, key_arrays):
        out = real(self, cols, key_arrays)
        seen.append(out)
        return out

    monkeypatch.setattr(aggregate.HashAggregate, "_groups_unordered", spy)
    rows = _rows(session, sql)
    monkeypatch.undo()
    return rows, seen


@pytest.mark.parametrize("sql", FREE, ids=[f"free{i}" for i in range(len(FREE))])
def test_sorted_groups_skip_row_numbers_and_answer_the_same(session, sql, monkeypatch):
    free, seen = _unordered_flags(session, sql, monkeypatch)
    assert seen and all(seen)
    monkeypatch.setattr(lowering, "free_group_order", lambda op: None)
    numbered = _rows(session, sql + " ")  # another text: planned again, groups numbered
    assert free == numbered


@pytest.mark.parametrize("sql", NUMBERED, ids=[f"numbered{i}" for i in range(len(NUMBERED))])
def test_groups_that_could_tie_keep_their_first_appearance_order(session, sql, monkeypatch):
    _, seen = _unordered_flags(session, sql, monkeypatch)
    assert not any(seen)


def test_unsorted_group_by_keeps_first_appearance(session):
    rows = _rows(session, "SELECT k % 7, count(*) FROM sales WHERE k > 0 GROUP BY 1")
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5, 6, 0]


def test_many_chunk_decimal_copy_and_its_peak(session, monkeypatch):
    monkeypatch.setattr(decimal_fast, "PARALLEL_COPY_ROWS", 1)  # the two-thread copy even here
    got = _rows(session, "SELECT mode, sum(q), avg(q), count(*) FROM sales GROUP BY mode ORDER BY mode")
    expect = {}
    for x in range(ROWS):
        mode = "TRUCK MAIL  AIR   SHIP  "[(x % 4) * 6:(x % 4) * 6 + 6].ljust(10)
        total, n = expect.get(mode, (decimal.Decimal(0), 0))
        expect[mode] = (total + decimal.Decimal(x % 50) + decimal.Decimal("0.25"), n + 1)
    assert [(m, s, c) for m, s, _, c in got] == [(m, expect[m][0], expect[m][1]) for m in sorted(expect)]
    # values near 9e17: their sum leaves int64, so the exact path must answer, not a wrapped int64
    big = _rows(session, "SELECT tag, sum(big) FROM sales GROUP BY tag ORDER BY tag")
    expect_big = {}
    for x in range(ROWS):
        tag = f"a{x % 3}"
        expect_big[tag] = expect_big.get(tag, 0) + 900000000000000000 - x
    assert big == [(t, decimal.Decimal(expect_big[t])) for t in sorted(expect_big)]


def test_counts_of_null_free_columns_are_counted_once():
    """Without row numbers, count(*) and the counts avg() needs over NULL-free columns are one
    aggregation (they are every group's row count); a count over a column with NULLs is its own."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = 1000
    work = pa.table({"g0": pa.array([f"k{i % 3}" for i in range(n)]), "a0": pa.array(np.arange(n)),
                     "a1": pa.array(np.arange(n) * 2), "a2": pa.array([None if i % 7 == 0 else i for i in range(n)]),
                     "a3": pa.array(np.ones(n, np.int8))})
    valid = pc.CountOptions(mode="only_valid")
    aggs = [("a0", "sum"), ("a0", "count", valid), ("a1", "count", valid), ("a2", "count", valid),
            ("a3", "count", valid)]
    unique, copies = aggregate.distinct_aggregations(work, ["g0"], aggs)
    assert [u[:2] for u in unique] == [("a0", "sum"), ("a0", "count"), ("a2", "count")]
    assert copies == [("a1_count", "a0_count"), ("a3_count", "a0_count")]
    out = aggregate._hash_aggregate(work, ["g0"], aggs).sort_by("g0")
    assert out.column("a3_count").to_pylist() == [334, 333, 333]
    assert out.column("a2_count").to_pylist() == [len([i for i in range(n) if i % 3 == g and i % 7]) for g in range(3)]


def test_integer_keys_go_by_offsets_when_unordered(session, answered):
    from helios_core.sql.operators import aggregate_by_ids

    taken = answered(aggregate_by_ids, "_unordered")
    _rows(session, FREE[7] + "  ")
    assert taken == [True]
    taken.clear()
    _rows(session, "SELECT k, count(*) FROM (SELECT k FROM sales ORDER BY k) s GROUP BY k ORDER BY k")
    assert taken in ([], [False])  # sorted input: keys come in runs, the ordered path sums a run at a time
