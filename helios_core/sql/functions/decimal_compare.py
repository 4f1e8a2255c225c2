"""A NULL-free decimal column compared with a constant, through numpy.

Arrow compares decimal128 values 16 bytes at a time and slowly (3 ns a row against 0.8 for a
strided numpy view of their low words); every decimal of precision <= 18 fits in the low 64-bit
word of its 128, so such comparisons go through numpy. A slice of a stored chunk is compared
through its narrowed values (``storage.narrowed``: 1 to 4 bytes a row) when storage keeps them:
the same slices are compared in every scan, and the comparison is bound by the bytes it reads.
(Integer and temporal columns stay with Arrow's kernels: narrowed, TPC-H Q12's dates compared
slower on a scan's two threads than Arrow compares them, Q6's no quicker.)
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from helios_core import bool_arrays
from helios_core.sql.functions.vec import converted_constant
from helios_core.storage import narrowed

_TYPE_MAX = {np.dtype(k): int(np.iinfo(k).max) for k in (np.int8, np.int16, np.int32)}  # narrowed types
_NP_CMP = {"=": np.equal, "<>": np.not_equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
           ">": np.greater, ">=": np.greater_equal}


def with_constant(op: str, arr: object, value: pa.Scalar) -> pa.BooleanArray | None:
    """``arr op value`` for a NULL-free decimal128 array of precision <= 18 and a constant of its
    type; None when that does not apply (Arrow's kernel is the way)."""
    if not isinstance(arr, pa.Array) or len(arr) == 0 or arr.null_count:
        return None
    t = arr.type
    if not pa.types.is_decimal128(t) or t.precision > 18 or value.type != t or not value.is_valid:
        return None
    view = np.frombuffer(arr.buffers()[1], dtype=np.int64)[2 * arr.offset: 2 * (arr.offset + len(arr)): 2]
    # worked out once per constant object (a plan's is the same in every batch)
    constant = converted_constant(value, ("unscaled", t.scale), lambda: int(value.as_py().scaleb(t.scale)))
    kept = narrowed.values(arr, view)
    if kept is not None:
        view, base, _top = kept
        # every narrowed value lies in [0, max - 1] of its type: clipped, the constant orders alike
        constant = min(max(constant - base, -1), _TYPE_MAX[view.dtype])
    hits = _NP_CMP[op](view, constant)
    return bool_arrays.from_numpy(hits)

