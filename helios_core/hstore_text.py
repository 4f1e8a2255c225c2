"""hstore's text and binary forms: parse, canonical order, print (no SQL machinery here).

An hstore value is a set of key/value pairs of strings (a value may be NULL). PostgreSQL stores
the pairs sorted by the key's length in bytes, then by its bytes, one pair per key (of duplicate
keys in the input the first is kept); its output prints them in that order as
``"key"=>"value"`` (``\\`` and ``"`` escaped, a NULL value as NULL), separated by ``, ``. Input
reads keys and values quoted or bare (a backslash escapes the next character) and a bare NULL
value, in any case, as NULL; malformed input is PostgreSQL 15's XX000 error.
"""

from __future__ import annotations

import json
import re
import struct

from helios_core.errors import HeliosError

Pairs = dict[str, str | None]
# the type's OIDs (and its array's): fixed numbers in the range user-defined objects take
OID, ARRAY_OID = 1_790_066, 1_108_085

_I32 = struct.Struct("!i")


def _key_order(key: str) -> tuple[int, bytes]:
    raw = key.encode()
    return len(raw), raw


def canonical(pairs: list[tuple[str, str | None]]) -> Pairs:
    """The pairs in PostgreSQL's storage order, the first of duplicate keys kept."""
    out: Pairs = {}
    for k, v in pairs:
        out.setdefault(k, v)
    return {k: out[k] for k in sorted(out, key=_key_order)}


def _syntax(text: str, i: int) -> HeliosError:
    return HeliosError(f'Syntax error near "{text[i]}" at position {len(text[:i].encode())}', sqlstate="XX000")


def _end() -> HeliosError:
    return HeliosError("Unexpected end of string", sqlstate="XX000")


def _token(text: str, i: int, is_value: bool) -> tuple[str | None, bool, int]:
    """One key or value from ``i``: (text or None at the end of input, quoted?, next position).
    A bare key ends before ``=``, a bare value before ``,``; both end at white space."""
    n = len(text)
    while i < n and text[i].isspace():
        i += 1
    if i >= n:
        return None, False, i
    if text[i] == "=" and not is_value:
        raise _syntax(text, i)
    buf: list[str] = []
    if text[i] == '"':
        i += 1
        while True:
            if i >= n:
                raise _end()
            c = text[i]
            if c == "\\":
                if i + 1 >= n:
                    raise _end()
                buf.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                return "".join(buf), True, i + 1
            buf.append(c)
            i += 1
    while i < n:
        c = text[i]
        if c == "\\":
            if i + 1 >= n:
                raise _end()
            buf.append(text[i + 1])
            i += 2
            continue
        if (c == "=" and not is_value) or (c == "," and is_value):
            break
        if c.isspace():
            i += 1
            break
        buf.append(c)
        i += 1
    return "".join(buf), False, i


def parse(text: str) -> Pairs:
    """An hstore's text input as canonical pairs."""
    pairs: list[tuple[str, str | None]] = []
    n = len(text)
    i = 0
    while True:
        key, _quoted, i = _token(text, i, is_value=False)
        if key is None:
            break
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise _end()
        if text[i] != "=":
            raise _syntax(text, i)
        i += 1
        if i >= n:
            raise _end()
        if text[i] != ">":
            raise _syntax(text, i)
        value, quoted, i = _token(text, i + 1, is_value=True)
        if value is None:
            raise _end()
        pairs.append((key, None if not quoted and value.upper() == "NULL" else value))
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        if text[i] != ",":
            raise _syntax(text, i)
        i += 1
    return canonical(pairs)


def _quoted(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_pairs(pairs: Pairs) -> str:
    """The text output of canonical pairs."""
    return ", ".join(f"{_quoted(k)}=>{'NULL' if v is None else _quoted(v)}" for k, v in pairs.items())


def normalize(text: str) -> str:
    """Text input as the canonical text HeliosDB stores."""
    return format_pairs(parse(text))


def to_binary(pairs: Pairs) -> bytes:
    """hstore_send: the pair count, then per pair the key's length and bytes and the value's
    length (-1 for NULL) and bytes."""
    out = [_I32.pack(len(pairs))]
    for k, v in pairs.items():
        kb = k.encode()
        out += [_I32.pack(len(kb)), kb]
        if v is None:
            out.append(_I32.pack(-1))
        else:
            vb = v.encode()
            out += [_I32.pack(len(vb)), vb]
    return b"".join(out)


def from_binary(data: bytes) -> Pairs:
    """hstore_recv (22P03 for malformed data, 22004 for a NULL key, as PostgreSQL)."""
    bad = HeliosError("insufficient data left in message", sqlstate="08P01")
    try:
        (count,) = _I32.unpack_from(data, 0)
        pos = 4
        pairs: list[tuple[str, str | None]] = []
        for _ in range(count):
            (kl,) = _I32.unpack_from(data, pos)
            pos += 4
            if kl < 0:
                raise HeliosError("null value not allowed for hstore key", sqlstate="22004")
            key = data[pos:pos + kl].decode()
            pos += kl
            (vl,) = _I32.unpack_from(data, pos)
            pos += 4
            value = None if vl < 0 else data[pos:pos + vl].decode()
            pos += max(vl, 0)
            if pos > len(data):
                raise bad
            pairs.append((key, value))
    except struct.error as exc:
        raise bad from exc
    except UnicodeDecodeError as exc:
        raise HeliosError("invalid byte sequence for encoding \"UTF8\"", sqlstate="22021") from exc
    if pos != len(data):
        raise HeliosError("incorrect binary data format in hstore", sqlstate="22P03")
    return canonical(pairs)


def to_json(pairs: Pairs, *, loose: bool = False) -> str:
    """hstore_to_json (every value a string or null); ``loose``: hstore_to_json_loose, which
    writes values that read as numbers or booleans ('t', 'f') as such."""
    def value(v: str | None) -> str:
        if v is None:
            return "null"
        if loose and v in ("t", "f"):
            return "true" if v == "t" else "false"
        if loose and _JSON_NUMBER.fullmatch(v):
            return v
        return json.dumps(v, ensure_ascii=False)
    return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {value(v)}" for k, v in pairs.items()) + "}"


_JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
