"""Binary wire format of bit and bit varying (bit_send/recv, varbit_send/recv): the length in
bits (int32), then the bits packed high bit first, the last byte padded with zeros. The engine
holds both as the text of their digits ('0101')."""

from __future__ import annotations

import struct

from helios_protocol_pg import binary_codec as bc

BIT, VARBIT = 1560, 1562
_length = struct.Struct("!i")


def encode(v: str) -> bytes:
    n = len(v)
    size = (n + 7) // 8
    packed = int(v.ljust(size * 8, "0"), 2).to_bytes(size, "big") if n else b""
    return _length.pack(n) + packed


def _decoder(name: str):
    def decode(b: bytes) -> str:
        if len(b) < 4:
            raise bc._bad(name)
        (n,) = _length.unpack_from(b)
        if n < 0 or len(b) - 4 != (n + 7) // 8:
            raise bc._bad(name, ": invalid length in external bit string")
        return "".join(f"{x:08b}" for x in b[4:])[:n]

    return decode


def register() -> None:
    for oid, array_oid, name in ((BIT, 1561, "bit"), (VARBIT, 1563, "varbit")):
        bc.ENCODERS[oid] = encode
        bc.DECODERS[oid] = _decoder(name)
        bc.ARRAY_ELEMENT[array_oid] = oid
        bc.ARRAY_OF[oid] = array_oid


register()
