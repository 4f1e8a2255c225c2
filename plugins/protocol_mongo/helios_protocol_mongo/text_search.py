"""MongoDB text indexes, ``$text`` and ``{$meta: "textScore"}``, served by the search plugin's SQL.

A text index ``{content: "text", title: "text"}`` is the SQL GIN index
``USING gin ((to_tsvector('english', coalesce(doc #>> '{content}', '') || ' ' || ...)))``; a
``$text`` filter is the condition ``<that expression> @@ <tsquery>``, which the planner answers
with the index (the same machinery as PostgreSQL's GIN), and textScore is ``ts_rank`` of the
same pair. ``$search`` reads as MongoDB reads it: words match if any is present, quoted phrases
must all be present (the words then only rank), ``-word`` / ``-"phrase"`` exclude; words are
stemmed and stop words dropped in the index's language (``default_language``, or the query's
``$language``). textScore values are ts_rank's, not MongoDB's formula: they order documents by
relevance, but the numbers differ. Needs the search plugin (helios-search).
"""

from __future__ import annotations

import re
from typing import Any

from helios_protocol_mongo.errors import MongoError

LANGUAGES = {"none": "simple", "danish": "danish", "da": "danish", "dutch": "dutch", "nl": "dutch",
             "english": "english", "en": "english", "finnish": "finnish", "fi": "finnish", "french": "french",
             "fr": "french", "german": "german", "de": "german", "hungarian": "hungarian", "hu": "hungarian",
             "italian": "italian", "it": "italian", "norwegian": "norwegian", "nb": "norwegian",
             "portuguese": "portuguese", "pt": "portuguese", "romanian": "romanian", "ro": "romanian",
             "russian": "russian", "ru": "russian", "spanish": "spanish", "es": "spanish", "swedish": "swedish",
             "sv": "swedish", "turkish": "turkish", "tr": "turkish"}
TEXT_KEY = {"_fts": "text", "_ftsx": 1}
_TOKENS = re.compile(r'(-?)"([^"]*)"|(\S+)')


class ScoredDocument(dict):
    """A document found by ``$text``, with its textScore."""

    text_score: float = 0.0


def is_text_key(key: dict[str, Any]) -> bool:
    return any(v == "text" for v in key.values())


def language(name: Any) -> str:
    config = LANGUAGES.get(str(name).lower()) if isinstance(name, str) else None
    if config is None:
        raise MongoError(17262, f"language override unsupported: {name}")
    return config


def definition(spec: dict[str, Any], name: str) -> dict[str, Any]:
    """The listIndexes form of a new text index (fields all "text"; weights all 1)."""
    key = spec["key"]
    if not all(v == "text" for v in key.values()):
        raise MongoError(67, "text indexes mixed with ascending/descending fields are not supported by HeliosDB")
    weights = spec.get("weights")
    if weights is not None and (not isinstance(weights, dict) or any(w != 1 for w in weights.values())):
        raise MongoError(67, "text index weights are not supported by HeliosDB (every field weighs 1)")
    if "language_override" in spec and spec["language_override"] != "language":
        raise MongoError(67, "language_override is not supported by HeliosDB")
    default_language = spec.get("default_language", "english")
    language(default_language)
    return {"v": 2, "key": dict(TEXT_KEY), "name": name, "weights": {f: 1 for f in key},
            "default_language": default_language, "language_override": "language", "textIndexVersion": 3}


def vector_sql(spec: dict[str, Any]) -> str:
    """The indexed expression: the fields' text, in the index's language."""
    parts = []
    for path in spec["weights"]:
        elements = ",".join('"' + p.replace('"', '\\"') + '"' for p in path.split("."))
        parts.append(f"coalesce(doc #>> '{{{elements.replace(chr(39), chr(39) * 2)}}}', '')")
    joined = " || ' ' || ".join(parts)
    return f"to_tsvector('{language(spec['default_language'])}', {joined})"


def split(spec: Any) -> tuple[dict[str, Any] | None, Any]:
    """(the $text argument or None, the filter without it); $text elsewhere than the top is refused."""
    if not isinstance(spec, dict) or "$text" not in spec:
        _refuse_nested(spec)
        return None, spec
    rest = {k: v for k, v in spec.items() if k != "$text"}
    _refuse_nested(rest)
    text = spec["$text"]
    if not isinstance(text, dict) or not isinstance(text.get("$search"), str):
        raise MongoError(2, "$search needs a String")
    for option in ("$caseSensitive", "$diacriticSensitive"):
        if text.get(option):
            raise MongoError(2, f"{option} is not supported by HeliosDB")
    unknown = set(text) - {"$search", "$language", "$caseSensitive", "$diacriticSensitive"}
    if unknown:
        raise MongoError(2, f"unknown operator: {min(unknown)}")
    return text, rest


def _refuse_nested(spec: Any) -> None:
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "$text":
                raise MongoError(2, "$text is supported only at the top level of a filter by HeliosDB")
            if isinstance(value, (dict, list)):
                _refuse_nested(value)
    elif isinstance(spec, list):
        for item in spec:
            _refuse_nested(item)


def query_sql(text: dict[str, Any], spec: dict[str, Any], first_param: int) -> tuple[str, list[str]]:
    """The tsquery of ``$search`` as SQL over parameters ``$first_param``...: (sql, parameter values)."""
    config = language(text.get("$language", spec["default_language"]))
    words, phrases, excluded = [], [], []
    for m in _TOKENS.finditer(text["$search"]):
        negated, phrase, word = m.group(1), m.group(2), m.group(3)
        if phrase is not None:
            (excluded if negated else phrases).append(f'"{phrase}"')
        elif word.startswith("-") and len(word) > 1:
            excluded.append(word[1:].replace('"', " "))
        else:
            words.append(word.replace('"', " "))
    wanted = " ".join(phrases) if phrases else " or ".join(w for w in words if w.lower() != "or")
    params = [wanted]
    sql = f"websearch_to_tsquery('{config}', ${first_param})"
    if excluded:
        params.append(" ".join(f"-{e}" for e in excluded))
        sql = f"({sql} && websearch_to_tsquery('{config}', ${first_param + 1}))"
    return sql, params


def text_index(indexes: list[dict[str, Any]]) -> dict[str, Any]:
    for spec in indexes:
        if spec.get("key") == TEXT_KEY:
            return spec
    raise MongoError(27, "text index required for $text query")


def sort_by_score(direction: Any) -> bool:
    return isinstance(direction, dict) and direction == {"$meta": "textScore"}
