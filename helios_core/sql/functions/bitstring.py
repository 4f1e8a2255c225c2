"""bit(n) and bit varying(n): strings of 0s and 1s, as PostgreSQL's varbit.c reads and casts them.

A value is stored as the text of its digits ('0101'), which is also its output; the string
order of such texts is PostgreSQL's bit_cmp (the common prefix first, then the shorter one
first), so comparisons, sorting, grouping and btree indexes need nothing of their own. The
operators and functions are in ``bitstring_ops``.
"""

from __future__ import annotations

import pyarrow as pa

from helios_core.errors import HeliosError, InvalidTextRepresentation, NumericValueOutOfRange
from helios_core.sql import types as T

BIT_TYPES = T.BIT_TYPE_NAMES
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class StringDataLengthMismatch(HeliosError):
    sqlstate = "22026"


def is_bits(t: T.SqlType) -> bool:
    return t.name in BIT_TYPES and t.element is None


# ------------------------------------------------------------------------------------ input, typmod

def parse_one(text: str) -> str:
    """bit_in: binary digits, or hex digits after a leading x ('x1F' is 00011111); a leading b
    marks binary explicitly. 22P02 names the first bad digit."""
    body, hexa = text, False
    if body[:1] in ("b", "B"):
        body = body[1:]
    elif body[:1] in ("x", "X"):
        body, hexa = body[1:], True
    if hexa:
        for ch in body:
            if ch not in _HEX_DIGITS:
                raise InvalidTextRepresentation(f'"{ch}" is not a valid hexadecimal digit')
        return "".join(format(int(ch, 16), "04b") for ch in body)
    for ch in body:
        if ch not in "01":
            raise InvalidTextRepresentation(f'"{ch}" is not a valid binary digit')
    return body


def parse(arr: pa.Array) -> pa.Array:
    return pa.array([None if x is None else parse_one(x) for x in arr.cast(pa.string()).to_pylist()], pa.string())


def apply_typmod(arr: pa.Array, t: T.SqlType, context: str) -> pa.Array:
    """bit(n) takes exactly n bits and bit varying(n) at most n: an explicit cast pads with
    zeros or truncates, any other assignment of another length is 22026."""
    n = t.typmod
    if n < 0:
        return arr
    out = []
    for x in arr.to_pylist():
        if x is None or len(x) == n or (t.name == "varbit" and len(x) < n):
            out.append(x)
        elif context == "explicit":
            out.append(x[:n].ljust(n, "0") if t.name == "bit" else x[:n])
        elif t.name == "bit":
            raise StringDataLengthMismatch(f"bit string length {len(x)} does not match type bit({n})")
        else:
            raise StringDataLengthMismatch(f"bit string too long for type bit varying({n})")
    return pa.array(out, pa.string())


# -------------------------------------------------------------------------------------- integers

def from_integer(arr: pa.Array, t: T.SqlType) -> pa.Array:
    """int4/int8 -> bit(n): the low n bits of the two's complement (sign-extended past the
    integer's width); bit without a length is bit(1)."""
    n = t.typmod if t.typmod > 0 else 1
    mask = (1 << n) - 1
    return pa.array([None if x is None else format(x & mask, f"0{n}b") for x in arr.to_pylist()], pa.string())


def to_integer(arr: pa.Array, name: str) -> pa.Array:
    """bit -> int4/int8: the bits as an unsigned number, wrapped to the signed width (22003
    for more bits than the integer has)."""
    width = 64 if name == "int8" else 32
    out = []
    for x in arr.to_pylist():
        if x is None:
            out.append(None)
            continue
        if len(x) > width:
            raise NumericValueOutOfRange("bigint out of range" if width == 64 else "integer out of range")
        v = int(x, 2) if x else 0
        out.append(v - (1 << width) if v >= 1 << (width - 1) else v)
    return pa.array(out, pa.int64() if width == 64 else pa.int32())
