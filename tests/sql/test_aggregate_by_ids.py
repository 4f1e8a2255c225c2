"""Direct aggregates of integer-keyed groups from dense group ids (operators.aggregate_by_ids):
the same answers as Arrow's hash aggregation for counts, sums and averages with NULLs, NaN,
infinities, FILTER, a NULL key and several keys; float sums added in input order; what it does not take
(text keys, min/max, decimals, integer sums that float64 could round) goes the hashing way."""

from __future__ import annotations

import math

import pytest

import helios_core
from helios_core.sql.operators import aggregate_by_ids

ROWS = 70_000  # above aggregate_by_ids.MIN_ROWS


@pytest.fixture(scope="module")
def s():
    session = helios_core.connect()
    session.execute("create table m (t timestamptz, d date, k int, b bigint, g text, v float8, i int, big bigint)")
    session.execute(
        f"insert into m select '2024-01-01 00:00+00'::timestamptz + (x % 997) * interval '37 minutes', "
        f"date '2024-01-01' + x % 11, x % 13, (x % 5) * 1000000000000, 'g' || x % 3, "
        "case when x % 17 = 0 then null when x % 101 = 0 then 'NaN'::float8 when x % 4099 = 0 then 'Infinity' "
        "else ((x * 7919) % 1000) / 7.0 * power(10, x % 9 - 4) end, "
        "case when x % 19 = 0 then null else x % 1000 - 500 end, "
        "case when x % 2 = 0 then 4000000000000000000 else -4000000000000000000 end "
        f"from generate_series(1, {ROWS}) x")
    yield session
    session.close()


def _answered(monkeypatch, name: str) -> list[bool]:
    """Whether each call of ``aggregate_by_ids.<name>`` answered (gave something other than None)."""
    answered: list[bool] = []
    original = getattr(aggregate_by_ids, name)

    def spy(*args):
        out = original(*args)
        answered.append(out is not None)
        return out

    monkeypatch.setattr(aggregate_by_ids, name, spy)
    return answered


def _both(s, monkeypatch, sql: str) -> tuple[list, list, list[bool]]:
    taken = _answered(monkeypatch, "aggregate")
    by_ids = s.execute(sql)[0].rows()
    monkeypatch.setattr(aggregate_by_ids, "MIN_ROWS", 1 << 60)
    hashed = s.execute(sql)[0].rows()
    monkeypatch.setattr(aggregate_by_ids, "MIN_ROWS", 1 << 16)
    return by_ids, hashed, taken


def _same(a: list, b: list) -> bool:
    def norm(v):
        return "nan" if isinstance(v, float) and math.isnan(v) else v
    return [tuple(map(norm, r)) for r in a] == [tuple(map(norm, r)) for r in b]


@pytest.mark.parametrize("sql", [
    "select k, count(*), count(v), sum(v), avg(v), sum(i), count(i) from m group by k order by k",
    ("select date_trunc('hour', t) h, k, count(*), avg(v), count(*) filter (where g = 'g1') from m "
     "group by 1, 2 order by 1, 2"),
    "select d, b, sum(i), count(*) filter (where v > 1), sum(v) filter (where k < 5) from m group by d, b order by 1, 2",
    "select k, avg(v), percentile_cont(0.5) within group (order by v) from m where k <> 99 group by k order by k",
    "select case when k = 3 then null else k end, count(*), sum(v) from m group by 1 order by 1",  # NULL: one group
    # sums of 0/1 integers (flags: counted by their ids, not summed as float weights), with NULLs among them
    ("select k, sum(case when g = 'g1' then 1 else 0 end), sum(case when i > 0 then 1 when i < -400 then 0 end), "
     "sum(case when k = 99 then 1 else 0 end), sum(v) from m group by k"),  # a float sum keeps them here
])
def test_same_answers_as_the_hash_aggregation(s, monkeypatch, sql):
    by_ids, hashed, taken = _both(s, monkeypatch, sql)
    assert taken and taken[0], "the integer-keyed query took the group-id path"
    assert _same(by_ids, hashed), sql


@pytest.mark.parametrize("sql", [
    "select g, count(*), sum(v) from m group by g order by g",  # a text key: hashed
    "select k, min(v), max(i) from m group by k order by k",  # min/max: hashed
    "select k, sum(big) from m group by k order by k",  # float64 could round these sums
    "select k, avg(i) from m group by k order by k",  # a decimal work column (avg of integers with NULLs)
    # groups a sort orders, no float sum: exact either way, and Arrow's threaded hashing is quicker
    "select k, count(*), sum(i), count(i) from m group by k order by k",
    "select d, b, sum(i) from m group by d, b order by 1, 2",
    "select k, count(*), sum(i) from m group by k",  # and in first-appearance order: sorted by first row
])
def test_what_it_does_not_take_is_hashed(s, monkeypatch, sql):
    by_ids, hashed, taken = _both(s, monkeypatch, sql)
    assert taken and not any(taken), sql
    assert _same(by_ids, hashed), sql


def test_float_sums_add_in_input_order(s):
    rows = s.execute("select k, v from m where v is not null and v <> 'NaN' and v <> 'Infinity'")[0].rows()
    expected: dict[int, float] = {}
    for k, v in rows:
        expected[k] = expected.get(k, 0.0) + v
    got = dict(s.execute("select k, sum(v) from m where v is not null and v <> 'NaN' and v <> 'Infinity' "
                         "group by k")[0].rows())
    assert got == expected  # bit for bit: each group's values added one after another, as scanned


@pytest.fixture(scope="module")
def runs():
    """Rows stored grouped: each (hour, repo) group is one run of consecutive rows, as in a
    time-series chunk sorted by its keys."""
    session = helios_core.connect()
    session.execute("create table r (t timestamptz, repo int, v float8, i int, status text)")
    session.execute(
        "insert into r select '2024-01-01 00:00+00'::timestamptz + (x / 700) * interval '1 hour' "
        "+ (x % 700) * interval '1 second', (x / 70) % 10, "
        "case when x % 23 = 0 then null else ((x * 7919) % 1000) / 7.0 end, "
        "case when x % 29 = 0 then null else x % 1000 - 500 end, "
        f"case when x % 7 = 0 then 'failed' else 'ok' end from generate_series(0, {ROWS - 1}) x")
    yield session
    session.close()


@pytest.mark.parametrize("sql", [
    ("select date_trunc('hour', t) h, repo, count(*), avg(v), count(v), sum(i), count(i), "
     "count(*) filter (where status = 'failed'), sum(case when i > 0 then 1 else 0 end) from r "
     "group by 1, 2 order by 1, 2"),
    "select repo, date_trunc('hour', t), sum(v) filter (where status = 'ok') from r group by 1, 2 order by 1, 2",
    ("select date_trunc('hour', t), repo, percentile_cont(0.95) within group (order by v), count(*) from r "
     "group by 1, 2 order by 1, 2"),
])
def test_groups_stored_as_runs_give_the_hash_aggregations_answers(runs, monkeypatch, sql):
    seen = _answered(monkeypatch, "run_starts")
    by_ids, hashed, taken = _both(runs, monkeypatch, sql)
    assert taken and taken[0] and seen and seen[0], "each group one run: totals per run, not by id"
    assert _same(by_ids, hashed), sql


def test_float_sums_of_runs_add_in_input_order(runs):
    rows = runs.execute("select date_trunc('hour', t), repo, v from r where v is not null")[0].rows()
    expected: dict[tuple, float] = {}
    for h, repo, v in rows:
        expected[(h, repo)] = expected.get((h, repo), 0.0) + v
    got = {(h, repo): v for h, repo, v in runs.execute(
        "select date_trunc('hour', t), repo, sum(v) from r where v is not null group by 1, 2")[0].rows()}
    assert got == expected
