"""Binary wire format of tsvector and tsquery (tsvectorsend/tsvectorrecv, tsquerysend/tsqueryrecv).

The engine holds both types as their text output, so values go out from that text and come
back as text that the type's input function reads.

- tsvector: the lexeme count (int32), then per lexeme its UTF-8 bytes and a zero byte, the
  number of positions (int16) and each position (uint16: weight in the top two bits, A = 3).
- tsquery: the item count (int32), then the items in prefix order with the right operand
  before the left one: an operand is type 1, its weight bits (A = 8 ... D = 1), a prefix flag
  and its zero-terminated lexeme; an operator is type 2 and its code (1 ``!``, 2 ``&``, 3 ``|``,
  4 a phrase, followed by its distance as int16).
"""

from __future__ import annotations

import re
import struct

from helios_core.errors import HeliosError
from helios_protocol_pg import binary_codec as bc

TSVECTOR, TSQUERY = 3614, 3615
_i16 = struct.Struct("!h")
_u16 = struct.Struct("!H")
_i32 = struct.Struct("!i")

_LEXEME = r"'((?:[^'\\]|''|\\.)*)'"
_VECTOR_ENTRY = re.compile(_LEXEME + r"(?::([0-9]+[A-D]?(?:,[0-9]+[A-D]?)*))?")
_UNESCAPE = re.compile(r"''|\\(.)", re.DOTALL)
_WEIGHT = {"A": 3, "B": 2, "C": 1, "D": 0}
_WEIGHT_LETTER = "DCBA"


def _unescape(body: str) -> str:
    return _UNESCAPE.sub(lambda m: m.group(1) or "'", body) if ("'" in body or "\\" in body) else body


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _bad_text(type_name: str, text: str) -> Exception:
    return HeliosError(f'cannot send {type_name} value in binary: "{text}"', sqlstate="22P02")


def encode_tsvector(text: str) -> bytes:
    """tsvectorsend from the canonical output ``'a':1A,2 'b'``."""
    out = []
    count, i, n = 0, 0, len(text)
    while i < n:
        m = _VECTOR_ENTRY.match(text, i)
        if m is None:
            raise _bad_text("tsvector", text)
        out.append(_unescape(m.group(1)).encode() + b"\x00")
        positions = m.group(2).split(",") if m.group(2) else []
        out.append(_i16.pack(len(positions)))
        for p in positions:
            weight = _WEIGHT.get(p[-1])
            pos = int(p[:-1]) if weight is not None else int(p)
            out.append(_u16.pack(((weight or 0) << 14) | pos))
        count += 1
        i = m.end()
        if i < n and text[i] == " ":
            i += 1
    return _i32.pack(count) + b"".join(out)


def decode_tsvector(raw: bytes) -> str:
    """tsvectorrecv, as tsvector input text (the type's input sorts and merges)."""
    try:
        (count,), at = _i32.unpack_from(raw, 0), 4
        if count < 0:
            raise bc._bad("tsvector")
        parts = []
        for _ in range(count):
            end = raw.index(b"\x00", at)
            lexeme = raw[at:end].decode()
            if not lexeme:
                raise HeliosError("invalid tsvector: empty lexeme", sqlstate="22P03")
            (npos,), at = _i16.unpack_from(raw, end + 1), end + 3
            positions = []
            for _ in range(npos):
                (word,), at = _u16.unpack_from(raw, at), at + 2
                pos, weight = word & 0x3FFF, word >> 14
                if pos == 0:
                    raise bc._bad("tsvector", ": position 0")
                positions.append(f"{pos}{_WEIGHT_LETTER[weight] if weight else ''}")
            parts.append(_quote(lexeme) + (":" + ",".join(positions) if positions else ""))
    except (ValueError, struct.error, UnicodeDecodeError):
        raise bc._bad("tsvector") from None
    if at != len(raw):
        raise bc._bad("tsvector")
    return " ".join(parts)


# ---------------------------------------------------------------------------- tsquery

_QUERY_TOKEN = re.compile(r"\s*(?:" + _LEXEME + r"(?::([*A-D]+))?|(<->|<[0-9]+>)|([!&|()]))")
_OPERATOR_CODE = {"!": 1, "&": 2, "|": 3}
_PRIORITY = {"|": 1, "&": 2, "phrase": 3}


def _query_tokens(text: str) -> list[tuple[str, object]]:
    tokens: list[tuple[str, object]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i:].isspace():
            break
        m = _QUERY_TOKEN.match(text, i)
        if m is None:
            raise _bad_text("tsquery", text)
        lexeme, flags, phrase, op = m.groups()
        if lexeme is not None:
            flags = flags or ""
            weights = sum(1 << _WEIGHT[c] for c in set(flags) if c != "*")
            tokens.append(("val", (_unescape(lexeme), weights, "*" in flags)))
        elif phrase is not None:
            tokens.append(("phrase", 1 if phrase == "<->" else int(phrase[1:-1])))
        else:
            tokens.append((op, None))
        i = m.end()
    return tokens


def _parse_query(tokens: list[tuple[str, object]]) -> tuple:
    """The canonical output's tree: ``!`` binds tightest, then phrases, ``&``, ``|``; left-associative."""
    at = 0

    def primary() -> tuple:
        nonlocal at
        kind, value = tokens[at]
        at += 1
        if kind == "val":
            return ("val", value)
        if kind == "!":
            return ("not", primary())
        if kind == "(":
            node = binary(1)
            if tokens[at][0] != ")":
                raise ValueError("unbalanced")
            at += 1
            return node
        raise ValueError(kind)

    def binary(min_priority: int) -> tuple:
        nonlocal at
        left = primary()
        while at < len(tokens) and tokens[at][0] in _PRIORITY and _PRIORITY[tokens[at][0]] >= min_priority:
            kind, value = tokens[at]
            at += 1
            right = binary(_PRIORITY[kind] + 1)
            left = (kind, left, right, value)
        return left

    node = binary(1)
    if at != len(tokens):
        raise ValueError("trailing")
    return node


def encode_tsquery(text: str) -> bytes:
    """tsquerysend from the canonical output ``'a' & !( 'b' | 'c':*A )``."""
    if not text.strip():
        return _i32.pack(0)
    try:
        tree = _parse_query(_query_tokens(text))
    except (ValueError, IndexError):
        raise _bad_text("tsquery", text) from None
    items: list[bytes] = []

    def emit(node: tuple) -> None:
        kind = node[0]
        if kind == "val":
            lexeme, weights, prefix = node[1]
            items.append(bytes([1, weights, int(prefix)]) + lexeme.encode() + b"\x00")
        elif kind == "not":
            items.append(bytes([2, 1]))
            emit(node[1])
        else:
            if kind == "phrase":
                items.append(bytes([2, 4]) + _i16.pack(node[3]))
            else:
                items.append(bytes([2, _OPERATOR_CODE[kind]]))
            emit(node[2])
            emit(node[1])

    emit(tree)
    return _i32.pack(len(items)) + b"".join(items)


def decode_tsquery(raw: bytes) -> str:
    """tsqueryrecv, as tsquery input text (fully parenthesized)."""
    try:
        (count,), at = _i32.unpack_from(raw, 0), 4
        if count < 0:
            raise bc._bad("tsquery")
        if count == 0:  # PostgreSQL 15 cannot read back the empty query it sends either
            raise HeliosError("malformed tsquery: operand not found", sqlstate="XX000")

        def item() -> str:
            nonlocal at, count
            if count <= 0:
                raise bc._bad("tsquery", ": malformed")
            count -= 1
            kind = raw[at]
            if kind == 1:
                weights, prefix = raw[at + 1], raw[at + 2]
                end = raw.index(b"\x00", at + 3)
                lexeme = raw[at + 3:end].decode()
                at = end + 1
                if weights > 15 or prefix > 1:
                    raise bc._bad("tsquery")
                flags = ("*" if prefix else "") + "".join(c for c in "ABCD" if weights & (1 << _WEIGHT[c]))
                return _quote(lexeme) + (":" + flags if flags else "")
            if kind != 2:
                raise bc._bad("tsquery", ": unknown item type")
            code = raw[at + 1]
            at += 2
            if code == 1:
                return f"!( {item()} )"
            if code == 4:
                (distance,), at = _i16.unpack_from(raw, at), at + 2
                symbol = "<->" if distance == 1 else f"<{distance}>"
            elif code in (2, 3):
                symbol = "&" if code == 2 else "|"
            else:
                raise bc._bad("tsquery", ": unknown operator")
            right = item()
            left = item()
            return f"( {left} {symbol} {right} )"

        text = item()
    except (IndexError, ValueError, struct.error, UnicodeDecodeError):
        raise bc._bad("tsquery") from None
    if at != len(raw) or count:
        raise bc._bad("tsquery")
    return text


bc.ENCODERS[TSVECTOR] = encode_tsvector
bc.DECODERS[TSVECTOR] = decode_tsvector
bc.ENCODERS[TSQUERY] = encode_tsquery
bc.DECODERS[TSQUERY] = decode_tsquery
