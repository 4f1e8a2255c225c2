"""Binary wire format of inet and cidr (inet_send/inet_recv, cidr_send/cidr_recv).

A value is its address family (2 for IPv4, 3 for IPv6: PostgreSQL's own numbers), the prefix
length, whether it is a cidr, the address length and the address bytes. The engine holds
these types as their text, so values go out from and come back as that text.
"""

from __future__ import annotations

import ipaddress

from helios_protocol_pg import binary_codec as bc

INET, CIDR = 869, 650
_PG_FAMILY = {4: 2, 6: 3}


def _encoder(is_cidr: bool):
    def encode(v: str) -> bytes:
        iface = ipaddress.ip_interface(v)
        addr = iface.ip.packed
        return bytes([_PG_FAMILY[iface.version], iface.network.prefixlen, int(is_cidr), len(addr)]) + addr

    return encode


def _decoder(is_cidr: bool):
    def decode(b: bytes) -> str:
        if len(b) < 4 or b[0] not in (2, 3) or len(b) != 4 + b[3] or b[3] != (4 if b[0] == 2 else 16):
            raise bc._bad("cidr" if is_cidr else "inet")
        ip = ipaddress.ip_address(b[4:])
        if b[1] > ip.max_prefixlen:
            raise bc._bad("cidr" if is_cidr else "inet", ": invalid bits")
        return f"{ip}/{b[1]}"

    return decode


def register() -> None:
    for oid, array_oid, is_cidr in ((INET, 1041, False), (CIDR, 651, True)):
        bc.ENCODERS[oid] = _encoder(is_cidr)
        bc.DECODERS[oid] = _decoder(is_cidr)
        bc.ARRAY_ELEMENT[array_oid] = oid
        bc.ARRAY_OF[oid] = array_oid


register()
