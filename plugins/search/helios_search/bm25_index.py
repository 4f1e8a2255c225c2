"""``CREATE INDEX ... USING bm25 (id, body, ...) WITH (key_field = 'id')``: BM25 ranking with tantivy.

One tantivy index (in memory) per index, branch and table, built from the table's chunks as
the kernel lists them for a statement's snapshot (``hookspecs.IndexChunk``). A chunk's rows never
change, so a chunk is indexed once, its documents tagged with the chunk id and row position;
a chunk that is no longer listed (compacted, rolled back) has its documents deleted. A search
takes every matching document, keeps those the snapshot sees (the chunk's visibility mask at
that position) and returns their rowids with tantivy's BM25 score (k1 1.2, b 0.75). Rows that
are deleted, replaced or not yet committed are never returned; like ParadeDB before VACUUM,
the statistics behind a score (document count, average length, document frequency) count
every version still held in a listed chunk, so they equal a reference computation over the
visible rows as long as no row was updated or deleted since its chunk was written.

Options: ``key_field`` (required, one of the key columns, as ParadeDB), ``stemmer`` (a Snowball
language: ``english``...; none by default). ``[search] analyzer`` chooses the word splitting:
``standard`` (lower-cased Unicode words, the default) or ``whitespace`` (lower-cased, split on
white space only).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import pyarrow as pa
import tantivy

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.hookspecs import IndexKind, IndexSearch, SqlOperator
from helios_search import bm25_query

TEXT_TYPES = ("text", "character varying", "character")
INTEGER_TYPES = ("smallint", "integer", "bigint")
STEMMERS = ("arabic", "danish", "dutch", "english", "finnish", "french", "german", "greek", "hungarian",
            "italian", "norwegian", "portuguese", "romanian", "russian", "spanish", "swedish", "tamil", "turkish")
ANALYZERS = ("standard", "whitespace")
MAX_TOKEN_BYTES = 255  # longer words are dropped, as tantivy's default analyzer drops them
KEPT_INDEXES = 64  # tantivy indexes kept in memory (least recently used dropped; rebuilt when asked)
SETTINGS = {"analyzer": "standard", "max_result_window": 10000}

_indexes: OrderedDict[tuple, _BranchIndex] = OrderedDict()
_indexes_lock = threading.Lock()


def check(index: dict[str, Any], key_types: list[str]) -> None:
    """A bm25 index: plain columns of text or integer types, a key_field among them, a known stemmer."""
    keys = index["keys"]
    for key, type_name in zip(keys, key_types, strict=True):
        if "column" not in key:
            raise FeatureNotSupported("bm25 indexes over expressions are not supported",
                                      hint="Index a column (a generated column can hold the expression).")
    options = index.get("options") or {}
    key_field = options.get("key_field")
    columns = [k["column"] for k in keys]
    if not key_field:
        raise HeliosError("bm25 index requires key_field = '<column>'", sqlstate="22023",
                          hint="Name a unique column of the table, e.g. WITH (key_field = 'id').")
    if key_field not in columns:
        raise HeliosError(f'key_field "{key_field}" must be one of the index\'s columns', sqlstate="22023")
    stemmer = options.get("stemmer")
    if stemmer is not None and stemmer.lower() not in STEMMERS:
        raise HeliosError(f'unknown stemmer "{stemmer}"', sqlstate="22023",
                          hint="One of: " + ", ".join(STEMMERS) + ".")
    if not any(t in TEXT_TYPES for t in key_types):
        raise HeliosError("a bm25 index needs at least one text column", sqlstate="22023")


class _BranchIndex:
    """The tantivy index of one bm25 index on one branch: documents of the chunks listed so far."""

    def __init__(self, index: dict[str, Any], types: dict[str, str]) -> None:
        self.columns = [k["column"] for k in index["keys"]]
        self.kinds = {c: ("integer" if types[c] in INTEGER_TYPES else "text") for c in self.columns}
        self.text_fields = [c for c in self.columns if self.kinds[c] == "text"]
        options = index.get("options") or {}
        self.analyzer = _analyzer(SETTINGS["analyzer"], options.get("stemmer"))
        builder = tantivy.SchemaBuilder()
        for c in self.columns:
            if self.kinds[c] == "text":
                builder.add_text_field(c, stored=False, tokenizer_name="helios")
            else:
                builder.add_integer_field(c, indexed=True)
        builder.add_integer_field("_chunk", indexed=True, fast=True)
        builder.add_integer_field("_pos", fast=True)
        builder.add_integer_field("_rowid", fast=True)
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema)
        self.index.register_tokenizer("helios", self.analyzer)
        self.writer = self.index.writer(heap_size=50_000_000, num_threads=1)
        self.chunks: set[int] = set()
        self.lock = threading.Lock()

    def sync(self, request: IndexSearch) -> dict[int, Any]:
        """Index the chunks the snapshot lists and sees rows of, forget those no longer listed;
        the listed chunks' visibility masks (None: all rows visible)."""
        masks: dict[int, Any] = {}
        new = []
        for chunk in request.chunks():
            masks[chunk.chunk_id] = chunk.visible
            if chunk.chunk_id not in self.chunks and (chunk.visible is None or chunk.visible.any()):
                new.append(chunk)
        gone = self.chunks - masks.keys()
        if not new and not gone:
            return masks
        for chunk_id in gone:
            self.writer.delete_documents_by_term("_chunk", chunk_id)
            self.chunks.discard(chunk_id)
        for chunk in new:
            self._add(chunk.chunk_id, chunk.read())
            self.chunks.add(chunk.chunk_id)
        self.writer.commit()
        self.index.reload()
        return masks

    def _add(self, chunk_id: int, batch: pa.RecordBatch) -> None:
        values = [batch.column(f"k{i}").to_pylist() for i in range(len(self.columns))]
        rowids = batch.column("_rowid").to_pylist()
        add = self.writer.add_document
        for pos, rowid in enumerate(rowids):
            doc = tantivy.Document(_chunk=chunk_id, _pos=pos, _rowid=rowid)
            for c, col in zip(self.columns, values, strict=True):
                v = col[pos]
                if v is not None:
                    doc.add_text(c, v) if self.kinds[c] == "text" else doc.add_integer(c, v)
            add(doc)

    def words(self, field: str, text: str) -> list[str]:
        return [w for w in self.analyzer.analyze(text) if len(w.encode()) <= MAX_TOKEN_BYTES]

    def search(self, request: IndexSearch) -> pa.Table:
        column = self.columns[request.key]
        defaults = [column] if self.kinds[column] == "text" else self.text_fields
        query = bm25_query.parse(str(request.value), self.schema, self.kinds, defaults, self.words)
        with self.lock:
            masks = self.sync(request)
            searcher = self.index.searcher()
        total = searcher.num_docs
        if total == 0:
            return _empty()
        window = request.limit if request.limit is not None and request.limit <= SETTINGS["max_result_window"] \
            else None
        if window == 0:
            return _empty()
        fetch = total if window is None else min(total, max(4 * window, 64))
        while True:
            hits = searcher.search(query, limit=fetch, count=False).hits
            found = self._visible(searcher, hits, masks)
            if window is None or len(hits) < fetch or _settled(found, hits, window):
                break
            fetch = min(total, fetch * 4)
        if window is not None and found.num_rows > window:  # the best rows, and any tying with the last
            scores = found.column("score").to_numpy()
            cut = np.sort(scores)[::-1][window - 1]
            found = found.filter(pa.array(scores >= cut))
        return found

    @staticmethod
    def _visible(searcher: tantivy.Searcher, hits: list, masks: dict[int, Any]) -> pa.Table:
        """The hits the snapshot sees: rowids and scores."""
        if not hits:
            return _empty()
        addrs = [a for _, a in hits]
        scores = np.fromiter((s for s, _ in hits), dtype=np.float64, count=len(hits))
        chunk_ids = np.asarray(searcher.fast_field_values("_chunk", addrs), dtype=np.int64)
        positions = np.asarray(searcher.fast_field_values("_pos", addrs), dtype=np.int64)
        rowids = np.asarray(searcher.fast_field_values("_rowid", addrs), dtype=np.int64)
        keep = np.zeros(len(hits), dtype=bool)
        for chunk_id in np.unique(chunk_ids):
            if chunk_id not in masks:
                continue
            sel = chunk_ids == chunk_id
            mask = masks[chunk_id]
            keep[sel] = True if mask is None else mask[positions[sel]]
        return pa.table({"_rowid": pa.array(rowids[keep]), "score": pa.array(scores[keep])})


def _settled(found: pa.Table, hits: list, window: int) -> bool:
    """Enough visible rows, and the last fetched hit scores below the window's last: no further
    hit can enter the window or tie with it."""
    if found.num_rows < window:
        return False
    cut = np.sort(found.column("score").to_numpy())[::-1][window - 1]
    return hits[-1][0] < cut


def _empty() -> pa.Table:
    return pa.table({"_rowid": pa.array([], pa.int64()), "score": pa.array([], pa.float64())})


def _analyzer(name: str, stemmer: str | None) -> tantivy.TextAnalyzer:
    tokenizer = tantivy.Tokenizer.whitespace() if name == "whitespace" else tantivy.Tokenizer.simple()
    builder = tantivy.TextAnalyzerBuilder(tokenizer).filter(tantivy.Filter.remove_long(MAX_TOKEN_BYTES + 1))
    builder = builder.filter(tantivy.Filter.lowercase())
    if stemmer:
        builder = builder.filter(tantivy.Filter.stemmer(stemmer.lower()))
    return builder.build()


def search(request: IndexSearch) -> pa.Table:
    """The rows of the snapshot that match ``key @@@ 'query'``, with their BM25 scores."""
    with _indexes_lock:
        state = _indexes.get(request.scope)
        if state is not None:
            _indexes.move_to_end(request.scope)
    if state is None:
        types = {}
        for chunk in request.chunks():  # the key types come from the data the kernel hands over
            batch = chunk.read()
            types = {k["column"]: _sql_kind(batch.column(f"k{i}").type) for i, k in enumerate(request.index["keys"])}
            break
        if not types:
            return _empty()
        state = _BranchIndex(request.index, types)
        with _indexes_lock:
            state = _indexes.setdefault(request.scope, state)
            while len(_indexes) > KEPT_INDEXES:
                _indexes.popitem(last=False)
    return state.search(request)


def _sql_kind(t: pa.DataType) -> str:
    return "bigint" if pa.types.is_integer(t) else "text"


def configure(section: dict[str, Any]) -> None:
    """``[search] analyzer`` and ``max_result_window``, checked at start-up."""
    analyzer = str(section.get("analyzer", "standard"))
    if analyzer not in ANALYZERS:
        raise ValueError(f"search.analyzer: unknown analyzer {analyzer!r} (one of: {', '.join(ANALYZERS)})")
    window = section.get("max_result_window", 10000)
    if not isinstance(window, int) or window < 1:
        raise ValueError("search.max_result_window: a positive integer")
    SETTINGS.update(analyzer=analyzer, max_result_window=window)


def _unindexed(args: list[pa.Array]) -> pa.Array:
    raise FeatureNotSupported("@@@ is answered by a bm25 index only",
                              hint="Create one (CREATE INDEX ... USING bm25 (key, column, ...) WITH (key_field = "
                                   "'key')) and use the condition on its own or joined by AND in WHERE.")


UNINDEXED_OPERATORS = [SqlOperator(symbol="@@@", left=t, right="text", impl=_unindexed, return_type="boolean")
                       for t in (*TEXT_TYPES, *INTEGER_TYPES)]

INDEX_KIND = IndexKind(name="bm25", key_types=[*TEXT_TYPES, *INTEGER_TYPES], options=["key_field", "stemmer"],
                       check=check, operators={"@@@": [*TEXT_TYPES, *INTEGER_TYPES]}, search=search, exact=True)
