"""PostgreSQL's arithmetic of the geometric types: float8 steps that fail like float8, and the
EPSILON tolerance of every geometric comparison.

Geometric operators compute with ``float8_pl``/``float8_mi``/``float8_mul``/``float8_div`` (an
infinite result of finite operands is 22003 overflow, a zero result of non-zero operands 22003
underflow, a division by zero 22012) and compare with a tolerance of 1e-6 (``FPeq``, ``FPlt``...),
so ``'(0,0)'::point ~= '(0.0000001,0)'`` is true. ``hypot`` is PostgreSQL's ``pg_hypot`` step by
step, so distances agree with PostgreSQL to the last bit.
"""

from __future__ import annotations

import math

from helios_core.errors import DivisionByZero, NumericValueOutOfRange

EPSILON = 1.0e-06
INF = math.inf
NAN = math.nan
isnan = math.isnan
isinf = math.isinf


def overflow() -> NumericValueOutOfRange:
    return NumericValueOutOfRange("value out of range: overflow")


def underflow() -> NumericValueOutOfRange:
    return NumericValueOutOfRange("value out of range: underflow")


def pl(a: float, b: float) -> float:
    r = a + b
    if isinf(r) and not isinf(a) and not isinf(b):
        raise overflow()
    return r


def mi(a: float, b: float) -> float:
    r = a - b
    if isinf(r) and not isinf(a) and not isinf(b):
        raise overflow()
    return r


def mul(a: float, b: float) -> float:
    r = a * b
    if isinf(r) and not isinf(a) and not isinf(b):
        raise overflow()
    if r == 0.0 and a != 0.0 and b != 0.0:
        raise underflow()
    return r


def div(a: float, b: float) -> float:
    if b == 0.0:
        if isnan(a):
            return NAN
        raise DivisionByZero("division by zero")
    r = a / b
    if isinf(r) and not isinf(a):
        raise overflow()
    if r == 0.0 and a != 0.0 and not isinf(b):
        raise underflow()
    return r


def hypot(x: float, y: float) -> float:
    """pg_hypot: sqrt(x*x + y*y) without undue overflow, as PostgreSQL computes it."""
    if isinf(x) or isinf(y):
        return INF
    if isnan(x) or isnan(y):
        return NAN
    x, y = abs(x), abs(y)
    if x < y:
        x, y = y, x
    if y == 0.0:
        return x
    yx = y / x
    r = x * math.sqrt(1.0 + yx * yx)
    if isinf(r):
        raise overflow()
    if r == 0.0:
        raise underflow()
    return r


# ---- float8's own ordering (NaN above everything, equal to itself)

def lt(a: float, b: float) -> bool:
    return not isnan(a) and (isnan(b) or a < b)


def gt(a: float, b: float) -> bool:
    return not isnan(b) and (isnan(a) or a > b)


def eq(a: float, b: float) -> bool:
    return (isnan(a) and isnan(b)) or a == b


def fmin(a: float, b: float) -> float:
    return a if lt(a, b) else b


def fmax(a: float, b: float) -> float:
    return a if gt(a, b) else b


# ---- the EPSILON comparisons (FPzero, FPeq, ...)

def zero(a: float) -> bool:
    return abs(a) <= EPSILON


def feq(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= EPSILON


def fne(a: float, b: float) -> bool:
    return a != b and abs(a - b) > EPSILON


def flt(a: float, b: float) -> bool:
    return a + EPSILON < b


def fle(a: float, b: float) -> bool:
    return a <= b + EPSILON


def fgt(a: float, b: float) -> bool:
    return a > b + EPSILON


def fge(a: float, b: float) -> bool:
    return a + EPSILON >= b
