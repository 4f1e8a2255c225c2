"""Text search configurations and dictionaries: ``simple`` and one Snowball stemmer per language.

A configuration maps each token type of the default parser to its dictionaries, as
PostgreSQL 15's built-in configurations do: word-like tokens go to the language's
``<language>_stem`` dictionary (lower-case, drop stop words, stem with PyStemmer), every
other indexed token to ``simple`` (lower-case). Stop-word lists are the Snowball project's,
shipped in ``stopwords/`` (see README).
"""

from __future__ import annotations

import functools
from importlib import resources

import attrs
import Stemmer

from helios_core.errors import UndefinedObject
from helios_search import text_parser

# PostgreSQL 15's Snowball configurations -> whether a stop-word list ships with it
LANGUAGES: dict[str, bool] = {
    "arabic": False, "armenian": False, "basque": False, "catalan": False, "danish": True,
    "dutch": True, "english": True, "finnish": True, "french": True, "german": True,
    "greek": False, "hindi": False, "hungarian": True, "indonesian": False, "irish": False,
    "italian": True, "lithuanian": False, "nepali": True, "norwegian": True, "portuguese": True,
    "romanian": False, "russian": True, "serbian": False, "spanish": True, "swedish": True,
    "tamil": False, "turkish": True, "yiddish": False,
}

# configurations whose all-ASCII words go to another language's stemmer (PostgreSQL 15's
# snowball_create: Latin-script words in a Cyrillic or Devanagari text are most likely English)
ASCII_LANGUAGE = {"hindi": "english", "russian": "english"}
_ASCII_TYPES = ("asciiword", "asciihword", "hword_asciipart")
_STEMMED = ("asciiword", "asciihword", "hword_asciipart", "word", "hword", "hword_part")
_SIMPLE_ONLY = ("numword", "numhword", "hword_numpart", "email", "url", "host", "url_path", "file",
                "sfloat", "float", "int", "uint", "version")
INDEXED = _STEMMED + _SIMPLE_ONLY


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    if not LANGUAGES.get(language):
        return frozenset()
    text = resources.files("helios_search").joinpath(f"stopwords/{language}.stop").read_text("utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip())


@functools.cache
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(language)


def lower(token: str) -> str:
    """Lower case as PostgreSQL's dictionaries do it, one character to one (towlower): Python's
    full case mapping would turn U+0130 (capital I with dot above) into two characters."""
    word = token.lower()
    if "\u0130" in token:
        word = token.replace("\u0130", "i").lower()
    return word


@attrs.frozen
class Dictionary:
    """A dictionary: lexize(token) -> lexemes ([] = stop word)."""

    name: str
    language: str | None  # None: simple

    def lexize(self, token: str) -> list[str]:
        word = lower(token)
        if self.language is None:
            return [word]
        if not word or word in stop_words(self.language):
            return []
        return [_stemmer(self.language).stemWord(word)]


def dictionary(name: str) -> Dictionary:
    """A dictionary by name (``pg_catalog.`` allowed); 42704 when there is none."""
    key = _bare(name)
    if key == "simple":
        return Dictionary("simple", None)
    if key.endswith("_stem") and key[:-5] in LANGUAGES:
        return Dictionary(key, key[:-5])
    raise UndefinedObject(f'text search dictionary "{name}" does not exist')


@attrs.frozen
class Configuration:
    name: str
    language: str | None

    def dictionaries(self, type_id: int) -> list[Dictionary]:
        alias = text_parser.ALIAS[type_id]
        if alias not in INDEXED:
            return []
        if self.language is not None and alias in _STEMMED:
            language = ASCII_LANGUAGE.get(self.language, self.language) if alias in _ASCII_TYPES else self.language
            return [Dictionary(f"{language}_stem", language)]
        return [Dictionary("simple", None)]


def _bare(name: str) -> str:
    key = name.strip().lower()
    if key.startswith('"') and key.endswith('"'):
        key = key[1:-1]
    return key.removeprefix("pg_catalog.")


DEFAULT_CONFIG = ["english"]  # default_text_search_config, set from [search] at start


def configuration(name: str | None) -> Configuration:
    """A configuration by name (None: default_text_search_config); 42704 when there is none."""
    key = _bare(name if name is not None else DEFAULT_CONFIG[0])
    if key == "simple":
        return Configuration("simple", None)
    if key in LANGUAGES:
        return Configuration(key, key)
    raise UndefinedObject(f'text search configuration "{name}" does not exist')


def configuration_names() -> list[str]:
    return sorted(["simple", *LANGUAGES])


# characters that start a token at the very beginning of a text but continue a blank after
# whitespace (so a text starting with one is tokenized whole, not piece by piece)
AT_START_ONLY = frozenset("~.")


def tokenized_whole(text: str) -> bool:
    """Whether ``text`` must be tokenized whole rather than piece by piece: it may hold a tag (the
    one token that may hold whitespace), or it starts with a character of AT_START_ONLY."""
    return "<" in text or text[:1] in AT_START_ONLY


def parse_words(config: Configuration, text: str) -> list[tuple[str, int]]:
    """(lexeme, position) of ``text`` as to_tsvector numbers them: every token its dictionaries
    know takes the next position, a stop word too (it leaves a gap)."""
    if tokenized_whole(text):
        return _parse_words_whole(config, text)
    known = learn_pieces(config, set(text.split()))
    out: list[tuple[str, int]] = []
    pos = 0
    for piece in text.split():
        for lexeme in known[piece]:
            pos += 1
            if lexeme is not None:
                out.append((lexeme, min(pos, 16383)))
    return out


def _parse_words_whole(config: Configuration, text: str) -> list[tuple[str, int]]:
    """parse_words for any text, tokenizing it whole (markup may hold whitespace)."""
    out: list[tuple[str, int]] = []
    pos = 0
    for type_id, token in text_parser.tokenize(text):
        dicts = config.dictionaries(type_id)
        if not dicts:
            continue
        if len(token.encode()) >= 2047:
            continue  # PostgreSQL: "word is too long to be indexed", ignored
        pos += 1
        for lexeme in dicts[0].lexize(token):
            out.append((lexeme, min(pos, 16383)))
    return out


# ---------------------------------------------------------------------------- pieces
#
# Without "<" in a text (an XML tag is the only token that may hold whitespace), the default
# parser's tokens never cross whitespace, and a piece after whitespace starts inside a blank, so
# a text's tokens are its whitespace-separated pieces' tokens one after the other (each piece
# tokenized as following a blank; a text starting with "~" or "." is tokenized whole). A piece is
# tokenized and looked up in the dictionaries once per configuration and kept: one item per
# position it takes, the lexeme or None for a stop word. Words new to a batch are stemmed together.

MAX_KEPT_PIECES = 2_000_000  # per configuration; the cache starts over beyond
_pieces: dict[str, dict[str, tuple[str | None, ...]]] = {}
_words: dict[str, dict[str, str | None]] = {}  # per language: lower-cased word -> its lexeme, None: a stop word


def _pieces_of(config: Configuration) -> dict[str, tuple[str | None, ...]]:
    return _pieces.setdefault(config.name, {})


def learn_pieces(config: Configuration, pieces: set[str]) -> dict[str, tuple[str | None, ...]]:
    """Make every piece of text (whitespace-separated, without "<") known to ``config``; returns
    the configuration's piece -> items map."""
    known = _pieces_of(config)
    new = pieces.difference(known)
    if not new:
        return known
    if len(known) + len(new) > MAX_KEPT_PIECES:
        known.clear()
        _words.pop(config.language or "", None)
        new = pieces
    tokens: dict[str, list[tuple[Dictionary, str]]] = {}
    for piece in new:
        kept = []
        for type_id, token in text_parser.tokenize.__wrapped__(piece, True):
            dicts = config.dictionaries(type_id)
            if dicts and len(token.encode()) < 2047:  # longer: "word is too long to be indexed"
                kept.append((dicts[0], lower(token)))
        tokens[piece] = kept
    languages = {d.language for kept in tokens.values() for d, _ in kept if d.language}
    words = {language: _lexemes_of_words(language, {w for kept in tokens.values() for d, w in kept
                                                    if d.language == language})
             for language in languages}
    for piece, kept in tokens.items():
        known[piece] = tuple(words[d.language][w] if d.language else w for d, w in kept)
    return known


def _lexemes_of_words(language: str, lowered: set[str]) -> dict[str, str | None]:
    """lower-cased word -> its lexeme in ``language``'s stemming dictionary (None: a stop word)."""
    cache = _words.setdefault(language, {})
    missing = [w for w in lowered if w not in cache]
    if missing:
        stops = stop_words(language)
        to_stem = [w for w in missing if w not in stops]
        for w in missing:
            if w in stops:
                cache[w] = None
        for w, stem in zip(to_stem, _stemmer(language).stemWords(to_stem), strict=True):
            cache[w] = stem
    return cache
