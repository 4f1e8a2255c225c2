"""The seven geometric values as Python tuples, with the construction rules PostgreSQL applies.

A box keeps its upper-right corner first (``high``, ``low``: any two opposite corners are
reordered), a line is ``Ax + By + C = 0`` with A and B not both zero, a path is open or closed,
and a polygon is its vertices (its bounding box, which PostgreSQL stores beside them, is
computed when an operator needs it).
"""

from __future__ import annotations

from typing import NamedTuple

from helios_core.errors import HeliosError
from helios_core.sql.geometric import fuzzy as F


class Point(NamedTuple):
    x: float
    y: float


class LSeg(NamedTuple):
    p0: Point
    p1: Point


class Line(NamedTuple):
    a: float
    b: float
    c: float


class Box(NamedTuple):
    high: Point
    low: Point


class Path(NamedTuple):
    closed: bool
    points: tuple[Point, ...]


class Polygon(NamedTuple):
    points: tuple[Point, ...]


class Circle(NamedTuple):
    center: Point
    radius: float


def box_of_corners(p1: Point, p2: Point) -> Box:
    """box_construct: the box with these two opposite corners, whichever they are."""
    hx, lx = (p1.x, p2.x) if F.gt(p1.x, p2.x) else (p2.x, p1.x)
    hy, ly = (p1.y, p2.y) if F.gt(p1.y, p2.y) else (p2.y, p1.y)
    return Box(Point(hx, hy), Point(lx, ly))


def bounding_box(points: tuple[Point, ...]) -> Box:
    """make_bound_box: the smallest box around the points (NaN-aware like float8's min/max)."""
    x1 = x2 = points[0].x
    y1 = y2 = points[0].y
    for p in points[1:]:
        if F.lt(p.x, x1):
            x1 = p.x
        if F.gt(p.x, x2):
            x2 = p.x
        if F.lt(p.y, y1):
            y1 = p.y
        if F.gt(p.y, y2):
            y2 = p.y
    return Box(Point(x2, y2), Point(x1, y1))


def point_slope(p1: Point, p2: Point) -> float:
    """point_sl: the slope from p2 to p1 (infinite for a vertical pair, 0 for a horizontal one)."""
    if F.feq(p1.x, p2.x):
        return F.INF
    if F.feq(p1.y, p2.y):
        return 0.0
    return F.div(F.mi(p1.y, p2.y), F.mi(p1.x, p2.x))


def point_inverse_slope(p1: Point, p2: Point) -> float:
    """point_invsl: the slope of a perpendicular to the line through p1 and p2."""
    if F.feq(p1.x, p2.x):
        return 0.0
    if F.feq(p1.y, p2.y):
        return F.INF
    return F.div(F.mi(p1.x, p2.x), F.mi(p2.y, p1.y))


def line_through(pt: Point, slope: float) -> Line:
    """line_construct: the line through ``pt`` with this slope."""
    if F.isinf(slope):
        return Line(-1.0, 0.0, pt.x)
    if slope == 0:
        return Line(0.0, -1.0, pt.y)
    c = F.mi(pt.y, F.mul(slope, pt.x))
    return Line(slope, -1.0, 0.0 if c == 0.0 else c)


def points_equal(p1: Point, p2: Point) -> bool:
    """point_eq_point: within EPSILON on both axes (exactly, NaN equal to NaN, when a NaN is involved)."""
    if F.isnan(p1.x) or F.isnan(p1.y) or F.isnan(p2.x) or F.isnan(p2.y):
        return F.eq(p1.x, p2.x) and F.eq(p1.y, p2.y)
    return F.feq(p1.x, p2.x) and F.feq(p1.y, p2.y)


def line_of_points(p1: Point, p2: Point, sqlstate: str = "22023") -> Line:
    """line(point, point): 22023 when the points are the same (22P02 when read from text)."""
    if points_equal(p1, p2):
        raise HeliosError("invalid line specification: must be two distinct points", sqlstate=sqlstate)
    return line_through(p1, point_slope(p1, p2))


def checked_line(a: float, b: float, c: float) -> Line:
    """A line given by its coefficients ('{A,B,C}'): A and B may not both be zero."""
    if F.zero(a) and F.zero(b):
        raise HeliosError("invalid line specification: A and B cannot both be zero", sqlstate="22P02")
    return Line(a, b, c)
