"""PostgreSQL's date/time input grammar: a string cut into fields, each field decided by its shape
and by what the fields before it already gave.

PostgreSQL does not match date/time input against fixed patterns: it splits the text into
numbers, times (``17:32:01``), dates (``1997-02-10``, ``10-feb-1997``), words and signed
offsets, then decides what each number is from its length and from which of year, month, day
and time are already known, under the DateStyle field order (MDY, DMY or YMD). Words are month
and weekday names, AM/PM, AD/BC, the special values (now, today, tomorrow, yesterday, epoch,
allballs), ``t`` (an ISO time follows), ``j`` (a Julian day follows) and time zones: the
abbreviations of PostgreSQL's default set, full zone names and POSIX zones such as ``gmt+8``.
So ``Feb 10 17:32:01 1997 PST``, ``19970210 173201 -0800``, ``1997.041 17:32:01 UTC``,
``20011227T040506.789+08`` and ``J2451187 04:05-08:00`` all read as PostgreSQL reads them.

``decode`` returns the fields (year astronomical: 1 BC is 0) and the zone; the caller turns
them into a value of its type. Errors carry PostgreSQL's messages and SQLSTATEs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from helios_core.errors import HeliosError

# what a field was recognised as (PostgreSQL's DTK_* field types)
NUMBER, STRING, DATE, TIME, TZ, SPECIAL = "number", "string", "date", "time", "tz", "special"

# which parts of the value are known (PostgreSQL's field masks)
YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, DOY, ZONE, AMPM_M, ADBC_M, DOW_M, DTZMOD_M = (1 << i for i in range(12))
DATE_M = YEAR | MONTH | DAY
TIME_M = HOUR | MINUTE | SECOND

MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                          "nov", "dec"))}
MONTHS.update({"january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7, "august": 8,
               "september": 9, "sept": 9, "october": 10, "november": 11, "december": 12})
WEEKDAYS = {"sun": 0, "mon": 1, "tue": 2, "tues": 2, "wed": 3, "wednesday": 3, "thu": 4, "thur": 4, "thurs": 4,
            "fri": 5, "sat": 6, "sunday": 0, "monday": 1, "tuesday": 2, "thursday": 4, "friday": 5, "saturday": 6}
# the words of PostgreSQL's own token table (not time zones)
RESERVED = {"now", "today", "tomorrow", "yesterday", "epoch", "allballs", "infinity", "-infinity", "z", "zulu"}
UNIT_WORDS = {"j": "julian", "jd": "julian", "julian": "julian", "t": "isotime", "on": "ignore", "at": "ignore",
              "am": "ampm", "a.m.": "ampm", "pm": "ampm", "p.m.": "ampm", "ad": "adbc", "bc": "adbc", "dst": "dtzmod"}

# PostgreSQL's default time zone abbreviations: (offset east in seconds, daylight time), or the
# zone whose offset at the moment decides (its "dynamic" abbreviations)
ABBREVIATIONS: dict[str, tuple[int, bool] | str] = {
    "acdt": (37800, True), "acst": (34200, False), "adt": (-10800, True), "aedt": (39600, True),
    "aest": (36000, False), "akdt": (-28800, True), "akst": (-32400, False), "ast": (-14400, False),
    "awst": (28800, False), "bst": (3600, True), "cdt": (-18000, True), "cest": (7200, True),
    "cet": (3600, False), "cetdst": (7200, True), "cst": (-21600, False), "eat": (10800, False),
    "edt": (-14400, True), "eest": (10800, True), "eet": (7200, False), "eetdst": (10800, True),
    "est": (-18000, False), "gmt": (0, False), "hkt": (28800, False), "hst": (-36000, False),
    "idt": (10800, True), "ist": (7200, False), "jst": (32400, False), "kst": (32400, False),
    "mdt": (-21600, True), "mest": (7200, True), "met": (3600, False), "metdst": (7200, True),
    "mez": (3600, False), "msd": (14400, True), "msk": "Europe/Moscow", "mst": (-25200, False),
    "ndt": (-9000, True), "nst": (-12600, False), "nzdt": (46800, True), "nzst": (43200, False),
    "pdt": (-25200, True), "pst": (-28800, False), "sast": (7200, False), "uct": (0, False),
    "ut": (0, False), "utc": (0, False), "wet": (0, False), "west": (3600, True), "z": (0, False),
    "zulu": (0, False),
}

_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class BadFormat(Exception):
    """The text is not a date/time PostgreSQL would read (22007)."""


class FieldOverflow(Exception):
    """A field is out of its range (22008); ``datestyle_hint`` when the field order may be wrong."""

    def __init__(self, datestyle_hint: bool = False) -> None:
        super().__init__()
        self.datestyle_hint = datestyle_hint


class ZoneDisplacement(Exception):
    """A numeric zone offset past 15:59:59 (22009)."""


@attrs.define
class Decoded:
    year: int = 0
    month: int = 1
    day: int = 1
    hour: int = 0
    minute: int = 0
    second: int = 0
    micros: int = 0
    offset: int | None = None  # seconds east of UTC written in the text
    zone: Any = None  # a tzinfo (zone name or dynamic abbreviation) to resolve at the local time
    special: str | None = None  # now | epoch | infinity | -infinity
    fields: int = 0  # which of the masks above the text gave


def tokenize(text: str) -> list[tuple[str, str]]:
    """PostgreSQL's ParseDateTime: (kind, lower-cased text) of each field."""
    out: list[tuple[str, str]] = []
    s = text
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c.isspace():
            i += 1
            continue
        start = i
        if c.isdigit():
            while i < n and s[i].isdigit():
                i += 1
            if i < n and s[i] == ":":
                while i < n and (s[i].isdigit() or s[i] in ":."):
                    i += 1
                out.append((TIME, s[start:i].lower()))
            elif i < n and s[i] in "-/.":
                delim = s[i]
                i += 1
                if i < n and s[i].isdigit():
                    kind = NUMBER if delim == "." else DATE
                    while i < n and s[i].isdigit():
                        i += 1
                    if i < n and s[i] == delim:
                        kind = DATE
                        while i < n and (s[i].isdigit() or s[i] == delim):
                            i += 1
                else:
                    kind = DATE
                    while i < n and (s[i].isalnum() or s[i] == delim):
                        i += 1
                out.append((kind, s[start:i].lower()))
            else:
                out.append((NUMBER, s[start:i]))
        elif c == ".":
            i += 1
            while i < n and s[i].isdigit():
                i += 1
            out.append((NUMBER, s[start:i]))
        elif c.isalpha():
            while i < n and s[i].isalpha():
                i += 1
            word = s[start:i].lower()
            is_date = i < n and s[i] in "-/."
            if not is_date and i < n and (s[i] == "+" or s[i].isdigit()):
                is_date = word not in RESERVED and word not in UNIT_WORDS and word not in MONTHS \
                    and word not in WEEKDAYS
            if is_date:
                while i < n and (s[i] in "+-/_.:" or s[i].isalnum()):
                    i += 1
                out.append((DATE, s[start:i].lower()))
            else:
                out.append((STRING, word))
        elif c in "+-":
            i += 1
            while i < n and s[i].isspace():
                i += 1
            if i < n and s[i].isdigit():
                body = i
                while i < n and (s[i].isdigit() or s[i] in ":.-"):
                    i += 1
                out.append((TZ, c + s[body:i]))
            elif i < n and s[i].isalpha():
                body = i
                while i < n and s[i].isalpha():
                    i += 1
                out.append((SPECIAL, c + s[body:i].lower()))
            else:
                raise BadFormat
        elif not c.isalnum() and c.isprintable():  # other punctuation separates fields
            i += 1
        else:
            raise BadFormat
    return out


def decode_offset(text: str) -> int:
    """A numeric zone ``+hh[:mm[:ss]]``, ``+hhmm``, ``+hhmmss`` as seconds east of UTC."""
    sign = -1 if text[0] == "-" else 1
    body = text[1:]
    if ":" in body:
        parts = body.split(":")
        if len(parts) > 3 or not all(p.isdigit() for p in parts):
            raise BadFormat
        hour, minute, sec = (int(p) for p in parts + ["0"] * (3 - len(parts)))
    elif body.isdigit():
        if len(body) <= 2:
            hour, minute, sec = int(body), 0, 0
        elif len(body) <= 4:
            hour, minute, sec = int(body[:-2]), int(body[-2:]), 0
        elif len(body) <= 6:
            hour, minute, sec = int(body[:-4]), int(body[-4:-2]), int(body[-2:])
        else:
            raise BadFormat
    else:
        raise BadFormat
    if hour > 15 or minute > 59 or sec > 59:
        raise ZoneDisplacement
    return sign * (hour * 3600 + minute * 60 + sec)


def _fraction_micros(frac: str) -> int:
    """'.789' -> 789000 (rounded to the microsecond as PostgreSQL's rint does)."""
    if frac in (".", ""):
        return 0
    if not frac[1:].isdigit():
        raise BadFormat
    return round(float(frac) * 1_000_000)


class _State:
    def __init__(self, order: str) -> None:
        self.d = Decoded()
        self.order = order  # MDY | DMY | YMD
        self.fmask = 0
        self.two_digit_year = False
        self.text_month = False
        self.doy: int | None = None

    def number(self, text: str, fmask: int) -> int:
        """PostgreSQL's DecodeNumber: one numeric field of a date (or a run-together time)."""
        d = self.d
        digits, dot, frac = text.partition(".")
        if not digits.isdigit():
            raise BadFormat
        flen = len(text)
        val = int(digits)
        if dot:
            if len(digits) > 2:
                return self.number_field(text, fmask | DATE_M)
            d.micros = _fraction_micros("." + frac)
        if flen == 3 and fmask & DATE_M == YEAR and 1 <= val <= 366:
            self.doy = val
            return DOY | MONTH | DAY
        known = fmask & DATE_M
        if known == 0:
            if flen >= 3 or self.order == "YMD":
                d.year, mask = val, YEAR
            elif self.order == "DMY":
                d.day, mask = val, DAY
            else:
                d.month, mask = val, MONTH
        elif known == YEAR:
            d.month, mask = val, MONTH
        elif known == MONTH:
            if self.text_month:
                if flen >= 3 or self.order == "YMD":
                    d.year, mask = val, YEAR
                else:
                    d.day, mask = val, DAY
            else:
                d.day, mask = val, DAY
        elif known == YEAR | MONTH:
            if self.text_month and flen >= 3 and self.two_digit_year:
                d.day, d.year, mask = d.year, val, DAY
                self.two_digit_year = False
            else:
                d.day, mask = val, DAY
        elif known == DAY:
            d.month, mask = val, MONTH
        elif known == MONTH | DAY:
            d.year, mask = val, YEAR
        elif known == DATE_M:
            return self.number_field(text, fmask)
        else:
            raise BadFormat
        if mask == YEAR:
            self.two_digit_year = flen <= 2
        return mask

    def number_field(self, text: str, fmask: int) -> int:
        """PostgreSQL's DecodeNumberField: run-together digits, yyyymmdd or hhmmss[.fff] or hhmm."""
        d = self.d
        digits, dot, frac = text.partition(".")
        if dot:
            d.micros = _fraction_micros("." + frac)
        elif fmask & DATE_M != DATE_M and len(digits) >= 6:
            d.day, d.month, d.year = int(digits[-2:]), int(digits[-4:-2]), int(digits[:-4])
            if len(digits) - 4 == 2:
                self.two_digit_year = True
            return DATE_M
        if fmask & TIME_M != TIME_M:
            if len(digits) == 6:
                d.hour, d.minute, d.second = int(digits[:2]), int(digits[2:4]), int(digits[4:])
                return TIME_M
            if len(digits) == 4:
                d.hour, d.minute, d.second = int(digits[:2]), int(digits[2:]), 0
                return TIME_M
        raise BadFormat

    def date(self, text: str, fmask: int) -> int:
        """PostgreSQL's DecodeDate: a field of separated parts, a month name among them or not."""
        parts: list[str] = []
        i, n = 0, len(text)
        while i < n:
            while i < n and not text[i].isalnum():
                i += 1
            if i >= n:
                raise BadFormat
            start = i
            if text[i].isdigit():
                while i < n and text[i].isdigit():
                    i += 1
            else:
                while i < n and text[i].isalpha():
                    i += 1
            parts.append(text[start:i])
            if i < n:
                i += 1
        tmask = 0
        numeric = []
        for p in parts:
            if p[:1].isalpha():
                if p not in MONTHS:
                    raise BadFormat
                if fmask & MONTH:
                    raise BadFormat
                self.d.month = MONTHS[p]
                self.text_month = True
                fmask |= MONTH
                tmask |= MONTH
            else:
                numeric.append(p)
        for p in numeric:
            mask = self.number(p, fmask)
            if fmask & mask:
                raise BadFormat
            fmask |= mask
            tmask |= mask
        if fmask & DATE_M != DATE_M:
            raise BadFormat
        return tmask

    def time(self, text: str) -> int:
        """hh:mm[:ss[.fff]] (PostgreSQL's DecodeTime, timestamp ranges)."""
        d = self.d
        parts = text.split(":")
        if len(parts) not in (2, 3) or not parts[0].isdigit() or not parts[1].isdigit():
            raise BadFormat
        d.hour, d.minute = int(parts[0]), int(parts[1])
        d.second, d.micros = 0, 0
        if len(parts) == 3:
            sec, dot, frac = parts[2].partition(".")
            if not sec.isdigit():
                raise BadFormat
            d.second = int(sec)
            if dot:
                d.micros = _fraction_micros("." + frac)
        elif "." in parts[1]:
            raise BadFormat
        if d.minute > 59 or d.second > 60 or d.micros > 1_000_000:
            raise FieldOverflow
        if d.hour > 24 or (d.hour == 24 and (d.minute or d.second or d.micros)):
            raise FieldOverflow
        return TIME_M


def decode(text: str, order: str, today: dt.date, want_zone: bool, zone_lookup: Any) -> Decoded:
    """PostgreSQL's DecodeDateTime over ``text`` (``order``: the DateStyle field order)."""
    fields = tokenize(text)
    if not fields:
        raise BadFormat
    st = _State(order)
    d = st.d
    ptype: str | None = None
    meridian: str | None = None
    bc = False
    julian = False
    for idx, (kind, f) in enumerate(fields):
        tmask = 0
        if kind == DATE:
            if ptype == "julian":
                raise BadFormat
            if ptype is not None or st.fmask & (MONTH | DAY) == MONTH | DAY:
                if not want_zone and not f[:1].isdigit():
                    raise BadFormat
                if f[:1].isdigit() or ptype is not None:
                    ptype = None
                    if st.fmask & TIME_M == TIME_M or "-" not in f:
                        raise BadFormat
                    head, _, tail = f.partition("-")
                    d.offset = decode_offset("-" + tail)
                    tmask = st.number_field(head, st.fmask) | ZONE
                else:
                    d.zone = zone_lookup(f)
                    if d.zone is None:
                        raise HeliosError(f'time zone "{f}" not recognized', sqlstate="22023")
                    tmask = ZONE
            else:
                tmask = st.date(f, st.fmask)
        elif kind == TIME:
            if ptype is not None:
                if ptype != "isotime":
                    raise BadFormat
                ptype = None
            tmask = st.time(f)
        elif kind == TZ:
            d.offset = decode_offset(f)
            tmask = ZONE
        elif kind == NUMBER:
            if ptype is not None:
                digits, dot, frac = f.partition(".")
                if not digits.isdigit() or (dot and ptype not in ("julian", "isotime")):
                    raise BadFormat
                if ptype == "julian":
                    d.year, d.month, d.day = julian_to_date(int(digits))
                    tmask = DATE_M
                    julian = True
                    if dot:
                        day_micros = round(float("0." + (frac or "0")) * 86_400_000_000)
                        d.hour, rest = divmod(day_micros, 3_600_000_000)
                        d.minute, rest = divmod(rest, 60_000_000)
                        d.second, d.micros = divmod(rest, 1_000_000)
                        tmask |= TIME_M
                else:
                    tmask = st.number_field(f, st.fmask | DATE_M)
                    if tmask != TIME_M:
                        raise BadFormat
                ptype = None
            else:
                dot = "." in f
                if dot and not st.fmask & DATE_M:
                    tmask = st.date(f, st.fmask)
                elif (dot and f.index(".") > 2) or (len(f) >= 6 and (not st.fmask & DATE_M
                                                                       or not st.fmask & TIME_M)):
                    tmask = st.number_field(f, st.fmask)  # run-together yyyymmdd / hhmmss[.fff]
                else:
                    tmask = st.number(f, st.fmask)
        else:  # STRING / SPECIAL
            abbrev = ABBREVIATIONS.get(f) if kind == STRING else None
            if abbrev is not None:
                if not want_zone:
                    tmask = ZONE
                elif isinstance(abbrev, str):
                    d.zone = zone_lookup(abbrev)
                    tmask = ZONE
                else:
                    d.offset = abbrev[0]
                    tmask = ZONE
            elif f in ("now",):
                d.special = "now"
                tmask = DATE_M | TIME_M | ZONE
            elif f in ("today", "tomorrow", "yesterday"):
                day = today + dt.timedelta(days={"today": 0, "tomorrow": 1, "yesterday": -1}[f])
                d.year, d.month, d.day = day.year, day.month, day.day
                tmask = DATE_M
            elif f == "allballs":
                d.hour = d.minute = d.second = d.micros = 0
                d.offset = 0
                tmask = TIME_M | ZONE
            elif f in ("epoch", "infinity", "-infinity", "+infinity"):
                d.special = f.lstrip("+")
                tmask = 0
            elif f in MONTHS:
                tmask = MONTH
                if st.fmask & MONTH and not st.text_month and not st.fmask & DAY and 1 <= d.month <= 31:
                    d.day = d.month
                    tmask = DAY
                st.text_month = True
                d.month = MONTHS[f]
            elif f in WEEKDAYS:
                tmask = DOW_M
            elif f in UNIT_WORDS:
                what = UNIT_WORDS[f]
                if what == "ignore":
                    continue
                if what == "ampm":
                    meridian = f[0]
                    tmask = AMPM_M
                elif what == "adbc":
                    bc = f == "bc"
                    tmask = ADBC_M
                elif what == "julian":
                    ptype = "julian"
                elif what == "isotime":
                    if st.fmask & DATE_M != DATE_M or idx + 1 >= len(fields) or \
                            fields[idx + 1][0] not in (NUMBER, TIME, DATE):
                        raise BadFormat
                    ptype = "isotime"
                else:  # dst after a standard-time abbreviation
                    if d.offset is None:
                        raise BadFormat
                    d.offset += 3600
                    tmask = DTZMOD_M
            elif want_zone:
                d.zone = zone_lookup(f)
                if d.zone is None:
                    raise BadFormat
                tmask = ZONE
            else:
                raise BadFormat
        if tmask & st.fmask:
            raise BadFormat
        st.fmask |= tmask
    if d.special is not None:
        return d  # now, epoch, infinity: the caller's value whatever else the fields said
    _validate(st, bc, julian)
    if meridian is not None:
        if d.hour > 12:
            raise FieldOverflow
        if meridian == "a" and d.hour == 12:
            d.hour = 0
        elif meridian == "p" and d.hour != 12:
            d.hour += 12
    d.fields = st.fmask
    if st.fmask & DATE_M != DATE_M:
        raise BadFormat
    return d


def _validate(st: _State, bc: bool, julian: bool) -> None:
    """PostgreSQL's ValidateDate: BC and two-digit years, day of year, month and day ranges."""
    d, fmask = st.d, st.fmask
    if fmask & YEAR and not julian:
        if bc:
            if d.year <= 0:
                raise FieldOverflow
            d.year = -(d.year - 1)
        elif st.two_digit_year:
            if d.year < 70:
                d.year += 2000
            elif d.year < 100:
                d.year += 1900
        elif d.year <= 0:
            raise FieldOverflow
    if st.doy is not None:
        d.year, d.month, d.day = julian_to_date(date_to_julian(d.year, 1, 1) + st.doy - 1)
    if fmask & MONTH and not 1 <= d.month <= 12:
        raise FieldOverflow(datestyle_hint=True)
    if fmask & DAY and not 1 <= d.day <= 31:
        raise FieldOverflow(datestyle_hint=True)
    if fmask & DATE_M == DATE_M:
        leap = d.year % 4 == 0 and (d.year % 100 != 0 or d.year % 400 == 0)
        if d.day > _DAYS_IN_MONTH[d.month - 1] + (1 if leap and d.month == 2 else 0):
            raise FieldOverflow


def date_to_julian(year: int, month: int, day: int) -> int:
    """Julian day number of a proleptic Gregorian date (astronomical year)."""
    shift = (14 - month) // 12
    y = year + 4800 - shift
    m = month + 12 * shift - 3
    return day + (153 * m + 2) // 5 + 365 * y + y // 4 - y // 100 + y // 400 - 32045


def julian_to_date(jd: int) -> tuple[int, int, int]:
    """The proleptic Gregorian (year, month, day) of a Julian day number."""
    a = jd + 32044
    b = (4 * a + 3) // 146097
    c = a - 146097 * b // 4
    d = (4 * c + 3) // 1461
    e = c - 1461 * d // 4
    m = (5 * e + 2) // 153
    return 100 * b + d - 4800 + m // 10, m + 3 - 12 * (m // 10), e - (153 * m + 2) // 5 + 1


def error_for(exc: Exception, text: str, type_name: str) -> HeliosError:
    """The error PostgreSQL reports for a date/time input it cannot take."""
    if isinstance(exc, ZoneDisplacement):
        return HeliosError(f'time zone displacement out of range: "{text}"', sqlstate="22009")
    if isinstance(exc, FieldOverflow):
        return HeliosError(f'date/time field value out of range: "{text}"', sqlstate="22008",
                           hint='Perhaps you need a different "datestyle" setting.' if exc.datestyle_hint else None)
    return HeliosError(f'invalid input syntax for type {type_name}: "{text}"', sqlstate="22007")
