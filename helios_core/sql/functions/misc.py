"""Miscellaneous functions: pg_typeof, gen_random_uuid, encode/decode, coalesce/nullif,
num_nulls, convert_to/from."""

from __future__ import annotations

import base64
import hashlib
import uuid

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import HeliosError, InvalidParameterValue
from helios_core.sql import types as T
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.registry import define, no_function, scalar
from helios_core.sql.functions.resolve import common_type
from helios_core.sql.functions.vec import Vec, align, full


@scalar("pg_typeof")
def _pg_typeof(args: list[Vec]) -> Vec:
    """The argument's type as a regtype (its OID, shown as the type's name)."""
    t = args[0].type
    if t.domain is not None:
        return Vec.const(t.domain.oid, T.REGTYPE)
    t = T.array_of(t.element.base) if t.element is not None else t.base  # regtype has no typmod
    return Vec.const(t.oid, T.REGTYPE)


@scalar("gen_random_uuid", "uuid_generate_v4", nargs=0, volatile=True)
def _gen_random_uuid(args: list[Vec]) -> Vec:
    return Vec.const(str(uuid.uuid4()), T.UUID)


def random_uuids(n: int) -> pa.Array:
    """n fresh uuids (the planner calls this to fill a column for a volatile call)."""
    return pa.array([str(uuid.uuid4()) for _ in range(n)], pa.string())


@scalar("coalesce", nargs=(1, None))
def coalesce(args: list[Vec]) -> Vec:
    t = common_type([a.type for a in args], "COALESCE")
    vs = [cast(a, t, context="implicit") for a in args]
    if t.name == "numeric":
        from helios_core.sql.functions.decimals import dec_type, to_decimal

        arrs = [to_decimal(v.array) for v in vs]
        sc = max(a.type.scale for a in arrs)
        ip = max(a.type.precision - a.type.scale for a in arrs)
        vs = [Vec(a.cast(dec_type(ip + sc, sc)), t, v.scalar) for a, v in zip(arrs, vs, strict=True)]
    arrays, s = align(vs)
    if len(arrays) == 1:
        return vs[0]
    out = pc.coalesce(*arrays)
    if isinstance(out, pa.Scalar):
        out = pa.array([out.as_py()], out.type)
    return Vec(out, t, s)


@scalar("nullif", nargs=2)
def nullif(args: list[Vec]) -> Vec:
    from helios_core.sql.functions.operators import binary_op

    a, b = args
    if a.type.name == "unknown" and b.type.name != "unknown":
        a = cast(a, b.type)
    eq = binary_op("=", a, b)
    (x, e), s = full([a, eq])
    out = pc.if_else(pc.fill_null(e, False), pa.scalar(None, x.type), x)
    return Vec(out, a.type if a.type.name != "unknown" else T.TEXT, s)


def _make_count_nulls(nonnull: bool):
    def impl(args: list[Vec]) -> Vec:
        arrays, s = full(args)
        total = None
        for a in arrays:
            c = pc.cast(pc.is_valid(a) if nonnull else pc.is_null(a), pa.int32())
            total = c if total is None else pc.add(total, c)
        return Vec(total, T.INT4, s)

    return impl


define("num_nulls", _make_count_nulls(False), nargs=(1, None))
define("num_nonnulls", _make_count_nulls(True), nargs=(1, None))


def _escape_bytes(b: bytes) -> str:
    """encode(..., 'escape'): a zero byte and bytes with the high bit as octal, a backslash doubled,
    every other byte as it is (PostgreSQL's esc_encode, which keeps control characters unlike
    bytea's escape output)."""
    out = []
    for c in b:
        if c == 0x5C:
            out.append("\\\\")
        elif c == 0 or c > 0x7F:
            out.append(f"\\{c:03o}")
        else:
            out.append(chr(c))
    return "".join(out)


@scalar("encode", nargs=2)
def _encode(args: list[Vec]) -> Vec:
    data = args[0]
    if data.type.name not in ("bytea", "unknown"):
        raise no_function("encode", args)
    data = cast(data, T.BYTEA)
    fmt = cast(args[1], T.TEXT)
    (d, f), s = full([data, fmt])
    out = []
    # Per-row Python: binary-to-text encodings
    for b, ff in zip(d.to_pylist(), f.to_pylist(), strict=True):
        if b is None or ff is None:
            out.append(None)
            continue
        ff = ff.lower()
        if ff == "hex":
            out.append(b.hex())
        elif ff == "base64":
            enc = base64.b64encode(b).decode()
            out.append("\n".join(enc[i:i + 76] for i in range(0, len(enc), 76)))
        elif ff == "escape":
            out.append(_escape_bytes(b))
        else:
            raise InvalidParameterValue(f'unrecognized encoding: "{ff}"')
    return Vec(pa.array(out, pa.string()), T.TEXT, s)


@scalar("decode", nargs=2)
def _decode(args: list[Vec]) -> Vec:
    txt = cast(args[0], T.TEXT)
    fmt = cast(args[1], T.TEXT)
    (d, f), s = full([txt, fmt])
    out = []
    for x, ff in zip(d.to_pylist(), f.to_pylist(), strict=True):
        if x is None or ff is None:
            out.append(None)
            continue
        ff = ff.lower()
        try:
            if ff == "hex":
                out.append(bytes.fromhex(x))
            elif ff == "base64":
                out.append(base64.b64decode("".join(x.split()), validate=True))
            elif ff == "escape":
                out.append(cast(Vec.const(x, T.TEXT), T.BYTEA).value())
            else:
                raise InvalidParameterValue(f'unrecognized encoding: "{ff}"')
        except ValueError:
            raise HeliosError(f"invalid {ff} data", sqlstate="22023") from None
    return Vec(pa.array(out, pa.binary()), T.BYTEA, s)


@scalar("convert_to", nargs=2)
def _convert_to(args: list[Vec]) -> Vec:
    s = cast(args[0], T.TEXT)
    return Vec(s.array.cast(pa.binary()), T.BYTEA, s.scalar)


@scalar("convert_from", nargs=2)
def _convert_from(args: list[Vec]) -> Vec:
    b = cast(args[0], T.BYTEA)
    try:
        out = b.array.cast(pa.string())
    except pa.ArrowInvalid:
        raise HeliosError("invalid byte sequence for encoding \"UTF8\"", sqlstate="22021") from None
    if pc.any(pc.match_substring(out, "\x00")).as_py():  # valid UTF-8, but text never holds NUL
        raise HeliosError('invalid byte sequence for encoding "UTF8": 0x00', sqlstate="22021")
    return Vec(out, T.TEXT, b.scalar)


@scalar("get_byte", nargs=2)
def _get_byte(args: list[Vec]) -> Vec:
    b = cast(args[0], T.BYTEA)
    n = cast(args[1], T.INT4)
    (x, k), s = full([b, n])
    out = []
    for v, i in zip(x.to_pylist(), k.to_pylist(), strict=True):
        if v is None or i is None:
            out.append(None)
        elif not 0 <= i < len(v):
            raise HeliosError(f"index {i} out of valid range, 0..{len(v) - 1}", sqlstate="2202E")
        else:
            out.append(v[i])
    return Vec(pa.array(out, pa.int32()), T.INT4, s)


# ----------------------------------------------------------------------------- bytea digests, bits
def _bytea_rows(fname: str, args: list[Vec]) -> tuple[list[list], bool]:
    vs = [cast(args[0], T.BYTEA), *(cast(a, T.INT4) for a in args[1:])]
    arrays, s = full(vs)
    return [a.to_pylist() for a in arrays], s


def _sha(bits: int):
    def impl(args: list[Vec]) -> Vec:
        if args[0].type.name not in ("bytea", "unknown"):
            raise no_function(f"sha{bits}", args)
        (data, *_), s = _bytea_rows(f"sha{bits}", args[:1])
        algo = f"sha{bits}"
        out = [None if v is None else hashlib.new(algo, v).digest() for v in data]
        return Vec(pa.array(out, pa.binary()), T.BYTEA, s)

    return impl


for _bits in (224, 256, 384, 512):
    define(f"sha{_bits}", _sha(_bits))


@scalar("s_h_a2_digest", nargs=2)
def _sha2_digest(args: list[Vec]) -> Vec:
    """sqlglot parses sha256/sha384/sha512(x) as SHA2Digest(x, bits)."""
    bits = cast(args[1], T.INT4).value()
    if bits not in (224, 256, 384, 512):
        raise no_function("sha2", args)
    return _sha(bits)(args[:1])


def _bit_index(v: bytes, i: int) -> None:
    if not 0 <= i < len(v) * 8:
        raise HeliosError(f"index {i} out of valid range, 0..{len(v) * 8 - 1}", sqlstate="2202E")


@scalar("get_bit", "getbit", nargs=2)
def _get_bit(args: list[Vec]) -> Vec:
    (data, idx), s = _bytea_rows("get_bit", args)
    out = []
    for v, i in zip(data, idx, strict=True):
        if v is None or i is None:
            out.append(None)
            continue
        _bit_index(v, i)
        out.append((v[i // 8] >> (i % 8)) & 1)
    return Vec(pa.array(out, pa.int32()), T.INT4, s)


@scalar("set_bit", nargs=3)
def _set_bit(args: list[Vec]) -> Vec:
    (data, idx, bit), s = _bytea_rows("set_bit", args)
    out = []
    for v, i, b in zip(data, idx, bit, strict=True):
        if v is None or i is None or b is None:
            out.append(None)
            continue
        _bit_index(v, i)
        if b not in (0, 1):
            raise InvalidParameterValue("new bit must be 0 or 1")
        w = bytearray(v)
        w[i // 8] = (w[i // 8] & ~(1 << (i % 8))) | (b << (i % 8))
        out.append(bytes(w))
    return Vec(pa.array(out, pa.binary()), T.BYTEA, s)


@scalar("set_byte", nargs=3)
def _set_byte(args: list[Vec]) -> Vec:
    (data, idx, val), s = _bytea_rows("set_byte", args)
    out = []
    for v, i, b in zip(data, idx, val, strict=True):
        if v is None or i is None or b is None:
            out.append(None)
            continue
        if not 0 <= i < len(v):
            raise HeliosError(f"index {i} out of valid range, 0..{len(v) - 1}", sqlstate="2202E")
        w = bytearray(v)
        w[i] = b & 0xFF
        out.append(bytes(w))
    return Vec(pa.array(out, pa.binary()), T.BYTEA, s)
