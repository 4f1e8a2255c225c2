"""Stored chunks' decimal columns narrowed for comparisons and sums.

A comparison of a column with a constant is bound by the bytes it reads from memory, and a scan
reads the same stored chunks in every query: TPC-H Q6's ``l_quantity < 24`` reads 16 bytes a row
of a decimal128 whose values span 1 to 50. A slice of a stored chunk's column compared with a
constant keeps its values minus the slice's smallest (frame of reference) in the smallest integer
type that holds their span, with the chunk (``Chunk.narrowed``): 2 bytes a row for that column.
An aggregate copying a stored decimal column's unscaled integers out
(``sql.planner.decimal_fast``) reads them too, and their smallest and largest value spare it a
pass for the overflow bound. (Decimals only, for now: Arrow compares integers and dates about as
fast as numpy compares them narrowed.)

The comparison sees only an Arrow array. The store registers the batch it hands a scan for a
chunk (``register``: the chunk's resident data, or its columns as read through the tiers' cache,
which hands every scan the same batch while it keeps it) by its columns' buffer addresses. A
lookup holds the batch only weakly and checks that the batch is alive and still holds that very
buffer, so an address reused by other memory never matches; slices are keyed by their rows'
positions in the chunk, and a chunk whose data changes (a move between tiers, a repack) starts a
new set of narrowed slices. Narrowed values are kept up to ``KEPT_BYTES`` in all, the least
recently used dropped first.
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

Narrowed = tuple[np.ndarray | None, int, int]  # (values minus base, base, largest value)
# one chunk's kept slices, (column, first row, rows) -> narrowed values (or a string column's codes)
Slices = dict[tuple[str, int, int], Any]

_lock = threading.RLock()  # two threads compare slices; reentrant: a collection inside register runs _forget_addresses here
# buffer address -> (the registered batch, weakly; its column's name; the chunk's slices)
_owners: dict[int, tuple[weakref.ref, str, Slices]] = {}
_kept: collections.OrderedDict[tuple[int, tuple[str, int, int]], tuple[Slices, int]] = collections.OrderedDict()
_size = 0


def _narrowable(t: pa.DataType) -> bool:
    """The columns whose comparisons use narrowed values (``sql.functions.decimal_compare``), and
    the string columns whose slices keep their values' codes (``storage.string_codes``, which
    keeps them in the same per-chunk set under the same budget)."""
    return (pa.types.is_decimal128(t) and t.precision <= 18) or t in _STRINGS


_STRINGS = (pa.string(), pa.large_string())


def register(ch: Any, batch: pa.RecordBatch) -> None:
    """Make ``batch`` (chunk ``ch``'s rows as a scan gets them) findable by its narrowable
    columns' buffer addresses; once per chunk and batch object."""
    seen = ch.narrowed_from
    if (seen is not None and seen() is batch) or batch.num_rows < MIN_ROWS:
        return
    ref = weakref.ref(batch)
    addresses = []
    with _lock:
        if ch.narrowed is None:
            ch.narrowed = {}
        ch.narrowed_from = ref
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            if _narrowable(column.type) and not column.null_count:
                address = column.buffers()[1].address
                _owners[address] = (ref, name, ch.narrowed)
                addresses.append(address)
    if addresses:
        weakref.finalize(batch, _forget_addresses, addresses)


def _forget_addresses(addresses: list[int]) -> None:
    """A registered batch is gone: drop its addresses (unless registered again by a live batch)."""
    with _lock:
        for address in addresses:
            hit = _owners.get(address)
            if hit is not None and hit[0]() is None:
                del _owners[address]


def stored_slice(arr: pa.Array) -> tuple[Slices, tuple[str, int, int]] | None:
    """(the chunk's slices, the key of ``arr``'s rows) when ``arr`` views a registered batch's
    column that is alive and holds that buffer now, or None."""
    buffer = arr.buffers()[1]
    hit = _owners.get(buffer.address)
    if hit is None:
        return None
    batch = hit[0]()
    if batch is None:
        return None
    column = batch.column(hit[1])
    if column.buffers()[1].address != buffer.address:
        return None
    first = arr.offset - column.offset  # the slice's first row in the chunk
    if first < 0 or first + len(arr) > len(column):
        return None
    return hit[2], (hit[1], first, len(arr))


def values(arr: pa.Array, view: np.ndarray) -> Narrowed | None:
    """(values minus base, base, largest value) of ``arr`` (``view``: its values as integers) when
    it is a slice of a stored chunk's column whose span a narrower type holds; None: use ``view``.
    The base is the smallest value."""
    if len(view) < MIN_ROWS:
        return None
    found = stored_slice(arr)
    if found is None:
        return None
    slices, key = found
    kept = slices.get(key)
    if kept is None or isinstance(kept[0], str):  # (a string column's codes are tagged)
        kept = _narrow(view)
        keep(slices, key, kept, 0 if kept[0] is None else kept[0].nbytes)
    else:
        touch(slices, key)
    return None if kept[0] is None else kept


def _narrow(view: np.ndarray) -> Narrowed:
    width = view.itemsize if view.strides[0] == view.itemsize else 16
    lo, hi = int(view.min()), int(view.max())
    kind = next((k for k in _TYPES if hi - lo < np.iinfo(k).max and np.dtype(k).itemsize < width), None)
    if kind is None:
        return None, 0, 0  # remembered: the span needs as many bytes as the values have
    # exact in the values' own type: every difference is at most the span, which ``kind`` holds
    return (view - view.dtype.type(lo)).astype(kind), lo, hi


def touch(slices: Slices, key: tuple[str, int, int]) -> None:
    """``key``'s kept value was used again: it is the last to be dropped."""
    with _lock:
        if (id(slices), key) in _kept:
            _kept.move_to_end((id(slices), key))


def keep(slices: Slices, key: tuple[str, int, int], kept: Any, cost: int) -> None:
    """Keep ``kept`` (``cost`` bytes) for a slice of a stored chunk, dropping the least recently
    used kept values past ``KEPT_BYTES``."""
    global _size
    with _lock:
        slices[key] = kept
        replaced = _kept.pop((id(slices), key), None)  # narrowed by two threads at once
        _size += cost - (replaced[1] if replaced is not None else 0)
        _kept[(id(slices), key)] = (slices, cost)
        while _size > KEPT_BYTES and _kept:
            (_, old), (owner, dropped) = _kept.popitem(last=False)
            _size -= dropped
            owner.pop(old, None)


def forget() -> None:
    """Drop every narrowed slice (tests)."""
    global _size
    with _lock:
        for slices, _cost in _kept.values():
            slices.clear()
        _kept.clear()
        _size = 0
