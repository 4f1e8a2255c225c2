"""pg_trgm's functions: trigram similarity of strings (similarity, word_similarity, show_trgm,
the ``%`` match against pg_trgm.similarity_threshold).

A string's trigrams are those of its words (runs of letters and digits, lower-cased), each
padded with two spaces in front and one behind; similarity is the share of trigrams two strings
have in common (shared / all distinct). word_similarity finds the best contiguous run of the
second string's trigrams for the first string's set.
"""

from __future__ import annotations

import re

import pyarrow as pa

from helios_core.sql import types as T
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.registry import scalar
from helios_core.sql.functions.vec import Vec, full

_WORD = re.compile(r"[^\W_]+")
DEFAULT_THRESHOLD = 0.3


def word_trigrams(text: str) -> list[list[str]]:
    """The trigrams of each word, in order of appearance."""
    out = []
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        out.append([padded[i:i + 3] for i in range(len(padded) - 2)])
    return out


def trigrams(text: str) -> set[str]:
    return {t for word in word_trigrams(text) for t in word}


def similarity(a: str, b: str) -> float:
    ta, tb = trigrams(a), trigrams(b)
    union = len(ta | tb)
    return len(ta & tb) / union if union else 0.0


def word_similarity(a: str, b: str, *, strict: bool = False) -> float:
    """The best similarity between a's trigrams and a contiguous extent of b's (strict: extents of
    whole words only)."""
    ta = trigrams(a)
    if not ta:
        return 0.0
    words = word_trigrams(b)
    seq = [t for w in words for t in w]
    if strict:
        starts, ends = [], []
        pos = 0
        for w in words:
            starts.append(pos)
            pos += len(w)
            ends.append(pos)
    else:
        starts, ends = list(range(len(seq))), list(range(1, len(seq) + 1))
    best = 0.0
    for i in starts:
        seen: set[str] = set()
        j0 = i
        for j in ends:
            if j <= i:
                continue
            seen.update(seq[j0:j])
            j0 = j
            shared = len(seen & ta)
            best = max(best, shared / (len(ta) + len(seen) - shared))
    return best


def _pairwise(args: list[Vec], fn) -> Vec:
    (a, b), s = full([cast(args[0], T.TEXT), cast(args[1], T.TEXT)])
    out = [None if x is None or y is None else fn(x, y) for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True)]
    return Vec(pa.array(out, pa.float32()), T.FLOAT4, s)


@scalar("similarity", nargs=2)
def _similarity(args: list[Vec]) -> Vec:
    return _pairwise(args, similarity)


@scalar("word_similarity", nargs=2)
def _word_similarity(args: list[Vec]) -> Vec:
    return _pairwise(args, word_similarity)


@scalar("strict_word_similarity", nargs=2)
def _strict_word_similarity(args: list[Vec]) -> Vec:
    return _pairwise(args, lambda x, y: word_similarity(x, y, strict=True))


@scalar("similarity_dist", nargs=2)
def _similarity_dist(args: list[Vec]) -> Vec:
    return _pairwise(args, lambda x, y: 1.0 - similarity(x, y))


@scalar("show_trgm", nargs=1)
def _show_trgm(args: list[Vec]) -> Vec:
    (a,), s = full([cast(args[0], T.TEXT)])
    out = [None if x is None else sorted(trigrams(x)) for x in a.to_pylist()]
    return Vec(pa.array(out, pa.list_(pa.string())), T.array_of(T.TEXT), s)


def matches(a: pa.Array, b: pa.Array, threshold: float) -> pa.Array:
    """``a % b``: similarity at least the threshold (NULL where either side is)."""
    return pa.array([None if x is None or y is None else similarity(x, y) >= threshold
                     for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True)], pa.bool_())
