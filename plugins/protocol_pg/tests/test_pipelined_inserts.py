"""psycopg's executemany against ``helios serve``: a pipeline of one prepared INSERT's executions is
run as multi-row INSERTs (Session.execute_prepared_rows), with exactly the rows, defaults,
sequence values, errors and transaction boundaries the executions one by one give."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest


def _table(conn: psycopg.Connection, name: str, ddl: str) -> None:
    conn.execute(f"drop table if exists {name}")
    conn.execute(f"create table {name} ({ddl})")


def _bulk_calls(conn: psycopg.Connection, table: str) -> int:
    """Rows pg_stat_statements counts for multi-row forms of the table's INSERT (the ones run for it)."""
    return conn.execute("select coalesce(sum(rows), 0) from pg_stat_statements where query like %s",
                        (f"insert into {table} values ($1, $2, $3), ($4, $5, $6)%",)).fetchone()[0]


ROWS = [(i, f"name {i}" if i % 7 else None, i * 1.5) for i in range(300)]
DDL = ("id int primary key, name varchar(12), amount float8 check (amount >= 0), "
       "n serial, at timestamptz default now(), note text default 'new'")


def test_executemany_gives_the_rows_one_by_one_executions_give(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        _table(conn, "pl_many", DDL)
        _table(conn, "pl_single", DDL)
        conn.cursor().executemany("insert into pl_many values (%s, %s, %s)", ROWS)
        for row in ROWS:
            conn.execute("insert into pl_single values (%s, %s, %s)", row)
        assert _bulk_calls(conn, "pl_many") >= 200  # most rows went in multi-row statements
        many = conn.execute("select id, name, amount, n, note from pl_many order by id").fetchall()
        single = conn.execute("select id, name, amount, n, note from pl_single order by id").fetchall()
        assert many == single
        assert [r[3] for r in many] == list(range(1, 301))  # serial values in the rows' order
        # one transaction: one now() for every row (each single execution had its own)
        assert conn.execute("select count(distinct at) from pl_many").fetchone() == (1,)


@pytest.mark.parametrize("bad, error", [
    ((150, "a name far too long", 1.0), psycopg.errors.StringDataRightTruncation),
    ((150, "x", -1.0), psycopg.errors.CheckViolation),
    ((7, "dup", 1.0), psycopg.errors.UniqueViolation),
])
def test_a_bad_row_fails_the_executemany_with_its_own_error(dsn: str, bad: tuple, error: type) -> None:
    rows = [r for r in ROWS if r[0] != 150] + [bad] + [(1000 + i, "y", 2.0) for i in range(40)]
    with psycopg.connect(dsn, autocommit=True) as conn:
        _table(conn, "pl_bad", DDL)
        with pytest.raises(error) as raised:
            conn.cursor().executemany("insert into pl_bad values (%s, %s, %s)", rows)
        assert conn.execute("select count(*) from pl_bad").fetchone() == (0,)
        _table(conn, "pl_bad", DDL)
        with pytest.raises(error) as alone, conn.transaction():  # the same rows one at a time, one transaction
            for row in rows:
                conn.execute("insert into pl_bad values (%s, %s, %s)", row)
        # the message of that row as executed alone, with its serial value (the undone run gave its
        # values back); the failing row's now() is its own transaction's
        assert raised.value.diag.message_primary == alone.value.diag.message_primary
        detail, alone_detail = raised.value.diag.message_detail, alone.value.diag.message_detail
        assert (detail or "").split(", 20")[0] == (alone_detail or "").split(", 20")[0]
        _table(conn, "pl_bad", DDL)
        conn.cursor().executemany("insert into pl_bad values (%s, %s, %s)", ROWS[:50])  # the connection goes on
        assert conn.execute("select count(*) from pl_bad").fetchone() == (50,)


def test_executemany_inside_a_transaction_waits_for_its_commit(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as other:
        _table(other, "pl_tx", DDL)
        with psycopg.connect(dsn) as conn:
            conn.cursor().executemany("insert into pl_tx values (%s, %s, %s)", ROWS)
            assert other.execute("select count(*) from pl_tx").fetchone() == (0,)
            conn.rollback()
            conn.cursor().executemany("insert into pl_tx values (%s, %s, %s)", ROWS[:100])
            conn.commit()
        assert other.execute("select count(*) from pl_tx").fetchone() == (100,)


def test_tables_with_triggers_and_other_statements_go_one_by_one(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        _table(conn, "pl_trig", "id int primary key, v text, amount float8")
        _table(conn, "pl_log", "k serial, what text")
        conn.execute("create function pl_count() returns trigger language plpgsql as $$ begin "
                     "insert into pl_log (what) values (tg_op); return null; end $$")
        conn.execute("create trigger pl_each after insert on pl_trig for each statement execute function pl_count()")
        conn.cursor().executemany("insert into pl_trig values (%s, %s, %s)", ROWS[:40])
        assert conn.execute("select count(*) from pl_log").fetchone() == (40,)  # once per statement, as sent
        _table(conn, "pl_conflict", "id int primary key, v text, amount float8")
        cur = conn.cursor()
        cur.executemany("insert into pl_conflict values (%s, %s, %s) on conflict (id) do nothing",
                        [(i % 30, "again", 0.0) for i in range(60)])
        assert conn.execute("select count(*) from pl_conflict").fetchone() == (30,)
        cur.executemany("insert into pl_conflict values (%s, %s, %s) returning id",
                        [(100 + i, "r", 0.0) for i in range(20)], returning=True)
        ids = []
        while True:
            ids.append(cur.fetchone()[0])
            if not cur.nextset():
                break
        assert ids == list(range(100, 120))


def test_binary_parameters_and_types(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        _table(conn, "pl_types", "id bigint primary key, at timestamptz, amount numeric(10, 2), flag bool, tags text[]")
        when = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
        rows = [(i, when + dt.timedelta(minutes=i), f"{i}.25", i % 2 == 0, [f"t{i}", None]) for i in range(64)]
        with conn.cursor(binary=True) as cur:
            cur.executemany("insert into pl_types values (%s, %s, %s, %s, %s)", rows)
        got = conn.execute("select id, at, amount::text, flag, tags from pl_types order by id").fetchall()
        assert got == [(i, when + dt.timedelta(minutes=i), f"{i}.25", i % 2 == 0, [f"t{i}", None]) for i in range(64)]
