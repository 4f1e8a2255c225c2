"""A selective filter on a large table reads only the segments that can hold matching rows.

The table is stored as ten segments of 10,000 rows (ids in ascending ranges); min/max
statistics let the scan skip the nine that cannot match, and EXPLAIN ANALYZE says so.
"""

from __future__ import annotations

import re

import pytest

import helios_core

SEGMENTS = 10
ROWS_PER_SEGMENT = 10_000


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    s = helios_core.connect(str(tmp_path_factory.mktemp("pruning")))
    store = s.engine.store
    store.small_segment_rows = ROWS_PER_SEGMENT  # the segment size target of checkpoints
    s.execute("create table big (id integer primary key, grp integer, label text)")
    for i in range(SEGMENTS):
        lo = i * ROWS_PER_SEGMENT
        s.execute(f"insert into big select g, g % 7, 'row ' || g from generate_series({lo}, "
                  f"{lo + ROWS_PER_SEGMENT - 1}) g")
        store.checkpoint()
    yield s
    s.engine.close()


def segments_line(session, sql: str) -> tuple[int, int]:
    lines = [r[0] for r in session.execute("explain analyze " + sql)[0].rows()]
    found = [re.search(r"Segments: (\d+) read, (\d+) skipped", ln) for ln in lines]
    hits = [m for m in found if m]
    assert hits, lines
    return int(hits[0].group(1)), int(hits[0].group(2))


def test_range_filter_reads_one_segment(session):
    sql = "select id, label from big where id between 42000 and 42004 order by id"
    assert session.execute(sql)[0].rows() == [(i, f"row {i}") for i in range(42000, 42005)]
    read, skipped = segments_line(session, sql)
    assert (read, skipped) == (1, SEGMENTS - 1)


def test_range_over_two_segments(session):
    sql = "select count(*) from big where id >= 58000 and id < 61000"
    assert session.execute(sql)[0].rows() == [(3000,)]
    assert segments_line(session, sql) == (2, SEGMENTS - 2)


def test_text_bounds_prune_too(session):
    """Only the first segment's labels ('row 0'..'row 9999') range over 'row 5' (it sorts before
    'row 50000' and after 'row 49999')."""
    sql = "select count(*) from big where label = 'row 5'"
    assert session.execute(sql)[0].rows() == [(1,)]
    assert segments_line(session, sql) == (1, SEGMENTS - 1)


def test_filter_every_segment_may_match_reads_everything(session):
    sql = "select count(*) from big where grp = 3"
    assert session.execute(sql)[0].rows() == [(SEGMENTS * ROWS_PER_SEGMENT // 7 + 1,)]
    assert segments_line(session, sql) == (SEGMENTS, 0)


def test_no_match_anywhere_reads_nothing(session):
    sql = "select count(*) from big where id > 1000000"
    assert session.execute(sql)[0].rows() == [(0,)]
    assert segments_line(session, sql) == (0, SEGMENTS)


def test_bloom_filter_skips_segments_for_a_key_in_the_past(session):
    """AS OF reads cannot use the key index: an equality on the primary key prunes by the
    segments' bloom filters. Here every segment's ids span the same range (segment i holds the
    ids ending in digit i), so min/max cannot tell them apart and only the bloom filters can."""
    store = session.engine.store
    session.execute("create table scattered (id integer primary key, v text)")
    for i in range(SEGMENTS):
        session.execute(f"insert into scattered select g * {SEGMENTS} + {i}, 'v' || g "
                        f"from generate_series(0, {ROWS_PER_SEGMENT - 1}) g")
        store.checkpoint()
    ts = session.execute("select now()")[0].rows()[0][0]
    stamp = ts.strftime("%Y-%m-%d %H:%M:%S.%f+00")
    sql = f"select v from scattered as of timestamp '{stamp}' where id = 7777"
    assert session.execute(sql)[0].rows() == [("v777",)]
    read, skipped = segments_line(session, sql)
    assert skipped >= SEGMENTS - 2 and read + skipped == SEGMENTS  # a bloom filter may say "maybe"
    missing = f"select v from scattered as of timestamp '{stamp}' where id = -5"
    assert session.execute(missing)[0].rows() == []


def test_rows_written_after_the_checkpoint_are_seen(session):
    session.execute("insert into big values (1000001, 1, 'late')")
    try:
        assert session.execute("select label from big where id > 1000000")[0].rows() == [("late",)]
    finally:
        session.execute("delete from big where id = 1000001")


