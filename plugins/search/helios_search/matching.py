"""``tsvector @@ tsquery``: PostgreSQL's three-valued evaluation with phrase positions.

Phrase operators work on position lists: an operand yields the positions of its lexeme (of
the weights asked for), ``a <N> b`` the positions of ``b`` that follow one of ``a`` by N,
and ``!`` turns a list into "everywhere but these" (a negated list). A lexeme without
positions (a stripped vector) makes a phrase MAYBE, which ``@@`` counts as no match.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from helios_search.tsquery import Node
from helios_search.tsvector import TsVector

NO, YES, MAYBE = 0, 1, 2

# an operand's evidence: (lexeme positions with weights) per matching lexeme
Lookup = Callable[[Node], list[tuple[tuple[int, int], ...]] | None]


class PhraseData:
    __slots__ = ("negate", "positions", "width")

    def __init__(self) -> None:
        self.positions: list[int] = []
        self.negate = False
        self.width = 0


def vector_lookup(vector: TsVector) -> Lookup:
    """The positions of each lexeme of ``vector`` an operand matches (prefix: all it starts)."""
    # code point order is UTF-8 byte order (the vector's order), and a prefix in one is a prefix
    # in the other: the lexemes are searched as str, without encoding them
    keys = [lex for lex, _ in vector]

    def lookup(node: Node) -> list[tuple[tuple[int, int], ...]] | None:
        _, key, _weights, prefix = node
        i = bisect.bisect_left(keys, key)
        found = []
        while i < len(keys):
            if keys[i] == key or (prefix and keys[i].startswith(key)):
                found.append(vector[i][1])
                i += 1
                if not prefix:
                    break
            else:
                break
        return found or None

    return lookup


def _operand(node: Node, lookup: Lookup, data: PhraseData | None) -> int:
    entries = lookup(node)
    if entries is None:
        return NO
    weights = node[2]
    if any(not ps for ps in entries):
        # a lexeme without positions (stripped) matches whatever the weights, but where is unknown
        return YES if data is None else MAYBE
    positions = sorted({p for ps in entries for p, w in ps if not weights or weights & (1 << w)})
    if not positions:
        return NO
    if data is not None:
        data.positions = positions
    return YES


def _output(data: PhraseData | None, left: PhraseData, right: PhraseData, both: bool, l_only: bool,
            r_only: bool, loffset: int, roffset: int) -> int:
    out: list[int] = []
    i = j = 0
    lp, rp = left.positions, right.positions
    while i < len(lp) or j < len(rp):
        lpos = lp[i] + loffset if i < len(lp) else None
        rpos = rp[j] + roffset if j < len(rp) else None
        if rpos is None or (lpos is not None and lpos < rpos):
            if l_only:
                out.append(lpos)
            i += 1
        elif lpos is None or rpos < lpos:
            if r_only:
                out.append(rpos)
            j += 1
        else:
            if both:
                out.append(lpos)
            i += 1
            j += 1
        if out and data is None:
            return YES
    if data is not None:
        data.positions = out
    return YES if out else NO


def phrase_execute(node: Node, lookup: Lookup, data: PhraseData | None, phrase_no_pos: bool) -> int:
    kind = node[0]
    if kind == "val":
        return _operand(node, lookup, data)
    if kind == "not":
        child = PhraseData()
        res = phrase_execute(node[1], lookup, child, phrase_no_pos)
        if res == NO:
            if data is not None:
                data.negate = True
                data.positions = []
            return YES
        if res == YES:
            if child.positions:
                if data is not None:
                    data.positions = child.positions
                    data.negate = not child.negate
                    data.width = child.width
                return YES
            if child.negate:
                return NO
            return NO
        return MAYBE
    left, right = PhraseData(), PhraseData()
    if kind in ("phrase", "and"):
        lmatch = phrase_execute(node[1], lookup, left, phrase_no_pos)
        if lmatch == NO:
            return NO
        rmatch = phrase_execute(node[2], lookup, right, phrase_no_pos)
        if rmatch == NO:
            return NO
        if MAYBE in (lmatch, rmatch):
            return MAYBE
        if kind == "phrase":
            loffset, roffset = node[3] + right.width, 0
            width = node[3] + left.width + right.width
        else:
            width = max(left.width, right.width)
            loffset, roffset = width - left.width, width - right.width
        if data is not None:
            data.width = width
        if left.negate and right.negate:
            _output(data, left, right, True, True, True, loffset, roffset)
            if data is not None:
                data.negate = True
            return YES
        if left.negate:
            return _output(data, left, right, False, False, True, loffset, roffset)
        if right.negate:
            return _output(data, left, right, False, True, False, loffset, roffset)
        return _output(data, left, right, True, False, False, loffset, roffset)
    # or
    lmatch = phrase_execute(node[1], lookup, left, phrase_no_pos)
    rmatch = phrase_execute(node[2], lookup, right, phrase_no_pos)
    if lmatch == NO and rmatch == NO:
        return NO
    if MAYBE in (lmatch, rmatch):
        return MAYBE
    if lmatch == NO:
        left.width = right.width
    if rmatch == NO:
        right.width = left.width
    width = max(left.width, right.width)
    loffset, roffset = width - left.width, width - right.width
    if data is not None:
        data.width = width
    if left.negate and right.negate:
        _output(data, left, right, True, False, False, loffset, roffset)
        if data is not None:
            data.negate = True
        return YES
    if left.negate:
        _output(data, left, right, False, True, False, loffset, roffset)
        if data is not None:
            data.negate = True
        return YES
    if right.negate:
        _output(data, left, right, False, False, True, loffset, roffset)
        if data is not None:
            data.negate = True
        return YES
    return _output(data, left, right, True, True, True, loffset, roffset)


def execute(node: Node, lookup: Lookup, phrase_no_pos: bool = False) -> int:
    """TS_execute: YES / NO / MAYBE for the whole query."""
    kind = node[0]
    if kind == "val":
        return _operand(node, lookup, None)
    if kind == "not":
        res = execute(node[1], lookup, phrase_no_pos)
        return {YES: NO, NO: YES, MAYBE: MAYBE}[res]
    if kind == "and":
        lm = execute(node[1], lookup, phrase_no_pos)
        if lm == NO:
            return NO
        rm = execute(node[2], lookup, phrase_no_pos)
        if rm == NO:
            return NO
        return YES if lm == rm == YES else MAYBE
    if kind == "or":
        lm = execute(node[1], lookup, phrase_no_pos)
        if lm == YES:
            return YES
        rm = execute(node[2], lookup, phrase_no_pos)
        if rm == YES:
            return YES
        return MAYBE if MAYBE in (lm, rm) else NO
    res = phrase_execute(node, lookup, PhraseData(), phrase_no_pos)
    if res == MAYBE:
        return MAYBE if phrase_no_pos else NO
    return res


def matches(vector: TsVector, query: Node | None) -> bool:
    if query is None:
        return False
    return execute(query, vector_lookup(vector)) != NO
