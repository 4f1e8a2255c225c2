"""The jsonpath type and the SQL/JSON path functions over psycopg, compared with PostgreSQL 15:
rows, or SQLSTATE and message, statement by statement."""

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

    server = start_server(tmp_path_factory.mktemp("jsonpath"), only=["postgres"])
    try:
        with psycopg.connect(postgres_dsn, autocommit=True) as pg, \
                psycopg.connect(server.pg_dsn(), autocommit=True) as hx:
            for conn in (pg, hx):
                conn.execute("SET TIME ZONE 'UTC'")
            yield pg, hx
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
