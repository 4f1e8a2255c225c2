"""json (not jsonb) values keep the text they were written in.

PostgreSQL's json type stores its input verbatim, and what its operators and functions hand
back as json (``->``, ``#>``, json_each, json_array_elements...) is the exact piece of the
input: ``'{"a": [1, 2]}'::json -> 'a'`` is ``[1, 2]``, spaces and all, and ``1.50`` or
``"\\u00e9"`` stay as written. jsonb normalises instead. ``loads_keeping_text`` parses a json
text into the usual Python values (dict, list, str, int, Decimal...) whose instances also
carry ``raw``, the text they came from; ``jsonb.text_of`` gives that text back (a value built
anywhere else is rendered as jsonb renders it).

Scalars and keys are read by the standard library's JSON scanner; only the containers are
walked here, to know where each value starts and ends.
"""

from __future__ import annotations

import decimal
import json
from typing import Any

_scan = json.decoder.JSONDecoder(parse_float=decimal.Decimal, parse_int=int).scan_once
_SPACE = " \t\n\r"


class RawDict(dict):
    raw: str


class RawList(list):
    raw: str


class RawStr(str):
    raw: str


class RawInt(int):
    raw: str


class RawDecimal(decimal.Decimal):
    raw: str


_WRAP = {str: RawStr, int: RawInt, decimal.Decimal: RawDecimal}


def loads_keeping_text(text: str) -> Any:
    """The value of a (valid) json text; dicts, lists, strings and numbers carry ``raw``."""
    return _value(text, _skip(text, 0))[0]


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _SPACE:
        i += 1
    return i


def _value(text: str, i: int) -> tuple[Any, int]:
    ch = text[i]
    if ch == "{":
        out: Any = RawDict()
        j = _skip(text, i + 1)
        if text[j] != "}":
            while True:
                key, j = _scan(text, j)
                j = _skip(text, _skip(text, j) + 1)  # past ':'
                out[key], j = _value(text, j)
                j = _skip(text, j)
                if text[j] == "}":
                    break
                j = _skip(text, j + 1)  # past ','
    elif ch == "[":
        out = RawList()
        j = _skip(text, i + 1)
        if text[j] != "]":
            while True:
                item, j = _value(text, j)
                out.append(item)
                j = _skip(text, j)
                if text[j] == "]":
                    break
                j = _skip(text, j + 1)
    else:
        value, end = _scan(text, i)
        wrap = _WRAP.get(type(value))
        if wrap is None:  # true, false, null
            return value, end
        out = wrap(value)
        out.raw = text[i:end]
        return out, end
    out.raw = text[i:j + 1]
    return out, j + 1
