"""Prepared primary-key point reads run without the operator tree (helios_core.sql.point_reads):
the same answers as the general path under MVCC, branches and privileges."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture
def engine_session():
    s = helios_core.connect()
    s.execute("create table acc (aid bigint primary key, bid int, abalance int, note text)")
    s.execute("insert into acc select g, g % 3, g * 10, 'n' || g from generate_series(1, 20) g")
    yield s
    s.close()


def point(s, sql, types=()):
    stmt = s.prepare(sql, param_types=list(types))
    assert stmt.plan.plan is not None
    return stmt


def run(s, stmt, *params):
    return s.execute_prepared(stmt, list(params)).rows()


def test_point_read_is_taken_and_answers(engine_session):
    s = engine_session
    stmt = point(s, "select note, abalance, aid from acc where aid = $1", ["integer"])
    assert run(s, stmt, 7) == [("n7", 70, 7)]
    assert stmt.plan.cache.get("point") is not None
    assert run(s, stmt, 21) == []
    assert run(s, stmt, None) == []
    assert [c.name for c in s.execute_prepared(stmt, [3]).columns] == ["note", "abalance", "aid"]
    star = point(s, "select * from acc where aid = $1")
    assert run(s, star, "4") == [(4, 1, 40, "n4")]


def test_shapes_that_keep_the_operator_tree(engine_session):
    s = engine_session
    for sql in ("select abalance + 1 from acc where aid = $1",
                "select abalance from acc where aid = $1 and bid = 0",
                "select abalance, tableoid > 0 from acc where aid = $1"):
        stmt = point(s, sql, ["integer"])
        rows = run(s, stmt, 5)
        assert stmt.plan.cache.get("point") is None, sql
        assert len(rows) == (0 if "bid = 0" in sql else 1)


def test_mvcc_as_the_general_path(engine_session):
    s = engine_session
    other = s.engine.connect(user="helios", database="helios", branch="main")
    stmt = point(s, "select abalance from acc where aid = $1", ["integer"])
    assert run(s, stmt, 2) == [(20,)]
    s.execute("begin isolation level repeatable read")
    assert run(s, stmt, 2) == [(20,)]
    other.execute("update acc set abalance = -1 where aid = 2")
    assert run(s, stmt, 2) == [(20,)]  # the transaction's snapshot
    s.execute("update acc set abalance = 5 where aid = 3")
    assert run(s, stmt, 3) == [(5,)]  # its own write
    s.execute("delete from acc where aid = 4")
    assert run(s, stmt, 4) == []
    s.execute("commit")
    assert run(s, stmt, 2) == [(-1,)]  # read committed: the other's commit
    other.execute("begin")
    other.execute("delete from acc where aid = 5")
    assert run(s, stmt, 5) == [(50,)]  # not committed yet
    other.execute("commit")
    assert run(s, stmt, 5) == []
    other.close()


def test_branch_and_privileges(engine_session):
    s = engine_session
    stmt = point(s, "select abalance from acc where aid = $1", ["integer"])
    assert run(s, stmt, 6) == [(60,)]
    s.execute("create branch dev from main")
    s.execute("set heliosdb.branch = dev")
    s.execute("update acc set abalance = 600 where aid = 6")
    assert run(s, stmt, 6) == [(600,)]
    s.execute("set heliosdb.branch = main")
    assert run(s, stmt, 6) == [(60,)]
    s.execute("create role clerk")
    s.execute("grant select on acc to clerk")
    s.execute("set role clerk")
    assert run(s, stmt, 6) == [(60,)]
    s.execute("reset role")
    s.execute("revoke select on acc from clerk")
    s.execute("set role clerk")
    with pytest.raises(HeliosError) as err:
        run(s, stmt, 6)
    assert err.value.sqlstate == "42501"
    s.execute("reset role")


def test_time_travel_is_not_a_point_read(engine_session):
    s = engine_session
    ts = s.execute("select now()")[0].rows()[0][0]
    s.execute("update acc set abalance = 0 where aid = 8")
    stmt = point(s, f"select abalance from acc as of timestamp '{ts.isoformat()}' where aid = $1", ["integer"])
    assert run(s, stmt, 8) == [(80,)]


def test_prepared_insert_plans_its_values_once_with_each_executions_values(engine_session):
    s = engine_session
    s.execute("create table hist (id int, delta int, at timestamptz, label text)")
    ins = s.prepare("insert into hist values ($1, $2 * 2, current_timestamp, 'row ' || $1)",
                     param_types=["integer", "integer"])
    for i in range(4):
        s.execute_prepared(ins, [i, -i])
    assert s.execute("select id, delta, label, at is not null from hist order by id")[0].rows() == [
        (0, 0, "row 0", True), (1, -2, "row 1", True), (2, -4, "row 2", True), (3, -6, "row 3", True)]
    s.execute("alter table hist add column extra int default 9")
    s.execute_prepared(ins, [4, 1])
    assert s.execute("select delta, extra from hist where id = 4")[0].rows() == [(2, 9)]


def test_integer_key_parameters_out_of_range_are_refused_as_the_general_path(engine_session):
    s = engine_session
    s.execute("create table small (k int primary key, v text)")
    s.execute("insert into small values (1, 'one'), (2147483647, 'max')")
    stmt = point(s, "select v from small where k = $1", ["integer"])
    assert run(s, stmt, 2147483647) == [("max",)]
    assert run(s, stmt, 1) == [("one",)]
    with pytest.raises(HeliosError) as err:  # taken straight, it would be looked up and not found
        run(s, stmt, 2147483648)
    assert err.value.sqlstate == "22003"


# ---------------------------------------------------------------------------------------------
# execute_point: the protocols' shortcut must answer exactly as execute_prepared


def both(s, stmt, *params):
    """(fast, general): execute_point's rows and columns (None when it declined) and execute_prepared's."""
    fast = s.execute_point(stmt, list(params))
    general = s.execute_prepared(stmt, list(params))
    fast_out = None if fast is None else (fast.rows(), fast.columns, fast.kind, fast.row_count)
    return fast_out, (general.rows(), general.columns, general.kind, general.row_count)


def taken(s, stmt, *params):
    """execute_point's answer, which must be given (the shortcut applies) and equal the general path's."""
    fast, general = both(s, stmt, *params)
    assert fast is not None, "execute_point declined"
    assert fast == general
    return fast[0]


def test_execute_point_answers_as_execute_prepared(engine_session):
    s = engine_session
    s.execute("create table typed (k int primary key, b boolean, n numeric(10,2), ts timestamptz, "
              "c char(5), t text, f float8, d date)")
    s.execute("insert into typed values (1, true, 12.50, '2024-01-02 03:04:05+00', 'ab', 'x', 0.1, '2024-02-03'), "
              "(2, null, null, null, null, null, null, null), (-7, false, -1, '1999-12-31 23:59:59+00', 'abcde', "
              "'', 1e300, '0044-03-15')")
    stmt = point(s, "select * from typed where k = $1", ["integer"])
    assert s.execute_point(stmt, [1]) is None  # not yet run: the general path plans the shortcut first
    s.execute_prepared(stmt, [1])
    for key in (1, 2, -7, "1", "-7", 3, 0):
        taken(s, stmt, key)
    s.execute("set timezone = 'America/New_York'")  # the plan is re-made for the new settings
    assert s.execute_point(stmt, [1]) is None
    s.execute_prepared(stmt, [1])
    taken(s, stmt, 1)
    for key in (" 1", "+1", "1.0", "x", None, 2147483648, 1.0):  # left to the binder, which judges them
        assert s.execute_point(stmt, [key]) is None
    with pytest.raises(HeliosError) as err:
        s.execute_prepared(stmt, ["x"])
    assert err.value.sqlstate == "22P02"


def test_execute_point_mvcc_blocks_and_failures(engine_session):
    s = engine_session
    other = s.engine.connect(user="helios", database="helios", branch="main")
    stmt = point(s, "select abalance, note from acc where aid = $1", ["bigint"])
    s.execute_prepared(stmt, [1])
    other.execute("begin")
    other.execute("update acc set abalance = -2 where aid = 2")  # open, not committed
    assert taken(s, stmt, 2) == [(20, "n2")]
    s.execute("begin isolation level repeatable read")
    assert taken(s, stmt, 2) == [(20, "n2")]
    other.execute("commit")
    assert taken(s, stmt, 2) == [(20, "n2")]  # the block's snapshot
    s.execute("update acc set note = 'mine' where aid = 3")
    assert taken(s, stmt, 3) == [(30, "mine")]  # its own write
    s.execute("commit")
    assert taken(s, stmt, 2) == [(-2, "n2")]
    s.execute("begin")
    with pytest.raises(HeliosError):
        s.execute("select 1 / 0")
    assert s.execute_point(stmt, [2]) is None  # a failed block: the general path says 25P02
    with pytest.raises(HeliosError) as err:
        s.execute_prepared(stmt, [2])
    assert err.value.sqlstate == "25P02"
    s.execute("rollback")
    assert s.transaction_status == "I"
    assert taken(s, stmt, 2) == [(-2, "n2")]
    assert s.transaction_status == "I"  # the implicit transaction ended
    other.close()


def test_execute_point_branches_privileges_and_row_security(engine_session):
    s = engine_session
    stmt = point(s, "select abalance from acc where aid = $1", ["bigint"])
    s.execute_prepared(stmt, [6])
    s.execute("create branch dev2 from main")
    s.execute("set heliosdb.branch = dev2")
    s.execute("update acc set abalance = 600 where aid = 6")
    assert s.execute_point(stmt, [6]) is None  # planned on main
    assert s.execute_prepared(stmt, [6]).rows() == [(600,)]
    assert taken(s, stmt, 6) == [(600,)]
    s.execute("set heliosdb.branch = main")
    s.execute_prepared(stmt, [6])
    assert taken(s, stmt, 6) == [(60,)]
    s.execute("create role teller")
    s.execute("grant select on acc to teller")
    s.execute("alter table acc enable row level security")
    s.execute("create policy even on acc for select to teller using (aid % 2 = 0)")
    s.execute("set role teller")
    s.execute_prepared(stmt, [6])
    for key in (6, 7):
        fast, general = both(s, stmt, key)
        assert general[0] == ([(60,)] if key == 6 else [])
        assert fast is None or fast == general
    s.execute("reset role")
    s.execute("revoke select on acc from teller")
    s.execute("set role teller")
    assert s.execute_point(stmt, [6]) is None
    with pytest.raises(HeliosError) as err:
        s.execute_prepared(stmt, [6])
    assert err.value.sqlstate == "42501"
    s.execute("reset role")


def test_execute_point_declines_time_travel_and_counts_statements(engine_session):
    s = engine_session
    ts = s.execute("select now()")[0].rows()[0][0]
    s.execute("update acc set abalance = 0 where aid = 8")
    old = point(s, f"select abalance from acc as of timestamp '{ts.isoformat()}' where aid = $1", ["integer"])
    s.execute_prepared(old, [8])
    assert s.execute_point(old, [8]) is None
    stmt = point(s, "select abalance from acc where aid = $1", ["bigint"])
    s.execute_prepared(stmt, [8])
    calls = s.execute("select calls from pg_stat_statements where query like 'select abalance from acc where%'")
    before = calls[0].rows()[0][0]
    for _ in range(3):
        assert taken(s, stmt, 8) == [(0,)]
    calls = s.execute("select calls from pg_stat_statements where query like 'select abalance from acc where%'")
    assert calls[0].rows()[0][0] == before + 6


def test_execute_point_takes_a_narrower_integer_parameter(engine_session):
    """Clients type small integers int2 or int4 (psycopg) against a bigint key: the cast keeps the value."""
    s = engine_session
    for types in (["smallint"], ["integer"]):
        stmt = point(s, "select abalance from acc where aid = $1", types)
        s.execute_prepared(stmt, [1])
        assert taken(s, stmt, 9) == [(90,)]
        assert taken(s, stmt, -1) == []
    stmt = point(s, "select abalance from acc where aid = $1", ["smallint"])
    s.execute_prepared(stmt, [1])
    assert s.execute_point(stmt, [40000]) is None  # out of the parameter's range: the binder says 22003
    with pytest.raises(HeliosError) as err:
        s.execute_prepared(stmt, [40000])
    assert err.value.sqlstate == "22003"


def test_execute_point_sql_answers_as_execute(engine_session):
    """A simple-query text the statement cache holds as a point read: the same Result as execute."""
    s = engine_session
    sql = "select abalance, note from acc where aid = {}"
    assert s.execute_point_sql(sql.format(1)) is None  # not cached yet: seen twice, prepared, run once
    for key in (1, 2, 5):
        s.execute(sql.format(key))
    for key in (3, -4, 99, 3):
        fast = s.execute_point_sql(sql.format(key))
        assert fast is not None
        general = s.execute(sql.format(key))[0]
        assert (fast.rows(), fast.columns, fast.kind, fast.row_count) == (
            general.rows(), general.columns, general.kind, general.row_count)
    assert s.execute_point_sql("select abalance from acc where aid = 1 or aid = 2") is None
    s.execute("begin")
    with pytest.raises(HeliosError):
        s.execute("select 1 / 0")
    assert s.execute_point_sql(sql.format(3)) is None  # a failed block: execute says 25P02
    s.execute("rollback")
    s.execute("create index on acc (bid)")  # DDL drops the cache: the text is learnt again
    assert s.execute_point_sql(sql.format(3)) is None


def test_execute_point_after_a_streamed_query(engine_session):
    """A protocol streams simple queries (Session.stream): the next point read lets the finished stream go."""
    s = engine_session
    sql = "select abalance from acc where aid = {}"
    for key in (1, 2, 3):
        list(s.stream(sql.format(key)))
    for key in (4, 5):
        fast = s.execute_point_sql(sql.format(key))
        assert fast is not None and fast.rows() == [(key * 10,)]
        list(s.stream(sql.format(key)))


def test_execute_point_takes_text_and_jsonb_keys(engine_session):
    """A document store's key (text, or jsonb as MongoDB's _id column): the parameter as the binder
    gives it, jsonb in its canonical text (spacing and key order do not matter), as execute_prepared."""
    s = engine_session
    s.execute("create table kv (k text primary key, v int)")
    s.execute("insert into kv values ('a', 1), ('b c', 2), ('', 3)")
    stmt = point(s, "select v from kv where k = $1", ["text"])
    s.execute_prepared(stmt, ["a"])
    assert [taken(s, stmt, key) for key in ("a", "b c", "", "zz")] == [[(1,)], [(2,)], [(3,)], []]
    s.execute("create table docs (_id jsonb primary key, doc jsonb not null)")
    s.execute("""insert into docs values ('"u1"', '{"_id": "u1", "n": 1}'), ('{"$oid": "abc"}', '{"n": 2}'),
                 ('{"a": 1, "bb": [1, 2.50]}', '{"n": 3}')""")
    stmt = point(s, "select _id, doc from docs where _id = $1", ["jsonb"])
    s.execute_prepared(stmt, ['"u1"'])
    assert taken(s, stmt, '"u1"') == [("\"u1\"", '{"n": 1, "_id": "u1"}')]
    assert taken(s, stmt, '{ "$oid" : "abc" }') == [('{"$oid": "abc"}', '{"n": 2}')]
    assert taken(s, stmt, '{"bb": [1, 2.50], "a": 1}') == [('{"a": 1, "bb": [1, 2.50]}', '{"n": 3}')]
    assert taken(s, stmt, '"nope"') == []
    s.execute("""insert into docs values ('"é \\"q\\u0041"', '{"n": 4}'), ('"a/b"', '{"n": 5}')""")
    assert taken(s, stmt, '"é \\"qA"') == [('"é \\"qA"', '{"n": 4}')]  # escapes written as jsonb writes them
    assert taken(s, stmt, '"a\\/b"') == taken(s, stmt, '"a/b"') == [('"a/b"', '{"n": 5}')]
    for key in ("{bad", '"a\\u0000"', None, 7):  # left to the binder, which judges them
        assert s.execute_point(stmt, [key]) is None
    with pytest.raises(HeliosError) as err:
        s.execute_prepared(stmt, ["{bad"])
    assert err.value.sqlstate == "22P02"
    text_param = point(s, "select doc from docs where _id = $1::jsonb", ["text"])
    s.execute_prepared(text_param, ['"u1"'])
    assert s.execute_point(text_param, ['"u1"']) is None  # a cast parameter: the general path
