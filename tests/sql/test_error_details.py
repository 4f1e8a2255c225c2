"""Errors carry what PostgreSQL 15 sends: SQLSTATE, message, position (P), DETAIL, CONTEXT and the
schema/table/column/constraint fields, checked through psycopg's ``diag`` against a real server.
Every expected value below is what PostgreSQL 15 returns for the same statement."""

from __future__ import annotations

import psycopg
import pytest


@pytest.fixture(scope="module")
def conn(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        c.execute("CREATE TABLE t2 (id int, d date, v text)")
        c.execute("INSERT INTO t2 VALUES (1, '2020-01-01', 'x')")
        yield c


def _diag(conn, sql):
    with pytest.raises(psycopg.Error) as ei:
        conn.execute(sql)
    d = ei.value.diag
    return d.sqlstate, d.message_primary, None if d.statement_position is None else int(d.statement_position)


# (statement, SQLSTATE, message, position)
POSITIONS = [
    ("select 'abc'::int", "22P02", 'invalid input syntax for type integer: "abc"', 8),
    ("select cast('abc' as int)", "22P02", 'invalid input syntax for type integer: "abc"', 13),
    ("select int '5x'", "22P02", 'invalid input syntax for type integer: "5x"', 12),
    ("select 'x'::date", "22007", 'invalid input syntax for type date: "x"', 8),
    ("select date '2020-13-01'", "22008", 'date/time field value out of range: "2020-13-01"', 13),
    ("select '99999999999'::int", "22003", 'value "99999999999" is out of range for type integer', 8),
    ("select '1e400'::float8", "22003", '"1e400" is out of range for type double precision', 8),
    ("select * from t2 where id = 'abc'", "22P02", 'invalid input syntax for type integer: "abc"', 29),
    ("select * from t2 where d > 'yesterdayx'", "22007", 'invalid input syntax for type date: "yesterdayx"', 28),
    ("insert into t2(id) values ('abc')", "22P02", 'invalid input syntax for type integer: "abc"', 28),
    ("insert into t2(id, v) values (1, 'a'), ('abc', 'b')", "22P02",
     'invalid input syntax for type integer: "abc"', 41),
    ("update t2 set v = 'x', id = 'abc'", "22P02", 'invalid input syntax for type integer: "abc"', 29),
    ("select 1; select 'abc'::int", "22P02", 'invalid input syntax for type integer: "abc"', 18),
    ("select nosuchcol from t2", "42703", 'column "nosuchcol" does not exist', 8),
    ("select t2.nosuchcol from t2", "42703", "column t2.nosuchcol does not exist", 8),
    ("select x.id from t2", "42P01", 'missing FROM-clause entry for table "x"', 8),
    ("select * from nosuch", "42P01", 'relation "nosuch" does not exist', 15),
    ("select * from public.nosuch", "42P01", 'relation "public.nosuch" does not exist', 15),
    ("insert into nosuch values (1)", "42P01", 'relation "nosuch" does not exist', 13),
    ("update nosuch set a = 1", "42P01", 'relation "nosuch" does not exist', 8),
    ("delete from nosuch", "42P01", 'relation "nosuch" does not exist', 13),
    ("insert into t2 (nosuch) values (1)", "42703", 'column "nosuch" of relation "t2" does not exist', 17),
    ("update t2 set nosuch = 1", "42703", 'column "nosuch" of relation "t2" does not exist', 15),
    ("select nosuchfn(1)", "42883", "function nosuchfn(integer) does not exist", 8),
    ("select 1 + nosuchfn(1, 'a')", "42883", "function nosuchfn(integer, unknown) does not exist", 12),
    ("select lower(1)", "42883", "function lower(integer) does not exist", 8),
    ("selec 1", "42601", 'syntax error at or near "selec"', 1),
    ("select 'abc", "42601", 'unterminated quoted string at or near "\'abc"', 8),
    ('select "abc', "42601", 'unterminated quoted identifier at or near ""abc"', 8),
    ("select 1 /* a /* b */ c", "42601", 'unterminated /* comment at or near "/* a /* b */ c"', 10),
    ("select $q$abc$$", "42601", 'unterminated dollar-quoted string at or near "$q$abc$$"', 8),
    ("select E'ab\\'c", "42601", 'unterminated quoted string at or near "E\'ab\\\'c"', 8),
    ("select B'101", "42601", 'unterminated bit string literal at or near "B\'101"', 8),
    ("select 1; select 'x", "42601", 'unterminated quoted string at or near "\'x"', 18),
    ("PREPARE p AS select nosuchcol from t2", "42703", 'column "nosuchcol" does not exist', 21),
    ("EXPLAIN select nosuchcol from t2", "42703", 'column "nosuchcol" does not exist', 16),
]


@pytest.mark.parametrize(("sql", "sqlstate", "message", "position"), POSITIONS)
def test_error_positions(conn, sql, sqlstate, message, position):
    assert _diag(conn, sql) == (sqlstate, message, position)


# float and integer range: 22003 wherever PostgreSQL raises it (no position: computed values)
OUT_OF_RANGE = [
    ("select 1e400::float8", '"1' + "0" * 400 + '" is out of range for type double precision'),
    ("select 1e-400::float8", '"0.' + "0" * 399 + '1" is out of range for type double precision'),
    ("select '1e-400'::float8", '"1e-400" is out of range for type double precision'),
    ("select 1e39::float4", '"1' + "0" * 39 + '" is out of range for type real'),
    ("select cast(1e39 as real)", '"1' + "0" * 39 + '" is out of range for type real'),
    ("select 1e-50::numeric::float4", '"0.' + "0" * 49 + '1" is out of range for type real'),
    ("select '1e39'::float4", '"1e39" is out of range for type real'),
    ("select '1e-46'::float4", '"1e-46" is out of range for type real'),
    ("select 1e308::float8 * 10", "value out of range: overflow"),
    ("select 1e-300::float8 * 1e-300::float8", "value out of range: underflow"),
    ("select 1e300::float8::float4", "value out of range: overflow"),
    ("select 1e-300::float8::float4", "value out of range: underflow"),
    ("select float4 '3.4e38' + float4 '3.4e38'", "value out of range: overflow"),
    ("select exp(1000)", "value out of range: overflow"),
    ("select 2147483647 + 1", "integer out of range"),
    ("select 9223372036854775807 + 1", "bigint out of range"),
    ("select 32767::int2 + 1::int2", "smallint out of range"),
    ("select 3e9::float8::int4", "integer out of range"),
    ("select 'NaN'::float8::int", "integer out of range"),
    ("select sum(x) from (values (1e308::float8), (1e308::float8)) v(x)", "value out of range: overflow"),
]


@pytest.mark.parametrize(("sql", "message"), OUT_OF_RANGE)
def test_numeric_range_errors(conn, sql, message):
    sqlstate, got, _ = _diag(conn, sql)
    assert (sqlstate, got) == ("22003", message)


def test_values_at_the_edges_stay_values(conn):
    row = conn.execute("select '1e-40'::float4, '1e-310'::float8, '-0'::float8, 'inf'::float8, "
                       "1e-40::numeric::float4 > 0, '0.0e-999'::float8").fetchone()
    assert row[1:4] == (1e-310, -0.0, float("inf")) and row[4] is True and row[5] == 0.0
    assert 9e-41 < row[0] < 1.1e-40


# constraint errors: DETAIL and the object fields PostgreSQL fills in
def test_constraint_error_details(conn):
    conn.execute("CREATE TABLE cp (id int PRIMARY KEY)")
    conn.execute("INSERT INTO cp VALUES (1), (2)")
    conn.execute("CREATE TABLE ce (id int PRIMARY KEY, v text NOT NULL, n int CHECK (n > 0), "
                 "p int REFERENCES cp (id), u text UNIQUE, f float8, b bool, ts timestamp)")
    conn.execute("INSERT INTO ce VALUES (1, 'a', 1, 1, 'u1', 1.5, true, '2024-01-02 03:04:05')")
    expected = {
        "INSERT INTO ce VALUES (1, 'b', 1, 1, 'u2')": (
            "23505", 'duplicate key value violates unique constraint "ce_pkey"', "Key (id)=(1) already exists.",
            None, "ce_pkey"),
        "INSERT INTO ce VALUES (2, NULL, 1, 1, 'u2', 2.5, false, '2024-01-02 03:04:05')": (
            "23502", 'null value in column "v" of relation "ce" violates not-null constraint',
            "Failing row contains (2, null, 1, 1, u2, 2.5, f, 2024-01-02 03:04:05).", "v", None),
        "INSERT INTO ce VALUES (2, 'x', -1, 1, 'u2')": (
            "23514", 'new row for relation "ce" violates check constraint "ce_n_check"',
            "Failing row contains (2, x, -1, 1, u2, null, null, null).", None, "ce_n_check"),
        "INSERT INTO ce VALUES (2, 'x', 1, 5, 'u2')": (
            "23503", 'insert or update on table "ce" violates foreign key constraint "ce_p_fkey"',
            'Key (p)=(5) is not present in table "cp".', None, "ce_p_fkey"),
        "INSERT INTO ce VALUES (2, 'x', 1, 1, 'u1')": (
            "23505", 'duplicate key value violates unique constraint "ce_u_key"', "Key (u)=(u1) already exists.",
            None, "ce_u_key"),
        "UPDATE ce SET v = NULL": (
            "23502", 'null value in column "v" of relation "ce" violates not-null constraint',
            "Failing row contains (1, null, 1, 1, u1, 1.5, t, 2024-01-02 03:04:05).", "v", None),
    }
    for sql, (sqlstate, message, detail, column, constraint) in expected.items():
        with pytest.raises(psycopg.Error) as ei:
            conn.execute(sql)
        d = ei.value.diag
        assert (d.sqlstate, d.message_primary, d.message_detail) == (sqlstate, message, detail), sql
        assert (d.schema_name, d.table_name, d.column_name, d.constraint_name) == (
            "public", "ce", column, constraint), sql
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as ei:
        conn.execute("DELETE FROM cp WHERE id = 1")
    d = ei.value.diag
    assert d.message_primary == 'update or delete on table "cp" violates foreign key constraint "ce_p_fkey" ' \
                                'on table "ce"'
    assert d.message_detail == 'Key (id)=(1) is still referenced from table "ce".'
    assert (d.schema_name, d.table_name, d.constraint_name) == ("public", "ce", "ce_p_fkey")


# COPY FROM STDIN: (data, COPY options, SQLSTATE, message, DETAIL, CONTEXT) as PostgreSQL 15 reports them
COPY_ERRORS = [
    ("1\tx\t5\nzz\ty\t6\n", "", "22P02", 'invalid input syntax for type integer: "zz"', None,
     'COPY ct, line 2, column id: "zz"'),
    ("1\tx\\ty\t5\nzz\ty\t6\n", "", "22P02", 'invalid input syntax for type integer: "zz"', None,
     'COPY ct, line 2, column id: "zz"'),
    ("1\tx\t5\n2\t\\N\t6\n", "", "23502", 'null value in column "v" of relation "ct" violates not-null constraint',
     "Failing row contains (2, null, 6).", 'COPY ct, line 2: "2\t\\N\t6"'),
    ("1\tx\t5\n1\ty\t6\n", "", "23505", 'duplicate key value violates unique constraint "ct_pkey"',
     "Key (id)=(1) already exists.", "COPY ct, line 2"),
    ("1\tx\t5\n2\ty\t-6\n", "", "23514", 'new row for relation "ct" violates check constraint "ct_n_check"',
     "Failing row contains (2, y, -6).", 'COPY ct, line 2: "2\ty\t-6"'),
    ("1,x,5\n2,y\n", "(format csv)", "22P04", 'missing data for column "n"', None, 'COPY ct, line 2: "2,y"'),
    ("id,v,n\n1,x,5\n2,y,99999999999\n", "(format csv, header)", "22003",
     'value "99999999999" is out of range for type integer', None, 'COPY ct, line 3, column n: "99999999999"'),
    ("1\tx\t5\n2\ty\t6\t7\n", "", "22P04", "extra data after last expected column", None,
     'COPY ct, line 2: "2\ty\t6\t7"'),
    # foreign keys are checked at the end of the statement: no line
    ("1\tx\t5\n2\ty\t50\n", "", "23503", 'insert or update on table "ct" violates foreign key constraint "ct_n_fkey"',
     'Key (n)=(50) is not present in table "cp2".', None),
]


@pytest.fixture
def copy_table(conn):
    conn.execute("DROP TABLE IF EXISTS ct")
    conn.execute("DROP TABLE IF EXISTS cp2")
    conn.execute("CREATE TABLE cp2 (id int PRIMARY KEY)")
    conn.execute("INSERT INTO cp2 SELECT generate_series(1, 10)")
    conn.execute("CREATE TABLE ct (id int PRIMARY KEY, v text NOT NULL, n int CHECK (n > 0) REFERENCES cp2 (id))")
    return conn


@pytest.mark.parametrize(("data", "options", "sqlstate", "message", "detail", "context"), COPY_ERRORS)
def test_copy_errors_say_where(copy_table, data, options, sqlstate, message, detail, context):
    with pytest.raises(psycopg.Error) as ei, copy_table.cursor().copy(f"COPY ct FROM STDIN {options}") as cp:
        cp.write(data)
    d = ei.value.diag
    assert (d.sqlstate, d.message_primary, d.message_detail, d.context) == (sqlstate, message, detail, context)
    assert copy_table.execute("SELECT count(*) FROM ct").fetchone() == (0,)


def test_copy_error_line_counts_across_chunks(copy_table):
    good = "".join(f"{i}\tv{i}\t{1 + i % 9}\n" for i in range(1, 5001))
    with pytest.raises(psycopg.errors.CheckViolation) as ei, copy_table.cursor().copy("COPY ct FROM STDIN") as cp:
        for k in range(0, len(good), 4096):
            cp.write(good[k:k + 4096])
        cp.write("5001\tlast\t-1\n")
    assert ei.value.diag.context == 'COPY ct, line 5001: "5001\tlast\t-1"'
