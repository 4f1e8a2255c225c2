"""inet and cidr: IPv4/IPv6 host addresses and networks, as PostgreSQL reads, prints and orders them.

Values are stored as their output text ('192.168.0.1', '10.1.0.0/16', '2001:db8::/32'), which
is canonical, so equality is equality of strings; ordering (family, then address, then prefix
length, as PostgreSQL's network_cmp) goes through a binary sort key. Parsing and formatting
use the standard library's ipaddress module, per row.
"""

from __future__ import annotations

import ipaddress

import pyarrow as pa

from helios_core.errors import HeliosError, InvalidTextRepresentation
from helios_core.sql import types as T
from helios_core.sql.functions.registry import define, no_function
from helios_core.sql.functions.vec import Vec

NETWORK_TYPES = ("inet", "cidr")


def _interface(text: str, kind: str) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    try:
        return ipaddress.ip_interface(text.strip())
    except ValueError:
        raise InvalidTextRepresentation(f'invalid input syntax for type {kind}: "{text}"') from None


def _inet_text(iface: ipaddress.IPv4Interface | ipaddress.IPv6Interface) -> str:
    """inet_out: the address, with /prefix unless it covers the whole address."""
    if iface.network.prefixlen == iface.max_prefixlen:
        return str(iface.ip)
    return f"{iface.ip}/{iface.network.prefixlen}"


def _cidr_text(text: str) -> str:
    iface = _interface(text, "cidr")
    if iface.ip != iface.network.network_address:
        raise HeliosError(f'invalid cidr value: "{text}"', sqlstate="22P02",
                          detail="Value has bits set to right of mask.")
    return str(iface.network)


def parse(arr: pa.Array, t: T.SqlType) -> pa.Array:
    """inet/cidr input (22P02 for a malformed address, or a cidr with host bits set)."""
    out = []
    for x in arr.cast(pa.string()).to_pylist():
        if x is None:
            out.append(None)
        elif t.name == "cidr":
            out.append(_cidr_text(x))
        else:
            out.append(_inet_text(_interface(x, "inet")))
    return pa.array(out, pa.string())


def as_text(arr: pa.Array) -> pa.Array:
    """text(inet) and inet::text: always with the prefix length ('1.2.3.4/32')."""
    return pa.array([None if x is None else str(ipaddress.ip_interface(x)) for x in arr.to_pylist()],
                    pa.string())


def cidr_to_inet(arr: pa.Array) -> pa.Array:
    return pa.array([None if x is None else _inet_text(ipaddress.ip_interface(x)) for x in arr.to_pylist()],
                    pa.string())


def inet_to_cidr(arr: pa.Array) -> pa.Array:
    """cidr(inet): the network, host bits cleared."""
    return pa.array([None if x is None else str(ipaddress.ip_interface(x).network) for x in arr.to_pylist()],
                    pa.string())


def sort_key(arr: pa.Array | pa.Scalar) -> pa.Array | pa.Scalar:
    """Bytes that order like PostgreSQL orders inet/cidr: IPv4 before IPv6, then the network
    address, then the prefix length, then the host address."""
    def key(x: str | None) -> bytes | None:
        if x is None:
            return None
        iface = ipaddress.ip_interface(x)
        net = iface.network
        return bytes([iface.version]) + net.network_address.packed + bytes([net.prefixlen]) + iface.ip.packed

    if isinstance(arr, pa.Scalar):
        return pa.scalar(key(arr.as_py()), pa.binary())
    return pa.array([key(x) for x in arr.to_pylist()], pa.binary())


def _unary(name: str, fn, out_type: T.SqlType):
    def impl(args: list[Vec]) -> Vec:
        (v,) = args
        if v.type.name not in NETWORK_TYPES:
            raise no_function(name, args)
        values = [None if x is None else fn(ipaddress.ip_interface(x)) for x in v.array.to_pylist()]
        return Vec(pa.array(values, out_type.arrow_type), out_type, v.scalar)

    define(name, impl, nargs=1)


_unary("host", lambda i: str(i.ip), T.TEXT)
_unary("masklen", lambda i: i.network.prefixlen, T.INT4)
_unary("family", lambda i: i.version, T.INT4)
_unary("network", lambda i: str(i.network), T.CIDR)
_unary("netmask", lambda i: str(i.network.netmask), T.INET)
_unary("broadcast", lambda i: _inet_text(ipaddress.ip_interface(f"{i.network.broadcast_address}/"
                                                                f"{i.network.prefixlen}")), T.INET)
