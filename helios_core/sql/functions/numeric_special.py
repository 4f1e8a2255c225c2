"""numeric NaN, Infinity and -Infinity (PostgreSQL 14+) beside exact decimals.

Arrow's decimals hold digits only, so a numeric array that contains a special value is a
struct ``{"v": decimal, "k": int8}``: ``k`` is 0 for a finite value (in ``v``), 1 NaN,
2 Infinity, 3 -Infinity, and the struct's validity is SQL NULL. Arrays without specials stay
plain decimals: every kernel on ordinary numerics runs unchanged, and a struct that reaches a
kernel that does not know it fails as a type error rather than computing a wrong number. The
places that understand it are text input/output, casts to and from float, int and text,
arithmetic and unary minus, comparisons and ordering (``sort_key``: -Infinity < finite <
Infinity < NaN, NaN = NaN, as PostgreSQL orders them), min/max/sum/avg/count, and storage.

Storage keeps a column's plain decimal type: an unconstrained numeric column is
decimal256(76, 16) whose values have at most 59 integer digits (``cast.to_storage``), so values
with 60 integer digits are free to stand for the specials (``encode_for_storage`` /
``decode_from_storage``). A numeric(p, s) column can hold NaN only where PostgreSQL can and has
no spare digits for it: storing NaN there is refused (0A000); Infinity is PostgreSQL's 22003.
"""

from __future__ import annotations

import decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import HeliosError
from helios_core.sql.functions import decimals as D
from helios_core.sql.functions import numeric_wide as NW

FINITE, NAN, POS_INF, NEG_INF = 0, 1, 2, 3
_TEXT = {NAN: "NaN", POS_INF: "Infinity", NEG_INF: "-Infinity"}
_WORDS = {"nan": NAN, "infinity": POS_INF, "+infinity": POS_INF, "inf": POS_INF, "+inf": POS_INF,
          "-infinity": NEG_INF, "-inf": NEG_INF}
# storage sentinels: 60 integer digits, which ordinary stored values cannot have
_STORE = {NAN: decimal.Decimal("7E59"), POS_INF: decimal.Decimal("8E59"), NEG_INF: decimal.Decimal("-8E59")}
STORAGE_LIMIT = decimal.Decimal("1E59")


def is_special(arr: Any) -> bool:
    t = arr.type
    return pa.types.is_struct(t) and t.num_fields == 2 and t.field(0).name == "v" and t.field(1).name == "k"


def word_kind(text: str) -> int | None:
    """The special a numeric input word names ('NaN', 'inf', '-Infinity' ...), else None."""
    return _WORDS.get(text.strip().lower())


def make(values: pa.Array, kinds: pa.Array, valid: pa.Array | None = None) -> pa.Array:
    """A struct array from finite decimals and kinds (plain decimals when no special is present)."""
    if not pc.any(pc.not_equal(pc.fill_null(kinds, 0), 0)).as_py():
        return values
    mask = pc.invert(valid) if valid is not None else None
    return pa.StructArray.from_arrays([values, kinds.cast(pa.int8())], names=["v", "k"], mask=mask)


def _nulls_where(v: pa.Array, valid: pa.Array) -> pa.Array:
    return pc.if_else(valid, v, pa.nulls(len(v), v.type))


def to_python(arr: pa.Array) -> list[decimal.Decimal | None]:
    """Python Decimals (Decimal('NaN'), Decimal('Infinity') ...) of a numeric array of either form."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not is_special(arr):
        return [None if x is None else decimal.Decimal(x) if not isinstance(x, decimal.Decimal) else x
                for x in arr.to_pylist()]
    out: list[decimal.Decimal | None] = []
    for item in arr.to_pylist():
        if item is None:
            out.append(None)
        elif item["k"] == FINITE:
            out.append(item["v"])
        else:
            out.append(decimal.Decimal(_TEXT[item["k"]]))
    return out


def from_python(vals: list[Any], finite_type: pa.DataType | None = None) -> pa.Array:
    """Decimals (specials included) as a numeric array: plain decimals unless a special is present."""
    from helios_core.sql.functions.text_in import decimals_to_array

    finite = [None if d is None or not d.is_finite() else d for d in vals]
    if finite_type is not None:
        values = pa.array(finite, finite_type)
    else:
        values = decimals_to_array(finite)
        if not pa.types.is_decimal(values.type):  # wide: the text form holds NaN/Infinity itself
            return NW.from_decimals(vals)
    kinds = pa.array([None if d is None else FINITE if d.is_finite() else NAN if d.is_nan() else
                      POS_INF if d > 0 else NEG_INF for d in vals], pa.int8())
    valid = pa.array([d is not None for d in vals], pa.bool_())
    return make(values, pc.fill_null(kinds, 0), valid)


def text(arr: pa.Array, finite_text: Any) -> pa.Array:
    """PostgreSQL's text of a special-bearing array: 'NaN', 'Infinity', '-Infinity' or the value."""
    v, k = arr.field(0), arr.field(1)
    s = finite_text(v)
    for kind, word in _TEXT.items():
        s = pc.if_else(pc.fill_null(pc.equal(k, kind), False), pa.scalar(word), s)
    return pc.if_else(arr.is_valid(), s, pa.nulls(len(arr), pa.string()))


def sort_key(arr: pa.Array) -> pa.Array:
    """A decimal array that orders like PostgreSQL: -Infinity < finite < Infinity < NaN (NaN = NaN)."""
    from helios_core.sql.functions.decimals import int_digits_needed

    v, k = arr.field(0), arr.field(1)
    scale = v.type.scale
    digits = int_digits_needed(v)
    if digits + 2 + scale > 76:
        raise HeliosError("ordering numeric NaN/Infinity beside values of more than 73 digits is not supported",
                          sqlstate="0A000")
    t = pa.decimal256(76, scale)
    big = decimal.Decimal(10) ** (digits + 1)
    base = v.cast(t)
    for kind, val in ((POS_INF, big * 8), (NAN, big * 9), (NEG_INF, -big * 8)):
        base = pc.if_else(pc.fill_null(pc.equal(k, kind), False), pa.scalar(val, t), base)
    return pc.if_else(arr.is_valid(), base, pa.nulls(len(arr), t))


def to_float(arr: pa.Array, float_type: pa.DataType) -> pa.Array:
    out = [None if d is None else float(d) for d in to_python(arr)]
    return pa.array(out, float_type)


def refuse_integer(arr: pa.Array, word: str = "integer") -> None:
    """PostgreSQL's 0A000 for NaN/Infinity cast to an integer type (``word``: smallint, integer, bigint)."""
    k = arr.field(1)
    if pc.any(pc.fill_null(pc.and_(arr.is_valid(), pc.equal(k, NAN)), False)).as_py():
        raise HeliosError(f"cannot convert NaN to {word}", sqlstate="0A000")
    if pc.any(pc.fill_null(pc.and_(arr.is_valid(), pc.not_equal(k, FINITE)), False)).as_py():
        raise HeliosError(f"cannot convert infinity to {word}", sqlstate="0A000")


def finite_only(arr: pa.Array) -> pa.Array:
    """The finite values (specials as NULL), for kernels that then get the specials patched in."""
    return _nulls_where(arr.field(0), pc.and_(arr.is_valid(), pc.equal(arr.field(1), FINITE)))


# ------------------------------------------------------------------------------------- storage
def encode_for_storage(arr: pa.Array, target: pa.DataType) -> pa.Array:
    """Specials as their reserved 60-digit values in an unconstrained column's decimal type."""
    vals = to_python(arr)
    return pa.array([None if d is None else d if d.is_finite() else
                     _STORE[NAN if d.is_nan() else POS_INF if d > 0 else NEG_INF] for d in vals], target)


def decode_from_storage(arr: pa.Array) -> pa.Array:
    """Read side of encode_for_storage: reserved values back to specials (a cheap check first)."""
    if len(arr) == 0 or arr.null_count == len(arr):
        return arr
    mm = pc.min_max(arr)
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    if (hi is None or hi < STORAGE_LIMIT) and (lo is None or lo > -STORAGE_LIMIT):
        return arr
    big = pc.or_(pc.greater_equal(arr, pa.scalar(STORAGE_LIMIT, arr.type)),
                 pc.less_equal(arr, pa.scalar(-STORAGE_LIMIT, arr.type)))
    kinds = pa.array([0] * len(arr), pa.int8())
    for kind, val in _STORE.items():
        kinds = pc.if_else(pc.fill_null(pc.equal(arr, pa.scalar(val, arr.type)), False), pa.scalar(kind, pa.int8()),
                           kinds)
    values = pc.if_else(pc.fill_null(big, False), pa.scalar(decimal.Decimal(0), arr.type), arr)
    return make(values, kinds, arr.is_valid())


# ----------------------------------------------------------------------------------- arithmetic
_CTX = decimal.Context(prec=200, traps=[])


def negate(arr: pa.Array) -> pa.Array:
    k = arr.field(1)
    flipped = pc.if_else(pc.equal(k, POS_INF), pa.scalar(NEG_INF, pa.int8()),
                         pc.if_else(pc.equal(k, NEG_INF), pa.scalar(POS_INF, pa.int8()), k))
    return make(pc.negate(arr.field(0)), flipped, arr.is_valid())


def arithmetic(op: str, l: Any, r: Any, finite_arith: Any) -> Any:
    """l op r (+ - * / %) where a side holds NaN/Infinity: finite rows through ``finite_arith``
    (PostgreSQL's scales), rows with a special by PostgreSQL's rules (NaN absorbs; Infinity -
    Infinity, Infinity * 0, Infinity / Infinity and Infinity % x are NaN; x / Infinity is 0;
    x % Infinity is x; dividing Infinity by zero is 22012, NaN by zero is NaN)."""
    from helios_core.errors import DivisionByZero
    from helios_core.sql import types as T
    from helios_core.sql.functions.vec import Vec, length_of

    n = length_of([l, r])
    scalar = l.scalar and r.scalar
    a, b = l.broadcast(n).array, r.broadcast(n).array
    pa_, pb = to_python(a), to_python(b)
    special = [x is not None and y is not None and not (x.is_finite() and y.is_finite()) for x, y in zip(pa_, pb,
                                                                                                       strict=True)]
    mask = pa.array(special, pa.bool_())
    fa = pc.if_else(mask, pa.nulls(n, _finite_type(a)), finite_only(a) if is_special(a) else a)
    fb = pc.if_else(mask, pa.nulls(n, _finite_type(b)), finite_only(b) if is_special(b) else b)
    finite = finite_arith(op, Vec(fa, l.type), Vec(fb, r.type)).broadcast(n).array
    if not any(special):
        return Vec(finite, T.NUMERIC, scalar)
    out = [None] * n
    for i, sp in enumerate(special):
        if not sp:
            continue
        x, y = pa_[i], pb[i]
        if op in ("/", "%") and y.is_finite() and y == 0 and not x.is_nan():
            raise DivisionByZero("division by zero")
        res = {"+": _CTX.add, "-": _CTX.subtract, "*": _CTX.multiply, "/": _CTX.divide,
               "%": _CTX.remainder}[op](x, y)
        if op == "%" and x.is_finite() and y.is_infinite():
            res = x
        if res.is_finite() and res == 0:
            res = decimal.Decimal(0)
        out[i] = res
    kinds = pa.array([FINITE if d is None or d.is_finite() else NAN if d.is_nan() else POS_INF if d > 0
                      else NEG_INF for d in out], pa.int8())
    patch = [d if d is not None and d.is_finite() else None for d in out]
    values = finite
    if any(d is not None for d in patch):
        pv = pa.array([None if d is None else d.quantize(decimal.Decimal(1).scaleb(-finite.type.scale), context=_CTX)
                       for d in patch], finite.type)
        values = pc.if_else(pc.is_valid(pv), pv, values)
    values = pc.if_else(pc.and_(mask, pc.not_equal(kinds, FINITE)), pa.scalar(0, values.type), values)
    valid = pc.or_(pc.is_valid(values), mask)
    return Vec(make(values, kinds, valid), T.NUMERIC, scalar)


def _finite_type(arr: pa.Array) -> pa.DataType:
    if is_special(arr):
        return arr.type.field(0).type
    return arr.type if pa.types.is_decimal(arr.type) else pa.decimal128(19, 0)


def unify(arrs: list[pa.Array], unify_decimals: Any = None) -> list[pa.Array]:
    """Arrays of one numeric column (CASE branches, VALUES rows, UNION sides) as special-bearing
    arrays of one struct type: the finite parts are unified as decimals are."""
    from helios_core.sql.functions.decimals import to_decimal

    values, kinds, valid = [], [], []
    for a in arrs:
        if is_special(a):
            values.append(a.field(0))
            kinds.append(a.field(1))
            valid.append(a.is_valid())
        elif pa.types.is_null(a.type):
            values.append(pa.nulls(len(a), pa.decimal128(1, 0)))
            kinds.append(pa.array([0] * len(a), pa.int8()))
            valid.append(pa.array([False] * len(a), pa.bool_()))
        else:
            values.append(to_decimal(a) if pa.types.is_integer(a.type) else a)
            kinds.append(pa.array([0] * len(a), pa.int8()))
            valid.append(a.is_valid())
    values = (unify_decimals or _widest)(values)
    return [pa.StructArray.from_arrays([v, k], names=["v", "k"], mask=pc.invert(ok))
            for v, k, ok in zip(values, kinds, valid, strict=True)]


def _widest(arrs: list[pa.Array]) -> list[pa.Array]:
    from helios_core.sql.functions.decimals import dec_type, narrow

    ts = [a.type for a in arrs]
    scale = max(t.scale for t in ts)
    ints = max(t.precision - t.scale for t in ts)
    if ints + scale > 76:
        arrs = [narrow(a) for a in arrs]
        ints = max(a.type.precision - a.type.scale for a in arrs)
    target = dec_type(ints + scale, scale)
    return [a if a.type == target else a.cast(target) for a in arrs]


def aggregate_result(name: str, finite: pa.Array, nans: pa.Array, pinfs: pa.Array, ninfs: pa.Array) -> pa.Array:
    """sum/avg/min/max per group from the finite result and how many NaN/+Inf/-Inf the group had
    (PostgreSQL: NaN absorbs sum/avg and is the max; Infinity + -Infinity is NaN)."""
    if isinstance(finite, pa.ChunkedArray):
        finite = finite.combine_chunks()
    has_nan, has_p, has_n = (pc.greater(pc.fill_null(c, 0), 0) for c in (nans, pinfs, ninfs))
    has_finite = pc.is_valid(finite)

    def pick(cond, kind, k):
        return pc.if_else(cond, pa.scalar(kind, pa.int8()), k)

    k = pa.array([FINITE] * len(finite), pa.int8())
    if name in ("sum", "avg"):
        k = pick(has_n, NEG_INF, k)
        k = pick(has_p, POS_INF, k)
        k = pick(pc.or_(has_nan, pc.and_(has_p, has_n)), NAN, k)
    elif name == "min":
        k = pick(pc.and_(pc.invert(has_finite), has_nan), NAN, k)
        k = pick(pc.and_(pc.invert(has_finite), has_p), POS_INF, k)
        k = pick(has_n, NEG_INF, k)
    else:  # max
        k = pick(pc.and_(pc.invert(has_finite), has_n), NEG_INF, k)
        k = pick(has_p, POS_INF, k)
        k = pick(has_nan, NAN, k)
    valid = pc.or_(has_finite, pc.or_(has_nan, pc.or_(has_p, has_n)))
    values = finite if pa.types.is_decimal(finite.type) else finite.cast(pa.decimal128(38, 0))
    values = pc.if_else(pc.equal(k, FINITE), values, pa.scalar(0, values.type))
    return make(values, k, valid)


MOMENTS = ("var_pop", "var_samp", "stddev_pop", "stddev_samp")


def moment_result(name: str, finite: pa.Array, count: pa.Array, nans: pa.Array, pinfs: pa.Array,
                  ninfs: pa.Array) -> pa.Array:
    """variance/stddev per group when the group had NaN or Infinity: NULL where PostgreSQL gives
    NULL (no rows; one row for the sample forms), NaN where a special was among the values."""
    out = []
    for f, c, *sp in zip(to_python(finite), *(x.to_pylist() for x in (count, nans, pinfs, ninfs)), strict=True):
        specials = sum(v or 0 for v in sp)
        total = (c or 0) + specials
        if total == 0 or (name.endswith("samp") and total <= 1):
            out.append(None)
        else:
            out.append(decimal.Decimal("NaN") if specials else f)
    return from_python(out)


# ------------------------------------------------------------------------------------- functions
# f(special) for the one-argument functions PostgreSQL defines on NaN/Infinity (the kind out)
_UNARY = {
    "abs": {NAN: NAN, POS_INF: POS_INF, NEG_INF: POS_INF},
    "ceil": {NAN: NAN, POS_INF: POS_INF, NEG_INF: NEG_INF},
    "ceiling": {NAN: NAN, POS_INF: POS_INF, NEG_INF: NEG_INF},
    "floor": {NAN: NAN, POS_INF: POS_INF, NEG_INF: NEG_INF},
    "trunc": {NAN: NAN, POS_INF: POS_INF, NEG_INF: NEG_INF},
    "round": {NAN: NAN, POS_INF: POS_INF, NEG_INF: NEG_INF},
    "sqrt": {NAN: NAN, POS_INF: POS_INF},
    "exp": {NAN: NAN, POS_INF: POS_INF},
    "ln": {NAN: NAN, POS_INF: POS_INF},
}
_SIGN = {NAN: "NaN", POS_INF: 1, NEG_INF: -1}
_BY_VALUE = frozenset({"power", "pow", "div", "mod", "log", "log10"})
_AS_TEXT = frozenset({"concat", "concat_ws", "format", "jsonb_build_object", "json_build_object",
                      "jsonb_build_array", "json_build_array"})


def call(name: str, args: list[Any], call_finite: Any) -> Any:
    """A scalar function over arguments holding NaN/Infinity: finite rows through the function,
    special rows by PostgreSQL's rules for the functions above; any other is 0A000."""
    from helios_core.errors import FeatureNotSupported
    from helios_core.sql import types as T
    from helios_core.sql.functions.vec import Vec, length_of

    first = args[0]
    if name in ("to_json", "to_jsonb") and len(args) == 1:  # PostgreSQL writes them as JSON strings
        vals = to_python(first.array)
        out = pa.array([None if d is None else f'"{d}"' if not d.is_finite() else None for d in vals], pa.string())
        finite = call_finite([Vec(finite_only(first.array), first.type, first.scalar)])
        fa = finite.broadcast(len(vals)).array if not finite.scalar or len(vals) == 1 else finite.array
        return Vec(pc.if_else(pc.is_valid(out), out, fa), finite.type, first.scalar)
    if name in _BY_VALUE:  # computed on the values, specials included (numeric_wide)
        return NW.call(name, args)
    if name in _AS_TEXT:  # they write each argument's text ('NaN'; a JSON string in json builders)
        def as_text(a: Any) -> Any:
            arr = a.array
            if arr.field(0).type == T.NUMERIC_STORAGE_ARROW:  # a column's values: at the digits they use
                arr = make(D.as_values_scale(arr.field(0)), arr.field(1), arr.is_valid())
            text = pa.array([None if d is None else NW.text_of(d) for d in to_python(arr)], pa.string())
            if not name.startswith("json"):
                return Vec(text, T.TEXT, a.scalar)
            special = pc.fill_null(pc.not_equal(a.array.field(1), FINITE), False)  # a JSON string, numbers as is
            quoted = pc.if_else(special, pc.binary_join_element_wise('"', text, '"', ""), text)
            return Vec(quoted, T.JSONB if name.startswith("jsonb") else T.JSON, a.scalar)

        return call_finite([as_text(a) if is_special(a.array) else a for a in args])
    if name not in _UNARY and name != "sign" or not is_special(first.array) or any(
            is_special(a.array) for a in args[1:]):
        raise FeatureNotSupported(f"{name}() of numeric NaN or Infinity is not supported by HeliosDB")
    n = length_of(args)
    arr = first.broadcast(n).array
    k = arr.field(1)
    rest = [a.broadcast(n) if not a.scalar or n == 1 else a for a in args[1:]]
    finite = call_finite([Vec(finite_only(arr), first.type), *rest])
    fa = finite.broadcast(n).array
    if name == "sign":
        out = pc.if_else(pc.equal(k, POS_INF), pa.scalar(1, fa.type), pc.if_else(
            pc.equal(k, NEG_INF), pa.scalar(-1, fa.type), fa))
        kinds = pc.if_else(pc.equal(k, NAN), pa.scalar(NAN, pa.int8()), pa.scalar(FINITE, pa.int8()))
        out = pc.if_else(pc.equal(kinds, NAN), pa.scalar(0, fa.type), out)
        return Vec(make(out, kinds, arr.is_valid()), T.NUMERIC, first.scalar and all(a.scalar for a in args))
    table = _UNARY[name]
    if pc.any(pc.fill_null(pc.and_(arr.is_valid(), pc.is_in(k, value_set=pa.array(
            [kind for kind in (NAN, POS_INF, NEG_INF) if kind not in table], pa.int8()))), False)).as_py():
        from helios_core.errors import HeliosError

        what = {"sqrt": "square root", "ln": "logarithm"}.get(name, name)
        raise HeliosError(f"cannot take {what} of a negative number", sqlstate="2201F")
    mapped = k
    for src, dst in table.items():
        mapped = pc.if_else(pc.equal(k, src), pa.scalar(dst, pa.int8()), mapped)
    if isinstance(fa.type, pa.ExtensionType):  # finite results past Arrow's decimals: all of it wide
        words = {NAN: decimal.Decimal("NaN"), POS_INF: decimal.Decimal("Infinity"),
                 NEG_INF: decimal.Decimal("-Infinity")}
        vals = [f if kind == FINITE or f is None and kind is None else words[kind]
                for f, kind in zip(NW.to_decimals(fa), mapped.to_pylist(), strict=True)]
        vals = [None if not ok else x for x, ok in zip(vals, arr.is_valid().to_pylist(), strict=True)]
        return Vec(NW.from_decimals(vals), T.NUMERIC, first.scalar and all(a.scalar for a in args))
    if not pa.types.is_decimal(fa.type):
        raise FeatureNotSupported(f"{name}() of numeric NaN or Infinity is not supported by HeliosDB")
    values = pc.if_else(pc.equal(k, FINITE), fa, pa.scalar(0, fa.type))
    return Vec(make(values, mapped, arr.is_valid()), T.NUMERIC, first.scalar and all(a.scalar for a in args))
