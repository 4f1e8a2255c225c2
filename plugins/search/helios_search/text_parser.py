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
import unicodedata

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

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?"
_HOST = rf"(?:{_LABEL}\.)+[A-Za-z]{{2,}}(?![A-Za-z0-9])"
_URLCHARS = r"[^\s\"<>\\^`{|}]"
_PART = r"[^\W_]*[^\W\d_][^\W_]*"  # letters and digits, at least one letter

_TAG = re.compile(r"<[/?!]?[A-Za-z_][\w:.\-]*(?:\s+[^<>]*?)?\s*/?>|<!--.*?-->", re.DOTALL)
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_PROTOCOL = re.compile(r"[A-Za-z]+://")
# an e-mail's local part: ASCII letters and digits, single '.', '-' or '_' between them
_EMAIL = re.compile(rf"[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*@{_HOST}")
_URL = re.compile(rf"({_HOST}(?::\d+)?)(/{_URLCHARS}+)")
_HOST_RE = re.compile(rf"{_HOST}(?::\d+)?")
_VERSION = re.compile(r"\d+(?:\.\d+){2,}")
_SFLOAT = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")
_FLOAT = re.compile(r"[+-]?\d+\.\d+")
_INT = re.compile(r"[+-]\d+")
_UINT = re.compile(r"\d+(?![^\W_])")
# file names: ASCII letters, digits, '_', '.', '-' and '/' (a '/' not followed by '/' or '-');
# starting with '/', with '~', './' or '../' (these two only where a token may start, not inside
# a blank), or with letters and digits followed by '.' or '/'; a final '.' is not part of one
_SEGMENTS = r"(?:/[A-Za-z0-9_.][A-Za-z0-9_.-]*)"
_FILE = re.compile(rf"{_SEGMENTS}+|~(?:[A-Za-z0-9_][A-Za-z0-9_.-]*{_SEGMENTS}*|{_SEGMENTS}+)|\.\.?{_SEGMENTS}+"
                   rf"|[A-Za-z0-9]+(?:\.[A-Za-z0-9_][A-Za-z0-9_.-]*{_SEGMENTS}*|{_SEGMENTS}+)"
                   rf"|[^\W_]*\d[^\W_]*\.[A-Za-z0-9_][A-Za-z0-9_.-]*{_SEGMENTS}*")
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
    if c.isalnum():
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
    if c in "+-" and _VERSION.match(text, i + 1):
        return None  # a version has no sign: the sign is a blank
    if c.isdigit() or (c in "+-" and i + 1 < len(text) and text[i + 1].isdigit()):
        for rx, tid in ((_VERSION, VERSION), (_SFLOAT, SFLOAT), (_FLOAT, FLOAT), (_INT, INT), (_UINT, UINT)):
            m = rx.match(text, i)
            if m:
                if tid == UINT and text.startswith("/", m.end()):
                    path = _FILE.match(text, i)  # digits then a path: a file name
                    if path:
                        return [(FILE, path.group().rstrip("."))]
                return [(tid, m.group())]
    if c.isalnum() or c in "/~.":
        m = _FILE.match(text, i)
        if m:
            name = m.group().rstrip("./")  # a final '.' or '/' is not part of one
            if ("." in name or "/" in name) if c.isalnum() else len(name) > (2 if c == "." else 1):
                return [(FILE, name)]
    if c.isalnum():
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


HYPHENATED = frozenset((NUMHWORD, ASCIIHWORD, HWORD))

# A run of blank characters ends before these (PostgreSQL's parser leaves its space state for
# them and tries a token); any other character that is not a letter or digit stays in the blank.
BLANK_BREAKS = frozenset("<-+&/")


# Character classes as PostgreSQL's parser sees them (iswalpha/iswdigit of a C.UTF-8 database):
# digits are 0-9 only; a non-ASCII character is a letter when Unicode calls it a letter, a mark,
# a decimal digit or a letter number (so '٣' and a combining accent are letters, '²', '½', '①'
# are not). The scanner runs over a shadow of the text with one character for another: such a
# letter becomes 'é', any other non-ASCII character that is not a space becomes U+007F, so the
# scanner's own classes (str methods, re) agree; tokens are then cut from the text itself.
_SHADOW_LETTER_CATEGORIES = frozenset(("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl"))


@functools.lru_cache(maxsize=65536)
def _shadow_char(c: str) -> str:
    if c.isascii() or c.isspace():
        return c
    return "\u00e9" if unicodedata.category(c) in _SHADOW_LETTER_CATEGORIES else "\x7f"


def _shadow(text: str) -> str:
    return text if text.isascii() else "".join(map(_shadow_char, text))


@functools.lru_cache(maxsize=4096)
def tokenize(text: str, after_blank: bool = False) -> tuple[tuple[int, str], ...]:
    """(token type id, token text) for the whole text, blanks included (ts_parse, ts_debug).
    ``after_blank``: the text follows a blank (a whitespace-separated piece of a longer text),
    so that leading characters such as ``~`` and ``.`` continue that blank as they would there."""
    shadow = _shadow(text)
    same = shadow is text
    out: list[tuple[int, str]] = []
    blank: list[str] = []
    in_blank = after_blank
    i, n = 0, len(text)
    while i < n:
        c = shadow[i]
        if in_blank and not c.isalnum() and c not in BLANK_BREAKS:
            blank.append(text[i])
            i += 1
            continue
        if blank:
            out.append((BLANK, "".join(blank)))
            blank = []
        found = _at(shadow, i)
        if found is None:
            blank.append(text[i])
            in_blank = True
            i += 1
            continue
        in_blank = False
        if same:
            out.extend(found)
        else:  # the same spans of the text itself: the token, then its parts one after another
            out.append((found[0][0], text[i:i + len(found[0][1])]))
            at = i
            for type_id, part in found[1:]:
                out.append((type_id, text[at:at + len(part)]))
                at += len(part)
        i += len(found[0][1])
        if found[0][0] in HYPHENATED and shadow.startswith("-", i) and i + 1 < n and shadow[i + 1].isdigit():
            out.append((BLANK, "-"))  # a hyphenated word's '-' before digits is no sign
            i += 1
    if blank:
        out.append((BLANK, "".join(blank)))
    return tuple(out)
