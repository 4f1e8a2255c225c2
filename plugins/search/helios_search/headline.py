"""ts_headline: the document with the query's words marked (StartSel/StopSel).

Options are PostgreSQL's (``StartSel``, ``StopSel``, ``MaxWords``, ``MinWords``, ``ShortWord``,
``HighlightAll``, ``MaxFragments``, ``FragmentDelimiter``). The excerpt starts at the first
word that matches the query and holds at most MaxWords words; HighlightAll keeps the whole
document. PostgreSQL's cover-choosing heuristics are approximated, not reproduced.
"""

from __future__ import annotations

from typing import Any

from helios_core.errors import HeliosError
from helios_search import configurations as C
from helios_search import text_parser
from helios_search import tsquery as Q

_DEFAULTS = {"startsel": "<b>", "stopsel": "</b>", "maxwords": "35", "minwords": "15", "shortword": "3",
             "highlightall": "false", "maxfragments": "0", "fragmentdelimiter": " ... "}


def _options(text: str | None) -> dict[str, str]:
    opts = dict(_DEFAULTS)
    if not text:
        return opts
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise HeliosError(f'unrecognized headline parameter: "{part.strip()}"', sqlstate="22023")
        key, value = part.split("=", 1)
        key = key.strip().lower()
        if key not in opts:
            raise HeliosError(f'unrecognized headline parameter: "{key}"', sqlstate="22023")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        opts[key] = value
    return opts


def _flag(value: str) -> bool:
    return value.lower() in ("1", "on", "true", "t", "y", "yes")


def headline(config_name: str | None, document: str, query: Q.Node | None, options: str | None) -> str:
    opts = _options(options)
    max_words, min_words = int(opts["maxwords"]), int(opts["minwords"])
    if min_words >= max_words:
        raise HeliosError('MinWords should be less than MaxWords', sqlstate="22023")
    if min_words <= 0:
        raise HeliosError('MinWords should be positive', sqlstate="22023")
    config = C.configuration(config_name)
    wanted = {(n[1], n[3]) for n in Q.operands(query)}
    tokens = text_parser.tokenize(document)
    marked: list[tuple[str, bool, bool]] = []  # (text, is_word, matches)
    for type_id, token in tokens:
        if type_id == text_parser.URL:  # a URL is shown through its host and path tokens
            continue
        dicts = config.dictionaries(type_id)
        hit = False
        if dicts:
            for lexeme in dicts[0].lexize(token):
                hit = hit or any(lexeme == w or (prefix and lexeme.startswith(w)) for w, prefix in wanted)
        parent_hword = type_id in (text_parser.ASCIIHWORD, text_parser.HWORD, text_parser.NUMHWORD)
        if parent_hword:
            continue  # its parts follow
        marked.append((token, bool(dicts), hit))
    start_sel, stop_sel = opts["startsel"], opts["stopsel"]
    if _flag(opts["highlightall"]):
        chosen = range(len(marked))
    else:
        first = next((i for i, m in enumerate(marked) if m[2]), None)
        begin = first if first is not None else 0
        count = 0
        end = begin
        limit = max_words if first is not None else min_words
        while end < len(marked):
            if marked[end][1]:
                count += 1
                if count > limit:
                    break
            end += 1
        while end > begin and not marked[end - 1][1]:
            end -= 1
        chosen = range(begin, end)
    out = []
    for i in chosen:
        text, _, hit = marked[i]
        out.append(f"{start_sel}{text}{stop_sel}" if hit else text)
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
        return headline(config.name, args[1], query, None)
    except HeliosError:
        return headline(None, args[0], Q.parse_cached(args[1]), args[2])
