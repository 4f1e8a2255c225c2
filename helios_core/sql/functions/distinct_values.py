"""A costly function of one column's values computed once per distinct value.

``date_trunc('month', d)`` over a date column turns every row into a timestamp in the session's
time zone and back (60 ms for 1.2M rows), and ``extract(year FROM d)`` builds a decimal per row,
while such a column holds a few thousand distinct dates: BI tools group by these expressions
over whole tables. When a look at a batch's first ``SAMPLE_ROWS`` rows finds few distinct values,
the batch is dictionary-encoded (6 ms for 1.2M dates), the function computed over the
dictionary, and its results taken back to every row. Only for functions whose result for a
row depends on that row's value alone (and on settings, the same for the whole call); NULL rows
stay NULL, as such functions are strict. Rows with many distinct values are computed as before.

A predicate over a string column (LIKE, a regular expression) does the same through the codes
storage keeps for a stored chunk's slice with few distinct values (``storage.string_codes``,
``by_stored_codes``): the dictionary is encoded once per slice, when a predicate asks for the
slice the second time (the encoding costs about twice LIKE's prefilter), and kept, so each query matches
the slice's distinct values (a few thousand comments among 524,288 rows) and takes the answers
back by code, where Arrow's LIKE visits every row's string (DuckDB evaluates LIKE over a
dictionary-compressed segment's dictionary the same way).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core import bool_arrays
from helios_core.sql.functions.vec import Vec
from helios_core.storage import string_codes

__all__ = ["by_stored_codes", "per_distinct"]

MIN_ROWS = 1 << 16  # shorter batches are computed as they are
SAMPLE_ROWS = 4096
SAMPLE_DISTINCT = 2048  # at most this many distinct values among the sample (half of it)
MAX_SHARE = 8  # and the whole batch at most one distinct value per this many rows


def per_distinct(v: Vec, fn: Callable[[Vec], Vec]) -> Vec:
    """``fn(v)`` for a strict function ``fn`` of each row's value, computed once per distinct value
    of ``v`` when they are few."""
    arr = v.array
    if v.scalar or len(arr) < MIN_ROWS or not isinstance(arr, pa.Array) or arr.null_count == len(arr):
        return fn(v)
    if len(pc.unique(arr.slice(0, SAMPLE_ROWS))) > SAMPLE_DISTINCT:
        return fn(v)
    encoded = pc.dictionary_encode(arr)
    if len(encoded.dictionary) * MAX_SHARE > len(arr):
        return fn(v)
    out = fn(Vec(encoded.dictionary, v.type, False))
    return Vec(out.array.take(encoded.indices), out.type, False)


def by_stored_codes(strings: pa.Array, predicate: Callable[[pa.Array], pa.Array]) -> pa.Array | None:
    """``predicate(strings)`` (a boolean per string, that string's alone) worked out over the
    distinct values of a stored slice with kept codes and taken back by code; None when
    ``strings`` has none (the caller evaluates it row by row)."""
    if not isinstance(strings, pa.Array):
        return None
    kept = string_codes.codes_of(strings, second_ask=True)  # a one-off query keeps the row-by-row way
    if kept is None:
        return None
    codes, dictionary = kept
    answers = predicate(dictionary)
    if answers.null_count:
        return answers.take(pa.array(codes))
    return bool_arrays.from_numpy(np.asarray(answers.to_numpy(zero_copy_only=False))[codes])
