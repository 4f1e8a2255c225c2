"""Dates and timestamps outside the years 1..9999, and ±infinity, through psycopg.

PostgreSQL keeps BC dates, years past 9999 and 'infinity'; psycopg loads what Python can
hold and raises DataError naming the limit for the rest ("date too large"), in text and
binary. The expected values are PostgreSQL 15's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import psycopg
import pytest

from helios_core.testing import HeliosServer


@pytest.fixture
def conn(server: HeliosServer) -> Iterator[psycopg.Connection]:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        c.execute("set timezone to 'UTC'")
        yield c


def test_text_forms(conn: psycopg.Connection) -> None:
    row = conn.execute("select 'infinity'::date::text, '-infinity'::date::text, '10000-01-01'::date::text, "
                       "'1000-01-01 BC'::date::text, '10000-01-01 12:00+00'::timestamptz::text, "
                       "'1000-01-01 12:00:00.5 BC'::timestamp::text, '-infinity'::timestamptz::text").fetchone()
    assert row == ("infinity", "-infinity", "10000-01-01", "1000-01-01 BC", "10000-01-01 12:00:00+00",
                   "1000-01-01 12:00:00.5 BC", "-infinity")
    conn.execute("set datestyle = German, YMD")
    assert conn.execute("select '10000-01-02'::date::text, '1000-01-01 BC'::date::text").fetchone() == (
        "02.01.10000", "01.01.1000 BC")


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize(("value", "cast", "message"), [
    ("infinity", "date", "date too large"),
    ("-infinity", "date", "date too small"),
    ("10000-01-01", "date", "date too large"),
    ("1000-01-01 BC", "date", "date too small"),
    ("infinity", "timestamp", "timestamp too large"),
    ("1000-01-01 12:00+00 BC", "timestamptz", "timestamp too small"),
])
def test_values_python_cannot_hold(conn: psycopg.Connection, binary: bool, value: str, cast: str,
                                   message: str) -> None:
    cur = conn.cursor(binary=binary)
    cur.execute(f"select %s::{cast}", [value])
    with pytest.raises(psycopg.DataError, match=message):
        cur.fetchone()


def test_order_and_round_trip(conn: psycopg.Connection) -> None:
    conn.execute("drop table if exists ev")
    conn.execute("create table ev (id int, d date, ts timestamp)")
    conn.execute("insert into ev values (1, 'infinity', '2020-01-01'), (2, '2020-01-01', '-infinity'), "
                 "(3, '0044-03-15 BC', '10000-06-01 00:00')")
    assert conn.execute("select id from ev order by d").fetchall() == [(3,), (2,), (1,)]
    assert conn.execute("select id from ev where ts > '9999-12-31'").fetchall() == [(3,)]
    assert conn.execute("select d::text from ev where id = 3").fetchone() == ("0044-03-15 BC",)
    assert conn.execute("select d from ev where id = 2").fetchone() == (dt.date(2020, 1, 1),)


@pytest.mark.parametrize("text", ["5874898-01-01", "0000-01-01"])
def test_out_of_range_is_22008(conn: psycopg.Connection, text: str) -> None:
    with pytest.raises(psycopg.errors.DatetimeFieldOverflow):
        conn.execute(f"select '{text}'::date")


@pytest.mark.parametrize("binary", [False, True])
def test_timetz_keeps_its_offset(conn: psycopg.Connection, binary: bool) -> None:
    cur = conn.cursor(binary=binary)
    got = cur.execute("select '10:20:30.00004+02:30'::timetz, '00:00-12'::timetz").fetchone()
    assert got == (dt.time(10, 20, 30, 40, tzinfo=dt.timezone(dt.timedelta(hours=2, minutes=30))),
                   dt.time(0, 0, tzinfo=dt.timezone(dt.timedelta(hours=-12))))
    value = dt.time(3, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=-2)))
    assert cur.execute("select '03:04:05.000006-02:00'::timetz = %s, %s::text", [value, value]).fetchone() == (
        True, "03:04:05.000006-02")


def test_timetz_compares_in_utc_and_casts(conn: psycopg.Connection) -> None:
    row = conn.execute("select '10:00+02'::timetz = '08:00+00'::timetz, '10:00+02'::timetz < '09:00+00'::timetz, "
                       "'10:20:30+02'::timetz::time, '2020-01-01 10:00+00'::timestamptz::timetz::text, "
                       "extract(timezone_hour from '10:00-02:30'::timetz), "
                       "'10:20:30.123456+02'::timetz(2)::text").fetchone()
    assert row == (False, True, dt.time(10, 20, 30), "10:00:00+00", -2, "10:20:30.12+02")
    conn.execute("set timezone to 'America/New_York'")
    assert conn.execute("select '10:00'::timetz::text").fetchone() == ("10:00:00-05",)
    conn.execute("drop table if exists meetings")
    conn.execute("create table meetings (t timetz)")
    conn.execute("insert into meetings values ('10:00+02'), ('09:00+00'), ('07:30+00')")
    assert [r[0] for r in conn.execute("select t::text as s from meetings order by t").fetchall()] == [
        "07:30:00+00", "10:00:00+02", "09:00:00+00"]


def test_interval_and_timetz_precision(conn: psycopg.Connection) -> None:
    cur = conn.execute("select null::interval(2), null::timetz(2)")
    assert [(d.type_display, d.precision) for d in cur.description] == [("interval(2)", 2), ("timetz(2)", 2)]
    assert conn.execute("select '1 day 2 hours 3 min 4.5678 sec'::interval(2)::text, "
                        "'-4.5 sec'::interval(0)::text").fetchone() == ("1 day 02:03:04.57", "-00:00:05")
    conn.execute("drop table if exists iv")
    conn.execute("create table iv (a interval(1))")
    conn.execute("insert into iv values ('1.26 sec')")
    assert conn.execute("select a::text, format_type(atttypid, atttypmod) from iv, pg_attribute "
                        "where attrelid = 'iv'::regclass and attname = 'a'").fetchone() == ("00:00:01.3", "interval(1)")
