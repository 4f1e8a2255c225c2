"""Hyperbolic and degree-based trigonometric functions (sinh ... atanh, sind ... atan2d).

The degree variants give exact answers at the angles people test with (sind(30) = 0.5,
tand(45) = 1) the way PostgreSQL does: each is reduced to the first quadrant and scaled by the
function's own value at a reference angle, so rounding error cancels there. Rows are computed
in Python (no Arrow kernel has these semantics); the arrays are small scalar-expression inputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.math_funcs import _num
from helios_core.sql.functions.registry import define
from helios_core.sql.functions.vec import Vec

_RAD = math.pi / 180.0


def _out_of_range() -> HeliosError:
    return HeliosError("input is out of range", sqlstate="22003")


def _rowwise(name: str, fn: Callable[..., float], nargs: int = 1) -> None:
    def impl(args: list[Vec]) -> Vec:
        vs = [cast(_num(a, name, args), T.FLOAT8) for a in args]
        n = next((len(v.array) for v in vs if not v.scalar), 1)
        cols = [v.array.to_pylist() * (n if v.scalar else 1) for v in vs]
        out = [None if any(x is None for x in row) else fn(*row) for row in zip(*cols, strict=True)]
        return Vec(pa.array(out, pa.float64()), T.FLOAT8, all(v.scalar for v in vs))

    define(name, impl, nargs=nargs)


# ---------------------------------------------------------------------------------- hyperbolic
def _sinh(x: float) -> float:
    try:
        return math.sinh(x)
    except OverflowError:
        return math.copysign(math.inf, x)


def _cosh(x: float) -> float:
    try:
        return math.cosh(x)
    except OverflowError:
        return math.inf


def _acosh(x: float) -> float:
    if math.isnan(x):
        return x
    if x < 1:
        raise _out_of_range()
    return math.acosh(x)


def _atanh(x: float) -> float:
    if math.isnan(x):
        return x
    if x < -1 or x > 1:
        raise _out_of_range()
    if abs(x) == 1:
        return math.copysign(math.inf, x)
    return math.atanh(x)


_rowwise("sinh", _sinh)
_rowwise("cosh", _cosh)
_rowwise("tanh", math.tanh)
_rowwise("asinh", math.asinh)
_rowwise("acosh", _acosh)
_rowwise("atanh", _atanh)


# ----------------------------------------------------------------------------------- degrees
_SIN_30 = math.sin(30.0 * _RAD)
_ONE_MINUS_COS_60 = 1.0 - math.cos(60.0 * _RAD)
_ASIN_0_5 = math.asin(0.5)
_ACOS_0_5 = math.acos(0.5)
_ATAN_1 = math.atan(1.0)


def _sind_0_30(x: float) -> float:
    return (math.sin(x * _RAD) / _SIN_30) / 2.0


def _cosd_0_60(x: float) -> float:
    return 1.0 - ((1.0 - math.cos(x * _RAD)) / _ONE_MINUS_COS_60) / 2.0


def _sind_q1(x: float) -> float:
    return _sind_0_30(x) if x <= 30.0 else _cosd_0_60(90.0 - x)


def _cosd_q1(x: float) -> float:
    return _cosd_0_60(x) if x <= 60.0 else _sind_0_30(90.0 - x)


_TAN_45 = _sind_q1(45.0) / _cosd_q1(45.0)
_COT_45 = _cosd_q1(45.0) / _sind_q1(45.0)


def _reduce(x: float, *, odd: bool, fold_sign: bool) -> tuple[float, float]:
    """(angle in [0, 90], sign) for a finite angle in degrees."""
    x = math.fmod(x, 360.0)
    sign = 1.0
    if x < 0:
        x = -x
        if odd:
            sign = -sign
    if x > 180.0:
        x = 360.0 - x
        if odd:
            sign = -sign
    if x > 90.0:
        x = 180.0 - x
        if fold_sign:
            sign = -sign
    return x, sign


def _finite(x: float) -> bool:
    if math.isinf(x):
        raise _out_of_range()
    return not math.isnan(x)


def _sind(x: float) -> float:
    if not _finite(x):
        return x
    a, sign = _reduce(x, odd=True, fold_sign=False)
    return sign * _sind_q1(a)


def _cosd(x: float) -> float:
    if not _finite(x):
        return x
    a, sign = _reduce(x, odd=False, fold_sign=True)
    return sign * _cosd_q1(a)


def _tand(x: float) -> float:
    if not _finite(x):
        return x
    a, sign = _reduce(x, odd=True, fold_sign=True)
    c = _cosd_q1(a)
    t = math.copysign(math.inf, c) if c == 0 else (_sind_q1(a) / c) / _TAN_45
    r = sign * t
    return 0.0 if r == 0 else r


def _cotd(x: float) -> float:
    if not _finite(x):
        return x
    a, sign = _reduce(x, odd=True, fold_sign=True)
    s = _sind_q1(a)
    t = math.copysign(math.inf, s) if s == 0 else (_cosd_q1(a) / s) / _COT_45
    r = sign * t
    return 0.0 if r == 0 else r


def _asind_q1(x: float) -> float:
    if x <= 0.5:
        return (math.asin(x) / _ASIN_0_5) * 30.0
    return 90.0 - (math.acos(x) / _ACOS_0_5) * 60.0


def _acosd_q1(x: float) -> float:
    if x <= 0.5:
        return 90.0 - (math.asin(x) / _ASIN_0_5) * 30.0
    return (math.acos(x) / _ACOS_0_5) * 60.0


def _asind(x: float) -> float:
    if math.isnan(x):
        return x
    if x < -1 or x > 1:
        raise _out_of_range()
    return _asind_q1(x) if x >= 0 else -_asind_q1(-x)


def _acosd(x: float) -> float:
    if math.isnan(x):
        return x
    if x < -1 or x > 1:
        raise _out_of_range()
    return _acosd_q1(x) if x >= 0 else 90.0 + _asind_q1(-x)


def _atand(x: float) -> float:
    if math.isnan(x):
        return x
    return (math.atan(x) / _ATAN_1) * 45.0


def _atan2d(y: float, x: float) -> float:
    if math.isnan(x) or math.isnan(y):
        return math.nan
    return (math.atan2(y, x) / _ATAN_1) * 45.0


_rowwise("sind", _sind)
_rowwise("cosd", _cosd)
_rowwise("tand", _tand)
_rowwise("cotd", _cotd)
_rowwise("asind", _asind)
_rowwise("acosd", _acosd)
_rowwise("atand", _atand)
_rowwise("atan2d", _atan2d, nargs=2)
