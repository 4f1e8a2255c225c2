"""Date/time input read by PostgreSQL's field grammar (sql/functions/datetime_decode.py): month
names, run-together digits, day of year, Julian days, ISO 'T', zone abbreviations, zone names,
POSIX zones and numeric offsets, and PostgreSQL's errors (22007, 22008, 22009, 22023).

The expected values were recorded from PostgreSQL 15.18 with DateStyle 'Postgres, MDY' and
TimeZone 'PST8PDT', as its regression files run."""
from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError

TIMESTAMPTZ = [
    ('Mon Feb 10 17:32:01 1997 PST', 'Mon Feb 10 17:32:01 1997 PST'),
    ('Feb 10 17:32:01 1997 -0800', 'Mon Feb 10 17:32:01 1997 PST'),
    ('19970210 173201 -0800', 'Mon Feb 10 17:32:01 1997 PST'),
    ('1997.041 17:32:01 UTC', 'Mon Feb 10 09:32:01 1997 PST'),
    ('19970210 173201 America/New_York', 'Mon Feb 10 14:32:01 1997 PST'),
    ('2000-03-15 08:14:01 GMT+8', 'Wed Mar 15 08:14:01 2000 PST'),
    ('2000-03-15 02:14:05 MST+7:00', 'Wed Mar 15 01:14:05 2000 PST'),
    ('Feb-10-1997 17:32:01 PST', 'Mon Feb 10 17:32:01 1997 PST'),
    ('1997/02/10 17:32:01-0800', 'Mon Feb 10 17:32:01 1997 PST'),
    ('20011227T040506.789+08', 'Wed Dec 26 12:05:06.789 2001 PST'),
    ('J2451187 04:05-08:00', 'Fri Jan 08 04:05:00 1999 PST'),
    ('12/27/2001 04:05:06.789-08', 'Thu Dec 27 04:05:06.789 2001 PST'),
    ('2001-12-27 04:05:06.789 PDT', 'Thu Dec 27 03:05:06.789 2001 PST'),
    ('Dec 31 17:32:01 1996', 'Tue Dec 31 17:32:01 1996 PST'),
    ('1997-06-10 18:32:01 PDT', 'Tue Jun 10 18:32:01 1997 PDT'),
    ('Feb 29 17:32:01 1996', 'Thu Feb 29 17:32:01 1996 PST'),
    ('Feb 16 17:32:01 1797', 'Thu Feb 16 17:32:01 1797 PST'),
    ('epoch', 'Wed Dec 31 16:00:00 1969 PST'),
    ('2001-01-01 allballs', 'Sun Dec 31 16:00:00 2000 PST'),
]
ERRORS = [
    ('97FEB10 5:32:01PM UTC', '22007'),
    ('Feb 29 17:32:01 1997', '22008'),
    ('19970710 173201 America/Does_not_exist', '22023'),
    ('Feb 16 17:32:01 -0097', '22009'),
    ('2', '22007'),
    ('1997-13-01', '22008'),
    ('Feb 10 17:32:01 1997 xyz', '22007'),
]
DATES = [
    ('January 8, 1999', '01-08-1999'),
    ('1999-01-08', '01-08-1999'),
    ('1/8/1999', '01-08-1999'),
    ('1/18/1999', '01-18-1999'),
    ('1999.008', '01-08-1999'),
    ('J2451187', '01-08-1999'),
    ('08-Jan-1999', '01-08-1999'),
    ('990108', '01-08-1999'),
]


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    s.execute("set datestyle = 'Postgres, MDY'")
    s.execute("set timezone = 'PST8PDT'")
    yield s
    s.close()


def _text(session, value: str, type_name: str) -> str:
    return session.execute(f"select '{value}'::{type_name}::text")[-1].rows()[0][0]


@pytest.mark.parametrize(("value", "want"), TIMESTAMPTZ)
def test_timestamptz_input(session, value, want):
    assert _text(session, value, "timestamptz") == want


@pytest.mark.parametrize(("value", "sqlstate"), ERRORS)
def test_timestamptz_input_errors(session, value, sqlstate):
    with pytest.raises(HeliosError) as err:
        _text(session, value, "timestamptz")
    assert err.value.sqlstate == sqlstate


@pytest.mark.parametrize(("value", "want"), DATES)
def test_date_input(session, value, want):
    assert _text(session, value, "date") == want


def test_timestamp_ignores_the_zone_and_names_its_type(session):
    assert _text(session, "Feb 10 17:32:01 1997 -0800", "timestamp") == "Mon Feb 10 17:32:01 1997"
    with pytest.raises(HeliosError) as err:
        _text(session, "Feb 10 17:32:01 1997 xyz", "timestamp")
    assert err.value.message == 'invalid input syntax for type timestamp: "Feb 10 17:32:01 1997 xyz"'


def test_zone_names_in_any_case():
    """PostgreSQL matches IANA zone names regardless of case and shows the database's spelling."""
    import helios_core

    s = helios_core.connect()
    s.execute("set timezone = 'UTC'")
    assert s.execute("select '2026-12-03 02:50:00 america/port-au-prince'::timestamptz::text, "
                     "'2024-01-01 10:00 AMERICA/NEW_YORK'::timestamptz::text")[0].rows() == [
        ("2026-12-03 07:50:00+00", "2024-01-01 15:00:00+00")]
    s.execute("set timezone = 'america/port-au-prince'")
    assert s.execute("show timezone")[0].rows() == [("America/Port-au-Prince",)]


TIMETZ = [  # a zone abbreviation after the time names its offset, as a numeric offset does
    ('11:00 BST', '11:00:00+01'),
    ('3:04 pm Z', '15:04:00+00'),
    ('20:00 cest', '20:00:00+02'),
    ('11:00 zulu', '11:00:00+00'),
]


@pytest.mark.parametrize(("value", "want"), TIMETZ)
def test_timetz_input(session, value, want):
    assert _text(session, value, "timetz") == want


def test_timetz_unknown_zone_is_refused(session):
    with pytest.raises(HeliosError) as err:
        _text(session, "11:00 foo", "timetz")
    assert err.value.sqlstate == "22007"
