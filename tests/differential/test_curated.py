"""Curated expressions (types, text I/O, time zones, edge values) compared with PostgreSQL 15.

Where the generated queries explore broadly, these pin down what clients print most: every
type's text output, input syntax, and timestamptz arithmetic under several session TimeZones.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("helios_difftest", Path(__file__).with_name("test_differential.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
agree, describe = _mod.agree, _mod.describe

ZONE_EXPRESSIONS = [
    "timestamptz '2024-03-10 01:30:00'",
    "timestamptz '2024-03-10 12:00:00' + interval '1 day'",
    "timestamptz '2024-03-10 12:00:00' + interval '24 hours'",
    "timestamptz '2024-11-03 01:30:00-04' + interval '1 hour'",
    "timestamptz '2024-11-03 01:30:00-04' + interval '1 day 1 hour'",
    "'infinity'::timestamptz + interval '1 hour'", "'-infinity'::timestamptz - interval '1 month'",
    "timestamptz '2024-07-01 12:00:00+05:30'",
    "'2024-01-01 00:00:00'::timestamptz::timestamp",
    "'2024-06-01 12:00:00'::timestamp::timestamptz",
    "'2024-06-01'::date::timestamptz",
    "timestamptz '2024-06-01 23:30:00+00'::date",
    "date_trunc('day', timestamptz '2024-03-10 15:00:00+00')",
    "date_trunc('month', timestamptz '2024-03-31 23:30:00+00')",
    "extract(hour from timestamptz '2024-06-01 03:00:00+00')",
    "extract(epoch from timestamptz '2024-06-01 03:00:00+00')",
    "extract(timezone from timestamptz '2024-06-01 03:00:00+00')",
    "to_char(timestamptz '2024-06-01 03:00:00+00', 'YYYY-MM-DD HH24:MI TZ')",
    "timestamptz '2024-06-01 03:00:00+00' AT TIME ZONE 'Asia/Tokyo'",
    "timestamp '2024-06-01 03:00:00' AT TIME ZONE 'Asia/Tokyo'",
    "timestamptz '2024-12-31 23:59:59.999999+00' - timestamptz '2024-01-01 00:00:00+00'",
    "age(timestamptz '2024-06-01 00:00:00+00', timestamptz '2023-01-15 12:00:00+00')",
]

VALUE_EXPRESSIONS = [
    "1.5::float4", "0.1::float4 * 3", "1e-7::float8", "123456789012345678::float8", "-0.0::float8",
    "'Infinity'::float8 - 'Infinity'::float8", "2^62", "9007199254740993::float8",
    "1.0::numeric(20,10)", "0.00001::numeric", "-0.5::numeric(3,0)", "12345.678::numeric(8,2)",
    "round(2.5::float8)", "round(-2.5)", "trunc(-0.5)", "(-7) / 2", "(-7) % 2", "7 % (-2)",
    "'  yes '::bool", "'f'::bool::text", "'\\x00ff'::bytea", "'a\\\\b'::text", "E'\\\\001'::bytea",
    "'{1,NULL,\"a b\"}'::text[]", "'{}'::int[]", "array[1,2]::text",
    "'{\"b\": 1, \"a\": [true, null, 1.50]}'::jsonb", "'[1, 2.0, \"x\"]'::json", "'\"\\u00e9\"'::jsonb",
    "'P1Y2M3DT4H5M6.5S'::interval", "'-1 day -2 hours'::interval", "'1 mon -1 day'::interval",
    "interval '1 day' / 3", "interval '1 month' * 1.5", "'100 years'::interval",
    "'2024-02-29'::date + 365", "'0001-01-01'::date", "'2024-01-01 24:00:00'::timestamp",
    "'10:30:00.123456'::time", "'23:59:59.9999995'::time", "'allballs'::time",
    "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid", "md5('')::uuid",
    "length('héllo'::varchar(10))", "'ab'::char(5) || 'c'", "'ab'::char(5)", "'ab  '::varchar(3)",
    "substring('hello' from 2 for 10)", "position('' in 'abc')", "split_part('a,b', ',', 0)",
    "repeat('x', -1)", "lpad('', 3, '')", "concat_ws(NULL, 'a')", "format('%3s|%-3s|', 'a', 'b')",
    "to_char(1234567.891, 'FM9G999G999D99')", "to_char(-0.001, '0.99')", "to_char(1e-10, '9.9999')",
    "width_bucket(5, 10, 0, 5)", "gcd(0, 0)", "lcm(-4, 6)", "mod(-7, 3)", "div(-7, 2)",
    "abs(-0.0::float8)", "sign(-0.0::float8)", "sqrt(0.0)", "exp(0.0)", "ln(1.0)", "power(2.0, -2)",
    "power(-8.0, 1.0/3)", "log(2.0, 1024.0)", "cbrt(-8)", "pi()::numeric(10,8)",
    "'{\"a\": {\"b\": [1, 2]}}'::jsonb #> '{a,b}'", "'{\"a\": 1}'::jsonb || '{\"a\": 2, \"c\": 3}'",
    "'[1, [2, 3]]'::jsonb @> '[[3]]'", "'{\"a\": null}'::jsonb ->> 'a'", "'\"str\"'::jsonb ->> 0",
    "jsonb_build_object('n', 1.50, 't', true, 'x', null, 'arr', ARRAY[1, 2])",
    "json_build_object('b', 1, 'a', '2')", "to_jsonb(ARRAY['a', NULL])", "to_jsonb(1.0::float8)",
    # json keeps the text it was written in: pieces come back spaced and spelled as written
    "'{\"a\": [1,  2], \"b\":{\"c\" : 1.50}}'::json -> 'a'", "'{\"b\":{\"c\" : 1.50}}'::json -> 'b'",
    "'{\"b\":{\"c\" : 1.50, \"d\": 1e100}}'::json #> '{b,d}'", "'{\"d\": \"\\u00e9x\"}'::json -> 'd'",
    "'{\"d\": \"\\u00e9x\"}'::json ->> 'd'", "'[1, [2,  3]]'::json ->> 1",
    "json_extract_path('{\"a\": {\"b\" : 1}}', 'a')", "json_strip_nulls('[null, {\"a\": null}]')",
    "jsonb_typeof('null')", "jsonb_array_length('[1, {}, []]')", "jsonb_strip_nulls('[null, {\"a\": null}]')",
    "jsonb_set('[1, 2]', '{5}', '9')", "jsonb_set('{}', '{a,b}', '1')", "jsonb_insert('{\"a\": [1]}', '{a,0}', '0')",
    "'{\"b\": 2, \"aa\": 1, \"a\": 0}'::jsonb", "'[\"a\", \"b\"]'::jsonb ?| ARRAY['b', 'z']",
    "'{\"a\": 1, \"b\": 2}'::jsonb - ARRAY['a']", "'[0, 1, 2]'::jsonb - -1", "'{\"a\": [1, 2]}'::jsonb #- '{a,0}'",
    "ARRAY[1, 2] || ARRAY[3]", "ARRAY[1.5, 2.25]", "array_cat(ARRAY['a'], NULL)", "array_length(ARRAY[]::int[], 1)",
    "array_position(ARRAY[1, NULL, 3], NULL)", "array_positions(ARRAY['a', 'b', 'a'], 'a')",
    "array_replace(ARRAY[1, 2, 1], 1, NULL)", "array_to_string(ARRAY[1, NULL, 3], '-')", "cardinality('{}'::text[])",
    "3 = ANY(ARRAY[1, NULL])", "3 <> ALL(ARRAY[1, 2])", "NULL::int = ANY('{}'::int[])",
    "ARRAY[1, 2] < ARRAY[1, 2, 0]", "ARRAY['b'] > ARRAY['a', 'z']", "string_to_array('a||b', '|')",
    "regexp_split_to_array('a1b2c', '[0-9]')", "regexp_match('abc', 'z')", "regexp_match('foo123', '([a-z]+)([0-9]+)')",
    "initcap('hello-world foo_bar 3x')", "translate('abcabc', 'ab', 'x')", "reverse('héllo')",
    "lower('ÀÉÎ')", "upper('straße')", "left('héllo', 2)", "right('héllo', -1)", "octet_length('héllo')",
    "'abc' LIKE 'a\\%'", "'a%c' LIKE 'a\\%c'", "'ABC' ILIKE '_b_'", "'abc' SIMILAR TO '%(b|x)%'",
    "'Hello' ~* '^h'", "'foo.bar' ~ '\\.'", "'x' || NULL", "NULL || 'x'", "concat('x', NULL, 2)",
    "quote_ident('select')", "quote_ident('Mixed')", "quote_literal(E'it''s')", "quote_nullable(NULL)",
    "format('%s %L %I', NULL, NULL, 'a b')", "md5('héllo')", "encode('héllo'::bytea, 'base64')",
    "decode('68656c6c6f', 'hex')", "encode('\\x00ff'::bytea, 'escape')", "to_hex(-1::bigint)",
    "chr(233)", "ascii('é')", "'1.5e3'::numeric", "'  -0012  '::int", "'+.5'::numeric",
    "'-9223372036854775808'::bigint", "'32767'::int2", "1::int2 + 1::int2", "2147483647::int8 * 2",
    "5 / 2.0", "1 / 3.0", "10 / 4::numeric", "1::numeric / 7", "100::numeric / 7", "0.5 / 0.001",
    "1e15::numeric / 3", "7 / 3::float8", "1::float4 / 3", "extract(epoch from interval '1 year')",
    "extract(epoch from interval '1 mon')", "extract(day from interval '40 days')", "date_part('month', interval '14 months')",
    "make_interval(1, 2, 3, 4, 5, 6, 7.5)", "justify_interval(interval '-1 mon 40 days')",
    "interval '1 day 25 hours' = interval '2 days 1 hour'", "interval '1 mon' = interval '30 days'",
    "date '2024-01-31' + interval '1 month'", "date '2024-03-31' - interval '1 month'",
    "timestamp '2024-01-01 10:00' - timestamp '2023-12-31 11:00'", "age(timestamp '2024-03-01', timestamp '2024-01-31')",
    "date '2024-03-01' - date '2024-02-01'", "to_date('2024-366', 'YYYY-DDD')", "to_char(date '2024-01-07', 'IW IYYY D ID')",
    "to_char(timestamp '2024-01-07 00:00:00', 'HH12 AM')", "to_char(timestamp '2024-01-07 13:05:09.5', 'HH:MI:SS.MS pm')",
    "date_trunc('week', timestamp '2024-01-07 10:00')", "date_trunc('quarter', date '2024-11-15')",
    "extract(isoyear from date '2024-12-30')", "extract(week from date '2021-01-01')", "extract(dow from date '2024-01-07')",
]

# Whole statements people type (row values, multi-dimensional arrays, grouping without GROUP BY,
# CTE names, collations), over a VALUES table so both systems see the same rows.
_EV = ("(VALUES (timestamp '2024-01-01 00:00', 1), (timestamp '2024-01-01 00:00', 2), "
       "(timestamp '2024-01-01 01:00', 3), (timestamp '2024-01-01 01:00', NULL), (NULL, 5)) AS ev(created_at, id)")
STATEMENTS = [
    # jsonb's btree order: kinds (null < string < number < boolean < array < object), sizes first,
    # numbers as numerics, a top-level scalar between the empty array and one-element arrays
    ("SELECT v FROM (VALUES ('[]'::jsonb), ('null'), ('\"a\"'), ('1'), ('10'), ('2.5'), ('true'), ('false'), "
     "('[1]'), ('[0, 0]'), ('{}'), ('{\"a\": 1}'), ('{\"bb\": 1}'), ('{\"a\": 1, \"b\": 2}'), ('[[1]]'), "
     "('\"ab\"'), ('-3'), ('[\"x\"]'), ('{\"a\": [1, 2]}'), ('{\"a\": [3]}')) t(v) ORDER BY v"),
    ("SELECT ('{\"size\": 2}'::jsonb -> 'size') > '15'::jsonb, '2'::jsonb < '15'::jsonb, '1.0'::jsonb = '1'::jsonb, "
     "'\"b\"'::jsonb > '1'::jsonb, '[1, 2]'::jsonb > '{\"a\": 1}'::jsonb, '[]'::jsonb < 'null'::jsonb, "
     "'5'::jsonb < '[1]'::jsonb, '{\"b\": 1}'::jsonb > '{\"a\": 1, \"c\": 2}'::jsonb, "
     "'{\"a\": 1.50}'::jsonb = '{\"a\": 1.5}'::jsonb, '[1, 2]'::jsonb >= '[1, 2.0]'::jsonb"),
    ("SELECT v ->> 'n' FROM (VALUES ('{\"n\": 2}'::jsonb), ('{\"n\": 15}'), ('{\"n\": 3.5}'), ('{\"n\": 100}')) t(v) "
     "WHERE v -> 'n' > '3'::jsonb ORDER BY v -> 'n' DESC"),
    f"SELECT id FROM {_EV} WHERE (created_at, id) > ('2024-01-01 00:00', 1) ORDER BY created_at, id LIMIT 3",
    (f"SELECT id, (created_at, id) < ('2024-01-01 01:00', 4), (created_at, id) IS DISTINCT FROM (NULL, 5) "
    f"FROM {_EV} ORDER BY 1"),
    f"SELECT id, ROW(created_at, id) = ROW(timestamp '2024-01-01 01:00', 3), (1, id) <> (1, 2) FROM {_EV} ORDER BY 1",
    "SELECT (1,2,3) > (1,2,2), (1,NULL) = (1,2), (1,2) IS DISTINCT FROM (1,NULL), (NULL,1) < (1,0), (2,NULL) < (1,5)",
    "SELECT (1,2) = (1,2,3)",
    "SELECT (1,2) = (SELECT 1, 2), (1,2) IN (SELECT 1, 2), (1, 3) > (SELECT 1, 2), (1,2) = (SELECT 1, 2 WHERE false)",
    "SELECT a, b FROM (VALUES (1,2),(3,4),(5,NULL)) v(a,b) WHERE (a,b) IN ((1,2),(5,6))",
    "SELECT a, b FROM (VALUES (1,2),(3,4),(5,NULL)) v(a,b) WHERE (a,b) NOT IN ((1,2),(5,6))",
    "SELECT (1,2) = (SELECT 1)", "SELECT (1,2) = (SELECT 1, 2 FROM generate_series(1,2))",
    "SELECT (1,2), (1,'a')::text",
    "SELECT ROW(1, 'a b', NULL, '', 'q\"x')",
    "SELECT CASE WHEN x THEN ROW(1,'a') ELSE ROW(2,'b') END FROM (VALUES (true), (false), (NULL)) v(x)",
    "SELECT row(1, array[1,2], row(2, 'x y'))::text",
    "SELECT array[array[1,2]] || array[array[3,4]], ARRAY[[1,2],[3,4]], '{{1,2},{3,4}}'::int[]",
    ("SELECT array_dims(a), array_ndims(a), array_length(a, 2), cardinality(a), array_upper(a, 1), array_to_string(a, '/') "
    "FROM (VALUES ('{{1,2,3},{4,5,6}}'::int[]), ('{}'), (NULL)) v(a)"),
    "SELECT a[2][1], a[2], a[1:1], a[:1][2:], a[2:][:1], a[1][2:3] FROM (VALUES ('{{1,2,3},{4,5,6}}'::int[])) v(a)",
    "SELECT unnest('{{1,2},{3,4}}'::int[])",
    "SELECT x FROM unnest('{{a,b},{c,NULL}}'::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n",
    "SELECT array_agg(a) FROM (VALUES (array[1,2]), (array[3,4])) v(a)",
    "SELECT array_agg(a) FROM (VALUES (array[1,2]), (array[3])) v(a)",
    "SELECT array[[1,2],[3]]",
    "SELECT '{{1,2},{3}}'::int[]",
    "SELECT array[1,2] || array[[3,4]], array[[1,2]] || array[5,6], '{}'::int[] || array[[1]]",
    "SELECT array[[1,2]] || array[[1,2,3]]",
    "SELECT array_append('{{1,2}}'::int[], 3)",
    "SELECT array_fill(7, array[2,3]), array_replace('{{1,2},{1,3}}'::int[], 1, 9), trim_array('{{1,2},{3,4}}'::int[], 1)",
    ("SELECT 3 = ANY('{{1,2},{3,4}}'::int[]), '{{1,2},{3,4}}'::int[] @> array[4], "
    "'{{1,2},{3,4}}'::int[] = '{1,2,3,4}'::int[], '{{1,2},{3,4}}'::int[] > '{1,2,3,4}'::int[]"),
    "SELECT '{{\"a b\",NULL},{\"\",c}}'::text[], '{{{1},{2}},{{3},{4}}}'::int[]",
    "SELECT 1 HAVING false", "SELECT 1 HAVING true", "SELECT count(*) FROM (VALUES (1), (2)) v(x) HAVING count(*) > 0",
    "SELECT 1 FROM (VALUES (1), (2)) v(x) HAVING true", "SELECT x FROM (VALUES (1), (2)) v(x) HAVING true",
    "WITH x AS (SELECT 1), x AS (SELECT 2) SELECT * FROM x",
    ("SELECT 'a' < 'B' COLLATE \"C\", 'a' < 'B' COLLATE \"POSIX\", 'a' < 'B' COLLATE \"default\", "
    "'a' < 'B' COLLATE \"C.utf8\", 'a' < 'B' COLLATE \"ucs_basic\""),
    "SELECT 'a' < 'b' COLLATE \"no_such\"", "SELECT 'a' < 'b' COLLATE \"en_US\"", "SELECT 1 COLLATE \"C\"",
    "SELECT nullif(a, array[3]) FROM (VALUES (array[1,2]), (array[3]), (NULL)) v(a)",
    "SELECT 'NaN'::numeric, 'Infinity'::numeric, '-inf'::numeric, 'NaN'::numeric + 1, 'inf'::numeric * -2",
    "SELECT x FROM (VALUES ('NaN'::numeric), (1.5), ('-inf'), ('inf'), (NULL), (-2)) v(x) ORDER BY x",
    "SELECT x FROM (VALUES ('NaN'::numeric), (1.5), ('-inf'), ('inf'), (-2)) v(x) ORDER BY x DESC",
    "SELECT sum(x), avg(x), min(x), max(x), count(x) FROM (VALUES ('NaN'::numeric), (1.5)) v(x)",
    "SELECT sum(x), min(x), max(x) FROM (VALUES ('inf'::numeric), ('-inf'::numeric)) v(x)",
    "SELECT x, count(*) FROM (VALUES ('NaN'::numeric), ('NaN'), (1)) v(x) GROUP BY x ORDER BY x",
    ("SELECT 'NaN'::numeric = 'NaN'::numeric, 'NaN'::numeric > 'inf'::numeric, greatest('NaN'::numeric, 1), "
    "least('-inf'::numeric, 1), coalesce(NULL, 'NaN'::numeric)"),
    ("SELECT 'NaN'::numeric::float8, 'inf'::numeric::float4, 'NaN'::float8::numeric, 'inf'::numeric::text, "
    "'x' || 'NaN'::numeric, to_jsonb('NaN'::numeric)"),
    "SELECT 'NaN'::numeric::int", "SELECT 'inf'::numeric(10,2)", "SELECT 'Infinity'::numeric / 0",
    "SELECT abs('-inf'::numeric), sign('-inf'::numeric), round('NaN'::numeric, 2), ceil('inf'::numeric)",
    "SELECT CASE WHEN x > 1 THEN 'NaN'::numeric ELSE x END FROM (VALUES (1.5), (0.5)) v(x)",
    # json from records and whole rows; json operators as function arguments
    ("SELECT jsonb_array_elements(d -> 'b'), jsonb_typeof(d -> 'a'), lower(d ->> 'c') FROM "
     "(VALUES ('{\"a\": 1, \"b\": [1, 2], \"c\": \"X\"}'::jsonb)) v(d)"),
    ("SELECT to_json(row(1, 'a')), to_json(array[1, 2]), row_to_json(row(1, 'a')), to_jsonb(row(1, 'a')), "
     "to_json('x'::text)"),
    "SELECT row_to_json(row(1, 'a'), true)",
    "SELECT a, row_to_json(t), to_jsonb(t), to_json(t) FROM (VALUES (1, 'x'), (2, NULL)) t(a, b) ORDER BY a",
    "SELECT json_agg(t), jsonb_agg(t), count(t) FROM (VALUES (1, 'x'), (2, NULL)) t(a, b)",
    "SELECT json_agg(array[a]), json_agg(a) FROM (VALUES (1), (2)) t(a)",
    # LATERAL with an alias (subqueries and functions), VALUES with ORDER BY / LIMIT
    "SELECT d.x, e.y FROM (VALUES (1), (2)) d(x) CROSS JOIN LATERAL (SELECT d.x * 10 AS y) e ORDER BY 1",
    "SELECT d.x, g FROM (VALUES (1), (2)) d(x), LATERAL generate_series(1, d.x) g ORDER BY 1, 2",
    "SELECT d.x, g.n FROM (VALUES (1), (2)) d(x) CROSS JOIN LATERAL generate_series(1, d.x) AS g(n) ORDER BY 1, 2",
    ("SELECT d.x, s.m FROM (VALUES (1), (2)) d(x) LEFT JOIN LATERAL "
     "(SELECT max(y) AS m FROM (VALUES (1, 5), (1, 7)) t(k, y) WHERE t.k = d.x) s ON true ORDER BY 1"),
    ("SELECT d.x, s.y FROM (VALUES (1), (2)) d(x) JOIN LATERAL "
     "(SELECT y FROM (VALUES (1, 5), (1, 7), (2, 1)) t(k, y) WHERE t.k = d.x ORDER BY y DESC LIMIT 1) s ON true ORDER BY 1"),
    "VALUES (1, 'a'), (2, 'b') ORDER BY 1 DESC", "VALUES (3), (1), (2) ORDER BY 1 LIMIT 2",
    "SELECT array_prepend(0, ARRAY[1, 2]), array_append(ARRAY[1], 2)",
    r"SELECT U&'\0041b', U&'d\0061t\+000061', U&'d!0061t' UESCAPE '!', U&'\D83D\DE00'", r"SELECT U&'\zzzz'",
]


_PLANNER_GAPS = {
    "ARRAY[1.5, 2.25]": "HeliosDB keeps one numeric scale per array, PostgreSQL one per value",
}


def _param(expr: str):
    for needle, reason in _PLANNER_GAPS.items():
        if needle in expr:
            return pytest.param(expr, marks=pytest.mark.xfail(reason=reason, strict=False))
    return expr



@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])
@pytest.mark.parametrize("expr", [_param(e) for e in ZONE_EXPRESSIONS])
def test_timezone_expression_agrees(systems, zone, expr):
    pg, hx = systems
    for system in (pg, hx):
        out = system.run(f"SET TIME ZONE '{zone}'")
        assert out.sqlstate is None, out.detail
    sql = f"SELECT {expr}"
    p, h = pg.run(sql), hx.run(sql)
    assert agree(sql, p, h), f"TimeZone {zone}: " + describe(0, sql, p, h)


@pytest.mark.parametrize("expr", [_param(e) for e in VALUE_EXPRESSIONS])
def test_value_expression_agrees(systems, expr):
    pg, hx = systems
    for system in (pg, hx):
        system.run("SET TIME ZONE 'UTC'")
    sql = f"SELECT {expr}"
    p, h = pg.run(sql), hx.run(sql)
    assert agree(sql, p, h), describe(0, sql, p, h)


@pytest.mark.parametrize("sql", STATEMENTS)
def test_statement_agrees(systems, sql):
    pg, hx = systems
    p, h = pg.run(sql), hx.run(sql)
    assert agree(sql, p, h), describe(0, sql, p, h)
