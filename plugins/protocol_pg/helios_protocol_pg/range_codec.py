"""Binary wire format of range and multirange types (range_send/range_recv, multirange_send/recv).

A range is its flag byte, then each finite bound as a length-prefixed value of the subtype's
binary format; a multirange is a count, then each range length-prefixed. Outgoing values are
the dicts ``{"lower", "upper", "flags"}`` the engine's range structs yield; incoming ones are
turned into range literal text, which the engine reads with the type's input function (so
canonicalization and bound checks are the engine's, as for a text parameter).
"""

from __future__ import annotations

import datetime as dt
import decimal
import struct
from collections.abc import Callable
from typing import Any

from helios_protocol_pg import binary_codec as bc

EMPTY, LB_INC, UB_INC, LB_INF, UB_INF = 0x01, 0x02, 0x04, 0x08, 0x10
_i32 = struct.Struct("!i")

# range OID -> (subtype OID, multirange OID, range array OID, multirange array OID)
RANGES = {3904: (bc.INT4, 4451, 3905, 6150), 3926: (bc.INT8, 4536, 3927, 6157),
          3906: (bc.NUMERIC, 4532, 3907, 6151), 3912: (bc.DATE, 4535, 3913, 6155),
          3908: (bc.TIMESTAMP, 4533, 3909, 6152), 3910: (bc.TIMESTAMPTZ, 4534, 3911, 6153)}


# precise enough for any numeric bound (1,000 digits: PostgreSQL's numeric(p) limit)
_EXACT = decimal.Context(prec=2000)


def _bound_bytes(v: Any, sub: int) -> bytes:
    if sub == bc.NUMERIC and isinstance(v, decimal.Decimal) and v.is_finite():
        # the scale of the value; an integral one with all its digits (3.05615E+24 has 25)
        v = v.quantize(1, context=_EXACT) if v == v.to_integral_value() else v.normalize(_EXACT)
    data = bc.encoder_for(sub)(v)  # type: ignore[misc]  (a user range type may be over an array)
    return _i32.pack(len(data)) + data


def encode_range(v: dict, sub: int) -> bytes:
    flags = v["flags"] & 0xFF
    out = [bytes([flags])]
    if not flags & EMPTY:
        if not flags & LB_INF:
            out.append(_bound_bytes(v["lower"], sub))
        if not flags & UB_INF:
            out.append(_bound_bytes(v["upper"], sub))
    return b"".join(out)


def encode_multirange(v: list, sub: int) -> bytes:
    parts = [_i32.pack(len(v))]
    for r in v:
        data = encode_range(r, sub)
        parts.append(_i32.pack(len(data)) + data)
    return b"".join(parts)


def _bound_text(v: Any) -> str:
    if isinstance(v, decimal.Decimal):
        s = format(v, "f")
    elif isinstance(v, dt.datetime):
        s = v.isoformat(sep=" ")
    elif isinstance(v, dt.date):
        s = v.isoformat()
    else:
        s = str(v)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _read_range(b: bytes, pos: int, end: int, sub: int) -> str:
    """One binary range in b[pos:end] as range literal text."""
    if pos >= end:
        raise bc._bad("range")
    flags = b[pos]
    pos += 1
    if flags & EMPTY:
        if pos != end:
            raise bc._bad("range")
        return "empty"
    dec = bc.decoder_for(sub)
    bounds = []
    for inf in (LB_INF, UB_INF):
        if flags & inf:
            bounds.append("")
            continue
        if pos + 4 > end:
            raise bc._bad("range")
        (n,) = _i32.unpack_from(b, pos)
        pos += 4
        if n < 0 or pos + n > end:
            raise bc._bad("range")
        bounds.append(_bound_text(dec(b[pos:pos + n])))
        pos += n
    if pos != end:
        raise bc._bad("range")
    return f"{'[' if flags & LB_INC else '('}{bounds[0]},{bounds[1]}{']' if flags & UB_INC else ')'}"


def decode_range(b: bytes, sub: int) -> str:
    return _read_range(b, 0, len(b), sub)


def decode_multirange(b: bytes, sub: int) -> str:
    if len(b) < 4:
        raise bc._bad("multirange")
    (count,) = _i32.unpack_from(b, 0)
    pos, items = 4, []
    for _ in range(count):
        if pos + 4 > len(b):
            raise bc._bad("multirange")
        (n,) = _i32.unpack_from(b, pos)
        pos += 4
        if n < 0 or pos + n > len(b):
            raise bc._bad("multirange")
        items.append(_read_range(b, pos, pos + n, sub))
        pos += n
    if pos != len(b):
        raise bc._bad("multirange")
    return "{" + ",".join(items) + "}"


def encoder(is_multirange: bool, sub: int) -> Callable[[Any], bytes]:
    """The binary encoder of a range (or multirange) type over the subtype with OID ``sub``."""
    return _bind(encode_multirange if is_multirange else encode_range, sub)


def decoder(is_multirange: bool, sub: int) -> Callable[[bytes], str]:
    """The binary decoder (to literal text) of a range (or multirange) type over subtype ``sub``."""
    return _bind(decode_multirange if is_multirange else decode_range, sub)


def _bind(fn: Callable[[Any, int], Any], sub: int) -> Callable[[Any], Any]:
    return lambda v: fn(v, sub)


def register() -> None:
    """Add the range and multirange codecs (and their arrays) to the binary codec tables."""
    for oid, (sub, multi, array, multi_array) in RANGES.items():
        bc.ENCODERS[oid] = _bind(encode_range, sub)
        bc.DECODERS[oid] = _bind(decode_range, sub)
        bc.ENCODERS[multi] = _bind(encode_multirange, sub)
        bc.DECODERS[multi] = _bind(decode_multirange, sub)
        bc.ARRAY_ELEMENT[array] = oid
        bc.ARRAY_ELEMENT[multi_array] = multi
        bc.ARRAY_OF[oid] = array
        bc.ARRAY_OF[multi] = multi_array
        bc.LIST_VALUED.add(multi)


register()
