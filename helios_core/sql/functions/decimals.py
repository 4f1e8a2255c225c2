"""Exact numeric on Arrow decimals: precision management, rounding, typmod enforcement.

PostgreSQL's numeric has no precision limit; Arrow's decimal128 holds 38 digits and
decimal256 76. We keep every result in the narrowest decimal that holds its *actual*
values: before an operation whose declared result precision would pass 38 we measure the
inputs (one min/max pass) and narrow them, so TPC-H style ``price * (1 - disc) * (1 + tax)``
on numeric(15,2) stays decimal128 and exact. Past 76 digits we raise 22003.
"""

from __future__ import annotations

import decimal

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import NumericValueOutOfRange
from helios_core.sql.functions import numeric_wide as NW

MAX128 = 38
MAX256 = 76


def dec_type(precision: int, scale: int) -> pa.DataType:
    precision = max(precision, scale, 1)
    if precision <= MAX128:
        return pa.decimal128(precision, scale)
    if precision <= MAX256:
        return pa.decimal256(precision, scale)
    raise NumericValueOutOfRange("value overflows numeric format",
                                 detail=f"HeliosDB numeric holds at most {MAX256} digits")


def int_digits_needed(arr: pa.Array) -> int:
    """Digits left of the point that the values of a decimal/int array actually use."""
    if len(arr) == 0 or arr.null_count == len(arr):
        return 1
    mm = pc.min_max(arr)
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    m = max(abs(lo), abs(hi))
    if m == 0:
        return 1
    return max(len(str(int(m))), 1)


def narrow(arr: pa.Array) -> pa.Array:
    """The same values in the smallest-precision decimal with the same scale."""
    t = arr.type
    need = int_digits_needed(arr) + t.scale
    if need >= t.precision:
        return arr
    return arr.cast(dec_type(need, t.scale))


def fewest_scale(arr: pa.Array) -> int:
    """The smallest scale that holds every value of a decimal array exactly (binary search
    over Arrow's safe rescale, which refuses to drop a non-zero digit)."""
    lo, hi = 0, arr.type.scale
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            arr.cast(dec_type(arr.type.precision - arr.type.scale + mid, mid))
            hi = mid
        except (pa.ArrowInvalid, NumericValueOutOfRange):
            lo = mid + 1
    return lo


def as_values_scale(arr: pa.Array) -> pa.Array:
    """Values read from an unconstrained numeric column (stored at scale 16) at the fewest
    digits that show them all, in the narrowest decimal: what arithmetic on them starts from,
    so that price * 2 over 9.99 and 5.00 is 19.98 and 10.00 as in PostgreSQL, not 16 digits."""
    k = fewest_scale(arr)
    return arr.cast(dec_type(int_digits_needed(arr) + k, k))


def to_decimal(arr: pa.Array) -> pa.Array:
    """Ints and decimals as a decimal array (ints exactly, with the digits of their type)."""
    t = arr.type
    if pa.types.is_decimal(t):
        return arr
    if pa.types.is_integer(t):
        digits = {8: 3, 16: 5, 32: 10, 64: 19 if pa.types.is_signed_integer(t) else 20}[t.bit_width]
        return arr.cast(pa.decimal128(digits, 0))
    if pa.types.is_null(t):
        return arr.cast(pa.decimal128(1, 0))
    raise TypeError(f"not an exact number: {t}")


def ensure_room(arrs: list, needed: int) -> tuple[list, int]:
    """Narrow decimal inputs if a result of ``needed`` precision would not fit decimal128."""
    if needed <= MAX128:
        return arrs, needed
    return [narrow(a) if isinstance(a, pa.Array) else a for a in arrs], needed


def scale_of(a) -> int:
    return a.type.scale


def precision_of(a) -> int:
    return a.type.precision


def rescale(arr, scale: int):
    """Exact change of scale upward (pads zeros); works on arrays and scalars."""
    t = arr.type
    if t.scale == scale:
        return arr
    return arr.cast(dec_type(t.precision - t.scale + scale, scale))


def round_to_scale(arr: pa.Array, scale: int) -> pa.Array:
    """Round half away from zero to ``scale`` digits (PostgreSQL numeric rounding)."""
    t = arr.type
    if t.scale <= scale:
        return rescale(arr, scale)
    # one spare digit first: rounding can carry (99.995 -> 100.00)
    # (and room for the digits a negative scale rounds away: Arrow wants them in the precision)
    arr = arr.cast(dec_type(max(t.precision + 1, t.scale - scale + 1), t.scale)) if t.precision < MAX256 else arr
    rounded = pc.round(arr, ndigits=scale, round_mode="half_towards_infinity")
    # rounding can carry into one more integer digit (9.99 -> 10.0)
    p = t.precision - t.scale + scale + 1
    try:
        return rounded.cast(dec_type(p, scale))
    except pa.ArrowInvalid:
        return narrow(rounded).cast(dec_type(p, scale))


def apply_typmod(arr: pa.Array, precision: int, scale: int) -> pa.Array:
    """Coerce to numeric(precision, scale): round, then 22003 if the integer part is too wide."""
    if len(arr) == 1 and pa.types.is_decimal128(arr.type) and 0 <= scale <= precision <= MAX128:
        return _one_to_typmod(arr, precision, scale)
    arr = to_decimal(arr)
    r = round_to_scale(arr, scale)
    if scale < 0:  # rounded left of the point: held with no fraction digits
        r = r.cast(dec_type(r.type.precision - r.type.scale, 0)) if r.type.scale < 0 else r
    if len(r) and r.null_count < len(r):
        mm = pc.min_max(r)
        biggest = max(abs(mm["min"].as_py()), abs(mm["max"].as_py()))
        _check_field(biggest, precision, scale)
    if precision > MAX256:  # numeric(210, 10): the declared bound is checked above, Arrow holds 76 digits
        # Arrow holds 76 digits; with scale <= 16 at most 59 integer digits, as unconstrained numeric
        # (60-digit values stand for NaN/Infinity there, see numeric_special)
        room = MAX256 - 17 if scale <= 16 else MAX256 - scale
        if int_digits_needed(r) > room:
            raise NumericValueOutOfRange("value overflows numeric format",
                                         detail=f"HeliosDB numeric({precision},{scale}) holds at most {room} "
                                                "integer digits")
        return r.cast(pa.decimal256(MAX256, scale))
    stored_scale = max(scale, 0)
    return r.cast(dec_type(max(precision - scale, 0) + stored_scale, stored_scale))


_WIDE_CONTEXT = decimal.Context(prec=100)


def _one_to_typmod(arr: pa.Array, precision: int, scale: int) -> pa.Array:
    """``apply_typmod`` of one value in Python (a parameter assigned to a numeric(p,s) column):
    rounded half away from zero as round_to_scale does, the same 22003, the same stored type;
    the kernels' path cost a point UPDATE more than the rest of it."""
    out_type = dec_type(precision, scale)
    d = arr[0].as_py()
    if d is None:
        return pa.nulls(1, out_type)
    r = d.quantize(decimal.Decimal(1).scaleb(-scale), rounding=decimal.ROUND_HALF_UP, context=_WIDE_CONTEXT)
    _check_field(abs(r), precision, scale)
    return pa.array([r], out_type)


def _check_field(biggest: decimal.Decimal, precision: int, scale: int) -> None:
    """22003 when a rounded value of this magnitude does not fit numeric(precision, scale)."""
    limit = precision - scale
    if biggest >= decimal.Decimal(10) ** limit:
        raise NumericValueOutOfRange(
            "numeric field overflow",
            detail=f"A field with precision {precision}, scale {scale} must round to an absolute value "
                   f"less than {'10^' + str(limit) if limit else '1'}.")


def py_to_decimal_array(vals: list, scale: int | None = None) -> pa.Array:
    """Python Decimals/ints to a decimal array, at ``scale`` or the largest scale present (past
    Arrow's 76 digits, text per value: then without ``scale`` each value keeps its own, as
    PostgreSQL's numerics do)."""
    own_scales = scale is None
    if scale is None:
        scale = 0
        for d in vals:
            if d is not None:
                e = decimal.Decimal(d).as_tuple().exponent
                scale = max(scale, -e if isinstance(e, int) and e < 0 else 0)
    q = decimal.Decimal(1).scaleb(-scale)
    out = []
    ip = 1
    with decimal.localcontext() as ctx:
        ctx.prec = 200
        ctx.rounding = decimal.ROUND_HALF_UP
        for d in vals:
            if d is None:
                out.append(None)
                continue
            try:
                dd = decimal.Decimal(d).quantize(q)
            except decimal.InvalidOperation:
                dd = None
            if dd is None or ip + scale > MAX256:
                return _wide(vals, None if own_scales else scale)
            out.append(dd)
            ip = max(ip, len(str(abs(int(dd)))))
    if ip + scale > MAX256:  # past Arrow's decimals: one text per value (numeric_wide)
        return _wide(vals, None if own_scales else scale)
    return pa.array(out, dec_type(ip + scale, scale))


def _wide(vals: list, scale: int | None) -> pa.Array:
    """A wide numeric array of the values, rounded to ``scale`` (None: each keeps its own)."""
    if scale is None:
        return NW.from_decimals(None if x is None else decimal.Decimal(x) for x in vals)
    return NW.from_decimals(NW.round_half_away(decimal.Decimal(x), scale) if x is not None else None for x in vals)
