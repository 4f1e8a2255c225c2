"""OIDs of built-in functions, so `regproc` values round-trip: `'array_in'::regproc` equals
pg_type.typinput of an array type, and a regproc prints its function's name.

Built-in functions are not catalog entries here, so each name gets a deterministic OID in the
system range (the same one pg_proc lists); names met once are remembered for the way back.
"""

from __future__ import annotations

import zlib

_NAMES: dict[int, str] = {0: "-"}


def builtin_proc_oid(name: str) -> int:
    """The OID of the built-in function `name` ('-', no function, is 0)."""
    if name == "-":
        return 0
    oid = zlib.crc32(f"proc:{name}".encode()) % 16_000 + 1
    _NAMES.setdefault(oid, name)
    return oid


def proc_name(oid: int) -> str | None:
    """The name of a built-in function's OID, or None when no known function has it."""
    return _NAMES.get(oid)
