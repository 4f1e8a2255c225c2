"""Binary wire format of time with time zone (timetz_send/timetz_recv).

A value is the time of day in microseconds (int64) and the zone in seconds *west* of UTC
(int32), PostgreSQL's sign. The engine holds {time, offset east}; incoming values go on as
timetz text, which the engine reads with its input function.
"""

from __future__ import annotations

import struct
from typing import Any

from helios_protocol_pg import binary_codec as bc

TIMETZ, TIMETZ_ARRAY = 1266, 1270
_pack = struct.Struct("!qi")


def encode(v: dict[str, Any]) -> bytes:
    t = v["time"]
    us = t if isinstance(t, int) else ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond
    return _pack.pack(us, -int(v["offset"]))


def decode(b: bytes) -> str:
    if len(b) != 12:
        raise bc._bad("time with time zone")
    us, zone = _pack.unpack(b)
    if not 0 <= us <= 86_400_000_000:
        raise bc._bad("time with time zone", ": time out of range")
    secs, frac = divmod(us, 1_000_000)
    clock = f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}.{frac:06d}"
    off = -zone
    sign = "-" if off < 0 else "+"
    h, rem = divmod(abs(off), 3600)
    return f"{clock}{sign}{h:02d}:{rem // 60:02d}:{rem % 60:02d}"


def register() -> None:
    bc.ENCODERS[TIMETZ] = encode
    bc.DECODERS[TIMETZ] = decode
    bc.ARRAY_ELEMENT[TIMETZ_ARRAY] = TIMETZ
    bc.ARRAY_OF[TIMETZ] = TIMETZ_ARRAY


register()
