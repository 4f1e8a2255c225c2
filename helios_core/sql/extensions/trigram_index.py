"""pg_trgm's operator classes: ``CREATE INDEX ... USING gin (col gin_trgm_ops)`` (and gist with
``gist_trgm_ops``), which find the candidate rows of ``col LIKE pattern`` and ``col ILIKE pattern``.

Per immutable chunk of the table (``hookspecs.IndexChunk``) an inverted list maps each trigram
of the lower-cased key text (every run of three characters) to the row positions holding it.
A pattern's literal runs (between its unescaped ``%`` and ``_``) give the trigrams every
matching value must contain, whatever its case: the rows holding all of them are the
candidates, and the kernel evaluates the condition again on the rows it reads (a lossy index,
EXPLAIN's "Recheck Cond", as PostgreSQL's GIN over trigrams). A pattern without a literal run
of three characters cannot narrow anything: every visible row is a candidate.

Written here because no library builds this; the postings are numpy arrays built column-wise
with pyarrow's string kernels (one pass per character offset).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.hookspecs import ChunkCache, IndexKind, IndexSearch

OPCLASSES = {"gin_trgm_ops": "gin", "gist_trgm_ops": "gist"}  # operator class -> its access method
KEY_TYPES = ("text", "varchar", "bpchar")
KEPT_CHUNKS = 1024  # inverted lists kept in memory (least recently used dropped; rebuilt when asked)

_lists = ChunkCache(KEPT_CHUNKS)


class _ChunkTrigrams:
    """trigram -> sorted int32 row positions, for one chunk's key values."""

    def __init__(self, column: pa.Array) -> None:
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        self.rows = len(column)
        low = pc.utf8_lower(column.cast(pa.string()))
        lengths = pc.fill_null(pc.utf8_length(low), 0).to_numpy(zero_copy_only=False)
        positions = np.arange(self.rows, dtype=np.int32)
        grams: list[pa.Array] = []
        owners: list[np.ndarray] = []
        for offset in range(int(lengths.max(initial=0)) - 2):
            long_enough = positions[lengths >= offset + 3]
            grams.append(pc.utf8_slice_codeunits(low.take(long_enough), offset, offset + 3))
            owners.append(long_enough)
        self.postings: dict[str, np.ndarray] = {}
        if not grams:
            return
        encoded = pc.dictionary_encode(pa.concat_arrays(grams))
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        rows = np.concatenate(owners)
        order = np.lexsort((rows, codes))
        codes, rows = codes[order], rows[order]
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        names = encoded.dictionary.to_pylist()
        for start, end in zip(starts, np.r_[starts[1:], len(codes)], strict=True):
            self.postings[names[codes[start]]] = np.unique(rows[start:end])

    def candidates(self, wanted: set[str]) -> np.ndarray:
        """Row positions holding every trigram of ``wanted`` (not empty)."""
        lists = sorted((self.postings.get(g, np.empty(0, np.int32)) for g in wanted), key=len)
        found = lists[0]
        for more in lists[1:]:
            if not len(found):
                break
            found = np.intersect1d(found, more, assume_unique=True)
        return found


def pattern_trigrams(pattern: str) -> set[str]:
    """The trigrams a value matching LIKE/ILIKE ``pattern`` must contain (lower-cased): those of
    each literal run between the wildcards (backslash escapes the next character)."""
    runs, run, i = [], [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            run.append(pattern[i + 1])
            i += 2
            continue
        if ch in "%_":
            runs.append("".join(run))
            run = []
        else:
            run.append(ch)
        i += 1
    runs.append("".join(run))
    return {r.lower()[k:k + 3] for r in runs for k in range(len(r) - 2)}


def _lists_of(scope: tuple, chunk: Any, key: int) -> _ChunkTrigrams:
    return _lists.get((*scope, key, chunk.chunk_id), lambda: _ChunkTrigrams(chunk.read().column(f"k{key}")))


def search(request: IndexSearch) -> pa.Table:
    """Candidate rowids of ``key LIKE/ILIKE pattern`` among the rows the snapshot sees."""
    wanted = pattern_trigrams(str(request.value))
    scope = (request.scope[0], request.scope[2], *request.scope[3:])  # lists are the same on every branch
    found: list[np.ndarray] = []
    for chunk in request.chunks():
        if chunk.visible is not None and not chunk.visible.any():
            continue
        if wanted:
            lists = _lists_of(scope, chunk, request.key)
            keep = np.zeros(lists.rows, dtype=bool)
            keep[lists.candidates(wanted)] = True
        else:
            keep = np.ones(chunk.num_rows, dtype=bool)
        if chunk.visible is not None:
            keep &= chunk.visible
        if keep.any():
            found.append(np.asarray(chunk.rowids())[keep])
    rowids = np.concatenate(found) if found else np.empty(0, dtype=np.int64)
    return pa.table({"_rowid": pa.array(rowids, pa.int64())})


def _kind(method: str) -> IndexKind:
    return IndexKind(name=method, key_types=list(KEY_TYPES), operators={"~~": KEY_TYPES, "~~*": KEY_TYPES},
                     search=search)


KINDS = {method: _kind(method) for method in OPCLASSES.values()}


def kind_for(method: str, keys: list[dict[str, Any]]) -> IndexKind | None:
    """The trigram access method of an index whose keys name a pg_trgm operator class."""
    if any(OPCLASSES.get(k.get("opclass") or "") == method for k in keys):
        return KINDS[method]
    return None
