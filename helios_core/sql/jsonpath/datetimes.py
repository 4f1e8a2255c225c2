"""``.datetime()`` of jsonpath: strings parsed into date/time items, printed and compared as
PostgreSQL 15 does.

Without a template the ISO forms PostgreSQL tries are tried in its order; with one, the
template is read in the SQL/JSON ("std") mode of to_timestamp: fields YYYY, MM, DD, HH24,
HH12/HH, MI, SS, MS, US, FF1-FF6, TZH, TZM, AM/PM, quoted text and separators, and the kinds
of field present choose the type (date, time, timetz, timestamp, timestamptz). Comparing
values of types that need the session time zone to be compared is refused unless the
``_tz`` functions are used.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from helios_core.errors import HeliosError
from helios_core.sql.functions import runtime
from helios_core.sql.functions.text_out import session_tz_info
from helios_core.sql.jsonpath.failures import PathError

DATE, TIME, TIMETZ, TIMESTAMP, TIMESTAMPTZ = ("date", "time without time zone", "time with time zone",
                                              "timestamp without time zone", "timestamp with time zone")
_SHORT = {DATE: "date", TIME: "time", TIMETZ: "timetz", TIMESTAMP: "timestamp", TIMESTAMPTZ: "timestamptz"}


@attrs.frozen
class DateTime:
    """A datetime item: ``value`` is a date, time or naive datetime (the wall clock as written),
    ``offset`` the UTC offset in seconds east for timetz/timestamptz."""

    type_name: str
    value: Any
    offset: int | None = None

    def to_json_text(self) -> str:
        """The string a datetime item becomes in jsonb (ISO 8601 with 'T', the offset kept)."""
        if self.type_name == DATE:
            return _date_text(self.value)
        if self.type_name in (TIME, TIMETZ):
            text = _time_text(self.value)
        else:
            text = _date_text(self.value.date()) + "T" + _time_text(self.value.time())
        if self.offset is not None:
            text += offset_text(self.offset)
        return text


def _date_text(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def _time_text(t: dt.time) -> str:
    text = f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if t.microsecond:
        text += f".{t.microsecond:06d}".rstrip("0")
    return text


def offset_text(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    s = abs(seconds)
    text = f"{sign}{s // 3600:02d}:{s % 3600 // 60:02d}"
    if s % 60:
        text += f":{s % 60:02d}"
    return text


def _error(message: str, detail: str | None = None, hint: str | None = None, sqlstate: str = "22007") -> HeliosError:
    return PathError(message, sqlstate=sqlstate, detail=detail, hint=hint)


# ------------------------------------------------------------------------------------ templates

_ISO_FORMATS = (
    "yyyy-mm-dd",
    "HH24:MI:SS.USTZH:TZM", "HH24:MI:SS.USTZH", "HH24:MI:SSTZH:TZM", "HH24:MI:SSTZH",
    "HH24:MI:SS.US", "HH24:MI:SS",
    "yyyy-mm-dd HH24:MI:SS.USTZH:TZM", "yyyy-mm-dd HH24:MI:SS.USTZH", "yyyy-mm-dd HH24:MI:SSTZH:TZM",
    "yyyy-mm-dd HH24:MI:SSTZH",
    'yyyy-mm-dd"T"HH24:MI:SS.USTZH:TZM', 'yyyy-mm-dd"T"HH24:MI:SS.USTZH', 'yyyy-mm-dd"T"HH24:MI:SSTZH:TZM',
    'yyyy-mm-dd"T"HH24:MI:SSTZH',
    "yyyy-mm-dd HH24:MI:SS.US", "yyyy-mm-dd HH24:MI:SS",
    'yyyy-mm-dd"T"HH24:MI:SS.US', 'yyyy-mm-dd"T"HH24:MI:SS',
)
# field -> (maximum digits, kind); longest names first so that HH24 wins over HH
_FIELDS = {"YYYY": (4, "date"), "HH24": (2, "time"), "HH12": (2, "time"), "FF1": (1, "time"),
           "FF2": (2, "time"), "FF3": (3, "time"), "FF4": (4, "time"), "FF5": (5, "time"), "FF6": (6, "time"),
           "YYY": (3, "date"), "TZH": (2, "tz"), "TZM": (2, "tz"), "MS": (3, "time"), "US": (6, "time"),
           "YY": (2, "date"), "MM": (2, "date"), "DD": (2, "date"), "HH": (2, "time"), "MI": (2, "time"),
           "SS": (2, "time"), "AM": (2, "time"), "PM": (2, "time"), "A.M.": (4, "time"), "P.M.": (4, "time"),
           "Y": (1, "date")}
_FIELD_NAMES = sorted(_FIELDS, key=len, reverse=True)
_SEPARATORS = set("-./,';: ")


def _compile(template: str) -> list[tuple[str, str]]:
    """The template as nodes: ('field', NAME), ('sep', char), ('text', literal)."""
    nodes: list[tuple[str, str]] = []
    i = 0
    while i < len(template):
        c = template[i]
        if c == '"':
            j = i + 1
            lit = []
            while j < len(template) and template[j] != '"':
                if template[j] == "\\" and j + 1 < len(template):
                    j += 1
                lit.append(template[j])
                j += 1
            nodes.extend(("text", ch) for ch in lit)
            i = j + 1
            continue
        name = next((f for f in _FIELD_NAMES if template[i:i + len(f)].upper() == f), None)
        if name is not None:
            nodes.append(("field", name))
            i += len(name)
            continue
        if c in _SEPARATORS:
            nodes.append(("sep", c))
            i += 1
            continue
        raise _error(f'invalid datetime format separator: "{c}"')
    return nodes


def _parse_with(text: str, template: str) -> DateTime:
    nodes = _compile(template)
    kinds = {_FIELDS[v][1] for k, v in nodes if k == "field"}
    values: dict[str, Any] = {}
    pos = 0
    for idx, (kind, val) in enumerate(nodes):
        if kind in ("sep", "text"):
            if pos >= len(text):
                raise _error("input string is too short for datetime format")
            if kind == "text" and text[pos] != val:
                raise _error(f'unmatched format character "{val}"')
            if kind == "sep" and text[pos] != val and not (text[pos] in _SEPARATORS and val in _SEPARATORS):
                raise _error(f'unmatched format separator "{val}"')
            pos += 1
            continue
        if pos >= len(text):
            raise _error("input string is too short for datetime format")
        if val in ("AM", "PM", "A.M.", "P.M."):
            word = text[pos:pos + len(val)].upper()
            if word not in ("AM", "PM", "A.M.", "P.M."):
                raise _error(f'invalid value "{text[pos:pos + len(val)]}" for "{val}"',
                             detail="The given value did not match any of the allowed values for this field.")
            values["pm"] = word.startswith("P")
            pos += len(val)
            continue
        width, _ = _FIELDS[val]
        sign = 1
        if val == "TZH" and pos < len(text) and text[pos] in "+- ":
            sign = -1 if text[pos] == "-" else 1
            pos += 1
        while pos < len(text) and text[pos] == " ":  # to_timestamp skips spaces before a number
            pos += 1
        start = pos
        nxt = nodes[idx + 1] if idx + 1 < len(nodes) else None
        limit = len(text) if (nxt is not None and nxt[0] == "sep" and val in ("YYYY", "Y")) else pos + width
        if val == "TZH" and pos < len(text) and text[pos] in "+-":
            if text[pos] == "-":
                sign = -sign
            pos += 1
            start = pos
        while pos < min(limit, len(text)) and text[pos].isdigit():
            pos += 1
        if pos == start:
            bad = text[start:start + width]
            raise _error(f'invalid value "{bad}" for "{val}"', detail="Value must be an integer.")
        digits = text[start:pos]
        number = int(digits)
        if val in ("MS", "US") or val.startswith("FF"):
            number = int(digits.ljust(6 if val != "MS" else 3, "0")) * (1000 if val == "MS" else 1)
            values["us"] = number
        elif val == "TZH":
            values["tzh"] = sign * number
            values["tzsign"] = sign
        else:
            values[val] = number
    if pos < len(text):
        raise _error("trailing characters remain in input string after datetime format")
    return _build(values, kinds)


def _build(values: dict[str, Any], kinds: set[str]) -> DateTime:
    has_date, has_time, has_tz = "date" in kinds, "time" in kinds, "tz" in kinds
    year = values.get("YYYY", values.get("YYY", values.get("YY", values.get("Y", 1))))
    if "YY" in values:
        year = year + (2000 if year < 70 else 1900)
    hour = values.get("HH24", values.get("HH12", values.get("HH", 0)))
    if "pm" in values:
        hour = hour % 12 + (12 if values["pm"] else 0)
    try:
        date = dt.date(year, values.get("MM", 1), values.get("DD", 1)) if has_date else None
        time = dt.time(hour, values.get("MI", 0), values.get("SS", 0), values.get("us", 0)) if has_time or not \
            has_date else None
    except ValueError:
        raise _error("date/time field value out of range", sqlstate="22008") from None
    offset = None
    if has_tz:
        sign = values.get("tzsign", 1)
        offset = values.get("tzh", 0) * 3600 + sign * values.get("TZM", 0) * 60
    if date is not None and (has_time or has_tz):
        stamp = dt.datetime.combine(date, time or dt.time())
        return DateTime(TIMESTAMPTZ if has_tz else TIMESTAMP, stamp, offset)
    if date is not None:
        return DateTime(DATE, date)
    return DateTime(TIMETZ if has_tz else TIME, time, offset)


def parse(text: str, template: str | None, use_tz: bool) -> DateTime:
    """``"text".datetime(template)``: the datetime item (PathError when it does not parse)."""
    if template is not None:
        return _parse_with(text, template)
    for fmt in _ISO_FORMATS:
        try:
            return _parse_with(text, fmt)
        except PathError:
            continue
    raise _error(f'datetime format is not recognized: "{text}"', sqlstate="22031",
                 hint="Use a datetime template argument to specify the input data format.")


# ----------------------------------------------------------------------------------- comparison

def _session_offset(at: dt.datetime) -> int:
    tz = session_tz_info(runtime.timezone())
    off = tz.utcoffset(at)
    return int(off.total_seconds()) if off is not None else 0


def _need_tz(src: str, dst: str, use_tz: bool) -> None:
    if not use_tz:
        raise HeliosError(f"cannot convert value from {_SHORT[src]} to {_SHORT[dst]} without time zone usage",
                          sqlstate="22023", hint="Use *_tz() function for time zone support.")


def _utc(v: DateTime, use_tz: bool) -> dt.datetime:
    """A date/timestamp/timestamptz as a UTC instant (dates and timestamps in the session zone)."""
    if v.type_name == TIMESTAMPTZ:
        return v.value - dt.timedelta(seconds=v.offset or 0)
    stamp = v.value if v.type_name == TIMESTAMP else dt.datetime.combine(v.value, dt.time())
    _need_tz(v.type_name, TIMESTAMPTZ, use_tz)
    return stamp - dt.timedelta(seconds=_session_offset(stamp))


def _timetz_key(v: DateTime, use_tz: bool) -> tuple[float, int]:
    if v.type_name == TIME:
        _need_tz(TIME, TIMETZ, use_tz)
        offset = _session_offset(dt.datetime.now())
    else:
        offset = v.offset or 0
    t = v.value
    secs = t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6
    return secs - offset, -offset


def compare(a: DateTime, b: DateTime, use_tz: bool) -> int | None:
    """-1/0/1, or None when the two types cannot be compared (date with time, ...)."""
    ta, tb = a.type_name, b.type_name
    times = (TIME, TIMETZ)
    if (ta in times) != (tb in times):
        return None
    if ta in times:
        if ta == tb == TIME:
            x, y = a.value, b.value
        else:
            x, y = _timetz_key(a, use_tz), _timetz_key(b, use_tz)
        return (x > y) - (x < y)
    if TIMESTAMPTZ not in (ta, tb):
        x = a.value if ta == TIMESTAMP else dt.datetime.combine(a.value, dt.time())
        y = b.value if tb == TIMESTAMP else dt.datetime.combine(b.value, dt.time())
        return (x > y) - (x < y)
    x, y = _utc(a, use_tz), _utc(b, use_tz)
    return (x > y) - (x < y)
