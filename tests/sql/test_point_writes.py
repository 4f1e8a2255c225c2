"""Prepared point writes (helios_core.sql.point_writes) against the general DML path.

The same scripts of prepared UPDATE/INSERT/DELETE statements run on two embedded engines: one
with point plans, one with them switched off (every statement through ``dml``). Answers, error
codes and the tables' final contents must be the same; the first engine must really have
taken the point plans, and tables with triggers or generated columns keep the general path."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError
from helios_core.sql import point_writes

SCHEMA = [
    ("create table acc (aid int primary key, bid int not null, abalance int, small smallint, big bigint,"
     " note text, code char(4), amount numeric(8,2), day date, at timestamp, check (abalance > -100000))"),
    "create table parent (id int primary key)",
    "create table child (id int primary key, pid int references parent (id), v int)",
    "create table hist (tid int, aid int, delta int, mtime timestamp, filler char(22))",
    "create table seq_t (id serial primary key, v text default 'd')",
    ("insert into acc select g, g % 3, g * 10, g, g * 1000, 'n' || g, 'c' || g, g * 1.5,"
     " date '2024-01-01' + g, timestamp '2024-01-01 10:00' from generate_series(1, 20) g"),
    "insert into parent values (1), (2), (3)",
    "insert into child values (1, 1, 10), (2, 2, 20)",
]

# (statement, [parameter lists]) run in order; each execution's answer (rows or SQLSTATE) is compared
SCRIPT = [
    ("update acc set abalance = abalance + $1 where aid = $2", [[5, 1], [-7, 2], [None, 3], [1, 999], [3, None],
                                                              [2147483640, 4], [2147483000, 4], [1, 1]]),
    ("update acc set abalance = abalance - $1, note = $2 where aid = $3", [[2, "x", 5], [1, None, 6]]),
    ("update acc set small = small + $1 where aid = $2", [[32761, 7], [32000, 7], [1, 8]]),
    ("update acc set big = big + 1 where aid = $1", [[9], [10]]),
    ("update acc set code = $1, amount = amount * $2 where aid = $3", [["ab", "2.5", 11], ["toolong", 1, 12]]),
    ("update acc set day = $1, at = $1::timestamp + interval '1 hour' where aid = $2", [["2025-02-03", 13]]),
    ("update acc set abalance = $1 where aid = $2", [[-100001, 14], [77, 14]]),
    ("update acc set bid = $1 where aid = $2", [[None, 15], [4, 15]]),
    ("update acc set abalance = abalance + $1 where aid = $2 returning aid, abalance, note", [[1, 16], [1, 404]]),
    ("update acc set abalance = 1 + (abalance) where aid = 17", [[]]),
    ("insert into hist (tid, aid, delta, mtime) values ($1, $2, $3, current_timestamp)", [[1, 2, 3], [None, 5, 6]]),
    ("insert into hist (tid, aid, delta, mtime, filler) values ($1, $2, $3, '2024-05-06 07:08', 'f')",
     [[4, 4, 4]]),
    ("insert into acc (aid, bid, abalance, note) values ($1, $2, $3, $4)",
     [[100, 1, 5, "new"], [100, 1, 5, "dup"], [101, None, 1, "nn"], [102, 1, -200000, "ck"]]),
    ("insert into acc (aid, bid, day) values ($1, $2, $3) returning aid, day, abalance", [[103, 1, "2030-01-01"]]),
    ("insert into child (id, pid, v) values ($1, $2, $3)", [[3, 3, 30], [4, 99, 40]]),
    ("insert into seq_t (v) values ($1) returning id, v", [["a"], ["b"]]),
    ("insert into seq_t default values", [[]]),
    ("delete from acc where aid = $1", [[20], [20], [None], [100]]),
    ("delete from acc where aid = $1 returning aid, note", [[19], [500]]),
    ("delete from parent where id = $1", [[1], [3], [2]]),
    ("update child set v = v + $1 where id = $2", [[1, 1], [1, 42]]),
    ("update parent set id = id + 10 where id = $1", [[2]]),
]

FINAL = ["select * from acc order by aid", "select tid, aid, delta, mtime is not null, filler from hist order by tid",
         "select * from parent order by id", "select * from child order by id", "select * from seq_t order by id"]


def _play(s: object) -> list[object]:
    answers: list[object] = []
    for sql, runs in SCRIPT:
        stmt = s.prepare(sql)
        for params in runs:
            s.execute("savepoint p")
            try:
                r = s.execute_prepared(stmt, params)
                answers.append((r.command_tag, r.rows() if r.columns else None))
            except HeliosError as e:
                answers.append(("error", e.sqlstate))
                s.execute("rollback to savepoint p")
    s.execute("commit")
    return answers + [s.execute(q)[0].rows() for q in FINAL]


def test_same_answers_as_the_general_path(monkeypatch):
    fast = helios_core.connect()
    for sql in SCHEMA:
        fast.execute(sql)
    fast.execute("begin")
    taken: list[str] = []
    real = point_writes._point_plan

    def noting(session, ast, prepared):
        plan = real(session, ast, prepared)
        if plan is not None:
            taken.append(type(plan).__name__)
        return plan

    monkeypatch.setattr(point_writes, "_point_plan", noting)
    fast_answers = _play(fast)
    monkeypatch.setattr(point_writes, "_point_plan", lambda session, ast, prepared: None)
    general = helios_core.connect()
    for sql in SCHEMA:
        general.execute(sql)
    general.execute("begin")
    general_answers = _play(general)
    for i, (a, b) in enumerate(zip(fast_answers, general_answers, strict=True)):
        assert a == b, (i, a, b)
    assert {"PointUpdate", "PointInsert", "PointDelete"} <= set(taken)
    assert len(taken) > 30
    assert ("error", "22003") in fast_answers and ("error", "23514") in fast_answers
    assert ("error", "23505") in fast_answers and ("error", "23503") in fast_answers
    assert ("error", "23502") in fast_answers


def test_triggers_and_generated_columns_keep_the_general_path():
    s = helios_core.connect()
    s.execute("create table t (id int primary key, v int, doubled int generated always as (v * 2) stored)")
    s.execute("create table u (id int primary key, v int, note text)")
    s.execute("create table audit (id int, old_v int, new_v int)")
    s.execute("create function bump() returns trigger language plpgsql as $$ begin "
              "new.note := 'trig ' || new.v; insert into audit values (new.id, old.v, new.v); return new; end $$")
    s.execute("create trigger bu before update on u for each row execute function bump()")
    s.execute("insert into t (id, v) values (1, 1)")
    s.execute("insert into u values (1, 1, 'x')")
    upd_t = s.prepare("update t set v = v + $1 where id = $2")
    upd_u = s.prepare("update u set v = v + $1 where id = $2")
    for _ in range(3):
        s.execute_prepared(upd_t, [1, 1])
        s.execute_prepared(upd_u, [1, 1])
    assert s.execute("select v, doubled from t")[0].rows() == [(4, 8)]
    assert s.execute("select v, note from u")[0].rows() == [(4, "trig 4")]
    assert s.execute("select count(*) from audit")[0].rows() == [(3,)]
    assert upd_t.plan.cache["point_plan"] is False and upd_u.plan.cache["point_plan"] is False
    # a trigger created after the plan was made: the next execution fires it
    s.execute("create table w (id int primary key, v int)")
    s.execute("insert into w values (1, 1)")
    upd_w = s.prepare("update w set v = v + 1 where id = $1")
    s.execute_prepared(upd_w, [1])
    assert type(upd_w.plan.cache["point_plan"]).__name__ == "PointUpdate"
    s.execute("create function twice() returns trigger language plpgsql as $$ begin "
              "new.v := new.v * 2; return new; end $$")
    s.execute("create trigger bw before update on w for each row execute function twice()")
    s.execute_prepared(upd_w, [1])
    assert s.execute("select v from w")[0].rows() == [(6,)]


def test_repeatable_read_sees_its_snapshot_and_conflicts():
    s = helios_core.connect()
    other = s.engine.connect(user="helios", database="helios", branch="main")
    s.execute("create table a (id int primary key, v int)")
    s.execute("insert into a values (1, 0), (2, 0)")
    upd = s.prepare("update a set v = v + $1 where id = $2")
    s.execute("begin isolation level repeatable read")
    assert s.execute("select v from a where id = 1")[0].rows() == [(0,)]
    other.execute("update a set v = 100 where id = 1")
    with pytest.raises(HeliosError) as err:
        s.execute_prepared(upd, [1, 1])
    assert err.value.sqlstate == "40001"
    s.execute("rollback")
    s.execute("begin")  # READ COMMITTED: the statement sees the committed value
    s.execute_prepared(upd, [1, 1])
    s.execute("commit")
    assert s.execute("select v from a order by id")[0].rows() == [(101,), (0,)]
    assert type(upd.plan.cache["point_plan"]).__name__ == "PointUpdate"


def test_a_statement_handed_back_by_its_time_budget_gives_its_sequence_values_back():
    """A protocol tries a short write on its event loop under a time budget and, past it, runs it
    again in a worker: the client sees one execution, so the SERIAL ids start at 1, not 2."""
    from helios_core import time_budget

    s = helios_core.connect()
    s.execute("create table tb (id serial primary key, at timestamptz default now(), v text)")
    s.execute("begin")
    ins = s.prepare("insert into tb (v) values ($1) returning id, at")
    with pytest.raises(time_budget.BudgetExceeded), time_budget.time_budget(-1.0):
        s.execute_prepared(ins, ["a"])
    assert s.execute_prepared(ins, ["a"]).rows()[0][0] == 1
    assert s.execute_prepared(ins, ["b"]).rows()[0][0] == 2
    assert s.execute("select currval('tb_id_seq')")[0].rows() == [(2,)]
    s.execute("commit")
    assert s.execute("select id, v from tb order by id")[0].rows() == [(1, "a"), (2, "b")]

