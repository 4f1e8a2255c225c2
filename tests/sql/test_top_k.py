"""ORDER BY ... LIMIT runs as a top-k (Arrow's select-k) when the input is much longer than the
limit: it must give the rows, in the order, that sorting everything and cutting gives (NULLS
FIRST/LAST, several keys, OFFSET, floats and NULL-first keys that take the full sort). Rows that
tie on every key may come in another order, as in PostgreSQL, whose sort under a LIMIT is a
bounded heap (test_pg_tie_order.py checks that order against PostgreSQL's)."""

from __future__ import annotations

import pytest

import helios_core

ORDERS = ["a", "a DESC NULLS LAST", "a NULLS FIRST", "b DESC, c", "c NULLS FIRST, e DESC",
          "e, a DESC NULLS LAST, b", "d", "a, b, c, e"]
WINDOWS = [(1, 0), (10, 0), (100, 5), (7, 2995)]
COLUMNS = ["a", "b", "c", "d", "e"]


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    s.execute("CREATE TABLE tk (a int, b text, c numeric(10,2), d float8, e date)")
    s.execute("INSERT INTO tk SELECT CASE WHEN x % 51 = 0 THEN NULL ELSE (x * 7919) % 50 END, "
              "(ARRAY[NULL, 'x', 'y', 'zz', 'Z', 'é'])[1 + (x * 31) % 6], (ARRAY[NULL, 1.50, 2.25, -3.00])[1 + (x * 13) % 4], "
              "((x * 104729) % 1000) / 7.0, date '2024-01-01' + x % 40 FROM generate_series(1, 3000) x")
    yield s
    s.close()


@pytest.mark.parametrize("order", ORDERS)
def test_limit_is_the_head_of_the_full_sort(session, order):
    full = session.execute(f"SELECT * FROM tk ORDER BY {order}")[-1].rows()
    assert len(full) == 3000
    positions = [COLUMNS.index(item.split()[0]) for item in order.split(",")]

    def keys(rows: list[tuple]) -> list[tuple]:
        return [tuple(repr(r[p]) for p in positions) for r in rows]

    for limit, offset in WINDOWS:
        got = session.execute(f"SELECT * FROM tk ORDER BY {order} LIMIT {limit} OFFSET {offset}")[-1].rows()
        assert keys(got) == keys(full[offset:offset + limit]), (order, limit, offset)
        assert all(r in full for r in got)


def test_prepared_limit_changes_between_executions(session):
    session.execute("PREPARE top(int) AS SELECT a, b FROM tk ORDER BY a DESC NULLS LAST, b LIMIT $1")
    full = session.execute("SELECT a, b FROM tk ORDER BY a DESC NULLS LAST, b")[-1].rows()
    for n in (3, 50, 1):
        assert session.execute(f"EXECUTE top({n})")[-1].rows() == full[:n]
    assert len(session.execute("SELECT * FROM (SELECT a FROM tk ORDER BY a LIMIT 2) s")[-1].rows()) == 2


def test_key_types_select_k_cannot_take_use_the_full_sort():
    """Arrow's select-k orders NaN by its own rule (and crashes on dictionary keys): such keys
    take the full sort, with the same answer."""
    import pyarrow as pa

    from helios_core.sql.operators.sort import SortKey, sort_table, top_k_table

    n = 5000
    words = pa.array([f"w{(i * 7919) % 97}" for i in range(n)])
    floats = pa.array([float("nan") if i % 13 == 0 else (i * 104729) % 1000 / 7.0 for i in range(n)])
    t = pa.table({"a": words, "b": floats, "c": pa.array(range(n))})
    for keys in ([SortKey(0)], [SortKey(1, descending=True), SortKey(2)], [SortKey(0, descending=True), SortKey(1)]):
        got, want = top_k_table(t, keys, 10), sort_table(t, keys).slice(0, 10)
        names = [t.column_names[k.index] for k in keys]
        assert [repr(v) for v in got.select(names).to_pylist()] == \
            [repr(v) for v in want.select(names).to_pylist()]  # NaN != NaN: compare their text
