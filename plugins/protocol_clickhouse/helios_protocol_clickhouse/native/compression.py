"""ClickHouse's compressed frames: what a block travels in once a client asks for compression.

A frame is a CityHash128 checksum (16 bytes) over the rest, a method byte (0x82 LZ4, 0x90 ZSTD,
0x02 none), the frame's size with its 9-byte header and the uncompressed size (both UInt32), then
the payload. A block may span several frames; ``FrameReader`` is a ``wire.Reader`` fill function
that yields one frame's bytes at a time, so block decoding never knows frames exist.
"""

from __future__ import annotations

import struct

import lz4.block
import zstandard
from clickhouse_cityhash.cityhash import CityHash128

from helios_protocol_clickhouse.native.wire import ProtocolError, Reader

METHOD_NONE = 0x02
METHOD_LZ4 = 0x82
METHOD_ZSTD = 0x90
METHODS = {"lz4": METHOD_LZ4, "lz4hc": METHOD_LZ4, "zstd": METHOD_ZSTD, "none": METHOD_NONE}
HEADER_SIZE = 9
MAX_FRAME_SIZE = 1 << 30  # ClickHouse refuses compressed blocks above 1 GiB too
FRAME_DATA_SIZE = 1 << 20  # max_compress_block_size: uncompressed bytes per frame we send
_HEADER = struct.Struct("<BII")
_MASK64 = (1 << 64) - 1


class ChecksumMismatch(ProtocolError):
    """A frame whose bytes do not match its CityHash128: corrupted in transit (or forged)."""


class UnknownMethod(ProtocolError):
    """A frame whose method byte is none of LZ4, ZSTD and none."""


def _checksum(data: bytes | bytearray | memoryview) -> bytes:
    h = CityHash128(bytes(data))
    return struct.pack("<QQ", (h >> 64) & _MASK64, h & _MASK64)


def compress(data: bytes | bytearray | memoryview, method: int = METHOD_LZ4, zstd_level: int = 1,
             frame_size: int = FRAME_DATA_SIZE) -> bytes:
    """``data`` as one or more frames of at most ``frame_size`` uncompressed bytes each."""
    view = memoryview(data)
    out = bytearray()
    for start in range(0, max(len(view), 1), frame_size):
        chunk = view[start:start + frame_size]
        if method == METHOD_LZ4:
            payload = lz4.block.compress(chunk, store_size=False)
        elif method == METHOD_ZSTD:
            payload = zstandard.ZstdCompressor(level=zstd_level).compress(chunk)
        elif method == METHOD_NONE:
            payload = bytes(chunk)
        else:
            raise ValueError(f"unknown compression method byte {method:#x}")
        body = _HEADER.pack(method, HEADER_SIZE + len(payload), len(chunk)) + payload
        out += _checksum(body)
        out += body
    return bytes(out)


def read_frame(raw: Reader) -> bytes:
    """Read one frame from ``raw``, check its checksum, and return the uncompressed bytes."""
    checksum = raw.read(16)
    method, size, uncompressed = _HEADER.unpack(raw.read(HEADER_SIZE))
    if method not in (METHOD_LZ4, METHOD_ZSTD, METHOD_NONE):
        raise UnknownMethod(f"unknown compression method {method:#x}")
    if size < HEADER_SIZE or size > MAX_FRAME_SIZE or uncompressed > MAX_FRAME_SIZE:
        raise ProtocolError(f"too large size of a compressed block ({size} bytes, {uncompressed} uncompressed)")
    payload = raw.read(size - HEADER_SIZE)
    body = _HEADER.pack(method, size, uncompressed) + payload
    if _checksum(body) != checksum:
        raise ChecksumMismatch("checksum doesn't match: corrupted data (a compressed block from the client)")
    try:
        if method == METHOD_LZ4:
            data = lz4.block.decompress(payload, uncompressed_size=uncompressed)
        elif method == METHOD_ZSTD:
            data = zstandard.ZstdDecompressor().decompress(payload, max_output_size=uncompressed)
        else:
            data = payload
    except (lz4.block.LZ4BlockError, zstandard.ZstdError) as e:
        raise ProtocolError(f"cannot decompress a block: {e}") from None
    if len(data) != uncompressed:
        raise ProtocolError(f"a compressed block holds {len(data)} bytes where its header says {uncompressed}")
    return data


def frame_reader(raw: Reader) -> Reader:
    """A reader of the uncompressed bytes of the frames that follow in ``raw``."""
    return Reader(fill=lambda: read_frame(raw))
