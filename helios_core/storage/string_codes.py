"""A stored chunk's low-cardinality string columns as small integer codes, kept with the chunk.

GROUP BY a string key hashes every row's string in every query (ClickBench-style grouping of 6M
rows by ``l_shipmode char(10)``: 25 ms of Arrow's hashing, more than DuckDB's whole query), and
a scan hands every query the same stored slices. A slice of a stored chunk's NULL-free string
column whose values are few (at most ``MAX_VALUES`` distinct) keeps, beside its narrowed
decimals (``storage.narrowed``: the same per-chunk set, budget and weak registration), its
values' dictionary in sorted order and one ``uint8``/``uint16`` code per row. The first query
over a slice pays one dictionary encoding; later ones group by the codes, or work out a string
predicate once per distinct value (``sql.functions.distinct_values.by_stored_codes``: LIKE over
a column of a few thousand comments). Whether a slice's values are few is judged from
``SAMPLE_ROWS`` rows spread over it, by the Chao1 estimate of its distinct values (the sample's
distinct values plus f1^2 / 2 f2, f1 and f2 the values seen once and twice): at most
``MAX_VALUES`` and one per ``MAX_SHARE`` rows. A slice with more is remembered as such after that
look or after its encoding, so it is not tried again.

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
SAMPLE_ROWS = 4096  # rows looked at first, spread over the slice
MAX_SHARE = 8  # at most one distinct value (estimated) per this many rows
_MARK = "codes"  # the kept value's tag beside narrowed decimals in a chunk's set
_ASKED = ("asked", None)  # a slice asked for once by a caller that waits for a second ask

Codes = tuple[np.ndarray, pa.Array]  # (a code per row, the sorted distinct values)


def codes_of(arr: pa.Array, *, second_ask: bool = False) -> Codes | None:
    """(codes, dictionary) of ``arr`` when it is a slice of a stored chunk's NULL-free string
    column with few distinct values; None otherwise (the caller uses the strings).
    ``second_ask``: encode a slice only when it is asked for the second time (a caller whose own
    way costs less than the encoding, LIKE's prefilter: a one-off query does not pay it)."""
    if len(arr) < narrowed.MIN_ROWS or arr.null_count or arr.type not in (pa.string(), pa.large_string()):
        return None
    found = narrowed.stored_slice(arr)
    if found is None:
        return None
    slices, key = found
    kept = slices.get(key)
    if kept is None or kept[0] != _MARK:
        if second_ask and kept is None:
            narrowed.keep(slices, key, _ASKED, 0)  # remembered: the next ask encodes it
            return None
        kept = (_MARK, _encode(arr))
        narrowed.keep(slices, key, kept, 0 if kept[1] is None else kept[1][0].nbytes + kept[1][1].nbytes)
    else:
        narrowed.touch(slices, key)
    return kept[1]


def _encode(arr: pa.Array) -> Codes | None:
    """The slice's sorted dictionary and codes, or None when its distinct values are too many."""
    if _estimated_distinct(arr) > min(MAX_VALUES, len(arr) // MAX_SHARE):
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


def _estimated_distinct(arr: pa.Array) -> float:
    """Chao1's estimate of the distinct values of ``arr`` from ``SAMPLE_ROWS`` rows spread over it
    (a first-rows sample misjudges a slice written in runs)."""
    n = len(arr)
    sample = arr if n <= SAMPLE_ROWS else arr.take(pa.array(np.arange(SAMPLE_ROWS, dtype=np.int64) * n // SAMPLE_ROWS))
    counts = pc.value_counts(sample).field("counts").to_numpy()
    once = int(np.count_nonzero(counts == 1))
    twice = int(np.count_nonzero(counts == 2))
    return len(counts) + (once * once / (2 * twice) if twice else once * (once - 1) / 2)
