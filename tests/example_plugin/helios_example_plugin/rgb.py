"""``rgb``: a SQL type of this plugin, a colour stored as its canonical ``#rrggbb`` text.

Input accepts ``#rgb``, ``#rrggbb`` (any case) and a few colour names; anything else is
PostgreSQL's 22P02 ("invalid input syntax for type rgb"). Output is the canonical form.
"""

from __future__ import annotations

import re

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlDataType, SqlTableFunction, VirtualTable

NAMES = {"red": "#ff0000", "green": "#008000", "blue": "#0000ff", "black": "#000000", "white": "#ffffff"}
_HEX = re.compile(r"^#([0-9a-f]{3}|[0-9a-f]{6})$")


def _canonical(text: str) -> str:
    t = text.strip().lower()
    if t in NAMES:
        return NAMES[t]
    m = _HEX.match(t)
    if m is None:
        raise HeliosError(f'invalid input syntax for type rgb: "{text}"', sqlstate="22P02")
    digits = m.group(1)
    return "#" + ("".join(c * 2 for c in digits) if len(digits) == 3 else digits)


def parse_rgb(strings: pa.Array) -> pa.Array:
    return pa.array([None if v is None else _canonical(v) for v in strings.to_pylist()], pa.string())


RGB = SqlDataType(name="rgb", arrow_type=pa.string(), parse=parse_rgb)


def _colour_names(session) -> pa.Table:
    names = sorted(NAMES)
    return pa.table({"name": names, "colour": [NAMES[n] for n in names]})


# a virtual table of the colour names the type accepts: example.colours (name text, colour rgb)
COLOURS = VirtualTable(schema="example", name="colours", columns=[("name", "text"), ("colour", "rgb")],
                       produce=_colour_names)


def _bind_shades(args: dict) -> tuple[list[tuple[str, str]], object]:
    """example.shades(colour, steps): the colour darkened towards black in ``steps`` rows."""
    if args.get("colour") is None or args.get("steps") is None:
        raise HeliosError("example.shades needs a colour and a number of steps", sqlstate="22023")
    colour, steps = _canonical(str(args["colour"])), int(args["steps"])
    if not 1 <= steps <= 256:
        raise HeliosError("steps must be between 1 and 256", sqlstate="22023")
    channels = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    shades = ["#" + "".join(f"{c * (steps - k) // steps:02x}" for c in channels) for k in range(steps)]

    def produce(session) -> pa.Table:
        return pa.table({"step": pa.array(range(steps), pa.int32()), "colour": shades})

    return [("step", "integer"), ("colour", "rgb")], produce


# a table function: SELECT * FROM example.shades('#f80', 4)
SHADES = SqlTableFunction(schema="example", name="shades", params=["colour", "steps"], bind=_bind_shades)
