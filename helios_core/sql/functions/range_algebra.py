"""Set algebra over range values (union, intersection, difference) and the bound comparisons
&< and &>, for ranges and multiranges alike, as PostgreSQL's rangetypes.c and multirangetypes.c
define them.

Bounds compare through one key per bound (PostgreSQL's range_cmp_bounds): an inclusive bound
sits at its value, an exclusive lower bound just after it, an exclusive upper bound just before
it, infinite bounds at the ends. Results go back through ``range_io.canonical`` so that
discrete ranges stay [a,b).
"""

from __future__ import annotations

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions.range_io import (
    EMPTY,
    EMPTY_RANGE,
    LB_INC,
    LB_INF,
    UB_INC,
    UB_INF,
    PyRange,
    adjacent,
    canonical,
    normalize,
    overlaps,
)


def lower_key(r: PyRange) -> tuple:
    """Where r's lower bound lies on the line of bounds (see the module docstring)."""
    flags, lower, _ = r
    return (0,) if flags & LB_INF else (1, lower, 0 if flags & LB_INC else 1)


def upper_key(r: PyRange) -> tuple:
    flags, _, upper = r
    return (2,) if flags & UB_INF else (1, upper, 0 if flags & UB_INC else -1)


def _is_empty(r: PyRange) -> bool:
    return bool(r[0] & EMPTY)


def _build(sub: T.SqlType, lower_from: PyRange, upper_from: PyRange) -> PyRange:
    """The range from lower_from's lower bound to upper_from's upper bound."""
    flags = (lower_from[0] & (LB_INC | LB_INF)) | (upper_from[0] & (UB_INC | UB_INF))
    return canonical(sub, flags, lower_from[1], upper_from[2])


def _before(sub: T.SqlType, r: PyRange, s: PyRange) -> PyRange:
    """The part of r below s's lower bound: r's lower bound up to s's lower bound, flipped."""
    flags = (r[0] & (LB_INC | LB_INF)) | (0 if s[0] & LB_INC else UB_INC)
    return canonical(sub, flags, r[1], s[1])


def _after(sub: T.SqlType, r: PyRange, s: PyRange) -> PyRange:
    """The part of r above s's upper bound: s's upper bound, flipped, up to r's upper bound."""
    flags = (0 if s[0] & UB_INC else LB_INC) | (r[0] & (UB_INC | UB_INF))
    return canonical(sub, flags, s[2], r[2])


def intersect(sub: T.SqlType, a: PyRange, b: PyRange) -> PyRange:
    """a * b: empty unless they overlap, else the greater lower and the lesser upper bound."""
    if _is_empty(a) or _is_empty(b) or not overlaps(a, b):
        return EMPTY_RANGE
    lo = a if lower_key(a) >= lower_key(b) else b
    up = a if upper_key(a) <= upper_key(b) else b
    return _build(sub, lo, up)


def minus_pieces(sub: T.SqlType, r: PyRange, s: PyRange) -> list[PyRange]:
    """What remains of r once s is taken away: none, one or two ranges."""
    if _is_empty(r):
        return []
    if _is_empty(s) or not overlaps(r, s):
        return [r]
    out = []
    if lower_key(r) < lower_key(s):
        out.append(_before(sub, r, s))
    if upper_key(s) < upper_key(r):
        out.append(_after(sub, r, s))
    return [p for p in out if not _is_empty(p)]


def range_minus(sub: T.SqlType, a: PyRange, b: PyRange) -> PyRange:
    """a - b for ranges: an error when b splits a in two."""
    pieces = minus_pieces(sub, a, b)
    if len(pieces) > 1:
        raise HeliosError("result of range difference would not be contiguous", sqlstate="22000")
    return pieces[0] if pieces else EMPTY_RANGE


def range_union(sub: T.SqlType, a: PyRange, b: PyRange, *, strict: bool = True) -> PyRange:
    """a + b for ranges: an error when a gap is left between them (unless not strict:
    range_merge spans the gap)."""
    if _is_empty(a):
        return b
    if _is_empty(b):
        return a
    if strict and not overlaps(a, b) and not adjacent(a, b):
        raise HeliosError("result of range union would not be contiguous", sqlstate="22000")
    lo = a if lower_key(a) <= lower_key(b) else b
    up = a if upper_key(a) >= upper_key(b) else b
    return _build(sub, lo, up)


def multi_union(a: list[PyRange], b: list[PyRange]) -> list[PyRange]:
    return normalize(a + b)


def multi_intersect(sub: T.SqlType, a: list[PyRange], b: list[PyRange]) -> list[PyRange]:
    return normalize([intersect(sub, x, y) for x in a for y in b])


def multi_minus(sub: T.SqlType, a: list[PyRange], b: list[PyRange]) -> list[PyRange]:
    out: list[PyRange] = []
    for r in a:
        pieces = [r]
        for s in b:
            pieces = [p for piece in pieces for p in minus_pieces(sub, piece, s)]
        out.extend(pieces)
    return normalize(out)


def overleft(a: list[PyRange], b: list[PyRange]) -> bool:
    """a &< b: a does not extend to the right of b (false when either is empty)."""
    return bool(a and b) and upper_key(a[-1]) <= upper_key(b[-1])


def overright(a: list[PyRange], b: list[PyRange]) -> bool:
    """a &> b: a does not extend to the left of b (false when either is empty)."""
    return bool(a and b) and lower_key(a[0]) >= lower_key(b[0])


def touches(a: PyRange, b: PyRange) -> bool:
    """a's upper bound meets b's lower bound with nothing between and no overlap (one inclusive)."""
    if a[0] & (EMPTY | UB_INF) or b[0] & (EMPTY | LB_INF):
        return False
    return a[2] == b[1] and bool(a[0] & UB_INC) != bool(b[0] & LB_INC)


def adjacent_lists(a: list[PyRange], b: list[PyRange]) -> bool:
    """a -|- b over ranges or multiranges: a's last range ends where b's first begins, or b's last
    ends where a's first begins (PostgreSQL compares the multiranges' outer bounds only)."""
    return bool(a and b) and (touches(a[-1], b[0]) or touches(b[-1], a[0]))


def as_list(r: PyRange) -> list[PyRange]:
    """A range as the ranges of a multirange: none when it is empty."""
    return [] if _is_empty(r) else [r]
