"""DateStyle: the SQL, Postgres and German output styles of date, timestamp and timestamptz.

ISO is the default and is produced vectorized by text_out; a session that sets another style
(drivers read the DateStyle it reports and parse accordingly) gets the ISO text re-laid here,
per row in Python. As in PostgreSQL the field order (MDY/DMY) only matters to SQL and Postgres;
German is always day.month.year; with a time zone these styles show the zone's abbreviation
instead of a numeric offset.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import pyarrow as pa

_ISO = re.compile(r"^(\d{4,})-(\d\d)-(\d\d)(?: (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d(?::\d\d){0,2})?)?( BC)?$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


def split(datestyle: str) -> tuple[str, str]:
    """'SQL, DMY' -> ('SQL', 'DMY')."""
    style, _, order = datestyle.partition(",")
    return style.strip() or "ISO", order.strip() or "MDY"


def _day_of_week(year: int, month: int, day: int) -> str:
    """Proleptic Gregorian weekday (year is astronomical: 1 BC is 0)."""
    a = (14 - month) // 12
    y = year + 4800 - a
    m = month + 12 * a - 3
    jd = day + (153 * m + 2) // 5 + 365 * y + y // 4 - y // 100 + y // 400 - 32045
    return _DAYS[(jd + 1) % 7]


def restyle_one(iso: str, style: str, order: str, zone: str | None = None) -> str:
    """One ISO-formatted value in another style; ``zone`` replaces a numeric offset."""
    m = _ISO.match(iso)
    if m is None:
        return iso  # infinity and the like print the same in every style
    year, month, day, clock, _offset, bc = m.groups()
    dmy = order == "DMY"
    if style == "German":
        date = f"{day}.{month}.{year}"
    elif style == "SQL":
        date = f"{day}/{month}/{year}" if dmy else f"{month}/{day}/{year}"
    elif clock is None:  # Postgres style, a date
        date = f"{day}-{month}-{year}" if dmy else f"{month}-{day}-{year}"
    else:  # Postgres style, a timestamp: 'Sun Jan 02 03:04:05 2000'
        astro = 1 - int(year) if bc else int(year)
        mon = _MONTHS[int(month) - 1]
        head = f"{_day_of_week(astro, int(month), int(day))} " + (f"{day} {mon}" if dmy else f"{mon} {day}")
        out = f"{head} {clock} {year}"
        return out + (f" {zone}" if zone else "") + (bc or "")
    if clock is None:
        return date + (bc or "")
    return f"{date} {clock}" + (f" {zone}" if zone else "") + (bc or "")


def restyle(iso: pa.Array, datestyle: str, zones: Sequence[str | None] | None = None) -> pa.Array:
    """ISO text of dates/timestamps in the session's DateStyle (unchanged for ISO)."""
    style, order = split(datestyle)
    if style == "ISO":
        return iso
    values = iso.to_pylist()
    zones = zones if zones is not None else [None] * len(values)
    return pa.array([None if v is None else restyle_one(v, style, order, z) for v, z in zip(values, zones,
                                                                                           strict=True)],
                    pa.string())


def zone_abbreviations(utc_micros: pa.Array, zone: dt.tzinfo) -> list[str | None]:
    """The zone's abbreviation at each instant ('CET', 'CEST', 'UTC'), as the styles print it."""
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    out: list[str | None] = []
    for us in utc_micros.to_pylist():
        if us is None:
            out.append(None)
            continue
        try:
            out.append((epoch + dt.timedelta(microseconds=us)).astimezone(zone).tzname())
        except OverflowError:
            out.append(None)
    return out
