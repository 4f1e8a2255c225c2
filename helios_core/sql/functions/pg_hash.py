"""PostgreSQL's hash functions, bit for bit: the hash opclasses' support functions and the
hash that places rows in HASH partitions.

PostgreSQL hashes with Bob Jenkins' lookup3 (``hash_any`` over bytes, ``hash_uint32`` over one
word), each type's value first turned into the bytes or word its hash function feeds in. The
"extended" variants take a 64-bit seed and give 64 bits (the final ``b`` and ``c`` words).
A HASH-partitioned row's hash is the extended hash of each non-NULL key column with seed
``HASH_PARTITION_SEED``, folded with ``hash_combine64`` from 0; the row belongs to the partition
whose remainder is that hash modulo its modulus. Matching these exactly is what makes a row land
in the same partition as in PostgreSQL (and ``hashtext('x')`` print the same number).

Byte order is the little-endian one (x86-64, ARM64): PostgreSQL's hashes depend on it.

Types hashed as PostgreSQL does: int2, int4, int8, oid (and the reg* OID aliases), bool,
"char", date, time, timestamp, timestamptz, interval, timetz, float4, float8, numeric (NaN
and infinities too), text, varchar, name, bpchar (trailing blanks ignored), bytea, uuid,
macaddr, macaddr8, inet/cidr, oidvector, jsonb, citext (its lower-cased text, by Python's rules),
and arrays, ranges, multiranges and composite values of these. Not matched: an enum hashes its
label's OID in PostgreSQL, which differs between installations (here: the label's text); other
types hash their text the same way, so they land deterministically but not where PostgreSQL
would put them.
"""

from __future__ import annotations

import datetime
import decimal
import ipaddress
import json
import math
import re
import struct
import uuid
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import UndefinedFunction
from helios_core.sql import types as T
from helios_core.sql.functions import numeric_special as NS
from helios_core.sql.functions import numeric_wide as NW

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
HASH_PARTITION_SEED = 0x7A5B22367996DCFD
_GOLDEN = 0x9E3779B9 + 3923095  # lookup3's initial state, before the key length is added

# PostgreSQL's epochs (2000-01-01) against Arrow's (1970-01-01)
_PG_EPOCH_DAYS = 10957
_PG_EPOCH_US = _PG_EPOCH_DAYS * 86_400_000_000
_USECS_PER_DAY = 86_400_000_000


# ------------------------------------------------------------------------------ lookup3
def _rot(x: Any, k: int) -> Any:
    return ((x << k) | (x >> (32 - k))) & _M32


def _mix(a: Any, b: Any, c: Any) -> tuple[Any, Any, Any]:
    """lookup3's reversible mix of three 32-bit words (Python ints or numpy uint32 arrays)."""
    a = (a - c) & _M32
    a ^= _rot(c, 4)
    c = (c + b) & _M32
    b = (b - a) & _M32
    b ^= _rot(a, 6)
    a = (a + c) & _M32
    c = (c - b) & _M32
    c ^= _rot(b, 8)
    b = (b + a) & _M32
    a = (a - c) & _M32
    a ^= _rot(c, 16)
    c = (c + b) & _M32
    b = (b - a) & _M32
    b ^= _rot(a, 19)
    a = (a + c) & _M32
    c = (c - b) & _M32
    c ^= _rot(b, 4)
    b = (b + a) & _M32
    return a, b, c


def _final(a: Any, b: Any, c: Any) -> tuple[Any, Any, Any]:
    """lookup3's final avalanche of (a, b, c) into c (and b, which the 64-bit variants keep)."""
    c ^= b
    c = (c - _rot(b, 14)) & _M32
    a ^= c
    a = (a - _rot(c, 11)) & _M32
    b ^= a
    b = (b - _rot(a, 25)) & _M32
    c ^= b
    c = (c - _rot(b, 16)) & _M32
    a ^= c
    a = (a - _rot(c, 4)) & _M32
    b ^= a
    b = (b - _rot(a, 14)) & _M32
    c ^= b
    c = (c - _rot(b, 24)) & _M32
    return a, b, c


def _seeded(length: int, seed: int) -> tuple[int, int, int]:
    """The initial state for a key of ``length`` bytes; a non-zero seed is mixed in as one more block."""
    a = b = c = (_GOLDEN + length) & _M32
    if seed:
        a = (a + (seed >> 32)) & _M32
        b = (b + (seed & _M32)) & _M32
        a, b, c = _mix(a, b, c)
    return a, b, c


def _bytes_state(data: bytes, seed: int) -> tuple[int, int]:
    n = len(data)
    a, b, c = _seeded(n, seed)
    whole = n - n % 12
    for pos in range(0, whole, 12):
        x, y, z = struct.unpack_from("<III", data, pos)
        a, b, c = _mix((a + x) & _M32, (b + y) & _M32, (c + z) & _M32)
    if n > whole:
        # the last 1..11 bytes, little-endian, with the lowest byte of c left for the length
        tail = data[whole:] + bytes(12 - (n - whole))
        x, y, z = struct.unpack("<III", tail[:8] + b"\0" + tail[8:11])
        a, b, c = (a + x) & _M32, (b + y) & _M32, (c + z) & _M32
    _, b, c = _final(a, b, c)
    return b, c


def hash_any(data: bytes) -> int:
    """PostgreSQL's hash_any: lookup3 over bytes, an unsigned 32-bit value."""
    return _bytes_state(bytes(data), 0)[1]


def hash_any_extended(data: bytes, seed: int) -> int:
    """hash_any_extended: the 64-bit variant with a seed (0 = no seed), unsigned."""
    b, c = _bytes_state(bytes(data), seed & _M64)
    return (b << 32) | c


def hash_uint32(k: int) -> int:
    """hash_uint32: hash_any of one 32-bit word without storing it."""
    a, b, c = _seeded(4, 0)
    return _final((a + (k & _M32)) & _M32, b, c)[2]


def hash_uint32_extended(k: int, seed: int) -> int:
    a, b, c = _seeded(4, seed & _M64)
    _, b, c = _final((a + (k & _M32)) & _M32, b, c)
    return (b << 32) | c


def hash_combine64(a: int, b: int) -> int:
    """Fold hash ``b`` into ``a`` as PostgreSQL combines partition key columns."""
    return (a ^ ((b + 0x49A0F4DD15E5A8E3 + (a << 54) + (a >> 7)) & _M64)) & _M64


def as_int4(u: int) -> int:
    """An unsigned 32-bit hash as PostgreSQL prints it (int4)."""
    return u - (1 << 32) if u & 0x80000000 else u


def as_int8(u: int) -> int:
    return u - (1 << 64) if u & (1 << 63) else u


def _int8_word(v: int) -> int:
    """hashint8's 32-bit word: the low half xor the high half (its complement when negative),
    so an int8 hashes like the int2/int4 of the same value."""
    lo, hi = v & _M32, (v >> 32) & _M32
    return lo ^ (hi if v >= 0 else (~hi & _M32))


# --------------------------------------------------------------- vectorized integer words
def _words_uint32(values: np.ndarray) -> np.ndarray:
    """hashint8's words of int64 values (numpy)."""
    v = values.astype(np.int64, copy=False)
    lo = (v & _M32).astype(np.uint32)
    hi = ((v >> 32) & _M32).astype(np.uint32)
    return lo ^ np.where(v >= 0, hi, ~hi)


def _hash_words_extended(words: np.ndarray, seed: int) -> np.ndarray:
    a0, b0, c0 = _seeded(4, seed & _M64)
    n = len(words)
    a = (words.astype(np.uint32) + np.uint32(a0)).astype(np.uint32)
    b = np.full(n, b0, np.uint32)
    c = np.full(n, c0, np.uint32)
    with np.errstate(over="ignore"):
        _, b, c = _final(a, b, c)
    return (b.astype(np.uint64) << np.uint64(32)) | c.astype(np.uint64)


_SHORT = 256  # byte strings up to this long are hashed vectorized (a padded matrix per batch)
_CHUNK = 65536


def _bytes_column(arr: pa.Array, seed: int) -> np.ndarray:
    """hash_any_extended of every value of a string or binary array (NULL rows: 0): lookup3 run
    over all rows at once, one 12-byte block per step, on a zero-padded byte matrix."""
    n = len(arr)
    out = np.zeros(n, np.uint64)
    if arr.type in (pa.large_string(), pa.large_binary()):
        arr = arr.cast(pa.binary() if arr.type == pa.large_binary() else pa.string())
    offsets = np.frombuffer(arr.buffers()[1], np.int32)[arr.offset:arr.offset + n + 1].astype(np.int64)
    data = np.frombuffer(arr.buffers()[2], np.uint8) if arr.buffers()[2] is not None else np.zeros(0, np.uint8)
    lengths = np.diff(offsets)
    valid = np.asarray(arr.is_valid())
    long_rows = np.nonzero(valid & (lengths > _SHORT))[0]
    for i in long_rows:  # rare long values: one at a time
        out[i] = hash_any_extended(data[offsets[i]:offsets[i + 1]].tobytes(), seed)
    for lo in range(0, n, _CHUNK):
        rows = np.arange(lo, min(n, lo + _CHUNK))
        rows = rows[valid[rows] & (lengths[rows] <= _SHORT)]
        if len(rows):
            out[rows] = _short_bytes(data, offsets[rows], lengths[rows], seed)
    return out


def _short_bytes(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, seed: int) -> np.ndarray:
    m = len(starts)
    blocks = lengths // 12  # full 12-byte blocks each row mixes; the rest (0..11 bytes) is its tail
    width = (int(blocks.max()) + 1) * 12
    mat = np.zeros((m, width), np.uint8)
    total = int(lengths.sum())
    if total:
        row = np.repeat(np.arange(m), lengths)
        col = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        mat[row, col] = data[np.repeat(starts, lengths) + col]
    words = mat.view("<u4").astype(np.uint32)  # (m, width / 4): three words per block
    with np.errstate(over="ignore"):
        a = ((lengths + _GOLDEN) & _M32).astype(np.uint32)
        b, c = a.copy(), a.copy()
        if seed:
            a = (a + np.uint32(seed >> 32)).astype(np.uint32)
            b = (b + np.uint32(seed & _M32)).astype(np.uint32)
            a, b, c = _mix(a, b, c)
        for j in range(int(blocks.max())):
            on = blocks > j
            ma, mb, mc = _mix(a + words[:, 3 * j], b + words[:, 3 * j + 1], c + words[:, 3 * j + 2])
            a, b, c = np.where(on, ma, a), np.where(on, mb, b), np.where(on, mc, c)
        at = np.arange(m)
        a = a + words[at, 3 * blocks]
        b = b + words[at, 3 * blocks + 1]
        c = c + (words[at, 3 * blocks + 2] << np.uint32(8))  # the lowest byte of c is left for the length
        _, b, c = _final(a.astype(np.uint32), b.astype(np.uint32), c.astype(np.uint32))
    return (b.astype(np.uint64) << np.uint64(32)) | c.astype(np.uint64)


# ------------------------------------------------------------------------ per-type images
_INT_TYPES = frozenset({"int2", "int4", "int8", "oid", "regclass", "regtype", "regproc", "regprocedure",
                        "regoper", "regoperator", "regnamespace", "regrole", "regcollation", "bool"})
_TEXT_TYPES = frozenset({"text", "varchar", "name", "unknown"})


def _integer_image(type_name: str, value: Any) -> int | None:
    """The int8 whose hashint8 word is the type's hash word, for types hashed as one integer."""
    if type_name in _INT_TYPES:
        return int(value)
    if type_name == "char":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return struct.unpack("b", raw[:1])[0] if raw else 0
    if type_name == "date":
        days = value if isinstance(value, int) else (value - datetime.date(1970, 1, 1)).days
        return days if days in (2**31 - 1, -(2**31)) else days - _PG_EPOCH_DAYS  # +-infinity kept
    if type_name in ("timestamp", "timestamptz"):
        us = value if isinstance(value, int) else _micros(value)
        return us if us in (2**63 - 1, -(2**63)) else us - _PG_EPOCH_US
    if type_name == "time":
        if isinstance(value, int):
            return value
        return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
    if type_name == "interval":
        months, days, nanos = (value.months, value.days, value.nanoseconds) if not isinstance(value, tuple) \
            else value
        span = nanos // 1000 + (months * 30 + days) * _USECS_PER_DAY  # interval_cmp_value
        span &= _M64
        return span - (1 << 64) if span >> 63 else span
    return None


def _micros(value: Any) -> int:
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    delta = value - datetime.datetime(1970, 1, 1)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _float_bytes(value: float) -> bytes | None:
    """The float8 bytes hashfloat8 hashes; None for zero (-0 and 0 hash alike, as a constant)."""
    f = float(value)
    if f == 0.0:
        return None
    if math.isnan(f):
        return struct.pack("<Q", 0x7FF8000000000000)  # the one NaN PostgreSQL hashes
    return struct.pack("<d", f)


def _byte_image(type_name: str, value: Any) -> bytes | None:
    """The bytes hash_any sees for types hashed over their bytes; None when not such a type."""
    if type_name in _TEXT_TYPES:
        return value.encode() if isinstance(value, str) else bytes(value)
    if type_name == "citext":  # the citext extension hashes the lower-cased text
        return str(value).lower().encode()
    if type_name == "bpchar":
        return value.rstrip(" ").encode() if isinstance(value, str) else bytes(value).rstrip(b" ")
    if type_name == "bytea":
        return bytes(value) if not isinstance(value, str) else value.encode()
    if type_name == "uuid":
        return value.bytes if isinstance(value, uuid.UUID) else uuid.UUID(str(value)).bytes
    if type_name in ("macaddr", "macaddr8"):
        return bytes.fromhex(re.sub("[^0-9a-fA-F]", "", str(value)))
    if type_name == "oidvector":  # the OIDs as 32-bit words
        return struct.pack(f"<{len(value)}I", *value)
    if type_name in ("inet", "cidr"):
        iface = ipaddress.ip_interface(str(value))
        family = 2 if iface.version == 4 else 3  # PGSQL_AF_INET, PGSQL_AF_INET6
        return bytes([family, iface.network.prefixlen]) + iface.ip.packed
    return None


def _numeric_parts(d: decimal.Decimal) -> tuple[bytes, int] | None:
    """A finite non-zero numeric as PostgreSQL stores it: its base-10000 digits (leading and
    trailing zero digits dropped) as int16 bytes, and the weight of the first one."""
    _sign, digits, exp = d.as_tuple()
    n = int("".join(map(str, digits)) or "0")
    if n == 0:
        return None
    frac = -exp if exp < 0 else 0
    pad = -frac % 4
    n = n * 10 ** (pad + max(0, exp))
    groups = []
    while n:
        n, r = divmod(n, 10000)
        groups.append(r)
    groups.reverse()
    weight = len(groups) - 1 - (frac + pad) // 4
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    return struct.pack(f"<{len(groups)}h", *groups), weight


def _numeric_hash(value: Any, seed: int | None) -> int:
    d = value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))
    if not d.is_finite():
        return 0 if seed is None else seed & _M64
    parts = _numeric_parts(d)
    if parts is None:  # zero, whatever its scale
        return _M32 if seed is None else (seed - 1) & _M64
    raw, weight = parts
    if seed is None:
        return (hash_any(raw) ^ weight) & _M32
    return (hash_any_extended(raw, seed) ^ weight) & _M64  # the weight sign-extended to 64 bits


def _timetz_parts(value: Any) -> tuple[int, int]:
    """(microseconds of the local time, PostgreSQL's zone: seconds west of UTC) of a timetz."""
    if isinstance(value, dict):
        t, offset = value["time"], value["offset"]
    else:
        t, offset = value.replace(tzinfo=None), int(value.utcoffset().total_seconds())
    return _integer_image("time", t), -offset


def hash_value(type_name: str, value: Any, seed: int | None = None) -> int:
    """The hash of one non-NULL value of type ``type_name`` (PostgreSQL's typname): the standard
    32-bit hash (``seed=None``), else the extended 64-bit one with that seed; unsigned."""
    if type_name in ("float4", "float8"):
        raw = _float_bytes(value)
        if raw is None:
            return 0 if seed is None else seed & _M64
        return hash_any(raw) if seed is None else hash_any_extended(raw, seed)
    if type_name == "numeric":
        return _numeric_hash(value, seed)
    if type_name == "jsonb":
        h = _jsonb_hash(value, seed or 0)
        return h & _M32 if seed is None else h
    if type_name == "timetz":
        micros, zone = _timetz_parts(value)
        if seed is None:
            return hash_uint32(_int8_word(micros)) ^ hash_uint32(zone & _M32)
        return hash_uint32_extended(_int8_word(micros), seed) ^ hash_uint32_extended(zone & _M32, seed)
    iv = _integer_image(type_name, value)
    if iv is not None:
        w = _int8_word(iv)
        return hash_uint32(w) if seed is None else hash_uint32_extended(w, seed)
    raw = _byte_image(type_name, value)
    if raw is None:  # a type PostgreSQL hashes in its own way (enum, jsonb, arrays ...): its text
        raw = str(value).encode()
    return hash_any(raw) if seed is None else hash_any_extended(raw, seed)


# ------------------------------------------------------------------- arrays, ranges, records
def _flat(values: Any) -> list:
    """An array's elements in storage order (a multidimensional array's rows one after the other)."""
    out: list = []
    for v in values:
        out.extend(_flat(v) if isinstance(v, list) else [v])
    return out


def _rotate_halves(v: int) -> int:
    """Each 32-bit half of a 64-bit hash rotated left by one bit, as hash_range_extended does."""
    return ((v << 1) & 0xFFFFFFFEFFFFFFFE) | ((v >> 31) & 0x100000001)


# ------------------------------------------------------------------------------------ jsonb
_JB_FARRAY, _JB_FOBJECT = 0x40000000, 0x20000000


def _jsonb_scalar(v: Any, seed: int) -> int:
    if v is None:
        return (seed + 1) & _M64
    if isinstance(v, bool):
        if seed:
            return hash_uint32_extended(int(v), seed)
        return 0x02 if v else 0x04
    if isinstance(v, str):
        return hash_any_extended(v.encode(), seed)
    return _numeric_hash(v, seed)


def _jsonb_walk(v: Any, h: int, seed: int) -> int:
    """Fold one jsonb value into ``h`` token by token, as PostgreSQL's iterator yields them:
    container starts, then keys (in jsonb's order: shorter first, then bytewise) and scalars."""
    if isinstance(v, dict):
        h ^= (_JB_FOBJECT << 32) | _JB_FOBJECT
        for k in sorted(v, key=lambda k: (len(k.encode()), k.encode())):
            h = _rotate_halves(h) ^ _jsonb_scalar(k, seed)
            h = _jsonb_walk(v[k], h, seed) if isinstance(v[k], (dict, list)) else \
                _rotate_halves(h) ^ _jsonb_scalar(v[k], seed)
        return h
    h ^= (_JB_FARRAY << 32) | _JB_FARRAY
    for e in v:
        h = _jsonb_walk(e, h, seed) if isinstance(e, (dict, list)) else _rotate_halves(h) ^ _jsonb_scalar(e, seed)
    return h


def _jsonb_hash(value: Any, seed: int) -> int:
    doc = json.loads(value, parse_float=decimal.Decimal, parse_int=decimal.Decimal) if isinstance(value, str) \
        else value
    if isinstance(doc, (dict, list)) and not doc:  # an empty container: no tokens
        return seed
    return _jsonb_walk(doc if isinstance(doc, (dict, list)) else [doc], 0, seed)  # a scalar is a 1-array


# types PostgreSQL has no hash function for (no default hash operator class)
NO_HASH = frozenset({"money", "json", "xml", "bit", "varbit", "tsvector", "tsquery", "point", "lseg", "path", "box",
                     "polygon", "line", "circle"})


def _range_hash(sub: Any, value: dict, seed: int, extended: bool) -> int:
    flags = value["flags"] & 0xFF
    lo = 0 if flags & 0x29 else _part_hash(sub, value["lower"], seed, extended)  # empty, -infinity, no bound
    hi = 0 if flags & 0x51 else _part_hash(sub, value["upper"], seed, extended)
    return _rotate_halves(hash_uint32_extended(flags, seed) ^ lo) ^ hi


def _part_hash(t: Any, value: Any, seed: int, extended: bool) -> int:
    """The extended hash of a value of SqlType ``t``, containers folding their parts' hashes."""
    if t.element is not None and t.name != "oidvector":  # hash_array: h = 31 * h + element hash, from 1; NULL elements 0
        h = 1
        for v in _flat(value):
            h = (h * 31 + (0 if v is None else _part_hash(t.element, v, seed, extended))) & _M64
        return h
    if t.is_range:
        return _range_hash(T.range_subtype(t), value, seed, extended)
    if t.is_multirange:  # hash_multirange: each range's hash folded as an array's elements
        h = 1
        for r in value:
            h = (h * 31 + _range_hash(T.range_subtype(t), r, seed, extended)) & _M64
        return h
    if t.composite is not None or t.name == "record":  # hash_record: from 0
        h = 0
        for ft, v in zip(t.fields, value.values() if isinstance(value, dict) else value, strict=False):
            h = (h * 31 + (0 if v is None else _part_hash(ft, v, seed, extended))) & _M64
        return h
    if t.name in NO_HASH:
        raise UndefinedFunction(f"could not identify {'an extended' if extended else 'a'} hash function for type "
                                f"{t.base.sql_name()}")
    return hash_value(t.name if t.labels is None else "enum", value, seed)


def hash_typed(t: Any, value: Any, seed: int | None = None) -> int:
    """``hash_value`` for a SqlType (or a typname): arrays, ranges, multiranges and composite
    values hash their parts with the parts' own functions, as PostgreSQL does."""
    if isinstance(t, str):
        return hash_value(t, value, seed)
    h = _part_hash(t, value, seed or 0, seed is not None)
    return h & _M32 if seed is None else h  # the 32-bit hash is the low half of the unseeded one


def matches_postgresql(type_name: str) -> bool:
    """Whether ``hash_value`` gives PostgreSQL's hash for values of this type."""
    return (type_name in _INT_TYPES or type_name in _TEXT_TYPES or type_name in (
        "char", "date", "timestamp", "timestamptz", "time", "interval", "timetz", "float4", "float8", "numeric",
        "bpchar", "bytea", "uuid", "macaddr", "macaddr8", "inet", "cidr", "jsonb", "citext", "oidvector"))


# ------------------------------------------------------------------------ whole columns
_INT_ARROW = (pa.types.is_integer, pa.types.is_date32, pa.types.is_timestamp, pa.types.is_time64)


def column_hashes(t: Any, arr: pa.Array, seed: int, extended: bool = True) -> np.ndarray:
    """Extended hashes (uint64) of a column's values of type ``t`` (a SqlType or a typname); NULL
    rows hold 0 (the caller skips them). Integer-like columns (ints, oid, bool, date, timestamps,
    time) are hashed vectorized."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    if not isinstance(t, str):
        if t.name == "oidvector":
            t = "oidvector"
        elif t.element is not None or t.is_range or t.is_multirange or t.composite is not None or t.name == "record":
            out = np.zeros(n, np.uint64)
            for i, v in enumerate(arr.to_pylist()):
                if v is not None:
                    out[i] = _part_hash(t, v, seed, extended)
            return out
        else:
            t = t.name if t.labels is None else "enum"
    type_name = t
    if type_name in ("int2", "int4", "int8", "oid", "bool", "date", "timestamp", "timestamptz", "time") and (
            any(f(arr.type) for f in _INT_ARROW) or pa.types.is_boolean(arr.type)):
        if pa.types.is_boolean(arr.type) or pa.types.is_integer(arr.type):
            ints = np.asarray(arr.cast(pa.int64()).fill_null(0))
        else:
            storage = pa.int32() if pa.types.is_date32(arr.type) else pa.int64()
            ints = np.asarray(arr.view(storage).fill_null(0)).astype(np.int64)
            if type_name == "date":
                inf = (ints == 2**31 - 1) | (ints == -(2**31))
                ints = np.where(inf, ints, ints - _PG_EPOCH_DAYS)
            elif type_name in ("timestamp", "timestamptz"):
                inf = (ints == 2**63 - 1) | (ints == -(2**63))
                ints = np.where(inf, ints, ints - _PG_EPOCH_US)
        out = _hash_words_extended(_words_uint32(ints), seed)
        return np.where(np.asarray(arr.is_valid()), out, np.uint64(0)) if arr.null_count else out
    if type_name in _TEXT_TYPES | {"bytea", "bpchar"} and (pa.types.is_string(arr.type) or pa.types.is_binary(arr.type)
                                                          or pa.types.is_large_string(arr.type)):
        if type_name == "bpchar":  # trailing blanks do not count
            arr = pc.utf8_rtrim(arr, characters=" ") if not pa.types.is_binary(arr.type) else arr
        return _bytes_column(arr, seed)
    out = np.zeros(n, np.uint64)
    values = _python_values(type_name, arr)
    for i, v in enumerate(values):
        if v is not None:
            out[i] = hash_value(type_name, v, seed)
    return out


def seeded_hashes(t: Any, arr: pa.Array, seeds: np.ndarray) -> np.ndarray:
    """Extended hashes of a column with a seed of its own per row (uint64; NULL rows 0), one
    value at a time: for calls whose seeds differ from row to row."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    name = t if isinstance(t, str) else t.name if t.labels is None else "enum"
    container = not isinstance(t, str) and (t.element is not None or t.is_range or t.is_multirange
                                            or t.composite is not None or t.name == "record")
    values = arr.to_pylist() if container else _python_values(name, arr)
    out = np.zeros(len(arr), np.uint64)
    for i, v in enumerate(values):
        if v is not None:
            out[i] = hash_typed(t, v, int(seeds[i]))
    return out


def _python_values(type_name: str, arr: pa.Array) -> list:
    if type_name == "numeric":
        vals = NW.to_decimals(arr)
        if pa.types.is_decimal(arr.type):  # storage keeps NaN/Infinity as reserved 60-digit values
            vals = [v if v is None or not v.is_finite() or abs(v) < NS.STORAGE_LIMIT else NS.to_python(NS.decode_from_storage(
                pa.array([v], arr.type)))[0] for v in vals]
        return vals
    if pa.types.is_interval(arr.type):
        return [None if v is None else (v.months, v.days, v.nanoseconds) for v in arr.to_pylist()]
    return arr.to_pylist()


def row_hashes(columns: list[tuple[str, pa.Array]], seed: int = HASH_PARTITION_SEED) -> np.ndarray:
    """PostgreSQL's partition hash of each row (uint64): every non-NULL key column's extended
    hash folded with hash_combine64 from 0, in key order."""
    n = len(columns[0][1]) if columns else 0
    acc = np.zeros(n, np.uint64)
    with np.errstate(over="ignore"):
        for type_name, arr in columns:
            h = column_hashes(type_name, arr, seed)
            mixed = acc ^ (h + np.uint64(0x49A0F4DD15E5A8E3) + (acc << np.uint64(54)) + (acc >> np.uint64(7)))
            valid = np.asarray(arr.is_valid()) if arr.null_count else np.ones(n, bool)
            acc = np.where(valid, mixed, acc)
    return acc
