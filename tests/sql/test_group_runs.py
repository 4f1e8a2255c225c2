"""operators.group_runs: group ids per row and the order inside each group's run, checked
against numpy's lexsort and Python's own grouping on generated columns."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from helios_core.sql.operators import group_runs


def _expected_ids(columns: list[list]) -> list[int]:
    seen: dict[tuple, int] = {}
    return [seen.setdefault(row, len(seen)) for row in zip(*columns, strict=True)]


@pytest.mark.parametrize("slice_rows", [1 << 20, 77])  # one slice, and many (the last one short)
@pytest.mark.parametrize("seed", range(6))
def test_group_ids_number_groups_by_first_appearance(seed, slice_rows, monkeypatch):
    monkeypatch.setattr(group_runs, "_SLICE", slice_rows)
    rng = np.random.default_rng(seed)
    n = 2_000
    ints = rng.integers(-3, 4, n).tolist()
    wide = rng.choice([-(2**63), 2**63 - 1, 0, 5], n).tolist()  # combined spans overflow int64
    texts = [None if x == 0 else f"k{x}" for x in rng.integers(0, 5, n)]
    nullable = [None if x < 0 else int(x) for x in rng.integers(-1, 3, n)]
    stamps = pa.array(rng.integers(0, 10, n) * 3_600_000_000, pa.int64()).cast(pa.timestamp("us", "UTC"))
    columns = [pa.array(ints, pa.int32()), pa.array(wide, pa.int64()), pa.array(texts), pa.array(nullable, pa.int64()),
               stamps]
    ids, count, first = group_runs.group_ids(columns)
    expected = _expected_ids([c.to_pylist() for c in columns])
    assert ids.tolist() == expected
    assert count == max(expected) + 1
    assert first is None or first.tolist() == [expected.index(k) for k in range(count)]
    ids, count, first = group_runs.group_ids(columns[:1] + columns[4:])  # integer keys only: firsts come along
    expected = _expected_ids([columns[0].to_pylist(), columns[4].to_pylist()])
    assert ids.tolist() == expected
    assert first.tolist() == [expected.index(k) for k in range(count)]


@pytest.mark.parametrize("slice_rows", [1 << 20, 3])
def test_integer_keys_with_a_common_step(slice_rows, monkeypatch):
    monkeypatch.setattr(group_runs, "_SLICE", slice_rows)
    hours = pa.array([7200, 0, 3600, 0, 7200, 10800, 3600], pa.int64()).cast(pa.timestamp("s"))
    repos = pa.array([2, 1, 1, 1, 2, 1, 3], pa.int32())
    ids, count, _first = group_runs.group_ids([hours, repos])
    assert ids.tolist() == _expected_ids([hours.to_pylist(), repos.to_pylist()]) and count == 5


@pytest.mark.parametrize("late", [None, 1, 1800, 2**40 + 7200])
def test_a_step_broken_by_one_late_value(late):
    """Keys a common step apart (hours here) but for one late value (one second, half an hour,
    far away): the step found is the gcd of all offsets, and the ids stay right either way."""
    rng = np.random.default_rng(7)
    values = (rng.integers(0, 500, 5_000) * 3_600).tolist()
    if late is not None:
        values[4_321] = late
    keys = pa.array(values, pa.int64())
    ids, count, first = group_runs.group_ids([keys])
    expected = _expected_ids([values])
    assert ids.tolist() == expected and count == max(expected) + 1
    assert first is None or first.tolist() == [expected.index(k) for k in range(count)]  # None: hashed
    low = min(values)
    assert group_runs._direct(keys.to_numpy(), len(values))[1] == math.gcd(*(v - low for v in values))


def test_group_ids_of_one_key_and_of_no_rows():
    ids, count, _first = group_runs.group_ids([pa.array([7, 7, 3, 7, 3, 9], pa.int64())])
    assert ids.tolist() == [0, 0, 1, 0, 1, 2] and count == 3
    ids, count, _first = group_runs.group_ids([pa.array([], pa.int32())])
    assert ids.tolist() == [] and count == 0


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_sort_runs_sorts_each_run_alone(seed, descending):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 40, 300)
    lengths[5] = 2_000  # one long run among short ones
    keys = rng.normal(size=int(lengths.sum())).round(1)  # ties
    keys[rng.integers(0, len(keys), 50)] = np.nan
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    values = keys.copy()
    group_runs.sort_runs(values, starts, descending)
    for s, length in zip(starts, lengths, strict=True):
        want = np.sort(keys[s:s + length])  # NaN last
        if descending:
            want = want[::-1]  # NaN first, as PostgreSQL orders DESC
        assert np.array_equal(values[s:s + length], want, equal_nan=True)


def test_increasing_row_numbers_across_chunks():
    from helios_core.sql.operators.aggregate_by_ids import increasing as _increasing

    assert _increasing(pa.chunked_array([pa.array([0, 1, 5]), pa.array([], pa.int64()), pa.array([6, 9])]))
    assert not _increasing(pa.chunked_array([pa.array([0, 1, 5]), pa.array([5, 9])]))  # equal across the edge
    assert not _increasing(pa.array([3, 2]))
    assert _increasing(pa.array([], pa.int64()))


def test_percentile_runs_sorted_on_a_worker_beside_the_other_aggregates(monkeypatch):
    """A large grouped input's percentile runs are sorted on a worker thread (aggregate.
    _begin_sorted_runs) while the direct aggregates are computed: the same answer as with one
    worker (sorted when asked for), for ascending and descending keys, a FILTER and NULLs; a
    small input is not handed over."""
    from helios_core import parallel
    from helios_core.engine import Engine
    from helios_core.sql.operators import aggregate

    s = Engine.open(None).connect()
    s.execute("create table m (t timestamptz, k int, v float8, w int)")
    s.execute("insert into m select timestamptz '2024-01-01' + (i % 500) * interval '1 hour', i % 13, "
              "case when i % 17 = 0 then null else (i * 7919 % 1000) / 10.0 end, i % 5 "
              "from generate_series(1, 70000) as g(i)")
    query = ("select time_bucket('1 day', t) as d, k, count(*), avg(v), "
             "percentile_cont(0.9) within group (order by v), "
             "percentile_disc(0.25) within group (order by v desc) filter (where w <> 2), "
             "percentile_cont(0.5) within group (order by w) from m group by 1, 2 order by 1, 2")
    started = []
    real_start = parallel.start
    monkeypatch.setattr(parallel, "start", lambda fn, *a: started.append(fn.__name__) or real_start(fn, *a))
    monkeypatch.setattr(parallel, "WORKERS", 2)
    on_worker = s.execute(query)[-1].rows()
    assert started == ["_sorted_runs"] * 3
    monkeypatch.setattr(parallel, "WORKERS", 1)
    inline = s.execute(query)[-1].rows()
    assert len(inline) == 21 * 13
    assert on_worker == inline
    started.clear()
    monkeypatch.setattr(aggregate, "PARALLEL_MIN_ROWS", 1 << 20)
    assert s.execute(query)[-1].rows() == inline and started == []


@pytest.mark.parametrize("slice_rows", [1 << 20, 5])
@pytest.mark.parametrize("seed", range(4))
def test_keys_stored_in_runs_numbered_one_run_at_a_time(seed, slice_rows, monkeypatch):
    """Rows stored grouped (few runs of equal keys): the ids, the first rows and the runs' starts
    are those of the row-by-row numbering; a group that comes back in a later run has no run
    starts (it is not one run)."""
    monkeypatch.setattr(group_runs, "_SLICE", slice_rows)
    rng = np.random.default_rng(seed)
    keys = [(int(h), int(r)) for h in range(12) for r in rng.permutation(5)[:rng.integers(1, 6)]]
    if seed % 2:
        keys.append(keys[0])  # a group seen again after others
    lengths = rng.integers(4, 30, len(keys))
    hours = np.repeat([k[0] * 3_600_000_000 for k in keys], lengths)
    repos = np.repeat([k[1] for k in keys], lengths).astype(np.int32)
    columns = [pa.array(hours, pa.int64()).cast(pa.timestamp("us", "UTC")), pa.array(repos)]
    ids, count, first, runs = group_runs.group_ids_and_runs(columns)
    expected = _expected_ids([hours.tolist(), repos.tolist()])
    assert ids.tolist() == expected and count == max(expected) + 1
    assert first.tolist() == [expected.index(k) for k in range(count)]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    if seed % 2:
        assert runs is None
    else:
        assert runs.tolist() == starts.tolist()
    values = rng.integers(0, 50, 400).tolist()  # no long runs: numbered row by row
    ids, count, _first, runs = group_runs.group_ids_and_runs([pa.array(values)])
    assert ids.tolist() == _expected_ids([values]) and runs is None
