"""A point INSERT keeps its columns' DEFAULT plans between executions (dml.default_array's
cache): each execution still evaluates them (now() per transaction, random() per row), and a
changed DEFAULT is used at once."""

from __future__ import annotations

import time

import helios_core


def _rows(s, sql):
    result = None
    for result in s.execute(sql):
        pass
    return result.rows()


def test_defaults_are_evaluated_each_execution_and_follow_alter():
    s = helios_core.connect()
    s.execute("CREATE TABLE d (id int PRIMARY KEY, at timestamptz DEFAULT now(), r float8 DEFAULT random(), "
              "flag boolean DEFAULT true, n int DEFAULT 7)")
    p = s.prepare("INSERT INTO d (id) VALUES ($1)", [23])
    for i in range(1, 4):
        s.execute_prepared(p, [i])
        time.sleep(0.01)
    s.execute("ALTER TABLE d ALTER COLUMN n SET DEFAULT 8")
    s.execute("ALTER TABLE d ALTER COLUMN flag SET DEFAULT false")
    s.execute_prepared(p, [4])
    rows = _rows(s, "SELECT id, at, r, flag, n FROM d ORDER BY id")
    assert [r[3:] for r in rows] == [(True, 7), (True, 7), (True, 7), (False, 8)]
    assert len({r[1] for r in rows}) == 4  # now(): each execution's own transaction
    assert len({r[2] for r in rows}) == 4  # random(): drawn each time
    s.execute("BEGIN")
    s.execute_prepared(p, [5])
    s.execute_prepared(p, [6])
    s.execute("COMMIT")
    five, six = _rows(s, "SELECT at FROM d WHERE id IN (5, 6) ORDER BY id")
    assert five == six  # now() is the transaction's time


def test_the_plan_is_kept_between_executions(monkeypatch):
    s = helios_core.connect()
    s.execute("CREATE TABLE e (id int PRIMARY KEY, at timestamptz DEFAULT now())")
    p = s.prepare("INSERT INTO e (id) VALUES ($1)", [23])
    s.execute_prepared(p, [1])
    planned = []
    real = type(s).plan_query
    monkeypatch.setattr(type(s), "plan_query", lambda self, *a, **k: planned.append(a) or real(self, *a, **k))
    s.execute_prepared(p, [2])
    s.execute_prepared(p, [3])
    assert planned == []
    assert len(_rows(s, "SELECT id FROM e")) == 3


def test_returning_is_compiled_once_and_evaluated_each_time(monkeypatch):
    from helios_core.sql import dml

    s = helios_core.connect()
    s.execute("CREATE TABLE r (id serial PRIMARY KEY, name text, at timestamptz DEFAULT now())")
    ins = s.prepare("INSERT INTO r (name) VALUES ($1) RETURNING id, upper(name) AS shout, $1 || '!' AS echo", [25])
    upd = s.prepare("UPDATE r SET name = $1 WHERE id = $2 RETURNING id, name, (SELECT count(*) FROM r) AS n", [25, 23])
    first = s.execute_prepared(ins, ["a"]).rows()
    compiled = []
    real = dml.compile_scalar
    monkeypatch.setattr(dml, "compile_scalar", lambda *a, **k: compiled.append(a) or real(*a, **k))
    assert s.execute_prepared(ins, ["b"]).rows() == [(2, "B", "b!")] and first == [(1, "A", "a!")]
    assert compiled == []  # kept from the first execution
    assert s.execute_prepared(upd, ["c", 2]).rows() == [(2, "c", 2)]
    assert s.execute_prepared(upd, ["d", 1]).rows() == [(1, "d", 2)]
    assert len(compiled) == 6  # a subquery in RETURNING: compiled each time
    s.execute("ALTER TABLE r ADD COLUMN extra int DEFAULT 5")
    assert s.execute_prepared(ins, ["e"]).rows() == [(3, "E", "e!")]
