"""``rgb``: a SQL type of this plugin, a colour stored as its canonical ``#rrggbb`` text.

Input accepts ``#rgb``, ``#rrggbb`` (any case) and a few colour names; anything else is
PostgreSQL's 22P02 ("invalid input syntax for type rgb"). Output is the canonical form.
"""

from __future__ import annotations

import re

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlDataType, VirtualTable

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
