"""pgcrypto's functions: digest, hmac, gen_random_bytes, and password hashing with crypt/gen_salt
(bcrypt through the bcrypt library, FreeBSD MD5-crypt written out; DES-based salts are refused)."""

from __future__ import annotations

import hashlib
import hmac as std_hmac
import os
import secrets

import bcrypt
import pyarrow as pa

from helios_core.errors import FeatureNotSupported, InvalidParameterValue
from helios_core.sql import types as T
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.registry import scalar
from helios_core.sql.functions.vec import Vec, full

_ALGORITHMS = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512"}
_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _bytes_arg(v: Vec) -> Vec:
    """pgcrypto takes text or bytea: text as its UTF-8 bytes."""
    if v.type.name == "bytea":
        return v
    return Vec(pa.array([None if s is None else s.encode() for s in cast(v, T.TEXT).array.to_pylist()],
                        pa.binary()), T.BYTEA, v.scalar)


def _algorithm(name: str) -> str:
    algo = name.lower()
    if algo not in _ALGORITHMS:
        raise InvalidParameterValue(f'Cannot use "{name}": No such hash algorithm')
    return algo


@scalar("digest", nargs=2)
def _digest(args: list[Vec]) -> Vec:
    (data, algo), s = full([_bytes_arg(args[0]), cast(args[1], T.TEXT)])
    out = [None if d is None or a is None else hashlib.new(_algorithm(a), d).digest()
           for d, a in zip(data.to_pylist(), algo.to_pylist(), strict=True)]
    return Vec(pa.array(out, pa.binary()), T.BYTEA, s)


@scalar("hmac", nargs=3)
def _hmac(args: list[Vec]) -> Vec:
    (data, key, algo), s = full([_bytes_arg(args[0]), _bytes_arg(args[1]), cast(args[2], T.TEXT)])
    out = [None if d is None or k is None or a is None else std_hmac.new(k, d, _algorithm(a)).digest()
           for d, k, a in zip(data.to_pylist(), key.to_pylist(), algo.to_pylist(), strict=True)]
    return Vec(pa.array(out, pa.binary()), T.BYTEA, s)


@scalar("gen_random_bytes", nargs=1, volatile=True)
def _gen_random_bytes(args: list[Vec]) -> Vec:
    n = cast(args[0], T.INT4).value()
    if n is None:
        return Vec(pa.nulls(1, pa.binary()), T.BYTEA, True)
    if not 1 <= n <= 1024:
        raise InvalidParameterValue("Length not in range")
    return Vec(pa.array([os.urandom(n)], pa.binary()), T.BYTEA, True)


def _to64(value: int, n: int) -> str:
    out = []
    for _ in range(n):
        out.append(_ITOA64[value & 0x3F])
        value >>= 6
    return "".join(out)


def md5_crypt(password: bytes, salt: str) -> str:
    """The FreeBSD MD5-crypt of ``password`` with ``salt`` (``$1$`` hashes)."""
    salt_b = salt.encode()[:8]
    magic = b"$1$"
    alt = hashlib.md5(password + salt_b + password).digest()
    ctx = password + magic + salt_b
    for left in range(len(password), 0, -16):
        ctx += alt[:min(16, left)]
    i = len(password)
    while i:
        ctx += b"\x00" if i & 1 else password[:1]
        i >>= 1
    final = hashlib.md5(ctx).digest()
    for r in range(1000):
        step = password if r & 1 else final
        if r % 3:
            step += salt_b
        if r % 7:
            step += password
        step += final if r & 1 else password
        final = hashlib.md5(step).digest()
    groups = [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)]
    encoded = "".join(_to64((final[a] << 16) | (final[b] << 8) | final[c], 4) for a, b, c in groups)
    encoded += _to64(final[11], 2)
    return f"$1${salt_b.decode()}${encoded}"


def crypt(password: str, salt: str) -> str:
    if salt.startswith(("$2a$", "$2b$", "$2y$")):
        try:
            return bcrypt.hashpw(password.encode(), salt.encode()[:29]).decode()
        except ValueError:
            raise InvalidParameterValue("invalid salt") from None
    if salt.startswith("$1$"):
        return md5_crypt(password.encode(), salt[3:].split("$", 1)[0])
    raise FeatureNotSupported("crypt() with DES or extended DES salts is not supported")


@scalar("crypt", nargs=2)
def _crypt(args: list[Vec]) -> Vec:
    (pw, salt), s = full([cast(args[0], T.TEXT), cast(args[1], T.TEXT)])
    out = [None if p is None or sl is None else crypt(p, sl)
           for p, sl in zip(pw.to_pylist(), salt.to_pylist(), strict=True)]
    return Vec(pa.array(out, pa.string()), T.TEXT, s)


def gen_salt(kind: str, rounds: int | None) -> str:
    kind = kind.lower()
    if kind == "bf":
        cost = 6 if rounds is None else rounds
        if not 4 <= cost <= 31:
            raise InvalidParameterValue("gen_salt: Incorrect number of rounds")
        return bcrypt.gensalt(rounds=cost, prefix=b"2a").decode()
    if kind == "md5":
        if rounds is not None:
            raise InvalidParameterValue("gen_salt: Incorrect number of rounds")
        return "$1$" + "".join(secrets.choice(_ITOA64) for _ in range(8))
    if kind in ("des", "xdes"):
        raise FeatureNotSupported(f"gen_salt('{kind}') is not supported")
    raise InvalidParameterValue("gen_salt: Unknown salt algorithm")


@scalar("gen_salt", nargs=(1, 2), volatile=True)
def _gen_salt(args: list[Vec]) -> Vec:
    kind = cast(args[0], T.TEXT).value()
    rounds = cast(args[1], T.INT4).value() if len(args) > 1 else None
    if kind is None:
        return Vec(pa.nulls(1, pa.string()), T.TEXT, True)
    return Vec.const(gen_salt(kind, rounds), T.TEXT)
