"""The operators and functions of macaddr and macaddr8 (PostgreSQL's mac.c, mac8.c): bitwise
~ & | over the bytes, trunc (the manufacturer part, other bytes zeroed), macaddr8_set7bit.

Values are their output text (see ``macaddr``); the work is per row on the bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from helios_core.sql import types as T
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.macaddr import MAC_TYPES, text_of
from helios_core.sql.functions.registry import define, no_function, overload
from helios_core.sql.functions.vec import Vec, align


def is_mac(t: T.SqlType) -> bool:
    return t.name in MAC_TYPES and t.element is None


def _octets(x: str) -> list[int]:
    return [int(h, 16) for h in x.split(":")]


def _apply(vecs: list[Vec], fn: Callable[..., Any], out: T.SqlType) -> Vec:
    arrays, scalar = align(vecs)
    lengths = [len(a) for a in arrays if isinstance(a, pa.Array)]
    n = max(lengths) if lengths else 1
    cols = [a.to_pylist() if isinstance(a, pa.Array) else [a.as_py()] * n for a in arrays]
    values = [None if any(c[i] is None for c in cols) else fn(*(c[i] for c in cols)) for i in range(n)]
    return Vec(pa.array(values, out.arrow_type), out, scalar)


def handles_binary(op: str, l: Vec, r: Vec) -> bool:
    if op not in ("&", "|"):
        return False
    return (is_mac(l.type) and (r.type.name == l.type.name or r.type.name == "unknown")) or \
        (is_mac(r.type) and l.type.name == "unknown")


def binary(op: str, l: Vec, r: Vec) -> Vec:
    t = l.type.base if is_mac(l.type) else r.type.base
    l, r = cast(l, t, context="implicit"), cast(r, t, context="implicit")
    fn = (lambda x, y: x & y) if op == "&" else (lambda x, y: x | y)
    return _apply([l, r], lambda a, b: text_of([fn(x, y) for x, y in zip(_octets(a), _octets(b), strict=True)]), t)


def handles_prefix(op: str, v: Vec) -> bool:
    return op == "~" and is_mac(v.type)


def prefix(op: str, v: Vec) -> Vec:
    return _apply([v], lambda a: text_of([~x & 0xFF for x in _octets(a)]), v.type.base)


def _trunc(args: list[Vec]) -> Vec | None:
    """trunc(macaddr): the first 3 bytes (the manufacturer), the rest zero."""
    if len(args) != 1 or not is_mac(args[0].type):
        return None
    keep = 3
    return _apply([args[0]], lambda a: text_of([x if i < keep else 0 for i, x in enumerate(_octets(a))]),
                  args[0].type.base)


def _set7bit(args: list[Vec]) -> Vec:
    """macaddr8_set7bit: set the universal/local bit, as for a modified EUI-64 in IPv6."""
    (v,) = args
    if v.type.name == "unknown":
        v = cast(v, T.MACADDR8)
    if v.type.name != "macaddr8":
        raise no_function("macaddr8_set7bit", args)

    def set7(a: str) -> str:
        octets = _octets(a)
        octets[0] |= 0x02
        return text_of(octets)

    return _apply([v], set7, T.MACADDR8)


overload("trunc", _trunc)
define("macaddr8_set7bit", _set7bit, nargs=1)
