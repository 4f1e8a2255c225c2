"""Predicates on the time column skip the segments whose time range cannot match: one day of
rows per segment (written day after day), a query over two days reads two segments."""

from __future__ import annotations

import re

import pytest

import helios_core

DAYS = 6
ROWS_PER_DAY = 1440


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    s = helios_core.connect(str(tmp_path_factory.mktemp("time-pruning")))
    store = s.engine.store
    store.small_segment_rows = ROWS_PER_DAY
    s.execute("CREATE TIMESERIES TABLE m (time timestamptz NOT NULL, day date NOT NULL, v int) "
              "WITH (chunk_interval = '1 day')")
    for d in range(DAYS):
        s.execute(f"INSERT INTO m SELECT timestamptz '2024-01-0{d + 1} 00:00+00' + g * interval '1 minute', "
                  f"date '2024-01-0{d + 1}', g FROM generate_series(0, {ROWS_PER_DAY - 1}) g")
        store.checkpoint()
    yield s
    s.engine.close()


def _segments(session, sql: str) -> tuple[int, int]:
    lines = [r[0] for r in session.execute("EXPLAIN ANALYZE " + sql)[0].rows()]
    hits = [m for ln in lines if (m := re.search(r"Segments: (\d+) read, (\d+) skipped", ln))]
    assert hits, lines
    return int(hits[0].group(1)), int(hits[0].group(2))


def test_time_range_reads_its_days_only(session):
    sql = "SELECT count(*) FROM m WHERE time >= '2024-01-04 12:00+00' AND time < '2024-01-06 00:00+00'"
    assert session.execute(sql)[0].rows() == [(ROWS_PER_DAY + ROWS_PER_DAY // 2,)]
    assert _segments(session, sql) == (2, DAYS - 2)


def test_date_and_timestamp_without_zone_prune_too(session):
    sql = "SELECT count(*) FROM m WHERE day = '2024-01-02'"
    assert session.execute(sql)[0].rows() == [(ROWS_PER_DAY,)]
    assert _segments(session, sql) == (1, DAYS - 1)
    sql = "SELECT count(*) FROM m WHERE time::timestamp < '2024-01-01 00:10'"  # not a plain column: no pruning
    assert session.execute(sql)[0].rows() == [(10,)]
    assert _segments(session, sql) == (DAYS, 0)
