"""A stored chunk's low-cardinality string columns as small integer codes, kept with the chunk.

GROUP BY a string key hashes every row's string in every query (ClickBench-style grouping of 6M
rows by ``l_shipmode char(10)``: 25 ms of Arrow's hashing, more than DuckDB's whole query), and
a scan hands every query the same stored slices. A slice of a stored chunk's NULL-free string
column whose values are few (at most ``MAX_VALUES`` distinct) keeps, beside its narrowed
decimals (``storage.narrowed``: the same per-chunk set, budget and weak registration), its
values' dictionary in sorted order and one ``uint8``/``uint16`` code per row. The first query
over a slice pays one dictionary encoding; later ones group by the codes. A slice with more
distinct values is remembered as such after a look at its first ``SAMPLE_ROWS`` rows (more than
``SAMPLE_DISTINCT`` there) or after its encoding, so it is not tried again.

Codes are exact: a code stands for one string of the slice's dictionary and nothing else, and
slices of the same values in the same sorted order have equal dictionaries, which lets a caller
use their codes as they are.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.storage import narrowed

__all__ = ["codes_of"]

MAX_VALUES = 1 << 16  # distinct values a slice's codes hold (uint16)
SAMPLE_ROWS = 4096  # rows looked at first
SAMPLE_DISTINCT = 1024  # more distinct values than this among them: not encoded
_MARK = "codes"  # the kept value's tag beside narrowed decimals in a chunk's set

Codes = tuple[np.ndarray, pa.Array]  # (a code per row, the sorted distinct values)


def codes_of(arr: pa.Array) -> Codes | None:
    """(codes, dictionary) of ``arr`` when it is a slice of a stored chunk's NULL-free string
    column with few distinct values; None otherwise (the caller uses the strings)."""
    if len(arr) < narrowed.MIN_ROWS or arr.null_count or arr.type not in (pa.string(), pa.large_string()):
        return None
    found = narrowed.stored_slice(arr)
    if found is None:
        return None
    slices, key = found
    kept = slices.get(key)
    if kept is None or kept[0] != _MARK:
        kept = (_MARK, _encode(arr))
        narrowed.keep(slices, key, kept, 0 if kept[1] is None else kept[1][0].nbytes + kept[1][1].nbytes)
    else:
        narrowed.touch(slices, key)
    return kept[1]


def _encode(arr: pa.Array) -> Codes | None:
    """The slice's sorted dictionary and codes, or None when its distinct values are too many."""
    if len(pc.unique(arr.slice(0, SAMPLE_ROWS))) > SAMPLE_DISTINCT:
        return None
    encoded = pc.dictionary_encode(arr)
    dictionary = encoded.dictionary
    if len(dictionary) > MAX_VALUES:
        return None
    order = pc.sort_indices(dictionary).to_numpy()
    kind = np.uint8 if len(dictionary) <= 256 else np.uint16
    rank = np.empty(len(order), kind)
    rank[order] = np.arange(len(order), dtype=kind)
    indices = encoded.indices.to_numpy()  # int32, no NULLs
    return rank[indices], dictionary.take(pa.array(order))
