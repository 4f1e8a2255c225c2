"""Secondary indexes find rows: a scan whose WHERE compares an indexed column reads only the rows
the index finds, and answers exactly what the same scan without the index answers, through
updates, deletes, open transactions, branches and time travel."""

from __future__ import annotations

import re

import pytest

import helios_core

ROWS = 8_000


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    s.execute("create table big (id int primary key, grp int, label text, d date, price float8)")
    s.execute(f"insert into big select g, g % 500, 'item ' || (g % 333), date '2020-01-01' + (g % 300), g * 0.5 "
              f"from generate_series(1, {ROWS}) g")
    s.execute("insert into big values (0, null, null, null, null)")
    yield s
    s.engine.close()


QUERIES = [
    "select id from big where grp = 7",
    "select id from big where grp in (7, 8, 499, 1000)",
    "select id from big where grp in (7, null)",
    "select id from big where grp between 10 and 12",
    "select id from big where grp > 497 and grp <= 499",
    "select id from big where grp = 7 and label = 'item 7'",
    "select id from big where grp = null",
    "select id from big where label = 'item 5'",
    "select id from big where label in ('item 5', 'item 6', 'nothing')",
    "select id from big where d = '2020-01-05'",
    "select id from big where d >= '2020-10-20'",
    "select id from big where grp < 3 or grp > 497",
]


def plan(session, sql: str, analyze: bool = False) -> list[str]:
    return [r[0] for r in session.execute(("explain (analyze, costs off) " if analyze else "explain (costs off) ") + sql)[0].rows()]


def scan(session, sql: str) -> str:
    """The plan's scan line and the line under it (its Index Cond, when there is one)."""
    lines = plan(session, sql)
    i = next(i for i, ln in enumerate(lines) if " Scan " in ln or ln.startswith(("Seq Scan", "Index Scan")))
    return lines[i].strip().removeprefix("->").strip() + "\n" + lines[i + 1].strip()


def answers(session) -> list[list[tuple]]:
    return [sorted(session.execute(q)[0].rows()) for q in QUERIES]


def test_indexes_answer_as_the_scan_does(session):
    without = answers(session)
    session.execute("create index big_grp_idx on big (grp)")
    session.execute("create index big_label_idx on big using hash (label)")
    session.execute("create index big_d_idx on big (d)")
    try:
        assert answers(session) == without
        assert scan(session, QUERIES[0]) == "Index Scan using big_grp_idx on big\nIndex Cond: (grp = 7)"
        assert scan(session, QUERIES[1]).startswith("Index Scan using big_grp_idx on big")
        assert scan(session, QUERIES[7]).startswith("Index Scan using big_label_idx on big")
        assert scan(session, QUERIES[10]).startswith("Index Scan using big_d_idx on big")
        # a hash index answers no range; an OR is not one column's range
        assert scan(session, "select id from big where label > 'item 9'").startswith("Seq Scan")
        assert scan(session, QUERIES[-1]).startswith("Seq Scan")

        # writes after the index exists: updated, deleted and new rows, seen by their snapshot
        session.execute("update big set grp = 7 where id in (1, 2, 3)")
        session.execute("delete from big where id in (7, 507)")
        session.execute("insert into big values (99999, 7, 'new', '2021-01-01', 1)")
        session.execute("begin")
        session.execute("update big set grp = 8 where id = 1007")
        inside = sorted(session.execute(QUERIES[0])[0].rows())
        session.execute("rollback")
        assert (1007,) not in inside and (1,) in inside and (7,) not in inside and (99999,) in inside
        with_index = answers(session)
    finally:
        for name in ("big_grp_idx", "big_label_idx", "big_d_idx"):
            session.execute(f"drop index {name}")
    assert with_index == answers(session)


def test_index_scan_reads_fewer_rows(session):
    """EXPLAIN ANALYZE: the filter removes every non-matching row of a scan; through the index only
    those of the few small chunks the earlier test's writes left (read whole)."""
    sql = "select count(*) from big where grp = 11"
    before = "\n".join(plan(session, sql, analyze=True))
    removed = re.search(r"Rows Removed by Filter: (\d+)", before)
    assert removed and int(removed.group(1)) > ROWS // 2, before
    session.execute("create index big_grp_idx2 on big (grp)")
    try:
        after = "\n".join(plan(session, sql, analyze=True))
        assert "Index Scan using big_grp_idx2" in after, after
        removed = re.search(r"Rows Removed by Filter: (\d+)", after)
        assert removed is None or int(removed.group(1)) < 100, after
        assert re.search(r"Segments: \d+ read, \d+ skipped, [1-9]\d* through big_grp_idx2", after), after
        stats = session.execute("select idx_scan, idx_tup_fetch from pg_stat_user_indexes "
                                "where indexrelname = 'big_grp_idx2'")[0].rows()
        assert stats and stats[0][0] >= 1 and stats[0][1] >= ROWS // 500, stats
    finally:
        session.execute("drop index big_grp_idx2")


def test_branch_and_time_travel_read_through_the_index(session):
    session.execute("create index big_grp_idx3 on big (grp)")
    try:
        session.execute("create branch idx_child from main")
        session.execute("set heliosdb.branch = idx_child")
        session.execute("update big set grp = 42 where id = 100")
        child = sorted(session.execute("select id from big where grp = 42")[0].rows())
        session.execute("set heliosdb.branch = main")
        main = sorted(session.execute("select id from big where grp = 42")[0].rows())
        assert (100,) in child and (100,) not in main
        assert [r for r in child if r != (100,)] == main
    finally:
        session.execute("drop index big_grp_idx3")


def test_what_if_advice_in_process():
    """Ranges, IN lists and UPDATE/DELETE's WHERE are advised; key reads and indexed columns are not;
    an estimate from a what-if plan ranks the equality (1 in 500 rows) above the range."""
    s = helios_core.connect()
    try:
        s.execute("create table wi (id int primary key, grp int, d date, note text)")
        s.execute("insert into wi select g, g % 500, date '2020-01-01' + (g % 300), 'n' || g "
                  "from generate_series(1, 3000) g")
        s.execute("create index wi_note_idx on wi (note)")
        s.execute("select pg_stat_statements_reset()")
        s.execute("select * from wi where grp in (1, 2)")
        s.execute("delete from wi where grp = 3")
        s.execute("select count(*) from wi where d > '2020-06-01'")
        s.execute("select * from wi where id = 4")
        s.execute("select * from wi where note = 'n5'")
        rows = s.execute("select table_name, columns, statements, total_time_ms, estimated_saving_ms "
                         "from heliosdb.index_advice()")[0].rows()
        by_column = {r[1][0]: r for r in rows}
        assert set(by_column) == {"grp", "d"}, rows
        assert sorted(by_column["grp"][2]) == ["delete from wi where grp = $1", "select * from wi where grp in ($1, $2)"]
        assert by_column["d"][2] == ["select count(*) from wi where d > $1"]
        for r in rows:
            assert 0 < r[4] < r[3]
        grp_share = by_column["grp"][4] / by_column["grp"][3]
        d_share = by_column["d"][4] / by_column["d"][3]
        assert grp_share > 0.9 and 0.3 < d_share < 0.9, rows  # d > $1: a third of the rows (PostgreSQL's default)
    finally:
        s.engine.close()
