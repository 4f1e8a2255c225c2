"""WireReader.take_copy_data: the buffered CopyData messages of a COPY FROM STDIN taken in one
loop, stopping at the first message that is not CopyData or not wholly buffered."""

from __future__ import annotations

import struct

import pytest
from helios_protocol_pg.messages import ProtocolViolation, WireReader


def _msg(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("!I", 4 + len(payload)) + payload


def _reader(data: bytes) -> WireReader:
    r = WireReader(stream=None)
    r.buf += data
    return r


def test_takes_rows_up_to_the_copy_done() -> None:
    r = _reader(_msg(b"d", b"1\ta\n") + _msg(b"d", b"2\tb\n") + _msg(b"c", b""))
    parts: list[bytes] = []
    assert r.take_copy_data(parts, 1 << 20) == 8
    assert b"".join(parts) == b"1\ta\n2\tb\n"
    assert r.try_message() == (b"c", b"")


def test_a_partly_received_message_stays_buffered() -> None:
    whole = _msg(b"d", b"row one\n")
    r = _reader(whole + _msg(b"d", b"row two\n")[:7])
    parts: list[bytes] = []
    assert r.take_copy_data(parts, 1 << 20) == 8
    assert r.buffered() == 7  # the half message waits for the rest
    assert r.try_message() is None


def test_stops_at_the_limit() -> None:
    r = _reader(b"".join(_msg(b"d", b"x" * 10) for _ in range(5)))
    parts: list[bytes] = []
    assert r.take_copy_data(parts, 25) == 30  # whole messages: the one crossing the limit is taken
    assert len(parts) == 3


def test_a_bad_length_is_a_protocol_violation() -> None:
    r = _reader(b"d" + struct.pack("!I", 2) + b"zz")
    with pytest.raises(ProtocolViolation):
        r.take_copy_data([], 1 << 20)
