"""A LIMIT over a sort by one key (``top_k_table``) picks the same rows in the same order as the
full stable sort: unique keys in either direction, keys with ties inside and across the k-th row,
text keys, NULLs, inputs of many chunks, and as SQL over a table of many rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import helios_core
from helios_core.sql.operators import sort as sort_module
from helios_core.sql.operators.pg_tie_order import MAX_ROWS
from helios_core.sql.operators.sort import SortKey, sort_table, top_k_table

ROWS = MAX_ROWS + 5_000  # past the size the tie rules of PostgreSQL's bounded sort are worked out for


def _table(values: list | np.ndarray, chunks: int) -> pa.Table:
    arr = pa.array(values)
    size = -(-len(arr) // chunks)
    return pa.table({"key": pa.chunked_array([arr.slice(i, size) for i in range(0, len(arr), size)]),
                     "pos": pa.array(np.arange(len(arr)))})


CASES = {
    "ascending unique": np.arange(ROWS),
    "shuffled unique": np.random.default_rng(1).permutation(ROWS),
    "many ties": np.random.default_rng(2).integers(0, 50, ROWS),
    "ties at the edge": np.repeat(np.arange(ROWS // 7 + 1), 7)[:ROWS],
    "text": [f"w{x:07d}" for x in np.random.default_rng(3).integers(0, ROWS // 3, ROWS)],
    "with nulls": [None if i % 13 == 0 else int(x) for i, x in enumerate(np.random.default_rng(4).integers(0, 10**6, ROWS))],
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("k", [1, 20, 1000])
def test_same_rows_as_the_full_sort(name: str, descending: bool, k: int) -> None:
    t = _table(CASES[name], chunks=9)
    keys = [SortKey(0, descending=descending)]
    want = sort_table(t, keys, stable=True).slice(0, k).column("pos")
    assert top_k_table(t, keys, k).column("pos").equals(want), (name, descending, k)


def test_the_one_array_path_is_taken_and_left_on_boundary_ties(monkeypatch) -> None:
    taken: list[bool] = []
    original = sort_module._one_key_top

    def spying(col, order, k):
        out = original(col, order, k)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(sort_module, "_one_key_top", spying)
    top_k_table(_table(np.arange(ROWS), 9), [SortKey(0, descending=True)], 20)
    top_k_table(_table(np.repeat(np.arange(ROWS // 7 + 1), 7)[:ROWS], 9), [SortKey(0)], 20)
    assert taken == [True, False]


def test_latest_rows_of_a_table_by_its_key():
    s = helios_core.connect()
    try:
        s.execute("create table feed (id bigint primary key, title text)")
        s.execute(f"insert into feed select g, 't' || g from generate_series(1, {ROWS}) g")
        got = s.execute("select id, title from feed order by id desc limit 3")[0].rows()
        assert got == [(ROWS, f"t{ROWS}"), (ROWS - 1, f"t{ROWS - 1}"), (ROWS - 2, f"t{ROWS - 2}")]
        assert s.execute("select id from feed order by id limit 2 offset 5")[0].rows() == [(6,), (7,)]
    finally:
        s.engine.close()
