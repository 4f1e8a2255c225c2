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


_WEB_OPERATORS = frozenset("!&|()<")  # tsquery's operator characters: skipped between operands


def _or_at(text: str, i: int) -> bool:
    """Whether an OR operator starts at ``i`` (after an operand): 'or' in any case, not followed
    by a letter, digit, '-' or '_', with something other than spaces somewhere after it."""
    if text[i:i + 2].lower() != "or" or i + 2 >= len(text):
        return False
    c = text[i + 2]
    if c in "-_" or c.isalnum():
        return False
    return any(not x.isspace() for x in text[i + 3:])


def _web_items(text: str) -> list[tuple[str, str, int]]:
    """("phrase" | "word", text, negations) and ("or", "", 0) in order, read as PostgreSQL reads
    web search text: waiting for an operand, each '-' negates it, quotes make a phrase, operator
    characters and spaces are skipped, and a word runs to a space, quote, operator character or
    a ':' after its first character; after an operand, OR is an operator, operator characters and
    spaces are skipped, and anything else starts the next operand (AND)."""
    items: list[tuple[str, str, int]] = []
    i, n = 0, len(text)
    negate = 0
    want_operand = True
    while i < n:
        c = text[i]
        if want_operand:
            if c == "-":
                negate += 1
                i += 1
            elif c == '"':
                j = text.find('"', i + 1)
                j = n if j < 0 else j
                items.append(("phrase", text[i + 1:j], negate))
                negate, want_operand, i = 0, False, j + 1
            elif c.isspace() or c in _WEB_OPERATORS:
                i += 1
            else:
                j = i + 1
                while j < n and not text[j].isspace() and text[j] not in _WEB_OPERATORS and text[j] not in '":':
                    j += 1
                items.append(("word", text[i:j], negate))
                negate, want_operand, i = 0, False, j
        elif _or_at(text, i):
            items.append(("or", "", 0))
            want_operand, i = True, i + 2
        elif c.isspace() or c in _WEB_OPERATORS:
            i += 1
        else:
            want_operand = True  # the next operand, AND-ed
    return items


def websearch_to_tsquery(config_name: str | None, text: str) -> Q.Node | None:
    """Web search syntax: "quoted phrase", ``or`` between two operands, ``-word``; the rest AND-ed."""
    config = C.configuration(config_name)
    morph = _morph(config, "phrase")
    items = _web_items(text)
    groups: list[list[Q.Node | str]] = [[]]
    for kind, word, negate in items:
        if kind == "or":
            groups.append([])  # an OR with nothing after it is dropped with its empty group
            continue
        node = morph(word, 0, False)
        for _ in range(negate if node != Q.STOP else 0):
            node = ("not", node)
        groups[-1].append(node)
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
