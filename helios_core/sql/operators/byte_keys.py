"""GROUP BY keys that are one-byte strings hashed as the bytes themselves.

Flags and codes stored as ``char(1)`` or one-letter text (TPC-H Q1 groups 6M rows by
``l_returnflag, l_linestatus``) cost Arrow's hash aggregation a string hash per row and key:
about twice what the same grouping costs on one-byte integers. When every value of a string key
is exactly one byte (no NULLs), its data buffer is already that integer column; the groups are
found on it and the keys turned back into strings afterwards (a valid one-byte UTF-8 string is
one ASCII character, and equal strings are equal bytes, so the groups are the same).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["as_codes", "as_strings"]

_OFFSETS = {pa.string(): np.int32, pa.large_string(): np.int64}  # each type's offset width


def _codes_of(chunk: pa.Array) -> pa.Array | None:
    """A string chunk of one-byte values without NULLs as a zero-copy uint8 view; else None."""
    off_type = _OFFSETS.get(chunk.type)
    if off_type is None or chunk.null_count:
        return None
    n = len(chunk)
    offsets = np.frombuffer(chunk.buffers()[1], off_type)[chunk.offset:chunk.offset + n + 1]
    if n == 0 or int(offsets[-1]) - int(offsets[0]) != n or not bool((offsets[1:] - offsets[:-1] == 1).all()):
        return None
    return pa.Array.from_buffers(pa.uint8(), n, [None, chunk.buffers()[2]], offset=int(offsets[0]))


def as_codes(work: pa.Table, ks: list[str]) -> tuple[pa.Table, dict[str, pa.DataType]]:
    """``work`` with each one-byte string key replaced by its byte codes, and those keys' types."""
    coded: dict[str, pa.DataType] = {}
    for k in ks:
        col = work.column(k)
        if col.type not in _OFFSETS or col.num_chunks == 0:
            continue
        chunks = [_codes_of(c) for c in col.chunks]
        if any(c is None for c in chunks):
            continue
        work = work.set_column(work.schema.get_field_index(k), pa.field(k, pa.uint8()),
                               pa.chunked_array(chunks, pa.uint8()))
        coded[k] = col.type
    return work, coded


def as_strings(out: pa.Table, coded: dict[str, pa.DataType]) -> pa.Table:
    """The aggregation's key columns in ``coded`` turned back into their one-byte strings."""
    for k, typ in coded.items():
        codes = out.column(k).combine_chunks()
        n = len(codes)
        offsets = pa.py_buffer(np.arange(n + 1, dtype=_OFFSETS[typ]))
        data = pa.py_buffer(codes.to_numpy(zero_copy_only=False).astype(np.uint8))
        strings = pa.Array.from_buffers(typ, n, [None, offsets, data])
        out = out.set_column(out.schema.get_field_index(k), pa.field(k, typ), strings)
    return out
