"""Stored chunks' fixed-width columns narrowed for comparisons with a constant.

A comparison of a column with a constant is bound by the bytes it reads from memory, and a scan
reads the same stored chunks in every query: TPC-H Q6's ``l_quantity < 24`` reads 16 bytes a row
of a decimal128 whose values span 1 to 50. A slice of a resident chunk's column compared with a
constant keeps its values minus the slice's smallest (frame of reference) in the smallest integer
type that holds their span, on the chunk (``Chunk.narrowed``), so it lives and goes with the
chunk's data: 2 bytes a row for that column. An aggregate copying a stored decimal column's
unscaled integers out (``sql.planner.decimal_fast``) reads them too, and their smallest and
largest value spare it a pass for the overflow bound. (Decimals only, for now: Arrow compares integers
and dates about as fast as numpy compares them narrowed.)

The comparison sees only an Arrow array. The store registers a resident chunk's column buffers
(``register``, once per chunk) by address; ``owner`` finds the chunk again and checks that its
data still holds that very buffer, so an address reused by other memory never matches.
Narrowed values are kept up to ``KEPT_BYTES`` in all, the least recently used dropped first.
"""

from __future__ import annotations

import collections
import threading
import weakref
from typing import Any

import numpy as np
import pyarrow as pa

MIN_ROWS = 4096  # shorter slices are compared as they are
KEPT_BYTES = 256 << 20  # narrowed values kept over every chunk (1, 2 or 4 bytes a value)
# signed types: a constant is clipped to [-1, max] of the type, beyond every narrowed value
_TYPES = (np.int8, np.int16, np.int32)

_lock = threading.Lock()  # a scan's slices are compared on two threads
_owners: dict[int, tuple[weakref.ref, int]] = {}  # buffer address -> (chunk, column position)
_kept: collections.OrderedDict[tuple[int, int, int, int], tuple[weakref.ref, int]] = collections.OrderedDict()
_size = 0


def _fixed_width(t: pa.DataType) -> bool:
    """The columns whose comparisons use narrowed values (``sql.functions.fixed_width_compare``)."""
    return pa.types.is_decimal128(t) and t.precision <= 18


def register(ch: Any) -> None:
    """Make a resident chunk's fixed-width columns findable by buffer address (once per chunk
    and data: ``Chunk.narrowed`` is reset when its data changes)."""
    if ch.narrowed is not None:
        return
    data = ch.resident_data()
    if data is None or data.num_rows < MIN_ROWS:
        return
    ref = weakref.ref(ch)
    with _lock:
        ch.narrowed = {}
        for i, column in enumerate(data.columns):
            if _fixed_width(column.type) and not column.null_count:
                _owners[column.buffers()[1].address] = (ref, i)
    weakref.finalize(ch, _forget_addresses, [c.buffers()[1].address for c in data.columns
                                             if _fixed_width(c.type)])


def _forget_addresses(addresses: list[int]) -> None:
    with _lock:
        for address in addresses:
            _owners.pop(address, None)


def _owner(buffer: pa.Buffer) -> tuple[Any, int] | None:
    """(chunk, column position) whose resident data holds ``buffer`` now, or None."""
    hit = _owners.get(buffer.address)
    if hit is None:
        return None
    ch = hit[0]()
    data = ch.resident_data() if ch is not None else None
    if data is None or ch.narrowed is None or data.column(hit[1]).buffers()[1].address != buffer.address:
        return None
    return ch, hit[1]


def values(arr: pa.Array, view: np.ndarray) -> tuple[np.ndarray, int, int] | None:
    """(values minus base, base, largest value) of ``arr`` (``view``: its values as integers) when
    it is a slice of a resident chunk's column whose span a narrower type holds; None: use ``view``.
    The base is the smallest value."""
    if len(view) < MIN_ROWS:
        return None
    buffer = arr.buffers()[1]
    found = _owner(buffer)
    if found is None:
        return None
    ch, column = found
    key = (column, arr.offset, len(arr))
    kept = ch.narrowed.get(key)
    if kept is None:
        kept = _narrow(view)
        _keep(ch, key, kept)
    else:
        with _lock:
            if (id(ch), *key) in _kept:
                _kept.move_to_end((id(ch), *key))
    return None if kept[0] is None else kept


def _narrow(view: np.ndarray) -> tuple[np.ndarray | None, int, int]:
    width = view.itemsize if view.strides[0] == view.itemsize else 16
    lo, hi = int(view.min()), int(view.max())
    kind = next((k for k in _TYPES if hi - lo < np.iinfo(k).max and np.dtype(k).itemsize < width), None)
    if kind is None:
        return None, 0, 0  # remembered: the span needs as many bytes as the values have
    # exact in the values' own type: every difference is at most the span, which ``kind`` holds
    return (view - view.dtype.type(lo)).astype(kind), lo, hi


def _keep(ch: Any, key: tuple[int, int, int], kept: tuple[np.ndarray | None, int, int]) -> None:
    global _size
    cost = 0 if kept[0] is None else kept[0].nbytes
    with _lock:
        ch.narrowed[key] = kept
        replaced = _kept.pop((id(ch), *key), None)  # a dead chunk's entry under a reused id
        _size += cost - (replaced[1] if replaced is not None else 0)
        _kept[(id(ch), *key)] = (weakref.ref(ch), cost)
        while _size > KEPT_BYTES and _kept:
            (_, *old), (ref, dropped) = _kept.popitem(last=False)
            _size -= dropped
            owner = ref()
            if owner is not None and owner.narrowed is not None:
                owner.narrowed.pop(tuple(old), None)


def forget() -> None:
    """Drop every narrowed slice (tests)."""
    global _size
    with _lock:
        for ref, _cost in _kept.values():
            ch = ref()
            if ch is not None and ch.narrowed is not None:
                ch.narrowed.clear()
        _kept.clear()
        _size = 0
