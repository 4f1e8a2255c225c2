"""EXPLAIN's option list as PostgreSQL 15 reads it, and what BUFFERS shows: the segments a scan read
(in memory or from a tier), skipped, and their names, beside the index it read through."""

from __future__ import annotations

import re

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    s = helios_core.connect(str(tmp_path_factory.mktemp("explain_options")))
    s.execute("create table ex (id int primary key, grp int)")
    s.execute("insert into ex select g, g % 100 from generate_series(1, 3000) g")
    s.engine.store.checkpoint()  # a segment on the local tier
    s.execute("insert into ex values (5000, 7)")  # and a memtable chunk
    yield s
    s.engine.close()


def lines(session, sql: str) -> list[str]:
    return [r[0] for r in session.execute(sql)[0].rows()]


def test_buffers_names_the_segments_and_the_index(session):
    session.execute("create index ex_grp_idx on ex (grp)")
    try:
        out = lines(session, "explain (analyze, buffers) select count(*) from ex where grp = 7")
    finally:
        session.execute("drop index ex_grp_idx")
    text = "\n".join(out)
    assert "Index Scan using ex_grp_idx on ex" in text and "Index Cond: (grp = 7)" in text, text
    # the segment through its sorted copy, the one-row memtable chunk by comparing its column
    assert re.search(r"Segments: 2 read, 0 skipped, 2 through ex_grp_idx", text), text
    assert re.search(r"Buffers: segments hit=2 read=0 skipped=0", text), text
    named = re.search(r"Segments Read: (.*)", text).group(1).split(", ")
    assert len(named) == 2 and any(n.endswith(".arrow") for n in named) and any(n.startswith("memtable:") for n in named)
    assert text.splitlines()[-1].startswith("Execution Time:")


def test_pruned_segments_are_counted_as_skipped(session):
    out = "\n".join(lines(session, "explain (analyze, buffers) select * from ex where id > 4000"))
    assert re.search(r"Buffers: segments hit=1 read=0 skipped=1", out), out
    assert "Seq Scan on ex" in out


def test_timing_and_summary_off(session):
    out = lines(session, "explain (analyze true, timing off, summary off, costs off) select * from ex where id < 3")
    assert not any("Execution Time" in ln or "actual time" in ln for ln in out), out
    assert any("(actual rows=2 loops=1)" in ln for ln in out), out
    assert not any("Buffers" in ln for ln in out)


def test_options_without_analyze_plan_only(session):
    for sql in ("explain (buffers) select * from ex", "explain (analyze false, verbose, settings) select 1",
                "explain (analyse off, format text) select 1", "explain (costs off) select 1"):
        out = lines(session, sql)
        assert not any("actual" in ln or "Execution Time" in ln for ln in out), (sql, out)


@pytest.mark.parametrize(("sql", "sqlstate", "message"), [
    ("explain (foo) select 1", "42601", 'unrecognized EXPLAIN option "foo"'),
    ("explain (analyze maybe) select 1", "42601", "analyze requires a Boolean value"),
    ("explain (analyze 2) select 1", "42601", "analyze requires a Boolean value"),
    ("explain (wal) select 1", "22023", "EXPLAIN option WAL requires ANALYZE"),
    ("explain (timing) select 1", "22023", "EXPLAIN option TIMING requires ANALYZE"),
    ("explain (format bogus) select 1", "22023", 'unrecognized value for EXPLAIN option "format": "bogus"'),
    ("explain (format yaml) select 1", "0A000", "EXPLAIN (FORMAT YAML) is not supported"),
    ("explain () select 1", "42601", 'syntax error at or near ")"'),
    ("explain (analyze,) select 1", "42601", 'syntax error at or near ")"'),
])
def test_option_errors_as_postgresql(session, sql, sqlstate, message):
    with pytest.raises(HeliosError) as e:
        session.execute(sql)
    assert (e.value.sqlstate, e.value.message) == (sqlstate, message)
