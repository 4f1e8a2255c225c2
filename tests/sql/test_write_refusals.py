"""Every write path refuses a time-travel target as PostgreSQL's grammar does (42601 at TIMESTAMP),
and no refused write changes a row; reading the past inside a write stays allowed."""

from __future__ import annotations

import time

import psycopg
import pytest

# (statement, PostgreSQL 15's error position); PREPARE and a second statement check that the
# position counts from the start of the whole query string
WRITES = [
    ("UPDATE tt AS OF TIMESTAMP {ts} SET v = 'changed'", 17),
    ("UPDATE public.tt AS OF TIMESTAMP {ts} SET v = 'changed'", 24),
    ("UPDATE ONLY tt AS OF TIMESTAMP {ts} SET v = 'changed' WHERE id = 1", 22),
    ("DELETE FROM tt AS OF TIMESTAMP {ts}", 22),
    ("DELETE FROM tt AS OF TIMESTAMP {ts} AS x WHERE x.id = 1", 22),
    ("INSERT INTO tt AS OF TIMESTAMP {ts} VALUES (9, 'new')", 22),
    ("INSERT INTO tt AS OF TIMESTAMP {ts} (id, v) VALUES (9, 'new')", 22),
    ("MERGE INTO tt AS OF TIMESTAMP {ts} USING tt s ON tt.id = s.id WHEN MATCHED THEN DELETE", 21),
    (("MERGE INTO tt AS OF TIMESTAMP {ts} USING (SELECT 9 AS id) s ON tt.id = s.id "
      "WHEN NOT MATCHED THEN INSERT VALUES (s.id, 'new')"), 21),
    ("WITH x AS (DELETE FROM tt AS OF TIMESTAMP {ts} RETURNING *) SELECT * FROM x", 33),
    ("WITH x AS (UPDATE tt AS OF TIMESTAMP {ts} SET v = 'changed' RETURNING *) SELECT count(*) FROM x", 28),
    ("PREPARE w AS UPDATE tt AS OF TIMESTAMP {ts} SET v = 'changed'", 30),
    ("SELECT 1; DELETE FROM tt AS OF TIMESTAMP {ts}", 32),
]


@pytest.fixture(scope="module")
def conn(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        c.execute("CREATE TABLE tt (id int PRIMARY KEY, v text)")
        c.execute("INSERT INTO tt VALUES (1, 'a'), (2, 'b')")
        time.sleep(0.01)
        yield c


def _rows(conn):
    return conn.execute("SELECT id, v FROM tt ORDER BY id").fetchall()


@pytest.mark.parametrize(("sql", "position"), WRITES)
@pytest.mark.parametrize("ts", ["now()", "'2000-01-01'"])
def test_write_through_as_of_is_a_syntax_error(conn, sql, position, ts):
    before = _rows(conn)
    text = sql.format(ts=ts)
    with pytest.raises(psycopg.errors.SyntaxError) as ei:
        conn.execute(text)
    assert ei.value.diag.message_primary == 'syntax error at or near "TIMESTAMP"'
    assert int(ei.value.diag.statement_position) == position
    assert _rows(conn) == before


def test_refusal_also_applies_to_extended_protocol_with_parameters(conn):
    before = _rows(conn)
    with pytest.raises(psycopg.errors.SyntaxError):
        conn.execute("UPDATE tt AS OF TIMESTAMP %s SET v = %s", ("2000-01-01", "changed"), prepare=True)
    with pytest.raises(psycopg.errors.SyntaxError):
        conn.execute("DELETE FROM tt AS OF TIMESTAMP %s WHERE id = %s", ("2000-01-01", 1))
    assert _rows(conn) == before


def test_copy_with_as_of_is_a_syntax_error(conn):
    for direction in ("FROM STDIN", "TO STDOUT"):
        with pytest.raises(psycopg.errors.SyntaxError) as ei, conn.cursor().copy(
                f"COPY tt AS OF TIMESTAMP now() {direction}"):
            pass
        assert ei.value.diag.message_primary == 'syntax error at or near "AS"'
        assert ei.value.diag.statement_position == "9"


def test_row_locks_on_the_past_are_refused(conn):
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="time-travel"):
        conn.execute("SELECT * FROM tt AS OF TIMESTAMP now() FOR UPDATE")
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="time-travel"):
        conn.execute("SELECT * FROM tt AS OF TIMESTAMP now() a, tt b FOR SHARE OF a")
    # a lock on the current rows next to a read of the past is fine
    assert conn.execute("SELECT a.id FROM tt AS OF TIMESTAMP now() a, tt b WHERE a.id = b.id "
                        "ORDER BY 1 FOR UPDATE OF b").fetchall() == [(1,), (2,)]


def test_reading_the_past_inside_a_write_is_allowed(conn):
    conn.execute("CREATE TABLE restored (id int, v text)")
    conn.execute("INSERT INTO restored SELECT id, v FROM tt AS OF TIMESTAMP now()")
    conn.execute("UPDATE restored SET v = p.v || '!' FROM tt AS OF TIMESTAMP now() p WHERE p.id = restored.id")
    assert conn.execute("SELECT id, v FROM restored ORDER BY id").fetchall() == [(1, "a!"), (2, "b!")]


# statements that name a table to change or lock it: PostgreSQL 15 stops at "as" (position as there)
COMMANDS = [
    ("TRUNCATE tt AS OF TIMESTAMP now()", 13),
    ("LOCK TABLE tt AS OF TIMESTAMP now()", 15),
    ("ALTER TABLE tt AS OF TIMESTAMP now() ADD COLUMN z int", 16),
    ("CREATE INDEX ON tt AS OF TIMESTAMP now() (v)", 20),
    ("COMMENT ON TABLE tt AS OF TIMESTAMP now() IS 'x'", 21),
    ("VACUUM tt AS OF TIMESTAMP now()", 11),
    ("GRANT SELECT ON tt AS OF TIMESTAMP now() TO PUBLIC", 20),
    ("DROP TABLE tt AS OF TIMESTAMP now()", 15),
]


@pytest.mark.parametrize(("sql", "position"), COMMANDS)
def test_table_commands_through_as_of_are_syntax_errors(conn, sql, position):
    before = _rows(conn)
    with pytest.raises(psycopg.errors.SyntaxError) as ei:
        conn.execute(sql)
    assert ei.value.diag.message_primary == 'syntax error at or near "AS"'
    assert int(ei.value.diag.statement_position) == position
    assert _rows(conn) == before


def test_select_into_creates_the_table(conn):
    """SELECT ... INTO t is CREATE TABLE t AS SELECT (it was accepted and created nothing)."""
    cur = conn.execute("SELECT id, v INTO copied FROM tt WHERE id > 1")
    assert cur.statusmessage == "SELECT 1"
    assert conn.execute("SELECT id, v FROM copied").fetchall() == [(2, "b")]
    conn.execute("SELECT * INTO past FROM tt AS OF TIMESTAMP now()")
    assert conn.execute("SELECT count(*) FROM past").fetchone() == (2,)
    with pytest.raises(psycopg.errors.DuplicateTable):
        conn.execute("SELECT 1 AS x INTO copied")


def test_syntax_error_echoes_the_word_as_written(conn):
    with pytest.raises(psycopg.errors.SyntaxError) as ei:
        conn.execute("update tt as of timestamp '2000-01-01' set v = 'x'")
    assert ei.value.diag.message_primary == 'syntax error at or near "timestamp"'
    assert int(ei.value.diag.statement_position) == len("update tt as of ") + 1
