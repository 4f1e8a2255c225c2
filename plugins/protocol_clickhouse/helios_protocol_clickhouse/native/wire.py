"""The native protocol's primitives: LEB128 varints, length-prefixed strings, little-endian integers.

``Reader`` works over a growing buffer. Without a ``fill`` function it raises ``NeedMore`` when
the buffer runs out, so the event loop can parse small packets, wait for more bytes and try again;
with one (a worker thread pulling from the socket) it blocks for more instead, which is how large
data blocks are decoded without knowing their size in advance.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import numpy as np

MAX_STRING = 1 << 30  # ClickHouse's own limit for one string on the wire


class ProtocolError(Exception):
    """The peer sent bytes that are not a valid message: the connection cannot go on."""


class NeedMore(Exception):
    """The buffer ends inside a message; parse again once more bytes arrived."""


class PeerGone(Exception):
    """The peer closed the connection in the middle of a message."""


_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_U64 = struct.Struct("<Q")


class Reader:
    """Sequential reads over a buffer that ``feed`` or ``fill`` extends."""

    def __init__(self, fill: Callable[[], bytes] | None = None) -> None:
        self.buf = bytearray()
        self.pos = 0
        self.fill = fill
        self.pinned = False  # while True, bytes before pos stay where they are (no compaction)

    # -- buffer management ---------------------------------------------------------

    def feed(self, data: bytes) -> None:
        if self.pos and not self.pinned and self.pos >= len(self.buf) // 2:
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += data

    @property
    def available(self) -> int:
        return len(self.buf) - self.pos

    def ensure(self, n: int) -> None:
        """Make ``n`` bytes readable at ``pos`` (fill, or raise NeedMore)."""
        while len(self.buf) - self.pos < n:
            if self.fill is None:
                raise NeedMore
            chunk = self.fill()
            if not chunk:
                raise PeerGone("the client closed the connection in the middle of a packet")
            self.feed(chunk)

    # -- primitives ----------------------------------------------------------------

    def read(self, n: int) -> bytes:
        self.ensure(n)
        out = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return out

    def read_array(self, n: int, dtype: np.dtype | str) -> np.ndarray:
        """``n`` fixed-width little-endian values as a fresh numpy array."""
        dt = np.dtype(dtype)
        size = n * dt.itemsize
        self.ensure(size)
        out = np.frombuffer(self.buf, dtype=dt, count=n, offset=self.pos).copy()
        self.pos += size
        return out

    def read_u8(self) -> int:
        self.ensure(1)
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def read_varint(self) -> int:
        shift = 0
        result = 0
        for _ in range(10):
            self.ensure(1)
            b = self.buf[self.pos]
            self.pos += 1
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7
        raise ProtocolError("a variable-length integer is longer than 10 bytes")

    def read_u32(self) -> int:
        self.ensure(4)
        (v,) = _U32.unpack_from(self.buf, self.pos)
        self.pos += 4
        return v

    def read_i32(self) -> int:
        self.ensure(4)
        (v,) = _I32.unpack_from(self.buf, self.pos)
        self.pos += 4
        return v

    def read_u64(self) -> int:
        self.ensure(8)
        (v,) = _U64.unpack_from(self.buf, self.pos)
        self.pos += 8
        return v

    def read_u128(self) -> int:
        return int.from_bytes(self.read(16), "little")

    def read_bytes(self) -> bytes:
        n = self.read_varint()
        if n > MAX_STRING:
            raise ProtocolError(f"a string of {n} bytes is longer than the limit of {MAX_STRING}")
        return self.read(n)

    def read_str(self) -> str:
        raw = self.read_bytes()
        try:
            return raw.decode()
        except UnicodeDecodeError as e:
            raise ProtocolError(f"a protocol string is not valid UTF-8: {e}") from None

    def read_string_column(self, n: int) -> tuple[np.ndarray, bytes]:
        """``n`` length-prefixed strings as Arrow-style int32/int64 offsets and the joined bytes."""
        self.pinned = True
        try:
            return self._read_string_column(n)
        finally:
            self.pinned = False

    def _read_string_column(self, n: int) -> tuple[np.ndarray, bytes]:
        # the lengths are varints, so where a string starts depends on every one before it: one
        # pass over the lengths in plain Python (list appends and bytearray indexing are its
        # cheapest operations), then the bytes are gathered with numpy
        buf = self.buf
        pos = self.pos
        end = len(buf)
        starts: list[int] = []
        lengths: list[int] = []
        add_start = starts.append
        add_length = lengths.append
        for _ in range(n):
            size = buf[pos] if pos < end else 0x80
            if size < 0x80 and pos + 1 + size <= end:
                pos += 1
            else:  # a long length, or the buffer ends here: take the slow path for this one
                self.pos = pos
                size = self.read_varint()
                if size > MAX_STRING:
                    raise ProtocolError(f"a string of {size} bytes is longer than the limit of {MAX_STRING}")
                self.ensure(size)
                buf = self.buf
                pos = self.pos
                end = len(buf)
            add_start(pos)
            add_length(size)
            pos += size
        lengths = np.array(lengths, dtype=np.int64)
        starts = np.array(starts, dtype=np.int64)
        self.pos = pos
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        total = int(offsets[-1])
        if total == 0:
            return offsets, b""
        src = np.frombuffer(buf, dtype=np.uint8)
        index = np.arange(total, dtype=np.int64) + np.repeat(starts - offsets[:-1], lengths)
        return offsets, src[index].tobytes()


class Writer:
    """Appends the primitives to one bytearray."""

    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = bytearray()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.buf += data

    def write_u8(self, v: int) -> None:
        self.buf.append(v & 0xFF)

    def write_varint(self, v: int) -> None:
        if v < 0:
            raise ValueError("varints are unsigned")
        while v >= 0x80:
            self.buf.append((v & 0x7F) | 0x80)
            v >>= 7
        self.buf.append(v)

    def write_u32(self, v: int) -> None:
        self.buf += _U32.pack(v)

    def write_i32(self, v: int) -> None:
        self.buf += _I32.pack(v)

    def write_u64(self, v: int) -> None:
        self.buf += _U64.pack(v)

    def write_bytes(self, data: bytes) -> None:
        self.write_varint(len(data))
        self.buf += data

    def write_str(self, s: str) -> None:
        self.write_bytes(s.encode())

    def getvalue(self) -> bytes:
        return bytes(self.buf)


def varint_sizes(values: np.ndarray) -> np.ndarray:
    """How many bytes the LEB128 form of each (non-negative) value takes."""
    sizes = np.ones(len(values), dtype=np.int64)
    v = values.astype(np.uint64) >> np.uint64(7)
    while v.any():
        nonzero = v > 0
        sizes += nonzero
        v >>= np.uint64(7)
    return sizes


def encode_string_column(offsets: np.ndarray, data: np.ndarray) -> bytes:
    """Length-prefixed strings from Arrow offsets (n+1, starting anywhere) and their data bytes."""
    offsets = offsets.astype(np.int64)
    lengths = np.diff(offsets)
    n = len(lengths)
    if n == 0:
        return b""
    prefix = varint_sizes(lengths)
    row_size = prefix + lengths
    row_start = np.zeros(n, dtype=np.int64)
    np.cumsum(row_size[:-1], out=row_start[1:])
    total = int(row_start[-1] + row_size[-1])
    out = np.zeros(total, dtype=np.uint8)
    remaining = lengths.astype(np.uint64)
    for b in range(int(prefix.max())):
        rows = prefix > b
        more = prefix[rows] > b + 1
        out[row_start[rows] + b] = ((remaining[rows] & np.uint64(0x7F)).astype(np.uint8)
                                    | (more.astype(np.uint8) << 7))
        remaining >>= np.uint64(7)
    data_len = int(offsets[-1] - offsets[0])
    if data_len:
        dest = np.arange(data_len, dtype=np.int64) + np.repeat(row_start + prefix - (offsets[:-1] - offsets[0]),
                                                               lengths)
        out[dest] = data[int(offsets[0]):int(offsets[-1])]
    return out.tobytes()
