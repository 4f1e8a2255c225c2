"""PostgreSQL's hash support functions as SQL functions (hashint4, hashtextextended,
hash_numeric, uuid_hash, ... and satisfies_hash_partition), computed by ``pg_hash`` so they
print what PostgreSQL 15 prints: the 32-bit ones as int4, the extended ones (value, seed) as
int8, both signed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from helios_core.errors import HeliosError, InvalidParameterValue
from helios_core.sql import partitions
from helios_core.sql import types as T
from helios_core.sql.catalog_views.functions import ACTIVE_SESSION
from helios_core.sql.functions import pg_hash
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.registry import define, no_function, scalar
from helios_core.sql.functions.resolve import implicitly_castable
from helios_core.sql.functions.vec import Vec, full
from helios_core.sql.planner import system_columns

# SQL name of the 32-bit function, of the extended one, and the argument type they take
_FUNCTIONS = [
    ("hashint2", "hashint2extended", T.INT2), ("hashint4", "hashint4extended", T.INT4),
    ("hashint8", "hashint8extended", T.INT8), ("hashoid", "hashoidextended", T.OID),
    ("hashchar", "hashcharextended", T.CHAR), ("hashtext", "hashtextextended", T.TEXT),
    ("hashname", "hashnameextended", T.NAME), ("hashbpchar", "hashbpcharextended", T.BPCHAR),
    ("hashfloat4", "hashfloat4extended", T.FLOAT4), ("hashfloat8", "hashfloat8extended", T.FLOAT8),
    ("hash_numeric", "hash_numeric_extended", T.NUMERIC), ("uuid_hash", "uuid_hash_extended", T.UUID),
    ("timestamp_hash", "timestamp_hash_extended", T.TIMESTAMP), ("time_hash", "time_hash_extended", T.TIME),
    ("timetz_hash", "timetz_hash_extended", T.TIMETZ), ("interval_hash", "interval_hash_extended", T.INTERVAL),
    ("hashmacaddr", "hashmacaddrextended", T.MACADDR), ("hashmacaddr8", "hashmacaddr8extended", T.MACADDR8),
    ("hashinet", "hashinetextended", T.INET), ("jsonb_hash", "jsonb_hash_extended", T.JSONB),
    ("hashoidvector", "hashoidvectorextended", T.OIDVECTOR),
]
_SEED_GROUPS = 16  # more distinct seeds in one call than this: hashed row by row
# polymorphic ones: the argument's own type says how its parts hash
_POLYMORPHIC = [
    ("hash_array", "hash_array_extended", lambda t: t.element is not None),
    ("hash_range", "hash_range_extended", lambda t: t.is_range),
    ("hash_multirange", "hash_multirange_extended", lambda t: t.is_multirange),
    ("hash_record", "hash_record_extended", lambda t: t.composite is not None or t.name == "record"),
]


def _fits(given: T.SqlType, want: T.SqlType) -> bool:
    # integers become oid implicitly in PostgreSQL (pg_cast: int2/int4/int8 -> oid is 'i')
    return implicitly_castable(given, want) or (want.name == "oid" and given.name in ("int2", "int4", "int8"))


def _argument(name: str, args: list[Vec], want: T.SqlType, nargs: int) -> Vec:
    """The value argument in the function's type (42883 when the call's types do not fit)."""
    if len(args) != nargs or not _fits(args[0].type, want) or (
            nargs == 2 and not implicitly_castable(args[1].type, T.INT8)):
        raise no_function(name, args)
    return cast(args[0], want, context="implicit")


def _polymorphic_argument(name: str, args: list[Vec], accepts: Any, nargs: int) -> Vec:
    if len(args) != nargs or not accepts(args[0].type) or (nargs == 2 and not _fits(args[1].type, T.INT8)):
        raise no_function(name, args)
    return args[0]


def _standard(name: str, want: T.SqlType | None, accepts: Any = None) -> Any:
    def impl(args: list[Vec]) -> Vec:
        v = _argument(name, args, want, 1) if want is not None else _polymorphic_argument(name, args, accepts, 1)
        arr = v.array
        # the 32-bit hash is the low half of the extended one with no seed, for every type here
        h = pg_hash.column_hashes(want.name if want is not None else v.type, arr, 0, extended=False)
        h &= np.uint64(0xFFFFFFFF)
        out = pa.array(h.astype(np.uint32).view(np.int32), pa.int32(), mask=np.asarray(arr.is_null()))
        return Vec(out, T.INT4, v.scalar)

    return impl


def _extended(name: str, want: T.SqlType | None, accepts: Any = None) -> Any:
    def impl(args: list[Vec]) -> Vec:
        v = _argument(name, args, want, 2) if want is not None else _polymorphic_argument(name, args, accepts, 2)
        (arr, seeds), all_scalar = full([v, cast(args[1], T.INT8, context="implicit")])
        seed_values = np.asarray(seeds.fill_null(0)).astype(np.int64).view(np.uint64)
        t = want.name if want is not None else v.type
        uniq = np.unique(seed_values)
        if len(uniq) > _SEED_GROUPS:  # seeds that vary row by row: one value at a time
            h = pg_hash.seeded_hashes(t, arr, seed_values)
        else:  # the rows of each seed together (most calls have one seed for all rows)
            h = np.zeros(len(arr), np.uint64)
            for s in uniq:
                rows = np.nonzero(seed_values == s)[0]
                part = arr if len(rows) == len(arr) else arr.take(pa.array(rows))
                h[rows] = pg_hash.column_hashes(t, part, int(s))
        mask = np.asarray(arr.is_null()) | np.asarray(seeds.is_null())
        return Vec(pa.array(h.view(np.int64), pa.int64(), mask=mask), T.INT8, all_scalar)

    return impl


for _name32, _name64, _type in _FUNCTIONS:
    define(_name32, _standard(_name32, _type), nargs=1)
    define(_name64, _extended(_name64, _type), nargs=2)
for _name32, _name64, _accepts in _POLYMORPHIC:
    define(_name32, _standard(_name32, None, _accepts), nargs=1)
    define(_name64, _extended(_name64, None, _accepts), nargs=2)


# ------------------------------------------------------------------ satisfies_hash_partition
def _partitioned_table(oid: int) -> Any:
    session = ACTIVE_SESSION.get()
    if session is None:
        raise HeliosError("satisfies_hash_partition() needs a session", sqlstate="55000")
    txn = session.tx.current()
    for t in txn.list_tables():
        if system_columns.table_oid(t, t.schema, t.name) == oid:
            return t
    raise HeliosError(f"could not open relation with OID {oid}", sqlstate="XX000")


def _same_type(given: T.SqlType, key: T.SqlType) -> bool:
    """PostgreSQL's test: the key's type or one binary-coercible to it (varchar for text ...)."""
    text_like = {"text", "varchar"}
    return given.name == key.name or (given.name in text_like and key.name in text_like)


@scalar("satisfies_hash_partition", nargs=(3, None))
def _satisfies_hash_partition(args: list[Vec]) -> Vec:
    """Whether the partition key values (4th argument on) hash to ``remainder`` modulo ``modulus``
    in the hash-partitioned table ``parent``: PostgreSQL's hash partition constraint."""
    parent_v, modulus_v, remainder_v, *keys = args
    if len(keys) == 0:
        raise no_function("satisfies_hash_partition", args)
    arrays, all_scalar = full([cast(parent_v, T.OID, context="implicit"), cast(modulus_v, T.INT4, context="implicit"),
                               cast(remainder_v, T.INT4, context="implicit"), *keys])
    n = len(arrays[0])
    parents, moduli, remainders = (a.to_pylist() for a in arrays[:3])
    out: list[bool] = []
    hashes: dict[int, Any] = {}  # parent OID -> the rows' partition hashes
    for i in range(n):
        oid, modulus, remainder = parents[i], moduli[i], remainders[i]
        if oid is None or modulus is None or remainder is None:
            out.append(False)  # never NULL: a constraint would take NULL as a pass
            continue
        partitions.check_hash_bound(modulus, remainder, InvalidParameterValue)
        if oid not in hashes:
            parent = _partitioned_table(oid)
            spec = partitions.spec(parent)
            if spec is None or spec["strategy"] != "hash":
                raise InvalidParameterValue(f'"{parent.name}" is not a hash partitioned table')
            names = spec["columns"]
            if len(names) != len(keys):
                raise InvalidParameterValue(f"number of partitioning columns ({len(names)}) does not match number "
                                            f"of partition keys provided ({len(keys)})")
            types = [partitions.key_sql_type(parent, k) for k in names]
            for j, (given, key_type) in enumerate(zip(keys, types, strict=True)):
                if not _same_type(given.type, key_type):
                    raise InvalidParameterValue(
                        f"column {j + 1} of the partition key has type {key_type.base.sql_name()}, but supplied "
                        f"value is of type {given.type.base.sql_name()}")
            hashes[oid] = pg_hash.row_hashes([(partitions.hash_type(parent, k), arr)
                                             for k, arr in zip(names, arrays[3:], strict=True)])
        out.append(int(hashes[oid][i]) % modulus == remainder)
    return Vec(pa.array(out, pa.bool_()), T.BOOL, all_scalar)
