"""Session.execute_prepared_rows (helios_core.sql.pipelined_rows): a prepared one-row INSERT run for
many rows at once inside a transaction block, or declined with nothing done."""

from __future__ import annotations

import pytest

import helios_core


@pytest.fixture
def session(tmp_path):
    s = helios_core.connect(str(tmp_path / "data"))
    s.execute("create table pr (id int primary key, v varchar(5), n serial, note text default 'd')")
    yield s
    s.close()


def _rows(lo: int, hi: int) -> list[list[str]]:
    return [[str(i), f"v{i % 100}"] for i in range(lo, hi)]


def test_rows_go_in_as_the_executions_one_by_one(session) -> None:
    stmt = session.prepare("insert into pr values ($1, $2)", [23, 1043])
    session.execute("begin")
    result = session.execute_prepared_rows(stmt, _rows(0, 1037))  # 1024 + 8 + 4 + 1: chunks and a single row
    assert result is not None and result.row_count == 1037
    session.execute("commit")
    got = session.execute("select id, v, n, note from pr order by id")[0].rows()
    assert got == [(i, f"v{i % 100}", i + 1, "d") for i in range(1037)]


def test_declined_outside_a_block_for_few_rows_and_for_other_statements(session) -> None:
    stmt = session.prepare("insert into pr values ($1, $2)", [23, 1043])
    assert session.execute_prepared_rows(stmt, _rows(0, 50)) is None  # no block: each row commits alone
    session.execute("begin")
    assert session.execute_prepared_rows(stmt, _rows(0, 3)) is None
    for sql in ("insert into pr values ($1, $2) returning id", "insert into pr values ($2, $1)",
                "insert into pr values ($1, $2) on conflict do nothing", "insert into pr (id, v) select $1, $2"):
        other = session.prepare(sql, [23, 1043])
        assert session.execute_prepared_rows(other, _rows(0, 50)) is None, sql
    session.execute("commit")
    session.execute("create function pr_t() returns trigger language plpgsql as $$ begin return new; end $$")
    session.execute("create trigger pr_t before insert on pr for each row execute function pr_t()")
    session.execute("begin")
    assert session.execute_prepared_rows(stmt, _rows(0, 50)) is None  # a trigger: one by one
    session.execute("commit")
    assert session.execute("select count(*) from pr")[0].rows() == [(0,)]


def test_a_failing_row_undoes_the_run_and_gives_its_sequence_values_back(session) -> None:
    stmt = session.prepare("insert into pr values ($1, $2)", [23, 1043])
    session.execute("begin")
    rows = _rows(0, 40) + [["40", "too long"]] + _rows(41, 60)
    assert session.execute_prepared_rows(stmt, rows) is None
    assert session.transaction_state == "in_transaction"  # not failed: the rows are run one by one next
    assert session.execute("select count(*) from pr")[0].rows() == [(0,)]
    session.execute_prepared(stmt, ["0", "a"])
    session.execute("commit")
    assert session.execute("select n from pr")[0].rows() == [(1,)]
