"""Binary wire format of the geometric types (point_send/point_recv and the others).

Every coordinate is a big-endian float8: a point is x, y; an lseg its two points; a box its
upper-right then lower-left corner; a line A, B, C; a circle x, y, radius; a path a closed flag
byte, an int32 count and its points; a polygon the count and its points. The engine holds these
values as their canonical text, so they go out from that text and come back as text the engine
reads (which also normalizes them: a box's corners, a line through two points).
"""

from __future__ import annotations

import re
import struct

import pyarrow as pa

from helios_core import types as sql_types
from helios_protocol_pg import binary_codec as bc

_NUMBER = re.compile(r"-?Infinity|NaN|-?[0-9.]+(?:e[+-]?[0-9]+)?")
_OIDS = {"point": (600, 1017), "lseg": (601, 1018), "path": (602, 1019), "box": (603, 1020),
         "polygon": (604, 1027), "line": (628, 629), "circle": (718, 719)}
_FIXED = {"point": 2, "lseg": 4, "box": 4, "line": 3, "circle": 3}


def _numbers(text: str) -> list[float]:
    return [float(x.replace("Infinity", "inf")) for x in _NUMBER.findall(text)]


def _encoder(type_name: str):
    def encode(v: str) -> bytes:
        nums = _numbers(v)
        if type_name == "path":
            return struct.pack(f"!?i{len(nums)}d", v.startswith("("), len(nums) // 2, *nums)
        if type_name == "polygon":
            return struct.pack(f"!i{len(nums)}d", len(nums) // 2, *nums)
        return struct.pack(f"!{len(nums)}d", *nums)

    return encode


def _pairs(nums: tuple[float, ...]) -> str:
    return ",".join(f"({nums[i]!r},{nums[i + 1]!r})" for i in range(0, len(nums), 2))


def _decoder(type_name: str):
    def decode(b: bytes) -> str:
        try:
            if type_name in _FIXED:
                n = _FIXED[type_name]
                if len(b) != 8 * n:
                    raise bc._bad(type_name)
                nums = struct.unpack(f"!{n}d", b)
                if type_name == "line":
                    text = "{" + ",".join(repr(x) for x in nums) + "}"
                elif type_name == "circle":
                    text = f"<({nums[0]!r},{nums[1]!r}),{nums[2]!r}>"
                else:
                    text = _pairs(nums)
            else:
                head = 5 if type_name == "path" else 4
                count = struct.unpack_from("!i", b, head - 4)[0]
                if count <= 0 or len(b) != head + 16 * count:
                    raise bc._bad(type_name, ": invalid number of points in external value")
                nums = struct.unpack_from(f"!{2 * count}d", b, head)
                closed = type_name == "polygon" or b[0] != 0
                text = f"({_pairs(nums)})" if closed else f"[{_pairs(nums)}]"
        except struct.error:
            raise bc._bad(type_name) from None
        return sql_types.parse_text(pa.array([text]),
                                    type_name)[0].as_py()

    return decode


def register() -> None:
    for name, (oid, array_oid) in _OIDS.items():
        bc.ENCODERS[oid] = _encoder(name)
        bc.DECODERS[oid] = _decoder(name)
        bc.ARRAY_ELEMENT[array_oid] = oid
        bc.ARRAY_OF[oid] = array_oid


register()
