"""OIDs of built-in functions, so `regproc` values round-trip: `'array_in'::regproc` equals
pg_type.typinput of an array type, and a regproc prints its function's name.

A built-in routine pg_proc lists (catalog_views.builtin_routines) with one overload keeps
PostgreSQL's OID ('now'::regproc::oid is 1299); any other name gets a deterministic OID in the
system range that no listed routine has; names met once are remembered for the way back.
"""

from __future__ import annotations

import functools
import zlib

_NAMES: dict[int, str] = {0: "-"}


@functools.cache
def _listed() -> tuple[dict[str, int], frozenset[int]]:
    """(name -> OID of the names with a single listed overload, every listed OID)."""
    from helios_core.sql.catalog_views.builtin_routines_data import OPERATORS, QUOTED_NAMES, ROUTINES

    counts: dict[str, list[int]] = {}
    for row in ROUTINES:
        counts.setdefault(row[1], []).append(row[0])
    for name, oids in counts.items():
        # as PostgreSQL prints a regproc: keywords quoted, qualified when the name alone is ambiguous
        text = f'"{name}"' if name in QUOTED_NAMES else name
        for oid in oids:
            _NAMES[oid] = f"pg_catalog.{text}" if len(oids) > 1 else text
    for row in OPERATORS:  # an operator's function prints by name (pg_operator.oprcode)
        _NAMES.setdefault(row[-1], row[-2])
    return {n: o[0] for n, o in counts.items() if len(o) == 1}, frozenset(r[0] for r in ROUTINES)


def builtin_proc_oid(name: str) -> int:
    """The OID of the built-in function `name` ('-', no function, is 0)."""
    if name == "-":
        return 0
    single, taken = _listed()
    if name in single:
        return single[name]
    salt = ""
    while True:
        oid = zlib.crc32(f"proc:{name}{salt}".encode()) % 16_000 + 1
        if oid not in taken:
            break
        salt += "'"
    _NAMES.setdefault(oid, name)
    return oid


def proc_name(oid: int) -> str | None:
    """A built-in function's OID as regproc prints it, or None when no known function has it."""
    _listed()
    return _NAMES.get(oid)
