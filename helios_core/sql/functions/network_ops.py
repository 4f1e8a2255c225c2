"""The functions and operators of inet and cidr (PostgreSQL's network.c and network_*.c).

Containment (<< <<= >> >>= &&) compares the network parts of two values of one family;
bitwise (~ & |) and arithmetic (+ - with integers, inet - inet) work on the address as one
unsigned integer, keeping the prefix length. A value is decoded per row (``network.decode``):
the types are stored as text, and these are not the operators of hot loops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from helios_core.errors import HeliosError, NumericValueOutOfRange
from helios_core.sql import types as T
from helios_core.sql.functions import network as N
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.registry import define, no_function, overload
from helios_core.sql.functions.vec import Vec, align

CONTAINMENT = ("<<", "<<=", ">>", ">>=", "&&")
_INTEGERS = ("int2", "int4", "int8")


def _invalid(message: str) -> HeliosError:
    return HeliosError(message, sqlstate="22023")


def is_network(t: T.SqlType) -> bool:
    return t.name in N.NETWORK_TYPES and t.element is None


def _as_network(v: Vec, default: T.SqlType = T.INET) -> Vec:
    """An untyped literal argument is read as inet, as PostgreSQL resolves it."""
    if v.type.name == "unknown":
        return cast(v, default)
    return v


def _rows(vecs: list[Vec]) -> tuple[list[list[Any]], bool, int]:
    arrays, scalar = align(vecs)
    lengths = [len(a) for a in arrays if isinstance(a, pa.Array)]
    n = max(lengths) if lengths else 1
    cols = [a.to_pylist() if isinstance(a, pa.Array) else [a.as_py()] * n for a in arrays]
    return cols, scalar, n


def _apply(vecs: list[Vec], fn: Callable[..., Any], out: T.SqlType) -> Vec:
    """fn over the rows (NULL in, NULL out); network operands arrive decoded."""
    cols, scalar, n = _rows(vecs)
    decoders = [N.decode if is_network(v.type) else (lambda x: x) for v in vecs]
    values = []
    for i in range(n):
        row = [c[i] for c in cols]
        values.append(None if any(x is None for x in row) else
                      fn(*[d(x) for d, x in zip(decoders, row, strict=True)]))
    return Vec(pa.array(values, out.arrow_type), out, scalar)


# ---------------------------------------------------------------------------------- containment

def _same_prefix(a: N.Address, b: N.Address, bits: int) -> bool:
    shift = a.max_bits - bits
    return (a.addr >> shift) == (b.addr >> shift)


def _contained(op: str, a: N.Address, b: N.Address) -> bool:
    if a.family != b.family:
        return False
    if op == "<<":
        return a.bits > b.bits and _same_prefix(a, b, b.bits)
    if op == "<<=":
        return a.bits >= b.bits and _same_prefix(a, b, b.bits)
    if op == ">>":
        return a.bits < b.bits and _same_prefix(a, b, a.bits)
    if op == ">>=":
        return a.bits <= b.bits and _same_prefix(a, b, a.bits)
    return _same_prefix(a, b, min(a.bits, b.bits))  # &&


# ----------------------------------------------------------------------------- bitwise, arithmetic

def _not(a: N.Address) -> str:
    return N.inet_text(N.Address((a.family, ~a.addr & ((1 << a.max_bits) - 1), a.bits)))


def _bitwise(word: str, fn: Callable[[int, int], int]) -> Callable[[N.Address, N.Address], str]:
    def impl(a: N.Address, b: N.Address) -> str:
        if a.family != b.family:
            raise _invalid(f"cannot {word} inet values of different sizes")
        return N.inet_text(N.Address((a.family, fn(a.addr, b.addr), max(a.bits, b.bits))))

    return impl


def _plus(a: N.Address, n: int) -> str:
    addr = a.addr + n
    if not 0 <= addr < (1 << a.max_bits):
        raise NumericValueOutOfRange("result is out of range")
    return N.inet_text(N.Address((a.family, addr, a.bits)))


def _minus(a: N.Address, b: N.Address) -> int:
    if a.family != b.family:
        raise _invalid("cannot subtract inet values of different sizes")
    diff = a.addr - b.addr
    if not -(1 << 63) <= diff < (1 << 63):
        raise NumericValueOutOfRange("result is out of range")
    return diff


def handles_binary(op: str, l: Vec, r: Vec) -> bool:
    """Whether ``l op r`` is one of the network operators (an untyped literal takes the
    network type, or int8 beside + and -)."""
    ln, rn = is_network(l.type), is_network(r.type)
    if not (ln or rn):
        return False
    if op in CONTAINMENT or op in ("&", "|"):
        return (ln or l.type.name == "unknown") and (rn or r.type.name == "unknown")
    if op == "+":
        return (ln and (r.type.name in _INTEGERS or r.type.name == "unknown")) or \
            (rn and (l.type.name in _INTEGERS or l.type.name == "unknown"))
    if op == "-":
        return ln and (rn or r.type.name in _INTEGERS or r.type.name == "unknown")
    return False


def operand_type(op: str, known: T.SqlType) -> T.SqlType:
    """The type an untyped literal takes beside a network value."""
    return T.INT8 if op == "+" else known.base


def binary(op: str, l: Vec, r: Vec) -> Vec:
    if op == "+":
        net, num = (l, r) if is_network(l.type) else (r, l)
        num = cast(num, T.INT8, context="implicit")
        return _apply([net, num], _plus, T.INET)
    if l.type.name == "unknown":
        l = cast(l, r.type.base, context="implicit")
    if r.type.name == "unknown":
        r = cast(r, l.type.base, context="implicit")
    if op == "-" and r.type.name in _INTEGERS:
        return _apply([l, cast(r, T.INT8, context="implicit")], lambda a, n: _plus(a, -n), T.INET)
    if op == "-":
        return _apply([l, r], _minus, T.INT8)
    if op == "&":
        return _apply([l, r], _bitwise("AND", lambda x, y: x & y), T.INET)
    if op == "|":
        return _apply([l, r], _bitwise("OR", lambda x, y: x | y), T.INET)
    return _apply([l, r], lambda a, b: _contained(op, a, b), T.BOOL)


def handles_prefix(op: str, v: Vec) -> bool:
    return op == "~" and is_network(v.type)


def prefix(op: str, v: Vec) -> Vec:
    return _apply([v], _not, T.INET)


# ------------------------------------------------------------------------------------- functions

def _abbrev(a: N.Address, kind: str) -> str:
    """abbrev(cidr) leaves out the zero octets past the prefix ('10.1/16'); abbrev(inet) is the
    output text."""
    if kind != "cidr":
        return N.inet_text(a)
    if a.family == 6:
        return N.cidr_text(a)
    octets = a.addr.to_bytes(4, "big")
    parts = [str(o) for o in octets[: a.bits // 8]]
    if a.bits % 8:
        parts.append(str(octets[a.bits // 8]))
    return ".".join(parts or ["0"]) + f"/{a.bits}"


def _set_masklen(kind: str) -> Callable[[N.Address, int], str]:
    def impl(a: N.Address, bits: int) -> str:
        if bits == -1:
            bits = a.max_bits
        if not 0 <= bits <= a.max_bits:
            raise _invalid(f"invalid mask length: {bits}")
        b = N.Address((a.family, a.addr, bits))
        if kind == "cidr":
            return N.cidr_text(N.Address((a.family, a.addr & b.netmask, bits)))
        return N.inet_text(b)

    return impl


def _merge(a: N.Address, b: N.Address) -> str:
    if a.family != b.family:
        raise _invalid("cannot merge addresses from different families")
    bits = min(a.bits, b.bits)
    x = a.addr ^ b.addr
    common = a.max_bits - x.bit_length()
    bits = min(bits, common)
    m = N.Address((a.family, a.addr, bits))
    return N.cidr_text(N.Address((a.family, a.addr & m.netmask, bits)))


def _unary(name: str, fn: Callable[[N.Address], Any], out: T.SqlType) -> None:
    def impl(args: list[Vec]) -> Vec:
        (v,) = args
        v = _as_network(v)
        if not is_network(v.type):
            raise no_function(name, args)
        return _apply([v], fn, out)

    define(name, impl, nargs=1)


_unary("host", lambda a: N.address_text(a.family, a.addr), T.TEXT)
_unary("masklen", lambda a: a.bits, T.INT4)
_unary("family", lambda a: a.family, T.INT4)
_unary("network", lambda a: N.cidr_text(N.Address((a.family, a.addr & a.netmask, a.bits))), T.CIDR)
_unary("netmask", lambda a: N.inet_text(N.Address((a.family, a.netmask, a.max_bits))), T.INET)
_unary("hostmask", lambda a: N.inet_text(N.Address((a.family, a.hostmask, a.max_bits))), T.INET)
_unary("broadcast", lambda a: N.inet_text(N.Address((a.family, a.addr | a.hostmask, a.bits))), T.INET)


def _abbrev_call(args: list[Vec]) -> Vec:
    (v,) = args
    v = _as_network(v)
    if not is_network(v.type):
        raise no_function("abbrev", args)
    kind = v.type.name
    return _apply([v], lambda a: _abbrev(a, kind), T.TEXT)


def _text_call(args: list[Vec]) -> Vec | None:
    """text(inet): the address with its prefix length; other types' text() answer elsewhere."""
    if len(args) != 1 or not is_network(args[0].type):
        return None
    return _apply([args[0]], N.full_text, T.TEXT)


def _set_masklen_call(args: list[Vec]) -> Vec:
    v, n = args
    v = _as_network(v)
    if not is_network(v.type):
        raise no_function("set_masklen", args)
    out = T.CIDR if v.type.name == "cidr" else T.INET
    return _apply([v, cast(n, T.INT4, context="implicit")], _set_masklen(v.type.name), out)


def _pair(name: str, fn: Callable[[N.Address, N.Address], Any], out: T.SqlType) -> None:
    def impl(args: list[Vec]) -> Vec:
        a, b = (_as_network(x) for x in args)
        if not (is_network(a.type) and is_network(b.type)):
            raise no_function(name, args)
        return _apply([a, b], fn, out)

    define(name, impl, nargs=2)


define("abbrev", _abbrev_call, nargs=1)
define("set_masklen", _set_masklen_call, nargs=2)
overload("text", _text_call)
_pair("inet_same_family", lambda a, b: a.family == b.family, T.BOOL)


def _key(a: N.Address) -> tuple[int, int, int, int]:
    """network_cmp's order: family, then the network part, then the prefix length, then the host."""
    return a.family, a.addr & a.netmask, a.bits, a.addr


def _bitncmp(a: N.Address, b: N.Address, n: int) -> int:
    """PostgreSQL's bitncmp over the first n bits: the difference of the first differing whole
    bytes (memcmp's), else +-1 for a differing bit of the partial byte."""
    size = a.max_bits // 8
    x, y = a.addr.to_bytes(size, "big"), b.addr.to_bytes(size, "big")
    for i in range(n // 8):
        if x[i] != y[i]:
            return x[i] - y[i]
    rest = n % 8
    if rest:
        shift = 8 - rest
        lx, ly = x[n // 8] >> shift, y[n // 8] >> shift
        if lx != ly:
            return 1 if lx > ly else -1
    return 0


def _cmp(a: N.Address, b: N.Address) -> int:
    """network_cmp: its value as PostgreSQL computes it, not only its sign."""
    if a.family != b.family:
        return -1 if a.family < b.family else 1
    return _bitncmp(a, b, min(a.bits, b.bits)) or (a.bits - b.bits) or _bitncmp(a, b, a.max_bits)


_pair("network_cmp", _cmp, T.INT4)
_pair("network_larger", lambda a, b: N.inet_text(a if _key(a) > _key(b) else b), T.INET)
_pair("network_smaller", lambda a, b: N.inet_text(a if _key(a) < _key(b) else b), T.INET)
_pair("inet_merge", _merge, T.CIDR)
