"""Scalar types and functions that applications use every day (timestamps' typmod rounding, numeric
typmods, bytea output, string and regex functions), compared with a live PostgreSQL 15: each
statement must give the same rows and type OIDs, or the same SQLSTATE."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("helios_difftest", Path(__file__).with_name("test_differential.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
describe = _mod.describe

SETUP = [
    "CREATE TABLE scalar_num (millions numeric(3, -6), thousands numeric(3, -3), millionths numeric(3, 6))",
    "INSERT INTO scalar_num VALUES (123456, 123, 0.000000123), (987654321, 987654, 0.000987654), (-654321, -654, NULL)",
    "CREATE TABLE scalar_ts (id int, d1 timestamp(2) without time zone, t2 time(1))",
    ("INSERT INTO scalar_ts VALUES (1, '-infinity', '12:00:00.05'), (2, 'infinity', '23:59:59.94'), "
     "(3, 'Feb 16 17:32:01.125 0097 BC', NULL), (4, '1990-01-01 00:00:00.005', NULL), "
     "(5, '1990-01-01 00:00:00.015', NULL), (6, '2001-01-01 00:00:00.005', NULL)"),
]

_INTERVALS = ", ".join(f"(interval '{v}')" for v in (
    "0", "1-2", "1 2:03:04", "-1 day 23 hours 45 min 12.34 sec", "1 day -1 hours", "-1 days +1 hours",
    "1 years 2 months -3 days 4 hours 5 minutes 6.789 seconds", "2:03:04.45679", "-0.000001 s",
    "-10 mons -3 days +03:55:06.70", "1 mon -1 sec", "-1 sec", "5 hours 1 sec"))

STATEMENTS = [
    # a common type keeps its typmod only when every input has it: an untyped literal beside a
    # varchar(3) makes the column varchar (no 22001 for the longer literal)
    "VALUES ('abc'::varchar(3), '0123456789'), ('0123456789'::varchar, 'abc'::varchar(3))",
    "SELECT x FROM (SELECT 'ab'::varchar(2) AS x UNION ALL SELECT 'abcd') s ORDER BY x",
    "SELECT coalesce('abcdef', 'ab'::varchar(2)), CASE WHEN true THEN 'abcdef' ELSE 'a'::char(1) END",
    # timestamp(p)/time(p): integer rounding, halves away from PostgreSQL's 2000-01-01, infinities kept
    "SELECT id, d1::text, t2::text FROM scalar_ts ORDER BY id",
    "SELECT '1990-01-01 00:00:00.005+00'::timestamptz(2)::text, '12:00:00.125'::time(2)::text",
    "SELECT 'infinity'::timestamp(0)::text, '-infinity'::timestamptz(3)::text",
    # IntervalStyle: every style of PostgreSQL's EncodeInterval, on intervals of mixed signs
    *[f"SET IntervalStyle TO {style}; SELECT v::text, (-v)::text FROM (VALUES {_INTERVALS}) t(v)"
      for style in ("postgres", "postgres_verbose", "sql_standard", "iso_8601")],
    "SET IntervalStyle TO 'nonesuch'",
    # bytea_output escape, and encode(..., 'escape') that keeps control characters
    "SET bytea_output TO escape; SELECT E'\\\\xde00be5c0a41'::bytea::text, encode('\\x1234007f80', 'escape')",
    "SET bytea_output TO 'octal'",
    # extract/date_part at ±infinity: ±Infinity for the unbounded fields, NULL for the others
    ("SELECT d::text, date_part('year', d), date_part('month', d), date_part('epoch', d), "
     "extract(epoch FROM d)::text, extract(day FROM d), extract(julian FROM d)::text, extract(isoyear FROM d)::text "
     "FROM (VALUES (timestamp 'infinity'), ('-infinity'), ('2020-02-29 12:00')) t(d)"),
    ("SELECT extract(year FROM date '-infinity')::text, date_part('decade', date 'infinity'), "
     "extract(dow FROM timestamptz 'infinity')"),
    "SELECT extract(hour FROM date 'infinity')",
    # BC years: no year 0 in year/isoyear/century/millennium; julian and epoch in exact integers
    ("SELECT f, date_part(f, d) FROM (VALUES ('year'), ('isoyear'), ('century'), ('millennium'), ('decade'), "
     "('julian'), ('epoch')) a(f), (VALUES (timestamp 'Feb 16 17:32:01 0097 BC'), (timestamp '0001-01-01 BC'), "
     "(timestamp '0100-12-31 BC'), (timestamp '0101-01-01 BC'), (timestamp '1000-01-01'), "
     "(timestamp '1969-12-31 12:00')) b(d)"),
    "SELECT extract(julian FROM timestamp '0097-02-16 17:32:01 BC')::text, extract(century FROM date '0100-01-01 BC')",
    # to_char templates: BC and far years, ISO fields, TH suffixes, quoted text; NULL at ±infinity
    *[f"SELECT d::text, to_char(d, '{fmt}') FROM (VALUES (timestamp 'Feb 16 17:32:01 0097 BC'), ('infinity'), "
      "('1997-02-10 17:32:01.5'), ('2001-12-31 00:00'), ('12000-01-03 23:59:59')) t(d)"
      for fmt in ("DAY Day day DY Dy dy MONTH Month month RM MON Mon mon FMMonth FMrm",
                  "Y,YYY YYYY YYY YY Y CC Q MM WW DDD DD D J",
                  "FMY,YYY FMYYYY FMYYY FMYY FMY FMCC FMQ FMMM FMWW FMDDD FMDD FMD FMJ",
                  "YYYYTH YYYYth Jth DDth FMDDTH", "YYYY A.D. YYYY a.d. YYYY bc HH:MI:SS P.M. HH12 am",
                  "IYYY IYY IY I IW IDDD ID", 'HH24--"text--MI"--SS SSSS MS US FF3')],
    "SELECT to_char(timestamptz '2020-06-01 12:00+00', 'YYYY-MM-DD HH24:MI TZH:TZM OF')",
    # AT TIME ZONE through transitions (a skipped time takes the offset before the jump, a repeated
    # one the offset after it) and with zone abbreviations (fixed ones and MSK, which follows its zone)
    ("SELECT (w::timestamp AT TIME ZONE z)::text FROM (VALUES ('2014-10-26 01:00:00', 'Europe/Moscow'), "
     "('2011-03-27 02:00:01', 'Europe/Moscow'), ('2020-11-01 01:30', 'America/New_York'), "
     "('2020-03-08 02:30', 'America/New_York'), ('2020-03-08 02:30', 'PST'), ('2011-03-27 01:00:00', 'MSK'), "
     "('2020-06-01 12:00', 'edt')) t(w, z) WHERE z = 'Europe/Moscow' ORDER BY 1"),
    *[f"SELECT ('{w}'::timestamp AT TIME ZONE '{z}')::text, (timestamptz '{w}+00' AT TIME ZONE '{z}')::text"
      for w, z in (("2020-11-01 01:30", "America/New_York"), ("2020-03-08 02:30", "America/New_York"),
                   ("2020-03-08 02:30", "PST"), ("2011-03-27 01:00:00", "MSK"), ("2011-03-26 22:00:00", "MSK"),
                   ("2020-06-01 12:00", "edt"))],
    "SET TIME ZONE 'America/New_York'; SELECT '2020-03-08 02:30'::timestamp::timestamptz::text",
    ("SELECT isfinite(d), isfinite(d::date), isfinite(d::timestamptz) FROM (VALUES (timestamp 'infinity'), "
     "('-infinity'), ('2020-01-01'), (NULL)) t(d)"),
    # regexp_replace's start/N forms, PostgreSQL's replacement escapes, regex options and errors
    ("SELECT regexp_replace('A PostgreSQL function', 'A|e|i|o|u', 'X', 1, 2), "
     "regexp_replace('A PostgreSQL function', 'a|e|i|o|u', 'X', 1, 0, 'i'), "
     "regexp_replace('A PostgreSQL function', 'A|e|i|o|u', 'X', 7, 0, 'i'), "
     "regexp_replace('A PostgreSQL function', 'a|e|i|o|u', 'X', 1, 1, 'g'), "
     "regexp_replace('A PostgreSQL function', 'a|e|i|o|u', 'X', 1, 9, 'i'), regexp_replace('abcb', 'b', 'X', 3), "
     "regexp_replace('foobarrbazz', E'(.)\\\\1', E'X\\\\Y\\\\1Z\\\\'), "
     "regexp_replace('abc', 'b', E'[\\\\&][\\\\\\\\][\\\\0]')"),
    "SELECT regexp_replace('A PostgreSQL function', 'a|e|i|o|u', 'X', -1, 0, 'i')",
    "SELECT regexp_replace('A PostgreSQL function', 'a|e|i|o|u', 'X', 1, -1, 'i')",
    "SELECT regexp_replace('A PostgreSQL function', 'a|e|i|o|u', 'X', '1')",
    ("SELECT regexp_like('a'||chr(10)||'d', 'a.d', 'n'), regexp_like('a'||chr(10)||'d', 'a.d'), "
     "regexp_like('abc', ' a . c ', 'x'), regexp_like('ABC', 'abc', 'ic'), regexp_like('a.c', 'a.c', 'q'), "
     "regexp_like('abc', 'a.c', 'q'), regexp_like('x'||chr(10)||'b', '^b', 'w'), regexp_like('x'||chr(10)||'b', '^b')"),
    "SELECT regexp_like('abc', 'a.c', 'g')",
    "SELECT regexp_split_to_array('thE QUick bROWn', 'e', 'g')",
    "SELECT regexp_split_to_array('thE QUick bROWn', 'e', 'zippy')",
    "SELECT regexp_matches('foobarbequebaz', '(barbeque')",
    "SELECT regexp_matches('foobarbequebaz', '(bar)(beque){2,1}')",
    ("SELECT regexp_split_to_array('the quick brown fox', '\\s*'), regexp_split_to_array('the quick', ''), "
     "regexp_split_to_array('thE QUick bROWn', 'e', 'i')"),
    "SELECT foo, length(foo) FROM regexp_split_to_table('the quick brown fox', '\\s*') AS foo",
    "SELECT foo FROM regexp_split_to_table('thE QUick bROWn', 'e', 'i') AS foo",
    # SUBSTRING(s SIMILAR p ESCAPE e) and its FROM ... FOR form; SIMILAR TO/LIKE with ESCAPE NULL or a long escape
    *[f"SELECT SUBSTRING('abcdefg' SIMILAR '{p}' ESCAPE '#')" for p in (
        'a#"(b_d)#"%', '#"(b_d)#"%', 'a#"%#"g', 'a*#"%#"g*', 'a|b#"%#"g', 'a#"%#"x|g', 'a#"%|ab#"g', 'a#"%g', 'a%g',
        'a*#"%#"g*#"x')],
    "SELECT SUBSTRING('abcdefg' FROM 'a#\"(b_d)#\"%' FOR '#'), SUBSTRING('abcdefg' SIMILAR '%' ESCAPE NULL)",
    "SELECT 'abcdefg' SIMILAR TO '_bcd%' ESCAPE NULL, 'abc' LIKE 'abc' ESCAPE NULL, 'a_c' LIKE 'a$__' ESCAPE '$'",
    "SELECT 'abcdefg' SIMILAR TO '_bcd#%' ESCAPE '##'",
    # wall times of a named zone across transitions, in a literal and in the session's zone
    ("SELECT '2014-10-26 01:00:00 Europe/Moscow'::timestamptz::text, '2011-03-27 02:00:01 Europe/Moscow'::timestamptz::text, "
     "'2020-11-01 01:30 America/New_York'::timestamptz::text"),
    "SET TIME ZONE 'America/New_York'; SELECT '2020-11-01 01:30'::timestamptz::text, '2020-03-08 02:30'::timestamptz::text",
    # make_timestamptz's zone: numeric offsets east of UTC, abbreviations, names, one per row
    ("SET TIME ZONE 'EST5EDT'; SELECT make_timestamptz(2010, 2, 27, 3, 45, 00, tz)::text, tz FROM (VALUES ('+1'), "
     "('+1:'), ('+1:0'), ('+100'), ('+1:00'), ('+01:00'), ('+10'), ('+1000'), ('+10:00:'), ('+10:00:1'), ('+10:00:10'), "
     "('EDT'), ('Europe/Moscow'), (NULL)) t(tz)"),
    "SELECT make_timestamptz(2014, 12, 10, 10, 10, 10, '+16')",
    "SET TIME ZONE 'UTC'",
    "SELECT to_timestamp('-Infinity'::float)::text, to_timestamp('Infinity'::float)::text, to_timestamp(1e9)::text",
    "SELECT to_timestamp('NaN'::float)",
    "SELECT to_timestamp(1e20)",
    # generate_series(numeric) refuses NaN and infinite bounds and steps
    *[f"SELECT * FROM generate_series({a}::numeric, {b}::numeric, {c}::numeric)" for a, b, c in (
        ("-100", "100", "'nan'"), ("'nan'", "100", "10"), ("0", "'nan'", "10"), ("'inf'", "'inf'", "10"),
        ("0", "'inf'", "10"), ("0", "'42'", "'-inf'"), ("0.1", "0.35", "0.1"))],
    # [NOT] [I]LIKE ANY/ALL (array of patterns), with NULL patterns and rows
    ("SELECT 'foo' LIKE ANY (array['%a', '%b']), 'foo' LIKE ALL (array['f%', '%o']), 'foo' NOT LIKE ANY (array['%a', '%b']), "
     "'foo' NOT LIKE ALL (array['%a', '%o']), 'foo' ILIKE ANY (array['%A', '%O']), 'foo' ILIKE ALL (array['F%', '%O']), "
     "'foo' LIKE ANY (array[NULL, 'f%']), 'foo' LIKE ANY (array[NULL, 'x%'])"),
    "SELECT x, x LIKE ANY ('{a%,%z}') FROM (VALUES ('abc'), ('xyz'), ('q'), (NULL)) t(x)",
    "SELECT v, v IS NULL FROM string_to_table('', '|') g(v)",
    "SELECT v, v IS NULL FROM string_to_table('a|b', '|') g(v)",
    # numeric scales below zero and past the precision (PostgreSQL 15)
    "SELECT millions, thousands, millionths, scale(millions) FROM scalar_num ORDER BY millions",
    ("SELECT 1234.5::numeric(6,-2), 0.000123::numeric(3,6), 0.0004567::numeric(3,6), 999499999::numeric(3,-6), "
     "format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'scalar_num'::regclass AND attname = 'millions'"),
    "INSERT INTO scalar_num (millions) VALUES (999500000)",
    "INSERT INTO scalar_num (millionths) VALUES (0.0009995)",
    "INSERT INTO scalar_num (millions) VALUES ('inf')",
    "SELECT 1::numeric(3, -1001)",
    "SELECT width_bucket(5, '{}'), width_bucket(5.5, '{1,5,6}'), width_bucket(2, ARRAY[1, 3])",
    "SELECT width_bucket(5, ARRAY[ARRAY[1, 2], ARRAY[3, 4]])",
    # make_date/make_timestamp with BC years, make_time's range and PostgreSQL's messages
    ("SELECT make_date(-44, 3, 15)::text, make_timestamp(-44, 3, 15, 12, 30, 15)::text, make_time(24, 0, 0)::text, "
     "make_date(2024, 2, 29)::text, make_timestamp(2014, 12, 28, 6, 30, 45.887)::text"),
    "SELECT make_date(0, 7, 15)", "SELECT make_date(2013, 2, 30)", "SELECT make_date(2013, 13, 1)",
    "SELECT make_time(10, 55, 100.1)", "SELECT make_time(24, 0, 2.1)", "SELECT make_time(25, 0, 5)",
    "SELECT extract(timezone_m FROM date '2020-08-11')", "SELECT extract(timezone_h FROM timestamptz '2020-08-11 00:00+00')",
    "SELECT date '5874897-12-31'::text, date '5874897-12-31' - date '1970-01-01', date '4714-11-24 BC'::text",
    "SELECT date '5874898-01-01'",
    "SELECT ARRAY[]",
    "SELECT ARRAY[]::int[], cardinality(ARRAY[]::text[]), ARRAY[]::int[] || ARRAY[1]",
    # casts between date and timestamps keep infinities; dates before 1970 round down
    ("SELECT date 'infinity'::timestamp::text, date '-infinity'::timestamptz::text, "
     "timestamp '-infinity'::date::text, timestamp '1969-12-31 23:00'::date::text, "
     "timestamptz 'infinity'::date::text"),
    # the unit of date_trunc and the origin of date_bin are expressions: a column of that name too
    ("SELECT str, date_trunc(str, ts)::text FROM (VALUES ('week'), ('day'), (NULL), ('hour')) u(str), "
     "(VALUES (timestamp '2020-02-29 15:44:17.71393')) t(ts) ORDER BY 1"),
    ("SELECT date_bin(i::interval, ts, origin)::text FROM (VALUES ('15 days'), ('2 hours')) i(i), "
     "(VALUES (timestamp '2020-02-11 15:44:17.71393')) t(ts), (VALUES (timestamp '2001-01-01')) origin(origin) "
     "ORDER BY 1"),
    "SELECT date_bin('200000000 days'::interval, '2024-02-01'::timestamp, '2024-01-01'::timestamp)",
    "SELECT date_bin('365000 days'::interval, '4400-01-01 BC'::timestamp, '4000-01-01 BC'::timestamp)",
    "SELECT date_bin('1 mon'::interval, timestamp 'infinity', timestamp '2001-01-01')::text",
    "SELECT date_bin('1 mon'::interval, timestamp '2020-01-01', timestamp '2001-01-01')",
    "SELECT date_bin('5 min'::interval, timestamptz '2020-02-01 01:01:01+00', timestamptz '2020-02-01 00:02:30+00')::text",
]

CLEANUP = ["DROP TABLE scalar_ts", "DROP TABLE scalar_num"]


@pytest.mark.parametrize("sql", STATEMENTS)
def test_scalar_types_agree(systems, sql):
    pg, hx = systems
    p, h = pg.run(sql), hx.run(sql)
    want = ("error", p.sqlstate) if p.sqlstate else ("ok", list(p.oids), p.rows)
    got = ("error", h.sqlstate) if h.sqlstate else ("ok", list(h.oids), h.rows)
    assert got == want, describe(0, sql, p, h)
