"""``column op constant`` (or ``column op column``) over a plain fixed-width type, straight to its
comparison kernel.

A scan evaluates its WHERE terms on every slice of its rows (131,072 or fewer at a time), and a
comparison otherwise goes through operator dispatch on each: argument types resolved, both sides
brought to one type, the constant converted, about 20 µs of Python a term and slice (a fifth of
TPC-H Q6's time, run under one lock by both scan threads). For a column of an integer, date,
timestamp or numeric type beside a constant or parameter of the same type (or an integer beside
a numeric or an integer of another width), the answer is the kernel's on the column and the
constant, which is converted to the column's Arrow type once per constant object. Whatever the
compiled types did not foresee (a column in another Arrow representation, a NULL or inexact
constant, a chunked input) takes the general path, which gives the same answer more slowly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from helios_core.sql import types as T
from helios_core.sql.expr import Compiled
from helios_core.sql.functions import decimal_compare
from helios_core.sql.functions.compare import FLIPPED, KERNELS, constant_in_type_of
from helios_core.sql.functions.vec import Vec, converted_constant

# types whose PostgreSQL order is Arrow's order of their values (floats are not: NaN)
_PLAIN = frozenset({"int2", "int4", "int8", "date", "timestamp", "timestamptz", "numeric"})
_INTEGERS = frozenset({"int2", "int4", "int8"})


def _plain(t: T.SqlType) -> bool:
    return t.name in _PLAIN and t.domain is None and t.labels is None and t.element is None


def direct(op: str, left: Compiled, right: Compiled, general: Callable) -> Callable | None:
    """A compiled comparison's function taking the kernel directly when it is ``column op
    constant`` (either way round) or ``column op column`` of such types, falling back to
    ``general``; None otherwise."""
    if op not in KERNELS:
        return None
    if left.column is not None and right.column is not None:
        return _columns(op, left, right, general)
    if left.column is None:
        left, right, op = right, left, FLIPPED[op]
    if left.column is None or (right.const is None and right.param is None):
        return None
    ct, kt = left.type, right.type
    widened = kt.name in _INTEGERS and ct.name in (_INTEGERS | {"numeric"})  # 5 beside an int2 or numeric
    if not (_plain(ct) and _plain(kt)) or not (ct.name == kt.name or widened):
        return None
    index, constant, kernel, numeric = left.column, right.fn, KERNELS[op], ct.name == "numeric"
    convertible = numeric or ct.name in _INTEGERS

    def compared(b: pa.RecordBatch, ctx: Any) -> Vec:
        arr = b.column(index)
        value = constant(b, ctx).array
        if not isinstance(arr, pa.Array) or len(value) != 1 or value.null_count:
            return general(b, ctx)
        # the same object in every batch (a plan's constant, an execution's parameter): converted once
        scalar = converted_constant(value, ("scalar in", arr.type), lambda: _scalar_in(value, arr.type, convertible))
        if scalar is None:
            return general(b, ctx)
        out = decimal_compare.with_constant(op, arr, scalar) if numeric else None
        return Vec(out if out is not None else kernel(arr, scalar), T.BOOL, False)

    return compared


def _columns(op: str, left: Compiled, right: Compiled, general: Callable) -> Callable | None:
    """``column op column`` of one such type (TPC-H Q12's ``l_shipdate < l_commitdate``): the kernel
    on both columns when they come in one Arrow type."""
    if not (_plain(left.type) and _plain(right.type)) or left.type.name != right.type.name:
        return None
    first, second, kernel = left.column, right.column, KERNELS[op]

    def compared(b: pa.RecordBatch, ctx: Any) -> Vec:
        a, c = b.column(first), b.column(second)
        if not isinstance(a, pa.Array) or not isinstance(c, pa.Array) or a.type != c.type:
            return general(b, ctx)
        return Vec(kernel(a, c), T.BOOL, False)

    return compared


def _scalar_in(value: pa.Array, typ: pa.DataType, convertible: bool) -> pa.Scalar | None:
    """A one-value constant as a scalar of the column's Arrow type: as it is, or for a numeric or
    integer column in that type when it holds the value exactly; None otherwise."""
    if value.type == typ:
        return value[0]
    if not convertible or not (pa.types.is_decimal128(typ) or pa.types.is_integer(typ)):
        return None
    exact = constant_in_type_of(value, typ)
    return None if exact is None else exact[0]
