"""citext: the extension's case-insensitive text type.

Values are stored as written; whatever decides equality or order (comparisons, ORDER BY,
GROUP BY, DISTINCT, UNIQUE and PRIMARY KEY checks, LIKE and regular expressions, strpos and
replace) works on the lower-cased value, as PostgreSQL's citext does. A citext compared with a
text (or varchar) value is a text comparison, case and all: citext casts to text implicitly,
text to citext only by assignment, so PostgreSQL picks ``text = text`` there too.

The type's name resolves only where CREATE EXTENSION citext installed it (``resolves``).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.sql import types as T

CITEXT = T.CITEXT
NAME = "citext"


def is_citext(t: Any) -> bool:
    return getattr(t, "name", None) == NAME and getattr(t, "element", None) is None


def folded(arr: Any) -> Any:
    """The value every citext comparison looks at: the string lower-cased (Arrow array, chunked
    array or scalar)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return pc.utf8_lower(arr)


def fold_value(v: Any) -> Any:
    """One Python value as citext compares it."""
    return v.lower() if isinstance(v, str) else v


def column_is_citext(column: Any) -> bool:
    """Does a storage column (TableDef column) hold citext values?"""
    return (getattr(column, "metadata", None) or {}).get("sql_type") == NAME


def resolves(txn: Any) -> bool:
    """Is the type name ``citext`` known in this transaction's database (extension installed)?"""
    try:
        return txn is not None and txn.catalog_get("extension", NAME) is not None
    except Exception:  # noqa: BLE001 - a catalog without the kind yet (as extensions.catalog.installed)
        return False
