"""COPY's CSV options FORCE_NULL, FORCE_NOT_NULL and FORCE_QUOTE through psycopg, and the checks
PostgreSQL 15 makes on them (answers taken from PostgreSQL 15)."""

from __future__ import annotations

import psycopg
import pytest

DATA = b'"",,1\n,"",2\nx,"y",3\n"NA",NA,4\n'


@pytest.fixture
def conn(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS cf")
        c.execute("CREATE TABLE cf (a text, b text, c int)")
        yield c


def _load(conn, sql, data=DATA):
    conn.execute("TRUNCATE cf")
    with conn.cursor() as cur, cur.copy(sql) as copy:
        copy.write(data)
    return conn.execute("SELECT a, b, c FROM cf ORDER BY c").fetchall()


def _out(conn, sql):
    with conn.cursor() as cur, cur.copy(sql) as copy:
        return b"".join(bytes(chunk) for chunk in copy)


@pytest.mark.parametrize(("options", "rows"), [
    ("", [("", None, 1), (None, "", 2), ("x", "y", 3), ("NA", "NA", 4)]),
    ("FORCE_NULL (a), FORCE_NOT_NULL (b)", [(None, "", 1), (None, "", 2), ("x", "y", 3), ("NA", "NA", 4)]),
    ("FORCE_NULL (a, b)", [(None, None, 1), (None, None, 2), ("x", "y", 3), ("NA", "NA", 4)]),
    ("FORCE_NOT_NULL (a, b)", [("", "", 1), ("", "", 2), ("x", "y", 3), ("NA", "NA", 4)]),
    ("NULL 'NA', FORCE_NULL (a), FORCE_NOT_NULL (b)", [("", "", 1), ("", "", 2), ("x", "y", 3), (None, "NA", 4)]),
    ("FORCE_NULL (a, b), FORCE_NOT_NULL (a)", [(None, None, 1), ("", None, 2), ("x", "y", 3), ("NA", "NA", 4)]),
])
def test_force_null_and_force_not_null(conn, options, rows):
    sep = ", " if options else ""
    assert _load(conn, f"COPY cf FROM STDIN WITH (FORMAT csv{sep}{options})") == rows


def test_old_syntax_and_force_quote(conn):
    assert _load(conn, "COPY cf FROM STDIN CSV FORCE NOT NULL a, b")[:2] == [("", "", 1), ("", "", 2)]
    conn.execute("TRUNCATE cf")
    conn.execute("""INSERT INTO cf VALUES ('x', NULL, 1), ('', 'q"r', 2), (NULL, 'z', 3)""")
    assert _out(conn, "COPY cf TO STDOUT WITH (FORMAT csv, FORCE_QUOTE (a, c))") == \
        b'"x",,"1"\n"","q""r","2"\n,z,"3"\n'
    assert _out(conn, "COPY cf TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)") == b'"x",,"1"\n"","q""r","2"\n,"z","3"\n'
    assert _out(conn, "COPY cf TO STDOUT CSV FORCE QUOTE b") == b'x,,1\n"","q""r",2\n,"z",3\n'
    assert _out(conn, "COPY (SELECT a, c FROM cf ORDER BY c) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE (c))") == \
        b'x,"1"\n"","2"\n,"3"\n'


@pytest.mark.parametrize(("sql", "sqlstate", "message"), [
    ("COPY cf FROM STDIN WITH (FORMAT csv, FORCE_NULL *)", "22023",
     'argument to option "force_null" must be a list of column names'),
    ("COPY cf FROM STDIN WITH (FORCE_NULL (a))", "0A000", "COPY force null available only in CSV mode"),
    ("COPY cf TO STDOUT WITH (FORMAT csv, FORCE_NULL (a))", "0A000", "COPY force null only available using COPY FROM"),
    ("COPY cf FROM STDIN WITH (FORMAT csv, FORCE_QUOTE (a))", "0A000", "COPY force quote only available using COPY TO"),
    ("COPY cf TO STDOUT WITH (FORCE_QUOTE (a))", "0A000", "COPY force quote available only in CSV mode"),
    ("COPY cf FROM STDIN WITH (FORMAT csv, FORCE_NULL (zz))", "42703", 'column "zz" of relation "cf" does not exist'),
    ("COPY cf (a, c) FROM STDIN WITH (FORMAT csv, FORCE_NULL (b))", "42P10",
     'FORCE_NULL column "b" not referenced by COPY'),
    ("COPY cf FROM STDIN WITH (FORMAT csv, bogus 1)", "42601", 'option "bogus" not recognized'),
])
def test_refusals(conn, sql, sqlstate, message):
    with pytest.raises(psycopg.Error) as caught, conn.cursor() as cur, cur.copy(sql) as copy:
        copy.write(DATA)
    assert caught.value.sqlstate == sqlstate
    assert str(caught.value).splitlines()[0] == message


def test_header_match(conn):
    """PostgreSQL 15's HEADER MATCH: the header line must name the COPY's columns in order."""
    assert _load(conn, "COPY cf FROM STDIN WITH (FORMAT csv, HEADER match)", b'"a","b",c\nx,y,1\n') == [("x", "y", 1)]
    assert _load(conn, "COPY cf (c, a) FROM STDIN WITH (HEADER match)", b"c\ta\n2\tz\n") == [("z", None, 2)]
    for sql, data, sqlstate, message in [
        ("COPY cf FROM STDIN WITH (FORMAT csv, HEADER match)", b"a,x,c\n",
         "22P04", 'column name mismatch in header line field 2: got "x", expected "b"'),
        ("COPY cf FROM STDIN WITH (FORMAT csv, HEADER match)", b"a,,c\n",
         "22P04", 'column name mismatch in header line field 2: got null value (""), expected "b"'),
        ("COPY cf FROM STDIN WITH (HEADER match)", b"a\tb\n",
         "22P04", "wrong number of fields in header line: got 2, expected 3"),
        ("COPY cf FROM STDIN WITH (HEADER maybe)", b"", "22023", 'header requires a Boolean value or "match"'),
    ]:
        with pytest.raises(psycopg.Error) as caught, conn.cursor() as cur, cur.copy(sql) as copy:
            copy.write(data)
        assert (caught.value.sqlstate, str(caught.value).splitlines()[0]) == (sqlstate, message)
    with pytest.raises(psycopg.errors.FeatureNotSupported, match='cannot use "match" with HEADER in COPY TO'):
        _out(conn, "COPY cf TO STDOUT WITH (HEADER match)")
