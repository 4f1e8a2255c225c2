"""Composite types over psycopg, compared with PostgreSQL 15 statement by statement: column
names, rows (as text), or SQLSTATE and message (detail, hint)."""

from __future__ import annotations

import psycopg
import pytest

STATEMENTS = [
    # CREATE TYPE, text input and output
    "CREATE TYPE cd_complex AS (r float8, i float8)",
    "CREATE TYPE cd_complex AS (x int)",
    "CREATE TYPE cd_quad AS (c1 cd_complex, c2 cd_complex)",
    'CREATE TYPE cd_named AS ("First" text, last varchar(10), n numeric(6,2))',
    "CREATE TABLE cd_fullname (first text, last text)",
    "CREATE TYPE cd_fullname AS (a int)",
    "SELECT (1.1,2.2)::cd_complex, row((3.3,4.4),(5.5,null))::cd_quad",
    "SELECT row('Joe', 'Blow')::cd_fullname, '(Joe,Blow)'::cd_fullname",
    "SELECT '(Joe,von Blow)'::cd_fullname, '(Joe,d''Blow)'::cd_fullname, '(Joe,\"von\"\"Blow\")'::cd_fullname",
    "SELECT E'(Joe,d\\\\\\\\Blow)'::cd_fullname, '(Joe,\"Blow,Jr\")'::cd_fullname, '(Joe,)'::cd_fullname",
    "SELECT '(Joe)'::cd_fullname",
    "SELECT '(Joe,,)'::cd_fullname",
    "SELECT '[]'::cd_fullname",
    "SELECT ' (Joe,Blow)  '::cd_fullname, '(Joe, Blow )'::cd_fullname",
    "SELECT '(Joe,Blow) /'::cd_fullname",
    "SELECT '(Joe,\"Blow'::cd_fullname",
    "SELECT '(1,x)'::cd_complex",
    "SELECT '(\"\",)'::cd_fullname, row('', null)::cd_fullname, row(' a', 'b(c)')::cd_fullname",
    "SELECT '(a,1.234)'::cd_named, row('x', 'yy', 3)::cd_named",
    "SELECT '(a,abcdefghijkl,1)'::cd_named",
    "SELECT row('a', 'abcdefghijkl', 1)::cd_named",
    "SELECT '(a,b,12345.6)'::cd_named",
    "CREATE TABLE cd_nt (x cd_named)",
    "INSERT INTO cd_nt VALUES (row('a', 'abcdefghijkl', 1))",
    "INSERT INTO cd_nt VALUES ('(a,abcdefghijkl,1)')",
    "INSERT INTO cd_nt VALUES (row('a', 'b', 1.25))",
    "SELECT * FROM cd_nt",
    "SELECT row(1, 2, 3)::cd_complex",
    "SELECT row(1)::cd_complex",
    "SELECT '(1,2)'::cd_complex::text, ('(1,2)'::cd_complex)::text = '(1,2)'",
    # columns of composite type, field access, (x).*
    "CREATE TABLE cd_quadtable (f1 int, q cd_quad)",
    "INSERT INTO cd_quadtable VALUES (1, ((3.3,4.4),(5.5,6.6))), (2, ((null,4.4),(5.5,6.6))), (3, NULL)",
    "SELECT * FROM cd_quadtable ORDER BY f1",
    "SELECT f1, q.c1 FROM cd_quadtable",
    "SELECT f1, (q).c1, (qq.q).c1.i FROM cd_quadtable qq ORDER BY f1",
    "SELECT (q).c1.* FROM cd_quadtable ORDER BY f1",
    "SELECT (q).* FROM cd_quadtable ORDER BY f1",
    "SELECT (q).nosuch FROM cd_quadtable",
    "SELECT (f1).x FROM cd_quadtable",
    "CREATE TABLE cd_people (fn cd_fullname, bd date)",
    "INSERT INTO cd_people VALUES ('(Joe,Blow)', '1984-01-10'), (row('Jim', NULL), NULL)",
    "SELECT (fn).first, (fn).last, bd FROM cd_people ORDER BY 1",
    "SELECT * FROM cd_people WHERE (fn).last IS NULL",
    "SELECT fn FROM cd_people WHERE fn = '(Joe,Blow)'",
    "UPDATE cd_people SET fn.last = 'Doe' WHERE (fn).first = 'Jim'",
    "UPDATE cd_people SET fn.nosuch = 'x'",
    "UPDATE cd_people SET bd.x = 'x'",
    "SELECT * FROM cd_people ORDER BY (fn).first",
    "UPDATE cd_quadtable SET q.c1.r = 12 WHERE f1 = 2",
    "UPDATE cd_quadtable SET q.c2 = row(1, 1) WHERE f1 = 3",
    "UPDATE cd_quadtable SET q.c1 = 12",
    "SELECT * FROM cd_quadtable ORDER BY f1",
    "SELECT max(q) FROM cd_quadtable",
    # row IS NULL, comparisons
    "SELECT f1, q IS NULL, q IS NOT NULL, (q).c1 IS NULL, (q).c1 IS NOT NULL FROM cd_quadtable ORDER BY f1",
    "SELECT ROW() IS NULL, ROW(NULL, NULL) IS NULL, ROW(1, NULL) IS NULL, ROW(1, NULL) IS NOT NULL",
    "SELECT '(,)'::cd_complex IS NULL, '(1,)'::cd_complex IS NOT NULL, NULL::cd_complex IS NULL",
    "CREATE TYPE cd_t1 AS (a int, b int)",
    ("SELECT row(1, 2)::cd_t1 < row(1, 3)::cd_t1, row(1, 2)::cd_t1 = row(1, 2)::cd_t1, "
    "row(1, -2)::cd_t1 >= row(1, -3)::cd_t1, row(1, 2)::cd_t1 <> row(1, 2)::cd_t1"),
    "SELECT row(1, null)::cd_t1 = row(1, null)::cd_t1, row(null, 1)::cd_t1 < row(1, 1)::cd_t1",
    "CREATE TYPE cd_t3 AS (a int, b text)",
    "SELECT row(1, 2)::cd_t1 < row(1, 'abc')::cd_t3",
    "CREATE TYPE cd_t5 AS (a int)",
    "SELECT row(1, 2)::cd_t1 <> row(1)::cd_t5",
    "SELECT row(1, 2)::cd_t1 = row(1, 2), row(1, 2)::cd_t1 IN (row(3, 4)::cd_t1, '(1,2)')",
    "CREATE TABLE cd_i8 (q1 int8, q2 int8)",
    "INSERT INTO cd_i8 VALUES (123, 456), (4567890123456789, 123)",
    "SELECT * FROM cd_i8 i8 WHERE i8 IN (row(123,456))",
    "SELECT * FROM cd_i8 i8 WHERE i8 IN (row(123,456)::cd_i8, '(4567890123456789,123)') ORDER BY q1",
    "SELECT i8 FROM cd_i8 i8 ORDER BY q1",
    "SELECT row(1, 2)::cd_t1 FROM cd_i8 ORDER BY 1",
    # a parent's row type (table inheritance)
    "CREATE TABLE cd_par (a int, b text)",
    "CREATE TABLE cd_chi (c int) INHERITS (cd_par)",
    "INSERT INTO cd_par VALUES (1, 'p')",
    "INSERT INTO cd_chi VALUES (2, 'c', 3)",
    "SELECT p, pg_typeof(p) FROM cd_par p ORDER BY a",
    "SELECT row(1, 'x')::cd_par, (row(1, 'x')::cd_par).b, '(5,y)'::cd_par = ANY (SELECT p FROM cd_par p)",
    # arrays of composites
    "SELECT array[row(1,2)::cd_t1, null, '(3,)'], (array[row(1,2)::cd_t1])[1].b",
    "SELECT '{\"(1,2)\",\"(3,4)\"}'::cd_t1[], array_length(array[row(1,2)::cd_t1], 1)",
    "CREATE TABLE cd_arr (id int, ts cd_t1[])",
    "INSERT INTO cd_arr VALUES (1, '{\"(1,2)\",NULL}'), (2, array[row(5,6)::cd_t1])",
    "SELECT id, ts, ts[1], (ts[1]).a FROM cd_arr ORDER BY id",
    # JSON of composites
    "SELECT row_to_json(row(1, 2)::cd_t1), to_jsonb('(x,y)'::cd_fullname), to_json(q) FROM cd_quadtable WHERE f1 = 1",
    # SQL functions taking and returning composite values
    "CREATE TYPE cd_fn AS (a int, b int)",
    "CREATE FUNCTION cd_mk(i int) RETURNS cd_fn AS $$ SELECT row(i, i * 10)::cd_fn $$ LANGUAGE sql",
    "CREATE FUNCTION cd_mk2(i int) RETURNS cd_fn AS $$ SELECT i, -i $$ LANGUAGE sql",
    "CREATE FUNCTION cd_sum(t cd_fn) RETURNS int AS $$ SELECT t.a + t.b $$ LANGUAGE sql",
    "CREATE FUNCTION cd_all() RETURNS SETOF cd_fn AS $$ VALUES (1, 2), (3, 4) $$ LANGUAGE sql",
    "SELECT cd_mk(1), (cd_mk(2)).b, (cd_mk2(3)).*, cd_sum(cd_mk(4)), cd_sum(row(5, 6))",
    "SELECT * FROM cd_mk(7)",
    "SELECT m.b FROM cd_mk2(8) AS m",
    "SELECT * FROM cd_all() ORDER BY a",
    # values of many field types, expressions over composites
    "CREATE TYPE cd_mix AS (b bool, by bytea, ts timestamp, j jsonb, arr int[], n numeric, t text)",
    ("SELECT row(true, '\\x0102'::bytea, '2020-01-02 03:04:05', '{\"a\": [1, \"x y\"]}', '{1,NULL}', 1.50, "
    "'a\"b\\\\c')::cd_mix"),
    "SELECT '(t,\\\\x01,\"2020-01-02 03:04:05\",\"{\"\"k\"\": 1}\",\"{1,2}\",2.50,)'::cd_mix",
    ("SELECT (null::cd_fn).a, (null::cd_fn) IS NULL, coalesce(null::cd_fn, row(1, 2)), "
    "CASE WHEN true THEN row(3, 4)::cd_fn END"),
    ("SELECT row(1, 2)::cd_fn IS DISTINCT FROM row(1, null)::cd_fn, row(1, null)::cd_fn IS NOT DISTINCT FROM "
    "row(1, null)::cd_fn"),
    "SELECT '(1,2)'::cd_fn::text::cd_fn, ('(1,2)'::cd_fn)::cd_t5",
    ("SELECT array_agg(row(g, g * 2)::cd_fn ORDER BY g DESC), to_json(array_agg(row(g, g)::cd_fn)) "
    "FROM generate_series(1, 3) g"),
    ("SELECT v, count(*) FROM (VALUES (row(1, 2)::cd_fn), (row(1, 2)::cd_fn), (NULL), (row(0, 9)::cd_fn)) AS x(v) "
    "GROUP BY v ORDER BY v"),
    "SELECT DISTINCT v FROM (VALUES (row(2, 1)::cd_fn), (row(2, 1)::cd_fn), (row(1, 5)::cd_fn)) AS x(v) ORDER BY v DESC",
    # whole rows of tables
    "CREATE TABLE cd_src (k int, \"Val\" text)",
    "INSERT INTO cd_src VALUES (1, 'one'), (2, NULL)",
    "SELECT s, row_to_json(s), s.*, (s).\"Val\" FROM cd_src s ORDER BY k",
    "SELECT row(s.*), row(s.*)::cd_src = s, pg_typeof(row(s.*)) FROM cd_src s ORDER BY k",
    "SELECT x FROM (SELECT s FROM cd_src s) AS q(x) ORDER BY 1",
    "SELECT a.k, b.k FROM cd_src a JOIN cd_src b ON a = b ORDER BY 1",
    "SELECT (s).k FROM (SELECT s FROM cd_src s WHERE k = 1) q",
    "INSERT INTO cd_src SELECT (row(3, 'three')::cd_src).*",
    "SELECT count(*) FROM cd_src s WHERE s IS NOT NULL",
    # catalog
    ("SELECT typname, typtype, typcategory, typrelid::regclass::text, typinput, typoutput FROM pg_type "
    "WHERE typname IN ('cd_complex', 'cd_fullname', '_cd_complex') ORDER BY 1"),
    ("SELECT relname, relkind, relnatts, reltype::regtype::text FROM pg_class WHERE relname LIKE 'cd\\_%' "
    "AND relkind IN ('c', 'r') ORDER BY 1"),
    ("SELECT attname, format_type(atttypid, atttypmod), attnum FROM pg_attribute WHERE attrelid = 'cd_named'::regclass "
    "ORDER BY attnum"),
    "SELECT pg_typeof(row(1,2)::cd_t1), pg_typeof(array[row(1,2)::cd_t1]), 'cd_quad'::regtype, format_type('cd_i8'::regtype, NULL)",
    # DROP / ALTER TYPE
    "DROP TYPE cd_t1",
    "DROP TYPE cd_fullname",
    "DROP TABLE cd_fullname",
    "DROP TYPE no_such_type",
    "DROP TYPE IF EXISTS no_such_type, cd_t5",
    "ALTER TYPE cd_t3 ADD ATTRIBUTE c date, DROP ATTRIBUTE b",
    "SELECT '(1,2020-01-02)'::cd_t3",
    "ALTER TYPE cd_t3 RENAME ATTRIBUTE c TO d",
    "ALTER TYPE cd_t3 ALTER ATTRIBUTE d TYPE text",
    "ALTER TYPE cd_t3 ADD ATTRIBUTE a int",
    "ALTER TYPE cd_t3 DROP ATTRIBUTE nosuch",
    "ALTER TYPE cd_t3 DROP ATTRIBUTE IF EXISTS nosuch",
    "SELECT row(1, 'x')::cd_t3",
    "ALTER TYPE cd_t3 RENAME TO cd_t3b",
    "SELECT '(1,x)'::cd_t3b",
    "ALTER TYPE cd_t1 ADD ATTRIBUTE c int",
    "SELECT id, ts, (ts[1]).c FROM cd_arr ORDER BY id",
    "ALTER TYPE cd_t1 ALTER ATTRIBUTE c TYPE text",
    "ALTER TYPE cd_t1 DROP ATTRIBUTE a, RENAME ATTRIBUTE b TO bb",
    "ALTER TYPE cd_t1 DROP ATTRIBUTE a",
    "ALTER TYPE cd_t1 RENAME ATTRIBUTE b TO bb",
    "SELECT id, ts, (ts[1]).bb FROM cd_arr ORDER BY id",
    "ALTER TYPE cd_complex ADD ATTRIBUTE z int",
    "SELECT * FROM cd_quadtable ORDER BY f1",
    "ALTER TABLE cd_fullname ADD COLUMN suffix text DEFAULT ''",
    "ALTER TABLE cd_fullname ADD COLUMN suffix text DEFAULT NULL",
    "SELECT * FROM cd_people ORDER BY (fn).first",
    "UPDATE cd_people SET fn.suffix = 'Jr' WHERE (fn).first = 'Joe'",
    "ALTER TABLE cd_fullname DROP COLUMN first",
    "SELECT * FROM cd_people ORDER BY bd",
    "ALTER TABLE cd_fullname ALTER COLUMN last TYPE varchar(3)",
    "DROP TYPE cd_t3b, cd_named",
    "DROP TYPE cd_quad",
    "DROP TYPE cd_complex CASCADE",
    "SELECT * FROM cd_quadtable ORDER BY f1",
    "DROP TYPE cd_quad CASCADE",
    "SELECT * FROM cd_quadtable ORDER BY f1",
    "CREATE TYPE cd_shell",
    "CREATE TYPE cd_shell",
    "DROP TYPE cd_shell",
    # json[b]_populate_record[set]: JSON objects as rows of a composite type (keys missing: base's values)
    "CREATE TYPE cd_jpop AS (a text, b int, c timestamp)",
    "CREATE TYPE cd_jnest AS (p cd_jpop, n int, t text[])",
    "SELECT * FROM json_populate_record(null::cd_jpop, '{\"a\":\"blurfl\",\"x\":43.2}') q",
    "SELECT * FROM json_populate_record(row('x',3,'2012-12-31 15:30:56')::cd_jpop, '{\"a\":\"blurfl\",\"b\":null}') q",
    "SELECT * FROM jsonb_populate_record(row('x',3,'2012-12-31 15:30:56')::cd_jpop, '{\"a\":[100,200,false]}') q",
    "SELECT * FROM json_populate_recordset(null::cd_jpop, '[{\"a\":1,\"b\":2},{\"a\":\"x\",\"c\":\"2012-01-01\"}]')",
    "SELECT * FROM jsonb_populate_recordset(row('def',99,null)::cd_jpop, '[{\"a\":1,\"b\":2},{\"c\":\"2012-01-01\"}]')",
    "SELECT json_populate_record(null::cd_jpop, '{\"a\":\"x\",\"b\":5}')",
    "SELECT (jsonb_populate_record(null::cd_jpop, '{\"a\":\"x\",\"b\":5}')).b",
    "SELECT * FROM jsonb_populate_record(null::cd_jnest, '{\"p\":{\"a\":\"in, \\\"q\\\"\",\"b\":7},\"n\":1,\"t\":[\"u\",null]}')",
    "SELECT * FROM json_populate_record(null::cd_jpop, '[1]')",
    "SELECT * FROM jsonb_populate_record(null::cd_jpop, '5')",
    "SELECT * FROM json_populate_recordset(null::cd_jpop, '{}')",
    "SELECT * FROM jsonb_populate_recordset(null::cd_jpop, '{}')",
    "SELECT * FROM jsonb_populate_recordset(null::cd_jpop, '[1]')",
    "SELECT * FROM json_populate_record(null::cd_jpop, '{\"b\":\"x\"}')",
    "CREATE TABLE cd_people2 (id int, name text, tags text[])",
    ("INSERT INTO cd_people2 SELECT * FROM jsonb_populate_recordset(null::cd_people2, "
     "'[{\"id\":1,\"name\":\"A\",\"tags\":[\"x\",\"y\"]},{\"id\":2}]')"),
    "SELECT * FROM cd_people2 ORDER BY id",
]

CLEANUP = [
    "DROP TABLE IF EXISTS cd_src, cd_nt, cd_quadtable, cd_people, cd_i8, cd_arr, cd_fullname, cd_chi, cd_par, cd_people2",
    "DROP FUNCTION IF EXISTS cd_mk, cd_mk2, cd_sum, cd_all",
    "DROP TYPE IF EXISTS cd_mix, cd_fn, cd_t1, cd_t3, cd_t3b, cd_t5, cd_named, cd_quad, cd_complex, cd_shell, cd_jnest, cd_jpop CASCADE",
]


def _outcome(conn: psycopg.Connection, sql: str) -> tuple:
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            if not cur.description:
                return ("ok",)
            names = [d.name for d in cur.description]
            return ("ok", names, [tuple(None if v is None else str(v) for v in r) for r in cur.fetchall()])
    except psycopg.Error as e:
        return ("error", e.sqlstate, e.diag.message_primary, e.diag.message_detail, e.diag.message_hint)


@pytest.fixture(scope="module")
def connections(tmp_path_factory, postgres_dsn):
    from helios_core.testing import start_server

    server = start_server(tmp_path_factory.mktemp("composite_types"), only=["postgres"])
    try:
        with psycopg.connect(postgres_dsn, autocommit=True) as pg, \
                psycopg.connect(server.pg_dsn(), autocommit=True) as hx:
            for sql in CLEANUP:
                pg.execute(sql)
            yield pg, hx
            for sql in CLEANUP:
                pg.execute(sql)
    finally:
        server.stop()


def test_statements_match_postgres(connections):
    pg, hx = connections
    mismatches = []
    for sql in STATEMENTS:
        want, got = _outcome(pg, sql), _outcome(hx, sql)
        if want != got:
            mismatches.append(f"{sql}\n  PostgreSQL: {want}\n  HeliosDB:   {got}")
    assert not mismatches, "\n".join(mismatches)
