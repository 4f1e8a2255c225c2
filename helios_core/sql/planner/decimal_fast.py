"""Exact numeric + - * on small decimals in unscaled int64 (a fast path of the executor).

PostgreSQL's numeric arithmetic is exact: a*b has scale s1+s2, a±b has scale max(s1, s2).
When both operands are decimal128 with precision <= 18 (or integers) and the result provably
fits in int64, the unscaled integers are combined with numpy and the result is rebuilt as a
decimal128 without per-value work. Anything else (NULL-free or not, bigger values, division)
returns None and the general implementation in helios_core.sql.functions runs instead.
"""

from __future__ import annotations

import decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core import parallel, pooled_arrays
from helios_core.sql import types as T
from helios_core.sql.functions.vec import Vec
from helios_core.storage import narrowed

LIMIT = 2**62
INT_TYPES = ("int2", "int4", "int8")


def _parts(v: Vec) -> tuple[Any, int, np.ndarray | None] | None:
    """(unscaled values: numpy int64 array or Python int, scale, valid mask or None)."""
    arr = v.array
    t = arr.type
    if v.type.name == "numeric" and pa.types.is_decimal128(t) and t.precision <= 18:
        if v.scalar:
            val = arr[0].as_py()
            if val is None:
                return None
            return int(val.scaleb(t.scale).to_integral_value()), t.scale, None
        words = np.frombuffer(arr.buffers()[1], dtype=np.int64)
        data = words[2 * arr.offset: 2 * (arr.offset + len(arr)): 2]
        valid = None
        if arr.null_count:
            valid = pc.is_valid(arr).to_numpy(zero_copy_only=False)
            data = np.where(valid, data, 0)
        return data, t.scale, valid
    if v.type.name in INT_TYPES and pa.types.is_integer(t):
        if v.scalar:
            val = arr[0].as_py()
            return (None if val is None else int(val)), 0, None
        valid = None
        data = arr.to_numpy(zero_copy_only=False) if not arr.null_count else None
        if data is None:
            valid = pc.is_valid(arr).to_numpy(zero_copy_only=False)
            data = pc.fill_null(arr, 0).to_numpy(zero_copy_only=False)
        return data.astype(np.int64, copy=False), 0, valid
    return None


PARALLEL_COPY_ROWS = 1 << 20  # below this one thread copies a column's unscaled values as quickly


def _peak(x: Any) -> int:
    if isinstance(x, int):
        return abs(x)
    if len(x) == 0:
        return 0
    return max(abs(int(x.max())), abs(int(x.min())))


def _rebuild(values: Any, scale: int, valid: np.ndarray | None, n: int, scalar: bool) -> Vec:
    if isinstance(values, int):
        arr = pa.array([decimal.Decimal(values).scaleb(-scale)], pa.decimal128(18, scale))
        return Vec(arr, T.NUMERIC, True)
    lo = np.ascontiguousarray(values, dtype=np.int64)
    words = np.empty(2 * len(lo), np.int64)
    words[0::2] = lo
    words[1::2] = lo >> 63
    out = pa.Array.from_buffers(pa.decimal128(18, scale), len(lo), [None, pa.py_buffer(words)])
    if valid is not None and not valid.all():
        out = pc.if_else(pa.array(valid), out, pa.nulls(len(lo), out.type))
    return Vec(out, T.NUMERIC, scalar)


def fast_decimal_op(op: str, left: Vec, right: Vec) -> Vec | None:
    """left op right for op in + - * when exact in int64; None when the general path must run."""
    if op not in ("+", "-", "*"):
        return None
    if "numeric" not in (left.type.name, right.type.name):
        return None
    if left.scalar and right.scalar:
        return None
    a = _parts(left)
    b = _parts(right)
    if a is None or b is None or a[0] is None or b[0] is None:
        return None
    (av, sa, ma), (bv, sb, mb) = a, b
    if op == "*":
        scale = sa + sb
        if scale > 18 or _peak(av) * _peak(bv) >= LIMIT:
            return None
        res = av * bv
    else:
        scale = max(sa, sb)
        if scale > 18:
            return None
        fa, fb = 10 ** (scale - sa), 10 ** (scale - sb)
        if _peak(av) * fa + _peak(bv) * fb >= LIMIT:
            return None
        av = av * fa if fa != 1 else av
        bv = bv * fb if fb != 1 else bv
        res = av + bv if op == "+" else av - bv
    if _peak(res) >= 10**18:
        return None
    valid = ma if mb is None else (mb if ma is None else (ma & mb))
    n = len(res) if not isinstance(res, int) else 1
    return _rebuild(res, scale, valid, n, False)


def unscaled_of(c: Any, t: pa.Table, memo: dict) -> tuple[np.ndarray, int] | None:
    """A numeric expression over every row of ``t`` as (unscaled integer values, scale),
    computed from its + - * tree (``Compiled.arith``) without building decimals in between;
    None when some operand is not a NULL-free small decimal, integer or constant, or a value
    could leave int64 (the caller then evaluates it the general way). The values are in the
    narrowest of int16, int32 and int64 that their bound fits (``_fitting``): a stored column's
    narrowed slices give that bound before any pass, and an aggregate then reads 2 or 4 bytes a
    value where it read 8 (TPC-H Q1's work table, 40 bytes a row in int64, is 19)."""
    key = id(c)
    if key in memo:
        return memo[key]
    out = _unscaled_of(c, t, memo)
    memo[key] = out
    return out


def _unscaled_of(c: Any, t: pa.Table, memo: dict) -> tuple[Any, int] | None:
    if c.const is not None:
        parts = _parts(c.const)
        return None if parts is None or parts[0] is None else (parts[0], parts[1])
    if c.column is not None:
        key = ("column", c.column)  # the same column under another expression node
        if key not in memo:
            memo[key] = _column_unscaled(t.column(c.column), c.type, memo)
        return memo[key]
    if c.arith is None:
        return None
    op, left, right = c.arith
    a = unscaled_of(left, t, memo)
    if a is None:
        return None
    b = unscaled_of(right, t, memo)
    if b is None:
        return None
    (av, sa), (bv, sb) = a, b
    if isinstance(av, int) and isinstance(bv, int):
        return None
    pa_, pb = _peak_of(av, memo), _peak_of(bv, memo)
    if op == "*":
        scale = sa + sb
        bound = pa_ * pb  # the product's magnitude is at most the peaks' product
        if scale > 18 or bound >= 10**18:
            return None
        # the type holds the operands too: a constant past int16 times a column of zeros
        res = np.multiply(av, bv, dtype=_fitting(max(bound, pa_, pb)))
    else:
        scale = max(sa, sb)
        if scale > 18:
            return None
        fa, fb = 10 ** (scale - sa), 10 ** (scale - sb)
        bound = pa_ * fa + pb * fb
        if bound >= 10**18:
            return None
        kind = _fitting(bound)
        if fa != 1:
            av = av * fa if isinstance(av, int) else np.multiply(av, fa, dtype=kind)
        if fb != 1:
            bv = bv * fb if isinstance(bv, int) else np.multiply(bv, fb, dtype=kind)
        res = (np.add if op == "+" else np.subtract)(av, bv, dtype=kind)
    memo[("peak", id(res))] = (res, bound)
    return res, scale


def _fitting(bound: int) -> type:
    """The narrowest signed integer type holding every value of magnitude up to ``bound``."""
    return np.int16 if bound < 2**15 else np.int32 if bound < 2**31 else np.int64


def _peak_of(x: Any, memo: dict) -> int:
    """``_peak(x)``, or a bound of it already known for this array (kept with the array, so its id
    stays its own)."""
    if isinstance(x, int):
        return abs(x)
    hit = memo.get(("peak", id(x)))
    if hit is not None and hit[0] is x:
        return hit[1]
    p = _peak(x)
    memo[("peak", id(x))] = (x, p)
    return p


def _column_unscaled(col: pa.ChunkedArray, sql_type: Any, memo: dict) -> tuple[Any, int] | None:
    """A NULL-free column's unscaled values (one copy out of its chunks), or None: int64, or
    the narrowest type holding them when every chunk is a stored slice with narrowed values.
    A many-chunk decimal column is copied by both halves of its chunks at once (numpy's copies
    and reductions release the GIL), each half taking its values' peak while they are in cache;
    the peak goes into ``memo`` for ``_peak_of``."""
    if col.null_count:
        return None
    if not (pa.types.is_decimal128(col.type) and col.type.precision <= 18) or (
            col.num_chunks == 1 and narrowed.stored_slice(col.chunk(0)) is None):
        arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        parts = _parts(Vec(arr, sql_type, False))
        # contiguous: the strided view of decimal words would be copied again by each pa.array of it
        return None if parts is None else (np.ascontiguousarray(parts[0]), parts[1])
    if sql_type.name != "numeric":
        return None
    pieces = []
    chunks = [ch for ch in col.chunks if len(ch)]
    for ch in chunks:
        words = np.frombuffer(ch.buffers()[1], dtype=np.int64)
        pieces.append(words[2 * ch.offset: 2 * (ch.offset + len(ch)): 2])
    # stored slices: 1-4 bytes a value to read, and their bounds known before any pass
    kept = [narrowed.values(ch, piece) for ch, piece in zip(chunks, pieces, strict=True)]
    kind = np.int64
    if all(k is not None for k in kept):
        kind = _fitting(max(max(abs(base), abs(top)) for _small, base, top in kept))
    out = pooled_arrays.empty(sum(len(p) for p in pieces), kind)
    starts = np.cumsum([0, *(len(p) for p in pieces)])
    half = len(pieces) // 2

    def copy_and_peak(span: tuple[int, int]) -> int:
        peak = 0
        for i in range(*span):
            part = out[starts[i]:starts[i + 1]]
            if kept[i] is not None:
                small, base, top = kept[i]
                np.add(small, base, out=part, dtype=kind)
                peak = max(peak, abs(base), abs(top))
                continue
            part[:] = pieces[i]
            peak = max(peak, _peak(part))
        return peak

    spans = [(0, half), (half, len(pieces))] if half and len(out) >= PARALLEL_COPY_ROWS else [(0, len(pieces))]
    memo[("peak", id(out))] = (out, max(parallel.map_in_parallel(copy_and_peak, spans)))
    return out, col.type.scale


def sum_fits_int64(values: np.ndarray, rows: int, memo: dict | None = None) -> bool:
    """Summing ``rows`` of these unscaled values cannot overflow int64 (``memo``: the one
    ``unscaled_of`` filled, whose bounds spare a pass over the values)."""
    peak = _peak(values) if memo is None else _peak_of(values, memo)
    return peak * max(rows, 1) < 2**62
