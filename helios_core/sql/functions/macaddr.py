"""macaddr and macaddr8: MAC addresses, as PostgreSQL's mac.c and mac8.c read and print them.

A value is stored as its output text, lower-case hex bytes joined by colons; that text orders
as PostgreSQL orders the bytes, so comparisons, sorting and indexes need nothing of their own.
A 6-byte address read as macaddr8 gets FF:FE in its middle (the EUI-64 of the EUI-48).
"""

from __future__ import annotations

import re

import pyarrow as pa

from helios_core.errors import HeliosError, InvalidTextRepresentation, NumericValueOutOfRange

MAC_TYPES = ("macaddr", "macaddr8")

# mac.c's sscanf formats: %x reads any number of hex digits, %2x one or two; both skip blanks
# before the number and never give back what they read (hence the possessive quantifiers)
_H = r"\s*([0-9A-Fa-f]{1,2}+)"
_HX = r"\s*([0-9A-Fa-f]++)"
_MACADDR_FORMATS = [
    re.compile(":".join([_HX] * 6) + r"\s*$"),
    re.compile("-".join([_HX] * 6) + r"\s*$"),
    re.compile(_H * 3 + ":" + _H * 3 + r"\s*$"),
    re.compile(_H * 3 + "-" + _H * 3 + r"\s*$"),
    re.compile(_H * 2 + r"\." + _H * 2 + r"\." + _H * 2 + r"\s*$"),
    re.compile(_H * 2 + "-" + _H * 2 + "-" + _H * 2 + r"\s*$"),
    re.compile(_H * 6 + r"\s*$"),
]
_SEPARATORS = ":-."
_HEX = frozenset("0123456789abcdefABCDEF")


def _bad(kind: str, text: str) -> HeliosError:
    return InvalidTextRepresentation(f'invalid input syntax for type {kind}: "{text}"')


def text_of(octets: list[int] | bytes) -> str:
    return ":".join(f"{b:02x}" for b in octets)


def parse_macaddr(text: str) -> str:
    """macaddr_in: the seven spellings of mac.c (08:00:2b:01:02:03, 08002b-010203, ...),
    with blanks around; an octet over 255 is 22P02 "invalid octet value"."""
    for fmt in _MACADDR_FORMATS:
        m = fmt.match(text)
        if m is None:
            continue
        octets = [int(g, 16) for g in m.groups()]
        if any(o > 255 for o in octets):
            raise InvalidTextRepresentation(f'invalid octet value in "macaddr" value: "{text}"')
        return text_of(octets)
    raise _bad("macaddr", text)


def parse_macaddr8(text: str) -> str:
    """macaddr8_in: 6 or 8 bytes of two hex digits, each optionally followed by one separator
    (':', '-' or '.', the same throughout), blanks around; 6 bytes become EUI-64 (FF:FE inserted)."""
    s = text.lstrip(" \t\n\r\f\v")
    octets: list[int] = []
    spacer = ""
    i = 0
    while i + 1 < len(s):
        hi, lo = s[i], s[i + 1]
        if hi not in _HEX or lo not in _HEX or len(octets) == 8:
            raise _bad("macaddr8", text)
        octets.append(int(hi + lo, 16))
        i += 2
        if i < len(s) and s[i] in _SEPARATORS:
            if spacer and s[i] != spacer:
                raise _bad("macaddr8", text)
            spacer = s[i]
            i += 1
        if len(octets) in (6, 8) and i < len(s) and s[i].isspace():
            if s[i:].strip():
                raise _bad("macaddr8", text)
            i = len(s)
    if i < len(s) and not s[i:].isspace():
        raise _bad("macaddr8", text)
    if len(octets) == 6:
        octets[3:3] = [0xFF, 0xFE]
    elif len(octets) != 8:
        raise _bad("macaddr8", text)
    return text_of(octets)


def parse(arr: pa.Array, kind: str) -> pa.Array:
    fn = parse_macaddr if kind == "macaddr" else parse_macaddr8
    return pa.array([None if x is None else fn(x) for x in arr.cast(pa.string()).to_pylist()], pa.string())


def to_macaddr8(arr: pa.Array) -> pa.Array:
    """macaddr -> macaddr8: FF:FE in the middle."""
    return pa.array([None if x is None else x[:8] + ":ff:fe" + x[8:] for x in arr.to_pylist()], pa.string())


def to_macaddr(arr: pa.Array) -> pa.Array:
    """macaddr8 -> macaddr: only an address with FF:FE as its 4th and 5th bytes (22003 otherwise)."""
    out = []
    for x in arr.to_pylist():
        if x is None:
            out.append(None)
            continue
        if x[9:14] != "ff:fe":
            raise NumericValueOutOfRange(
                "macaddr8 data out of range to convert to macaddr",
                hint="Only addresses that have FF and FE as values in the 4th and 5th bytes from the left, "
                     "for example xx:xx:xx:ff:fe:xx:xx:xx, are eligible to be converted from macaddr8 to macaddr.")
        out.append(x[:8] + x[14:])
    return pa.array(out, pa.string())
