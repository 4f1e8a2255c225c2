"""Compressed HTTP bodies: Content-Encoding both ways, and ClickHouse's own block format.

Responses are compressed when the request asks (``enable_http_compression=1`` and an
Accept-Encoding of gzip, deflate, zstd or lz4, as ClickHouse does). Request bodies may
carry a Content-Encoding, or with ``decompress=1`` be in ClickHouse's compressed block
format: per block a CityHash128 checksum (16 bytes) of what follows, a method byte
(0x82 LZ4, 0x90 ZSTD, 0x02 none), the compressed size (with the 9-byte header) and the
uncompressed size (UInt32 little-endian each), then the data.
"""

from __future__ import annotations

import gzip
import struct
import zlib

import lz4.block
import lz4.frame
import zstandard

from helios_protocol_clickhouse.errors import ClickHouseError

RESPONSE_ENCODINGS = ("zstd", "gzip", "deflate", "lz4")

METHOD_NONE = 0x02
METHOD_LZ4 = 0x82
METHOD_ZSTD = 0x90


def choose_encoding(accept_encoding: str) -> str | None:
    """The first encoding we offer that the client accepts (in the client's order)."""
    offered = [e.split(";")[0].strip().lower() for e in accept_encoding.split(",")]
    for encoding in offered:
        if encoding in RESPONSE_ENCODINGS:
            return encoding
    return None


def encode(body: bytes, encoding: str, level: int = 3) -> bytes:
    if encoding == "gzip":
        return gzip.compress(body, compresslevel=max(1, min(level, 9)))
    if encoding == "deflate":
        return zlib.compress(body, max(1, min(level, 9)))
    if encoding == "zstd":
        return zstandard.ZstdCompressor(level=level).compress(body)
    if encoding == "lz4":
        return lz4.frame.compress(body)
    raise ValueError(encoding)


def decode(body: bytes, encoding: str) -> bytes:
    """A request body sent with ``Content-Encoding: encoding``."""
    encoding = encoding.strip().lower()
    try:
        if encoding in ("", "identity"):
            return body
        if encoding == "gzip":
            return gzip.decompress(body)
        if encoding == "deflate":
            return zlib.decompress(body)
        if encoding == "zstd":
            return zstandard.ZstdDecompressor().decompressobj().decompress(body)
        if encoding == "lz4":
            return lz4.frame.decompress(body)
    except Exception as exc:  # noqa: BLE001 - any corrupt body is the client's error
        raise ClickHouseError(271, f"Cannot decompress request body ({encoding}): {exc}") from None
    raise ClickHouseError(1, f"Unknown Content-Encoding: {encoding}")


def _cityhash128(data: bytes) -> bytes:
    from clickhouse_cityhash.cityhash import CityHash128

    h = CityHash128(data)
    return struct.pack("<QQ", h >> 64, h & 0xFFFFFFFFFFFFFFFF)  # high half first, as ClickHouse writes it


def decompress_blocks(data: bytes) -> bytes:
    """ClickHouse's compressed block format -> the bytes it holds (checksums verified)."""
    out = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < 25:
            raise ClickHouseError(271, "Cannot decompress: truncated compressed block header")
        checksum = data[pos:pos + 16]
        method, compressed_size, size = struct.unpack_from("<BII", data, pos + 16)
        if compressed_size < 9 or pos + 16 + compressed_size > len(data):
            raise ClickHouseError(271, "Cannot decompress: compressed block size out of range")
        block = data[pos + 16:pos + 16 + compressed_size]
        if _cityhash128(block) != checksum:
            raise ClickHouseError(40, "Checksum doesn't match: corrupted data")
        payload = block[9:]
        try:
            if method == METHOD_LZ4:
                out.append(lz4.block.decompress(payload, uncompressed_size=size))
            elif method == METHOD_ZSTD:
                out.append(zstandard.ZstdDecompressor().decompress(payload, max_output_size=size))
            elif method == METHOD_NONE:
                out.append(payload)
            else:
                raise ClickHouseError(432, f"Unknown codec family code: {method}")
        except ClickHouseError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise ClickHouseError(271, f"Cannot decompress: {exc}") from None
        pos += 16 + compressed_size
    return b"".join(out)


def compress_blocks(data: bytes, method: int = METHOD_LZ4, block_size: int = 1 << 20) -> bytes:
    """Bytes -> ClickHouse's compressed block format (what ``compress=1`` answers with)."""
    out = []
    for start in range(0, max(len(data), 1), block_size):
        chunk = data[start:start + block_size]
        if method == METHOD_LZ4:
            payload = lz4.block.compress(chunk, store_size=False)
        elif method == METHOD_ZSTD:
            payload = zstandard.ZstdCompressor().compress(chunk)
        else:
            payload = chunk
        block = struct.pack("<BII", method, len(payload) + 9, len(chunk)) + payload
        out.append(_cityhash128(block) + block)
    return b"".join(out)
