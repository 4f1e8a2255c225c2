"""PostgreSQL's interval input: the text of an interval literal to (months, days, microseconds).

PostgreSQL reads an interval literal in two passes, and so do we:

1. split the text into fields (numbers, ``h:m:s`` times, ``y-m`` dates, signed values, words),
   ignoring punctuation such as ``@``;
2. walk the fields from the right, so a unit word is seen before the number it qualifies
   (``'3 days 04:05'``: ``04:05`` is a time, ``days`` makes ``3`` a day count). A number with no
   unit takes the unit left of the field read before it (``'1 +02:03'``: one day) or, at the
   right end, the lowest field of the declared range (``INTERVAL '1 2' DAY TO HOUR``: hours).

Each unit may be given once (``'1 day 1 day'`` is an error). The fields accumulate in years,
months, days (32-bit) and microseconds (64-bit) with PostgreSQL's overflow rules: a field past
its range is 22015 "interval field value out of range", a total past the interval's is 22008
"interval out of range". When the simple syntax does not fit, ISO 8601 is tried (``P1Y2M``,
``P0002-10-15T10:30:20``, ``PT10:30``).

HeliosDB stores an interval as Arrow's month_day_nano, whose time part is int64 nanoseconds:
time parts beyond about 2,562,047 hours are refused (22008) where PostgreSQL's microseconds reach
a thousand times further.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from sqlglot import exp

from helios_core.errors import HeliosError
from helios_core.sql.functions import runtime

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
US_PER = {"hour": 3_600_000_000, "minute": 60_000_000, "second": 1_000_000, "millisecond": 1000,
          "microsecond": 1}
MAX_STORED_US = (2**63 - 1) // 1000  # the time part is kept in int64 nanoseconds

# Range masks of a typed interval (INTERVAL DAY TO MINUTE, ...), as bits of the fields it keeps.
YEAR, MONTH, DAY, HOUR, MINUTE, SECOND = (1 << n for n in range(6))
FULL_RANGE = YEAR | MONTH | DAY | HOUR | MINUTE | SECOND
FIELD_BITS = {"year": YEAR, "month": MONTH, "day": DAY, "hour": HOUR, "minute": MINUTE, "second": SECOND}

_UNITS = {
    "microsecond": ("us", "usec", "usecs", "useconds", "microsecon", "microsecond", "microseconds"),
    "millisecond": ("ms", "msec", "msecs", "mseconds", "millisecon", "millisecond", "milliseconds"),
    "second": ("s", "sec", "secs", "second", "seconds"),
    "minute": ("m", "min", "mins", "minute", "minutes"),
    "hour": ("h", "hr", "hrs", "hour", "hours"),
    "day": ("d", "day", "days"),
    "week": ("w", "week", "weeks"),
    "month": ("mon", "mons", "month", "months"),
    "year": ("y", "yr", "yrs", "year", "years"),
    "decade": ("dec", "decs", "decade", "decades"),
    "century": ("c", "cent", "century", "centuries"),
    "millennium": ("mil", "mils", "millennia", "millennium", "millenniums"),
}
UNIT_OF_WORD = {word: unit for unit, words in _UNITS.items() for word in words}

# What each unit occupies: a unit given twice, or a time over seconds given apart, is an error.
_SLOT = {"microsecond": 1 << 10, "millisecond": 1 << 11, "second": 1 << 12, "minute": 1 << 13,
         "hour": 1 << 14, "day": 1 << 15, "week": 1 << 16, "month": 1 << 17, "year": 1 << 18,
         "decade": 1 << 19, "century": 1 << 20, "millennium": 1 << 21}
_ALL_SECONDS = _SLOT["second"] | _SLOT["millisecond"] | _SLOT["microsecond"]
_TIME_SLOTS = _SLOT["hour"] | _SLOT["minute"] | _ALL_SECONDS
_YEARS_PER = {"year": 1, "decade": 10, "century": 100, "millennium": 1000}


class BadFormat(Exception):
    """The text is not an interval in this syntax."""


class FieldOverflow(Exception):
    """A field is past the range PostgreSQL keeps it in."""


class _Fields:
    """Years, months, days and microseconds as PostgreSQL accumulates them, range-checked."""

    def __init__(self) -> None:
        self.year = self.month = self.day = self.usec = 0

    def _add32(self, name: str, value: int) -> None:
        total = getattr(self, name) + value
        if not INT32[0] <= value <= INT32[1] or not INT32[0] <= total <= INT32[1]:
            raise FieldOverflow
        setattr(self, name, total)

    def add_years(self, value: int, scale: int) -> None:
        if not INT32[0] <= value * scale <= INT32[1]:
            raise FieldOverflow
        self._add32("year", value * scale)

    def add_months(self, value: int) -> None:
        self._add32("month", value)

    def add_days(self, value: int, scale: int = 1) -> None:
        if not INT32[0] <= value * scale <= INT32[1]:
            raise FieldOverflow
        self._add32("day", value * scale)

    def add_usec(self, value: int) -> None:
        total = self.usec + value
        if not INT64[0] <= value <= INT64[1] or not INT64[0] <= total <= INT64[1]:
            raise FieldOverflow
        self.usec = total

    def add_time(self, whole: int, frac: Decimal, scale: int) -> None:
        self.add_usec(whole * scale)
        self.add_frac_usec(frac, scale)

    def add_frac_usec(self, frac: Decimal, scale: int) -> None:
        if frac:
            self.add_usec(int((frac * scale).to_integral_value(ROUND_HALF_EVEN)))

    def add_frac_days(self, frac: Decimal, scale: int) -> None:
        if frac:
            days = frac * scale
            whole = int(days)
            self._add32("day", whole)
            self.add_frac_usec(days - whole, 86_400_000_000)

    def add_frac_years(self, frac: Decimal, scale: int) -> None:
        if frac:
            self._add32("month", int((frac * scale * 12).to_integral_value(ROUND_HALF_EVEN)))

    def negate(self) -> None:
        self.year, self.month, self.day, self.usec = -self.year, -self.month, -self.day, -self.usec


# ------------------------------------------------------------------------------------------ fields

_FIELD = re.compile(
    r"\s*(?:"
    r"(?P<time>\d+:[\d:.]*)"                      # 04:05:06.7
    r"|(?P<num>\d+(?:[-/.]\d*(?:[-/.][\d\-/.]*)?)?)"  # 3, 1.5, 1-2 (a year-month)
    r"|(?P<lead>\.\d*)"                           # .5
    r"|(?P<word>[a-z]+)"                          # units, 'ago'
    r"|(?P<signed>[+-]\s*\d[\d:.\-]*)"            # +02:03, -1, -1-2
    r"|(?P<punct>[^\sa-z0-9+\-])"                 # '@' and other punctuation: ignored
    r")")


def split_fields(text: str) -> list[tuple[str, str]]:
    """(kind, text) of each field of a simple-syntax interval literal, left to right."""
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.lower()
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _FIELD.match(text, pos)
        if m is None or m.end() == pos:
            raise BadFormat
        pos = m.end()
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "punct":
            continue
        if kind == "signed":
            value = re.sub(r"\s+", "", value)
        if kind == "lead":
            kind = "num"
        out.append((kind, value))
    return out


def _time_parts(text: str, range_mask: int) -> int:
    """Microseconds of an ``h:m[:s[.f]]`` field (``m:s.f`` when the minutes carry a fraction)."""
    m = re.fullmatch(r"(\d+):(\d+)(?:(\.\d*)|:(\d+)(\.\d*)?)?", text)
    if m is None:
        raise BadFormat
    hour, minute = int(m.group(1)), int(m.group(2))
    sec, frac = 0, Decimal(0)
    if m.group(3) is not None:  # mm:ss.fff is always minutes and seconds
        hour, minute, sec, frac = 0, hour, minute, _fraction(m.group(3))
    elif m.group(4) is not None:
        sec = int(m.group(4))
        frac = _fraction(m.group(5)) if m.group(5) else Decimal(0)
    elif range_mask == MINUTE | SECOND:  # INTERVAL '12:34' MINUTE TO SECOND
        hour, minute, sec = 0, hour, minute
    if hour > INT64[1] or minute > INT32[1] or sec > INT32[1]:
        raise FieldOverflow
    if minute > 59 or sec > 60:
        raise FieldOverflow
    usec = int((frac * 1_000_000).to_integral_value(ROUND_HALF_EVEN))
    total = hour * 3_600_000_000 + minute * 60_000_000 + sec * 1_000_000 + usec
    if total > INT64[1]:
        raise FieldOverflow
    return total


def _fraction(text: str) -> Decimal:
    return Decimal("0" + text) if text != "." else Decimal(0)


def _default_unit(range_mask: int) -> str:
    """The unit of a bare number at the right end, from the declared range (PostgreSQL's rule)."""
    if range_mask == YEAR:
        return "year"
    if range_mask in (MONTH, YEAR | MONTH):
        return "month"
    if range_mask == DAY:
        return "day"
    if range_mask in (HOUR, DAY | HOUR):
        return "hour"
    if range_mask in (MINUTE, HOUR | MINUTE, DAY | HOUR | MINUTE):
        return "minute"
    return "second"


def _number(text: str) -> tuple[int, Decimal, str]:
    """(whole, fraction with the number's sign, what follows) of a signed number field."""
    m = re.fullmatch(r"([+-]?)(\d*)(.*)", text)
    assert m is not None
    sign, digits, rest = m.groups()
    if not digits and not rest.startswith("."):
        raise BadFormat
    whole = int(digits or "0")
    if whole > INT64[1]:
        raise FieldOverflow
    frac = Decimal(0)
    if rest.startswith("."):
        if not re.fullmatch(r"\.\d*", rest):
            raise BadFormat
        frac, rest = _fraction(rest), ""
    if sign == "-":
        whole, frac = -whole, -frac
    return whole, frac, rest


def _sign_applies_to_all(fields: list[tuple[str, str]]) -> bool:
    """IntervalStyle sql_standard reads '-1 2:03:04' as all negative: a leading minus applies to
    every field when no other field carries a sign of its own (PostgreSQL's DecodeInterval)."""
    if runtime.intervalstyle() != "sql_standard" or not fields or not fields[0][1].startswith("-"):
        return False
    return not any(value[:1] in "+-" for kind, value in fields[1:] if kind != "word")


def decode_simple(text: str, range_mask: int) -> _Fields:
    fields = split_fields(text)
    all_negative = _sign_applies_to_all(fields)
    acc = _Fields()
    seen = 0
    unit: str | None = None  # the unit for the next number read (going right to left)
    ago = False
    for kind, value in reversed(fields):
        slots = 0
        if kind == "word":
            if value == "ago":
                ago = True
                continue
            if value not in UNIT_OF_WORD:
                raise BadFormat
            unit = UNIT_OF_WORD[value]
            continue
        if kind == "time" or (kind == "signed" and ":" in value):
            negative = value.startswith("-") or all_negative
            usec = _time_parts(value.lstrip("+-"), range_mask)
            acc.add_usec(-usec if negative else usec)
            slots = _TIME_SLOTS
            unit = "day"  # a number left of a time is a day count: '1 +02:03'
        else:
            if unit is None:
                unit = _default_unit(range_mask)
            whole, frac, rest = _number(value)
            if rest.startswith("-"):  # SQL year-month: '1-2', '-1-2'
                months = re.fullmatch(r"-(\d+)", rest)
                if months is None:
                    raise BadFormat
                extra = int(months.group(1))
                if extra >= 12:
                    raise FieldOverflow
                whole = whole * 12 + (-extra if value.startswith("-") else extra)
                frac, unit = Decimal(0), "month"
            elif rest:
                raise BadFormat
            if all_negative:
                whole, frac = -abs(whole), -abs(frac)
            slots = _apply(acc, unit, whole, frac)
            if unit == "hour":
                unit = "day"
        if slots & seen:
            raise BadFormat
        seen |= slots
    if not seen:
        raise BadFormat
    if ago:
        acc.negate()
    return acc


def _apply(acc: _Fields, unit: str, whole: int, frac: Decimal) -> int:
    """Add ``whole + frac`` of ``unit`` to acc; the slots it occupies."""
    if unit in US_PER:
        acc.add_time(whole, frac, US_PER[unit])
        return _ALL_SECONDS if unit == "second" and frac else _SLOT[unit]
    if unit == "day":
        acc.add_days(whole)
        acc.add_frac_usec(frac, 86_400_000_000)
    elif unit == "week":
        acc.add_days(whole, 7)
        acc.add_frac_days(frac, 7)
    elif unit == "month":
        acc.add_months(whole)
        acc.add_frac_days(frac, 30)
    else:
        acc.add_years(whole, _YEARS_PER[unit])
        acc.add_frac_years(frac, _YEARS_PER[unit])
    return _SLOT[unit]


# -------------------------------------------------------------------------------------- ISO 8601

_ISO_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?")


def _iso_number(text: str, pos: int) -> tuple[int, Decimal, int, int]:
    """(whole, fraction, digits of the integer part, end) of the number at pos."""
    m = _ISO_NUMBER.match(text, pos)
    if m is None:
        raise BadFormat
    try:
        value = Decimal(m.group(0))
    except InvalidOperation:
        raise BadFormat from None
    if abs(value) > Decimal("1e15") and "." in m.group(0) or abs(value) > INT64[1]:
        raise FieldOverflow
    whole = int(value)
    width = len(re.match(r"-?(\d*)", m.group(0)).group(1))  # type: ignore[union-attr]
    return whole, value - whole, width, m.end()


def decode_iso8601(text: str) -> _Fields:
    s = text.strip().lower()
    if not s.startswith("p") or len(s) == 1:
        raise BadFormat
    acc = _Fields()
    pos, in_date, have_field = 1, True, False
    while pos < len(s):
        if s[pos] == "t":
            in_date, have_field = False, False
            pos += 1
            continue
        whole, frac, width, pos = _iso_number(s, pos)
        unit = s[pos] if pos < len(s) else ""
        pos += 1
        if in_date:
            if unit == "y":
                acc.add_years(whole, 1)
                acc.add_frac_years(frac, 1)
            elif unit == "m":
                acc.add_months(whole)
                acc.add_frac_days(frac, 30)
            elif unit == "w":
                acc.add_days(whole, 7)
                acc.add_frac_days(frac, 7)
            elif unit == "d":
                acc.add_days(whole)
                acc.add_frac_usec(frac, 86_400_000_000)
            elif unit in ("t", "", "-"):
                if unit != "-" and width == 8 and not have_field:  # basic format YYYYMMDD
                    acc.add_years(whole // 10000 if whole >= 0 else -(-whole // 10000), 1)
                    acc.add_months(int(abs(whole) // 100 % 100) * (1 if whole >= 0 else -1))
                    acc.add_days(int(abs(whole) % 100) * (1 if whole >= 0 else -1))
                    acc.add_frac_usec(frac, 86_400_000_000)
                else:  # extended format YYYY-MM-DD
                    if have_field:
                        raise BadFormat
                    acc.add_years(whole, 1)
                    acc.add_frac_years(frac, 1)
                    if unit == "-":
                        whole, frac, _, pos = _iso_number(s, pos)
                        acc.add_months(whole)
                        acc.add_frac_days(frac, 30)
                        if pos < len(s) and s[pos] == "-":
                            whole, frac, _, pos = _iso_number(s, pos + 1)
                            acc.add_days(whole)
                            acc.add_frac_usec(frac, 86_400_000_000)
                        if pos < len(s) and s[pos] != "t":
                            raise BadFormat
                if pos >= len(s):
                    return acc
                if s[pos - 1] == "t" or (pos < len(s) and s[pos] == "t"):
                    if s[pos] == "t":
                        pos += 1
                    in_date, have_field = False, False
                    continue
                raise BadFormat
            else:
                raise BadFormat
        else:
            if unit in ("h", "m", "s"):
                acc.add_time(whole, frac, {"h": 3_600_000_000, "m": 60_000_000, "s": 1_000_000}[unit])
            elif unit in ("", ":"):
                if unit == "" and width == 6 and not have_field:  # basic format hhmmss
                    sign = 1 if whole >= 0 else -1
                    whole = abs(whole)
                    acc.add_time(sign * (whole // 10000), Decimal(0), 3_600_000_000)
                    acc.add_time(sign * (whole // 100 % 100), Decimal(0), 60_000_000)
                    acc.add_time(sign * (whole % 100), Decimal(0), 1_000_000)
                    acc.add_frac_usec(frac, 1_000_000)
                    return acc
                if have_field:
                    raise BadFormat
                acc.add_time(whole, frac, 3_600_000_000)
                if unit == "":
                    return acc
                whole, frac, _, pos = _iso_number(s, pos)
                acc.add_time(whole, frac, 60_000_000)
                if pos >= len(s):
                    return acc
                if s[pos] != ":":
                    raise BadFormat
                whole, frac, _, pos = _iso_number(s, pos + 1)
                acc.add_time(whole, frac, 1_000_000)
                if pos >= len(s):
                    return acc
                raise BadFormat
            else:
                raise BadFormat
        have_field = True
    return acc


# ------------------------------------------------------------------------------------- the door

def _restrict(months: int, days: int, usec: int, range_mask: int, precision: int | None) -> tuple[int, int, int]:
    """Drop the fields a typed interval does not keep; round seconds to the declared precision."""
    def trunc(value: int, unit: int) -> int:
        return (abs(value) // unit) * unit * (1 if value >= 0 else -1)

    if range_mask == YEAR:
        return trunc(months, 12), 0, 0
    if range_mask in (MONTH, YEAR | MONTH):
        return months, 0, 0
    if range_mask == DAY:
        return months, days, 0
    if range_mask in (HOUR, DAY | HOUR):
        return months, days, trunc(usec, 3_600_000_000)
    if range_mask in (MINUTE, HOUR | MINUTE, DAY | HOUR | MINUTE):
        return months, days, trunc(usec, 60_000_000)
    if precision is not None and precision < 6:
        scale = 10 ** (6 - precision)
        usec = ((abs(usec) + scale // 2) // scale) * scale * (1 if usec >= 0 else -1)
    return months, days, usec


def parse_interval_value(text: str, range_mask: int = FULL_RANGE,
                         precision: int | None = None) -> tuple[int, int, int]:
    """(months, days, microseconds) of an interval literal, or PostgreSQL's error for it."""
    try:
        try:
            acc = decode_simple(text, range_mask)
        except BadFormat:
            acc = decode_iso8601(text)
    except BadFormat:
        raise HeliosError(f'invalid input syntax for type interval: "{text}"', sqlstate="22007") from None
    except FieldOverflow:
        raise HeliosError(f'interval field value out of range: "{text}"', sqlstate="22015") from None
    months = acc.year * 12 + acc.month
    if not INT32[0] <= months <= INT32[1]:
        raise HeliosError("interval out of range", sqlstate="22008")
    months, days, usec = _restrict(months, acc.day, acc.usec, range_mask, precision)
    if abs(usec) > MAX_STORED_US:
        raise HeliosError("interval out of range", sqlstate="22008",
                          detail="HeliosDB keeps the time part of an interval within about 2562047 hours.")
    return months, days, usec


def range_of_names(first: str, last: str | None = None) -> int:
    """The range mask of ``INTERVAL first [TO last]`` (``DAY TO MINUTE`` = day, hour and minute)."""
    order = ["year", "month", "day", "hour", "minute", "second"]
    lo = order.index(first.lower())
    hi = order.index(last.lower()) if last else lo
    if hi < lo:
        raise BadFormat
    mask = 0
    for name in order[lo:hi + 1]:
        mask |= FIELD_BITS[name]
    return mask


def interval_qualifier(unit: exp.Expression | None) -> tuple[int, int | None] | None:
    """(range mask, seconds precision) of an interval literal's qualifier as sqlglot parses it
    (``YEAR``, ``DAY TO MINUTE``, ``SECOND(2)``, ``MINUTE TO SECOND(2)``); None when there is none
    or it is not one of SQL's six fields (then the unit is read as part of the text)."""
    if unit is None:
        return None

    def field(node: exp.Expression) -> tuple[str, int | None] | None:
        if isinstance(node, exp.Second):
            prec = node.this
            return "second", int(prec.this) if isinstance(prec, exp.Literal) else None
        name = node.name.lower() if isinstance(node, (exp.Var, exp.Identifier, exp.Column)) else ""
        return (name, None) if name in FIELD_BITS else None

    if isinstance(unit, exp.IntervalSpan):
        first, last = field(unit.this), field(unit.expression)
        if first is None or last is None or first[1] is not None:
            return None
        try:
            return range_of_names(first[0], last[0]), last[1]
        except BadFormat:
            raise HeliosError("invalid interval qualifier", sqlstate="42601") from None
    only = field(unit)
    return None if only is None else (range_of_names(only[0]), only[1])
