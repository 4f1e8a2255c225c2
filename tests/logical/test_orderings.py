"""Operators declare the ordering they keep; lowering drops a sort its input already satisfies."""

from __future__ import annotations

import pytest

import helios_core


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    s.execute("create table items (id int primary key, grp int, label text)")
    s.execute("insert into items select g, g % 7, 'item ' || g from generate_series(50, 1, -1) g")
    yield s
    s.engine.close()


def plan_of(session, sql: str) -> list[str]:
    return [r[0] for r in session.execute("explain " + sql)[0].rows()]


def sorts(lines: list[str]) -> int:
    return sum(1 for ln in lines if ln.strip().lstrip("-> ").startswith("Sort") and "Sort Key" not in ln)


def test_sort_of_sorted_input_is_dropped(session):
    sql = "select * from (select id, label, grp from items order by grp desc, id) s order by grp desc, id"
    assert sorts(plan_of(session, sql)) == 1
    got = session.execute(sql)[0].rows()
    assert got == sorted(got, key=lambda r: (-r[2], r[0]))
    assert len(got) == 50


def test_order_survives_a_projection_that_moves_the_column(session):
    sql = "select label, id from (select id, label from items order by id) s order by id limit 3"
    assert sorts(plan_of(session, sql)) == 1
    assert session.execute(sql)[0].rows() == [("item 1", 1), ("item 2", 2), ("item 3", 3)]


@pytest.mark.parametrize("outer", ["id desc", "label", "id nulls first", "grp, id"])
def test_a_different_order_is_sorted_again(session, outer):
    sql = f"select * from (select id, label, grp from items order by id) s order by {outer}"
    assert sorts(plan_of(session, sql)) == 2


def test_key_lookup_keeps_the_other_terms(session):
    """A pinned primary key is a point read; the terms on other columns still filter it
    (``id = 8 AND grp BETWEEN ...`` was an internal error before the pushdown rule)."""
    assert session.execute("select id from items where id = 8 and grp between 0 and 3")[0].rows() == [(8,)]
    assert session.execute("select id from items where id = 9 and grp between 0 and 1")[0].rows() == []
    lines = plan_of(session, "select id from items where id = 9 and grp between 0 and 1")
    assert any("Index Scan using " in ln and "_pkey" in ln for ln in lines), lines
    assert any("Filter: grp BETWEEN 0 AND 1" in ln for ln in lines), lines
