"""Conversions between the geometric types: the casts of PostgreSQL's pg_cast and the functions
named after a type (``box(circle)``, ``polygon(8, circle)``, ``point(1, 2)``...).

``CASTS[(source, target)]`` gives the conversion and whether PostgreSQL applies it implicitly
on assignment (``a``) or only when written (``e``); ``CONSTRUCTORS[name]`` lists each function's
signatures.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from helios_core.errors import HeliosError
from helios_core.sql.geometric import fuzzy as F
from helios_core.sql.geometric import planar as G
from helios_core.sql.geometric.shapes import (
    Box,
    Circle,
    LSeg,
    Path,
    Point,
    Polygon,
    bounding_box,
    box_of_corners,
    line_of_points,
)


def path_to_polygon(p: Path) -> Polygon:
    if not p.closed:
        raise HeliosError("open path cannot be converted to polygon", sqlstate="22023")
    return Polygon(p.points)


def box_to_polygon(b: Box) -> Polygon:
    return Polygon((b.low, Point(b.low.x, b.high.y), b.high, Point(b.high.x, b.low.y)))


def box_to_circle(b: Box) -> Circle:
    center = G.box_center(b)
    return Circle(center, G.distance(center, b.high))


def circle_to_box(c: Circle) -> Box:
    delta = F.div(c.radius, math.sqrt(2.0))
    return Box(Point(F.pl(c.center.x, delta), F.pl(c.center.y, delta)),
               Point(F.mi(c.center.x, delta), F.mi(c.center.y, delta)))


def polygon_to_box(p: Polygon) -> Box:
    return bounding_box(p.points)


CASTS: dict[tuple[str, str], tuple[Callable[[Any], Any], str]] = {
    ("box", "point"): (G.box_center, "e"),
    ("lseg", "point"): (G.seg_center, "e"),
    ("path", "polygon"): (path_to_polygon, "a"),
    ("box", "lseg"): (lambda b: LSeg(b.high, b.low), "e"),
    ("box", "polygon"): (box_to_polygon, "a"),
    ("box", "circle"): (box_to_circle, "e"),
    ("polygon", "point"): (lambda p: G.polygon_circle(p).center, "e"),
    ("polygon", "path"): (lambda p: Path(True, p.points), "a"),
    ("polygon", "box"): (polygon_to_box, "e"),
    ("polygon", "circle"): (G.polygon_circle, "e"),
    ("circle", "point"): (lambda c: c.center, "e"),
    ("circle", "box"): (circle_to_box, "e"),
    ("circle", "polygon"): (lambda c: G.circle_polygon(12, c), "e"),
    ("point", "box"): (lambda p: Box(p, p), "a"),
}

# function name -> [(argument type names, implementation, result type name)]
CONSTRUCTORS: dict[str, list[tuple[tuple[str, ...], Callable[..., Any], str]]] = {
    "point": [(("float8", "float8"), lambda x, y: Point(x, y), "point")]
             + [((src,), fn, "point") for (src, dst), (fn, _) in CASTS.items() if dst == "point"],
    "lseg": [(("box",), CASTS[("box", "lseg")][0], "lseg"), (("point", "point"), LSeg, "lseg")],
    "line": [(("point", "point"), line_of_points, "line")],
    "box": [(("point", "point"), box_of_corners, "box")]
           + [((src,), fn, "box") for (src, dst), (fn, _) in CASTS.items() if dst == "box"],
    "path": [(("polygon",), CASTS[("polygon", "path")][0], "path")],
    "polygon": [(("int4", "circle"), G.circle_polygon, "polygon")]
               + [((src,), fn, "polygon") for (src, dst), (fn, _) in CASTS.items() if dst == "polygon"],
    "circle": [(("point", "float8"), lambda p, r: Circle(p, r), "circle")]
              + [((src,), fn, "circle") for (src, dst), (fn, _) in CASTS.items() if dst == "circle"],
}
