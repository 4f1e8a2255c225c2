"""uuid-ossp's functions: version 1, 3, 4 and 5 UUIDs and the standard namespaces."""

from __future__ import annotations

import random
import uuid

import pyarrow as pa

from helios_core.sql import types as T
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.registry import scalar
from helios_core.sql.functions.vec import Vec, full

_NAMESPACES = {"uuid_ns_dns": uuid.NAMESPACE_DNS, "uuid_ns_url": uuid.NAMESPACE_URL,
               "uuid_ns_oid": uuid.NAMESPACE_OID, "uuid_ns_x500": uuid.NAMESPACE_X500}


def _const(value: uuid.UUID) -> Vec:
    return Vec.const(str(value), T.UUID)


@scalar("uuid_nil", nargs=0)
def _nil(args: list[Vec]) -> Vec:
    return _const(uuid.UUID(int=0))


def _namespace(name: str) -> None:
    @scalar(name, nargs=0)
    def impl(args: list[Vec], _ns: uuid.UUID = _NAMESPACES[name]) -> Vec:
        return _const(_ns)


for _name in _NAMESPACES:
    _namespace(_name)


@scalar("uuid_generate_v1", nargs=0, volatile=True)
def _v1(args: list[Vec]) -> Vec:
    return _const(uuid.uuid1())


@scalar("uuid_generate_v1mc", nargs=0, volatile=True)
def _v1mc(args: list[Vec]) -> Vec:
    """Version 1 with a random multicast node address instead of the machine's MAC."""
    return _const(uuid.uuid1(node=random.getrandbits(48) | (1 << 40)))


def _named(args: list[Vec], make) -> Vec:
    (ns, name), s = full([cast(args[0], T.UUID), cast(args[1], T.TEXT)])
    out = [None if n is None or v is None else str(make(uuid.UUID(str(n)), v))
           for n, v in zip(ns.to_pylist(), name.to_pylist(), strict=True)]
    return Vec(pa.array(out, pa.string()), T.UUID, s)


@scalar("uuid_generate_v3", nargs=2)
def _v3(args: list[Vec]) -> Vec:
    return _named(args, uuid.uuid3)


@scalar("uuid_generate_v5", nargs=2)
def _v5(args: list[Vec]) -> Vec:
    return _named(args, uuid.uuid5)
