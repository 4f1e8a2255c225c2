"""Text input and output of the geometric types, as PostgreSQL 15 reads and prints them.

Input accepts every spelling PostgreSQL's ``pair_decode``/``path_decode`` accept: a point as
``(x,y)`` or ``x,y``; an lseg/box/path/polygon as its points with or without the enclosing
``[...]``/``(...)`` (``[...]`` only where a path may be open); a line as ``{A,B,C}`` or two points;
a circle as ``<(x,y),r>``, ``((x,y),r)``, ``(x,y),r`` or ``x,y,r``. Blanks may surround every
number and delimiter; numbers are float8 input (``NaN``, ``Infinity``, ``1e-5``). Errors are
22P02 ``invalid input syntax for type T: "<text>"`` and 22003 for a number out of float8's range.

Output prints every coordinate as float8 does: the shortest exact digits at
extra_float_digits >= 1 (the default), else ``%.{15+extra_float_digits}g``.
"""

from __future__ import annotations

import decimal
import math
import re

from helios_core.errors import HeliosError, InvalidTextRepresentation, NumericValueOutOfRange
from helios_core.sql.geometric.shapes import (
    Box,
    Circle,
    Line,
    LSeg,
    Path,
    Point,
    Polygon,
    box_of_corners,
    checked_line,
    line_of_points,
)

Shape = Point | LSeg | Line | Box | Path | Polygon | Circle

# what C's strtod reads as a decimal number, and the special words float8in accepts
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_HEX = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?")
_SPECIAL = re.compile(r"[+-]?(?:infinity|inf|nan)", re.IGNORECASE)


class _Reader:
    """A cursor over one input text; every failure names the type and the whole text."""

    def __init__(self, text: str, type_name: str) -> None:
        self.s = text
        self.i = 0
        self.type_name = type_name

    def bad(self) -> HeliosError:
        return InvalidTextRepresentation(f'invalid input syntax for type {self.type_name}: "{self.s}"')

    def skip_blanks(self) -> None:
        s, i = self.s, self.i
        while i < len(s) and s[i].isspace():
            i += 1
        self.i = i

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def take(self, ch: str) -> None:
        """The next character must be ``ch`` (PostgreSQL's ``*str++ != DELIM`` tests)."""
        if self.peek() != ch:
            raise self.bad()
        self.i += 1

    def number(self) -> float:
        """float8in_internal: blanks, a float8, blanks."""
        self.skip_blanks()
        m = _HEX.match(self.s, self.i) or _NUMBER.match(self.s, self.i) or _SPECIAL.match(self.s, self.i)
        if m is None:
            raise self.bad()
        text = m.group()
        value = float.fromhex(text) if m.re is _HEX else float(text)
        if m.re is _NUMBER and (math.isinf(value) or (value == 0.0 and re.search(r"[1-9]", text.split("e")[0]
                                                                                   .split("E")[0]))):
            raise NumericValueOutOfRange(f'"{text}" is out of range for type double precision')
        self.i = m.end()
        self.skip_blanks()
        return value

    def pair(self) -> Point:
        """pair_decode: ``(x,y)`` or ``x,y``, then blanks."""
        self.skip_blanks()
        delimited = self.peek() == "("
        if delimited:
            self.i += 1
        x = self.number()
        self.take(",")
        y = self.number()
        if delimited:
            self.take(")")
            self.skip_blanks()
        return Point(x, y)

    def points(self, count: int, may_be_open: bool) -> tuple[tuple[Point, ...], bool]:
        """path_decode: ``count`` pairs, maybe inside [...] (open) or (...); returns (points, is_open)."""
        self.skip_blanks()
        depth = 0
        is_open = self.peek() == "["
        if is_open:
            if not may_be_open:
                raise self.bad()
            depth += 1
            self.i += 1
        elif self.peek() == "(":
            j = self.i + 1
            while j < len(self.s) and self.s[j].isspace():
                j += 1
            # a second parenthesis opens the first point; a lone one encloses all the points
            if (j < len(self.s) and self.s[j] == "(") or self.s.rfind("(") == self.i:
                depth += 1
                self.i = j
        out = []
        for _ in range(count):
            out.append(self.pair())
            if self.peek() == ",":
                self.i += 1
        while depth > 0:
            if self.peek() == ")" or (self.peek() == "]" and is_open and depth == 1):
                depth -= 1
                self.i += 1
                self.skip_blanks()
            else:
                raise self.bad()
        return tuple(out), is_open

    def end(self) -> None:
        if self.i != len(self.s):
            raise self.bad()

    def pair_count(self) -> int:
        """pair_count: how many pairs the commas announce (an odd number of commas), else 22P02."""
        commas = self.s.count(",")
        if commas % 2 == 0:
            raise self.bad()
        return (commas + 1) // 2


def parse_point(text: str) -> Point:
    r = _Reader(text, "point")
    p = r.pair()
    r.end()
    return p


def parse_lseg(text: str) -> LSeg:
    r = _Reader(text, "lseg")
    pts, _ = r.points(2, True)
    r.end()
    return LSeg(*pts)


def parse_box(text: str) -> Box:
    r = _Reader(text, "box")
    pts, _ = r.points(2, False)
    r.end()
    return box_of_corners(*pts)


def parse_line(text: str) -> Line:
    r = _Reader(text, "line")
    r.skip_blanks()
    if r.peek() == "{":
        r.i += 1
        a = r.number()
        r.take(",")
        b = r.number()
        r.take(",")
        c = r.number()
        r.take("}")
        r.skip_blanks()
        r.end()
        return checked_line(a, b, c)
    pts, _ = r.points(2, True)
    r.end()
    return line_of_points(*pts, sqlstate="22P02")


def parse_path(text: str) -> Path:
    r = _Reader(text, "path")
    n = r.pair_count()
    r.skip_blanks()
    depth = 0
    if r.peek() == "(" and r.s.rfind("(") == r.i:  # a single leading parenthesis
        r.i += 1
        depth = 1
    pts, is_open = r.points(n, True)
    if depth:
        r.take(")")
        r.skip_blanks()
    r.end()
    return Path(not is_open, pts)


def parse_polygon(text: str) -> Polygon:
    r = _Reader(text, "polygon")
    n = r.pair_count()
    pts, _ = r.points(n, False)
    r.end()
    return Polygon(pts)


def parse_circle(text: str) -> Circle:
    r = _Reader(text, "circle")
    r.skip_blanks()
    depth = 0
    if r.peek() == "<":
        depth = 1
        r.i += 1
    elif r.peek() == "(":
        j = r.i + 1
        while j < len(r.s) and r.s[j].isspace():
            j += 1
        if j < len(r.s) and r.s[j] == "(":
            depth = 1
            r.i = j
    center = r.pair()
    if r.peek() == ",":
        r.i += 1
    radius = r.number()
    if radius < 0.0:
        raise r.bad()
    while depth > 0:
        if r.peek() == ")" or (r.peek() == ">" and depth == 1):
            depth -= 1
            r.i += 1
            r.skip_blanks()
        else:
            raise r.bad()
    r.end()
    return Circle(center, radius)


# ---- the canonical text (as stored and printed) read with one regular expression: the common case
_N = r"(-?(?:[0-9]+(?:\.[0-9]+)?(?:e[+-][0-9]+)?|Infinity)|NaN)"
_P = rf"\({_N},{_N}\)"
_CANONICAL = {
    "point": re.compile(_P),
    "lseg": re.compile(rf"\[{_P},{_P}\]"),
    "box": re.compile(rf"{_P},{_P}"),
    "line": re.compile(rf"\{{{_N},{_N},{_N}\}}"),
    "circle": re.compile(rf"<{_P},{_N}>"),
}
_CLOSED_POINTS = re.compile(rf"\({_P}(?:,{_P})*\)")
_OPEN_POINTS = re.compile(rf"\[{_P}(?:,{_P})*\]")
_NUMBERS = re.compile(_N)


def _floats(texts: tuple[str, ...] | list[str]) -> list[float] | None:
    """The numbers, or None when one is out of float8's range (the full reader reports it)."""
    out = [float(t) for t in texts]
    for v, t in zip(out, texts, strict=True):
        if (v == 0.0 or math.isinf(v)) and (
                (math.isinf(v) and t[-1] != "y") or ("e-" in t and re.search(r"[1-9]", t.split("e")[0]))):
            return None
    return out


def parse_canonical(text: str, type_name: str) -> Shape | None:
    """A value written the way HeliosDB stores it (PostgreSQL's output at extra_float_digits 1),
    read fast; None for any other spelling, which the full reader then takes."""
    rx = _CANONICAL.get(type_name)
    if rx is not None:
        m = rx.fullmatch(text)
        if m is None:
            return None
        v = _floats(m.groups())
        if v is None:
            return None
        if type_name == "point":
            return Point(v[0], v[1])
        if type_name == "lseg":
            return LSeg(Point(v[0], v[1]), Point(v[2], v[3]))
        if type_name == "box":
            return box_of_corners(Point(v[0], v[1]), Point(v[2], v[3]))
        if type_name == "line":
            return checked_line(v[0], v[1], v[2])
        return None if v[2] < 0.0 else Circle(Point(v[0], v[1]), v[2])
    closed = _CLOSED_POINTS.fullmatch(text) is not None
    if not closed and (type_name == "polygon" or _OPEN_POINTS.fullmatch(text) is None):
        return None
    v = _floats(_NUMBERS.findall(text))
    if v is None:
        return None
    pts = tuple(Point(v[i], v[i + 1]) for i in range(0, len(v), 2))
    return Polygon(pts) if type_name == "polygon" else Path(closed, pts)


PARSERS = {"point": parse_point, "lseg": parse_lseg, "box": parse_box, "line": parse_line,
           "path": parse_path, "polygon": parse_polygon, "circle": parse_circle}


# ------------------------------------------------------------------------------------------ output

def _shortest(v: float) -> str:
    """float8out at extra_float_digits >= 1: the shortest exact digits (Python's repr, like Ryu),
    fixed notation for decimal exponents -4..14, else d.ddde+XX."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    sign, digit_tuple, exp = decimal.Decimal(repr(v)).as_tuple()
    all_digits = "".join(map(str, digit_tuple))
    ds = all_digits.lstrip("0").rstrip("0")
    neg = "-" if sign else ""
    if not ds:
        return neg + "0"
    exp10 = len(all_digits.rstrip("0")) - 1 + exp + (len(all_digits) - len(all_digits.rstrip("0")))
    exp10 -= len(all_digits) - len(all_digits.lstrip("0"))
    if -4 <= exp10 < 15:
        if exp10 >= len(ds) - 1:
            return neg + ds + "0" * (exp10 - len(ds) + 1)
        if exp10 >= 0:
            return neg + ds[: exp10 + 1] + "." + ds[exp10 + 1:]
        return neg + "0." + "0" * (-exp10 - 1) + ds
    m = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
    return f"{neg}{m}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"


def number_text(v: float, extra_float_digits: int = 1) -> str:
    """One coordinate as float8out prints it under this extra_float_digits."""
    if extra_float_digits > 0:
        return _shortest(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    s = f"{v:.{max(15 + extra_float_digits, 1)}g}"
    return s


def _pt(p: Point, efd: int) -> str:
    return f"({number_text(p.x, efd)},{number_text(p.y, efd)})"


def _pts(points: tuple[Point, ...], efd: int) -> str:
    return ",".join(_pt(p, efd) for p in points)


def format_shape(v: Shape, efd: int = 1) -> str:
    """The text output of one value."""
    if isinstance(v, Point):
        return _pt(v, efd)
    if isinstance(v, LSeg):
        return f"[{_pts(v, efd)}]"
    if isinstance(v, Box):
        return _pts(v, efd)
    if isinstance(v, Line):
        return "{" + ",".join(number_text(c, efd) for c in v) + "}"
    if isinstance(v, Path):
        inner = _pts(v.points, efd)
        return f"({inner})" if v.closed else f"[{inner}]"
    if isinstance(v, Polygon):
        return f"({_pts(v.points, efd)})"
    if isinstance(v, Circle):
        return f"<{_pt(v.center, efd)},{number_text(v.radius, efd)}>"
    raise TypeError(v)


def type_name_of(v: Shape) -> str:
    return _TYPE_NAMES[type(v)]


_TYPE_NAMES = {Point: "point", LSeg: "lseg", Line: "line", Box: "box", Path: "path", Polygon: "polygon",
               Circle: "circle"}
