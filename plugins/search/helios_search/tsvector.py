"""The tsvector value: sorted lexemes, each with its positions and weights, and its text form.

A value is a tuple of ``(lexeme, positions)`` pairs sorted by the lexeme's UTF-8 bytes, as
PostgreSQL sorts them; ``positions`` is a tuple of ``(position, weight)`` sorted by position,
weight 3 for A down to 0 for D, empty for a lexeme without positions (``strip``). Values are
stored in Arrow as their text output, so parsing is cached.
"""

from __future__ import annotations

import functools
import re

from helios_core.errors import HeliosError, SyntaxError_

MAX_POSITION = 16383  # positions beyond are clamped to it
MAX_POSITIONS_PER_LEXEME = 256
WEIGHT_LETTERS = "DCBA"  # weight number -> letter

Positions = tuple[tuple[int, int], ...]
TsVector = tuple[tuple[str, Positions], ...]


def _sort_key(lexeme: str) -> bytes:
    return lexeme.encode()


def normalize(entries: dict[str, set[tuple[int, int]]] | list[tuple[str, Positions]]) -> TsVector:
    """Merge duplicate lexemes, sort and deduplicate positions (the highest weight wins a tie)."""
    merged: dict[str, dict[int, int]] = {}
    items = entries.items() if isinstance(entries, dict) else entries
    for lexeme, positions in items:
        slot = merged.setdefault(lexeme, {})
        for pos, weight in positions:
            pos = min(pos, MAX_POSITION)
            if slot.get(pos, -1) < weight:
                slot[pos] = weight
    out = []
    for lexeme in sorted(merged, key=_sort_key):
        positions = tuple(sorted(merged[lexeme].items()))[:MAX_POSITIONS_PER_LEXEME]
        out.append((lexeme, positions))
    return tuple(out)


def _syntax_error(text: str) -> HeliosError:
    return SyntaxError_(f'syntax error in tsvector: "{text}"')


def _read_word(text: str, i: int, stop_at_colon: bool = True) -> tuple[str, int]:
    """A lexeme at ``i`` (quoted with '' or bare with backslash escapes); returns it and the index after."""
    n = len(text)
    out = []
    if text[i] == "'":
        i += 1
        while True:
            if i >= n:
                raise _syntax_error(text)
            c = text[i]
            if c == "\\":
                if i + 1 >= n:
                    raise _syntax_error(text)
                out.append(text[i + 1])
                i += 2
            elif c == "'":
                if i + 1 < n and text[i + 1] == "'":
                    out.append("'")
                    i += 2
                else:
                    return "".join(out), i + 1
            else:
                out.append(c)
                i += 1
    while i < n:
        c = text[i]
        if c == "\\":
            if i + 1 >= n:
                raise _syntax_error(text)
            out.append(text[i + 1])
            i += 2
        elif c.isspace() or (stop_at_colon and c == ":" and out):  # a leading ':' is the word's
            break
        else:
            out.append(c)
            i += 1
    return "".join(out), i


_CANONICAL_ENTRY = re.compile(r"'((?:[^'\\]|''|\\.)+)'(?::([0-9]+[ABC]?(?:,[0-9]+[ABC]?)*))?")
_ESCAPED = re.compile(r"''|\\(.)")
_WEIGHT_OF = {"A": 3, "B": 2, "C": 1}


def _parse_canonical(text: str) -> TsVector | None:
    """Stored values are tsvector output (quoted, sorted, unique, positions ascending): read that
    form directly, or None when the text is not exactly it (the full parser then decides)."""
    entries: list[tuple[str, Positions]] = []
    n, i = len(text), 0
    previous = None
    while i < n:
        m = _CANONICAL_ENTRY.match(text, i)
        if m is None:
            return None
        word = m.group(1)
        if "'" in word or "\\" in word:
            word = _ESCAPED.sub(lambda e: e.group(1) or "'", word)
        if (previous is not None and word <= previous) or (len(word) > 511 and len(word.encode()) > 2046):
            return None  # not in order (str order is UTF-8 byte order), or too long: the full parser
        positions: Positions = ()
        if m.group(2):
            out = []
            last = 0
            for p in m.group(2).split(","):
                weight = _WEIGHT_OF.get(p[-1], 0)
                pos = int(p[:-1]) if weight else int(p)
                if pos <= last or pos > MAX_POSITION:
                    return None
                out.append((pos, weight))
                last = pos
            if len(out) > MAX_POSITIONS_PER_LEXEME:
                return None
            positions = tuple(out)
        entries.append((word, positions))
        previous = word
        i = m.end()
        if i < n:
            if text[i] != " ":
                return None
            i += 1
            if i == n:
                return None
    return tuple(entries)


@functools.lru_cache(maxsize=65536)
def parse(text: str) -> TsVector:
    """tsvector input: ``'lexeme':1A,2 other:3``."""
    fast = _parse_canonical(text) if text.startswith("'") else None
    if fast is not None:
        return fast
    entries: list[tuple[str, Positions]] = []
    n = len(text)
    i = 0
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        quoted = text[i] == "'"
        word, i = _read_word(text, i)
        if not word and quoted:
            raise _syntax_error(text)
        if len(word.encode()) > 2046:
            raise HeliosError(f"word is too long ({len(word.encode())} bytes, max 2046 bytes)", sqlstate="54000")
        positions: list[tuple[int, int]] = []
        if i < n and text[i] == ":":
            i += 1
            while True:
                start = i
                while i < n and text[i].isdigit():
                    i += 1
                if i == start:
                    raise _syntax_error(text)
                pos = int(text[start:i])
                if pos == 0:
                    raise HeliosError("wrong position info in tsvector: \"" + text + "\"", sqlstate="42601")
                weight = 0
                while i < n and text[i] in "AaBbCcDd*":  # the last letter counts; * is A
                    weight = "DCBA".index(text[i].upper()) if text[i] != "*" else 3
                    i += 1
                positions.append((min(pos, MAX_POSITION), weight))
                if i < n and text[i] == ",":
                    i += 1
                    continue
                break
            if i < n and not text[i].isspace():
                raise _syntax_error(text)
        entries.append((word, tuple(positions)))
    if len(entries) > 1 or any(len(p) > 1 for _, p in entries):
        return normalize(entries)
    return tuple(entries)


def quote_lexeme(lexeme: str) -> str:
    """A lexeme in single quotes, quotes and backslashes doubled (tsvector and tsquery output)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def format_positions(positions: Positions) -> str:
    return ",".join(f"{p}{WEIGHT_LETTERS[w] if w else ''}" for p, w in positions)


@functools.lru_cache(maxsize=65536)
def format(vector: TsVector) -> str:
    """tsvector output."""
    parts = []
    for lexeme, positions in vector:
        quoted = quote_lexeme(lexeme)
        parts.append(f"{quoted}:{format_positions(positions)}" if positions else quoted)
    return " ".join(parts)


def canonical(text: str) -> str:
    """The output form of a tsvector input text."""
    return format(parse(text))


def concat(left: TsVector, right: TsVector) -> TsVector:
    """``||``: the right vector's positions shift past the left's highest position."""
    shift = max((p for _, ps in left for p, _w in ps), default=0)
    merged: dict[str, dict[int, int]] = {}
    for lexeme, positions in left:
        merged.setdefault(lexeme, {}).update(dict(positions))
    stripped_right = set()
    for lexeme, positions in right:
        slot = merged.setdefault(lexeme, {})
        if not positions:
            stripped_right.add(lexeme)
        for p, w in positions:
            p = min(p + shift, MAX_POSITION)
            if slot.get(p, -1) < w:
                slot[p] = w
    return normalize({k: set(v.items()) for k, v in merged.items()})


def setweight(vector: TsVector, weight: int, only: set[str] | None = None) -> TsVector:
    return tuple(
        (lex, tuple((p, weight) for p, _ in ps) if only is None or lex in only else ps)
        for lex, ps in vector
    )


def strip(vector: TsVector) -> TsVector:
    return tuple((lex, ()) for lex, _ in vector)


def weight_number(letter: str) -> int:
    """A weight of type "char" (its first character; 'A'..'D' in any case) -> 3..0; anything
    else is ts_filter's error (setweight reports its own: see setweight_number)."""
    c = letter[:1]
    if c and c in "ABCDabcd":
        return "DCBA".index(c.upper())
    raise HeliosError(f'unrecognized weight: "{c}"', sqlstate="22023")


def setweight_number(letter: str, filtered: bool) -> int:
    """setweight's weight: as weight_number, but PostgreSQL fails with an internal error that
    shows the character's code (or, with a lexeme filter, the character)."""
    c = letter[:1]
    if c and c in "ABCDabcd":
        return "DCBA".index(c.upper())
    shown = c if filtered else str(ord(c) if c else 0)
    raise HeliosError(f"unrecognized weight: {shown}", sqlstate="XX000")
