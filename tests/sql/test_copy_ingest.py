"""COPY FROM STDIN through psycopg against a real server: text, CSV and binary round trips, the
escapes, NULLs and quoting PostgreSQL reads, bad rows' errors with their line numbers (also past the
first chunk, where the reader works in parallel blocks), transactions, and rows kept across a crash.
Every expected error is what PostgreSQL 15 sends for the same data."""

from __future__ import annotations

import datetime as dt
import decimal
import signal

import psycopg
import pytest

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
COLUMNS = "id int, f float8, n numeric(8,2), d date, ts timestamptz, t text, v varchar(5), c char(3), b bool"


@pytest.fixture(scope="module")
def conn(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        c.execute("SET TimeZone = 'UTC'")
        yield c


def _copy(conn, table: str, data: bytes, options: str = "") -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} FROM STDIN {options}") as cp:
        cp.write(data)


def _fresh(conn, name: str, columns: str = COLUMNS) -> None:
    conn.execute(f"DROP TABLE IF EXISTS {name}")
    conn.execute(f"CREATE TABLE {name} ({columns})")


def _error(conn, table: str, data: bytes, options: str = ""):
    with pytest.raises(psycopg.Error) as ei:
        _copy(conn, table, data, options)
    d = ei.value.diag
    return d.sqlstate, d.message_primary, d.context


def test_text_format_types_escapes_and_nulls(conn):
    _fresh(conn, "ci_text")
    data = (b"1\t1.5\t12.345\t2024-02-29\t2024-01-01 10:00:00+02\tplain\tab\tx\tt\n"
            b"2\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n"
            b"3\t-0\t-1.005\t0001-01-01\t2024-06-01 12:00:00\ttab\\there\\nnl \\\\ \\101\\x42\tq\\tr\tz\tf\n"
            b"4\tInfinity\t7\t2020-1-5\t2024-01-01T00:00:00Z\t\\\\N\t\\N\t\t1\n")
    _copy(conn, "ci_text", data)
    rows = conn.execute("SELECT id, f, n, d, ts, t, v, c, b FROM ci_text ORDER BY id").fetchall()
    utc = dt.UTC
    assert rows == [
        (1, 1.5, decimal.Decimal("12.35"), dt.date(2024, 2, 29), dt.datetime(2024, 1, 1, 8, tzinfo=utc),
         "plain", "ab", "x  ", True),
        (2, None, None, None, None, None, None, None, None),
        (3, 0.0, decimal.Decimal("-1.01"), dt.date(1, 1, 1), dt.datetime(2024, 6, 1, 12, tzinfo=utc),
         "tab\there\nnl \\ AB", "q\tr", "z  ", False),
        (4, float("inf"), decimal.Decimal("7.00"), dt.date(2020, 1, 5), dt.datetime(2024, 1, 1, tzinfo=utc),
         "\\N", None, "   ", True),
    ]
    with conn.cursor() as cur, cur.copy("COPY ci_text (id, t, v) TO STDOUT") as cp:
        out = b"".join(bytes(chunk) for chunk in cp)
    assert out.splitlines()[2] == b"3\ttab\\there\\nnl \\\\ AB\tq\\tr"
    _fresh(conn, "ci_back", "id int, t text, v varchar(5)")
    _copy(conn, "ci_back", out)
    assert conn.execute("SELECT id, t, v FROM ci_back ORDER BY id").fetchall() == \
        conn.execute("SELECT id, t, v FROM ci_text ORDER BY id").fetchall()


def test_csv_quotes_embedded_newlines_and_empty_strings(conn):
    _fresh(conn, "ci_csv", "id int, a text, b text, n numeric(6,1)")
    data = (b'1,"x, y","line one\nline two",1.25\n'
            b'2,"",,"3"\n'
            b'3,"say ""hi""",\\N,\n'
            b'"4",plain,"a\r\nb",-0.04\n')
    _copy(conn, "ci_csv", data, "WITH (FORMAT csv)")
    assert conn.execute("SELECT id, a, b, n FROM ci_csv ORDER BY id").fetchall() == [
        (1, "x, y", "line one\nline two", decimal.Decimal("1.3")),
        (2, "", None, decimal.Decimal("3.0")),
        (3, 'say "hi"', "\\N", None),
        (4, "plain", "a\r\nb", decimal.Decimal("0.0")),
    ]


def test_binary_round_trip(conn):
    _fresh(conn, "ci_bin")
    conn.execute("INSERT INTO ci_bin VALUES (1, 2.5, 3.25, '2024-01-02', '2024-01-02 03:04:05+00', 'a\tb', 'v', 'c',"
                 " true), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)")
    with conn.cursor() as cur, cur.copy("COPY ci_bin TO STDOUT (FORMAT binary)") as cp:
        data = b"".join(bytes(chunk) for chunk in cp)
    _fresh(conn, "ci_bin2")
    _copy(conn, "ci_bin2", data, "(FORMAT binary)")
    assert conn.execute("SELECT * FROM ci_bin2 ORDER BY id").fetchall() == \
        conn.execute("SELECT * FROM ci_bin ORDER BY id").fetchall()


@pytest.mark.parametrize(("line", "sqlstate", "message", "column"), [
    (b"0x10\t1\t1\n", "22P02", 'invalid input syntax for type integer: "0x10"', 'a: "0x10"'),
    (b"+5\tx\t1\n", "22P02", 'invalid input syntax for type double precision: "x"', 'f: "x"'),
    (b"1\t1e400\t1\n", "22003", '"1e400" is out of range for type double precision', 'f: "1e400"'),
    (b"1\t1\t12345.6\n", "22003", "numeric field overflow", 'n: "12345.6"'),
    (b"99999999999\t1\t1\n", "22P02", None, 'a: "99999999999"'),
])
def test_bad_values_name_line_and_column(conn, line, sqlstate, message, column):
    _fresh(conn, "ci_bad", "a int, f float8, n numeric(5,2)")
    data = b"1\t1\t1\n" * 3 + line
    state, primary, context = _error(conn, "ci_bad", data)
    if sqlstate == "22P02" and message is None:  # out of range for integer: 22003 in PostgreSQL
        sqlstate, message = "22003", 'value "99999999999" is out of range for type integer'
    assert (state, primary) == (sqlstate, message)
    assert context == f"COPY ci_bad, line 4, column {column}"
    assert conn.execute("SELECT count(*) FROM ci_bad").fetchone() == (0,)


def test_errors_far_into_a_large_copy_carry_their_line(conn):
    _fresh(conn, "ci_big", "id int primary key, t text not null")
    good = b"".join(b"%d\tsome longer text to fill a chunk, row %d\n" % (i, i) for i in range(1, 100_001))
    assert len(good) > (4 << 20)  # more than one chunk, parsed in parallel blocks
    state, primary, context = _error(conn, "ci_big", good + b"nope\tx\n")
    assert (state, context) == ("22P02", 'COPY ci_big, line 100001, column id: "nope"')
    state, primary, context = _error(conn, "ci_big", good + b"100001\tx\tz\n")
    assert (state, primary) == ("22P04", "extra data after last expected column")
    assert context == 'COPY ci_big, line 100001: "100001\tx\tz"'
    _copy(conn, "ci_big", good)
    assert conn.execute("SELECT count(*), sum(id) FROM ci_big").fetchone() == (100_000, 100_000 * 100_001 // 2)
    assert conn.execute("SELECT t FROM ci_big WHERE id = 99999").fetchone() == \
        ("some longer text to fill a chunk, row 99999",)


def test_constraint_errors_name_the_line(conn):
    _fresh(conn, "ci_keys", "id int primary key, t text not null")
    state, primary, context = _error(conn, "ci_keys", b"1\ta\n2\tb\n3\t\\N\n")
    assert (state, primary) == ("23502", 'null value in column "t" of relation "ci_keys" violates not-null constraint')
    assert context == 'COPY ci_keys, line 3: "3\t\\N"'
    state, primary, context = _error(conn, "ci_keys", b"1\ta\n2\tb\n1\tc\n")
    assert (state, primary) == ("23505", 'duplicate key value violates unique constraint "ci_keys_pkey"')
    assert context == "COPY ci_keys, line 3"


def test_copy_in_a_rolled_back_transaction_leaves_nothing(conn):
    _fresh(conn, "ci_tx", "id int, t text")
    conn.autocommit = False
    try:
        _copy(conn, "ci_tx", b"1\ta\n2\tb\n")
        assert conn.execute("SELECT count(*) FROM ci_tx").fetchone() == (2,)
        conn.rollback()
    finally:
        conn.autocommit = True
    assert conn.execute("SELECT count(*) FROM ci_tx").fetchone() == (0,)


def test_committed_copy_survives_a_crash_and_segments_are_compressed(helios_server):
    server = helios_server(only=["postgres"])
    rows = b"".join(b"%d\t%d.5\tvalue %d\n" % (i, i % 1000, i % 50) for i in range(100_000))
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        c.execute("CREATE TABLE kept (id bigint primary key, x numeric(10,1), s text)")
        _copy(c, "kept", rows)
        c.execute("CHECKPOINT")
        _copy(c, "kept", b"".join(b"%d\t1\tafter\n" % i for i in range(100_000, 100_100)))
    big = [p for p in (server.data_dir / "segments").rglob("*.arrow") if p.stat().st_size > (256 << 10)]
    assert big and all(ZSTD_MAGIC in p.read_bytes() for p in big)  # column buffers are zstd frames
    assert sum(p.stat().st_size for p in big) < 100_000 * 20  # under 20 bytes a row (uncompressed: over 40)
    server.stop(signal.SIGKILL)  # the second COPY is only in the WAL
    again = helios_server(only=["postgres"], data_dir=server.data_dir)
    with psycopg.connect(again.pg_dsn(), autocommit=True) as c:
        assert c.execute("SELECT count(*), sum(id) FROM kept").fetchone() == (100_100, sum(range(100_100)))
        assert c.execute("SELECT x, s FROM kept WHERE id = 23456").fetchone() == (decimal.Decimal("456.5"), "value 6")
        assert c.execute("SELECT s FROM kept WHERE id = 100050").fetchone() == ("after",)
