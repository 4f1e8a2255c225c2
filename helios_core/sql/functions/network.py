"""inet and cidr: IPv4/IPv6 host addresses and networks, as PostgreSQL reads, prints and orders them.

Values are stored as their output text ('192.168.0.1', '10.1.0.0/16', '2001:db8::/32'), which
is canonical, so equality is equality of strings; ordering (family, then address, then prefix
length, as PostgreSQL's network_cmp) goes through a binary sort key. The functions and
operators over them live in ``network_ops``; this module reads and writes the text.

Input is PostgreSQL's, not the standard library's: IPv4 octets may have leading zeros and may
be abbreviated ('10.1/16'); a cidr with no prefix length takes its old address class ('10' is
10.0.0.0/8). IPv6 addresses are parsed by the ipaddress module, and printed as PostgreSQL does
(``::1.2.3.4`` and ``::ffff:1.2.3.4`` keep their dotted tail).
"""

from __future__ import annotations

import ipaddress
import re

import pyarrow as pa

from helios_core.errors import HeliosError, InvalidTextRepresentation
from helios_core.sql import types as T

NETWORK_TYPES = ("inet", "cidr")
MAX_BITS = {4: 32, 6: 128}

_IPV4 = re.compile(r"^([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:\.([0-9]+))?(?:/([0-9]+))?$")
_IPV6 = re.compile(r"^([0-9A-Fa-f:.]+)(?:/([0-9]+))?$")


class Address(tuple):
    """(family 4 or 6, address as an int, prefix length): what every network function works on."""

    family = property(lambda self: self[0])
    addr = property(lambda self: self[1])
    bits = property(lambda self: self[2])

    @property
    def max_bits(self) -> int:
        return MAX_BITS[self[0]]

    @property
    def netmask(self) -> int:
        m = self.max_bits
        return ((1 << self[2]) - 1) << (m - self[2])

    @property
    def hostmask(self) -> int:
        return (1 << (self.max_bits - self[2])) - 1


def _bad(kind: str, text: str) -> HeliosError:
    return InvalidTextRepresentation(f'invalid input syntax for type {kind}: "{text}"')


def _classful_bits(first: int, octets: int) -> int:
    """The prefix length a cidr written without one takes: its address class, widened to cover
    the octets written (224 alone is the class D network 224.0.0.0/4)."""
    bits = 32 if first >= 240 else 8 if first >= 224 else 24 if first >= 192 else 16 if first >= 128 else 8
    bits = max(bits, octets * 8)
    if bits == 8 and first == 224:
        bits = 4
    return bits


def _parse_v4(text: str, kind: str) -> Address | None:
    m = _IPV4.match(text)
    if m is None:
        return None
    parts = [p for p in m.groups()[:4] if p is not None]
    if any(len(p) > 3 or int(p) > 255 for p in parts):
        raise _bad(kind, text)
    addr = 0
    for i in range(4):
        addr = (addr << 8) | (int(parts[i]) if i < len(parts) else 0)
    if m.group(5) is not None:
        bits = int(m.group(5))
        if bits > 32:
            raise _bad(kind, text)
    elif kind == "cidr":
        bits = _classful_bits(int(parts[0]), len(parts))
    elif len(parts) == 4:
        bits = 32
    else:
        raise _bad(kind, text)
    return Address((4, addr, bits))


def _parse_v6(text: str, kind: str) -> Address:
    m = _IPV6.match(text)
    if m is None or ":" not in m.group(1):
        raise _bad(kind, text)
    try:
        ip = ipaddress.IPv6Address(m.group(1))
    except ValueError:
        raise _bad(kind, text) from None
    bits = 128 if m.group(2) is None else int(m.group(2))
    if bits > 128:
        raise _bad(kind, text)
    return Address((6, int(ip), bits))


def parse_one(text: str, kind: str) -> Address:
    """PostgreSQL's inet_in/cidr_in for one value (22P02 when malformed, a cidr with host bits
    set is 22P02 "invalid cidr value")."""
    a = _parse_v4(text, kind) or _parse_v6(text, kind)
    if kind == "cidr" and a.addr & a.hostmask:
        raise HeliosError(f'invalid cidr value: "{text}"', sqlstate="22P02",
                          detail="Value has bits set to right of mask.")
    return a


def decode(text: str) -> Address:
    """A stored (canonical) value back to its parts."""
    addr, _, bits = text.partition("/")
    ip = ipaddress.ip_address(addr)
    return Address((ip.version, int(ip), int(bits) if bits else ip.max_prefixlen))


def address_text(family: int, addr: int) -> str:
    """The address alone, as PostgreSQL prints it."""
    if family == 4:
        return str(ipaddress.IPv4Address(addr))
    words = [(addr >> (112 - 16 * i)) & 0xFFFF for i in range(8)]
    if words[:5] == [0] * 5 and (words[5] == 0xFFFF or (words[5] == 0 and words[6] != 0)):
        tail = str(ipaddress.IPv4Address(addr & 0xFFFFFFFF))
        return ("::ffff:" if words[5] else "::") + tail
    return str(ipaddress.IPv6Address(addr))


def inet_text(a: Address) -> str:
    """inet_out: the address, with /prefix unless it covers the whole address."""
    s = address_text(a.family, a.addr)
    return s if a.bits == a.max_bits else f"{s}/{a.bits}"


def cidr_text(a: Address) -> str:
    return f"{address_text(a.family, a.addr)}/{a.bits}"


def full_text(a: Address) -> str:
    """text(inet): always with the prefix length ('1.2.3.4/32')."""
    return cidr_text(a)


def format_as(a: Address, t: T.SqlType | str) -> str:
    name = t if isinstance(t, str) else t.name
    return cidr_text(a) if name == "cidr" else inet_text(a)


def parse(arr: pa.Array, t: T.SqlType) -> pa.Array:
    """inet/cidr input of a column of strings."""
    out = []
    for x in arr.cast(pa.string()).to_pylist():
        out.append(None if x is None else format_as(parse_one(x, t.name), t))
    return pa.array(out, pa.string())


def _map(arr: pa.Array, fn) -> pa.Array:
    return pa.array([None if x is None else fn(decode(x)) for x in arr.to_pylist()], pa.string())


def as_text(arr: pa.Array) -> pa.Array:
    """text(inet) and inet::text: always with the prefix length ('1.2.3.4/32')."""
    return _map(arr, full_text)


def cidr_to_inet(arr: pa.Array) -> pa.Array:
    return _map(arr, inet_text)


def inet_to_cidr(arr: pa.Array) -> pa.Array:
    """cidr(inet): the network, host bits cleared."""
    return _map(arr, lambda a: cidr_text(Address((a.family, a.addr & a.netmask, a.bits))))


def sort_key(arr: pa.Array | pa.Scalar) -> pa.Array | pa.Scalar:
    """Bytes that order like PostgreSQL orders inet/cidr: IPv4 before IPv6, then the network
    address, then the prefix length, then the host address."""
    def key(x: str | None) -> bytes | None:
        if x is None:
            return None
        a = decode(x)
        size = a.max_bits // 8
        return (bytes([a.family]) + (a.addr & a.netmask).to_bytes(size, "big") + bytes([a.bits])
                + a.addr.to_bytes(size, "big"))

    if isinstance(arr, pa.Scalar):
        return pa.scalar(key(arr.as_py()), pa.binary())
    return pa.array([key(x) for x in arr.to_pylist()], pa.binary())
