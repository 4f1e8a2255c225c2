"""MongoDB wire messages: the 16-byte header, OP_MSG, legacy OP_QUERY/OP_REPLY and OP_COMPRESSED.

Only framing lives here; BSON documents are decoded and encoded with the ``bson`` package
that ships with pymongo. A message that does not parse raises ``ProtocolViolation`` and the
connection that sent it is closed (the server and the other connections go on).
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import attrs
import bson
import pyarrow as pa
from bson.codec_options import CodecOptions, DatetimeConversion

OP_REPLY = 1
OP_QUERY = 2004
OP_COMPRESSED = 2012
OP_MSG = 2013

HEADER = struct.Struct("<iiii")
_OP_MSG_START = struct.Struct("<iiiiIB")  # an OP_MSG's header, flag bits and its body section's kind (0)
MAX_MESSAGE_SIZE = 48_000_000
MAX_BSON_SIZE = 16 * 1024 * 1024

CHECKSUM_PRESENT = 1
MORE_TO_COME = 2
EXHAUST_ALLOWED = 1 << 16
KNOWN_FLAGS = CHECKSUM_PRESENT | MORE_TO_COME | EXHAUST_ALLOWED

COMPRESSORS = {"zlib": 2, "zstd": 3}
NOOP_COMPRESSOR = 0

# documents decode to plain dicts in wire order; binary values stay bson.Binary (UUIDs included) and
# dates beyond Python's datetime range stay DatetimeMS, so every value encodes back to the same bytes
CODEC = CodecOptions(document_class=dict, tz_aware=True, datetime_conversion=DatetimeConversion.DATETIME_AUTO)


class ProtocolViolation(Exception):
    """The peer sent bytes that are not a MongoDB message: close its connection."""


@attrs.define
class Message:
    """One request: its id, opcode, and the command document (OP_MSG sections merged in)."""

    request_id: int
    op_code: int
    command: dict[str, Any]
    more_to_come: bool = False
    exhaust_allowed: bool = False  # the client takes a stream of getMore replies (exhaust cursors)
    compressor: int | None = None  # the client's compressor when it compressed the request
    legacy_collection: str = ""  # OP_QUERY's fullCollectionName
    largest_document: int = MAX_MESSAGE_SIZE  # a bound on the bytes of each BSON document it carried


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), the checksum OP_MSG's checksumPresent flag appends."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def decompress(compressor: int, data: bytes, size: int) -> bytes:
    if compressor == NOOP_COMPRESSOR:
        return data
    if compressor == COMPRESSORS["zlib"]:
        return zlib.decompress(data)
    if compressor == COMPRESSORS["zstd"]:
        return pa.decompress(data, decompressed_size=size, codec="zstd", asbytes=True)
    raise ProtocolViolation(f"unsupported compressor id {compressor} (zlib and zstd are supported)")


def compress(compressor: int, data: bytes) -> bytes:
    if compressor == COMPRESSORS["zlib"]:
        return zlib.compress(data)
    if compressor == COMPRESSORS["zstd"]:
        return pa.compress(data, codec="zstd", asbytes=True)
    return data


def decode_document(data: bytes | memoryview) -> dict[str, Any]:
    try:
        return bson.decode(bytes(data), codec_options=CODEC)
    except Exception as exc:  # noqa: BLE001 - bson raises InvalidBSON, but also struct/Unicode errors on garbage
        raise ProtocolViolation(f"invalid BSON document: {exc}") from None


def decode_documents(data: bytes) -> list[dict[str, Any]]:
    """Concatenated BSON documents (a document sequence) in one call."""
    try:
        return bson.decode_all(data, codec_options=CODEC)
    except Exception as exc:  # noqa: BLE001 - as decode_document
        raise ProtocolViolation(f"invalid BSON document: {exc}") from None


def _document_length(body: bytes, offset: int, end: int | None = None) -> int:
    """The length of the BSON document at ``offset``, which must end by ``end`` (default: the body's end)."""
    end = len(body) if end is None else end
    if offset + 4 > end:
        raise ProtocolViolation("truncated BSON document")
    (length,) = struct.unpack_from("<i", body, offset)
    if length < 5 or offset + length > end:
        raise ProtocolViolation("BSON document length out of bounds")
    return length


def _cstring(body: bytes, offset: int) -> tuple[str, int]:
    end = body.find(b"\x00", offset)
    if end < 0:
        raise ProtocolViolation("unterminated C string")
    try:
        return body[offset:end].decode(), end + 1
    except UnicodeDecodeError:
        raise ProtocolViolation("C string is not UTF-8") from None


def parse_op_msg(request_id: int, body: bytes, compressor: int | None = None) -> Message:
    """OP_MSG: flag bits, one kind-0 body section, kind-1 document sequences, optional CRC-32C."""
    if len(body) < 5:
        raise ProtocolViolation("OP_MSG too short")
    (flags,) = struct.unpack_from("<I", body, 0)
    if flags & 0xFFFF & ~KNOWN_FLAGS:
        raise ProtocolViolation(f"OP_MSG has unknown required flag bits {flags:#x}")
    end = len(body)
    if flags & CHECKSUM_PRESENT:
        end -= 4
        if end < 4:
            raise ProtocolViolation("OP_MSG too short for its checksum")
        # the checksum covers the whole message, header included; the caller verifies it
    offset = 4
    command: dict[str, Any] | None = None
    sequences: dict[str, list[dict[str, Any]]] = {}
    largest = 0
    while offset < end:
        kind = body[offset]
        offset += 1
        if kind == 0:
            length = _document_length(body, offset, end)
            largest = max(largest, length)
            if command is not None:
                raise ProtocolViolation("OP_MSG has more than one body section")
            command = decode_document(body[offset:offset + length])
            offset += length
        elif kind == 1:
            if offset + 4 > end:
                raise ProtocolViolation("truncated document sequence")
            (size,) = struct.unpack_from("<i", body, offset)
            stop = offset + size
            if size < 5 or stop > end:
                raise ProtocolViolation("document sequence size out of bounds")
            name, pos = _cstring(body[:stop], offset + 4)
            docs = sequences.setdefault(name, [])
            if stop - pos <= MAX_BSON_SIZE:
                # no document of the sequence is larger than the sequence: that bound is enough (no
                # document can outgrow the limit), and decode_all checks every length itself
                largest = max(largest, stop - pos)
            else:
                first = pos
                while pos < stop:  # each document's own length: one of them may be over the limit
                    length = _document_length(body, pos, stop)
                    largest = max(largest, length)
                    pos += length
                pos = first
            docs.extend(decode_documents(body[pos:stop]))
            offset = stop
        else:
            raise ProtocolViolation(f"OP_MSG section kind {kind} is unknown")
    if command is None:
        raise ProtocolViolation("OP_MSG has no body section")
    for name, docs in sequences.items():
        if name in command:
            raise ProtocolViolation(f"OP_MSG field {name!r} is both in the body and a document sequence")
        command[name] = docs
    return Message(request_id, OP_MSG, command, more_to_come=bool(flags & MORE_TO_COME),
                   exhaust_allowed=bool(flags & EXHAUST_ALLOWED), compressor=compressor, largest_document=largest)


def parse_op_query(request_id: int, body: bytes, compressor: int | None = None) -> Message:
    """Legacy OP_QUERY: only commands (``db.$cmd``) are served, as MongoDB 6.0 does for the handshake."""
    if len(body) < 4:
        raise ProtocolViolation("OP_QUERY too short")
    collection, offset = _cstring(body, 4)
    offset += 8  # numberToSkip, numberToReturn
    length = _document_length(body, offset)
    query = decode_document(body[offset:offset + length])
    if "$query" in query:  # a wrapped command: {$query: {...}, $readPreference: ...}
        query = dict(query["$query"])
    return Message(request_id, OP_QUERY, query, compressor=compressor, legacy_collection=collection)


def parse_message(header: tuple[int, int, int, int], body: bytes) -> Message:
    """A whole message (header already read) -> Message; OP_COMPRESSED is unwrapped."""
    length, request_id, _response_to, op_code = header
    compressor = None
    if op_code == OP_COMPRESSED:
        if len(body) < 9:
            raise ProtocolViolation("OP_COMPRESSED too short")
        op_code, size, compressor = struct.unpack_from("<iiB", body, 0)
        if size < 0 or size > MAX_MESSAGE_SIZE:
            raise ProtocolViolation("OP_COMPRESSED uncompressed size out of bounds")
        try:
            body = decompress(compressor, body[9:], size)
        except ProtocolViolation:
            raise
        except Exception as exc:  # noqa: BLE001 - zlib.error, pyarrow's OSError, ...
            raise ProtocolViolation(f"cannot decompress message: {exc}") from None
        if len(body) != size:
            raise ProtocolViolation("OP_COMPRESSED uncompressed size does not match")
    if op_code == OP_MSG:
        message = parse_op_msg(request_id, body, compressor)
        (flags,) = struct.unpack_from("<I", body, 0)
        if flags & CHECKSUM_PRESENT and compressor is None:
            whole = HEADER.pack(length, request_id, _response_to, OP_MSG) + body
            (expected,) = struct.unpack_from("<I", body, len(body) - 4)
            if crc32c(whole[:-4]) != expected:
                raise ProtocolViolation("OP_MSG checksum does not match")
        return message
    if op_code == OP_QUERY:
        return parse_op_query(request_id, body, compressor)
    raise ProtocolViolation(f"opcode {op_code} is not supported (OP_MSG, OP_QUERY and OP_COMPRESSED are)")


def encode_op_msg(request_id: int, response_to: int, reply: dict[str, Any], compressor: int | None = None,
                  flags: int = 0) -> bytes:
    document = bson.encode(reply, codec_options=CODEC)
    if not compressor:  # header, flags and the body section's kind byte in one pack: one copy of the document
        return _OP_MSG_START.pack(_OP_MSG_START.size + len(document), request_id, response_to, OP_MSG, flags, 0) \
            + document
    return _frame(request_id, response_to, OP_MSG, struct.pack("<I", flags) + b"\x00" + document, compressor)


def encode_op_reply(request_id: int, response_to: int, reply: dict[str, Any], compressor: int | None = None) -> bytes:
    body = struct.pack("<iqii", 0, 0, 0, 1) + bson.encode(reply, codec_options=CODEC)
    return _frame(request_id, response_to, OP_REPLY, body, compressor)


def _frame(request_id: int, response_to: int, op_code: int, body: bytes, compressor: int | None) -> bytes:
    if compressor:
        packed = compress(compressor, body)
        body = struct.pack("<iiB", op_code, len(body), compressor) + packed
        op_code = OP_COMPRESSED
    return HEADER.pack(HEADER.size + len(body), request_id, response_to, op_code) + body

