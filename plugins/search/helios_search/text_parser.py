"""PostgreSQL's default text search parser: text -> typed tokens, so lexemes and positions match.

The 23 token types keep PostgreSQL's ids, aliases and descriptions (ts_token_type). The
scanner tries the token kinds at each place in PostgreSQL's order of preference (markup,
addresses, numbers, paths, hyphenated words, words); whatever starts no token is gathered
into ``blank`` tokens. A URL is followed by its host and path as further tokens, and a
hyphenated word by its parts, as PostgreSQL emits them.
"""

from __future__ import annotations

import functools
import re

TOKEN_TYPES: list[tuple[int, str, str]] = [
    (1, "asciiword", "Word, all ASCII"),
    (2, "word", "Word, all letters"),
    (3, "numword", "Word, letters and digits"),
    (4, "email", "Email address"),
    (5, "url", "URL"),
    (6, "host", "Host"),
    (7, "sfloat", "Scientific notation"),
    (8, "version", "Version number"),
    (9, "hword_numpart", "Hyphenated word part, letters and digits"),
    (10, "hword_part", "Hyphenated word part, all letters"),
    (11, "hword_asciipart", "Hyphenated word part, all ASCII"),
    (12, "blank", "Space symbols"),
    (13, "tag", "XML tag"),
    (14, "protocol", "Protocol head"),
    (15, "numhword", "Hyphenated word, letters and digits"),
    (16, "asciihword", "Hyphenated word, all ASCII"),
    (17, "hword", "Hyphenated word, all letters"),
    (18, "url_path", "URL path"),
    (19, "file", "File or path name"),
    (20, "float", "Decimal notation"),
    (21, "int", "Signed integer"),
    (22, "uint", "Unsigned integer"),
    (23, "entity", "XML entity"),
]
ALIAS = {tid: alias for tid, alias, _ in TOKEN_TYPES}
TYPE_ID = {alias: tid for tid, alias, _ in TOKEN_TYPES}
DESCRIPTION = {tid: desc for tid, _, desc in TOKEN_TYPES}
(ASCIIWORD, WORD, NUMWORD, EMAIL, URL, HOST, SFLOAT, VERSION, HWORD_NUMPART, HWORD_PART, HWORD_ASCIIPART, BLANK,
 TAG, PROTOCOL, NUMHWORD, ASCIIHWORD, HWORD, URL_PATH, FILE, FLOAT, INT, UINT, ENTITY) = range(1, 24)

_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_HOST = rf"(?:{_LABEL}\.)+[A-Za-z]{{2,}}(?![\w-])"
_URLCHARS = r"[^\s\"<>\\^`{|}]"
_PART = r"[^\W\d_][^\W_]*"

_TAG = re.compile(r"<[/?!]?[A-Za-z_][\w:.\-]*(?:\s+[^<>]*?)?\s*/?>|<!--.*?-->", re.DOTALL)
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_PROTOCOL = re.compile(r"[A-Za-z]+://")
_EMAIL = re.compile(rf"[A-Za-z0-9_+](?:[A-Za-z0-9_.+-]*[A-Za-z0-9_+])?@{_HOST}")
_URL = re.compile(rf"({_HOST}(?::\d+)?)(/{_URLCHARS}*)")
_HOST_RE = re.compile(_HOST)
_VERSION = re.compile(r"\d+(?:\.\d+){2,}(?![^\W_])")
_SFLOAT = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")
_FLOAT = re.compile(r"[+-]?\d+\.\d+(?![^\W_])")
_INT = re.compile(r"[+-]\d+(?![^\W_])")
_UINT = re.compile(r"\d+(?![^\W_])")
_FILE = re.compile(r"[\w~.-]*/[\w~./-]*[\w~-]|/[\w~-]+|[\w~-]+(?:\.[\w~-]+)+")
_HWORD = re.compile(rf"{_PART}(?:-{_PART})+")
_WORD = re.compile(r"[^\W_]+")


def _word_type(word: str, ascii_id: int, letters_id: int, num_id: int) -> int:
    if any(c.isdigit() for c in word):
        return num_id
    return ascii_id if word.isascii() else letters_id


def _at(text: str, i: int) -> list[tuple[int, str]] | None:
    """The tokens that start at ``i`` (a token and the tokens it contains), or None."""
    c = text[i]
    if c == "<":
        m = _TAG.match(text, i)
        if m:
            return [(TAG, m.group())]
        return None
    if c == "&":
        m = _ENTITY.match(text, i)
        return [(ENTITY, m.group())] if m else None
    if c.isalpha():
        m = _PROTOCOL.match(text, i)
        if m:
            return [(PROTOCOL, m.group())]
    if c.isalnum() or c in "_+":
        m = _EMAIL.match(text, i)
        if m:
            return [(EMAIL, m.group())]
    if c.isalnum():
        m = _URL.match(text, i)
        if m:
            return [(URL, m.group()), (HOST, m.group(1)), (URL_PATH, m.group(2))]
        m = _HOST_RE.match(text, i)
        if m:
            return [(HOST, m.group())]
    if c.isdigit() or (c in "+-" and i + 1 < len(text) and text[i + 1].isdigit()):
        for rx, tid in ((_VERSION, VERSION), (_SFLOAT, SFLOAT), (_FLOAT, FLOAT), (_INT, INT), (_UINT, UINT)):
            m = rx.match(text, i)
            if m:
                return [(tid, m.group())]
    if c.isalnum() or c in "/~._-":
        m = _FILE.match(text, i)
        if m and ("/" in m.group() or "." in m.group()) and m.group()[0] not in ".-":
            return [(FILE, m.group())]
        if m and c == "/":
            return [(FILE, m.group())]
    if c.isalpha():
        m = _HWORD.match(text, i)
        if m:
            word = m.group()
            out = [(_word_type(word.replace("-", ""), ASCIIHWORD, HWORD, NUMHWORD), word)]
            parts = word.split("-")
            for k, part in enumerate(parts):
                if k:
                    out.append((BLANK, "-"))
                out.append((_word_type(part, HWORD_ASCIIPART, HWORD_PART, HWORD_NUMPART), part))
            return out
    if c.isalnum():
        m = _WORD.match(text, i)
        word = m.group()
        if word.isdigit():
            return [(UINT, word)]
        return [(_word_type(word, ASCIIWORD, WORD, NUMWORD), word)]
    return None


@functools.lru_cache(maxsize=4096)
def tokenize(text: str) -> tuple[tuple[int, str], ...]:
    """(token type id, token text) for the whole text, blanks included (ts_parse, ts_debug)."""
    out: list[tuple[int, str]] = []
    blank: list[str] = []
    i, n = 0, len(text)
    while i < n:
        found = _at(text, i)
        if found is None:
            blank.append(text[i])
            i += 1
            continue
        if blank:
            out.append((BLANK, "".join(blank)))
            blank = []
        out.extend(found)
        i += len(found[0][1])
    if blank:
        out.append((BLANK, "".join(blank)))
    return tuple(out)
