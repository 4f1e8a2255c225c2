"""numpy booleans as an Arrow boolean array, packed to Arrow's bit layout by numpy.

``pa.array`` of a numpy bool array converts it element by element: 68 us for a scan slice of
122,000 flags, against 6 us for ``np.packbits`` (a join's key filter and the LIKE prefilter make
one per slice of every scan they narrow).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def from_numpy(flags: np.ndarray, valid: np.ndarray | None = None) -> pa.BooleanArray:
    """``flags`` (numpy bools) as an Arrow boolean array; NULL where ``valid`` is False."""
    bits = pa.py_buffer(np.packbits(flags, bitorder="little"))
    validity = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.bool_(), len(flags), [validity, bits])
