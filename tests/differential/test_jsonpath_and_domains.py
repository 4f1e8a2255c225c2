"""The jsonpath type with the SQL/JSON path functions, and domains, over psycopg, compared with
PostgreSQL 15: rows, or SQLSTATE and message (detail, hint), statement by statement."""

from __future__ import annotations

import psycopg
import pytest

STATEMENTS = [
    # text input and PostgreSQL's normalised output
    "SELECT '$.a.b[*] ? (@.c > 1 && @.d like_regex \"^x\" flag \"iq\")'::jsonpath",
    "SELECT 'strict $.a.**{2 to last}.b'::jsonpath, 'lax $[1, 2 to last]'::jsonpath",
    "SELECT '$--+1'::jsonpath, '(-+$.a.b).c.d'::jsonpath, '1 + ($.a.b + 2).c.d'::jsonpath",
    "SELECT '$ ? (@.a < +10.1e-1)'::jsonpath, '(1).type()'::jsonpath, '$.datetime(\"HH24:MI\")'::jsonpath",
    "SELECT '$\"x\" + $y'::jsonpath::text, '$.\"fo\\u0041o\"'::jsonpath",
    "SELECT ''::jsonpath",
    "SELECT '1.type()'::jsonpath",
    "SELECT '@ + 1'::jsonpath",
    "SELECT 'last'::jsonpath",
    "SELECT '$ ? (@ like_regex \"(x\")'::jsonpath",
    "SELECT '$ ? (@ like_regex \"x\" flag \"a\")'::jsonpath",
    "SELECT '$ == 1 == 2'::jsonpath",
    # operators and functions
    "SELECT '{\"a\": [1, 2, 3]}'::jsonb @? '$.a[*] ? (@ > 2)', '{\"a\": [1, 2, 3]}'::jsonb @@ '$.a[*] > 5'",
    "SELECT jsonb '[1]' @? 'strict $[1]', jsonb '1' @@ '$ + 1'",
    "SELECT * FROM jsonb_path_query('{\"a\": [1, 2, 3, 4]}', '$.a[*] ? (@ >= $min)', '{\"min\": 3}')",
    "SELECT jsonb_path_query('[1, {\"a\": 2}, [3]]', 'lax $[*].a'), 1",
    "SELECT jsonb_path_query('[1, {\"a\": 2}]', 'strict $[*].a')",
    "SELECT jsonb_path_query('[1, {\"a\": 2}]', 'strict $[*].a', silent => true)",
    "SELECT jsonb_path_query_array('[1, 2, 3]', '$[*] * 2'), jsonb_path_query_first('[4, 5]', '$[last]')",
    "SELECT jsonb_path_query_array('{\"a\": 1, \"b\": [1, 2]}', '$.keyvalue()')",
    "SELECT jsonb_path_query_array('[{\"a\": 1, \"b\": [1, 2]}, {\"c\": {\"a\": \"bbb\"}}]', '$[*].keyvalue().id')",
    "SELECT jsonb_path_exists('{\"a\": 1}', '$.b'), jsonb_path_exists('{\"a\": 1}', 'strict $.b', silent => true)",
    "SELECT jsonb_path_exists('{\"a\": 1}', 'strict $.b')",
    "SELECT jsonb_path_match('{\"a\": 1}', '$.a == 1'), jsonb_path_match('[true]', '$[0]')",
    "SELECT jsonb_path_match('[1]', '$[*]')",
    "SELECT jsonb_path_query('1', '$ / 0')",
    "SELECT jsonb_path_query('[1, \"a\"]', '$[*] + 1')",
    "SELECT jsonb_path_query('{}', '$ ? (@ == $undefined)')",
    "SELECT jsonb_path_query('{}', '$', '[]')",
    ("SELECT jsonb_path_query_array('[1.5, -2.5, 3]', '$[*].floor()'), "
    "jsonb_path_query_array('[1.5, -2.5, \"1e2\"]', '$[*].double().abs().ceiling()')"),
    "SELECT jsonb_path_query_array('[7, 2.5, 0.3]', '$[*] / 3'), jsonb_path_query_array('[7, -7]', '$[*] % 3')",
    ("SELECT jsonb_path_query_array('[null, 1, \"1\", [], {}, true]', '$[*].type()'), "
    "jsonb_path_query('[1, 2]', 'lax $.size()')"),
    "SELECT jsonb_path_query_array('[\"abc\", \"abd\", \"xabc\", 1]', '$[*] ? (@ starts with \"ab\")')",
    "SELECT jsonb_path_query_array('[\"a\\nb\", \"A.B\"]', '$[*] ? (@ like_regex \"a.b\" flag \"is\")')",
    "SELECT jsonb_path_query_array('{\"a\": {\"b\": {\"c\": 1}}, \"d\": [2]}', '$.**{1 to 2}')",
    ("SELECT jsonb_path_query('[1, 2]', '$[*] ? ((@ > 1) is unknown)'), "
    "jsonb_path_query_array('[1, \"x\", null]', '$[*] ? (!(@ > 1))')"),
    "SELECT jsonb_path_query('\"10-03-2017 12:34 +05:20\"', '$.datetime(\"dd-mm-yyyy HH24:MI TZH:TZM\")')",
    ("SELECT jsonb_path_query_array('[\"2017-03-10\", \"12:34:56+3\", \"2017-03-10T12:34:56.789\"]', "
    "'$[*].datetime().type()')"),
    "SELECT jsonb_path_query('\"aaaa\"', '$.datetime(\"HH24\")')",
    "SELECT jsonb_path_query('[\"2017-03-10\"]', '$[*].datetime() ? (@ < \"2017-03-10 12:00\".datetime())')",
    "SELECT jsonb_path_query_tz('[\"2017-03-10\"]', '$[*].datetime() ? (@ < \"2017-03-10 12:00+01\".datetime())')",
    "SELECT jsonb_path_query('[\"2017-03-10\"]', '$[*].datetime() ? (@ < \"2017-03-10 12:00+01\".datetime())')",
    # over a table, with NULLs
    "CREATE TEMP TABLE jp_docs (id int, doc jsonb, p jsonpath)",
    ("INSERT INTO jp_docs VALUES (1, '{\"tags\": [\"a\", \"b\"], \"n\": 3}', '$.n'), "
    "(2, '{\"tags\": [\"c\"], \"n\": 10}', '$.tags[0]'), (3, NULL, '$'), (4, '{}', NULL)"),
    ("SELECT id, doc @? '$.tags[*] ? (@ == \"b\")', doc @@ '$.n > 5', jsonb_path_query_first(doc, p) "
    "FROM jp_docs ORDER BY id"),
    "SELECT id, t FROM jp_docs, jsonb_path_query(doc, '$.tags[*]') AS t ORDER BY id, t",
    "SELECT pg_typeof(p), p FROM jp_docs WHERE id = 1",
]


JSONB_FUNCTION_STATEMENTS = [
    ("SELECT jsonb_exists('{\"a\": 1}', 'a'), jsonb_exists_any('{\"a\": 1}', '{b,a}'), "
    "jsonb_exists_all('{\"a\": 1}', '{b,a}'), jsonb_contains('[1, 2]', '[2]'), jsonb_contained('[2]', '[1, 2]')"),
    "SELECT jsonb_delete('{\"a\": 1, \"b\": 2}', 'a'), jsonb_concat('[1]', '[2]')",
    "SELECT jsonb_set_lax('{\"a\": 1, \"b\": 2}', '{b}', null, null_value_treatment => 'delete_key')",
    "SELECT jsonb_set_lax('{\"a\": 1}', '{b}', null, true, 'raise_exception')",
    "SELECT jsonb_set_lax('{\"a\": 1}', '{b}', '5', true, 'no_such')",
    "SELECT pg_column_size('{\"aa\": 1}'::jsonb || '{\"b\": 2}'::jsonb) = pg_column_size('{\"aa\": 1, \"b\": 2}'::jsonb)",
    "SELECT jsonb_object('{{a,1},{b,2},{3,NULL}}'), jsonb_object('{a,b}', '{1,2}')",
    "SELECT jsonb_object('{{a},{b}}')",
    "SELECT jsonb_object('{a,NULL}', '{1,2}')",
    ("SELECT jsonb_build_array(VARIADIC '{{1,4},{2,5}}'::int[][]), json_build_object(VARIADIC '{a,1,b,2}'::text[]), "
    "jsonb_build_object(VARIADIC NULL::text[]) IS NULL"),
    "SELECT jsonb_build_object(VARIADIC '{a,b,c}'::text[])",
    "SELECT jsonb_set('{\"a\": {\"b\": [1, 2, 3]}}', '{a, b, non_integer}', '\"x\"')",
    "SELECT jsonb_set('{\"a\": {\"b\": [1, 2, 3]}}', '{a, b, NULL}', '\"x\"')",
    "SELECT '{\"b\": [1, 2]}'::jsonb #- '{b,-1e}'",
    "SELECT array_to_json('{{1,5},{99,100}}'::int[]), array_to_json(ARRAY['a', NULL], true)",
    "SELECT * FROM jsonb_to_recordset('[{\"a\": 1, \"b\": \"x\"}, {\"a\": 2, \"c\": true}]') AS r(a int, b text, c bool)",
    "SELECT * FROM jsonb_to_record('{\"ia\": [[1, 2], [3, 4]], \"j\": {\"k\": [1]}}') AS r(ia int[], j jsonb)",
    "SELECT * FROM jsonb_to_record('{\"ia\": [[1], 2]}') AS r(ia int[])",
    "SELECT * FROM jsonb_to_record('{\"ia\": 5}') AS r(ia int[])",
    "SELECT to_jsonb(timestamp 'infinity'), to_json(timestamptz '-infinity'), to_jsonb(timestamp '2020-01-01 10:00')",
    ("SELECT json_extract_path_text('{\"f4\": [0, 1, 2, null]}', 'f4', '3') IS NULL, "
    "jsonb_extract_path('{\"f4\": {\"f6\": 1}}', 'f4', 'f6')"),
]

DOMAIN_STATEMENTS = [
    "CREATE DOMAIN d_pos AS int NOT NULL CHECK (VALUE > 0)",
    "CREATE DOMAIN d_code varchar(4) DEFAULT 'none' CONSTRAINT d_code_lower CHECK (VALUE = lower(VALUE))",
    "CREATE DOMAIN d_small AS d_pos CHECK (VALUE < 100)",
    "CREATE DOMAIN d_ints AS int[]",
    "CREATE DOMAIN d_triple AS int[]   CHECK(array_length(VALUE, 1) = 3)",
    "SELECT '{1,2,3}'::d_triple",
    "SELECT '{1,2}'::d_triple",
    "DROP DOMAIN d_triple",
    "CREATE DOMAIN d_pos AS int",
    "SELECT 5::d_pos, pg_typeof(5::d_pos), CAST('abcdef' AS d_code), '{1,2}'::d_ints",
    "SELECT (-1)::d_pos",
    "SELECT NULL::d_pos",
    "SELECT 150::d_small",
    "SELECT 0::d_small",
    "SELECT 'ABC'::d_code",
    "SELECT 2::d_pos + 3, pg_typeof(2::d_pos + 3)",
    "CREATE TEMP TABLE dom_t (id int, p d_pos, s d_small, c d_code)",
    "INSERT INTO dom_t VALUES (1, 5, 50, 'ab')",
    "INSERT INTO dom_t (id, p, s) VALUES (2, 7, 70)",
    "INSERT INTO dom_t VALUES (3, -5, 50, 'ab')",
    "INSERT INTO dom_t (id, s) VALUES (4, 1)",
    "INSERT INTO dom_t VALUES (5, 5, 500, 'ab')",
    "INSERT INTO dom_t VALUES (6, 5, 5, 'toolong')",
    "UPDATE dom_t SET p = 0 WHERE id = 1",
    "UPDATE dom_t SET c = 'XY' WHERE id = 1",
    "SELECT id, p, s, c FROM dom_t ORDER BY id",
    "ALTER DOMAIN d_pos ADD CONSTRAINT d_pos_odd CHECK (VALUE % 2 = 1)",
    "ALTER DOMAIN d_pos ADD CONSTRAINT d_pos_small CHECK (VALUE < 10)",
    "INSERT INTO dom_t (id, p, s) VALUES (7, 9, 3)",
    "INSERT INTO dom_t (id, p, s) VALUES (8, 11, 3)",
    "ALTER DOMAIN d_pos DROP CONSTRAINT d_pos_small",
    "ALTER DOMAIN d_pos DROP CONSTRAINT no_such",
    "ALTER DOMAIN d_pos DROP CONSTRAINT IF EXISTS no_such",
    "ALTER DOMAIN d_code SET DEFAULT 'dflt'",
    "INSERT INTO dom_t (id, p, s) VALUES (9, 3, 3)",
    "SELECT id, c FROM dom_t WHERE id = 9",
    "ALTER DOMAIN d_code SET NOT NULL",
    "ALTER DOMAIN d_code ADD CONSTRAINT d_code_short CHECK (length(VALUE) < 3) NOT VALID",
    "ALTER DOMAIN d_code VALIDATE CONSTRAINT d_code_short",
    "DROP DOMAIN d_pos",
    "DROP DOMAIN d_ints, d_code",
    "DROP DOMAIN IF EXISTS no_such_domain",
    ("SELECT typname, typtype, typnotnull, format_type(typbasetype, typtypmod) FROM pg_type "
    "WHERE typname LIKE 'd\\_%' ORDER BY 1"),
    ("SELECT domain_name, data_type, character_maximum_length FROM information_schema.domains "
    "WHERE domain_name LIKE 'd\\_%' ORDER BY 1"),
    "SELECT conname, convalidated, contype FROM pg_constraint WHERE contypid = 'd_code'::regtype ORDER BY 1",
    "CREATE DOMAIN d_nn_text AS text NOT NULL",
    "CREATE DOMAIN d_bar AS text DEFAULT 'bar'",
    "ALTER TABLE dom_t ADD COLUMN nn d_nn_text",
    "ALTER TABLE dom_t ADD COLUMN bar d_bar",
    "SELECT id, bar FROM dom_t ORDER BY id",
    "DROP DOMAIN d_pos CASCADE",
    "SELECT * FROM dom_t ORDER BY id",
]


def _outcome(conn: psycopg.Connection, sql: str) -> tuple:
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            rows = [tuple(None if v is None else str(v) for v in r) for r in cur.fetchall()] if cur.description else []
            return ("ok", rows)
    except psycopg.Error as e:
        return ("error", e.sqlstate, e.diag.message_primary, e.diag.message_detail, e.diag.message_hint)


@pytest.fixture(scope="module")
def connections(tmp_path_factory, postgres_dsn):
    from helios_core.testing import start_server

    server = start_server(tmp_path_factory.mktemp("jsonpath_domains"), only=["postgres"])
    try:
        with psycopg.connect(postgres_dsn, autocommit=True) as pg, \
                psycopg.connect(server.pg_dsn(), autocommit=True) as hx:
            for conn in (pg, hx):
                conn.execute("SET TIME ZONE 'UTC'")
            yield pg, hx
    finally:
        server.stop()


@pytest.mark.parametrize("statements", [STATEMENTS, JSONB_FUNCTION_STATEMENTS, DOMAIN_STATEMENTS],
                         ids=["jsonpath", "jsonb_functions", "domains"])
def test_statements_match_postgres(connections, statements):
    pg, hx = connections
    mismatches = []
    for sql in statements:
        want, got = _outcome(pg, sql), _outcome(hx, sql)
        if want != got:
            mismatches.append(f"{sql}\n  PostgreSQL: {want}\n  HeliosDB:   {got}")
    assert not mismatches, "\n".join(mismatches)
