"""WITH in front of VALUES, and aggregates over a scalar subquery (one reading a WITH query
included), answered as PostgreSQL 15 answers them."""

from __future__ import annotations

import pytest

import helios_core


@pytest.fixture
def s():
    s = helios_core.connect()
    yield s
    s.close()


def _rows(s, sql):
    return s.execute(sql)[-1].rows()


def test_with_then_values(s):
    assert _rows(s, "with cte(foo) as (values (42)) values ((select foo from cte))") == [(42,)]
    assert _rows(s, "with cte(foo) as (values (42)) values (1), (2)") == [(1,), (2,)]
    r = s.execute("with c as (select 1) values (3)")[-1]
    assert [c.name for c in r.columns] == ["column1"]


def test_aggregate_of_a_scalar_subquery(s):
    assert _rows(s, "select max((select sum(x) from (values (1), (2)) t(x)))") == [(3,)]
    assert _rows(s, "with a as (select 1 as id union all select 2) select max((select sum(id) from a)) as agg") \
        == [(3,)]
    s.execute("create table g (k int, v int)")
    s.execute("insert into g values (1, 10), (1, 20), (2, 5)")
    assert _rows(s, "select k, sum((select v * 2)) from g group by k order by k") == [(1, 60), (2, 10)]
