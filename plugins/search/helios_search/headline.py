"""ts_headline: the document with the query's words marked (StartSel/StopSel), as PostgreSQL 15
chooses the excerpt.

Every token of the document is a headline word; a word whose lexeme matches a query operand
is "interesting". The excerpt is chosen among the query's covers (shortest runs of words
that satisfy it): lengthened to MinWords..MaxWords words, cut short of a bad end point (a
short or non-word token), preferring one that holds its whole cover, then more interesting
words. HighlightAll keeps the whole document. MaxFragments > 0 chooses several fragments
(see _fragments), shown in text order with FragmentDelimiter between them. Options are
PostgreSQL's.
"""

from __future__ import annotations

from typing import Any

import attrs

from helios_core.errors import HeliosError
from helios_search import configurations as C
from helios_search import matching
from helios_search import text_parser as P
from helios_search import tsquery as Q

_DEFAULTS = {"startsel": "<b>", "stopsel": "</b>", "maxwords": "35", "minwords": "15", "shortword": "3",
             "highlightall": "false", "maxfragments": "0", "fragmentdelimiter": " ... "}
_SKIPPED = (P.URL, P.NUMHWORD, P.ASCIIHWORD, P.HWORD)  # shown through their parts
_NON_WORD = (P.BLANK, P.TAG, *_SKIPPED)
_NO_END = (*_NON_WORD, P.SFLOAT, P.VERSION, P.FLOAT, P.INT, P.UINT, P.PROTOCOL, P.ENTITY)


@attrs.define
class _Word:
    text: str
    type: int
    pos: int = 0
    item: int | None = None  # index of the query operand it matches
    repeated: bool = False


def _options(text: str | None) -> dict[str, str]:
    opts = dict(_DEFAULTS)
    if not text:
        return opts
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in opts:
            raise HeliosError(f'unrecognized headline parameter: "{key}"', sqlstate="22023")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":  # either quote
            value = value[1:-1]
        opts[key] = value
    return opts


def _flag(value: str) -> bool:
    return value.lower() in ("1", "on", "true", "t", "y", "yes")


def _words(config: C.Configuration, document: str, operands: list[Q.Node]) -> list[_Word]:
    words: list[_Word] = []
    pos = 0
    for type_id, token in P.tokenize(document):
        word = _Word(token, type_id)
        words.append(word)
        dicts = config.dictionaries(type_id)
        if not dicts:
            continue
        pos += 1
        word.pos = pos
        for lexeme in dicts[0].lexize(token):
            # PostgreSQL stores a query's operands right to left: the first that matches a word
            # is its item, each further one a repeated entry after it
            for idx in reversed(range(len(operands))):
                node = operands[idx]
                if lexeme == node[1] or (node[3] and lexeme.startswith(node[1])):
                    if word.item is None:
                        word.item = idx
                    else:
                        words.append(attrs.evolve(word, item=idx, repeated=True))
    return words


def _without_weights(node: Q.Node) -> Q.Node:
    if node[0] == "val":
        return ("val", node[1], 0, node[3])
    return (node[0], *(_without_weights(c) if isinstance(c, tuple) else c for c in node[1:]))


def _cover(words: list[_Word], query: Q.Node, operands: list[Q.Node], start: int,
           max_cover: int) -> tuple[int, int] | None:
    # a query's weights play no part in a headline (the document's words have none): the cover
    # is checked on the query without them, whose operands are in the same order
    query = _without_weights(query)
    index_of = {id(n): i for i, n in enumerate(Q.operands(query))}

    def first_item(i: int) -> int:
        while i < len(words) and words[i].item is None:
            i += 1
        return i if i < len(words) else -1

    def satisfied(lo: int, hi: int) -> bool:
        def lookup(node: Q.Node):
            want = index_of[id(node)]
            positions = sorted({(w.pos, 0) for w in words[lo:hi + 1] if w.item == want})
            return [tuple(positions)] if positions else None

        return matching.execute(query, lookup) != matching.NO

    pmin = first_item(start)
    while pmin >= 0:
        next_pmin = -1
        pmax = pmin
        while True:
            if satisfied(pmin, pmax):
                return pmin, pmax
            next_pmax = first_item(pmax + 1)
            if pmax == pmin:
                next_pmin = next_pmax
            pmax = next_pmax
            if pmax < 0 or pmax - pmin >= max_cover:
                break
        pmin = next_pmin
    return None


def _word_tests(words: list[_Word], shortword: int) -> tuple[Any, Any, Any]:
    """The three tests both ways of choosing use on a word (by index): not a word at all; a query word
    shown for the first time; a poor place to begin or end (a short or punctuation-like word that is
    not interesting)."""
    def non_word(i: int) -> bool:
        return words[i].type in _NON_WORD

    def interesting(i: int) -> bool:
        return words[i].item is not None and not words[i].repeated

    def bad_end(i: int) -> bool:
        w = words[i]
        return (w.type in _NO_END or len(w.text.encode()) <= shortword) and not interesting(i)

    return non_word, interesting, bad_end


def _choose(words: list[_Word], query: Q.Node | None, operands: list[Q.Node], shortword: int, min_words: int,
            max_words: int) -> tuple[int, int]:
    non_word, interesting, bad_end = _word_tests(words, shortword)

    best_b = best_e = -1
    best_len = -1
    best_cover = False
    p = 0
    max_cover = max(max_words * 10, 100)
    while query is not None:
        found = _cover(words, query, operands, p, max_cover)
        if found is None:
            break
        p, q = found
        curlen = poslen = 0
        posb = pose = p
        i = p
        while i <= q and curlen < max_words:
            if not non_word(i):
                curlen += 1
            if interesting(i):
                poslen += 1
            pose = i
            i += 1
        if curlen < max_words:
            i -= 1
            while i < len(words) and curlen < max_words:
                if i > q:
                    if not non_word(i):
                        curlen += 1
                    if interesting(i):
                        poslen += 1
                pose = i
                if bad_end(i):
                    i += 1
                    continue
                if curlen >= min_words:
                    break
                i += 1
            if curlen < min_words:
                i = p - 1
                while i >= 0:
                    if not non_word(i):
                        curlen += 1
                    if interesting(i):
                        poslen += 1
                    if curlen >= max_words:
                        break
                    if bad_end(i):
                        i -= 1
                        continue
                    if curlen >= min_words:
                        break
                    i -= 1
                posb = max(i, 0)
        else:
            i = min(i, q)
            while curlen > min_words:
                if not bad_end(i):
                    break
                if not non_word(i):
                    curlen -= 1
                if interesting(i):
                    poslen -= 1
                pose = i - 1
                i -= 1
        poscover = posb <= p and pose >= q
        if (poscover > best_cover or (poscover == best_cover and poslen > best_len)
                or (poscover == best_cover and poslen == best_len and not bad_end(pose)
                    and best_e >= 0 and bad_end(best_e))):
            best_b, best_e, best_len, best_cover = posb, pose, poslen, poscover
        p += 1
    if best_len < 0:
        curlen = 0
        pose = 0
        i = 0
        while i < len(words) and curlen < min_words:
            if not non_word(i):
                curlen += 1
            pose = i
            i += 1
        best_b, best_e = 0, pose
    return best_b, best_e


def _fragments(words: list[_Word], query: Q.Node | None, operands: list[Q.Node], shortword: int, min_words: int,
               max_words: int, max_fragments: int) -> list[tuple[int, int]]:
    """Fragment mode (MaxFragments > 0), as PostgreSQL chooses: every cover is cut into pieces of
    at most MaxWords words that start and end on a query word; the pieces with the most query
    words (then the fewest words) are taken, up to MaxFragments, each stretched by up to half
    the words it lacks on either side (stopping at a word already shown, then cut back off bad
    end points), and pieces that overlap a taken one are left out. (start, end) in text order
    of choice; the first MinWords words when there is no cover."""
    non_word, interesting, bad_end = _word_tests(words, shortword)

    max_cover = max(max_words * 10, 100) * max_fragments  # a longer reach with more fragments
    covers: list[list] = []  # [start, end, words, query words]
    p = 0
    while query is not None:
        found = _cover(words, query, operands, p, max_cover)
        if found is None:
            break
        p, q = found
        start, end = p, q
        while start <= end:
            for i in range(start, end + 1):  # start on a query word
                start = i
                if interesting(i):
                    break
            curlen = poslen = 0
            i = start
            while i <= end and curlen < max_words:
                if not non_word(i):
                    curlen += 1
                if interesting(i):
                    poslen += 1
                i += 1
            if end > i:  # cut at max_words: end back on a query word
                end = i
                for i in range(end, start - 1, -1):
                    end = i
                    if interesting(i):
                        break
                    if not non_word(i):
                        curlen -= 1
            covers.append([start, end, curlen, poslen, False, False])
            start, end = end + 1, q
        p += 1

    shown = [False] * len(words)
    chosen: list[tuple[int, int]] = []
    for _ in range(max_fragments):
        best = -1
        max_items, min_words_seen = 0, None
        for k, (_, _, curlen, poslen, taken, excluded) in enumerate(covers):
            if not taken and not excluded and (max_items < poslen or (
                    max_items == poslen and (min_words_seen is None or min_words_seen > curlen))):
                max_items, min_words_seen, best = poslen, curlen, k
        if best < 0:
            break
        cover = covers[best]
        cover[4] = True
        start, end, curlen = cover[0], cover[1], cover[2]
        if curlen < max_words:
            max_stretch = (max_words - curlen) // 2
            stretch = 0
            marker = start
            i = start - 1
            while i >= 0 and stretch < max_stretch and not shown[i]:
                if not non_word(i):
                    curlen += 1
                    stretch += 1
                marker = i
                i -= 1
            i = marker
            while i < start and bad_end(i):
                if not non_word(i):
                    curlen -= 1
                i += 1
            start = i
            marker = end
            i = end + 1
            while i < len(words) and curlen < max_words and not shown[i]:
                if not non_word(i):
                    curlen += 1
                marker = i
                i += 1
            i = marker
            while i > end and bad_end(i):
                if not non_word(i):
                    curlen -= 1
                i -= 1
            end = i
        cover[0], cover[1], cover[2] = start, end, curlen
        for i in range(start, end + 1):
            shown[i] = not words[i].repeated
        chosen.append((start, end))
        for k, other in enumerate(covers):
            if k != best and (start <= other[0] <= end or start <= other[1] <= end
                              or (other[0] < start and other[1] > end)):
                other[5] = True
    if not chosen:
        curlen = end = 0
        i = 0
        while i < len(words) and curlen < min_words:
            if not non_word(i):
                curlen += 1
            end = i
            i += 1
        chosen.append((0, end))
    return chosen


def headline(config_name: str | None, document: str, query: Q.Node | None, options: str | None) -> str:
    opts = _options(options)
    max_words, min_words = int(opts["maxwords"]), int(opts["minwords"])
    shortword, max_fragments = int(opts["shortword"]), int(opts["maxfragments"])
    highlight_all = _flag(opts["highlightall"])
    if not highlight_all:
        if min_words >= max_words:
            raise HeliosError("MinWords should be less than MaxWords", sqlstate="22023")
        if min_words <= 0:
            raise HeliosError("MinWords should be positive", sqlstate="22023")
        if shortword < 0:
            raise HeliosError("ShortWord should be >= 0", sqlstate="22023")
        if max_fragments < 0:
            raise HeliosError("MaxFragments should be >= 0", sqlstate="22023")
    config = C.configuration(config_name)
    operands = Q.operands(query)
    words = _words(config, document, operands)
    if not words:
        return ""
    if max_fragments > 0:
        ranges = _fragments(words, query, operands, shortword, min_words, max_words, max_fragments)
    elif highlight_all:
        ranges = [(0, len(words) - 1)]
    else:
        ranges = [_choose(words, query, operands, shortword, min_words, max_words)]
    shown = [False] * len(words)
    for begin, end in ranges:
        for i in range(begin, end + 1):
            shown[i] = True
    out = []
    start_sel, stop_sel = opts["startsel"], opts["stopsel"]
    in_fragment = False
    fragments = 0
    for i, w in enumerate(words):
        if w.repeated:
            continue
        if not shown[i]:
            in_fragment = False
            continue
        if not in_fragment:  # the words shown run in fragments, a delimiter between two
            in_fragment = True
            fragments += 1
            if fragments > 1:
                out.append(opts["fragmentdelimiter"])
        if not highlight_all and w.type == P.TAG:
            out.append(" ")
        elif w.type in _SKIPPED:
            continue
        elif w.item is not None:
            out.append(f"{start_sel}{w.text}{stop_sel}")
        else:
            out.append(w.text)
    return "".join(out)


def ts_headline(*args: Any) -> str:
    """(document, query[, options]) or (config, document, query[, options])."""
    if len(args) == 2:
        return headline(None, args[0], Q.parse_cached(args[1]), None)
    if len(args) == 4:
        return headline(args[0], args[1], Q.parse_cached(args[2]), args[3])
    # three arguments: (config, document, query) or (document, query, options)
    try:
        query = Q.parse_cached(args[2])
        config = C.configuration(args[0])
    except HeliosError:
        return headline(None, args[0], Q.parse_cached(args[1]), args[2])
    return headline(config.name, args[1], query, None)
