"""Binary wire format of macaddr and macaddr8 (macaddr_send/recv, macaddr8_send/recv): the
address bytes, 6 or 8 of them. The engine holds both as their text ('08:00:2b:01:02:03')."""

from __future__ import annotations

from helios_protocol_pg import binary_codec as bc

MACADDR, MACADDR8 = 829, 774


def _encoder(size: int):
    def encode(v: str) -> bytes:
        return bytes(int(h, 16) for h in v.split(":"))

    return encode


def _decoder(size: int, name: str):
    def decode(b: bytes) -> str:
        if len(b) != size:
            raise bc._bad(name)
        return ":".join(f"{x:02x}" for x in b)

    return decode


def register() -> None:
    for oid, array_oid, size, name in ((MACADDR, 1040, 6, "macaddr"), (MACADDR8, 775, 8, "macaddr8")):
        bc.ENCODERS[oid] = _encoder(size)
        bc.DECODERS[oid] = _decoder(size, name)
        bc.ARRAY_ELEMENT[array_oid] = oid
        bc.ARRAY_OF[oid] = array_oid


register()
