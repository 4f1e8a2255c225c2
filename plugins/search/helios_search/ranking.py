"""ts_rank and ts_rank_cd, computed as PostgreSQL 15 computes them (float4 results).

ts_rank weighs each matching position by its weight (``{D, C, B, A}`` default
``{0.1, 0.2, 0.4, 1.0}``); a query whose top is ``&`` or a phrase scores the proximity of
its lexemes' pairs, any other the frequency of each lexeme. ts_rank_cd scores the
query's covers (shortest spans of the document that satisfy it). ``normalization`` is the
bit mask of the SQL functions.
"""

from __future__ import annotations

import math

import numpy as np

from helios_core.errors import HeliosError
from helios_search import matching
from helios_search.tsquery import Node, operands
from helios_search.tsvector import MAX_POSITION, TsVector

DEFAULT_WEIGHTS = tuple(float(np.float32(w)) for w in (0.1, 0.2, 0.4, 1.0))  # float4, as in C
NORM_LOGLENGTH, NORM_LENGTH, NORM_EXTDIST, NORM_UNIQ, NORM_LOGUNIQ, NORM_RDIVRPLUS1 = 1, 2, 4, 8, 16, 32
NORM_OF_WHOLE_VECTOR = NORM_LOGLENGTH | NORM_LENGTH | NORM_UNIQ | NORM_LOGUNIQ  # need every lexeme
_NO_POSITIONS = ((0, 0),)  # a lexeme without positions counts as one at position 0, weight D


def f4(x: float) -> float:
    return float(np.float32(x))


def weights_from(array: list | None) -> tuple[float, ...]:
    if array is None:
        return DEFAULT_WEIGHTS
    if len(array) < 4:
        raise HeliosError("array of weight is too short", sqlstate="2202E")
    if any(w is None for w in array):
        raise HeliosError("array of weight must not contain nulls", sqlstate="22004")
    out = []
    for w in array[:4]:
        if w > 1.0:
            raise HeliosError("weight out of range", sqlstate="22023")
        out.append(f4(w) if w >= 0 else DEFAULT_WEIGHTS[len(out)])
    return tuple(out)


def _stored_order(node: Node) -> list[Node]:
    """The operands in the order PostgreSQL stores a tsquery's items: an operator, then its right
    operand, then its left."""
    if node[0] == "val":
        return [node]
    if node[0] == "not":
        return _stored_order(node[1])
    return _stored_order(node[2]) + _stored_order(node[1])


def _unique_operands(query: Node) -> list[Node]:
    """The query's operands sorted by lexeme, one per lexeme text, as PostgreSQL's ranking counts
    them: operands that differ only in prefix or weights are one, the first in stored order."""
    seen: dict[bytes, Node] = {}
    for node in _stored_order(query):
        seen.setdefault(node[1].encode(), node)
    return [seen[k] for k in sorted(seen)]


def _entries(vector: TsVector, node: Node) -> list[tuple[tuple[int, int], ...]]:
    found = matching.vector_lookup(vector)(node) or []
    return [ps if ps else _NO_POSITIONS for ps in found]


def _word_distance(w: int) -> float:
    if w > 100:
        return 1e-30
    return 1.0 / (1.005 + 0.05 * math.exp(w / 1.5 - 2))


def _rank_or(w: tuple[float, ...], vector: TsVector, query: Node) -> float:
    items = _unique_operands(query)
    res = 0.0
    for item in items:
        for positions in _entries(vector, item):
            resj = 0.0
            wjm = -1.0
            jm = 0
            for j, (_, weight) in enumerate(positions):
                wp = w[weight]
                resj = f4(resj + f4(wp / ((j + 1) * (j + 1))))
                if wp > wjm:
                    wjm, jm = wp, j
            # float arithmetic as in C: float operands stay float, the constant is a double
            term = f4(f4(wjm + resj) - f4(wjm / ((jm + 1) * (jm + 1))))
            res = f4(res + term / 1.64493406685)
    if items:
        res = f4(res / len(items))
    return res


def _rank_and(w: tuple[float, ...], vector: TsVector, query: Node) -> float:
    items = _unique_operands(query)
    if len(items) < 2:
        return _rank_or(w, vector, query)
    seen: list[tuple[tuple[int, int], ...] | None] = [None] * len(items)
    res = -1.0
    for i, item in enumerate(items):
        for positions in _entries(vector, item):
            seen[i] = positions
            for k in range(i):
                other = seen[k]
                if other is None:
                    continue
                for p_l, w_l in positions:
                    for p_k, w_k in other:
                        dist = abs(p_l - p_k)
                        if dist or positions is _NO_POSITIONS or other is _NO_POSITIONS:
                            if not dist:
                                dist = MAX_POSITION + 1
                            curw = f4(math.sqrt(f4(f4(w[w_l] * w[w_k]) * f4(_word_distance(dist)))))
                            res = curw if res < 0 else f4(1.0 - (1.0 - res) * (1.0 - curw))
    if res < 0:
        res = f4(1e-20)  # 1e-20f: a float, which the normalizations then divide
    return res


def _length(vector: TsVector) -> int:
    return sum(len(ps) or 1 for _, ps in vector)


def positions_matter(rank, query: Node | None) -> bool:
    """Whether ``rank`` (ts_rank or ts_rank_cd) reads where the query's lexemes are, or only how
    often and with which weights (ts_rank of a query scored by frequency: see the docstring)."""
    if rank is not ts_rank or query is None:
        return True
    return query[0] in ("and", "phrase") and len(_unique_operands(query)) >= 2


def ts_rank(vector: TsVector, query: Node | None, weights: tuple[float, ...], method: int,
            nonempty: bool | None = None) -> float:
    """``nonempty``: whether the whole vector has lexemes, when ``vector`` holds only the query's
    (vector_columns; the length normalizations then cannot be asked for)."""
    if not (vector if nonempty is None else nonempty) or query is None:
        return 0.0
    if query[0] in ("and", "phrase"):
        res = _rank_and(weights, vector, query)
    else:
        res = _rank_or(weights, vector, query)
    if method & NORM_LOGLENGTH and vector:
        res = f4(res / (math.log(_length(vector) + 1) / math.log(2.0)))
    if method & NORM_LENGTH:
        length = _length(vector)
        if length > 0:
            res = f4(res / length)
    if method & NORM_UNIQ and vector:
        res = f4(res / len(vector))
    if method & NORM_LOGUNIQ and vector:
        res = f4(res / (math.log(len(vector) + 1) / math.log(2.0)))
    if method & NORM_RDIVRPLUS1:
        res = f4(res / f4(res + 1))  # res + 1 is float arithmetic in C
    return f4(res)


# ---------------------------------------------------------------------------- cover density


def _doc_representation(vector: TsVector, query: Node) -> list[tuple[int, int, frozenset[int]]]:
    """(position, weight, indexes of the query operands found there), in position order."""
    ops = operands(query)
    at: dict[int, list] = {}
    for idx, node in enumerate(ops):
        for positions in _entries(vector, node):
            for pos, weight in positions:
                if node[2] and not node[2] & (1 << weight):
                    continue
                slot = at.setdefault(pos, [weight, set()])
                slot[0] = min(slot[0], weight)  # lexemes sharing a position: the lowest weight counts
                slot[1].add(idx)
    return [(pos, at[pos][0], frozenset(at[pos][1])) for pos in sorted(at)]


def _without_weights(node: Node) -> Node:
    if node[0] == "val":
        return ("val", node[1], 0, node[3])
    return (node[0], *(_without_weights(c) if isinstance(c, tuple) else c for c in node[1:]))


def _covers(doc: list, query: Node):
    query = _without_weights(query)  # the document representation kept only the wanted weights
    ops = operands(query)
    index_of = {id(n): i for i, n in enumerate(ops)}
    start = 0

    def satisfied(seen: dict[int, list[int]]) -> bool:
        def lookup(node: Node):
            positions = seen.get(index_of[id(node)])
            return [tuple((p, 0) for p in sorted(positions))] if positions else None
        return matching.execute(query, lookup, phrase_no_pos=False) != matching.NO

    while start < len(doc):
        seen: dict[int, list[int]] = {}
        end = None
        q = 0
        for k in range(start, len(doc)):
            for idx in doc[k][2]:
                seen.setdefault(idx, []).append(doc[k][0])
            if satisfied(seen):
                if doc[k][0] > q:
                    q, end = doc[k][0], k
                break
        if end is None:
            return
        seen = {}
        begin = None
        p = None
        k = end
        while k >= start:
            for idx in doc[k][2]:
                seen.setdefault(idx, []).append(doc[k][0])
            if satisfied(seen):
                if p is None or doc[k][0] < p:
                    p, begin = doc[k][0], k
                break
            k -= 1
        if begin is not None and p <= q:
            yield begin, end, p, q
            start = k + 1
        else:
            start += 1


def ts_rank_cd(vector: TsVector, query: Node | None, weights: tuple[float, ...], method: int,
               nonempty: bool | None = None) -> float:
    if not (vector if nonempty is None else nonempty) or query is None:
        return 0.0
    inverse = [1.0 / w if w else math.inf for w in weights]  # double, as PostgreSQL's invws
    doc = _doc_representation(vector, query)
    if not doc:
        return 0.0
    wdoc = 0.0
    prev_ext_pos = 0.0
    sum_dist = 0.0
    extents = 0
    for begin, end, p, q in _covers(doc, query):
        inv_sum = sum(inverse[doc[k][1]] for k in range(begin, end + 1))
        cpos = (end - begin + 1) / inv_sum
        noise = (q - p) - (end - begin)
        if noise < 0:
            noise = (end - begin) // 2
        wdoc += cpos / (1 + noise)
        cur_ext_pos = (q + p) / 2.0
        if extents > 0 and cur_ext_pos > prev_ext_pos:
            sum_dist += 1.0 / (cur_ext_pos - prev_ext_pos)
        prev_ext_pos = cur_ext_pos
        extents += 1
    if method & NORM_LOGLENGTH:
        wdoc /= math.log(_length(vector) + 1)
    if method & NORM_LENGTH:
        length = _length(vector)
        if length > 0:
            wdoc /= length
    if method & NORM_EXTDIST and extents > 0 and sum_dist > 0:
        wdoc /= extents / sum_dist
    if method & NORM_UNIQ:
        wdoc /= len(vector)
    if method & NORM_LOGUNIQ:
        wdoc /= math.log(len(vector) + 1) / math.log(2.0)
    if method & NORM_RDIVRPLUS1:
        wdoc /= wdoc + 1
    return f4(wdoc)
