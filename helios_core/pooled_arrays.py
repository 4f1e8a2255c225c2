"""Large temporary numpy arrays whose memory comes from Arrow's pool instead of the C library.

glibc maps every block over 32 MB (the largest threshold ``mallopt`` accepts; see
memory_retention.py) on its own and unmaps it when freed, so a 6M-row int64 temporary
(48 MB) is faulted in and zeroed by the kernel anew on every query: in process, ClickBench's
CB3 spent two thirds of its 68 ms in two such arrays (the row numbers an aggregate lines its
groups up by, and a decimal column's unscaled values). Arrow's pool (mimalloc) keeps freed
pages for memory_retention.PURGE_DELAY_MS, so the next query's temporaries land on pages
already mapped. Smaller arrays stay with numpy: glibc's heap keeps them already.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

POOLED_MIN_BYTES = 8 << 20  # below this numpy's own allocation is as cheap
_FILL_STEP = 1 << 17  # elements per step when filling (temporaries of 1 MB)


def empty(n: int, dtype: np.dtype | type) -> np.ndarray:
    """An uninitialised writable array of ``n`` items (from Arrow's pool when large)."""
    dt = np.dtype(dtype)
    if n * dt.itemsize < POOLED_MIN_BYTES:
        return np.empty(n, dt)
    return np.frombuffer(pa.allocate_buffer(n * dt.itemsize), dtype=dt, count=n)


def arange(start: int, n: int, dtype: np.dtype | type = np.int64) -> np.ndarray:
    """``np.arange(start, start + n)``, filled a step at a time into ``empty``."""
    if n * np.dtype(dtype).itemsize < POOLED_MIN_BYTES:
        return np.arange(start, start + n, dtype=dtype)
    out = empty(n, dtype)
    for s in range(0, n, _FILL_STEP):
        k = min(_FILL_STEP, n - s)
        out[s:s + k] = np.arange(start + s, start + s + k, dtype=dtype)
    return out


def concatenate(pieces: Sequence[np.ndarray], dtype: np.dtype | type) -> np.ndarray:
    """``np.concatenate(pieces)`` into ``empty``."""
    out = empty(sum(len(p) for p in pieces), dtype)
    pos = 0
    for p in pieces:
        out[pos:pos + len(p)] = p
        pos += len(p)
    return out


def converted(values: np.ndarray, dtype: np.dtype | type, *, copy: bool = False) -> np.ndarray:
    """``values.astype(dtype, copy=copy)`` into ``empty``."""
    if values.dtype == np.dtype(dtype) and not copy:
        return values
    out = empty(len(values), dtype)
    out[:] = values
    return out


_ONES_KEPT = 1 << 24  # rows of the shared column of ones (16 MB)
_ones_buffer: pa.Buffer | None = None


def int8_ones(n: int) -> pa.Array:
    """``n`` int8 ones (count(*)'s argument, a GROUP BY's "every row kept" flags). Up to
    ``_ONES_KEPT`` rows they are views of one buffer kept for the process (immutable, so shared by
    every statement and thread), instead of n bytes allocated and filled each time."""
    global _ones_buffer
    if n > _ONES_KEPT:
        return pa.array(np.ones(n, np.int8))
    buf = _ones_buffer
    if buf is None:
        buf = _ones_buffer = pa.py_buffer(np.ones(_ONES_KEPT, np.int8))
    return pa.Array.from_buffers(pa.int8(), n, [None, buf])
