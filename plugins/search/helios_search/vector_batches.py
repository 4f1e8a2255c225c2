"""to_tsvector of a whole column at once: numbering, sorting and formatting as array operations.

Each text's whitespace-separated pieces are known to the configuration
(``configurations.learn_pieces``: a piece's lexemes, or None for a stop word, one per position
it takes). Here pieces and lexemes get numbers, so a column becomes flat arrays (document,
position, lexeme) that numpy sorts into PostgreSQL's order (lexemes by code point, which is
UTF-8 byte order; positions ascending; 256 positions kept per lexeme) and Arrow's string kernels
join into the tsvector output ``'lexeme':1,5 'other':2``. Texts holding ``<`` (markup may hold
whitespace) and texts past the last position (16383, where positions merge) take the text path.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_search import configurations as C
from helios_search import tsvector as V


class _Numbering:
    """For one configuration: piece -> number, each piece's items as lexeme numbers (-1: a stop
    word) in CSR form, and lexeme -> number with its quoted output prefix and its sort rank."""

    def __init__(self) -> None:
        self.piece_number: dict[str, int] = {}
        self.item_starts: list[int] = [0]
        self.items: list[int] = []
        self.lexeme_number: dict[str, int] = {}
        self.prefixes: list[str] = []  # "'lexeme':"
        self._arrays: tuple | None = None

    def add(self, known: dict[str, tuple[str | None, ...]], pieces: set[str]) -> None:
        for piece in pieces:
            if piece in self.piece_number:
                continue
            self.piece_number[piece] = len(self.piece_number)
            for lexeme in known[piece]:
                self.items.append(-1 if lexeme is None else self._lexeme(lexeme))
            self.item_starts.append(len(self.items))
            self._arrays = None

    def _lexeme(self, lexeme: str) -> int:
        number = self.lexeme_number.get(lexeme)
        if number is None:
            number = self.lexeme_number[lexeme] = len(self.prefixes)
            self.prefixes.append(V.quote_lexeme(lexeme) + ":")
        return number

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
        """(item starts, items, rank of each lexeme in output order, quoted prefixes)."""
        if self._arrays is None:
            by_text = sorted(self.lexeme_number.items())
            rank = np.empty(len(by_text), dtype=np.int64)
            rank[[number for _, number in by_text]] = np.arange(len(by_text))
            self._arrays = (np.asarray(self.item_starts, dtype=np.int64), np.asarray(self.items, dtype=np.int64),
                            rank, pa.array(self.prefixes, pa.string()))
        return self._arrays


_numberings: dict[str, _Numbering] = {}


BATCH_TEXTS = 8192  # texts handled together: their pieces are Python strings while they are numbered


def to_tsvector_column(config_name: str | None, texts: list[str | None],
                       one_text: Callable[[str], str]) -> list[str | None]:
    """The tsvector output of each text (None stays None); ``one_text`` serves the texts the
    column path leaves out (see the module docstring)."""
    if len(texts) <= BATCH_TEXTS:
        return _to_tsvector_batch(config_name, texts, one_text)
    out: list[str | None] = []
    for start in range(0, len(texts), BATCH_TEXTS):
        out.extend(_to_tsvector_batch(config_name, texts[start:start + BATCH_TEXTS], one_text))
    return out


def _to_tsvector_batch(config_name: str | None, texts: list[str | None],
                       one_text: Callable[[str], str]) -> list[str | None]:
    config = C.configuration(config_name)
    rows = [i for i, t in enumerate(texts) if t is not None and not C.tokenized_whole(t)]
    out: list[str | None] = [None if t is None else (one_text(t) if C.tokenized_whole(t) else "") for t in texts]
    if not rows:
        return out
    split = [texts[i].split() for i in rows]
    flat = list(itertools.chain.from_iterable(split))
    numbering = _numberings.get(config.name)
    pieces = set(flat)
    known = C.learn_pieces(config, pieces)
    if numbering is None or len(numbering.piece_number) > C.MAX_KEPT_PIECES:
        numbering = _numberings[config.name] = _Numbering()
    numbering.add(known, pieces)
    starts, items, rank, prefixes = numbering.arrays()

    piece_ids = np.fromiter(map(numbering.piece_number.__getitem__, flat), dtype=np.int64, count=len(flat))
    pieces_per_doc = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
    per_piece = starts[piece_ids + 1] - starts[piece_ids]
    first_item = np.repeat(starts[piece_ids], per_piece)
    total = int(per_piece.sum())
    piece_item_start = np.cumsum(per_piece) - per_piece
    item_index = first_item + (np.arange(total) - np.repeat(piece_item_start, per_piece))
    lexeme = items[item_index]
    doc = np.repeat(np.repeat(np.arange(len(rows)), pieces_per_doc), per_piece)
    items_per_doc = np.bincount(doc, minlength=len(rows))
    position = np.arange(total) - np.repeat(np.cumsum(items_per_doc) - items_per_doc, items_per_doc) + 1
    too_long = items_per_doc > V.MAX_POSITION

    keep = lexeme >= 0
    if too_long.any():
        keep &= ~too_long[doc]
    doc, position, lexeme = doc[keep], position[keep], lexeme[keep]
    key = doc * max(len(rank), 1) + rank[lexeme]
    order = np.argsort(key, kind="stable")  # positions stay ascending within a lexeme
    key, position, lexeme, doc = key[order], position[order], lexeme[order], doc[order]
    if len(key):
        new_group = np.empty(len(key), dtype=bool)
        new_group[0] = True
        np.not_equal(key[1:], key[:-1], out=new_group[1:])
        group = np.cumsum(new_group) - 1
        group_starts = np.flatnonzero(new_group)
        within = np.arange(len(key)) - group_starts[group]
        if within.max() >= V.MAX_POSITIONS_PER_LEXEME:
            kept = within < V.MAX_POSITIONS_PER_LEXEME
            position, group = position[kept], group[kept]
    else:
        group_starts = np.empty(0, dtype=np.int64)
        group = np.empty(0, dtype=np.int64)
    n_groups = len(group_starts)
    group_offsets = np.zeros(n_groups + 1, dtype=np.int32)
    np.cumsum(np.bincount(group, minlength=n_groups), out=group_offsets[1:])
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(group_offsets), pa.array(position).cast(pa.string())),
                            ",")
    entries = pc.binary_join_element_wise(prefixes.take(pa.array(lexeme[group_starts])), joined, "")
    doc_offsets = np.zeros(len(rows) + 1, dtype=np.int32)
    np.cumsum(np.bincount(doc[group_starts], minlength=len(rows)), out=doc_offsets[1:])
    vectors = pc.binary_join(pa.ListArray.from_arrays(pa.array(doc_offsets), entries), " ").to_pylist()
    for k, i in enumerate(rows):
        out[i] = one_text(texts[i]) if too_long[k] else vectors[k]
    return out
