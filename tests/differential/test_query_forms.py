"""Query forms people type, compared with a live PostgreSQL 15: rows and column types in process,
and the column names over the wire (psycopg on both sides, a real ``helios serve``).

``ORDER BY x USING <`` / ``USING >`` (a syntax error before); ``x IN (VALUES ...)``, ``(a, b) IN
(VALUES ...)`` and ``x op ANY/ALL (VALUES ...)`` (refused); ``SELECT *`` over a table of no
columns (42601 before); INTERSECT / EXCEPT [ALL] of rows of no columns (always no rows before); a USING column named
unqualified in a later join's ON (42702 before); ``JOIN ... USING (c) AS j``
(a syntax error); nested joins written without parentheses, ``a JOIN b LEFT JOIN c ON x ON y`` (the inner join's tables were missing); a FROM item of an enclosing query named alone in a subquery, ``(SELECT t)``
and ``(SELECT t.*)``, as its current row (42703 / refused); a CASE named after its ELSE result and
a subscripted subquery after the subquery's column (both were ``case`` / ``?column?``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import psycopg

_spec = importlib.util.spec_from_file_location("helios_difftest", Path(__file__).with_name("test_differential.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
assert_steps_agree = _mod.assert_steps_agree

SETUP = [
    "CREATE TABLE qf_t (a int, b int, s text)",
    "INSERT INTO qf_t VALUES (1, 1, 'x'), (20, 0, 'y'), (5, 5, NULL), (NULL, 3, 'z'), (7, 7, 'x')",
    "CREATE TABLE qf_nocols ()",
    "CREATE SEQUENCE qf_seq",
    "CREATE TABLE qf_many AS SELECT g AS u, 100 - g AS v, g % 7 AS th FROM generate_series(1, 50) g",
    "CREATE TABLE qf_b (x int, y int)",
    "INSERT INTO qf_b VALUES (1, 10), (20, 20)",
    "CREATE TABLE qf_c (y int, z int)",
    "INSERT INTO qf_c VALUES (10, 100), (30, 300)",
]

STEPS = [
    "SELECT a, b FROM qf_t ORDER BY a USING >",
    "SELECT a, b FROM qf_t ORDER BY a USING <",
    "SELECT a, s FROM qf_t ORDER BY s USING >, a USING <",
    "SELECT a FROM qf_t ORDER BY a USING > NULLS LAST",
    "SELECT array_agg(a ORDER BY a USING >) FROM qf_t",
    "SELECT * FROM qf_t WHERE (a, b) IN (VALUES (1, 1), (20, 0), (99, 9)) ORDER BY a",
    "SELECT * FROM qf_t WHERE a IN (VALUES (1), (20)) ORDER BY a",
    "SELECT * FROM qf_t WHERE a NOT IN (VALUES (1), (20)) ORDER BY a",
    "SELECT * FROM qf_t WHERE a <> ALL (VALUES (1), (20)) ORDER BY a",
    "SELECT * FROM qf_t WHERE a = ANY (VALUES (1), (20)) ORDER BY a",
    "SELECT a, a = ANY (VALUES (1), (20)) FROM qf_t ORDER BY a",
    "SELECT count(*) FROM (SELECT * FROM qf_nocols) s",
    "SELECT count(*) FROM qf_nocols",
    "SELECT exists(SELECT * FROM qf_nocols)",
    "SELECT * FROM qf_t INNER JOIN qf_b LEFT JOIN qf_c ON qf_b.y = qf_c.y ON qf_t.a = qf_b.x ORDER BY 1",
    "SELECT * FROM qf_t LEFT JOIN qf_b LEFT JOIN qf_c ON qf_b.y = qf_c.y ON qf_t.a = qf_b.x ORDER BY 1, 2",
    ("SELECT * FROM qf_t LEFT JOIN (SELECT * FROM qf_b) bb LEFT JOIN qf_c ON bb.y = qf_c.y ON qf_t.a = bb.x "
    "ORDER BY 1, 2"),
    ("SELECT * FROM qf_t t LEFT JOIN qf_b INNER JOIN qf_c ON qf_b.y = qf_c.y ON t.a = qf_b.x "
    "LEFT JOIN qf_b b2 ON b2.x = t.a ORDER BY 1, 2"),
    "SELECT * FROM qf_t JOIN qf_b USING (x) AS j WHERE j.x = 1",
    "SELECT j.x, qf_t.s FROM qf_t t JOIN qf_b ON t.a = qf_b.x JOIN qf_b b2 USING (x, y) AS j ORDER BY 1",
    "SELECT * FROM qf_b JOIN qf_b b2 USING (x) AS j WHERE j.y = 1",
    "SELECT * FROM qf_b a1 JOIN qf_b a2 USING (x) AS a1",
    "SELECT j.*, row(j.*)::text FROM qf_b LEFT JOIN qf_b b2 USING (x) AS j ORDER BY 1",
    ("SELECT qq, c.y FROM (SELECT coalesce(a, 0) AS qq FROM qf_t) ss1 FULL JOIN (SELECT coalesce(b, -1) AS qq "
    "FROM qf_t) ss2 USING (qq) INNER JOIN qf_c c ON qq = c.y - 9 ORDER BY 1, 2"),
    ("SELECT qq, c.z FROM (SELECT a AS qq FROM qf_t) ss1 JOIN (SELECT b AS qq FROM qf_t) ss2 USING (qq) "
    "LEFT JOIN qf_c c ON qq = c.y ORDER BY 1, 2"),
    ("SELECT (SELECT q FROM (SELECT 1, 2, 3 WHERE a > 1 UNION ALL SELECT 4, 5, 6.0 WHERE a <= 1) q) IS NULL "
     "FROM qf_t WHERE a IS NOT NULL ORDER BY a"),
    "SELECT u, v, nextval('qf_seq') FROM qf_many ORDER BY th, u LIMIT 5",
    "SELECT currval('qf_seq')",
    "SELECT u, nextval('qf_seq') FROM qf_many ORDER BY u DESC LIMIT 3 OFFSET 2",
    "SELECT currval('qf_seq')",
    "SELECT nextval('qf_seq') AS n, u FROM qf_many ORDER BY 1 LIMIT 2",
    "SELECT u + 1 AS w, nextval('qf_seq') FROM qf_many WHERE u < 4 ORDER BY w",
    "SELECT th, count(*), nextval('qf_seq') FROM qf_many GROUP BY th ORDER BY th LIMIT 2",
    "SELECT u, random() < 2 FROM qf_many ORDER BY u LIMIT 2",
    "SELECT count(*) FROM (SELECT INTERSECT SELECT) s",
    "SELECT count(*) FROM (SELECT FROM generate_series(1, 5) INTERSECT SELECT FROM generate_series(1, 3)) s",
    "SELECT count(*) FROM (SELECT FROM generate_series(1, 5) INTERSECT ALL SELECT FROM generate_series(1, 3)) s",
    "SELECT count(*) FROM (SELECT FROM generate_series(1, 5) EXCEPT ALL SELECT FROM generate_series(1, 3)) s",
    "SELECT count(*) FROM (SELECT FROM generate_series(1, 5) EXCEPT SELECT FROM generate_series(1, 3)) s",
    "SELECT count(*) FROM (SELECT FROM generate_series(1, 2) EXCEPT SELECT WHERE false) s",
    "SELECT (SELECT t)::text FROM qf_t t ORDER BY a",
    "SELECT (SELECT (SELECT t))::text FROM qf_t t ORDER BY a",
    "SELECT (SELECT (t.*)::text) FROM qf_t t ORDER BY a",
]

NAMES = [
    "SELECT CASE WHEN a > 1 THEN 1 ELSE b END FROM qf_w",
    "SELECT CASE WHEN a > 1 THEN 1 ELSE 2 END FROM qf_w",
    "SELECT CASE WHEN a > 1 THEN 1 ELSE coalesce(b, 0) END FROM qf_w",
    "SELECT CASE WHEN a > 1 THEN 1 ELSE b::int END, CASE WHEN a > 1 THEN 1 ELSE '2'::int END FROM qf_w",
    "SELECT CASE s WHEN 'x' THEN ARRAY['a'] ELSE ARRAY['b'] || ARRAY[s] END FROM qf_w",
    "SELECT ((SELECT ARRAY[1, 2, 3]))[2], (((SELECT ARRAY[1, 2, 3])))[3]",
    "SELECT (SELECT t) FROM qf_w t",
]

WIRE_SETUP = ["CREATE TABLE qf_w (a int, b int, s text)", "INSERT INTO qf_w VALUES (1, 1, 'x'), (20, 0, NULL)"]

CLEANUP = ["DROP TABLE IF EXISTS qf_t", "DROP TABLE IF EXISTS qf_nocols", "DROP SEQUENCE IF EXISTS qf_seq",
           "DROP TABLE IF EXISTS qf_many", "DROP TABLE IF EXISTS qf_b",
           "DROP TABLE IF EXISTS qf_c"]


def test_query_forms_as_postgres(systems):
    assert_steps_agree(*systems, STEPS)


def test_column_names_as_postgres(postgres_dsn, helios_wire_dsn):
    with psycopg.connect(postgres_dsn, autocommit=True) as pg, psycopg.connect(helios_wire_dsn, autocommit=True) as hx:
        for conn in (pg, hx):
            for sql in WIRE_SETUP:
                conn.execute(sql)
        try:
            for sql in NAMES:
                want = [c.name for c in pg.execute(sql).description]
                got = [c.name for c in hx.execute(sql).description]
                assert got == want, sql
        finally:
            pg.execute("DROP TABLE IF EXISTS qf_w")


ERRORS = [
    "SELECT i, k FROM qf_e1 CROSS JOIN qf_e2",
    "SELECT j, count(*) FROM qf_e1 GROUP BY i",
    "SELECT 1 FROM qf_e1 GROUP BY i HAVING j > 1",
    "SELECT * FROM (qf_e1 JOIN qf_e2 USING (i)) AS x WHERE qf_e1.j = 1",
    "SELECT * FROM qf_e1 x JOIN (qf_e2 x CROSS JOIN qf_e2 y) j ON x.i = y.k",
    "SELECT i, g FROM qf_e1 a, (SELECT a.i AS g) ss",
    "SELECT zz.i FROM qf_e1",
    # a qualified column its table lacks, in a join condition: 42703 (it was pushed to the other
    # table's scan and named "an invalid reference" to the first)
    "SELECT * FROM qf_e1 JOIN qf_e2 ON qf_e1.i = qf_e2.nope",
    "SELECT * FROM qf_e1 JOIN qf_e2 ON qf_e1.nope = qf_e2.k",
    "SELECT * FROM qf_e1, qf_e2 WHERE qf_e1.i = qf_e2.nope",
    "SELECT * FROM qf_e1 a LEFT JOIN qf_e2 b ON a.i = b.k AND b.nope > 1",
]


def test_error_positions_as_postgres(postgres_dsn, helios_wire_dsn):
    """SQLSTATE, message, HINT and the position the error points at: an ambiguous column and an
    ungrouped one are pointed at (they had no position), a FROM item named where it is not visible
    is an "invalid reference" with PostgreSQL's hint (it was "missing FROM-clause entry")."""
    setup = ["CREATE TABLE qf_e1 (i int, j int)", "CREATE TABLE qf_e2 (i int, k int)"]
    with psycopg.connect(postgres_dsn, autocommit=True) as pg, psycopg.connect(helios_wire_dsn, autocommit=True) as hx:
        for conn in (pg, hx):
            for sql in setup:
                conn.execute(sql)
        try:
            for sql in ERRORS:
                outcomes = []
                for conn in (pg, hx):
                    try:
                        conn.execute(sql)
                        outcomes.append(None)
                    except psycopg.Error as e:
                        outcomes.append((e.sqlstate, e.diag.message_primary, e.diag.message_hint,
                                         e.diag.statement_position))
                assert outcomes[1] == outcomes[0], sql
        finally:
            pg.execute("DROP TABLE IF EXISTS qf_e1, qf_e2")
