"""Arithmetic on the numeric family (+ - * / % ^) with PostgreSQL's types and errors.

Integers use Arrow's checked kernels (overflow -> 22003, never wraps); floats follow IEEE
with PostgreSQL's overflow/underflow checks; numeric is exact on Arrow decimals with
PostgreSQL's result scales (add: max scale, mul: sum of scales, div: select_div_scale).
"""

from __future__ import annotations

import decimal

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import DivisionByZero, HeliosError, NumericValueOutOfRange
from helios_core.sql import types as T
from helios_core.sql.functions import decimals as D
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.functions.resolve import arithmetic_type
from helios_core.sql.functions.vec import Vec, align

_INT_NAME = {"int2": "smallint", "int4": "integer", "int8": "bigint"}
_CHECKED = {"+": pc.add_checked, "-": pc.subtract_checked, "*": pc.multiply_checked}


def _is_valid(x) -> pa.Array | bool:
    return x.is_valid if isinstance(x, pa.Scalar) else pc.is_valid(x)


def _both_valid(a, b):
    if isinstance(a, pa.Scalar) and isinstance(b, pa.Scalar):
        return pa.scalar(a.is_valid and b.is_valid)
    va = pa.scalar(a.is_valid) if isinstance(a, pa.Scalar) else pc.is_valid(a)
    vb = pa.scalar(b.is_valid) if isinstance(b, pa.Scalar) else pc.is_valid(b)
    return pc.and_(va, vb)


def _any(x) -> bool:
    if isinstance(x, pa.Scalar):
        return bool(x.as_py())
    return bool(pc.any(x).as_py())


def _zero_like(b):
    return pa.scalar(decimal.Decimal(0), b.type) if pa.types.is_decimal(b.type) else pa.scalar(0, b.type)


def _check_div_zero(a, b) -> None:
    zero = pc.and_(pc.equal(b, _zero_like(b)), _both_valid(a, b))
    if _any(pc.fill_null(zero, False)):
        raise DivisionByZero("division by zero")


def numeric_arith(op: str, l: Vec, r: Vec) -> Vec:
    """l op r for two numeric-family Vecs (types already resolved by the caller)."""
    if (NW.is_wide(l.array) or NW.is_wide(r.array)) and "float" not in l.type.name + r.type.name:
        # past Arrow's decimals
        return NW.call("power", [l, r]) if op == "^" else NW.arith_vec(op, l, r)
    if NW.is_wide(l.array) or NW.is_wide(r.array):  # a float side: the wide side as float8
        l, r = (Vec(pa.array([None if x is None else float(x) for x in NW.to_decimals(v.array)], pa.float64()),
                    T.FLOAT8, v.scalar) if NW.is_wide(v.array) else v for v in (l, r))
    if pa.types.is_struct(l.array.type) or pa.types.is_struct(r.array.type):  # numeric NaN/Infinity
        from helios_core.sql.functions import numeric_special as NS

        if op == "^" and "float" not in l.type.name + r.type.name:
            return NW.call("power", [l, r])
        if arithmetic_type(l.type, r.type).name in ("float4", "float8"):
            l, r = (Vec(NS.to_float(v.array, pa.float64()), T.FLOAT8, v.scalar) if NS.is_special(v.array) else v
                    for v in (l, r))
    if op == "^":
        if "numeric" in (l.type.name, r.type.name) and "float" not in l.type.name + r.type.name:
            return _numeric_power(l, r)
        return float_arith("^", l, r, T.FLOAT8)
    rt = arithmetic_type(l.type, r.type)
    if rt.name in ("float4", "float8"):
        if op == "%":
            raise _no_operator(op, l.type, r.type)
        return float_arith(op, l, r, rt)
    if rt.name == "numeric":
        try:
            return decimal_arith(op, l, r)
        except NumericValueOutOfRange:  # the result needs more than Arrow's 76 digits: wide numeric
            return NW.arith_vec(op, l, r)
    return int_arith(op, l, r, rt)


def _no_operator(op: str, a: T.SqlType, b: T.SqlType) -> HeliosError:
    from helios_core.errors import UndefinedFunction

    return UndefinedFunction(f"operator does not exist: {a} {op} {b}",
                             hint="No operator matches the given name and argument types. You might need to "
                                  "add explicit type casts.")


def int_arith(op: str, l: Vec, r: Vec, rt: T.SqlType) -> Vec:
    (a, b), scalar = align([l, r])
    a = a.cast(rt.arrow_type)
    b = b.cast(rt.arrow_type)
    try:
        if op in _CHECKED:
            out = _CHECKED[op](a, b)
        elif op == "/":
            _check_div_zero(a, b)
            out = pc.divide_checked(a, b)
        elif op == "%":
            _check_div_zero(a, b)
            safe_b = pc.if_else(pc.equal(b, -1), pa.scalar(1, rt.arrow_type), b)
            q = pc.divide(a, safe_b)
            out = pc.subtract(a, pc.multiply(q, safe_b))
        else:
            raise _no_operator(op, l.type, r.type)
    except pa.ArrowInvalid as e:
        if "overflow" in str(e).lower():
            raise NumericValueOutOfRange(f"{_INT_NAME[rt.name]} out of range") from None
        raise
    return Vec(_to_array(out, rt.arrow_type), rt, scalar)


def _to_array(x, typ) -> pa.Array:
    if isinstance(x, pa.Scalar):
        return pa.array([x.as_py()], typ) if not pa.types.is_decimal(typ) else pa.array([x.as_py()], x.type)
    return x


def float_arith(op: str, l: Vec, r: Vec, rt: T.SqlType) -> Vec:
    (a, b), scalar = align([l, r])
    a = _to_float(a, rt.arrow_type)
    b = _to_float(b, rt.arrow_type)
    if op == "+":
        out = pc.add(a, b)
    elif op == "-":
        out = pc.subtract(a, b)
    elif op == "*":
        out = pc.multiply(a, b)
    elif op == "/":
        _check_div_zero(pc.if_else(pc.is_nan(a), pa.scalar(None, a.type), a)
                        if not isinstance(a, pa.Scalar) else (a if a.as_py() == a.as_py() else
                                                              pa.scalar(None, a.type)), b)  # NaN / 0 = NaN
        out = pc.divide(a, b)
    elif op == "^":
        zero_neg = pc.and_(pc.equal(a, 0), pc.less(b, 0))
        if _any(pc.fill_null(zero_neg, False)):
            raise HeliosError("zero raised to a negative power is undefined", sqlstate="2201F")
        neg_frac = pc.and_(pc.less(a, 0), pc.not_equal(pc.floor(b), b))
        if _any(pc.fill_null(neg_frac, False)):
            raise HeliosError("a negative number raised to a non-integer power yields a complex result",
                              sqlstate="2201F")
        out = pc.power(a, b)
    else:
        raise _no_operator(op, l.type, r.type)
    out = _to_array(out, rt.arrow_type)
    _float_range_check(op, a, b, out)
    return Vec(out, rt, scalar)


def _to_float(x, typ):
    if pa.types.is_decimal(x.type):  # via text: correctly rounded like PostgreSQL
        return x.cast(pa.string()).cast(pa.float64()).cast(typ, safe=False) if isinstance(x, pa.Array) else \
            pa.scalar(None if x.as_py() is None else float(x.as_py()), typ)
    return x.cast(typ, safe=False)


def _float_range_check(op: str, a, b, out: pa.Array) -> None:
    fin_a = pc.is_finite(a)
    fin_b = pc.is_finite(b)
    over = pc.and_(pc.and_(pc.is_inf(out), fin_a), fin_b)
    if _any(pc.fill_null(over, False)):
        raise NumericValueOutOfRange("value out of range: overflow")
    if op in ("*", "/", "^"):
        nz = pc.equal(a, 0) if op != "*" else pc.or_(pc.equal(a, 0), pc.equal(b, 0))
        under = pc.and_(pc.equal(out, 0), pc.invert(nz))
        if op == "/":
            under = pc.and_(under, pc.is_finite(b))
        if op == "^":  # an infinite base or exponent may give 0 (power('-Infinity', -1) is -0)
            under = pc.and_(under, pc.and_(pc.is_finite(a), pc.is_finite(b)))
        if _any(pc.fill_null(under, False)):
            raise NumericValueOutOfRange("value out of range: underflow")


# ------------------------------------------------------------------------------------- numeric

def _dec(x):
    """Ints/decimals (array or scalar) as decimals."""
    if isinstance(x, pa.Scalar):
        if pa.types.is_decimal(x.type):
            return x
        if pa.types.is_integer(x.type):
            v = x.as_py()
            return pa.scalar(None if v is None else decimal.Decimal(v),
                             pa.decimal128(max(len(str(abs(v))) if v is not None else 1, 1), 0))
        if pa.types.is_null(x.type):
            return pa.scalar(None, pa.decimal128(1, 0))
        raise TypeError(x.type)
    if x.type == T.NUMERIC_STORAGE_ARROW:  # an unconstrained column's values
        return D.as_values_scale(x)
    return D.to_decimal(x)


def _fit(x):
    """Narrow an array (or scalar) to the precision its values need."""
    if isinstance(x, pa.Scalar):
        v = x.as_py()
        if v is None:
            return pa.scalar(None, pa.decimal128(1, 0))
        s = x.type.scale
        ip = len(str(abs(int(v)))) if int(v) else 1
        if ip + s < x.type.precision:
            return x.cast(D.dec_type(ip + s, s))
        return x
    return D.narrow(x)


def decimal_arith(op: str, l: Vec, r: Vec) -> Vec:
    if pa.types.is_struct(l.array.type) or pa.types.is_struct(r.array.type):
        from helios_core.sql.functions import numeric_special as NS

        return NS.arithmetic(op, l, r, decimal_arith)
    (a, b), scalar = align([l, r])
    a, b = _dec(a), _dec(b)
    if op in ("+", "-", "*"):
        fast = _int64_fast(op, a, b)
        if fast is not None:
            return Vec(fast, T.NUMERIC, scalar)
    if op in ("+", "-"):
        out = _add_sub(op, a, b)
    elif op == "*":
        out = _mul(a, b)
    elif op == "/":
        _check_div_zero(a, b)
        out = _div(a, b)
    elif op == "%":
        _check_div_zero(a, b)
        out = _mod(a, b)
    else:
        raise _no_operator(op, l.type, r.type)
    out = _to_array(out, out.type)
    if pa.types.is_decimal256(out.type):
        out = D.narrow(out)
        if out.type.precision <= 38:
            out = out.cast(pa.decimal128(out.type.precision, out.type.scale))
    return Vec(out, T.NUMERIC, scalar)


_POW10 = [10**k for k in range(19)]


def _unscaled(x):
    """(int64 array or python int scalar) of a decimal's digits, or None when they do not fit."""
    if not pa.types.is_decimal128(x.type):
        return None
    if isinstance(x, pa.Scalar):
        v = x.as_py()
        if v is None:
            return None
        u = int(v.scaleb(x.type.scale))
        return u if -(2**63) <= u < 2**63 else None
    if x.type.precision <= 18:
        return _unscaled_int64(x)
    return _unscaled_int64_if_fits(x)


def _int64_fast(op: str, a, b) -> pa.Array | None:
    """+ - * of two narrow decimals as checked int64 arithmetic on their unscaled digits.

    Exact by construction (Arrow's checked kernels raise on overflow; we then fall back to
    decimal kernels) and it keeps the declared precision at 19, so chains such as TPC-H's
    price * (1 - disc) * (1 + tax) never need a data-dependent narrowing pass.
    """
    if isinstance(a, pa.Scalar) and isinstance(b, pa.Scalar):
        return None
    if (isinstance(a, pa.Scalar) and not a.is_valid) or (isinstance(b, pa.Scalar) and not b.is_valid):
        return None
    ua, ub = _unscaled(a), _unscaled(b)
    if ua is None or ub is None:
        return None
    sa, sb = a.type.scale, b.type.scale
    try:
        if op == "*":
            scale = sa + sb
            if scale > 18:
                return None
            out = pc.multiply_checked(ua, ub)
        else:
            scale = max(sa, sb)
            if scale > 18:
                return None
            if sa < scale:
                ua = pc.multiply_checked(ua, _POW10[scale - sa]) if not isinstance(ua, int) else ua * _POW10[scale - sa]
            if sb < scale:
                ub = pc.multiply_checked(ub, _POW10[scale - sb]) if not isinstance(ub, int) else ub * _POW10[scale - sb]
            if isinstance(ua, int) and not -(2**63) <= ua < 2**63 or isinstance(ub, int) and not -(2**63) <= ub < 2**63:
                return None
            out = (pc.add_checked if op == "+" else pc.subtract_checked)(ua, ub)
    except (pa.ArrowInvalid, OverflowError):
        return None
    return out.cast(pa.decimal128(19, 0)).view(pa.decimal128(19, scale))


def _add_sub(op, a, b):
    s = max(a.type.scale, b.type.scale)
    need = max(a.type.precision - a.type.scale, b.type.precision - b.type.scale) + s + 1
    if need > D.MAX128:
        a, b = _fit(a), _fit(b)
        need = max(a.type.precision - a.type.scale, b.type.precision - b.type.scale) + s + 1
        if need > D.MAX128:
            if need > D.MAX256:
                raise NumericValueOutOfRange("value overflows numeric format")
            a = a.cast(pa.decimal256(a.type.precision, a.type.scale))
            b = b.cast(pa.decimal256(b.type.precision, b.type.scale))
    f = pc.add if op == "+" else pc.subtract
    return f(a, b)


def _mul(a, b):
    need = a.type.precision + b.type.precision + 1
    if need > D.MAX128:
        a, b = _fit(a), _fit(b)
        need = a.type.precision + b.type.precision + 1
        if need > D.MAX128:
            if need > D.MAX256:
                raise NumericValueOutOfRange("value overflows numeric format")
            a = a.cast(pa.decimal256(a.type.precision, a.type.scale))
            b = b.cast(pa.decimal256(b.type.precision, b.type.scale))
    return pc.multiply(a, b)


def _abs_float(x) -> pa.Array:
    if isinstance(x, pa.Scalar):
        x = pa.array([x.as_py()], x.type)
    return pc.abs(x.cast(pa.float64()))  # magnitude estimate only: direct cast is fine here


def _weight_and_first(x: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Base-10000 weight and leading base-10000 digit of |x| (0, 0 for zero/NULL)."""
    x = pc.fill_null(x, 0.0)
    pos = pc.greater(x, 0.0)
    w = pc.floor(pc.divide(pc.log10(pc.if_else(pos, x, 1.0)), 4.0))
    f = pc.floor(pc.divide(x, pc.power(10000.0, w)))
    return pc.if_else(pos, w, 0.0), pc.if_else(pos, f, 0.0)


def _div_scales(a, b) -> pa.Array:
    """PostgreSQL's select_div_scale for each row (int64): the quotient's display scale."""
    s1, s2 = a.type.scale, b.type.scale
    af, bf = _abs_float(a), _abs_float(b)
    if isinstance(a, pa.Scalar) and not isinstance(b, pa.Scalar):
        af = pa.repeat(af[0], len(bf))
    elif isinstance(b, pa.Scalar) and not isinstance(a, pa.Scalar):
        bf = pa.repeat(bf[0], len(af))
    w1, f1 = _weight_and_first(af)
    w2, f2 = _weight_and_first(bf)
    q = pc.subtract(pc.subtract(w1, w2), pc.cast(pc.less_equal(f1, f2), pa.float64()))
    rs = pc.subtract(16.0, pc.multiply(q, 4.0))
    rs = pc.max_element_wise(rs, float(max(s1, s2, 0)))
    return pc.min_element_wise(rs, 1000.0).cast(pa.int64())


def _div(a, b):
    scales = _div_scales(a, b)
    for side in (a, b):  # a NULL quotient has no scale: it must not widen the others'
        if isinstance(side, pa.Array) and side.null_count and len(side) == len(scales):
            scales = pc.if_else(side.is_valid(), scales, pa.scalar(None, pa.int64()))
    mm = pc.min_max(scales)
    lo, rs = mm["min"].as_py(), mm["max"].as_py()
    if rs is None:  # no rows
        lo = rs = max(a.type.scale, b.type.scale, 16)
    # Arrow's decimal division truncates at scale max(4, s1 + p2 - s2 + 1); give it one
    # digit more than the widest PostgreSQL scale, then round half away from zero.
    a, b = _fit(a), _fit(b)
    want = rs + 1
    natural = a.type.scale + b.type.precision - b.type.scale + 1
    if max(4, natural) < want:
        extra = want - natural
        a = a.cast(D.dec_type(a.type.precision + extra, a.type.scale + extra))
    arrow_scale = max(4, a.type.scale + b.type.precision - b.type.scale + 1)
    out_prec = a.type.precision - a.type.scale + b.type.scale + arrow_scale
    if out_prec > D.MAX128:
        if out_prec > D.MAX256:
            raise NumericValueOutOfRange("value overflows numeric format")
        a = a.cast(pa.decimal256(a.type.precision, a.type.scale))
        b = b.cast(pa.decimal256(b.type.precision, b.type.scale))
    q = pc.divide(a, b)
    q = _to_array(q, q.type)
    out = D.round_to_scale(q, rs)
    if lo != rs:
        # PostgreSQL picks the scale per value; rows that want fewer digits are rounded at
        # their own scale (one array keeps one scale, so they print with trailing zeros)
        for r in pc.unique(scales).to_pylist():
            if r is None or r == rs:
                continue
            mask = pc.equal(scales, r)
            if len(mask) != len(out):
                mask = pa.repeat(mask[0], len(out))
            out = pc.if_else(mask, D.rescale(D.round_to_scale(q, r), rs).cast(out.type), out)
    return out


def _mod(a, b):
    """a - trunc(a / b) * b with the larger scale, computed on unscaled integers."""
    s = max(a.type.scale, b.type.scale)
    n = len(a) if isinstance(a, pa.Array) else len(b) if isinstance(b, pa.Array) else 1
    a = a if isinstance(a, pa.Array) else pa.array([a.as_py()] * n, a.type)
    b = b if isinstance(b, pa.Array) else pa.array([b.as_py()] * n, b.type)
    a, b = D.rescale(_fit(a), s), D.rescale(_fit(b), s)
    if a.type.precision <= 18 and b.type.precision <= 18:
        ai = _unscaled_int64(a)
        bi = _unscaled_int64(b)
        safe_b = pc.if_else(pc.equal(bi, 0), 1, bi)
        r = pc.subtract(ai, pc.multiply(pc.divide(ai, safe_b), safe_b))  # C-style truncation
        out = r.cast(pa.decimal128(19, 0)).view(pa.decimal128(19, s))
        return D.narrow(out)
    # Per-row Python Decimal beyond 18 digits (no 128-bit integer kernels in Arrow)
    vals = []
    with decimal.localcontext() as ctx:
        ctx.prec = 100
        for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True):
            vals.append(None if x is None or y is None or y == 0 else x % y)  # Decimal % truncates
    return D.py_to_decimal_array(vals, s)


def _unscaled_int64_if_fits(x: pa.Array) -> pa.Array | None:
    """Like _unscaled_int64 for any decimal128, or None if some value needs the high word."""
    import numpy as np

    if len(x) == 0:
        return pa.array([], pa.int64())
    words = np.frombuffer(x.buffers()[1], dtype="<i8")[2 * x.offset: 2 * (x.offset + len(x))]
    lo, hi = words[0::2], words[1::2]
    fits = hi == (lo >> 63)
    mask = np.asarray(x.is_null()) if x.null_count else None
    if mask is not None:
        fits = fits | mask
    if not fits.all():
        return None
    return pa.array(lo, pa.int64(), mask=mask)


def _unscaled_int64(x: pa.Array) -> pa.Array:
    """The integer of a decimal128 array's digits (1.50 at scale 2 -> 150); precision <= 18.

    Zero-copy: the low 64-bit word of each little-endian 128-bit value (values fit int64).
    """
    import numpy as np

    x = x.cast(pa.decimal128(x.type.precision, x.type.scale)) if pa.types.is_decimal256(x.type) else x
    words = np.frombuffer(x.buffers()[1], dtype="<i8")[2 * x.offset: 2 * (x.offset + len(x))]
    mask = np.asarray(x.is_null()) if x.null_count else None
    return pa.array(words[0::2], pa.int64(), mask=mask)


def _numeric_power(l: Vec, r: Vec) -> Vec:
    """x ^ y per row in Python (Arrow has no exact decimal power) at PostgreSQL's scales."""
    return NW.call("power", [l, r])
