"""Rows that tie on every sort key come out in PostgreSQL's order: ORDER BY (its quicksort),
ORDER BY ... LIMIT (its bounded heap past twice the limit) and window functions (the order the
last-evaluated window's sort leaves the rows in, also without an ORDER BY of the query).

The expected id lists were recorded from PostgreSQL 15.18 running the same statements."""
from __future__ import annotations

import pytest

import helios_core
from helios_core.sql.operators.pg_tie_order import bounded_heap_order, quicksort_order

SETUP = ["create table tt (id int, g int, h text)",
         "insert into tt select i, (i * 7) % 5, ((i * 13) % 3)::text from generate_series(1, 300) i"]

CASES = [
    ('select id from tt order by g limit 7',
     [20, 30, 10, 5, 15, 25, 35]),
    ('select id from tt order by g, h limit 20 offset 3',
     [270, 300, 135, 150, 195, 240, 255, 165, 30, 105, 15, 45, 60, 75, 180, 225, 90, 40, 55, 160]),
    ('select id from tt order by g desc limit 12',
     [47, 52, 32, 42, 27, 7, 2, 22, 37, 17, 12, 57]),
    ('select id from tt where id <= 60 order by g',
     [60, 20, 15, 55, 5, 50, 45, 40, 35, 10, 30, 25, 8, 3, 13, 18, 23, 28, 33, 38, 43, 48, 53, 58, 6, 56, 21, 1, 41, 36, 11, 51, 31, 46, 26, 16, 4, 34, 9, 19, 14, 59, 24, 54, 39, 29, 44, 49, 57, 27, 32, 37, 42, 12, 7, 47, 2, 17, 52, 22]),
    ('select id from tt where id <= 60 order by h, g',
     [60, 15, 30, 45, 33, 3, 48, 18, 6, 36, 51, 21, 9, 39, 24, 54, 12, 57, 27, 42, 10, 40, 55, 25, 28, 43, 58, 13, 46, 16, 31, 1, 4, 49, 34, 19, 22, 7, 52, 37, 5, 20, 35, 50, 38, 8, 23, 53, 11, 26, 56, 41, 14, 59, 44, 29, 32, 17, 2, 47]),
    ('select id from tt where id <= 40 order by g limit 15',
     [15, 10, 30, 40, 35, 5, 25, 20, 33, 3, 23, 13, 18, 28, 8]),
    ('select id from tt where id <= 40 order by g limit 25',
     [5, 10, 40, 30, 35, 20, 15, 25, 38, 18, 23, 8, 33, 3, 13, 28, 21, 6, 11, 16, 1, 26, 31, 36, 24]),
    ('select id from tt where id <= 30 order by g, id % 2 desc nulls first',
     [15, 5, 25, 10, 20, 30, 13, 3, 23, 8, 28, 18, 1, 11, 21, 6, 16, 26, 29, 19, 9, 14, 24, 4, 27, 17, 7, 22, 2, 12]),
    ('select id, row_number() over (partition by g order by h) from tt where id <= 40',
     [30, 15, 40, 25, 10, 5, 20, 35, 33, 18, 3, 28, 13, 8, 38, 23, 21, 6, 36, 16, 1, 31, 11, 26, 9, 39, 24, 19, 34, 4, 14, 29, 27, 12, 7, 37, 22, 2, 17, 32]),
    ('select id, rank() over (order by h), sum(id) over (partition by g) from tt where id <= 40',
     [30, 39, 9, 27, 12, 33, 3, 21, 6, 15, 36, 24, 18, 1, 13, 28, 25, 34, 19, 22, 10, 31, 7, 40, 4, 37, 16, 32, 35, 20, 38, 23, 8, 11, 26, 14, 29, 17, 2, 5]),
    ('select id, sum(id) over (partition by g), rank() over (partition by h order by g) from tt where id <= 40',
     [35, 15, 30, 5, 20, 40, 10, 25, 8, 13, 3, 33, 18, 28, 23, 38, 31, 6, 36, 21, 16, 1, 26, 11, 34, 19, 24, 39, 9, 29, 14, 4, 7, 37, 22, 2, 27, 12, 17, 32]),
    ('select id, rank() over w, sum(id) over (partition by g) from tt where id <= 40 window w as (partition by h order by g)',
     [35, 15, 30, 5, 20, 40, 10, 25, 8, 13, 3, 33, 18, 28, 23, 38, 31, 6, 36, 21, 16, 1, 26, 11, 34, 19, 24, 39, 9, 29, 14, 4, 7, 37, 22, 2, 27, 12, 17, 32]),
    ('select id, sum(id) over (partition by g, h), rank() over (partition by h) from tt where id <= 40',
     [30, 15, 40, 25, 10, 20, 5, 35, 3, 33, 18, 28, 13, 38, 23, 8, 36, 21, 6, 1, 16, 31, 26, 11, 39, 24, 9, 34, 19, 4, 14, 29, 27, 12, 37, 22, 7, 32, 2, 17]),
]


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    for stmt in SETUP:
        s.execute(stmt)
    yield s
    s.close()


@pytest.mark.parametrize(("sql", "ids"), CASES, ids=[c[0] for c in CASES])
def test_tie_order_as_postgresql(session, sql, ids):
    assert [r[0] for r in session.execute(sql)[-1].rows()] == ids


def test_quicksort_orders_by_rank():
    import random

    rng = random.Random(7)
    for n in (5, 9, 45, 300):
        rank = [rng.randrange(6) for _ in range(n)]
        order = quicksort_order(rank)
        assert sorted(order) == list(range(n))
        assert [rank[i] for i in order] == sorted(rank)
    assert quicksort_order([0, 0, 1, 1, 2, 2, 3, 3]) == list(range(8))  # presorted: left as it is


def test_bounded_heap_keeps_the_smallest():
    rank = [5, 1, 4, 1, 3, 0, 2, 0, 1]
    top = bounded_heap_order(rank, 3)
    assert sorted(rank[i] for i in top) == [0, 0, 1]
    assert [rank[i] for i in top] == [0, 0, 1]


def test_no_rows_to_order() -> None:
    """ORDER BY ... LIMIT over no rows (a filter that keeps none) is an empty result, not a crash."""
    session = helios_core.connect()
    session.execute("create table few (id int, g int)")
    session.execute("insert into few values (1, 1), (2, 1)")
    assert session.execute("select id from few where g > 5 order by g limit 10")[-1].rows() == []
    assert session.execute("select id from few where g > 5 order by g")[-1].rows() == []


def test_bounded_heap_skips_rows_below_the_top_in_blocks():
    """Fed a numpy array, the heap discards whole blocks' rows not below its top at once: the same
    positions in the same order as feeding every row."""
    import random

    import numpy as np

    rng = random.Random(11)
    for n, bound, spread in ((40, 10, 3), (3000, 10, 50), (3000, 25, 4), (1000, 600, 7), (700, 10, 10**6)):
        rank = [rng.randrange(spread) for _ in range(n)]
        assert bounded_heap_order(np.asarray(rank), bound) == bounded_heap_order(rank, bound)


def test_a_numeric_key_orders_by_its_values_without_a_sort(monkeypatch):
    """ORDER BY one integer or float key without NULLs (ts_rank(...) DESC LIMIT 10) replays
    PostgreSQL's bounded heap over the values themselves: no sort for dense ranks first."""
    import numpy as np
    import pyarrow as pa

    from helios_core.sql.operators import pg_tie_order

    values = [0.5, 0.25, 0.5, 0.125, 0.25, 0.5, -0.0, 0.0, 0.25] * 10
    keys = pa.table({"k": pa.array(values, pa.float32())})
    _perm, ranks, _ties = pg_tie_order.dense_ranks(keys, [("k", "descending", "at_end")])
    want = bounded_heap_order(ranks.tolist(), 7)

    def no_sort(*args):
        raise AssertionError("sorted for dense ranks")

    monkeypatch.setattr(pg_tie_order, "dense_ranks", no_sort)
    assert pg_tie_order.top_order(keys, [("k", "descending", "at_end")], 7).tolist() == want
    ints = pa.table({"k": pa.array([3, 1, 3, 2, 1] * 8, pa.int32())})
    got = pg_tie_order.top_order(ints, [("k", "ascending", "at_end")], 5).tolist()
    assert got == bounded_heap_order(np.asarray([3, 1, 3, 2, 1] * 8).tolist(), 5)
