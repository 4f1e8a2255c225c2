"""Text to tsvector and tsquery through a configuration: to_tsvector, to_tsquery and its kin.

Each operand of a query goes through the configuration's parser and dictionaries: the
lexemes of one operand are joined by ``<->`` (``&`` for plainto_tsquery), a stop word
leaves a gap that the phrase distance keeps, and stop words are then dropped from the tree.
"""

from __future__ import annotations

from helios_search import configurations as C
from helios_search import tsquery as Q
from helios_search import tsvector as V
from helios_search import vector_batches


def to_tsvector(config_name: str | None, text: str) -> V.TsVector:
    config = C.configuration(config_name)
    entries: dict[str, set[tuple[int, int]]] = {}
    for lexeme, pos in C.parse_words(config, text):
        entries.setdefault(lexeme, set()).add((pos, 0))
    return V.normalize(entries)


def to_tsvector_texts(config_name: str | None, texts: list[str | None]) -> list[str | None]:
    """to_tsvector of many texts, as tsvector output (vector_batches; texts it leaves out one by one)."""
    return vector_batches.to_tsvector_column(config_name, texts, lambda text: V.format(to_tsvector(config_name, text)))


def _morph(config: C.Configuration, operator: str):
    def morph(text: str, weights: int, prefix: bool) -> Q.Node | str:
        words = C.parse_words(config, text)
        if not words:
            return Q.STOP
        node: Q.Node | str | None = None
        last = 0
        for lexeme, pos in words:
            parts: list[Q.Node | str] = []
            if last and pos > last + 1:
                parts.extend([Q.STOP] * (pos - last - 1))
            if pos == last and node is not None:
                # another lexeme of the same token: a variant, OR-ed
                node = ("or", node, ("val", lexeme, weights, prefix)) if node[0] == "val" else node
                continue
            parts.append(("val", lexeme, weights, prefix))
            for part in parts:
                if node is None:
                    node = part
                elif operator == "phrase":
                    node = ("phrase", node, part, 1)
                else:
                    node = ("and", node, part)
            last = pos
        return node

    return morph


def to_tsquery(config_name: str | None, text: str) -> Q.Node | None:
    config = C.configuration(config_name)
    return Q.parse(text, _morph(config, "phrase"))


def plainto_tsquery(config_name: str | None, text: str) -> Q.Node | None:
    config = C.configuration(config_name)
    return Q.clean_stop_words(_morph(config, "and")(text, 0, False))


def phraseto_tsquery(config_name: str | None, text: str) -> Q.Node | None:
    config = C.configuration(config_name)
    return Q.clean_stop_words(_morph(config, "phrase")(text, 0, False))


_WEB_SEPARATORS = set("&|!()<:")  # tsquery's operator characters and ":" (">" is none)


def _web_items(text: str) -> list[tuple[str, str, int]]:
    """("phrase" | "word", text, negations) in order: quotes make a phrase, each leading '-'
    negates; tsquery's operator characters only separate words."""
    items = []
    i, n = 0, len(text)
    negate = 0
    while i < n:
        c = text[i]
        if c.isspace():  # a pending '-' still negates what follows
            i += 1
            continue
        if c in _WEB_SEPARATORS:
            i += 1
            negate = 0
            continue
        if c == '"':
            j = text.find('"', i + 1)
            j = n if j < 0 else j
            items.append(("phrase", text[i + 1:j], negate))
            negate = 0
            i = j + 1
            continue
        if c == "-":  # negates the next operand, even after spaces
            negate += 1
            i += 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] != '"' and text[j] not in _WEB_SEPARATORS:
            j += 1
        items.append(("word", text[i:j], negate))
        negate = 0
        i = j
    return items


def websearch_to_tsquery(config_name: str | None, text: str) -> Q.Node | None:
    """Web search syntax: "quoted phrase", ``or`` between two operands, ``-word``; the rest AND-ed."""
    config = C.configuration(config_name)
    morph = _morph(config, "phrase")
    items = _web_items(text)
    groups: list[list[Q.Node | str]] = [[]]
    k = 0
    while k < len(items):
        kind, word, negate = items[k]
        is_or = (kind == "word" and word.lower() == "or" and not negate and groups[-1]
                 and k + 1 < len(items))
        if is_or:
            groups.append([])
            k += 1
            kind, word, negate = items[k]  # what follows OR is an operand, even a second "or"
        node = morph(word, 0, False)
        for _ in range(negate if node != Q.STOP else 0):
            node = ("not", node)
        groups[-1].append(node)
        k += 1
    tree: Q.Node | str | None = None
    for group in groups:
        sub: Q.Node | str | None = None
        for node in group:
            sub = node if sub is None else ("and", sub, node)
        if sub is None:
            continue
        tree = sub if tree is None else ("or", tree, sub)
    if tree is None:
        return None
    return Q.clean_stop_words(tree)
