"""Archived objects: compressed, and checksummed so a flipped byte is found by name.

An object is ``HWA1 | codec (1 byte) | sha256 of the body (32 bytes) | body``; the body is
the zstd-compressed (or stored) content. ``unseal`` checks the checksum before
decompressing, so verification and restore report a damaged object instead of misreading it.
"""

from __future__ import annotations

import hashlib

import zstandard

MAGIC = b"HWA1"
_CODECS = {"none": 0, "zstd": 1}
_HEADER = len(MAGIC) + 1 + 32


class CorruptObject(Exception):
    """An archived object whose checksum or framing does not hold; the message names it."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"archived object {name} is corrupt: {why}")
        self.name = name


def seal(content: bytes, compression: str = "zstd") -> bytes:
    codec = _CODECS[compression]
    body = zstandard.ZstdCompressor(level=3, write_checksum=True).compress(content) if codec else content
    return MAGIC + bytes([codec]) + hashlib.sha256(body).digest() + body


def check(name: str, sealed: bytes) -> None:
    """Raise CorruptObject unless the object's checksum holds."""
    if len(sealed) < _HEADER or sealed[:4] != MAGIC:
        raise CorruptObject(name, "not an archive object (bad header)")
    if sealed[4] not in _CODECS.values():
        raise CorruptObject(name, f"unknown codec {sealed[4]}")
    body = memoryview(sealed)[_HEADER:]
    if hashlib.sha256(body).digest() != sealed[5:_HEADER]:
        raise CorruptObject(name, "checksum mismatch")


def unseal(name: str, sealed: bytes) -> bytes:
    """The original content; CorruptObject when the object is damaged."""
    check(name, sealed)
    body = sealed[_HEADER:]
    if sealed[4] == 0:
        return body
    try:
        return zstandard.ZstdDecompressor().decompress(body)
    except zstandard.ZstdError as exc:
        raise CorruptObject(name, f"cannot decompress: {exc}") from None
