"""numeric values past Arrow's decimals: one text per value, each with its own scale.

Arrow's decimal256 holds 76 digits; PostgreSQL's numeric holds 131072 digits before the point
and 16383 after, and keeps a display scale per value. Values that do not fit a decimal array
(a numeric(1000, 800) column, ``1e340``, a product of two 60-digit numbers) are a *wide* numeric
array instead: an Arrow extension type over strings whose values are PostgreSQL's own text of
each number ('-3.1400', 'NaN', 'Infinity'). The text keeps the value's scale exactly and reads
back into Python's ``decimal.Decimal``, where the arithmetic happens, row by row, with
PostgreSQL's result scales (``div_scale``) and its rounding (half away from zero).

Decimal arrays stay the fast path: the wide form appears only where a value needs it, and the
places that know it are casts, text output, comparisons, arithmetic and the numeric functions.
A kernel that does not know it fails with a type error (Arrow has no kernel for the extension
type) rather than computing a wrong number.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import DivisionByZero, HeliosError, NumericValueOutOfRange
from helios_core.sql import types as T
from helios_core.sql.functions.vec import Vec, length_of

# PostgreSQL's limits: digits before the point, after it (display scale), and division's cap
MAX_WEIGHT_DIGITS = 131072
MAX_SCALE = 16383
MAX_DISPLAY_SCALE = 1000
MIN_SIG_DIGITS = 16
# exact for anything PostgreSQL can hold (its limits plus guard digits); no trap ever fires
CTX = decimal.Context(prec=MAX_WEIGHT_DIGITS + MAX_SCALE + 64, rounding=decimal.ROUND_HALF_UP,
                      Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[])


WideNumericType = T.WideNumericType
WIDE = T.WIDE_NUMERIC_ARROW


def is_wide(arr: Any) -> bool:
    return isinstance(getattr(arr, "type", None), WideNumericType)


def text_of(d: decimal.Decimal) -> str:
    """PostgreSQL's output of one numeric: plain notation at the value's own scale."""
    if d.is_nan():
        return "NaN"
    if d.is_infinite():
        return "Infinity" if d > 0 else "-Infinity"
    if d == 0:
        d = d.copy_abs()
    if d.as_tuple().exponent > 0:  # 1E+3 -> 1000: scale is never negative
        d = d.quantize(decimal.Decimal(1), context=CTX)
    return format(d, "f")


def check_range(d: decimal.Decimal) -> decimal.Decimal:
    """22003 past PostgreSQL's numeric limits; values below its smallest scale round away."""
    if not d.is_finite() or d == 0:
        return d
    if d.adjusted() >= MAX_WEIGHT_DIGITS:
        raise NumericValueOutOfRange("value overflows numeric format")
    if -d.as_tuple().exponent > MAX_SCALE:
        d = d.quantize(decimal.Decimal(1).scaleb(-MAX_SCALE), context=CTX)
    return d


def from_decimals(vals: Iterable[decimal.Decimal | None]) -> pa.Array:
    """Python Decimals (NaN and Infinity included) as a wide numeric array."""
    storage = pa.array([None if d is None else text_of(check_range(d)) for d in vals], pa.string())
    return pa.ExtensionArray.from_storage(WIDE, storage)


def coalesce(arrays: list[pa.Array]) -> pa.Array:
    """Arrow's coalesce over arrays of one type, wide numeric ones too (its kernels do not take an
    extension type: they run on the text the values are held in)."""
    ext = next((a.type for a in arrays if isinstance(a.type, pa.ExtensionType)), None)
    if ext is None:
        return pc.coalesce(*arrays)
    out = pc.coalesce(*[a.storage if isinstance(a.type, pa.ExtensionType) else a for a in arrays])
    return pa.ExtensionArray.from_storage(ext, out)


def from_text(arr: pa.Array) -> pa.Array:
    """Text that holds canonical numerics (as written by text_of) as a wide array, unchanged."""
    return pa.ExtensionArray.from_storage(WIDE, arr.cast(pa.string()))


def to_decimals(arr: Any) -> list[decimal.Decimal | None]:
    """Python Decimals of any numeric-family array: wide, decimal, NaN-bearing struct, int, float."""
    from helios_core.sql.functions import numeric_special as NS

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if isinstance(arr, pa.Scalar):
        arr = pa.array([arr.as_py()], arr.type) if not is_wide(arr) else from_decimals([arr.as_py()])
    if is_wide(arr):
        return [None if s is None else decimal.Decimal(s) for s in arr.storage.to_pylist()]
    if NS.is_special(arr):
        return NS.to_python(arr)
    if pa.types.is_floating(arr.type):
        return [None if x is None else decimal.Decimal(repr(float(x))) for x in arr.to_pylist()]
    return [None if x is None else decimal.Decimal(x) for x in arr.to_pylist()]


def scale_of(d: decimal.Decimal) -> int:
    e = d.as_tuple().exponent
    return max(-e, 0) if isinstance(e, int) else 0


def round_half_away(d: decimal.Decimal, scale: int) -> decimal.Decimal:
    """d rounded to ``scale`` digits after the point (negative: before it), half away from zero."""
    if not d.is_finite():
        return d
    if scale >= 0:
        return d.quantize(decimal.Decimal(1).scaleb(-scale), rounding=decimal.ROUND_HALF_UP, context=CTX)
    r = d.scaleb(scale, context=CTX).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP, context=CTX)
    return r.scaleb(-scale, context=CTX).quantize(decimal.Decimal(1), context=CTX)


def _weight_first(d: decimal.Decimal) -> tuple[int, int]:
    """Base-10000 weight of |d| and its leading base-10000 digit (PostgreSQL's storage groups)."""
    if d == 0:
        return 0, 0
    w = d.adjusted() // 4
    return w, int(d.copy_abs().scaleb(-4 * w, context=CTX))


def div_scale(a: decimal.Decimal, b: decimal.Decimal) -> int:
    """The display scale PostgreSQL gives a / b: 16 significant digits at least, never fewer
    fractional digits than either input, at most 1000."""
    w1, f1 = _weight_first(a)
    w2, f2 = _weight_first(b)
    qweight = w1 - w2 - (1 if f1 <= f2 else 0)
    rs = max(MIN_SIG_DIGITS - qweight * 4, scale_of(a), scale_of(b), 0)
    return min(rs, MAX_DISPLAY_SCALE)


def divide(a: decimal.Decimal, b: decimal.Decimal, scale: int | None = None) -> decimal.Decimal:
    """a / b rounded half away from zero at PostgreSQL's scale (exact integer arithmetic)."""
    if b == 0:
        raise DivisionByZero("division by zero")
    rs = div_scale(a, b) if scale is None else scale
    # a / b * 10^rs as integers: a = ia * 10^ea, b = ib * 10^eb
    sa, da, ea = a.as_tuple()
    sb, db, eb = b.as_tuple()
    ia = int("".join(map(str, da)) or "0")
    ib = int("".join(map(str, db)) or "0")
    shift = ea - eb + rs
    num, den = (ia * 10 ** shift, ib) if shift >= 0 else (ia, ib * 10 ** -shift)
    q, r = divmod(num, den)
    if 2 * r >= den:
        q += 1
    neg = (sa ^ sb) == 1 and q != 0
    return decimal.Decimal((1 if neg else 0, tuple(int(c) for c in str(q)), -rs))


def truncated_quotient(a: decimal.Decimal, b: decimal.Decimal) -> decimal.Decimal:
    """div(a, b): the quotient truncated toward zero, scale 0."""
    if not (a.is_finite() and b.is_finite()):
        return special_arithmetic("/", a, b)
    if b == 0:
        raise DivisionByZero("division by zero")
    return CTX.divide_int(a, b).quantize(decimal.Decimal(1), context=CTX)


def arithmetic(op: str, a: decimal.Decimal, b: decimal.Decimal) -> decimal.Decimal:
    """a op b for finite values with PostgreSQL's result scales: + - keep the larger scale, *
    adds them (capped at 16383), / follows div_scale, % keeps the larger scale."""
    if op == "+":
        return CTX.add(a, b)
    if op == "-":
        return CTX.subtract(a, b)
    if op == "*":
        r = CTX.multiply(a, b)
        return round_half_away(r, MAX_SCALE) if scale_of(r) > MAX_SCALE else r
    if op == "/":
        return divide(a, b)
    if op == "%":
        if b == 0:
            raise DivisionByZero("division by zero")
        r = CTX.remainder(a, b)
        return r.quantize(decimal.Decimal(1).scaleb(-max(scale_of(a), scale_of(b))), context=CTX)
    raise ValueError(op)


def special_arithmetic(op: str, a: decimal.Decimal, b: decimal.Decimal) -> decimal.Decimal:
    """a op b where a side is NaN or ±Infinity, by PostgreSQL's rules (NaN absorbs; Infinity -
    Infinity, Infinity * 0, Infinity / Infinity and Infinity % x are NaN; x / ±Infinity is 0;
    x % ±Infinity is x; a non-NaN divided by zero is 22012)."""
    if op in ("/", "%") and b.is_finite() and b == 0 and not a.is_nan():
        raise DivisionByZero("division by zero")
    if a.is_nan() or b.is_nan():
        return decimal.Decimal("NaN")
    if op == "%":
        return a if a.is_finite() else decimal.Decimal("NaN")
    if op == "/" and a.is_finite():
        return decimal.Decimal(0)
    r = {"+": CTX.add, "-": CTX.subtract, "*": CTX.multiply, "/": CTX.divide}[op](a, b)
    return decimal.Decimal(0) if r.is_finite() and r == 0 else r


def compare(a: decimal.Decimal, b: decimal.Decimal) -> int:
    """-1, 0, 1 in PostgreSQL's numeric order: -Infinity < finite < Infinity < NaN, NaN = NaN."""
    if a.is_nan() or b.is_nan():
        return (a.is_nan() and not b.is_nan()) - (b.is_nan() and not a.is_nan())
    return (a > b) - (a < b)


def order_key(arr: Any) -> pa.Array:
    """Dense ranks (int64) that order and group like PostgreSQL's numeric: 1.5 and 1.50 are one
    value, -Infinity < finite < Infinity < NaN, NULL stays NULL (for ORDER BY, GROUP BY, DISTINCT)."""
    vals = to_decimals(arr)
    # equal values share one rank (Decimal('1.5') == Decimal('1.50'), and they hash alike)
    rank = {d: i for i, d in enumerate(sorted({d for d in vals if d is not None and not d.is_nan()}))}
    nan_rank = len(rank)
    return pa.array([None if d is None else nan_rank if d.is_nan() else rank[d] for d in vals], pa.int64())


def shared_keys(a: Any, b: Any) -> tuple[Any, Any]:
    """Two numeric arrays (either wide) as ranks over both at once, for hashing them against
    each other (join keys, IN lists): 1.5 on one side meets 1.50 on the other."""
    if not is_wide(a) and not is_wide(b):
        return a, b
    va, vb = to_decimals(a), to_decimals(b)
    both = order_key(from_decimals(va + vb))
    return both.slice(0, len(va)), both.slice(len(va))


# ----------------------------------------------------------------------------- over Vecs
def _rows(vecs: list[Any]) -> tuple[list[list[decimal.Decimal | None]], int, bool]:

    n = length_of(vecs)
    return [to_decimals(v.broadcast(n).array) for v in vecs], n, all(v.scalar for v in vecs)


def result(vals: list[decimal.Decimal | None], scalar: bool) -> Any:
    """A numeric Vec of values computed row by row: decimals where they fit and share one scale,
    else wide, so that each value keeps the scale PostgreSQL gives it."""
    from helios_core.sql.functions import numeric_special as NS

    scales = {scale_of(d) for d in vals if d is not None and d.is_finite()}
    if len(scales) > 1:
        return Vec(from_decimals(vals), T.NUMERIC, scalar)
    return Vec(NS.from_python(vals), T.NUMERIC, scalar)


def arith_vec(op: str, l: Any, r: Any) -> Any:
    """l op r (+ - * / %) where a side is wide; the result is decimal again where it fits."""
    (a, b), _, scalar = _rows([l, r])
    out = []
    for x, y in zip(a, b, strict=True):
        if x is None or y is None:
            out.append(None)
        elif x.is_finite() and y.is_finite():
            out.append(arithmetic(op, x, y))
        else:
            out.append(special_arithmetic(op, x, y))
    return result(out, scalar)


_CMP = {"=": lambda c: c == 0, "<>": lambda c: c != 0, "!=": lambda c: c != 0, "<": lambda c: c < 0,
        "<=": lambda c: c <= 0, ">": lambda c: c > 0, ">=": lambda c: c >= 0}


def compare_vec(op: str, l: Any, r: Any) -> Any:

    (a, b), _, scalar = _rows([l, r])
    test = _CMP[op]
    out = [None if x is None or y is None else test(compare(x, y)) for x, y in zip(a, b, strict=True)]
    return Vec(pa.array(out, pa.bool_()), T.BOOL, scalar)


def negate_vec(v: Any) -> Any:
    (a,), _, scalar = _rows([v])
    return result([None if x is None else x if x.is_nan() else CTX.minus(x) for x in a], scalar)


# ------------------------------------------------------------------------------ aggregates
def moment(name: str, n: int, sx: decimal.Decimal, sxx: decimal.Decimal, scale: int) -> decimal.Decimal | None:
    """var_pop/var_samp/stddev_pop/stddev_samp of n numeric values from their sum and sum of
    squares, as PostgreSQL computes them: (n * sxx - sx^2) / (n * n) (or n * (n - 1)) at the
    division's display scale, the square root at that same scale, and 0 when rounding makes the
    numerator non-positive."""
    sample = name.endswith("samp")
    if n == 0 or (sample and n <= 1):
        return None
    sx = sx.quantize(decimal.Decimal(1).scaleb(-scale), context=CTX)
    sxx = sxx.quantize(decimal.Decimal(1).scaleb(-2 * scale), context=CTX)
    num = CTX.subtract(CTX.multiply(decimal.Decimal(n), sxx), CTX.multiply(sx, sx))
    if num <= 0:
        return decimal.Decimal(0)
    den = decimal.Decimal(n * (n - 1) if sample else n * n)
    rs = div_scale(num, den)
    var = divide(num, den, rs)
    if name.startswith("stddev"):
        var = round_half_away(var.sqrt(_ctx(var.adjusted() // 2 + rs + 20)), rs)
    return var


# ------------------------------------------------------------------------------ functions
def _ctx(prec: int) -> decimal.Context:
    return decimal.Context(prec=max(prec, 30), rounding=decimal.ROUND_HALF_EVEN, Emax=decimal.MAX_EMAX,
                           Emin=decimal.MIN_EMIN, traps=[])


def ln_dweight(x: decimal.Decimal) -> int:
    """PostgreSQL's estimate of the decimal weight of ln(x), which fixes ln/log result scales."""
    if decimal.Decimal("0.9") <= x <= decimal.Decimal("1.1"):
        d = CTX.subtract(x, decimal.Decimal(1))
        return d.adjusted() if d != 0 else 0
    e = x.adjusted()
    lnx = e * math.log(10) + math.log(float(x.scaleb(-e)))
    return int(math.log10(abs(lnx))) if lnx != 0 else 0


def _bounded(rs: int, *scales: int) -> int:
    return min(max(rs, *scales, 0), MAX_DISPLAY_SCALE)


def sqrt(x: decimal.Decimal) -> decimal.Decimal:

    if x < 0:
        raise HeliosError("cannot take square root of a negative number", sqlstate="2201F")
    if not x.is_finite():
        return x
    weight = _weight_first(x)[0]
    rs = _bounded(MIN_SIG_DIGITS - ((weight + 1) * 4 // 2 - 1), scale_of(x))
    return round_half_away(x.sqrt(_ctx(x.adjusted() // 2 + rs + 20)), rs)


def ln(x: decimal.Decimal) -> decimal.Decimal:
    _check_log_arg(x)
    if x.is_infinite():
        return x
    rs = _bounded(MIN_SIG_DIGITS - ln_dweight(x), scale_of(x))
    return round_half_away(x.ln(_ctx(rs + 30)), rs)


def _check_log_arg(x: decimal.Decimal) -> None:
    if x == 0:
        raise HeliosError("cannot take logarithm of zero", sqlstate="2201E")
    if x < 0:
        raise HeliosError("cannot take logarithm of a negative number", sqlstate="2201E")


def log(base: decimal.Decimal, x: decimal.Decimal) -> decimal.Decimal:
    """log(base, x) at PostgreSQL's scale: 16 significant digits past the weights of ln(x) and ln(base)."""
    if base.is_nan() or x.is_nan():
        return _NAN
    _check_log_arg(base)
    _check_log_arg(x)
    if base.is_infinite():
        return _NAN if x.is_infinite() else decimal.Decimal(0)
    if x.is_infinite():
        return _INF
    rs = _bounded(MIN_SIG_DIGITS - ln_dweight(x) + ln_dweight(base), scale_of(base), scale_of(x))
    c = _ctx(rs + 40)
    lb = base.ln(c)
    if lb == 0:
        raise DivisionByZero("division by zero")
    return round_half_away(c.divide(x.ln(c), lb), rs)


def exp(x: decimal.Decimal) -> decimal.Decimal:
    if x.is_infinite():
        return x if x > 0 else decimal.Decimal(0)
    val = float(x) * 0.434294481903252 if abs(x) < 10**9 else float("inf") if x > 0 else float("-inf")
    if val > MAX_WEIGHT_DIGITS:
        raise NumericValueOutOfRange("value overflows numeric format")
    val = max(val, -2000.0)
    rs = _bounded(MIN_SIG_DIGITS - int(val), scale_of(x))
    return round_half_away(x.exp(_ctx(max(int(val), 0) + rs + 20)), rs)


_NAN = decimal.Decimal("NaN")
_INF = decimal.Decimal("Infinity")


def _power_special(x: decimal.Decimal, y: decimal.Decimal) -> decimal.Decimal:
    """x ^ y where a side is NaN or ±Infinity (PostgreSQL 14+): NaN ^ 0 and 1 ^ NaN are 1;
    |x| < 1 and |x| > 1 tend to 0 or Infinity as y goes to ±Infinity; -Infinity keeps the
    sign of odd integer powers."""
    if x.is_nan():
        return decimal.Decimal(1) if y == 0 else _NAN
    if y.is_nan():
        return decimal.Decimal(1) if x == 1 else _NAN
    if x == 0 and y < 0:
        raise HeliosError("zero raised to a negative power is undefined", sqlstate="2201F")
    if x < 0 and y.is_finite() and y != y.to_integral_value():
        raise HeliosError("a negative number raised to a non-integer power yields a complex result",
                          sqlstate="2201F")
    if y.is_infinite():
        mag = x.copy_abs()
        if mag == 1:
            return decimal.Decimal(1)
        return (_INF if mag > 1 else decimal.Decimal(0)) if y > 0 else (decimal.Decimal(0) if mag > 1 else _INF)
    # x is ±Infinity, y finite
    if y == 0:
        return decimal.Decimal(1)
    if y < 0:
        return decimal.Decimal(0)
    odd = y == y.to_integral_value() and int(y) % 2 == 1
    return -_INF if x < 0 and odd else _INF


def power(x: decimal.Decimal, y: decimal.Decimal) -> decimal.Decimal:
    if not (x.is_finite() and y.is_finite()):
        return _power_special(x, y)
    if x == 0 and y < 0:
        raise HeliosError("zero raised to a negative power is undefined", sqlstate="2201F")
    if x < 0 and y != y.to_integral_value():
        raise HeliosError("a negative number raised to a non-integer power yields a complex result",
                          sqlstate="2201F")
    if y == 0:
        return round_half_away(decimal.Decimal(1), _bounded(MIN_SIG_DIGITS, scale_of(x)))
    if x == 0:
        return round_half_away(decimal.Decimal(0), _bounded(MIN_SIG_DIGITS, scale_of(x), scale_of(y)))
    est = float(_ctx(30).multiply(x.copy_abs().ln(_ctx(30)), y)) * 0.434294481903252
    if est > MAX_WEIGHT_DIGITS:
        raise NumericValueOutOfRange("value overflows numeric format")
    if y == y.to_integral_value() and -2**31 <= y < 2**31:
        rs = _bounded(MIN_SIG_DIGITS, scale_of(x))
        c = _ctx(max(int(est), 0) + rs + 30)
        return round_half_away(c.power(x, int(y)), rs)
    rs = _bounded(MIN_SIG_DIGITS - int(est), scale_of(x), scale_of(y))
    c = _ctx(max(int(est), 0) + rs + 30)
    return round_half_away(c.power(x, y), rs)


def round_fn(mode: str) -> Any:
    def f(x: decimal.Decimal, n: int = 0) -> decimal.Decimal:
        if not x.is_finite():
            return x
        if mode == decimal.ROUND_HALF_UP:
            return round_half_away(x, n)
        q = decimal.Decimal(1).scaleb(-max(n, 0))
        if n >= 0:
            return x.quantize(q, rounding=mode, context=CTX)
        return x.scaleb(n, context=CTX).quantize(decimal.Decimal(1), rounding=mode, context=CTX).scaleb(
            -n, context=CTX).quantize(decimal.Decimal(1), context=CTX)
    return f


def _sign(x: decimal.Decimal) -> decimal.Decimal:
    return x if x.is_nan() else decimal.Decimal((x > 0) - (x < 0))


def _trim(x: decimal.Decimal) -> decimal.Decimal:
    if not x.is_finite():
        return x
    r = x.normalize(CTX)
    return r.quantize(decimal.Decimal(1), context=CTX) if r.as_tuple().exponent > 0 else r


_ONE_ARG: dict[str, Any] = {
    "abs": lambda x: x.copy_abs(), "sign": _sign, "sqrt": sqrt, "ln": ln, "exp": exp,
    "log10": lambda x: log(decimal.Decimal(10), x), "trim_scale": _trim,
    "ceil": round_fn(decimal.ROUND_CEILING), "ceiling": round_fn(decimal.ROUND_CEILING),
    "floor": round_fn(decimal.ROUND_FLOOR),
}
_TWO_ARGS: dict[str, Any] = {
    "power": power, "pow": power, "div": truncated_quotient,
    "mod": lambda a, b: arithmetic("%", a, b) if a.is_finite() and b.is_finite() else special_arithmetic("%", a, b),
}
_ROUNDING = {"round": round_fn(decimal.ROUND_HALF_UP), "trunc": round_fn(decimal.ROUND_DOWN)}
_INT_RESULT = {"scale": lambda x: scale_of(x) if x.is_finite() else None,
               "min_scale": lambda x: scale_of(_trim(x)) if x.is_finite() else None}


_NUMBER_TYPES = frozenset({"numeric", "int2", "int4", "int8", "float4", "float8"})


def call(name: str, args: list[Any]) -> Any | None:
    """A numeric function with a wide argument, or None when it is not one of these (the caller
    then tries the values as decimals)."""
    if any(a.type.name not in _NUMBER_TYPES for a in args):  # to_char(x, format): not a computation here
        return None
    rows, n, scalar = _rows(args)
    if name in _INT_RESULT and len(args) == 1:
        f = _INT_RESULT[name]
        return Vec(pa.array([None if x is None else f(x) for x in rows[0]], pa.int32()), T.INT4, scalar)
    if name == "log" and len(args) == 1:
        name = "log10"
    if name in _ONE_ARG and len(args) == 1:
        f = _ONE_ARG[name]
        return result([None if x is None else x if x.is_nan() else f(x) for x in rows[0]], scalar)
    if name in _ROUNDING and len(args) in (1, 2):
        f = _ROUNDING[name]
        digits = rows[1] if len(args) == 2 else [decimal.Decimal(0)] * n
        return result([None if x is None or k is None else f(x, int(k)) for x, k in zip(rows[0], digits,
                                                                                      strict=True)], scalar)
    if name == "log" and len(args) == 2:
        return result([None if b is None or x is None else log(b, x) for b, x in zip(*rows, strict=True)], scalar)
    if name in _TWO_ARGS and len(args) == 2:
        f = _TWO_ARGS[name]
        return result([None if a is None or b is None else f(a, b) for a, b in zip(*rows, strict=True)], scalar)
    return None
