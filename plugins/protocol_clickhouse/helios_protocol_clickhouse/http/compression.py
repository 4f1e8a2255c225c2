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
import zlib

import lz4.block
import lz4.frame
import zstandard

from helios_protocol_clickhouse.errors import ClickHouseError
from helios_protocol_clickhouse.native.compression import (
    METHOD_LZ4,
    METHOD_NONE,
    METHOD_ZSTD,
    ChecksumMismatch,
    UnknownMethod,
    compress,
    read_frame,
)
from helios_protocol_clickhouse.native.wire import NeedMore, ProtocolError, Reader

RESPONSE_ENCODINGS = ("zstd", "gzip", "deflate", "lz4")

__all__ = ["METHOD_LZ4", "METHOD_NONE", "METHOD_ZSTD", "choose_encoding", "compress_blocks", "decode",
           "decompress_blocks", "encode"]


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


def decompress_blocks(data: bytes) -> bytes:
    """ClickHouse's compressed block format -> the bytes it holds (checksums verified; the frames
    are the native protocol's, read by ``native.compression``)."""
    reader = Reader()
    reader.feed(data)
    out = []
    while reader.available:
        try:
            out.append(read_frame(reader))
        except NeedMore:
            raise ClickHouseError(271, "Cannot decompress: truncated compressed block") from None
        except ChecksumMismatch:
            raise ClickHouseError(40, "Checksum doesn't match: corrupted data") from None
        except UnknownMethod as exc:
            raise ClickHouseError(432, f"Unknown codec family code: {exc}") from None
        except ProtocolError as exc:
            raise ClickHouseError(271, f"Cannot decompress: {exc}") from None
    return b"".join(out)


def compress_blocks(data: bytes, method: int = METHOD_LZ4, block_size: int = 1 << 20) -> bytes:
    """Bytes -> ClickHouse's compressed block format (what ``compress=1`` answers with)."""
    return compress(data, method, zstd_level=3, frame_size=block_size)
