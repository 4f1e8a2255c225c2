"""Vec: an Arrow array tagged with its SQL type, the unit every SQL function works on.

A constant (a literal, a parameter, the result of an expression over constants only) is a
*scalar Vec*: ``scalar=True`` and ``array`` of length 1. It broadcasts against any length,
so ``1 + col`` never materializes a column of ones. ``Vec.broadcast(n)`` makes it full length
when a caller needs that.
"""

from __future__ import annotations

from typing import Any

import attrs
import pyarrow as pa

from helios_core.sql import types as T


def _as_array(a: Any) -> pa.Array:
    if isinstance(a, pa.ChunkedArray):
        return a.combine_chunks() if a.num_chunks != 1 else a.chunk(0)
    return a


@attrs.frozen
class Vec:
    """Values of one SQL type: a whole column (``scalar=False``) or a broadcast constant."""

    array: pa.Array = attrs.field(converter=_as_array)
    type: T.SqlType
    scalar: bool = False

    def __len__(self) -> int:
        return len(self.array)

    @classmethod
    def const(cls, value: Any, type: T.SqlType) -> Vec:
        """A scalar Vec from a Python value already in ``type``'s Arrow representation."""
        return cls(pa.array([value], type=_storage_type(type)), type, True)

    @classmethod
    def null(cls, type: T.SqlType = T.UNKNOWN) -> Vec:
        return cls(pa.nulls(1, type=_storage_type(type)), type, True)

    @classmethod
    def of(cls, array: pa.Array | pa.ChunkedArray, type: T.SqlType | None = None) -> Vec:
        """A column Vec; the SQL type defaults to the natural one of the Arrow type."""
        return cls(array, type if type is not None else T.sql_type_of_arrow(array.type), False)

    def broadcast(self, n: int) -> Vec:
        """This Vec as an array of length n (a no-op for column Vecs)."""
        if not self.scalar:
            return self
        if n == 1:
            return Vec(self.array, self.type, False)
        t = self.array.type
        if t == pa.null():
            return Vec(pa.nulls(n), self.type, False)
        if pa.types.is_nested(t) or pa.types.is_decimal(t):  # pa.repeat trips on some of these
            return Vec(self.array.take(pa.array([0] * n, pa.int32()) if n < 1024 else
                                       pa.repeat(pa.scalar(0, pa.int32()), n)), self.type, False)
        return Vec(pa.repeat(self.array[0], n), self.type, False)

    def value(self) -> Any:
        """The Python value of a scalar Vec (None for NULL, and for an empty column)."""
        return self.array[0].as_py() if len(self.array) else None

    def to_pylist(self) -> list[Any]:
        return self.array.to_pylist()

    def with_array(self, array: pa.Array) -> Vec:
        return Vec(array, self.type, self.scalar)


def _storage_type(t: T.SqlType) -> pa.DataType:
    return t.arrow_type


def align(vecs: list[Vec] | tuple[Vec, ...]) -> tuple[list[Any], bool]:
    """Kernel arguments for a list of Vecs: arrays, with scalar Vecs as pa.Scalar when mixed.

    Returns (args, all_scalar). When every Vec is scalar the args are length-1 arrays and the
    result of the kernel is again a scalar Vec.
    """
    all_scalar = all(v.scalar for v in vecs)
    if all_scalar:
        return [v.array for v in vecs], True
    n = None
    for v in vecs:
        if not v.scalar:
            if n is None:
                n = len(v.array)
            elif len(v.array) != n:
                raise ValueError(f"argument arrays differ in length: {n} != {len(v.array)}")
    return [v.array[0] if v.scalar else v.array for v in vecs], False


def length_of(vecs: list[Vec] | tuple[Vec, ...]) -> int:
    """Row count of an expression over these Vecs (1 when all are scalar)."""
    for v in vecs:
        if not v.scalar:
            return len(v.array)
    return 1


def full(vecs: list[Vec] | tuple[Vec, ...]) -> tuple[list[pa.Array], bool]:
    """Like align() but every argument is a full-length array (for per-row Python code)."""
    n = length_of(vecs)
    all_scalar = all(v.scalar for v in vecs)
    return [v.broadcast(n).array for v in vecs], all_scalar


_CONVERTED_KEPT = 256
_converted: dict[tuple, tuple[pa.Array, object]] = {}


def converted_constant(arr: pa.Array, key: object, convert) -> object:
    """``convert()`` of a constant's array, remembered for that array object: a plan's constant (or
    a lifted parameter) is the same array in every batch, and converting it (a one-value cast,
    12 µs) per batch and term cost a tenth of TPC-H Q6. Only for conversions that do not depend
    on settings. Kept by the array's identity, checked on each hit, a bounded number at a time."""
    k = (id(arr), key)
    hit = _converted.get(k)
    if hit is not None and hit[0] is arr:
        return hit[1]
    out = convert()
    if len(_converted) >= _CONVERTED_KEPT:
        _converted.clear()
    _converted[k] = (arr, out)
    return out
