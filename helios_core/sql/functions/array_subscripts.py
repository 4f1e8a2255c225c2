"""Array subscripts and slices as PostgreSQL evaluates them: a[2], a[2][1], a[1:2][2:], a[:3].

Without a colon, as many subscripts as the array has dimensions select one element; any other
count, an index out of range or a NULL subscript gives NULL. With a colon anywhere, every
subscript is a slice (a lone ``i`` means ``1:i``), missing bounds are the array's own,
dimensions not mentioned are taken whole, and an empty selection is the empty array.

One subscript on a one-dimensional array is vectorized (``element_1d``); the rest is per-row
Python over the nested values.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.sql import types as T
from helios_core.sql.functions import array_dims as dims
from helios_core.sql.functions.vec import Vec

Bound = tuple[Any, Any] | Any  # a (lo, hi) slice (either may be None = the array's bound) or an index


def element_1d(lists: pa.Array, idx: pa.Array, et: T.SqlType) -> pa.Array:
    """lists[i][idx[i]] (1-based) for one-dimensional arrays, vectorized."""
    n = len(lists)
    ia = pc.cast(idx, pa.int64())
    lens = pc.list_value_length(lists)
    valid = pc.and_(pc.and_(pc.greater_equal(ia, 1), pc.less_equal(ia, pc.cast(lens, pa.int64()))),
                    pc.is_valid(lists))
    valid = pc.fill_null(valid, False)
    offs = pc.cast(lists.offsets.slice(0, n), pa.int64())
    pos = pc.if_else(valid, pc.subtract(pc.add(offs, ia), 1), 0)
    values = lists.values
    if len(values) == 0:
        return pa.nulls(n, et.arrow_type)
    taken = values.take(pos)
    return pc.if_else(valid, taken, pa.nulls(n, taken.type))


def subscript_rows(values: list, subs: list[list[Bound]], is_slice: bool) -> list:
    """Per row: the element or slice that ``subs`` (one list of bounds per row) selects."""
    out = []
    for v, bounds in zip(values, subs, strict=True):
        if v is None:
            out.append(None)
        elif is_slice:
            out.append(_slice(v, bounds))
        else:
            out.append(_element(v, bounds))
    return out


def _element(v: list, idx: list[Any]) -> Any:
    if any(i is None for i in idx) or len(idx) != len(dims.dims_of(v)):
        return None
    cur: Any = v
    for i in idx:
        if not isinstance(cur, list) or not 1 <= i <= len(cur):
            return None
        cur = cur[i - 1]
    return cur


_NULL = object()


def _slice(v: list, bounds: list[Bound]) -> Any:
    shape = dims.dims_of(v)
    if not shape or len(bounds) > len(shape):
        return []
    ranges = []
    for k, b in enumerate(bounds):
        lo, hi = b if isinstance(b, tuple) else (1, b)
        if lo is _NULL or hi is _NULL:
            return None
        lo = 1 if lo is None else max(lo, 1)
        hi = shape[k] if hi is None else min(hi, shape[k])
        if lo > hi:
            return []
        ranges.append((lo, hi))

    def cut(x: list, level: int) -> list:
        if level >= len(ranges):
            return x
        lo, hi = ranges[level]
        return [cut(y, level + 1) if isinstance(y, list) else y for y in x[lo - 1: hi]]

    return cut(v, 0)


def null_bound() -> object:
    """The marker of a NULL slice bound (the slice is then NULL, as in PostgreSQL)."""
    return _NULL


def result_vec(rows: list, base: Vec, is_slice: bool, scalar: bool) -> Vec:
    et = base.type.element
    if is_slice:
        leaf = dims.leaf_type(base.array.type)
        arr, t = dims.from_rows(rows, base.type, leaf) if any(rows) else (
            pa.array(rows, base.array.type), base.type)
        return Vec(arr, t, scalar)
    leaf = dims.leaf_type(base.array.type)
    return Vec(pa.array(rows, leaf), et, scalar)
