"""Dates and timestamps outside Python's calendar: BC years, years past 9999, ±infinity.

PostgreSQL's dates run from 4713 BC to 5874897 AD and its timestamps to 294276 AD; both
have 'infinity' and '-infinity'. Arrow's date32 and timestamp[us] hold all of these (as days
and microseconds since 1970); Python's ``datetime`` stops at years 1 and 9999. This module
converts such values with the proleptic Gregorian calendar arithmetic PostgreSQL uses, and
names the sentinels: infinity is the type's largest value and -infinity its smallest, as in
PostgreSQL (DT_NOEND / DT_NOBEGIN).
"""

from __future__ import annotations

import re

DATE_INFINITY = 2**31 - 1
DATE_NEG_INFINITY = -(2**31)
TS_INFINITY = 2**63 - 1
TS_NEG_INFINITY = -(2**63)
US_PER_DAY = 86_400_000_000

# PostgreSQL's limits: Julian day 0 (4714-11-24 BC) to 5874897-12-31 for dates, and up to
# 294276-12-31 23:59:59.999999 for timestamps (days relative to 1970-01-01)
DATE_MIN_DAYS = -2440588
DATE_MAX_DAYS = 2145042905  # 5874897-12-31
TS_MIN_US = DATE_MIN_DAYS * US_PER_DAY
TS_MAX_US = 106751991 * US_PER_DAY - 1  # 294277-01-01 00:00:00 (exclusive)

_INFINITY_WORDS = {"infinity": 1, "+infinity": 1, "-infinity": -1}
_FAR_ISO = re.compile(r"^\s*(\d{1,7})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?)?"
                      r"\s*(z|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?)?\s*(bc|ad)?\s*$", re.IGNORECASE)


class OutOfRange(ValueError):
    """A date or timestamp PostgreSQL cannot represent (22008)."""


def infinity_sign(text: str) -> int:
    """+1 for 'infinity', -1 for '-infinity', 0 otherwise."""
    return _INFINITY_WORDS.get(text.strip().lower(), 0)


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (astronomical year: 1 BC is 0)."""
    if not 1 <= month <= 12 or not 1 <= day <= _month_days(year, month):
        raise ValueError("no such date")
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(days: int) -> tuple[int, int, int]:
    """(astronomical year, month, day) of days since 1970-01-01."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (month <= 2), month, day


def _month_days(year: int, month: int) -> int:
    if month == 2:
        return 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _offset_seconds(text: str) -> int:
    if text.lower() == "z":
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    h = int(digits[:2]) if len(digits) > 2 else int(digits)
    m = int(digits[2:4]) if len(digits) > 2 else 0
    s = int(digits[4:6]) if len(digits) > 4 else 0
    return sign * (h * 3600 + m * 60 + s)


def parse_far(text: str) -> tuple[int, int, int | None] | None:
    """ISO date/timestamp text with a year Python cannot hold ('10000-01-01', '1000-01-01 BC'):
    (days since 1970, microseconds into the day, UTC offset in seconds or None), or None when
    the text is not of that form."""
    m = _FAR_ISO.match(text)
    if m is None:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if (m.group(9) or "").lower() == "bc":
        year = 1 - year
    if year == 0 and (m.group(9) or "").lower() != "bc":
        raise ValueError("year 0 does not exist")  # 22008 "date/time field value out of range"
    days = days_from_civil(year, month, day)
    h, mi, s = int(m.group(4) or 0), int(m.group(5) or 0), int(m.group(6) or 0)
    frac = int((m.group(7) or ".0")[1:].ljust(6, "0"))
    if h > 24 or mi > 59 or s > 60:
        raise ValueError(text)
    offset = _offset_seconds(m.group(8)) if m.group(8) else None
    return days, ((h * 60 + mi) * 60 + s) * 1_000_000 + frac, offset


def check_date(days: int, text: str) -> int:
    if not DATE_MIN_DAYS <= days <= DATE_MAX_DAYS:
        raise OutOfRange(text)
    return days


def check_timestamp(micros: int, text: str) -> int:
    if not TS_MIN_US <= micros <= TS_MAX_US:
        raise OutOfRange(text)
    return micros


def date_iso(days: int) -> str:
    """PostgreSQL's ISO text of a date: '10000-01-01', '1000-01-01 BC', 'infinity'."""
    if days == DATE_INFINITY:
        return "infinity"
    if days == DATE_NEG_INFINITY:
        return "-infinity"
    year, month, day = civil_from_days(days)
    if year <= 0:
        return f"{1 - year:04d}-{month:02d}-{day:02d} BC"
    return f"{year:04d}-{month:02d}-{day:02d}"


def timestamp_iso(micros: int, offset_text: str = "") -> str:
    """PostgreSQL's ISO text of a timestamp (wall time) with an optional offset suffix."""
    if micros == TS_INFINITY:
        return "infinity"
    if micros == TS_NEG_INFINITY:
        return "-infinity"
    days, us = divmod(micros, US_PER_DAY)
    year, month, day = civil_from_days(days)
    secs, frac = divmod(us, 1_000_000)
    mins, s = divmod(secs, 60)
    h, mi = divmod(mins, 60)
    clock = f"{h:02d}:{mi:02d}:{s:02d}" + (f".{frac:06d}".rstrip("0") if frac else "")
    if year <= 0:
        return f"{1 - year:04d}-{month:02d}-{day:02d} {clock}{offset_text} BC"
    return f"{year:04d}-{month:02d}-{day:02d} {clock}{offset_text}"


def is_far_date(days: int) -> bool:
    """Outside the years 1..9999 that Python and Arrow's own formatting handle."""
    return not -719162 <= days <= 2932896


def is_far_timestamp(micros: int) -> bool:
    return not -719162 * US_PER_DAY <= micros < 2932897 * US_PER_DAY
