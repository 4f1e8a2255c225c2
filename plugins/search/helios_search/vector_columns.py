"""A query's lexemes in a whole column of stored tsvectors, without parsing each vector.

``@@``, ts_rank and ts_rank_cd only look up the query's operands in a vector (and, for some
normalization flags, its length). A column of stored tsvectors is their canonical output
(``'lexeme':1,5A 'other':2``), so one regular expression per operand over the whole Arrow
column (RE2, in C++) finds each row's positions of that lexeme; each row then gets a small
vector of just the query's lexemes, which answers those functions as the whole vector would.
Rows with the same evidence share one computation. Up to ``FEW_ROWS`` rows (most queries' matched
rows), each row is read with ``str.find`` instead: a dozen Arrow calls cost more than that.

Only for what that reading settles: operands without a prefix (``:*`` needs every lexeme
starting so), lexemes without quote or backslash (their output is escaped), and columns that
are canonical output. Otherwise the callers parse each vector as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from helios_search import tsquery as Q
from helios_search.tsvector import Positions, TsVector

_WEIGHT_OF = {"A": 3, "B": 2, "C": 1}


def constant(array: pa.Array) -> tuple[bool, Any]:
    """(True, the value) when every row of ``array`` holds the same non-null value."""
    if len(array) == 0 or array.null_count:
        return False, None
    first = array[0]
    if len(array) > 1 and not pc.all(pc.equal(array, first)).as_py():
        return False, None
    return True, first.as_py()


def _pattern(lexeme: str) -> str:
    """RE2: the lexeme's entry in canonical tsvector output, its positions captured."""
    body = "".join(c if c.isalnum() else f"\\x{{{ord(c):x}}}" for c in lexeme)
    return f"(?:^| )'{body}'(?::(?P<p>[0-9ABC,]+))?(?: |$)"


def readable(query: Q.Node | None) -> list[str] | None:
    """The query's distinct operand lexemes in vector order, or None when the column reading
    does not settle the query (a prefix operand, a lexeme whose output is escaped)."""
    if query is None:
        return None
    lexemes = set()
    for node in Q.operands(query):
        if node[3] or "'" in node[1] or "\\" in node[1] or not node[1]:
            return None
        lexemes.add(node[1])
    return sorted(lexemes)


def _parse_positions(text: str) -> Positions:
    if not text:
        return ()
    out = []
    for p in text.split(","):
        weight = _WEIGHT_OF.get(p[-1], 0)
        out.append((int(p[:-1]) if weight else int(p), weight))
    return tuple(out)


FEW_ROWS = 512  # up to this many rows, each is read with str.find: a dozen Arrow calls cost more


def _entry_positions(text: str, needle: str) -> str | None:
    """The positions text of the entry ``needle`` (a quoted lexeme) in canonical tsvector output
    (``""``: present without positions; None: absent). Inside a quoted lexeme every quote is
    doubled, so a needle preceded by the start or a space and followed by ``:``, a space or the
    end is an entry of its own (what ``_pattern`` matches)."""
    i = text.find(needle)
    while i >= 0:
        if i == 0 or text[i - 1] == " ":
            j = i + len(needle)
            if j == len(text) or text[j] == " ":
                return ""
            if text[j] == ":":
                end = text.find(" ", j)
                return text[j + 1:] if end < 0 else text[j + 1:end]
        i = text.find(needle, i + 1)
    return None


def _per_row_few(texts: list[str | None], lexemes: list[str], compute: Callable[[TsVector, bool], Any],
                 result_type: pa.DataType, positions_matter: bool) -> pa.Array | None:
    """``per_row`` over a few rows, read one by one in Python (same grouping by evidence): rows
    with the same positions texts share a value, and so do those whose small vectors are equal."""
    if any(t and t[0] != "'" for t in texts):
        return None
    needles = [f"'{lexeme}'" for lexeme in lexemes]
    by_text: dict[tuple, Any] = {}
    by_vector: dict[tuple, Any] = {}
    values = []
    for text in texts:
        if text is None:
            values.append(None)
            continue
        key = (text != "", *[_entry_positions(text, needle) for needle in needles])
        value = by_text.get(key, by_text)
        if value is by_text:
            small = []
            for lexeme, found in zip(lexemes, key[1:], strict=True):
                if found is not None:
                    ps = _parse_positions(found)
                    small.append((lexeme, ps if positions_matter else tuple((1, w) for _, w in ps)))
            evidence = (tuple(small), key[0])
            value = by_vector.get(evidence, by_vector)
            if value is by_vector:
                value = by_vector[evidence] = compute(*evidence)
            by_text[key] = value
        values.append(value)
    return pa.array(values, result_type)


def per_row(vectors: pa.Array, query: Q.Node | None, compute: Callable[[TsVector, bool], Any],
            result_type: pa.DataType, positions_matter: bool = True) -> pa.Array | None:
    """``compute(small vector, whether the row's vector is non-empty)`` for each row (null for a
    null vector), the small vector holding only the query's lexemes; None when the column
    reading does not apply (see the module docstring). Rows are grouped by their evidence (each
    lexeme's positions) and each group computed once; without ``positions_matter`` only the
    number and weights of positions count, so every position reads as 1."""
    lexemes = readable(query)
    if lexemes is None:
        return None
    if isinstance(vectors, pa.ChunkedArray):
        vectors = vectors.combine_chunks()
    if not pa.types.is_string(vectors.type) and not pa.types.is_large_string(vectors.type):
        return None
    if len(vectors) <= FEW_ROWS:
        return _per_row_few(vectors.to_pylist(), lexemes, compute, result_type, positions_matter)
    empty = pc.equal(vectors, "")
    canonical = pc.or_(empty, pc.starts_with(vectors, "'"))
    if not pc.all(canonical).as_py():  # nulls are skipped by all()
        return None
    parts = []
    for lexeme in lexemes:
        hits = pc.extract_regex(vectors, _pattern(lexeme))
        positions = pc.struct_field(hits, [0])
        if not positions_matter:
            positions = pc.replace_substring_regex(positions, "[0-9]+", "1")
        parts.append(pc.if_else(hits.is_valid(), positions, "~"))  # "~": the lexeme is absent
    parts.append(pc.if_else(empty, "e", "n"))  # null for a null vector: the key is null
    keys = pc.dictionary_encode(pc.binary_join_element_wise(*parts, "|"))
    parsed: dict[str, Positions] = {}
    values = []
    for key in keys.dictionary.to_pylist():
        *found, flag = key.split("|")
        small = []
        for lexeme, text in zip(lexemes, found, strict=True):
            if text != "~":
                ps = parsed.get(text)
                if ps is None:
                    ps = parsed[text] = _parse_positions(text)
                small.append((lexeme, ps))
        values.append(compute(tuple(small), flag == "n"))
    return pa.array(values, result_type).take(keys.indices)
