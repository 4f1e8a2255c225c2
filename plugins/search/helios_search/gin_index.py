"""GIN (and GiST) indexes over tsvector: the candidate rows of ``key @@ tsquery``.

Per chunk of the table (immutable, see ``hookspecs.IndexChunk``), an inverted list: each lexeme
of the key's tsvectors -> the sorted row positions holding it, built once per chunk and index
definition. A query is answered as PostgreSQL's GIN answers it, lossily: the tree of the
tsquery becomes set operations over those lists (a lexeme: its rows; a prefix: the rows of
every lexeme it starts; ``&`` and ``<->``: intersection; ``|``: union; ``!``: every row), the
snapshot's visibility mask is applied, and the kernel evaluates ``@@`` again on the rows it
reads (weights, positions and negation are settled there: EXPLAIN's "Recheck Cond").
"""

from __future__ import annotations

import bisect
import decimal
import json
import re
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.hookspecs import ChunkCache, IndexKind, IndexSearch
from helios_search import tsquery as Q

KEPT_CHUNKS = 4096  # inverted lists kept in memory (least recently used dropped; rebuilt when asked)

_lists = ChunkCache(KEPT_CHUNKS)


class _ChunkLists:
    """lexeme -> sorted int64 row positions, for one chunk's key values."""

    def __init__(self, column: pa.Array) -> None:
        postings = _postings_of_column(column)
        if postings is None:
            by_row: dict[str, list[int]] = {}
            for pos, text in enumerate(column.to_pylist()):
                if text is None:
                    continue
                for lexeme in _lexemes(text):
                    by_row.setdefault(lexeme, []).append(pos)
            postings = {k: np.asarray(v, dtype=np.int64) for k, v in by_row.items()}
        self.postings = postings
        self.lexemes = sorted(self.postings)
        self.rows = len(column)

    def with_prefix(self, prefix: str) -> np.ndarray:
        start = bisect.bisect_left(self.lexemes, prefix)
        parts = []
        for lexeme in self.lexemes[start:]:
            if not lexeme.startswith(prefix):
                break
            parts.append(self.postings[lexeme])
        return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)

    def candidates(self, node: Q.Node) -> np.ndarray | None:
        """Row positions that may match ``node`` (None: any row may)."""
        kind = node[0]
        if kind == "val":
            _, lexeme, _weights, prefix = node
            if prefix:
                return self.with_prefix(lexeme)
            return self.postings.get(lexeme, np.empty(0, dtype=np.int64))
        if kind == "not":
            return None
        left, right = self.candidates(node[1]), self.candidates(node[2])
        if kind == "or":
            return None if left is None or right is None else np.union1d(left, right)
        if left is None:  # "and" and phrases need both sides
            return right
        if right is None:
            return left
        return np.intersect1d(left, right, assume_unique=True)


def _postings_of_column(column: pa.Array) -> dict[str, np.ndarray] | None:
    """The inverted lists of a column of stored tsvectors with Arrow's string kernels: entries are
    split at spaces and their positions cut off. None when some lexeme is quoted with a space,
    quote or backslash inside (splitting at spaces would cut it): the caller reads row by row."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return None
    pieces = pc.split_pattern(column, " ")
    counts = pc.fill_null(pc.list_value_length(pieces), 0).to_numpy(zero_copy_only=False)
    entries = pc.list_flatten(pieces)
    rows = np.repeat(np.arange(len(column), dtype=np.int64), counts)
    keep = pc.not_equal(entries, "")  # the empty tsvector
    entries = pc.replace_substring_regex(entries.filter(keep), r":[0-9ABC,]+$", "")
    rows = rows[keep.to_numpy(zero_copy_only=False)]
    if not pc.all(pc.match_substring_regex(entries, r"^'[^'\\]+'$")).as_py():
        return None
    lexemes = pc.dictionary_encode(pc.utf8_slice_codeunits(entries, 1, -1))
    codes = lexemes.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")  # rows stay ascending within a lexeme
    bounds = np.searchsorted(codes[order], np.arange(len(lexemes.dictionary) + 1))
    sorted_rows = rows[order]
    return {lexeme: sorted_rows[bounds[i]:bounds[i + 1]]
            for i, lexeme in enumerate(lexemes.dictionary.to_pylist())}


_QUOTED = re.compile(r"'((?:[^'\\]|''|\\.)*)'")
_ESCAPE = re.compile(r"''|\\(.)")


def _lexemes(text: str) -> list[str]:
    """The lexemes of a stored tsvector (its canonical output: quoted lexemes, quotes and
    backslashes doubled), read without the full parser: positions are not needed here."""
    found = _QUOTED.findall(text)
    return [_ESCAPE.sub(lambda m: m.group(1) or "'", w) if ("'" in w or "\\" in w) else w for w in found]


class _JsonLists:
    """For a jsonb key: top-level key (and string element of a top-level array) -> row positions,
    and top-level (key, scalar value) -> row positions. ``?`` and ``@>`` of an object are answered
    from them as candidates; the kernel evaluates the operator again on the rows read."""

    def __init__(self, values: list[str | None]) -> None:
        keys: dict[str, list[int]] = {}
        pairs: dict[tuple[str, str], list[int]] = {}
        for pos, text in enumerate(values):
            if text is None:
                continue
            value = json.loads(text, parse_float=decimal.Decimal)
            if isinstance(value, dict):
                for k, v in value.items():
                    keys.setdefault(k, []).append(pos)
                    if not isinstance(v, (dict, list)):
                        pairs.setdefault((k, _scalar(v)), []).append(pos)
            elif isinstance(value, list):
                for element in value:
                    if isinstance(element, str):
                        keys.setdefault(element, []).append(pos)
            elif isinstance(value, str):
                keys.setdefault(value, []).append(pos)
        self.keys = {k: np.unique(np.asarray(v, dtype=np.int64)) for k, v in keys.items()}
        self.pairs = {k: np.asarray(v, dtype=np.int64) for k, v in pairs.items()}
        self.rows = len(values)

    def candidates(self, operator: str, value: Any) -> np.ndarray | None:
        """Row positions that may satisfy ``key operator value`` (None: any row may)."""
        empty = np.empty(0, dtype=np.int64)
        if operator == "?":
            return self.keys.get(str(value), empty)
        wanted = json.loads(value, parse_float=decimal.Decimal) if isinstance(value, str) else value
        if not isinstance(wanted, dict) or not wanted:
            return None  # arrays and scalars: contained in many shapes; the recheck decides
        rows = None
        for k, v in wanted.items():
            part = self.keys.get(k, empty) if isinstance(v, (dict, list)) else \
                self.pairs.get((k, _scalar(v)), empty)
            rows = part if rows is None else np.intersect1d(rows, part, assume_unique=True)
        return rows


def _scalar(v: Any) -> str:
    """A jsonb scalar as equality sees it: 1 and 1.0 are the same number."""
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, (int, decimal.Decimal)):
        return "n" + str(decimal.Decimal(v).normalize())
    return "s" + str(v)


def _lists_of(scope: tuple, chunk: Any, key: int) -> _ChunkLists:
    def build() -> Any:
        column = chunk.read().column(f"k{key}")
        return _JsonLists(column.to_pylist()) if scope[-1] == "jsonb" else _ChunkLists(column)

    return _lists.get((*scope, key, chunk.chunk_id), build)


def search(request: IndexSearch) -> pa.Table:
    """Candidate rowids among the rows the snapshot sees: ``tsvector @@ tsquery``, or ``jsonb ?
    text`` / ``jsonb @> jsonb``."""
    if request.operator in ("?", "@>"):
        return _search_json(request)
    query = Q.parse_cached(str(request.value))
    found: list[np.ndarray] = []
    if query is not None:
        scope = (request.scope[0], request.scope[2], *request.scope[3:])  # lists are the same on every branch
        for chunk in request.chunks():
            if chunk.visible is not None and not chunk.visible.any():
                continue
            lists = _lists_of(scope, chunk, request.key)
            rows = lists.candidates(query)
            if rows is None:
                keep = np.ones(lists.rows, dtype=bool) if chunk.visible is None else chunk.visible
                if keep.any():
                    found.append(np.asarray(chunk.rowids())[keep])
                continue
            if chunk.visible is not None:  # positions ascend: the rowids come out in chunk order
                rows = rows[chunk.visible[rows]]
            if len(rows):
                found.append(np.asarray(chunk.rowids())[rows])
    rowids = np.concatenate(found) if found else np.empty(0, dtype=np.int64)
    table = pa.table({"_rowid": pa.array(rowids, pa.int64())})
    return table.replace_schema_metadata({"exact": "1"}) if query is None or _exact(query) else table


def _search_json(request: IndexSearch) -> pa.Table:
    scope = (request.scope[0], request.scope[2], *request.scope[3:], "jsonb")
    found: list[np.ndarray] = []
    for chunk in request.chunks():
        if chunk.visible is not None and not chunk.visible.any():
            continue
        lists = _lists_of(scope, chunk, request.key)
        rows = lists.candidates(request.operator, request.value)
        keep = np.ones(lists.rows, dtype=bool) if rows is None else _positions_mask(rows, lists.rows)
        if chunk.visible is not None:
            keep &= chunk.visible
        if keep.any():
            found.append(np.asarray(chunk.rowids())[keep])
    rowids = np.concatenate(found) if found else np.empty(0, dtype=np.int64)
    return pa.table({"_rowid": pa.array(rowids, pa.int64())})


def _exact(node: Q.Node) -> bool:
    """Whether the lists answer the query exactly: plain lexemes (no weight, prefix is fine) under
    ``&`` and ``|``; ``!`` and phrases need the positions and the whole vector, so a recheck."""
    kind = node[0]
    if kind == "val":
        return not node[2]
    if kind in ("and", "or"):
        return _exact(node[1]) and _exact(node[2])
    return False


def _positions_mask(rows: np.ndarray, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return mask


GIN = IndexKind(name="gin", key_types=["tsvector", "jsonb", "tsquery"],
                operators={"@@": ["tsvector"], "?": ["jsonb"], "@>": ["jsonb"]}, search=search)
GIST = IndexKind(name="gist", key_types=["tsvector", "tsquery"], operators={"@@": ["tsvector"]}, search=search)
