"""GROUP BY string keys of one byte width hashed as the bytes themselves.

Flags and codes stored as ``char(1)`` or one-letter text (TPC-H Q1 groups 6M rows by
``l_returnflag, l_linestatus``) and any ``char(n)`` of ASCII values (stored blank-padded, so n
bytes each: ClickBench-style grouping by ``l_shipmode char(10)``) cost Arrow's hash aggregation
a string hash per row and key. When every value of a string key has the same byte length L (no
NULLs), its data buffer already holds one fixed-width value per row: viewed as an unsigned
integer for L of 1, 2, 4 or 8 bytes, else as ``fixed_size_binary(L)``, with no copy. The groups
are found on that view (about half the time for one-byte keys and for char(10)) and the keys
turned back into strings afterwards. Equal strings are equal bytes and values of one length are
equal only as equal bytes, so the groups are the same.

Before either, a key whose every chunk is a slice of a stored chunk with few distinct values
is grouped by the codes storage keeps for it (``storage.string_codes``): one byte a row, no
hashing of strings, and no pass over its offsets to find the width.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.storage import string_codes

__all__ = ["as_codes", "as_strings"]

_OFFSETS = {pa.string(): np.int32, pa.large_string(): np.int64}  # each type's offset width
_INTEGERS = {1: pa.uint8(), 2: pa.uint16(), 4: pa.uint32(), 8: pa.uint64()}
MAX_WIDTH = 64  # longer fixed-width values: hashed as strings (the view would gain little)


def _width_of(chunk: pa.Array) -> int | None:
    """The byte length every value of a string chunk without NULLs has, or None."""
    off_type = _OFFSETS.get(chunk.type)
    n = len(chunk)
    if off_type is None or chunk.null_count or n == 0:
        return None  # (empty chunks are not asked)
    offsets = np.frombuffer(chunk.buffers()[1], off_type)[chunk.offset:chunk.offset + n + 1]
    total = int(offsets[-1]) - int(offsets[0])
    width, rest = divmod(total, n)
    if rest or not 0 < width <= MAX_WIDTH or not bool((offsets[1:] - offsets[:-1] == width).all()):
        return None
    return width


def _view(chunk: pa.Array, width: int) -> pa.Array:
    """A string chunk of ``width``-byte values as a zero-copy fixed-width view of its bytes."""
    n = len(chunk)
    if n == 0:  # (its offsets buffer may be empty)
        return pa.array([], _INTEGERS.get(width, pa.binary(width)))
    start = int(np.frombuffer(chunk.buffers()[1], _OFFSETS[chunk.type])[chunk.offset])
    data = chunk.buffers()[2].slice(start, n * width)
    kind = _INTEGERS.get(width)
    if kind is None or (n and data.address % width):  # integer views only where their values are aligned
        kind = pa.binary(width)
    return pa.Array.from_buffers(kind, n, [None, data])


def as_codes(work: pa.Table, ks: list[str]) -> tuple[pa.Table, dict[str, tuple[pa.DataType, int | pa.Array]]]:
    """``work`` with each string key replaced by its stored codes or, of one byte width, by its
    fixed-width view, and for those keys (their string type, their dictionary or width)."""
    coded: dict[str, tuple[pa.DataType, int | pa.Array]] = {}
    for k in ks:
        col = work.column(k)
        if col.type not in _OFFSETS or col.num_chunks == 0:
            continue
        stored = _stored_codes(col)
        if stored is not None:
            codes, dictionary = stored
            work = work.set_column(work.schema.get_field_index(k), pa.field(k, codes.type), codes)
            coded[k] = (col.type, dictionary)
            continue
        widths = set()
        for chunk in col.chunks:
            if len(chunk):  # an empty chunk (an empty scan batch) says nothing of the width
                widths.add(_width_of(chunk))
            if None in widths or len(widths) > 1:
                break
        if len(widths) != 1 or None in widths:
            continue
        width = widths.pop()
        views = [_view(c, width) for c in col.chunks]
        if len({v.type for v in views}) > 1:  # some aligned, some not: all as binary
            views = [pa.Array.from_buffers(pa.binary(width), len(v), [None, v.buffers()[1]], offset=v.offset)
                     for v in views]
        work = work.set_column(work.schema.get_field_index(k), pa.field(k, views[0].type),
                               pa.chunked_array(views, views[0].type))
        coded[k] = (col.type, width)
    return work, coded


def _stored_codes(col: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.Array] | None:
    """(codes, their dictionary) of a string column whose every chunk is a stored slice with
    kept codes (``storage.string_codes``); slices whose dictionaries differ are coded again
    into the union of their values. None: some chunk has none."""
    found = []
    for chunk in col.chunks:
        if len(chunk) == 0:
            continue
        kept = string_codes.codes_of(chunk)
        if kept is None:
            return None
        found.append(kept)
    if not found:
        return None
    first = found[0][1]
    if all(d is first or d.equals(first) for _, d in found):
        dictionary = first
        codes = [c for c, _ in found]
    else:  # other values in some slices: one sorted dictionary of them all, each slice's codes mapped into it
        dictionary = pc.unique(pa.concat_arrays([d.cast(col.type) for _, d in found]))
        dictionary = dictionary.take(pc.sort_indices(dictionary))
        kind = np.uint8 if len(dictionary) <= 256 else np.uint16 if len(dictionary) <= 1 << 16 else np.uint32
        codes = [pc.index_in(d.cast(col.type), dictionary).to_numpy().astype(kind)[c] for c, d in found]
    return pa.chunked_array([pa.array(c) for c in codes]), dictionary.cast(col.type)


def as_strings(out: pa.Table, coded: dict[str, tuple[pa.DataType, int | pa.Array]]) -> pa.Table:
    """The aggregation's key columns in ``coded`` turned back into their strings."""
    for k, (typ, width) in coded.items():
        if isinstance(width, pa.Array):  # stored codes: their dictionary holds the strings
            out = out.set_column(out.schema.get_field_index(k), pa.field(k, typ), width.take(out.column(k)))
            continue
        codes = out.column(k).combine_chunks()
        n = len(codes)
        if pa.types.is_fixed_size_binary(codes.type):
            data = codes.buffers()[1].slice(codes.offset * width, n * width)
        else:
            data = pa.py_buffer(codes.to_numpy(zero_copy_only=False).tobytes())
        offsets = pa.py_buffer(np.arange(0, (n + 1) * width, width, dtype=_OFFSETS[typ]))
        strings = pa.Array.from_buffers(typ, n, [None, offsets, data])
        out = out.set_column(out.schema.get_field_index(k), pa.field(k, typ), strings)
    return out
