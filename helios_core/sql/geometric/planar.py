"""The plane geometry under the operators: distances, closest points, intersections and
containment between points, lines, segments, boxes, paths, polygons and circles.

Each function follows the steps of its PostgreSQL 15 counterpart (named in its docstring) with
the same float8 arithmetic and EPSILON tolerances (``fuzzy``), so results agree digit for digit,
NaN and infinite coordinates included.
"""

from __future__ import annotations

import math

from helios_core.errors import HeliosError
from helios_core.sql.geometric import fuzzy as F
from helios_core.sql.geometric.shapes import (
    Box,
    Circle,
    Line,
    LSeg,
    Path,
    Point,
    Polygon,
    bounding_box,
    line_through,
    point_inverse_slope,
    point_slope,
    points_equal,
)

ON_POLYGON = 1 << 31  # lseg_crossing's answer for a point on the boundary


# ---------------------------------------------------------------------------------- points

def add(p1: Point, p2: Point) -> Point:
    return Point(F.pl(p1.x, p2.x), F.pl(p1.y, p2.y))


def sub(p1: Point, p2: Point) -> Point:
    return Point(F.mi(p1.x, p2.x), F.mi(p1.y, p2.y))


def mul(p1: Point, p2: Point) -> Point:
    """point_mul_point: complex multiplication (scaling and rotation)."""
    return Point(F.mi(F.mul(p1.x, p2.x), F.mul(p1.y, p2.y)), F.pl(F.mul(p1.x, p2.y), F.mul(p1.y, p2.x)))


def div(p1: Point, p2: Point) -> Point:
    """point_div_point: complex division."""
    d = F.pl(F.mul(p2.x, p2.x), F.mul(p2.y, p2.y))
    return Point(F.div(F.pl(F.mul(p1.x, p2.x), F.mul(p1.y, p2.y)), d),
                 F.div(F.mi(F.mul(p1.y, p2.x), F.mul(p1.x, p2.y)), d))


def distance(p1: Point, p2: Point) -> float:
    """point_dt."""
    return F.hypot(F.mi(p1.x, p2.x), F.mi(p1.y, p2.y))


# ----------------------------------------------------------------------------------- lines

def line_slope(line: Line) -> float:
    if F.zero(line.a):
        return 0.0
    if F.zero(line.b):
        return F.INF
    return F.div(line.a, -line.b)


def line_inverse_slope(line: Line) -> float:
    if F.zero(line.a):
        return F.INF
    if F.zero(line.b):
        return 0.0
    return F.div(line.b, line.a)


def line_intersection(l1: Line, l2: Line) -> Point | None:
    """line_interpt_line: where two lines cross, None when they are parallel."""
    if not F.zero(l1.b):
        if F.feq(l2.a, F.mul(l1.a, F.div(l2.b, l1.b))):
            return None
        x = F.div(F.mi(F.mul(l1.b, l2.c), F.mul(l2.b, l1.c)), F.mi(F.mul(l1.a, l2.b), F.mul(l2.a, l1.b)))
        y = F.div(-F.pl(F.mul(l1.a, x), l1.c), l1.b)
    elif not F.zero(l2.b):
        if F.feq(l1.a, F.mul(l2.a, F.div(l1.b, l2.b))):
            return None
        x = F.div(F.mi(F.mul(l2.b, l1.c), F.mul(l1.b, l2.c)), F.mi(F.mul(l2.a, l1.b), F.mul(l1.a, l2.b)))
        y = F.div(-F.pl(F.mul(l2.a, x), l2.c), l2.b)
    else:
        return None
    return Point(0.0 if x == 0.0 else x, 0.0 if y == 0.0 else y)


def line_contains(line: Line, p: Point) -> bool:
    return F.zero(F.pl(F.pl(F.mul(line.a, p.x), F.mul(line.b, p.y)), line.c))


def line_closest(line: Line, p: Point) -> tuple[float, Point]:
    """line_closept_point: (distance, closest point), NaN when the perpendicular finds no foot."""
    foot = line_intersection(line_through(p, line_inverse_slope(line)), line)
    if foot is None:
        return F.NAN, p
    return distance(foot, p), foot


def line_distance(l1: Line, l2: Line) -> float:
    if line_intersection(l1, l2) is not None:
        return 0.0
    if not F.zero(l1.a) and not F.isnan(l1.a) and not F.zero(l2.a) and not F.isnan(l2.a):
        ratio = F.div(l1.a, l2.a)
    elif not F.zero(l1.b) and not F.isnan(l1.b) and not F.zero(l2.b) and not F.isnan(l2.b):
        ratio = F.div(l1.b, l2.b)
    else:
        ratio = 1.0
    return F.div(abs(F.mi(l1.c, F.mul(ratio, l2.c))), F.hypot(l1.a, l1.b))


def lines_equal(l1: Line, l2: Line) -> bool:
    """line_eq: proportional coefficients (exactly equal ones when a NaN is involved)."""
    if any(F.isnan(v) for v in (*l1, *l2)):
        return F.eq(l1.a, l2.a) and F.eq(l1.b, l2.b) and F.eq(l1.c, l2.c)
    if not F.zero(l2.a):
        ratio = F.div(l1.a, l2.a)
    elif not F.zero(l2.b):
        ratio = F.div(l1.b, l2.b)
    elif not F.zero(l2.c):
        ratio = F.div(l1.c, l2.c)
    else:
        ratio = 1.0
    return F.feq(l1.a, F.mul(ratio, l2.a)) and F.feq(l1.b, F.mul(ratio, l2.b)) and F.feq(l1.c, F.mul(ratio, l2.c))


def lines_perpendicular(l1: Line, l2: Line) -> bool:
    if F.zero(l1.a):
        return F.zero(l2.b)
    if F.zero(l2.a):
        return F.zero(l1.b)
    if F.zero(l1.b):
        return F.zero(l2.a)
    if F.zero(l2.b):
        return F.zero(l1.a)
    return F.feq(F.div(F.mul(l1.a, l2.a), F.mul(l1.b, l2.b)), -1.0)


# -------------------------------------------------------------------------------- segments

def seg_slope(s: LSeg) -> float:
    return point_slope(s.p0, s.p1)


def seg_inverse_slope(s: LSeg) -> float:
    return point_inverse_slope(s.p0, s.p1)


def seg_length(s: LSeg) -> float:
    return distance(s.p0, s.p1)


def seg_center(s: LSeg) -> Point:
    return Point(F.div(F.pl(s.p0.x, s.p1.x), 2.0), F.div(F.pl(s.p0.y, s.p1.y), 2.0))


def seg_contains(s: LSeg, p: Point) -> bool:
    """lseg_contain_point: the point's distances to both ends add up to the segment's length."""
    return F.feq(F.pl(distance(p, s.p0), distance(p, s.p1)), distance(s.p0, s.p1))


def seg_line_intersection(s: LSeg, line: Line) -> Point | None:
    """lseg_interpt_line."""
    crossing = line_intersection(line_through(s.p0, seg_slope(s)), line)
    if crossing is None or not seg_contains(s, crossing):
        return None
    if line_contains(line, s.p0):
        return s.p0
    if line_contains(line, s.p1):
        return s.p1
    return crossing


def seg_intersection(s1: LSeg, s2: LSeg) -> Point | None:
    """lseg_interpt_lseg."""
    crossing = seg_line_intersection(s1, line_through(s2.p0, seg_slope(s2)))
    if crossing is None or not seg_contains(s2, crossing):
        return None
    return crossing


def seg_closest_to_point(s: LSeg, p: Point) -> tuple[float, Point]:
    """lseg_closept_point: (distance, the point of ``s`` closest to ``p``)."""
    _, closest = seg_closest_to_line(s, line_through(p, point_inverse_slope(s.p0, s.p1)))
    return distance(closest, p), closest


def seg_closest_to_line(s: LSeg, line: Line) -> tuple[float, Point]:
    """lseg_closept_line."""
    crossing = seg_line_intersection(s, line)
    if crossing is not None:
        return 0.0, crossing
    d1, _ = line_closest(line, s.p0)
    d2, _ = line_closest(line, s.p1)
    return (d1, s.p0) if d1 < d2 else (d2, s.p1)


def seg_closest_to_seg(on: LSeg, to: LSeg) -> tuple[float, Point]:
    """lseg_closept_lseg: (distance, the point of ``on`` closest to ``to``)."""
    crossing = seg_intersection(on, to)
    if crossing is not None:
        return 0.0, crossing
    dist, best = seg_closest_to_point(on, to.p0)
    d, p = seg_closest_to_point(on, to.p1)
    if F.lt(d, dist):
        dist, best = d, p
    d, _ = seg_closest_to_point(to, on.p0)
    if F.lt(d, dist):
        dist, best = d, on.p0
    d, _ = seg_closest_to_point(to, on.p1)
    if F.lt(d, dist):
        dist, best = d, on.p1
    return dist, best


# ----------------------------------------------------------------------------------- boxes

def box_center(b: Box) -> Point:
    return Point(F.div(F.pl(b.high.x, b.low.x), 2.0), F.div(F.pl(b.high.y, b.low.y), 2.0))


def box_width(b: Box) -> float:
    return F.mi(b.high.x, b.low.x)


def box_height(b: Box) -> float:
    return F.mi(b.high.y, b.low.y)


def box_area(b: Box) -> float:
    return F.mul(box_width(b), box_height(b))


def box_contains_point(b: Box, p: Point) -> bool:
    """box_contain_point: exact comparisons, boundary included."""
    return b.high.x >= p.x and b.low.x <= p.x and b.high.y >= p.y and b.low.y <= p.y


def boxes_overlap(b1: Box, b2: Box) -> bool:
    """box_ov."""
    return (F.fle(b1.low.x, b2.high.x) and F.fle(b2.low.x, b1.high.x) and F.fle(b1.low.y, b2.high.y)
            and F.fle(b2.low.y, b1.high.y))


def box_contains_box(outer: Box, inner: Box) -> bool:
    return (F.fge(outer.high.x, inner.high.x) and F.fle(outer.low.x, inner.low.x)
            and F.fge(outer.high.y, inner.high.y) and F.fle(outer.low.y, inner.low.y))


def _box_sides(b: Box) -> list[LSeg]:
    """The four sides in the order PostgreSQL walks them."""
    upper_left = Point(b.low.x, b.high.y)
    lower_right = Point(b.high.x, b.low.y)
    return [LSeg(b.low, upper_left), LSeg(b.high, upper_left), LSeg(b.low, lower_right), LSeg(b.high, lower_right)]


def box_closest_to_point(b: Box, p: Point) -> tuple[float, Point]:
    """box_closept_point."""
    if box_contains_point(b, p):
        return 0.0, p
    sides = _box_sides(b)
    dist, best = seg_closest_to_point(sides[0], p)
    for side in sides[1:]:
        d, q = seg_closest_to_point(side, p)
        if F.lt(d, dist):
            dist, best = d, q
    return dist, best


def box_seg_intersects(b: Box, s: LSeg) -> tuple[bool, Point | None]:
    """box_interpt_lseg: whether they meet, and the point of ``s`` nearest the box's center."""
    seg_box = Box(Point(F.fmax(s.p0.x, s.p1.x), F.fmax(s.p0.y, s.p1.y)),
                  Point(F.fmin(s.p0.x, s.p1.x), F.fmin(s.p0.y, s.p1.y)))
    if not boxes_overlap(seg_box, b):
        return False, None
    _, near = seg_closest_to_point(s, box_center(b))
    if box_contains_point(b, s.p0) or box_contains_point(b, s.p1):
        return True, near
    upper_left = Point(b.low.x, b.high.y)
    lower_right = Point(b.high.x, b.low.y)
    for side in (LSeg(b.low, upper_left), LSeg(b.high, upper_left), LSeg(b.low, lower_right),
                 LSeg(b.high, lower_right)):
        if seg_intersection(side, s) is not None:
            return True, near
    return False, near


def box_closest_to_seg(b: Box, s: LSeg) -> tuple[float, Point]:
    """box_closept_lseg: (distance, the point of the box closest to ``s``)."""
    meets, near = box_seg_intersects(b, s)
    if meets:
        return 0.0, near  # type: ignore[return-value]
    sides = _box_sides(b)
    dist, best = seg_closest_to_seg(sides[0], s)
    for side in sides[1:]:
        d, q = seg_closest_to_seg(side, s)
        if F.lt(d, dist):
            dist, best = d, q
    return dist, best


def line_meets_box(line: Line, b: Box) -> bool:
    """inter_lb."""
    p1, p2 = Point(b.low.x, b.low.y), Point(b.low.x, b.high.y)
    if seg_line_intersection(LSeg(p1, p2), line) is not None:
        return True
    p1 = Point(b.high.x, b.high.y)
    if seg_line_intersection(LSeg(p1, p2), line) is not None:
        return True
    p2 = Point(b.high.x, b.low.y)
    if seg_line_intersection(LSeg(p1, p2), line) is not None:
        return True
    p1 = Point(b.low.x, b.low.y)
    return seg_line_intersection(LSeg(p1, p2), line) is not None


# ------------------------------------------------------------------------------ paths, polygons

def _segments(points: tuple[Point, ...], closed: bool) -> list[LSeg]:
    """A path's segments in PostgreSQL's order: the closing one first when the path is closed."""
    out = []
    for i in range(len(points)):
        if i > 0:
            out.append(LSeg(points[i - 1], points[i]))
        elif closed:
            out.append(LSeg(points[-1], points[0]))
    return out


def path_length(p: Path) -> float:
    total = 0.0
    for s in _segments(p.points, p.closed):
        total = F.pl(total, distance(s.p0, s.p1))
    return total


def path_area(p: Path) -> float | None:
    if not p.closed:
        return None
    area = 0.0
    pts = p.points
    for i in range(len(pts)):
        j = (i + 1) % len(pts)
        area = F.pl(area, F.mul(pts[i].x, pts[j].y))
        area = F.mi(area, F.mul(pts[i].y, pts[j].x))
    return F.div(abs(area), 2.0)


def _lseg_crossing(x: float, y: float, prev_x: float, prev_y: float) -> int:
    """lseg_crossing: how the edge from (prev_x, prev_y) to (x, y) crosses the positive X axis."""
    if F.zero(y):
        if F.zero(x):
            return ON_POLYGON
        if F.fgt(x, 0):
            if F.zero(prev_y):
                return 0 if F.fgt(prev_x, 0.0) else ON_POLYGON
            return 1 if F.flt(prev_y, 0.0) else -1
        if F.zero(prev_y):
            return 0 if F.flt(prev_x, 0.0) else ON_POLYGON
        return 0
    y_sign = 1 if F.fgt(y, 0.0) else -1
    if F.zero(prev_y):
        return 0 if F.flt(prev_x, 0.0) else y_sign
    if (y_sign < 0 and F.flt(prev_y, 0.0)) or (y_sign > 0 and F.fgt(prev_y, 0.0)):
        return 0
    if F.fge(x, 0.0) and F.fgt(prev_x, 0.0):
        return 2 * y_sign
    if F.flt(x, 0.0) and F.fle(prev_x, 0.0):
        return 0
    z = F.mi(F.mul(F.mi(x, prev_x), y), F.mul(F.mi(y, prev_y), x))
    if F.zero(z):
        return ON_POLYGON
    if (y_sign < 0 and F.flt(z, 0.0)) or (y_sign > 0 and F.fgt(z, 0.0)):
        return 0
    return 2 * y_sign


def point_inside(p: Point, pts: tuple[Point, ...]) -> int:
    """point_inside: 0 outside, 1 inside, 2 on the boundary (winding of the edges around ``p``)."""
    x0, y0 = F.mi(pts[0].x, p.x), F.mi(pts[0].y, p.y)
    prev_x, prev_y = x0, y0
    total = 0
    for q in pts[1:]:
        x, y = F.mi(q.x, p.x), F.mi(q.y, p.y)
        cross = _lseg_crossing(x, y, prev_x, prev_y)
        if cross == ON_POLYGON:
            return 2
        total += cross
        prev_x, prev_y = x, y
    cross = _lseg_crossing(x0, y0, prev_x, prev_y)
    if cross == ON_POLYGON:
        return 2
    total += cross
    return 1 if total != 0 else 0


def point_on_path(p: Point, path: Path) -> bool:
    """on_ppath: on one of an open path's segments, or inside or on a closed one."""
    if path.closed:
        return point_inside(p, path.points) != 0
    pts = path.points
    a = distance(p, pts[0])
    for i in range(len(pts) - 1):
        b = distance(p, pts[i + 1])
        if F.feq(F.pl(a, b), distance(pts[i], pts[i + 1])):
            return True
        a = b
    return False


def point_path_distance(p: Point, path: Path) -> float:
    """dist_ppath_internal."""
    result = 0.0
    have = False
    for s in _segments(path.points, path.closed):
        d, _ = seg_closest_to_point(s, p)
        if not have or F.lt(d, result):
            result, have = d, True
    return result


def paths_intersect(p1: Path, p2: Path) -> bool:
    """path_inter."""
    if not boxes_overlap(bounding_box(p1.points), bounding_box(p2.points)):
        return False
    segs2 = _segments(p2.points, p2.closed)
    for s1 in _segments(p1.points, p1.closed):
        for s2 in segs2:
            if seg_intersection(s1, s2) is not None:
                return True
    return False


def path_distance(p1: Path, p2: Path) -> float | None:
    result: float | None = None
    segs2 = _segments(p2.points, p2.closed)
    for s1 in _segments(p1.points, p1.closed):
        for s2 in segs2:
            d, _ = seg_closest_to_seg(s1, s2)
            if result is None or F.lt(d, result):
                result = d
    return result


def point_polygon_distance(p: Point, poly: Polygon) -> float:
    """dist_ppoly_internal."""
    pts = poly.points
    if point_inside(p, pts) != 0:
        return 0.0
    result, _ = seg_closest_to_point(LSeg(pts[0], pts[-1]), p)
    for i in range(len(pts) - 1):
        d, _ = seg_closest_to_point(LSeg(pts[i], pts[i + 1]), p)
        if F.lt(d, result):
            result = d
    return result


def polygons_overlap(a: Polygon, b: Polygon) -> bool:
    """poly_overlap_internal: bounding boxes overlap and an edge of one crosses an edge of the
    other, or one holds a vertex of the other."""
    if not boxes_overlap(bounding_box(a.points), bounding_box(b.points)):
        return False
    prev_a = a.points[-1]
    for pa in a.points:
        prev_b = b.points[-1]
        for pb in b.points:
            if seg_intersection(LSeg(prev_a, pa), LSeg(prev_b, pb)) is not None:
                return True
            prev_b = pb
        prev_a = pa
    return bool(point_inside(a.points[0], b.points) or point_inside(b.points[0], a.points))


def _touched_seg_inside(a: Point, b: Point, s: LSeg, poly: Polygon, start: int) -> bool:
    """touched_lseg_inside_poly: ``a`` lies on the edge ``s``, ``b`` does not."""
    t = LSeg(a, b)
    if points_equal(a, s.p0):
        if seg_contains(t, s.p1):
            return _seg_inside(b, s.p1, poly, start)
    elif points_equal(a, s.p1):
        if seg_contains(t, s.p0):
            return _seg_inside(b, s.p0, poly, start)
    elif seg_contains(t, s.p0):
        return _seg_inside(b, s.p0, poly, start)
    elif seg_contains(t, s.p1):
        return _seg_inside(b, s.p1, poly, start)
    return True


def _seg_inside(a: Point, b: Point, poly: Polygon, start: int) -> bool:
    """lseg_inside_poly: is the segment a-b inside the polygon (the edges from ``start`` on)?"""
    pts = poly.points
    t = LSeg(a, b)
    s0 = pts[len(pts) - 1 if start == 0 else start - 1]
    res, crossed = True, False
    i = start
    while i < len(pts) and res:
        s = LSeg(s0, pts[i])
        if seg_contains(s, t.p0):
            if seg_contains(s, t.p1):
                return True
            res = _touched_seg_inside(t.p0, t.p1, s, poly, i + 1)
        elif seg_contains(s, t.p1):
            res = _touched_seg_inside(t.p1, t.p0, s, poly, i + 1)
        else:
            crossing = seg_intersection(t, s)
            if crossing is not None:
                crossed = True
                res = _seg_inside(t.p0, crossing, poly, i + 1)
                if res:
                    res = _seg_inside(t.p1, crossing, poly, i + 1)
        s0 = pts[i]
        i += 1
    if res and not crossed:
        mid = Point(F.div(F.pl(t.p0.x, t.p1.x), 2.0), F.div(F.pl(t.p0.y, t.p1.y), 2.0))
        res = point_inside(mid, pts) != 0
    return res


def polygon_contains_polygon(outer: Polygon, inner: Polygon) -> bool:
    """poly_contain_poly: every edge of ``inner`` lies inside ``outer``."""
    if not box_contains_box(bounding_box(outer.points), bounding_box(inner.points)):
        return False
    prev = inner.points[-1]
    for p in inner.points:
        if not _seg_inside(prev, p, outer, 0):
            return False
        prev = p
    return True


def polygon_distance(a: Polygon, b: Polygon) -> float:
    if polygons_overlap(a, b):
        return 0.0
    return path_distance(Path(True, a.points), Path(True, b.points))  # type: ignore[return-value]


def same_points(p1: tuple[Point, ...], p2: tuple[Point, ...]) -> bool:
    """plist_same: the same vertices in the same cyclic order, either direction."""
    n = len(p1)
    if n != len(p2):
        return False
    for i in range(n):
        if not points_equal(p2[i], p1[0]):
            continue
        if all(points_equal(p2[(i + k) % n], p1[k]) for k in range(1, n)):
            return True
        if all(points_equal(p2[(i - k) % n], p1[k]) for k in range(1, n)):
            return True
    return False


def polygon_circle(poly: Polygon) -> Circle:
    """poly_to_circle: the centroid of the vertices and their mean distance from it."""
    cx = cy = 0.0
    for p in poly.points:
        cx, cy = F.pl(cx, p.x), F.pl(cy, p.y)
    n = float(len(poly.points))
    center = Point(F.div(cx, n), F.div(cy, n))
    r = 0.0
    for p in poly.points:
        r = F.pl(r, distance(p, center))
    return Circle(center, F.div(r, n))


# ---------------------------------------------------------------------------------- circles

def circle_area(c: Circle) -> float:
    return F.mul(F.mul(c.radius, c.radius), math.pi)


def circle_polygon(npts: int, c: Circle) -> Polygon:
    """circle_poly: ``npts`` points around the circle, the first on its left."""
    if F.zero(c.radius):
        raise HeliosError("cannot convert circle with radius zero to polygon", sqlstate="0A000")
    if npts < 2:
        raise HeliosError("must request at least 2 points", sqlstate="22023")
    step = F.div(2.0 * math.pi, float(npts))
    pts = []
    for i in range(npts):
        angle = F.mul(step, float(i))
        pts.append(Point(F.mi(c.center.x, F.mul(c.radius, math.cos(angle))),
                         F.pl(c.center.y, F.mul(c.radius, math.sin(angle)))))
    return Polygon(tuple(pts))
