"""A large GROUP BY whose arguments are columns, constants and arithmetic builds its work table's
slices on two threads (HashAggregate._work_by_slices): the answers equal the one-thread build's,
and arguments with a FILTER, an ordering or a function call keep the one-thread build."""

from __future__ import annotations

import pytest

import helios_core
from helios_core import parallel
from helios_core.sql.operators import aggregate

ROWS = 40_000


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    s.execute("CREATE TABLE w (flag char(1), g int, q numeric(15,2), p numeric(15,2), d numeric(15,2), n int)")
    s.execute(f"""INSERT INTO w SELECT substr('ANR', x % 3 + 1, 1), x % 7, (x % 50) + 0.25, (x % 997) * 10.5,
        (x % 11) / 100.0, CASE WHEN x % 13 = 0 THEN NULL ELSE x % 5 END FROM generate_series(1, {ROWS}) x""")
    yield s
    s.close()


@pytest.fixture
def small_slices(monkeypatch):
    monkeypatch.setattr(aggregate, "WORK_SLICE_ROWS", 1000)  # 40 slices of this table


PARALLEL = [
    ("SELECT flag, g, sum(q), sum(p * (1 - d)), sum(p * (1 - d) * (1 + d)), avg(q), avg(d), count(*) "
     "FROM w GROUP BY flag, g ORDER BY flag, g"),
    "SELECT g, sum(q * 2), count(n), min(p), max(d) FROM w GROUP BY g ORDER BY g",
    "SELECT sum(p - q), avg(p * d) FROM w",
]
SEQUENTIAL = [
    "SELECT g, sum(q * 2) FILTER (WHERE n > 1) FROM w GROUP BY g ORDER BY g",
    "SELECT g, sum(q * random()) > -1 FROM w GROUP BY g ORDER BY g",
    "SELECT g, percentile_disc(0.5) WITHIN GROUP (ORDER BY q) FROM w GROUP BY g ORDER BY g",
]


def _rows(s, sql):
    return s.execute(sql)[-1].rows()


def _spied(monkeypatch):
    calls = []
    real = parallel.map_in_parallel

    def spy(fn, items):
        if getattr(fn, "__name__", "") == "build":
            calls.append(len(items))
        return real(fn, items)

    monkeypatch.setattr(parallel, "map_in_parallel", spy)
    return calls


@pytest.mark.parametrize("sql", PARALLEL, ids=[f"parallel{i}" for i in range(len(PARALLEL))])
def test_two_thread_build_answers_as_one_thread(session, small_slices, monkeypatch, sql):
    calls = _spied(monkeypatch)
    both = _rows(session, sql)
    assert calls == [2]
    monkeypatch.setattr(aggregate.HashAggregate, "_plain_arguments", lambda self: False)
    assert _rows(session, sql + " ") == both


@pytest.mark.parametrize("sql", SEQUENTIAL, ids=[f"sequential{i}" for i in range(len(SEQUENTIAL))])
def test_other_arguments_stay_on_one_thread(session, small_slices, monkeypatch, sql):
    calls = _spied(monkeypatch)
    _rows(session, sql)
    assert calls == []
