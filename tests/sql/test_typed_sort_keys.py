"""Window ORDER BY and an aggregate's ORDER BY order values by their type's rules, as ORDER BY
does (answers of PostgreSQL 15.x): enums by declaration, inet by network, jsonb by its order."""

from __future__ import annotations

import pytest

import helios_core


@pytest.fixture(scope="module")
def s():
    sess = helios_core.connect()
    sess.execute("create type mood as enum ('sad', 'ok', 'happy')")
    sess.execute("create table moods (m mood, i inet, j jsonb)")
    sess.execute("insert into moods values ('happy', '9.0.0.1', '[1]'), ('sad', '10.0.0.2', '\"z\"'), "
                 "('ok', '::1', '5')")
    yield sess
    sess.close()


def test_window_order_by_uses_the_type_order(s):
    rows = s.execute("select m::text, row_number() over (order by m), row_number() over (order by i), "
                     "row_number() over (order by j) from moods order by 1")[-1].rows()
    assert rows == [("happy", 3, 1, 3), ("ok", 2, 3, 2), ("sad", 1, 2, 1)]


def test_aggregate_order_by_uses_the_type_order(s):
    assert s.execute("select array_agg(m::text order by m), array_agg(i::text order by i), "
                     "string_agg(j::text, ',' order by j) from moods")[-1].rows() == [
        (["sad", "ok", "happy"], ["9.0.0.1/32", "10.0.0.2/32", "::1/128"], '"z",5,[1]')]
