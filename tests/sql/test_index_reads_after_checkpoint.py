"""Reads through an index where the rows live after a checkpoint (compressed segments, decoded on
demand) and where recent single-row writes leave them (many small memtable chunks), and the
UNIQUE and FOREIGN KEY checks that read the same way: the same answers as a scan that cannot use
the index, and reads that cost the keys asked about, not the table."""

from __future__ import annotations

import re

import pytest

import helios_core
from helios_core.errors import UniqueViolation
from helios_core.sql import constraints

ROWS = 6_000


def _plan(s, sql: str) -> str:
    return "\n".join(r[0] for r in s.execute("explain (analyze, buffers, costs off) " + sql)[0].rows())


@pytest.fixture
def session(tmp_path):
    s = helios_core.connect(str(tmp_path / "data"))
    s.execute("create table items (id int primary key, grp int, label text, d date, email text unique, "
              "a int, b text, unique (a, b))")
    s.execute(f"insert into items select g, g % 300, 'item ' || (g % 77), date '2020-01-01' + (g % 200), "
              f"'user' || g || '@example.com', g % 1000, 'b' || (g / 1000) from generate_series(1, {ROWS}) g")
    s.execute("create index items_grp on items (grp)")
    s.execute("create index items_label on items (label)")
    s.execute("create index items_d on items (d)")
    s.engine.store.segment_codec = "zstd"  # as `helios serve` writes segments ([storage] compression)
    s.execute("checkpoint")
    s.engine.close()
    s = helios_core.connect(str(tmp_path / "data"))  # reopened: the segment is held compressed
    yield s
    s.engine.close()


def _recent_small_writes(s) -> None:
    """Rows written one statement at a time, as an application does: memtable chunks of a row."""
    for i in range(40):
        s.execute(f"insert into items values ({ROWS + 1 + i}, {i % 5}, 'late {i % 3}', date '2021-01-01' + {i}, "
                  f"'late{i}@example.com', {2000 + i}, 'late')")
    s.execute("update items set grp = 4, label = 'late 1' where id in (11, 12)")
    s.execute("delete from items where id = 13")
    s.execute("insert into items values (999999, null, null, null, null, null, null)")


QUERIES = [
    "select id from items where grp = 4",
    "select id from items where grp in (4, 13, null, 5000)",
    "select id from items where grp between 2 and 3",
    "select id from items where grp > 298",
    "select id from items where grp < 1",
    "select id from items where grp = null",
    "select id from items where label = 'late 1'",
    "select id from items where label in ('item 5', 'late 2', 'nothing')",
    "select id from items where label >= 'late'",
    "select id from items where grp = 4 and label = 'late 1'",
    "select id from items where d = '2021-01-05'",
    "select id from items where d >= '2021-02-01'",
    "select id from items where d in ('2020-01-03', '2021-01-07')",
]


def _answers(s, queries: list[str]) -> list[list[tuple]]:
    return [sorted(s.execute(q)[0].rows()) for q in queries]


def _without_index(q: str) -> str:
    """The same query, its indexed column hidden from the planner's index choice."""
    return q.replace("where grp", "where grp + 0").replace("and label", "and label || ''") \
        .replace("where label", "where label || ''").replace("where d", "where d + 0")


def test_a_compressed_segment_is_read_through_the_index(session):
    plan = _plan(session, "select count(*) from items where grp = 7")
    assert "Index Scan using items_grp" in plan, plan
    assert re.search(r"read=[1-9]", plan), plan  # the segment was not held decoded
    assert re.search(r"Segments: \d+ read, \d+ skipped, [1-9]\d* through items_grp", plan), plan
    removed = re.search(r"Rows Removed by Filter: (\d+)", plan)
    assert removed is None or int(removed.group(1)) < 50, plan  # before: every other row of the segment
    assert _answers(session, QUERIES) == _answers(session, [_without_index(q) for q in QUERIES])


def test_small_chunks_compared_by_the_index_probe(session):
    _recent_small_writes(session)
    plan = _plan(session, "select id from items where grp = 4")
    assert "Index Scan using items_grp" in plan, plan
    removed = re.search(r"Rows Removed by Filter: (\d+)", plan)
    assert removed is None or int(removed.group(1)) < 10, plan  # before: the other rows of every small chunk
    got = _answers(session, QUERIES)
    assert got == _answers(session, [_without_index(q) for q in QUERIES])
    assert (11,) in got[0] and (12,) in got[0] and (ROWS + 5,) in got[0]
    session.execute("begin")
    session.execute("update items set grp = 4 where id = 21")
    inside = sorted(session.execute(QUERIES[0])[0].rows())
    session.execute("rollback")
    assert (21,) in inside and (21,) not in sorted(session.execute(QUERIES[0])[0].rows())


def _rows_checked(monkeypatch) -> list[int]:
    """Counts the rows the constraint checks turn into key tuples."""
    seen: list[int] = []
    original = constraints._key_tuples

    def counting(batch, cols, table=None):
        out = original(batch, cols, table)
        seen.append(len(out))
        return out

    monkeypatch.setattr(constraints, "_key_tuples", counting)
    return seen


def test_unique_checks_read_the_keys_asked_about(session, monkeypatch):
    _recent_small_writes(session)
    seen = _rows_checked(monkeypatch)
    session.execute("insert into items values (700001, 1, 'x', null, 'fresh@example.com', 5000, 'x')")
    # the new row itself (one tuple per constraint), and no row of the table's
    assert sum(seen) <= 4, seen
    seen.clear()
    session.execute("update items set email = 'moved@example.com', a = 5001 where id = 700001")
    assert sum(seen) <= 6, seen

    for email in ("user17@example.com", "late3@example.com", "fresh@example.com".replace("fresh", "moved")):
        with pytest.raises(UniqueViolation, match="items_email_key"):
            session.execute(f"insert into items values (800000, 1, 'x', null, '{email}', 9999, 'x')")
    with pytest.raises(UniqueViolation, match="items_a_b_key"):  # a pair in the segment
        session.execute("insert into items values (800000, 1, 'x', null, 'p@x', 17, 'b0')")
    with pytest.raises(UniqueViolation, match="items_a_b_key"):  # a pair of a small chunk
        session.execute("insert into items values (800000, 1, 'x', null, 'p@x', 2003, 'late')")
    with pytest.raises(UniqueViolation, match="items_email_key"):
        session.execute("update items set email = 'user18@example.com' where id = 19")
    session.execute("insert into items values (800000, 1, 'x', null, 'p@x', 17, 'b9')")  # the pair is new
    session.execute("insert into items values (800001, 1, 'x', null, null, 17, null)")  # NULLs never clash
    session.execute("insert into items values (800002, 1, 'x', null, null, 17, null)")
    session.execute("delete from items where id = 17")
    session.execute("insert into items values (800003, 1, 'x', null, 'user17@example.com', 17, 'b0')")  # freed
    assert session.execute("select count(*) from items where email = 'user17@example.com'")[0].rows() == [(1,)]


def test_foreign_keys_to_a_unique_column_read_the_keys_asked_about(session, monkeypatch):
    session.execute("create table orders (id int primary key, email text references items (email))")
    seen = _rows_checked(monkeypatch)
    session.execute("insert into orders values (1, 'user5@example.com')")
    assert sum(seen) <= 4, seen  # the new row's key, the parent's one row: not the parent table
    with pytest.raises(Exception, match="orders_email_fkey"):
        session.execute("insert into orders values (2, 'nobody@example.com')")


@pytest.mark.parametrize("action", ["no action", "cascade", "set null"])
def test_deleting_a_parent_reads_only_the_children_that_may_refer_to_it(session, monkeypatch, action):
    session.execute(f"create table kids (id int primary key, parent int references items (id) on delete {action}, "
                    f"note text)")
    session.execute(f"insert into kids select g, g % 3000 + 1, 'k' from generate_series(1, {ROWS}) g")
    session.execute("create index kids_parent on kids (parent)")
    for i in range(5):  # and a few small chunks
        session.execute(f"insert into kids values ({ROWS + 1 + i}, {40 + i}, 'late')")
    seen = _rows_checked(monkeypatch)
    session.execute("delete from items where id = 5999")  # no child refers to it
    assert sum(seen) <= 4, seen  # before: every child row, as a Python tuple
    seen.clear()
    if action == "no action":
        with pytest.raises(Exception, match="kids_parent_fkey"):
            session.execute("delete from items where id = 41")
        assert sum(seen) <= 8, seen
        return
    session.execute("delete from items where id = 41")
    assert sum(seen) <= 8, seen
    left = session.execute("select id, parent from kids where id in (40, 3040, 5) or note = 'late' order by id")[0].rows()
    gone_or_null = [r for r in left if r[0] in (40, 3040, ROWS + 2)]
    if action == "cascade":
        assert gone_or_null == []
    else:
        assert gone_or_null == [(40, None), (3040, None), (ROWS + 2, None)]
    assert (5, 6) in left


def test_on_conflict_finds_the_arbiter_rows_without_reading_the_table(session, monkeypatch):
    _recent_small_writes(session)
    normalized: list[tuple] = []
    original = constraints._norm

    def counting(k):
        normalized.append(k)
        return original(k)

    monkeypatch.setattr(constraints, "_norm", counting)
    session.execute("insert into items values (900001, 1, 'x', null, 'user33@example.com', 9000, 'x') "
                    "on conflict (email) do update set label = 'upserted'")
    session.execute("insert into items values (900002, 1, 'x', null, 'late7@example.com', 9001, 'x') "
                    "on conflict (email) do update set label = 'upserted'")
    session.execute("insert into items values (900003, 1, 'x', null, 'p@x', 17, 'b0') on conflict (a, b) do nothing")
    session.execute("insert into items values (900004, 1, 'x', null, 'q@x', 2010, 'late') on conflict (a, b) do nothing")
    session.execute("insert into items values (900005, 1, 'x', null, null, null, null) on conflict (a, b) do nothing")
    assert len(normalized) < 60, len(normalized)  # the keys and the rows holding them: not the table's rows
    got = session.execute("select id, label from items where email in ('user33@example.com', 'late7@example.com') "
                          "or id between 900000 and 900010 order by id")[0].rows()
    assert got == [(33, "upserted"), (ROWS + 8, "upserted"), (900005, "x")], got


def test_expression_unique_index_keys_worked_out_once_per_chunk(session, monkeypatch):
    from helios_core.sql import index_definitions

    session.execute("create unique index items_lower_email on items (lower(email))")
    _recent_small_writes(session)
    evaluated: list[int] = []
    original = index_definitions._keys_of

    def counting(s, ctx, tdef, spec, batch):
        evaluated.append(batch.num_rows)
        return original(s, ctx, tdef, spec, batch)

    monkeypatch.setattr(index_definitions, "_keys_of", counting)
    session.execute("insert into items values (910001, 1, 'x', null, 'Fresh@Example.com', 7001, 'x')")
    first = sum(evaluated)
    evaluated.clear()
    session.execute("insert into items values (910002, 1, 'x', null, 'Other@Example.com', 7002, 'x')")
    assert sum(evaluated) <= 3, (first, evaluated)  # the new row, and the one chunk written since
    for email in ("USER17@example.com", "Late4@Example.COM", "fresh@example.com"):
        with pytest.raises(UniqueViolation, match="items_lower_email"):
            session.execute(f"insert into items values (910003, 1, 'x', null, '{email}', 7003, 'x')")
    with pytest.raises(UniqueViolation, match="items_lower_email"):
        session.execute("update items set email = 'user18@EXAMPLE.com' where id = 19")
    session.execute("begin")
    session.execute("insert into items values (910004, 1, 'x', null, 'inside@x', 7004, 'x')")
    with pytest.raises(UniqueViolation, match="items_lower_email"):  # a row of the open block
        session.execute("insert into items values (910005, 1, 'x', null, 'INSIDE@x', 7005, 'x')")
    session.execute("rollback")
    session.execute("insert into items values (910005, 1, 'x', null, 'INSIDE@x', 7005, 'x')")  # rolled back
    session.execute("delete from items where id = 17")
    session.execute("insert into items values (910006, 1, 'x', null, 'User17@example.com', 7006, 'x')")  # freed
    session.execute("update items set email = 'User17@Example.com' where id = 910006")  # its own key
    got = session.execute("insert into items values (910007, 1, 'x', null, 'uSER33@example.com', 7007, 'x') "
                          "on conflict (lower(email)) do update set label = 'via lower' returning id")[0].rows()
    assert got == [(33,)]
    assert session.execute("select label from items where id = 33")[0].rows() == [("via lower",)]


def test_small_chunks_answered_by_one_map_as_they_come_and_go(session, monkeypatch):
    """Equality and IN probes of a table's small chunks are answered by one value map kept with its
    layer (storage.secondary_index.small_chunk_positions): rows written one at a time between the
    lookups (the memtable merging its small chunks on the way, so the map is built again), updated
    and deleted rows, and a transaction's own uncommitted rows all answer as a scan without the
    index does; the small chunks are no longer compared one by one."""
    from helios_core.storage import secondary_index

    compared = []
    original = secondary_index._compared_positions
    monkeypatch.setattr(secondary_index, "_compared_positions",
                        lambda ch, col, probe: compared.append(probe) or original(ch, col, probe))
    lookups = [q for q in QUERIES if " = " in q or " in (" in q]
    for i in range(120):
        session.execute(f"insert into items values ({ROWS + 1 + i}, {i % 7}, 'late {i % 4}', "
                        f"date '2021-01-01' + {i % 9}, 'late{i}@example.com', {2000 + i}, 'late')")
        if i % 23 == 0:
            session.execute(f"update items set grp = 4, label = 'late 1' where id = {ROWS + 1 + i // 2}")
            session.execute(f"delete from items where id = {ROWS - i}")
            assert _answers(session, lookups) == _answers(session, [_without_index(q) for q in lookups])
    assert _answers(session, lookups) == _answers(session, [_without_index(q) for q in lookups])
    assert not [p for p in compared if len(p) == 1 and p[0][0] in ("=", "in")], compared[:3]
    other = session.engine.connect(user="helios", database="helios", branch="main")
    other.execute("begin")
    other.execute("insert into items values (900000, 4, 'late 1', date '2021-01-05', 'u@x', 1, 'u')")
    assert (900000,) in other.execute(QUERIES[0])[0].rows()  # its own row, through the map
    assert (900000,) not in session.execute(QUERIES[0])[0].rows()  # not another's
    other.execute("rollback")
    assert (900000,) not in other.execute(QUERIES[0])[0].rows()
