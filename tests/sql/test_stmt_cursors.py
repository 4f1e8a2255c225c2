"""SQL cursors as psycopg's server-side cursors use them: DECLARE, FETCH, MOVE, CLOSE, WITH HOLD."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture
def s():
    session = helios_core.connect()
    session.execute("create table t (a int); insert into t select g from generate_series(1, 10) g")
    yield session
    session.close()


def fetch(s, sql: str):
    r = s.execute(sql)[0]
    return r.command_tag, (r.rows() if r.columns is not None else None)


def test_declare_fetch_move_close(s):
    assert [r.command_tag for r in s.execute('begin; declare "c" cursor without hold for select a from t order by a')
            ] == ["BEGIN", "DECLARE CURSOR"]
    assert [c.name for c in s.cursor_columns("c")] == ["a"]
    assert fetch(s, 'fetch forward 3 from "c"') == ("FETCH 3", [(1,), (2,), (3,)])
    assert fetch(s, "fetch 2 from c") == ("FETCH 2", [(4,), (5,)])
    assert fetch(s, "move 2 in c") == ("MOVE 2", None)
    assert fetch(s, "fetch all from c") == ("FETCH 3", [(8,), (9,), (10,)])
    assert fetch(s, "fetch next from c") == ("FETCH 0", [])
    assert fetch(s, "fetch absolute 2 from c") == ("FETCH 1", [(2,)])
    assert fetch(s, "fetch backward 1 from c") == ("FETCH 1", [(1,)])
    assert s.execute("close c")[0].command_tag == "CLOSE CURSOR"
    with pytest.raises(HeliosError) as ei:
        s.execute("fetch c")
    assert ei.value.sqlstate == "34000"
    s.execute("commit")


def test_cursor_rules(s):
    with pytest.raises(HeliosError) as ei:
        s.execute("declare c cursor for select 1")
    assert ei.value.sqlstate == "25P01"
    s.execute("begin; declare c cursor for select a from t")
    with pytest.raises(HeliosError) as ei:
        s.execute("declare c cursor for select 1")
    assert ei.value.sqlstate == "42P03"
    s.execute("rollback")
    assert s.cursor_columns("c") is None  # a cursor without HOLD ends with its transaction


def test_with_hold_survives_commit(s):
    s.execute("begin; declare h cursor with hold for select a from t where a > 8 order by a; commit")
    s.execute("insert into t values (100)")
    assert fetch(s, "fetch all from h") == ("FETCH 2", [(9,), (10,)])
    s.execute("close all")
    assert s.cursor_columns("h") is None
