"""Comparisons (= <> < <= > >=, IS [NOT] DISTINCT FROM) and three-valued boolean logic.

Operands are first brought to one type (PostgreSQL's resolution). PostgreSQL orders float
NaN above every number and equal to itself; char(n) compares without trailing blanks, citext
without regard to case;
intervals compare by their span with 30-day months.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.sql import types as T
from helios_core.sql.functions import decimal_compare, jsonb_order, network, range_io, timetz
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.functions.vec import Vec, align, converted_constant

FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>", "!=": "!="}
KERNELS = {"=": pc.equal, "<>": pc.not_equal, "!=": pc.not_equal, "<": pc.less, "<=": pc.less_equal,
        ">": pc.greater, ">=": pc.greater_equal}


def sort_key(arr: pa.Array, t: T.SqlType):
    """An Arrow array/scalar that sorts and compares like PostgreSQL orders values of type t."""
    if t.name == "bpchar":
        return pc.utf8_rtrim(arr, characters=" ")
    if t.name == "citext":
        return pc.utf8_lower(arr)
    if t.name == "interval":
        return interval_key(arr)
    if t.name == "jsonb":
        return jsonb_order.ranks(arr)[0]
    return arr


def interval_key(arr):
    """Interval span in microseconds with 30-day months, as PostgreSQL compares intervals.

    int64 while the spans fit (they nearly always do); decimal128 when one does not (PostgreSQL
    compares in 128 bits: 999999999 days is about 8.6e19 microseconds)."""
    from helios_core.sql.functions.intervals import interval_fields

    wide = pa.decimal128(38, 0)
    if isinstance(arr, pa.Scalar):
        v = arr.as_py()
        if v is None:
            return pa.scalar(None, pa.int64())
        key = v.months * 30 * 86_400_000_000 + v.days * 86_400_000_000 + v.nanoseconds // 1000
        return pa.scalar(key, pa.int64() if -(2**63) <= key < 2**63 else wide)
    m, d, ns = interval_fields(arr)
    try:
        return pc.add_checked(pc.add_checked(pc.multiply_checked(m.cast(pa.int64()), 30 * 86_400_000_000),
                                             pc.multiply_checked(d.cast(pa.int64()), 86_400_000_000)),
                              pc.divide(ns, 1000))
    except pa.ArrowInvalid:  # overflow: per-row Python in 128 bits, rare
        keys = [None if mm is None else mm * 30 * 86_400_000_000 + dd * 86_400_000_000 + nn // 1000
                for mm, dd, nn in zip(m.to_pylist(), d.to_pylist(), ns.to_pylist(), strict=True)]
        return pa.array(keys, wide)


def _key_pair(a, b, t: T.SqlType):
    if t.name in network.NETWORK_TYPES:
        return network.sort_key(a), network.sort_key(b)
    if t.name == "timetz":
        return timetz.sort_key(a), timetz.sort_key(b)
    if t.name == "jsonb" and t.element is None:
        return tuple(jsonb_order.ranks(a, b))
    if t.labels is not None:  # enums order by declaration
        labels = pa.array(list(t.labels), pa.string())
        return pc.index_in(a, value_set=labels), pc.index_in(b, value_set=labels)
    if t.name == "numeric" and (pa.types.is_struct(a.type) or pa.types.is_struct(b.type)):
        return _special_keys(a, b)
    if t.name == "bpchar":
        return pc.utf8_rtrim(a, characters=" "), pc.utf8_rtrim(b, characters=" ")
    if t.name == "citext":  # the citext extension's type: case does not count
        return pc.utf8_lower(a), pc.utf8_lower(b)
    if t.name == "interval":
        ka, kb = interval_key(a), interval_key(b)
        if ka.type != kb.type:  # one side needed 128 bits
            ka, kb = ka.cast(pa.decimal128(38, 0)), kb.cast(pa.decimal128(38, 0))
        return ka, kb
    if pa.types.is_decimal(a.type) and pa.types.is_decimal(b.type) and a.type != b.type:
        from helios_core.sql.functions.decimals import MAX128, dec_type, narrow

        exact = _constant_in_column_type(a, b) if isinstance(b, pa.Scalar) else \
            _constant_in_column_type(b, a) if isinstance(a, pa.Scalar) else None
        if exact is not None:
            return (a, exact) if isinstance(b, pa.Scalar) else (exact, b)

        s = max(a.type.scale, b.type.scale)
        ip = max(a.type.precision - a.type.scale, b.type.precision - b.type.scale)
        if ip + s > MAX128:  # declared precisions are pessimistic: size by the actual values
            a = narrow(a) if isinstance(a, pa.Array) else a
            b = narrow(b) if isinstance(b, pa.Array) else b
            ip = max(a.type.precision - a.type.scale, b.type.precision - b.type.scale)
        typ = dec_type(ip + s, s)
        return a.cast(typ), b.cast(typ)
    return a, b


def _constant_in_column_type(arr, value: pa.Scalar) -> pa.Scalar | None:
    """A decimal constant in its column's decimal type when that holds it exactly (0.05 or 24 beside
    a numeric(15,2) column), else None: comparing then needs no cast of the column, which costs
    hundreds of microseconds per batch (Arrow's cast checks every value's precision)."""
    if not isinstance(arr, pa.Array) or not value.is_valid:
        return None
    return constant_in_type_of(value, arr.type)


def _special_keys(a, b):
    """numeric NaN/Infinity: compare through keys that order -Infinity < finite < Infinity < NaN."""
    from helios_core.sql.functions import numeric_special as NS

    n = len(a) if isinstance(a, pa.Array) else len(b) if isinstance(b, pa.Array) else 1
    arrs = [x if isinstance(x, pa.Array) else pa.array([x.as_py()] * n, x.type) for x in (a, b)]
    ka, kb = NS.unify(arrs)
    both = NS.sort_key(pa.concat_arrays([ka, kb]))
    return both.slice(0, len(ka)), both.slice(len(ka))


def constant_in_type_of(value: pa.Array | pa.Scalar, typ: pa.DataType) -> pa.Array | pa.Scalar | None:
    """A constant (array or scalar) in decimal type ``typ`` when that holds it exactly, else None."""
    try:
        return value.cast(typ)  # a safe cast refuses digits lost or a value too wide
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _constant_beside_column(l: Vec, r: Vec) -> tuple[Vec, Vec]:
    """A decimal constant compared with a decimal column, in the column's decimal type when that
    holds it exactly (converted once per constant, ``converted_constant``)."""
    const, column = (r, l) if r.scalar else (l, r)
    typ = column.array.type
    if not isinstance(column.array, pa.Array) or not pa.types.is_decimal128(typ) \
            or not pa.types.is_decimal(const.array.type) or const.array.type == typ:
        return l, r
    exact = converted_constant(const.array, ("in type", typ), lambda: constant_in_type_of(const.array, typ))
    if exact is None:
        return l, r
    const = Vec(exact, const.type, True)
    return (l, const) if r.scalar else (const, r)


def compare_same(op: str, l: Vec, r: Vec, t: T.SqlType) -> Vec:
    """l op r where both sides already hold values of type t."""
    if t.name == "numeric" and t.element is None and (NW.is_wide(l.array) or NW.is_wide(r.array)):
        return NW.compare_vec(op, l, r)
    if t.name == "numeric" and t.element is None and l.scalar != r.scalar:
        l, r = _constant_beside_column(l, r)
    (a, b), scalar = align([l, r])
    if t.is_range or t.is_multirange:
        return Vec(range_io.compare(op, a, b, t), T.BOOL, scalar)
    a, b = _key_pair(a, b, t)
    if t.element is not None or t.is_rowtype:
        return Vec(_compare_lists(op, a, b, t), T.BOOL, scalar)
    if not scalar and t.name == "numeric":
        fast = decimal_compare.with_constant(op, a, b) if isinstance(b, pa.Scalar) else \
            decimal_compare.with_constant(FLIPPED[op], b, a) if isinstance(a, pa.Scalar) else None
        if fast is not None:
            return Vec(fast, T.BOOL, False)
    out = KERNELS[op](a, b)
    if t.name in ("float4", "float8"):
        out = _nan_fixup(op, a, b, out)
    if isinstance(out, pa.Scalar):
        out = pa.array([out.as_py()], pa.bool_())
    return Vec(out, T.BOOL, scalar)


def _nan_fixup(op: str, a, b, out):
    na, nb = pc.is_nan(a), pc.is_nan(b)
    anyn = pc.or_(na, nb)
    if isinstance(anyn, pa.Scalar):
        if not anyn.as_py():
            return out
    elif not pc.any(anyn).as_py():
        return out
    both = pc.and_(na, nb)
    # NaN = NaN, NaN > everything else
    if op == "=":
        fixed = both
    elif op in ("<>", "!="):
        fixed = pc.invert(both)
    elif op == "<":
        fixed = pc.and_(pc.invert(na), nb)
    elif op == "<=":
        fixed = nb
    elif op == ">":
        fixed = pc.and_(na, pc.invert(nb))
    else:
        fixed = na
    return pc.if_else(anyn, fixed, out)


def _compare_lists(op: str, a, b, t: T.SqlType) -> pa.Array:
    # Per-row Python: Arrow has no ordering kernel for list values; PostgreSQL compares
    # arrays element by element, NULL elements sort last, then by length. Records (structs)
    # compare field by field the same way (two NULL fields are equal, NULL sorts last).
    n = len(a) if isinstance(a, pa.Array) else len(b) if isinstance(b, pa.Array) else 1  # may be 0
    la = a.to_pylist() if isinstance(a, pa.Array) else [a.as_py()] * n
    lb = b.to_pylist() if isinstance(b, pa.Array) else [b.as_py()] * n
    out = []
    for x, y in zip(la, lb, strict=True):
        if x is None or y is None:
            out.append(None)
            continue
        if isinstance(x, dict):
            x, y = list(x.values()), list(y.values())
        if any(isinstance(e, list) for e in x) or any(isinstance(e, list) for e in y):
            from helios_core.sql.functions.array_dims import compare_values

            c = compare_values(x, y)  # N-dimensional arrays: elements, then count, then dims
        else:
            c = _cmp_py_list(x, y)
        out.append({"=": c == 0, "<>": c != 0, "!=": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0,
                    ">=": c >= 0}[op])
    return pa.array(out, pa.bool_())


def _cmp_py_list(x: list, y: list) -> int:
    for u, v in zip(x, y, strict=False):
        if u == v:
            continue
        if u is None:
            return 1
        if v is None:
            return -1
        return -1 if u < v else 1
    return (len(x) > len(y)) - (len(x) < len(y))


def distinct_from(l: Vec, r: Vec, t: T.SqlType, negate: bool) -> Vec:
    """IS [NOT] DISTINCT FROM: NULL-safe comparison (never NULL)."""
    (a, b), scalar = align([l, r])
    if t.is_range or t.is_multirange:
        same = range_io.compare("=", a, b, t, null_safe=True)
        return Vec(same if negate else pc.invert(same), T.BOOL, scalar)
    a, b = _key_pair(a, b, t)
    if t.element is not None or t.is_rowtype:
        eq = _compare_lists("=", a, b, t)
    else:
        eq = pc.equal(a, b)
        if t.name in ("float4", "float8"):
            eq = _nan_fixup("=", a, b, eq)
    na = pc.is_null(a) if isinstance(a, pa.Array) else pa.scalar(not a.is_valid)
    nb = pc.is_null(b) if isinstance(b, pa.Array) else pa.scalar(not b.is_valid)
    same = pc.if_else(pc.or_(na, nb), pc.and_(na, nb), eq)
    out = same if negate else pc.invert(same)
    if isinstance(out, pa.Scalar):
        out = pa.array([out.as_py()], pa.bool_())
    return Vec(out, T.BOOL, scalar)


def logical(op: str, l: Vec, r: Vec) -> Vec:
    """AND / OR with SQL's three-valued logic."""
    (a, b), scalar = align([l, r])
    out = pc.and_kleene(a, b) if op == "and" else pc.or_kleene(a, b)
    if isinstance(out, pa.Scalar):
        out = pa.array([out.as_py()], pa.bool_())
    return Vec(out, T.BOOL, scalar)
