"""Text to tsvector and tsquery through a configuration: to_tsvector, to_tsquery and its kin.

Each operand of a query goes through the configuration's parser and dictionaries: the
lexemes of one operand are joined by ``<->`` (``&`` for plainto_tsquery), a stop word
leaves a gap that the phrase distance keeps, and stop words are then dropped from the tree.
"""

from __future__ import annotations

from helios_search import configurations as C
from helios_search import tsquery as Q
from helios_search import tsvector as V


def to_tsvector(config_name: str | None, text: str) -> V.TsVector:
    config = C.configuration(config_name)
    entries: dict[str, set[tuple[int, int]]] = {}
    for lexeme, pos in C.parse_words(config, text):
        entries.setdefault(lexeme, set()).add((pos, 0))
    return V.normalize(entries)


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


_WEB_SPECIAL = set("&|!()<>:*'\\")


def websearch_to_tsquery(config_name: str | None, text: str) -> Q.Node | None:
    """Web search syntax: "quoted phrase", ``or``, ``-word``; other words are AND-ed."""
    config = C.configuration(config_name)
    morph = _morph(config, "phrase")
    items: list[tuple[str, Q.Node | str]] = []  # ("op", node) or ("or", "")
    i, n = 0, len(text)
    negate = False
    while i < n:
        c = text[i]
        if c.isspace() or (c in _WEB_SPECIAL):
            i += 1
            continue
        if c == "-" and not negate:
            negate = True
            i += 1
            continue
        if c == '"':
            j = text.find('"', i + 1)
            j = n if j < 0 else j
            inner = "".join(" " if ch in _WEB_SPECIAL else ch for ch in text[i + 1:j])
            node = morph(inner, 0, False)
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] != '"' and text[j] not in _WEB_SPECIAL:
                j += 1
            word = text[i:j]
            i = j
            if word.lower() == "or" and not negate:
                items.append(("or", ""))
                continue
            node = morph(word, 0, False)
        if negate and node != Q.STOP:
            node = ("not", node)
        negate = False
        items.append(("op", node))
    # drop ORs that do not sit between two operands
    groups: list[list[Q.Node | str]] = [[]]
    for kind, node in items:
        if kind == "or":
            if groups[-1]:
                groups.append([])
        else:
            groups[-1].append(node)
    if not groups[-1]:
        groups.pop()
    tree: Q.Node | str | None = None
    for group in groups:
        sub: Q.Node | str | None = None
        for node in group:
            sub = node if sub is None else ("and", sub, node)
        tree = sub if tree is None else ("or", tree, sub)
    if tree is None:
        return None
    return Q.clean_stop_words(tree)
