"""Math functions with PostgreSQL's overloads (int -> double precision unless numeric is exact).

Float and integer paths are Arrow kernels. numeric ln/exp/sqrt/log/power are per-row Python
Decimal (Arrow has no exact decimal transcendental kernels), with PostgreSQL's result scales.
"""

from __future__ import annotations

import decimal
import math
import random as _random

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import DivisionByZero, HeliosError, NumericValueOutOfRange
from helios_core.sql import types as T
from helios_core.sql.functions import decimals as D
from helios_core.sql.functions import money
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.registry import define, no_function, scalar
from helios_core.sql.functions.resolve import common_type
from helios_core.sql.functions.vec import Vec, align, full

_INTS = ("int2", "int4", "int8")
_FLOATS = ("float4", "float8")


def _num(v: Vec, fname: str, args: list[Vec]) -> Vec:
    """Unknown literals become numeric; non-numbers are 42883."""
    if v.type.name == "unknown":
        return cast(v, T.FLOAT8)
    if v.type.name in _INTS + _FLOATS + ("numeric",):
        return v
    raise no_function(fname, args)


def _float_or_numeric(v: Vec, fname: str, args: list[Vec]) -> Vec:
    """Resolution between f(numeric) and f(double precision): ints go to double precision."""
    v = _num(v, fname, args)
    if v.type.name == "numeric":
        return v
    return cast(v, T.FLOAT8) if v.type.name != "float8" else v


def _wrap(arr, t: T.SqlType, scalar_: bool) -> Vec:
    if isinstance(arr, pa.Scalar):
        arr = pa.array([arr.as_py()], arr.type)
    return Vec(arr, t, scalar_)


@scalar("abs")
def _abs(args: list[Vec]) -> Vec:
    v = _num(args[0], "abs", args)
    if v.type.name in _INTS:
        try:
            return Vec(pc.abs_checked(v.array), v.type.base, v.scalar)
        except pa.ArrowInvalid:
            raise NumericValueOutOfRange(
                {"int2": "smallint", "int4": "integer", "int8": "bigint"}[v.type.name] + " out of range") from None
    return Vec(pc.abs(v.array), v.type.base if v.type.name != "numeric" else T.NUMERIC, v.scalar)


def _rounding(name: str, float_kernel, mode: str):
    @scalar(*name.split("|"), nargs=(1, 2))
    def impl(args: list[Vec]) -> Vec:
        fname = name.split("|")[0]
        v = args[0]
        if len(args) == 2 or v.type.name == "numeric" or (v.type.name in _INTS and len(args) == 2):
            if len(args) == 2 and fname in ("ceil", "floor"):
                raise no_function(fname, args)
            v = cast(_num(v, fname, args), T.NUMERIC) if v.type.name != "numeric" else v
            n = args[1] if len(args) == 2 else Vec.const(0, T.INT4)
            if n.type.name not in _INTS and n.type.name != "unknown":
                raise no_function(fname, args)
            n = cast(n, T.INT4)
            return _round_numeric(v, n, mode)
        v = _float_or_numeric(v, fname, args)
        if v.type.name == "numeric":
            return _round_numeric(v, Vec.const(0, T.INT4), mode)
        return Vec(float_kernel(v.array), T.FLOAT8, v.scalar)

    return impl


_PY_ROUNDING = {"half_towards_infinity": decimal.ROUND_HALF_UP, "towards_zero": decimal.ROUND_DOWN,
                "up": decimal.ROUND_CEILING, "down": decimal.ROUND_FLOOR}


def _round_numeric(v: Vec, n: Vec, mode: str) -> Vec:
    try:
        return _round_decimals(v, n, mode)
    except NumericValueOutOfRange:  # the result needs more than Arrow's 76 digits: wide numeric
        (a, b), all_scalar = full([v, n])
        f = NW.round_fn(_PY_ROUNDING[mode])
        return NW.result([None if x is None or k is None else f(x, k) for x, k in zip(
            NW.to_decimals(a), b.to_pylist(), strict=True)], all_scalar)


def _round_decimals(v: Vec, n: Vec, mode: str) -> Vec:
    arr = D.to_decimal(v.array)
    if not n.scalar:
        # Per-row Python for a per-row digit count
        (a, b), all_scalar = full([Vec(arr, T.NUMERIC, v.scalar), n])
        rnd = {"half_towards_infinity": decimal.ROUND_HALF_UP, "towards_zero": decimal.ROUND_DOWN,
               "up": decimal.ROUND_CEILING, "down": decimal.ROUND_FLOOR}[mode]
        vals = []
        for x, k in zip(a.to_pylist(), b.to_pylist(), strict=True):
            vals.append(None if x is None or k is None else x.quantize(decimal.Decimal(1).scaleb(-k), rnd)
                        if k >= 0 else (x.scaleb(k).quantize(decimal.Decimal(1), rnd)).scaleb(-k))
        return Vec(D.py_to_decimal_array(vals), T.NUMERIC, all_scalar)
    k = n.value()
    if k is None:
        return Vec(pa.nulls(len(arr), pa.decimal128(1, 0)), T.NUMERIC, v.scalar)
    scale = arr.type.scale
    if k >= scale:
        out = D.rescale(arr, k)
        return Vec(out, T.NUMERIC, v.scalar)
    if arr.type.precision < D.MAX256:  # spare digits for a carry (9.99 -> 10.0, 0.5 -> 10 at k=-1)
        arr = arr.cast(D.dec_type(min(arr.type.precision + 1 + max(-k, 0), D.MAX256), scale))
    r = pc.round(arr, ndigits=k, round_mode=mode)
    target = max(k, 0)
    p = arr.type.precision - scale + target + 1
    try:
        out = r.cast(D.dec_type(p, target))
    except pa.ArrowInvalid:
        out = D.narrow(r).cast(D.dec_type(p, target))
    return Vec(out, T.NUMERIC, v.scalar)


_rounding("round", lambda a: pc.round(a, round_mode="half_to_even"), "half_towards_infinity")
_rounding("trunc", pc.trunc, "towards_zero")
_rounding("ceil|ceiling", pc.ceil, "up")
_rounding("floor", pc.floor, "down")


@scalar("sign")
def _sign(args: list[Vec]) -> Vec:
    v = _float_or_numeric(args[0], "sign", args)
    if v.type.name == "numeric":
        s = pc.sign(v.array)
        if pa.types.is_decimal(s.type):
            s = pc.cast(s, pa.float64())
        return Vec(pc.cast(pc.cast(s, pa.int8()), pa.decimal128(3, 0)), T.NUMERIC, v.scalar)
    return Vec(pc.sign(v.array).cast(pa.float64()), T.FLOAT8, v.scalar)


@scalar("mod", nargs=2)
def _mod(args: list[Vec]) -> Vec:
    from helios_core.sql.functions.operators import arithmetic

    a, b = args
    for x in (a, b):
        if x.type.name in _FLOATS:
            raise no_function("mod", args)
    return arithmetic("%", a, b)


@scalar("div", nargs=2)
def _div(args: list[Vec]) -> Vec:
    from helios_core.sql.functions.operators import arithmetic

    a, b = (cast(_num(x, "div", args), T.NUMERIC) for x in args)
    q = arithmetic("/", a, b)
    # integer quotient, truncated toward zero, scale 0
    return _round_numeric(Vec(pc.trunc(q.array), T.NUMERIC, q.scalar), Vec.const(0, T.INT4), "towards_zero")


@scalar("power", "pow", nargs=2)
def _power(args: list[Vec]) -> Vec:
    from helios_core.sql.functions.operators import arithmetic

    a, b = args
    if a.type.name == "numeric" or b.type.name == "numeric":
        return arithmetic("^", cast(_num(a, "power", args), T.NUMERIC), cast(_num(b, "power", args), T.NUMERIC))
    return arithmetic("^", cast(_num(a, "power", args), T.FLOAT8), cast(_num(b, "power", args), T.FLOAT8))


def _float_fn(name: str, fn, check=None):
    @scalar(name)
    def impl(args: list[Vec]) -> Vec:
        v = _float_or_numeric(args[0], name, args)
        if v.type.name == "numeric":
            return _numeric_transcendental(name, v)
        if check is not None:
            check(v.array)
        out = fn(v.array)
        _check_float_range(v.array, out, zero_ok=name != "exp")
        return _wrap(out, T.FLOAT8, v.scalar)

    return impl


def _check_float_range(arg: pa.Array, out: pa.Array, *, zero_ok: bool) -> None:
    """PostgreSQL's check of a float8 result: inf from a finite argument is an overflow, 0 from
    a nonzero finite argument an underflow (unless zero_ok), both 22003."""
    fin_in = pc.is_finite(arg)
    if pc.any(pc.fill_null(pc.and_(pc.is_inf(out), fin_in), False)).as_py():
        raise NumericValueOutOfRange("value out of range: overflow")
    if zero_ok:
        return
    under = pc.and_(pc.and_(pc.equal(out, 0.0), fin_in), pc.not_equal(arg, 0.0))
    if pc.any(pc.fill_null(under, False)).as_py():
        raise NumericValueOutOfRange("value out of range: underflow")


def _check_sqrt(a: pa.Array) -> None:
    if pc.any(pc.fill_null(pc.less(a, 0), False)).as_py():
        raise HeliosError("cannot take square root of a negative number", sqlstate="2201F")


def _check_log(a: pa.Array) -> None:
    if pc.any(pc.fill_null(pc.equal(a, 0), False)).as_py():
        raise HeliosError("cannot take logarithm of zero", sqlstate="2201E")
    if pc.any(pc.fill_null(pc.less(a, 0), False)).as_py():
        raise HeliosError("cannot take logarithm of a negative number", sqlstate="2201E")


_float_fn("sqrt", pc.sqrt, _check_sqrt)
_float_fn("exp", pc.exp)
_float_fn("ln", pc.ln, _check_log)
_float_fn("log10", pc.log10, _check_log)


@scalar("cbrt")
def _cbrt(args: list[Vec]) -> Vec:
    v = cast(_num(args[0], "cbrt", args), T.FLOAT8)
    # Per-row Python: libm's cbrt (math.cbrt) rounds like PostgreSQL; pow(x, 1/3) does not
    out = pa.array([None if x is None else math.cbrt(x) for x in v.array.to_pylist()], pa.float64())
    return _wrap(out, T.FLOAT8, v.scalar)


@scalar("log", nargs=(1, 2))
def _log(args: list[Vec]) -> Vec:
    if len(args) == 1:
        v = _float_or_numeric(args[0], "log", args)
        if v.type.name == "numeric":
            return _numeric_transcendental("log10", v)
        _check_log(v.array)
        return _wrap(pc.log10(v.array), T.FLOAT8, v.scalar)
    b, x = (cast(_num(a, "log", args), T.NUMERIC) for a in args)
    (ba, xa), all_scalar = full([b, x])
    vals = []
    scale = 0
    # Per-row Python: exact numeric logarithm to PostgreSQL's scale
    with decimal.localcontext() as ctx:
        ctx.prec = 50
        for bb, xx in zip(ba.to_pylist(), xa.to_pylist(), strict=True):
            if bb is None or xx is None:
                vals.append(None)
                continue
            if bb <= 0 or xx <= 0:
                raise HeliosError("cannot take logarithm of " + ("zero" if 0 in (bb, xx) else "a negative number"),
                                  sqlstate="2201E")
            if bb == 1:
                raise DivisionByZero("division by zero")
            r = xx.ln() / bb.ln()
            rs = 16 - (_ln_dweight(xx) - _ln_dweight(bb))
            rs = max(rs, -bb.as_tuple().exponent, -xx.as_tuple().exponent, 0)
            scale = max(scale, rs)
            vals.append(r.quantize(decimal.Decimal(1).scaleb(-rs), rounding=decimal.ROUND_HALF_UP))
    return Vec(D.py_to_decimal_array(vals, scale), T.NUMERIC, all_scalar)


def _ln_dweight(x: decimal.Decimal) -> int:
    """PostgreSQL's estimate_ln_dweight: the decimal weight of ln(x), which fixes result scales."""
    if decimal.Decimal("0.9") <= x <= decimal.Decimal("1.1"):
        d = x - 1
        return d.adjusted() if d != 0 else 0
    lnx = math.log(float(x)) if float(x) > 0 else 0.0
    return int(math.log10(abs(lnx))) if lnx != 0 else 0


def _numeric_transcendental(name: str, v: Vec) -> Vec:
    # Per-row Python Decimal: exact-enough numeric results with PostgreSQL's display scales
    arr = D.to_decimal(v.array)
    dscale = arr.type.scale
    vals = []
    scale = 0
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        ctx.traps[decimal.Overflow] = False
        for x in arr.to_pylist():
            if x is None:
                vals.append(None)
                continue
            if name == "sqrt":
                if x < 0:
                    raise HeliosError("cannot take square root of a negative number", sqlstate="2201F")
                weight = math.floor(math.log10(x) / 4) if x != 0 else 0
                sweight = (weight + 1) * 4 // 2 - 1
                rs = 16 - sweight
                r = x.sqrt()
            elif name == "exp":
                val = float(x) * 0.434294481903252
                if val > 60:  # HeliosDB numeric holds 76 digits; PostgreSQL's limit is higher
                    raise NumericValueOutOfRange("value overflows numeric format")
                rs = 16 - int(val)
                r = x.exp()
            else:
                if x == 0:
                    raise HeliosError("cannot take logarithm of zero", sqlstate="2201E")
                if x < 0:
                    raise HeliosError("cannot take logarithm of a negative number", sqlstate="2201E")
                r = x.ln() if name == "ln" else x.log10()
                if name == "ln":
                    rs = 16 - _ln_dweight(x)
                else:  # log10(x) = log(10, x)
                    rs = 16 - (_ln_dweight(x) - _ln_dweight(decimal.Decimal(10)))
            rs = max(rs, dscale, 0)
            scale = max(scale, rs)
            vals.append(r.quantize(decimal.Decimal(1).scaleb(-rs), rounding=decimal.ROUND_HALF_UP))
    return Vec(D.py_to_decimal_array(vals, scale), T.NUMERIC, v.scalar)


@scalar("pi", nargs=0)
def _pi(args: list[Vec]) -> Vec:
    return Vec.const(math.pi, T.FLOAT8)


@scalar("random", nargs=0, volatile=True)
def _rand(args: list[Vec]) -> Vec:
    return Vec.const(_random.random(), T.FLOAT8)


def random_array(n: int) -> pa.Array:
    """n independent random() values (the planner calls this to fill a column)."""
    import numpy as np

    return pa.array(np.random.default_rng().random(n))


@scalar("setseed", volatile=True)
def _setseed(args: list[Vec]) -> Vec:
    s = cast(args[0], T.FLOAT8).value()
    if s is None or not -1.0 <= s <= 1.0:
        raise HeliosError(f"setseed parameter {s} is out of allowed range [-1,1]", sqlstate="22003")
    _random.seed(s)
    return Vec.null(T.VOID)


def _trig(name: str, fn):
    @scalar(name)
    def impl(args: list[Vec]) -> Vec:
        v = cast(_num(args[0], name, args), T.FLOAT8)
        try:
            out = fn(v.array)
        except pa.ArrowInvalid:
            raise HeliosError("input is out of range", sqlstate="22003") from None
        if name in ("degrees", "radians"):
            _check_float_range(v.array, out, zero_ok=False)
        return _wrap(out, T.FLOAT8, v.scalar)

    return impl


def _finite_only(kernel):
    def f(a):
        if pc.any(pc.fill_null(pc.is_inf(a), False)).as_py():
            raise HeliosError("input is out of range", sqlstate="22003")
        return kernel(a)

    return f


for _n, _f in (("sin", _finite_only(pc.sin)), ("cos", _finite_only(pc.cos)), ("tan", _finite_only(pc.tan)),
               ("asin", pc.asin_checked),
               ("acos", pc.acos_checked), ("atan", pc.atan),
               ("degrees", lambda a: pc.divide(a, math.pi / 180.0)),  # PostgreSQL divides
               ("radians", lambda a: pc.multiply(a, math.pi / 180.0)),
               ("cot", lambda a: pc.divide(1.0, pc.tan(a)))):
    _trig(_n, _f)


@scalar("atan2", nargs=2)
def _atan2(args: list[Vec]) -> Vec:
    a, b = (cast(_num(x, "atan2", args), T.FLOAT8) for x in args)
    (x, y), s = align([a, b])
    return _wrap(pc.atan2(x, y), T.FLOAT8, s)


def _gcd_lcm(name: str):
    def impl(args: list[Vec]) -> Vec:
        t = common_type([a.type for a in args])
        if t.name not in _INTS + ("numeric",):
            raise no_function(name, args)
        a, b = (cast(x, t) for x in args)
        (x, y), s = full([a, b])
        out = []
        for p, q in zip(x.to_pylist(), y.to_pylist(), strict=True):
            if p is None or q is None:
                out.append(None)
            else:
                g = math.gcd(int(p), int(q))
                out.append(g if name == "gcd" else (abs(int(p) * int(q)) // g if g else 0))
        return Vec(pa.array(out, t.arrow_type if t.name != "numeric" else pa.decimal128(38, 0)), t, s)

    return impl


for _n in ("gcd", "lcm"):
    define(_n, _gcd_lcm(_n), nargs=2)


def _is_nan(v: float | decimal.Decimal) -> bool:
    return v.is_nan() if isinstance(v, decimal.Decimal) else math.isnan(v)


def _is_inf(v: float | decimal.Decimal) -> bool:
    return v.is_infinite() if isinstance(v, decimal.Decimal) else math.isinf(v)


@scalar("width_bucket", nargs=4)
def _width_bucket(args: list[Vec]) -> Vec:
    op, lo, hi, cnt = args
    t = T.NUMERIC if any(a.type.name == "numeric" for a in args[:3]) else T.FLOAT8
    vs = [cast(_num(x, "width_bucket", args), t) for x in (op, lo, hi)] + [cast(cnt, T.INT4)]
    arrays, s = full(vs)
    cols = [NW.to_decimals(c) for c in arrays[:3]] if t.name == "numeric" else [c.to_pylist() for c in arrays[:3]]
    out = []
    for x, a, b, n in zip(*cols, arrays[3].to_pylist(), strict=True):
        if None in (x, a, b, n):
            out.append(None)
            continue
        if any(_is_nan(v) for v in (x, a, b)):
            raise HeliosError("operand, lower bound, and upper bound cannot be NaN", sqlstate="2201G")
        if any(_is_inf(v) for v in (a, b)):
            raise HeliosError("lower and upper bounds must be finite", sqlstate="2201G")
        if n <= 0:
            raise HeliosError("count must be greater than zero", sqlstate="2201G")
        if a == b:
            raise HeliosError("lower bound cannot equal upper bound", sqlstate="2201G")
        exact = isinstance(x, decimal.Decimal)  # numeric: (x - lo) * count / (hi - lo) exactly, truncated
        if a < b:
            r = 0 if x < a else n + 1 if x >= b else (int(NW.CTX.divide_int((x - a) * n, b - a)) if exact else
                                                      int((x - a) / (b - a) * n)) + 1
        else:
            r = 0 if x > a else n + 1 if x <= b else (int(NW.CTX.divide_int((a - x) * n, a - b)) if exact else
                                                      int((a - x) / (a - b) * n)) + 1
        out.append(r)
    return Vec(pa.array(out, pa.int32()), T.INT4, s)


def _extreme(name: str, pick_greatest: bool):
    @scalar(name, nargs=(1, None))
    def impl(args: list[Vec]) -> Vec:
        t = common_type([a.type for a in args], name.upper())
        vs = [cast(a, t, context="implicit") for a in args]
        arrays, s = align(vs)
        from helios_core.sql.functions.compare import sort_key

        if t.name in ("interval", "bpchar") or t.element is not None or t.name == "jsonb" or \
                pa.types.is_decimal(t.arrow_type) or t.name == "bool":
            return _extreme_py(vs, pick_greatest, t)
        del sort_key
        kern = pc.max_element_wise if pick_greatest else pc.min_element_wise
        if t.name in ("timestamptz", "timestamp", "date", "time"):  # compare the integer encoding
            via = pa.int32() if t.name == "date" else pa.int64()
            ints = [a.cast(via) for a in arrays]
            out = kern(*ints, skip_nulls=True)
            target = t.arrow_type
            out = out.cast(target)
            return _wrap(out, t, s)
        out = kern(*arrays, skip_nulls=True)
        return _wrap(out, t, s)

    return impl


def _extreme_py(vs: list[Vec], greatest: bool, t: T.SqlType) -> Vec:
    from helios_core.sql.functions.compare import compare_same

    best = vs[0]
    for v in vs[1:]:
        better = compare_same(">" if greatest else "<", v, best, t)
        # take v where v is better or best is NULL
        (bv, vv), s = full([best, v])
        take_v = pc.or_(pc.fill_null(better.broadcast(len(bv)).array, False), pc.is_null(bv))
        if pa.types.is_decimal(bv.type) and bv.type != vv.type:
            sc = max(bv.type.scale, vv.type.scale)
            ip = max(bv.type.precision - bv.type.scale, vv.type.precision - vv.type.scale)
            bv, vv = bv.cast(D.dec_type(ip + sc, sc)), vv.cast(D.dec_type(ip + sc, sc))
        best = Vec(pc.if_else(take_v, vv, bv), t, s)
    return best


_extreme("greatest", True)
_extreme("least", False)


# ------------------------------------------------------------------- numeric scale inspection
def _as_numeric(v: Vec, fname: str, args: list[Vec]) -> Vec:
    if v.type.name in _FLOATS:  # no implicit cast from double precision to numeric
        raise no_function(fname, args)
    v = _num(v, fname, args) if v.type.name != "unknown" else v
    return v if v.type.name == "numeric" else cast(v, T.NUMERIC)


def _min_scale_of(d: decimal.Decimal) -> int:
    e = d.normalize().as_tuple().exponent if d != 0 else 0
    return max(0, -e) if isinstance(e, int) else 0


@scalar("scale")
def _scale(args: list[Vec]) -> Vec:
    """The display scale: one per array here (PostgreSQL keeps one per value)."""
    v = _as_numeric(args[0], "scale", args)
    s = v.array.type.scale if pa.types.is_decimal(v.array.type) else 0
    out = pc.if_else(pc.is_null(v.array), pa.scalar(None, pa.int32()), pa.scalar(s, pa.int32()))
    return _wrap(out, T.INT4, v.scalar)


@scalar("min_scale")
def _min_scale(args: list[Vec]) -> Vec:
    v = _as_numeric(args[0], "min_scale", args)
    out = [None if d is None else _min_scale_of(d) for d in v.array.to_pylist()]
    return _wrap(pa.array(out, pa.int32()), T.INT4, v.scalar)


@scalar("trim_scale")
def _trim_scale(args: list[Vec]) -> Vec:
    v = _as_numeric(args[0], "trim_scale", args)
    vals = v.array.to_pylist()
    scale = max((_min_scale_of(d) for d in vals if d is not None), default=0)
    return _wrap(D.py_to_decimal_array(vals, scale), T.NUMERIC, v.scalar)


@scalar("factorial")
def _factorial(args: list[Vec]) -> Vec:
    v = args[0]
    if v.type.name not in _INTS + ("unknown",):
        raise no_function("factorial", args)
    v = cast(v, T.INT8)
    out = []
    for n in v.array.to_pylist():
        if n is None:
            out.append(None)
            continue
        if n < 0:
            raise NumericValueOutOfRange("factorial of a negative number is undefined")
        if n > 56:  # 57! has 77 digits: past HeliosDB's numeric (PostgreSQL goes to 32177!)
            raise NumericValueOutOfRange("value overflows numeric format",
                                         detail=f"HeliosDB numeric holds at most {D.MAX256} digits")
        out.append(math.factorial(n))
    return _wrap(D.py_to_decimal_array(out, 0), T.NUMERIC, v.scalar)


@scalar("width_bucket", nargs=2)
def _width_bucket_array(args: list[Vec]) -> Vec:
    """width_bucket(operand, thresholds): how many of the ascending thresholds are <= operand."""
    import bisect

    op, arr = args
    if arr.type.name == "unknown":  # width_bucket(5, '{}'): the thresholds are an array of the operand's type
        arr = cast(arr, T.array_of(op.type if op.type.name != "unknown" else T.NUMERIC))
    if arr.type.element is None:
        raise no_function("width_bucket", args)
    t = common_type([op.type, arr.type.element], "width_bucket")
    op = cast(op, t)
    arr = cast(arr, T.array_of(t))
    (xs, ths), s = full([op, arr])
    out = []
    for x, th in zip(xs.to_pylist(), ths.to_pylist(), strict=True):
        if x is None or th is None:
            out.append(None)
            continue
        if any(isinstance(v, list) for v in th):
            raise HeliosError("thresholds must be one-dimensional array", sqlstate="2202E")
        if any(v is None for v in th):
            raise HeliosError("thresholds array must not contain NULLs", sqlstate="22004")
        out.append(bisect.bisect_right(th, x))
    return _wrap(pa.array(out, pa.int32()), T.INT4, s)


# ----------------------------------------------------------------------------------------- money
def _money_args(name: str, args: list[Vec]) -> list[Vec]:
    out = [cast(a, T.MONEY) if a.type.name in ("unknown", "money") else None for a in args]
    if any(a is None for a in out):
        raise no_function(name, args)
    return out


@scalar("cashlarger", nargs=2)
def _cashlarger(args: list[Vec]) -> Vec:
    return money.larger_smaller(_money_args("cashlarger", args), larger=True)


@scalar("cashsmaller", nargs=2)
def _cashsmaller(args: list[Vec]) -> Vec:
    return money.larger_smaller(_money_args("cashsmaller", args), larger=False)


@scalar("cash_words")
def _cash_words(args: list[Vec]) -> Vec:
    return money.cash_words(_money_args("cash_words", args)[0])
