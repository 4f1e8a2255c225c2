"""The SQL functions of the geometric types (area, center, npoints, pclose, box(circle), ...),
and the functions behind the operators under PostgreSQL's names (poly_center, box_above, ...).

A function resolves by its arguments' types like PostgreSQL's: an exact signature first, then
the one signature that numbers (promoted to float8 or int4) and untyped literals fit. A name
that also belongs to another type's function (``length(text)``) keeps that one for other types.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helios_core.sql import types as T
from helios_core.sql.functions import registry
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.vec import Vec
from helios_core.sql.geometric import TYPE_NAMES
from helios_core.sql.geometric import fuzzy as F
from helios_core.sql.geometric import planar as G
from helios_core.sql.geometric.conversions import CONSTRUCTORS
from helios_core.sql.geometric.operators import BINARY, PREFIX
from helios_core.sql.geometric.shapes import Box, Path, Point, point_slope
from helios_core.sql.geometric.vectors import apply, result_type

Signature = tuple[tuple[str, ...], Callable[..., Any], str]
SIGNATURES: dict[str, list[Signature]] = {name: list(sigs) for name, sigs in CONSTRUCTORS.items()}

_NUMBERS = {"int2", "int4", "int8", "float4", "float8", "numeric"}


def _sig(name: str, args: tuple[str, ...], result: str, fn: Callable[..., Any]) -> None:
    SIGNATURES.setdefault(name, []).append((args, fn, result))


_sig("area", ("box",), "float8", G.box_area)
_sig("area", ("circle",), "float8", G.circle_area)
_sig("area", ("path",), "float8", G.path_area)
_sig("center", ("box",), "point", G.box_center)
_sig("center", ("circle",), "point", lambda c: c.center)
_sig("diameter", ("circle",), "float8", lambda c: F.mul(c.radius, 2.0))
_sig("radius", ("circle",), "float8", lambda c: c.radius)
_sig("height", ("box",), "float8", G.box_height)
_sig("width", ("box",), "float8", G.box_width)
_sig("diagonal", ("box",), "lseg", lambda b: CONSTRUCTORS["lseg"][0][1](b))
_sig("bound_box", ("box", "box"), "box",
     lambda a, b: Box(Point(F.fmax(a.high.x, b.high.x), F.fmax(a.high.y, b.high.y)),
                      Point(F.fmin(a.low.x, b.low.x), F.fmin(a.low.y, b.low.y))))
_sig("npoints", ("path",), "int4", lambda p: len(p.points))
_sig("npoints", ("polygon",), "int4", lambda p: len(p.points))
_sig("isclosed", ("path",), "bool", lambda p: p.closed)
_sig("isopen", ("path",), "bool", lambda p: not p.closed)
_sig("pclose", ("path",), "path", lambda p: Path(True, p.points))
_sig("popen", ("path",), "path", lambda p: Path(False, p.points))
_sig("length", ("lseg",), "float8", G.seg_length)
_sig("length", ("path",), "float8", G.path_length)
_sig("slope", ("point", "point"), "float8", point_slope)
_sig("ishorizontal", ("point", "point"), "bool", lambda a, b: F.feq(a.y, b.y))
_sig("isvertical", ("point", "point"), "bool", lambda a, b: F.feq(a.x, b.x))
for _t in ("lseg", "line"):
    _sig("ishorizontal", (_t,), "bool", PREFIX[("?-", _t)][0])
    _sig("isvertical", (_t,), "bool", PREFIX[("?|", _t)][0])
    _sig("isparallel", (_t, _t), "bool", BINARY[("?||", _t, _t)][0])
    _sig("isperp", (_t, _t), "bool", BINARY[("?-|", _t, _t)][0])

# the functions behind the operators, under PostgreSQL's names (pg_operator.oprcode)
_OPERATOR_FUNCTIONS = """
point_add + point point; point_sub - point point; point_mul * point point; point_div / point point
point_distance <-> point point; point_left << point point; point_right >> point point
point_above >^ point point; point_below <^ point point; point_vert ?| point point
point_horiz ?- point point; point_eq ~= point point; point_ne <> point point
dist_ps <-> point lseg; dist_sp <-> lseg point; dist_pl <-> point line; dist_lp <-> line point
dist_pb <-> point box; dist_bp <-> box point; dist_ppath <-> point path; dist_pathp <-> path point
dist_ppoly <-> point polygon; dist_polyp <-> polygon point; dist_pc <-> point circle
dist_cpoint <-> circle point; lseg_distance <-> lseg lseg; dist_sl <-> lseg line; dist_ls <-> line lseg
dist_sb <-> lseg box; dist_bs <-> box lseg; line_distance <-> line line; box_distance <-> box box
path_distance <-> path path; poly_distance <-> polygon polygon; dist_polyc <-> polygon circle
dist_cpoly <-> circle polygon; circle_distance <-> circle circle
close_ps ## point lseg; close_pl ## point line; close_pb ## point box; close_sb ## lseg box
close_lseg ## lseg lseg; close_ls ## line lseg
on_pb <@ point box; box_contain_pt @> box point; on_ps <@ point lseg; on_pl <@ point line
on_ppath <@ point path; path_contain_pt @> path point; pt_contained_poly <@ point polygon
poly_contain_pt @> polygon point; pt_contained_circle <@ point circle; circle_contain_pt @> circle point
on_sl <@ lseg line; on_sb <@ lseg box
lseg_intersect ?# lseg lseg; inter_sl ?# lseg line; inter_sb ?# lseg box; lseg_interpt # lseg lseg
lseg_parallel ?|| lseg lseg; lseg_perp ?-| lseg lseg; lseg_eq = lseg lseg; lseg_ne <> lseg lseg
lseg_lt < lseg lseg; lseg_le <= lseg lseg; lseg_gt > lseg lseg; lseg_ge >= lseg lseg
line_eq = line line; line_intersect ?# line line; line_parallel ?|| line line; line_perp ?-| line line
line_interpt # line line; inter_lb ?# line box
box_add + box point; box_sub - box point; box_mul * box point; box_div / box point
box_same ~= box box; box_overlap && box box; box_left << box box; box_overleft &< box box
box_right >> box box; box_overright &> box box; box_below <<| box box; box_overbelow &<| box box
box_above |>> box box; box_overabove |&> box box; box_below_eq <^ box box; box_above_eq >^ box box
box_contain @> box box; box_contained <@ box box; box_lt < box box; box_le <= box box
box_eq = box box; box_gt > box box; box_ge >= box box; box_intersect # box box
path_add_pt + path point; path_sub_pt - path point; path_mul_pt * path point; path_div_pt / path point
path_add + path path; path_inter ?# path path; path_n_lt < path path; path_n_le <= path path
path_n_eq = path path; path_n_gt > path path; path_n_ge >= path path
poly_left << polygon polygon; poly_overleft &< polygon polygon; poly_right >> polygon polygon
poly_overright &> polygon polygon; poly_below <<| polygon polygon; poly_overbelow &<| polygon polygon
poly_above |>> polygon polygon; poly_overabove |&> polygon polygon; poly_same ~= polygon polygon
poly_overlap && polygon polygon; poly_contain @> polygon polygon; poly_contained <@ polygon polygon
circle_add_pt + circle point; circle_sub_pt - circle point; circle_mul_pt * circle point
circle_div_pt / circle point; circle_same ~= circle circle; circle_overlap && circle circle
circle_left << circle circle; circle_overleft &< circle circle; circle_right >> circle circle
circle_overright &> circle circle; circle_below <<| circle circle; circle_overbelow &<| circle circle
circle_above |>> circle circle; circle_overabove |&> circle circle; circle_contain @> circle circle
circle_contained <@ circle circle; circle_eq = circle circle; circle_ne <> circle circle
circle_lt < circle circle; circle_le <= circle circle; circle_gt > circle circle; circle_ge >= circle circle
lseg_length @-@ lseg; lseg_center @@ lseg; lseg_vertical ?| lseg; lseg_horizontal ?- lseg
line_vertical ?| line; line_horizontal ?- line; box_center @@ box; path_npoints # path
path_length @-@ path; poly_npoints # polygon; poly_center @@ polygon; circle_center @@ circle
"""
for _entry in _OPERATOR_FUNCTIONS.replace("\n", ";").split(";"):
    _parts = _entry.split()
    if len(_parts) == 4:
        _fn, _res = BINARY[(_parts[1], _parts[2], _parts[3])]
        _sig(_parts[0], (_parts[2], _parts[3]), _res, _fn)
    elif len(_parts) == 3:
        _fn, _res = PREFIX[(_parts[1], _parts[2])]
        _sig(_parts[0], (_parts[2],), _res, _fn)


def _fits(declared: str, actual: T.SqlType) -> bool:
    if actual.name == declared or actual.name == "unknown":
        return True
    return declared in ("float8", "int4") and actual.name in _NUMBERS


def _exact(declared: tuple[str, ...], args: list[Vec]) -> bool:
    return all(a.type.name == d for d, a in zip(declared, args, strict=True))


def resolve(name: str, args: list[Vec]) -> Signature | None:
    """The signature of ``name`` these arguments call (None: not a geometric function of them)."""
    candidates = [s for s in SIGNATURES.get(name, []) if len(s[0]) == len(args)]
    if not candidates:
        return None
    for s in candidates:
        if _exact(s[0], args):
            return s
    if not any(a.type.name in TYPE_NAMES or a.type.name == "unknown" for a in args) and name not in CONSTRUCTORS:
        return None
    fitting = [s for s in candidates if all(_fits(d, a.type) for d, a in zip(s[0], args, strict=True))]
    known = [s for s in fitting if all(a.type.name != "unknown" or d in TYPE_NAMES
                                       for d, a in zip(s[0], args, strict=True))]
    if len(fitting) == 1:
        return fitting[0]
    return known[0] if len(known) == 1 else None


def call(sig: Signature, args: list[Vec]) -> Vec:
    declared, fn, result = sig
    typed = [a if a.type.name == d else cast(a, T.type_from_name(d), context="implicit")
             for d, a in zip(declared, args, strict=True)]
    return apply(fn, result_type(result), typed)


def _impl(name: str) -> Callable[[list[Vec]], Vec | None]:
    def impl(args: list[Vec]) -> Vec | None:
        sig = resolve(name, args)
        return None if sig is None else call(sig, args)

    return impl


for _name in SIGNATURES:
    registry.overload(_name, _impl(_name))
