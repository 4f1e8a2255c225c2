"""SQL types added by plugins (``helios_sql_types`` hook, ``hookspecs.SqlDataType``).

Each becomes a ``SqlType`` in ``types.EXTENSION_TYPES``: name resolution (CREATE TABLE, casts)
finds it there, casts from and to text go through its ``parse``/``format``
(``functions.cast``, ``functions.text_out``), and its values are stored as its Arrow type.
Its OID is derived from its name (stable across restarts), in the range PostgreSQL leaves to
user-defined objects.
"""

from __future__ import annotations

import zlib
from typing import Any

from helios_core.sql import types

FIRST_OID = 1_000_000
_loaded = False


def register(definition: Any) -> types.SqlType:
    """Make a plugin's type known (a later definition of the same name replaces it)."""
    name = definition.name.lower()
    if name in types._ALIASES:
        raise ValueError(f"SQL type {definition.name!r} is a built-in type")
    oid = FIRST_OID + zlib.crc32(name.encode()) % 1_000_000
    sql_type = types.SqlType(name=name, oid=oid, arrow_type=definition.arrow_type)
    types.EXTENSION_TYPES[name] = (sql_type, definition)
    return sql_type


def load_installed() -> None:
    """The types of the installed plugins, registered once per process."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from helios_core.plugins import get_plugin_manager, sql_types

    for definition in sql_types(get_plugin_manager()):
        register(definition)
