"""The operators and functions of bit strings (PostgreSQL's varbit.c): & | # ~ << >> ||,
length, substring, overlay, position, get_bit, set_bit, bit_count.

Values are the text of their digits (see ``bitstring``); the work is per row in Python, on
strings for the positional functions and on ints for the bitwise operators.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions.bitstring import StringDataLengthMismatch, is_bits
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.registry import overload
from helios_core.sql.functions.vec import Vec, align

_INTEGERS = ("int2", "int4", "int8")



def _rows(vecs: list[Vec]) -> tuple[list[list[Any]], bool, int]:
    arrays, scalar = align(vecs)
    lengths = [len(a) for a in arrays if isinstance(a, pa.Array)]
    n = max(lengths) if lengths else 1
    return [a.to_pylist() if isinstance(a, pa.Array) else [a.as_py()] * n for a in arrays], scalar, n


def apply_rows(vecs: list[Vec], fn: Callable[..., Any], out: T.SqlType) -> Vec:
    """fn over the rows (strict: NULL in, NULL out)."""
    cols, scalar, n = _rows(vecs)
    values = []
    for i in range(n):
        row = [c[i] for c in cols]
        values.append(None if any(x is None for x in row) else fn(*row))
    return Vec(pa.array(values, out.arrow_type), out, scalar)


def _bitwise(word: str, fn: Callable[[int, int], int]) -> Callable[[str, str], str]:
    def impl(a: str, b: str) -> str:
        if len(a) != len(b):
            raise StringDataLengthMismatch(f"cannot {word} bit strings of different sizes")
        return format(fn(int(a or "0", 2), int(b or "0", 2)), f"0{len(a)}b") if a else ""

    return impl


def _shift(a: str, n: int) -> str:
    """<< n (n > 0) moves bits left, filling with zeros; the length stays."""
    size = len(a)
    if n >= size or -n >= size:
        return "0" * size
    if n >= 0:
        return a[n:] + "0" * n
    return "0" * -n + a[: size + n]


_BITWISE = {"&": _bitwise("AND", lambda x, y: x & y), "|": _bitwise("OR", lambda x, y: x | y),
            "#": _bitwise("XOR", lambda x, y: x ^ y)}


def handles_binary(op: str, l: Vec, r: Vec) -> bool:
    lb, rb = is_bits(l.type), is_bits(r.type)
    if op in _BITWISE or op == "||":
        return (lb and (rb or r.type.name == "unknown")) or (rb and l.type.name == "unknown")
    if op in ("<<", ">>"):
        return lb and (r.type.name in _INTEGERS or r.type.name == "unknown")
    return False


def operand_type(op: str, known: T.SqlType) -> T.SqlType:
    """The type an untyped literal takes beside a bit string (the shift count is int4)."""
    return T.INT4 if op in ("<<", ">>") else known.base


def binary(op: str, l: Vec, r: Vec) -> Vec:
    if op in ("<<", ">>"):
        sign = 1 if op == "<<" else -1
        return apply_rows([l, cast(r, T.INT4, context="implicit")], lambda a, n: _shift(a, sign * n), T.BIT)
    if l.type.name == "unknown":
        l = cast(l, T.VARBIT if op == "||" else r.type.base, context="implicit")
    if r.type.name == "unknown":
        r = cast(r, T.VARBIT if op == "||" else l.type.base, context="implicit")
    if op == "||":
        return apply_rows([l, r], lambda a, b: a + b, T.VARBIT)
    return apply_rows([l, r], _BITWISE[op], T.BIT)


def handles_prefix(op: str, v: Vec) -> bool:
    return op == "~" and is_bits(v.type)


def prefix(op: str, v: Vec) -> Vec:
    return apply_rows([v], lambda a: a.translate(str.maketrans("01", "10")), T.BIT)


# ------------------------------------------------------------------------------------- functions

def _substring(a: str, start: int, length: int | None) -> str:
    """bitsubstring: SQL's substring rules (a start before 1 eats into the length)."""
    s1 = max(start, 1)
    if length is None:
        end = len(a) + 1
    elif length < 0:
        raise HeliosError("negative substring length not allowed", sqlstate="22011")
    else:
        end = min(start + length, len(a) + 1)
    return "" if s1 > len(a) or end <= s1 else a[s1 - 1:end - 1]


def _overlay(a: str, placing: str, start: int, length: int | None) -> str:
    n = len(placing) if length is None else length
    return _substring(a, 1, start - 1) + placing + _substring(a, start + n, None)


def _position(sub: str, a: str) -> int:
    if not a:
        return 0
    return a.find(sub) + 1


def _check_index(a: str, n: int) -> None:
    if not 0 <= n < len(a):
        raise HeliosError(f"bit index {n} out of valid range (0..{len(a) - 1})", sqlstate="2202E")


def _get_bit(a: str, n: int) -> int:
    _check_index(a, n)
    return int(a[n])


def _set_bit(a: str, n: int, bit: int) -> str:
    _check_index(a, n)
    if bit not in (0, 1):
        raise HeliosError("new bit must be 0 or 1", sqlstate="22023")
    return a[:n] + str(bit) + a[n + 1:]


def _typed(args: list[Vec], kinds: str) -> list[Vec] | None:
    """The arguments as the signature wants them ('b' bit string, 'i' int4), or None when the
    first is not a bit string (the call is another type's)."""
    if not args or len(args) != len(kinds) or not is_bits(args[0].type):
        return None
    out = []
    for v, k in zip(args, kinds, strict=True):
        if k == "b":
            if not (is_bits(v.type) or v.type.name == "unknown"):
                return None
            out.append(v if is_bits(v.type) else cast(v, T.VARBIT, context="implicit"))
        else:
            if v.type.name not in (*_INTEGERS, "unknown"):
                return None
            out.append(cast(v, T.INT4, context="implicit"))
    return out


def _function(name: str, signatures: dict[str, tuple[Callable[..., Any], T.SqlType]]) -> None:
    def impl(args: list[Vec]) -> Vec | None:
        for kinds, (fn, out) in signatures.items():
            typed = _typed(args, kinds)
            if typed is not None:
                return apply_rows(typed, fn, out)
        return None

    overload(name, impl)


_function("length", {"b": (len, T.INT4)})
_function("bit_length", {"b": (len, T.INT4)})
_function("octet_length", {"b": (lambda a: (len(a) + 7) // 8, T.INT4)})
_function("bit_count", {"b": (lambda a: a.count("1"), T.INT8)})
_function("substr", {"bi": (lambda a, s: _substring(a, s, None), T.BIT), "bii": (_substring, T.BIT)})
_function("substring", {"bi": (lambda a, s: _substring(a, s, None), T.BIT), "bii": (_substring, T.BIT)})
_function("overlay", {"bbi": (lambda a, p, s: _overlay(a, p, s, None), T.BIT), "bbii": (_overlay, T.BIT)})
_function("get_bit", {"bi": (_get_bit, T.INT4)})
_function("getbit", {"bi": (_get_bit, T.INT4)})
_function("set_bit", {"bii": (_set_bit, T.BIT)})


def _strpos(args: list[Vec]) -> Vec | None:
    """position(sub IN bits) arrives as strpos(bits, sub)."""
    if len(args) != 2 or not is_bits(args[0].type) or not (is_bits(args[1].type) or args[1].type.name == "unknown"):
        return None
    return apply_rows([args[0], cast(args[1], T.VARBIT, context="implicit")], lambda a, sub: _position(sub, a),
                      T.INT4)


overload("strpos", _strpos)
