"""Every operator PostgreSQL 15 defines on the geometric types, keyed by symbol and operand types.

``BINARY[(symbol, left, right)]`` and ``PREFIX[(symbol, operand)]`` give (function over the
values, result type name). Position operators compare with EPSILON except where PostgreSQL
does not (polygons compare their bounding boxes exactly); comparisons of lseg, box, circle and
path are by length, area and number of points, as PostgreSQL's are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helios_core.sql.geometric import fuzzy as F
from helios_core.sql.geometric import planar as G
from helios_core.sql.geometric.shapes import (
    Box,
    Circle,
    Line,
    LSeg,
    Path,
    Point,
    Polygon,
    bounding_box,
    box_of_corners,
    points_equal,
)

BINARY: dict[tuple[str, str, str], tuple[Callable[[Any, Any], Any], str]] = {}
PREFIX: dict[tuple[str, str], tuple[Callable[[Any], Any], str]] = {}


def _op(symbol: str, left: str, right: str, result: str):
    def deco(fn):
        BINARY[(symbol, left, right)] = (fn, result)
        return fn
    return deco


def _add(symbol: str, left: str, right: str, result: str, fn: Callable[[Any, Any], Any]) -> None:
    BINARY[(symbol, left, right)] = (fn, result)


def _prefix(symbol: str, operand: str, result: str, fn: Callable[[Any], Any]) -> None:
    PREFIX[(symbol, operand)] = (fn, result)


# ---- point
_add("+", "point", "point", "point", G.add)
_add("-", "point", "point", "point", G.sub)
_add("*", "point", "point", "point", G.mul)
_add("/", "point", "point", "point", G.div)
_add("<->", "point", "point", "float8", G.distance)
_add("<<", "point", "point", "bool", lambda a, b: F.flt(a.x, b.x))
_add(">>", "point", "point", "bool", lambda a, b: F.fgt(a.x, b.x))
_add("<<|", "point", "point", "bool", lambda a, b: F.flt(a.y, b.y))
_add("<^", "point", "point", "bool", lambda a, b: F.flt(a.y, b.y))
_add("|>>", "point", "point", "bool", lambda a, b: F.fgt(a.y, b.y))
_add(">^", "point", "point", "bool", lambda a, b: F.fgt(a.y, b.y))
_add("?|", "point", "point", "bool", lambda a, b: F.feq(a.x, b.x))
_add("?-", "point", "point", "bool", lambda a, b: F.feq(a.y, b.y))
_add("~=", "point", "point", "bool", points_equal)
_add("<>", "point", "point", "bool", lambda a, b: not points_equal(a, b))
_add("<@", "point", "box", "bool", lambda p, b: G.box_contains_point(b, p))
_add("@>", "box", "point", "bool", G.box_contains_point)
_add("<@", "point", "lseg", "bool", lambda p, s: G.seg_contains(s, p))
_add("<@", "point", "line", "bool", lambda p, ln: G.line_contains(ln, p))
_add("<@", "point", "path", "bool", G.point_on_path)
_add("@>", "path", "point", "bool", lambda path, p: G.point_on_path(p, path))
_add("<@", "point", "polygon", "bool", lambda p, poly: G.point_inside(p, poly.points) != 0)
_add("@>", "polygon", "point", "bool", lambda poly, p: G.point_inside(p, poly.points) != 0)
_add("<@", "point", "circle", "bool", lambda p, c: G.distance(c.center, p) <= c.radius)
_add("@>", "circle", "point", "bool", lambda c, p: G.distance(c.center, p) <= c.radius)


def _nan_to_none(pair: tuple[float, Point]) -> Point | None:
    return None if F.isnan(pair[0]) else pair[1]


# distances and closest points (## gives the point of the right operand closest to the left one)
_add("<->", "point", "lseg", "float8", lambda p, s: G.seg_closest_to_point(s, p)[0])
_add("<->", "lseg", "point", "float8", lambda s, p: G.seg_closest_to_point(s, p)[0])
_add("<->", "point", "line", "float8", lambda p, ln: G.line_closest(ln, p)[0])
_add("<->", "line", "point", "float8", lambda ln, p: G.line_closest(ln, p)[0])
_add("<->", "point", "box", "float8", lambda p, b: G.box_closest_to_point(b, p)[0])
_add("<->", "box", "point", "float8", lambda b, p: G.box_closest_to_point(b, p)[0])
_add("<->", "point", "path", "float8", lambda p, path: G.point_path_distance(p, path))
_add("<->", "path", "point", "float8", lambda path, p: G.point_path_distance(p, path))
_add("<->", "point", "polygon", "float8", G.point_polygon_distance)
_add("<->", "polygon", "point", "float8", lambda poly, p: G.point_polygon_distance(p, poly))
_add("<->", "point", "circle", "float8", lambda p, c: max(F.mi(G.distance(p, c.center), c.radius), 0.0))
_add("<->", "circle", "point", "float8", lambda c, p: max(F.mi(G.distance(p, c.center), c.radius), 0.0))
_add("<->", "lseg", "lseg", "float8", lambda a, b: G.seg_closest_to_seg(a, b)[0])
_add("<->", "lseg", "line", "float8", lambda s, ln: G.seg_closest_to_line(s, ln)[0])
_add("<->", "line", "lseg", "float8", lambda ln, s: G.seg_closest_to_line(s, ln)[0])
_add("<->", "lseg", "box", "float8", lambda s, b: G.box_closest_to_seg(b, s)[0])
_add("<->", "box", "lseg", "float8", lambda b, s: G.box_closest_to_seg(b, s)[0])
_add("<->", "line", "line", "float8", G.line_distance)
_add("<->", "box", "box", "float8", lambda a, b: G.distance(G.box_center(a), G.box_center(b)))
_add("<->", "path", "path", "float8", G.path_distance)
_add("<->", "polygon", "polygon", "float8", G.polygon_distance)
_add("<->", "polygon", "circle", "float8",
     lambda poly, c: max(F.mi(G.point_polygon_distance(c.center, poly), c.radius), 0.0))
_add("<->", "circle", "polygon", "float8",
     lambda c, poly: max(F.mi(G.point_polygon_distance(c.center, poly), c.radius), 0.0))
_add("<->", "circle", "circle", "float8",
     lambda a, b: max(F.mi(G.distance(a.center, b.center), F.pl(a.radius, b.radius)), 0.0))
_add("##", "point", "lseg", "point", lambda p, s: _nan_to_none(G.seg_closest_to_point(s, p)))
_add("##", "point", "line", "point", lambda p, ln: _nan_to_none(G.line_closest(ln, p)))
_add("##", "point", "box", "point", lambda p, b: _nan_to_none(G.box_closest_to_point(b, p)))
_add("##", "lseg", "box", "point", lambda s, b: _nan_to_none(G.box_closest_to_seg(b, s)))


@_op("##", "lseg", "lseg", "point")
def _closest_seg_seg(l1: LSeg, l2: LSeg) -> Point | None:
    if G.seg_slope(l1) == G.seg_slope(l2):
        return None
    return _nan_to_none(G.seg_closest_to_seg(l2, l1))


@_op("##", "line", "lseg", "point")
def _closest_line_seg(line: Line, s: LSeg) -> Point | None:
    if G.seg_slope(s) == G.line_slope(line):
        return None
    return _nan_to_none(G.seg_closest_to_line(s, line))


# ---- lseg
_prefix("@-@", "lseg", "float8", G.seg_length)
_prefix("@@", "lseg", "point", G.seg_center)
_prefix("?|", "lseg", "bool", lambda s: F.feq(s.p0.x, s.p1.x))
_prefix("?-", "lseg", "bool", lambda s: F.feq(s.p0.y, s.p1.y))
_add("?#", "lseg", "lseg", "bool", lambda a, b: G.seg_intersection(a, b) is not None)
_add("?#", "lseg", "line", "bool", lambda s, ln: G.seg_line_intersection(s, ln) is not None)
_add("?#", "lseg", "box", "bool", lambda s, b: G.box_seg_intersects(b, s)[0])
_add("#", "lseg", "lseg", "point", G.seg_intersection)
_add("?||", "lseg", "lseg", "bool", lambda a, b: F.feq(G.seg_slope(a), G.seg_slope(b)))
_add("?-|", "lseg", "lseg", "bool", lambda a, b: F.feq(G.seg_slope(a), G.seg_inverse_slope(b)))
_add("=", "lseg", "lseg", "bool", lambda a, b: points_equal(a.p0, b.p0) and points_equal(a.p1, b.p1))
_add("<>", "lseg", "lseg", "bool", lambda a, b: not points_equal(a.p0, b.p0) or not points_equal(a.p1, b.p1))
for _sym, _cmp in (("<", F.flt), ("<=", F.fle), (">", F.fgt), (">=", F.fge)):
    _add(_sym, "lseg", "lseg", "bool", lambda a, b, c=_cmp: c(G.seg_length(a), G.seg_length(b)))
_add("<@", "lseg", "line", "bool", lambda s, ln: G.line_contains(ln, s.p0) and G.line_contains(ln, s.p1))
_add("<@", "lseg", "box", "bool", lambda s, b: G.box_contains_point(b, s.p0) and G.box_contains_point(b, s.p1))

# ---- line
_prefix("?|", "line", "bool", lambda ln: F.zero(ln.b))
_prefix("?-", "line", "bool", lambda ln: F.zero(ln.a))
_add("=", "line", "line", "bool", G.lines_equal)
_add("?#", "line", "line", "bool", lambda a, b: G.line_intersection(a, b) is not None)
_add("?||", "line", "line", "bool", lambda a, b: G.line_intersection(a, b) is None)
_add("?-|", "line", "line", "bool", G.lines_perpendicular)
_add("#", "line", "line", "point", G.line_intersection)
_add("?#", "line", "box", "bool", G.line_meets_box)

# ---- box
_add("+", "box", "point", "box", lambda b, p: Box(G.add(b.high, p), G.add(b.low, p)))
_add("-", "box", "point", "box", lambda b, p: Box(G.sub(b.high, p), G.sub(b.low, p)))
_add("*", "box", "point", "box", lambda b, p: box_of_corners(G.mul(b.high, p), G.mul(b.low, p)))
_add("/", "box", "point", "box", lambda b, p: box_of_corners(G.div(b.high, p), G.div(b.low, p)))
_prefix("@@", "box", "point", G.box_center)
_add("~=", "box", "box", "bool", lambda a, b: points_equal(a.high, b.high) and points_equal(a.low, b.low))
_add("&&", "box", "box", "bool", G.boxes_overlap)
_add("?#", "box", "box", "bool", G.boxes_overlap)
_add("<<", "box", "box", "bool", lambda a, b: F.flt(a.high.x, b.low.x))
_add("&<", "box", "box", "bool", lambda a, b: F.fle(a.high.x, b.high.x))
_add(">>", "box", "box", "bool", lambda a, b: F.fgt(a.low.x, b.high.x))
_add("&>", "box", "box", "bool", lambda a, b: F.fge(a.low.x, b.low.x))
_add("<<|", "box", "box", "bool", lambda a, b: F.flt(a.high.y, b.low.y))
_add("&<|", "box", "box", "bool", lambda a, b: F.fle(a.high.y, b.high.y))
_add("|>>", "box", "box", "bool", lambda a, b: F.fgt(a.low.y, b.high.y))
_add("|&>", "box", "box", "bool", lambda a, b: F.fge(a.low.y, b.low.y))
_add("<^", "box", "box", "bool", lambda a, b: F.fle(a.high.y, b.low.y))
_add(">^", "box", "box", "bool", lambda a, b: F.fge(a.low.y, b.high.y))
_add("@>", "box", "box", "bool", G.box_contains_box)
_add("<@", "box", "box", "bool", lambda a, b: G.box_contains_box(b, a))
for _sym, _cmp in (("<", F.flt), ("<=", F.fle), ("=", F.feq), (">", F.fgt), (">=", F.fge)):
    _add(_sym, "box", "box", "bool", lambda a, b, c=_cmp: c(G.box_area(a), G.box_area(b)))


@_op("#", "box", "box", "box")
def _box_intersection(a: Box, b: Box) -> Box | None:
    if not G.boxes_overlap(a, b):
        return None
    return Box(Point(F.fmin(a.high.x, b.high.x), F.fmin(a.high.y, b.high.y)),
               Point(F.fmax(a.low.x, b.low.x), F.fmax(a.low.y, b.low.y)))


# ---- path
_prefix("#", "path", "int4", lambda p: len(p.points))
_prefix("@-@", "path", "float8", G.path_length)
_add("+", "path", "point", "path", lambda path, p: Path(path.closed, tuple(G.add(q, p) for q in path.points)))
_add("-", "path", "point", "path", lambda path, p: Path(path.closed, tuple(G.sub(q, p) for q in path.points)))
_add("*", "path", "point", "path", lambda path, p: Path(path.closed, tuple(G.mul(q, p) for q in path.points)))
_add("/", "path", "point", "path", lambda path, p: Path(path.closed, tuple(G.div(q, p) for q in path.points)))
_add("+", "path", "path", "path",
     lambda a, b: None if a.closed or b.closed else Path(False, a.points + b.points))
_add("?#", "path", "path", "bool", G.paths_intersect)
for _sym, _cmp in (("<", int.__lt__), ("<=", int.__le__), ("=", int.__eq__), (">", int.__gt__),
                   (">=", int.__ge__)):
    _add(_sym, "path", "path", "bool", lambda a, b, c=_cmp: c(len(a.points), len(b.points)))

# ---- polygon (position operators compare bounding boxes exactly, as PostgreSQL does)
_prefix("#", "polygon", "int4", lambda p: len(p.points))
_prefix("@@", "polygon", "point", lambda p: G.polygon_circle(p).center)


def _bb(fn: Callable[[Box, Box], bool]) -> Callable[[Polygon, Polygon], bool]:
    return lambda a, b: fn(bounding_box(a.points), bounding_box(b.points))


_add("<<", "polygon", "polygon", "bool", _bb(lambda a, b: a.high.x < b.low.x))
_add("&<", "polygon", "polygon", "bool", _bb(lambda a, b: a.high.x <= b.high.x))
_add(">>", "polygon", "polygon", "bool", _bb(lambda a, b: a.low.x > b.high.x))
_add("&>", "polygon", "polygon", "bool", _bb(lambda a, b: a.low.x >= b.low.x))
_add("<<|", "polygon", "polygon", "bool", _bb(lambda a, b: a.high.y < b.low.y))
_add("&<|", "polygon", "polygon", "bool", _bb(lambda a, b: a.high.y <= b.high.y))
_add("|>>", "polygon", "polygon", "bool", _bb(lambda a, b: a.low.y > b.high.y))
_add("|&>", "polygon", "polygon", "bool", _bb(lambda a, b: a.low.y >= b.low.y))
_add("~=", "polygon", "polygon", "bool", lambda a, b: G.same_points(a.points, b.points))
_add("&&", "polygon", "polygon", "bool", G.polygons_overlap)
_add("@>", "polygon", "polygon", "bool", G.polygon_contains_polygon)
_add("<@", "polygon", "polygon", "bool", lambda a, b: G.polygon_contains_polygon(b, a))

# ---- circle
_prefix("@@", "circle", "point", lambda c: c.center)
_add("+", "circle", "point", "circle", lambda c, p: Circle(G.add(c.center, p), c.radius))
_add("-", "circle", "point", "circle", lambda c, p: Circle(G.sub(c.center, p), c.radius))
_add("*", "circle", "point", "circle", lambda c, p: Circle(G.mul(c.center, p), F.mul(c.radius, F.hypot(p.x, p.y))))
_add("/", "circle", "point", "circle", lambda c, p: Circle(G.div(c.center, p), F.div(c.radius, F.hypot(p.x, p.y))))
_add("~=", "circle", "circle", "bool",
     lambda a, b: ((F.isnan(a.radius) and F.isnan(b.radius)) or F.feq(a.radius, b.radius))
     and points_equal(a.center, b.center))
_add("&&", "circle", "circle", "bool", lambda a, b: F.fle(G.distance(a.center, b.center), F.pl(a.radius, b.radius)))
_add("<<", "circle", "circle", "bool",
     lambda a, b: F.flt(F.pl(a.center.x, a.radius), F.mi(b.center.x, b.radius)))
_add("&<", "circle", "circle", "bool",
     lambda a, b: F.fle(F.pl(a.center.x, a.radius), F.pl(b.center.x, b.radius)))
_add(">>", "circle", "circle", "bool",
     lambda a, b: F.fgt(F.mi(a.center.x, a.radius), F.pl(b.center.x, b.radius)))
_add("&>", "circle", "circle", "bool",
     lambda a, b: F.fge(F.mi(a.center.x, a.radius), F.mi(b.center.x, b.radius)))
_add("<<|", "circle", "circle", "bool",
     lambda a, b: F.flt(F.pl(a.center.y, a.radius), F.mi(b.center.y, b.radius)))
_add("&<|", "circle", "circle", "bool",
     lambda a, b: F.fle(F.pl(a.center.y, a.radius), F.pl(b.center.y, b.radius)))
_add("|>>", "circle", "circle", "bool",
     lambda a, b: F.fgt(F.mi(a.center.y, a.radius), F.pl(b.center.y, b.radius)))
_add("|&>", "circle", "circle", "bool",
     lambda a, b: F.fge(F.mi(a.center.y, a.radius), F.mi(b.center.y, b.radius)))
_add("<@", "circle", "circle", "bool",
     lambda a, b: F.fle(F.pl(G.distance(a.center, b.center), a.radius), b.radius))
_add("@>", "circle", "circle", "bool",
     lambda a, b: F.fle(F.pl(G.distance(a.center, b.center), b.radius), a.radius))
for _sym, _cmp in (("<", F.flt), ("<=", F.fle), ("=", F.feq), ("<>", F.fne), (">", F.fgt), (">=", F.fge)):
    _add(_sym, "circle", "circle", "bool", lambda a, b, c=_cmp: c(G.circle_area(a), G.circle_area(b)))
