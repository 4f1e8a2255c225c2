"""to_char(timestamp, template): PostgreSQL's date/time template patterns (YYYY, Month, IW, TH ...).

A value is broken down from its microseconds with the proleptic Gregorian arithmetic of
far_dates, so BC years and years past 9999 format as PostgreSQL formats them (Python's datetime
stops at years 1 and 9999). Years follow PostgreSQL's conventions: ``YYYY`` of 97 BC is 0097 with
``BC`` beside it, ``CC`` counts centuries down before year 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs

from helios_core.sql import far_dates

US_PER_DAY = far_dates.US_PER_DAY
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


@attrs.frozen
class Moment:
    """One wall-clock instant broken down: astronomical year (0 is 1 BC), ISO week fields, day counts."""

    days: int  # since 1970-01-01
    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    microsecond: int

    @classmethod
    def of(cls, micros: int) -> Moment:
        days, tod = divmod(micros, US_PER_DAY)
        year, month, day = far_dates.civil_from_days(days)
        secs, usec = divmod(tod, 1_000_000)
        return cls(days, year, month, day, secs // 3600, secs // 60 % 60, secs % 60, usec)

    @property
    def weekday(self) -> int:
        """Monday 0 .. Sunday 6 (1970-01-01 was a Thursday)."""
        return (self.days + 3) % 7

    @property
    def yday(self) -> int:
        return self.days - far_dates.days_from_civil(self.year, 1, 1) + 1

    @property
    def iso(self) -> tuple[int, int, int]:
        """(ISO year, ISO week, ISO weekday 1..7): the week belongs to the year of its Thursday."""
        thursday = self.days + 3 - self.weekday
        iso_year = far_dates.civil_from_days(thursday)[0]
        week = (thursday - far_dates.days_from_civil(iso_year, 1, 1)) // 7 + 1
        return iso_year, week, self.weekday + 1

    def python(self) -> dt.datetime:
        """The nearest datetime Python holds (for a zone's abbreviation at this instant)."""
        return dt.datetime(min(max(self.year, 1), 9999), self.month, min(self.day, 28), self.hour, self.minute)


def _bc_year(year: int) -> int:
    """PostgreSQL's ADJUST_YEAR: 1 BC (astronomical 0) shows as 1."""
    return year if year > 0 else 1 - year


def _padded(n: int, width: int, fm: bool) -> str:
    if fm:
        return str(n)
    return f"{n:0{width}d}" if n >= 0 else "-" + f"{-n:0{width}d}"


def _ordinal(number_text: str, upper: bool) -> str:
    """The TH/th suffix of a number (1st, 2nd, 3rd, 11th ...)."""
    digits = number_text.strip().lstrip("-")
    if not digits.isdigit():
        return ""
    n = int(digits)
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return suffix.upper() if upper else suffix


def _cased(word: str, token: str) -> str:
    """A month or day name in the case its token asks for: MONTH, Month, month."""
    if token.isupper():
        return word.upper()
    if token[0].isupper():
        return word
    return word.lower()


def _fields(m: Moment, fm: bool, zone: Callable[[], tuple[str, int]]) -> dict[str, Callable[[], str]]:
    """Each numeric or word token's text for one moment (zone() gives the abbreviation and offset)."""
    year = _bc_year(m.year)
    iso_year, iso_week, iso_dow = m.iso
    iso_shown = _bc_year(iso_year)
    h12 = m.hour % 12 or 12
    pm = m.hour >= 12
    century = (m.year - 1) // 100 + 1 if m.year > 0 else -(abs(m.year) // 100) - 1

    def offset_text() -> str:
        off = zone()[1]
        text = f"{'-' if off < 0 else '+'}{abs(off) // 3600:02d}"
        return text + (f":{abs(off) % 3600 // 60:02d}" if abs(off) % 3600 else "")

    return {
        "Y,YYY": lambda: f"{year // 1000},{year % 1000:03d}",
        "YYYY": lambda: _padded(year, 4, fm), "YYY": lambda: _padded(year % 1000, 3, fm),
        "YY": lambda: _padded(year % 100, 2, fm), "Y": lambda: str(year % 10),
        "IYYY": lambda: _padded(iso_shown, 4, fm), "IYY": lambda: _padded(iso_shown % 1000, 3, fm),
        "IY": lambda: _padded(iso_shown % 100, 2, fm), "I": lambda: str(iso_shown % 10),
        "BC": lambda: "BC" if m.year <= 0 else "AD", "AD": lambda: "BC" if m.year <= 0 else "AD",
        "bc": lambda: "bc" if m.year <= 0 else "ad", "ad": lambda: "bc" if m.year <= 0 else "ad",
        "B.C.": lambda: "B.C." if m.year <= 0 else "A.D.", "A.D.": lambda: "B.C." if m.year <= 0 else "A.D.",
        "b.c.": lambda: "b.c." if m.year <= 0 else "a.d.", "a.d.": lambda: "b.c." if m.year <= 0 else "a.d.",
        "MM": lambda: _padded(m.month, 2, fm), "DD": lambda: _padded(m.day, 2, fm),
        "DDD": lambda: _padded(m.yday, 3, fm), "IDDD": lambda: _padded((iso_week - 1) * 7 + iso_dow, 3, fm),
        "D": lambda: str((m.weekday + 1) % 7 + 1), "ID": lambda: str(iso_dow),
        "HH24": lambda: _padded(m.hour, 2, fm), "HH12": lambda: _padded(h12, 2, fm), "HH": lambda: _padded(h12, 2, fm),
        "MI": lambda: _padded(m.minute, 2, fm), "SS": lambda: _padded(m.second, 2, fm),
        "MS": lambda: _padded(m.microsecond // 1000, 3, fm), "US": lambda: _padded(m.microsecond, 6, fm),
        **{f"FF{n}": (lambda n=n: f"{m.microsecond // 10 ** (6 - n):0{n}d}") for n in range(1, 7)},
        "SSSS": lambda: str(m.hour * 3600 + m.minute * 60 + m.second),
        "SSSSS": lambda: str(m.hour * 3600 + m.minute * 60 + m.second),
        "AM": lambda: "PM" if pm else "AM", "PM": lambda: "PM" if pm else "AM",
        "am": lambda: "pm" if pm else "am", "pm": lambda: "pm" if pm else "am",
        "A.M.": lambda: "P.M." if pm else "A.M.", "P.M.": lambda: "P.M." if pm else "A.M.",
        "a.m.": lambda: "p.m." if pm else "a.m.", "p.m.": lambda: "p.m." if pm else "a.m.",
        "Q": lambda: str((m.month - 1) // 3 + 1), "WW": lambda: _padded((m.yday - 1) // 7 + 1, 2, fm),
        "IW": lambda: _padded(iso_week, 2, fm), "W": lambda: str((m.day - 1) // 7 + 1),
        "CC": lambda: str(century) if fm or not -99 <= century <= 99 else f"{century:0{2 if century >= 0 else 3}d}",
        "J": lambda: str(m.days + 2440588),
        "TZ": lambda: zone()[0], "tz": lambda: zone()[0].lower(), "OF": offset_text,
        "TZH": lambda: f"{'-' if zone()[1] < 0 else '+'}{abs(zone()[1]) // 3600:02d}",
        "TZM": lambda: f"{abs(zone()[1]) % 3600 // 60:02d}",
        "RM": lambda: _ROMAN[m.month - 1] if fm else _ROMAN[m.month - 1].ljust(4),
        "rm": lambda: (_ROMAN[m.month - 1] if fm else _ROMAN[m.month - 1].ljust(4)).lower(),
    }


# words whose case is the token's own (Month/MONTH/month)
_WORD_TOKENS = ["MONTH", "Month", "month", "MON", "Mon", "mon", "DAY", "Day", "day", "DY", "Dy", "dy"]
# the others are written all upper or all lower case (the lower case of a word token is its own)
_NUMERIC_TOKENS = ["Y,YYY", "YYYY", "YYY", "YY", "Y", "IYYY", "IYY", "IY", "I", "IDDD", "DDD", "DD", "D", "ID",
                   "HH24", "HH12", "HH", "MI", "SSSSS", "SSSS", "SS", "MS", "US", "FF1", "FF2", "FF3", "FF4",
                   "FF5", "FF6", "Q", "WW", "IW", "W", "CC", "J", "MM", "TZH", "TZM", "OF"]
_CASED_TOKENS = ["A.M.", "P.M.", "a.m.", "p.m.", "AM", "PM", "am", "pm", "B.C.", "A.D.", "b.c.", "a.d.", "BC",
                 "AD", "bc", "ad", "TZ", "tz", "RM", "rm"]
_TOKENS = sorted({*_WORD_TOKENS, *_CASED_TOKENS, *_NUMERIC_TOKENS, *(t.lower() for t in _NUMERIC_TOKENS)},
                 key=len, reverse=True)


def _token_at(fmt: str, i: int) -> str | None:
    """The template pattern at fmt[i] (the longest), as its key in _fields or _WORD_TOKENS."""
    tok = next((t for t in _TOKENS if fmt.startswith(t, i)), None)
    if tok is None or tok in _WORD_TOKENS or tok in _CASED_TOKENS:
        return tok
    return tok.upper()


def format_moment(micros: int, fmt: str, zone: Callable[[], tuple[str, int]]) -> str:
    """One wall-clock value (microseconds since 1970) through a to_char template."""
    m = Moment.of(micros)
    fields: dict[bool, dict[str, Callable[[], str]]] = {}
    out: list[str] = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == '"':  # quoted text, with \" for a quote inside
            i += 1
            while i < len(fmt) and fmt[i] != '"':
                if fmt[i] == "\\" and i + 1 < len(fmt):
                    i += 1
                out.append(fmt[i])
                i += 1
            i += 1
            continue
        if c == "\\" and i + 1 < len(fmt) and fmt[i + 1] == '"':
            out.append('"')
            i += 2
            continue
        fm = False
        while fmt.startswith(("FM", "fm", "Fm", "fM"), i) or fmt.startswith(("FX", "fx"), i):
            fm = fm or fmt[i:i + 2].upper() == "FM"
            i += 2
        tok = _token_at(fmt, i)
        if tok is None:
            out.append(fmt[i] if i < len(fmt) else "")
            i += 1
            continue
        i += len(tok)
        if tok in _WORD_TOKENS:
            names = MONTHS if tok.upper().startswith("MON") else WEEKDAYS
            word = names[m.month - 1] if names is MONTHS else names[m.weekday]
            if tok.upper() in ("MON", "DY"):
                word = word[:3]
            elif not fm:
                word = word.ljust(9)
            out.append(_cased(word, tok))
            continue
        if fm not in fields:
            fields[fm] = _fields(m, fm, zone)
        text = fields[fm][tok]()
        if fmt.startswith(("TH", "th"), i) and tok in _NUMERIC_TOKENS:
            text += _ordinal(text, fmt[i] == "T")
            i += 2
        out.append(text)
    return "".join(out)
