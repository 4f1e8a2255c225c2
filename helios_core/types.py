"""SQL types as plugins see them: names, Arrow representation, and the values' text forms.

Public: a protocol plugin describes columns by SQL type name (``ResultColumn.sql_type``) and
receives values as Arrow arrays; this module turns those arrays into the types' text
forms and back, exactly as the SQL layer does for ``cast(x AS text)`` and ``'...'::type``,
so every protocol prints a value one way.

    canonical_name("int4")                       # "integer"
    arrow_type("numeric(15,2)")                  # decimal128(15, 2)
    format_text(pa.array([1.5]), "double precision")   # ["1.5"]
    parse_text(pa.array(["t", None]), "boolean")        # [true, null]

Errors are ``HeliosError``s with PostgreSQL's SQLSTATEs (42704 unknown type, 22P02 bad input).
"""

from __future__ import annotations

import decimal
from typing import Any

import pyarrow as pa

from helios_core import hstore_text
from helios_core.errors import HeliosError

__all__ = [
    "HSTORE_ARRAY_OID",
    "HSTORE_OID",
    "arrow_type",
    "canonical_name",
    "composite_fields",
    "date_text_of_days",
    "format_text",
    "hstore_from_binary",
    "hstore_to_binary",
    "is_known",
    "parse_text",
    "python_values",
    "timestamp_text_of_micros",
    "type_of_arrow",
    "user_range_subtype",
    "user_type_oid",
]


def _sql_type(type_name: str | int) -> Any:
    from helios_core.sql import types

    return types.type_by_oid(type_name) if isinstance(type_name, int) else types.type_from_name(type_name)


def canonical_name(type_name: str) -> str:
    """The SQL spelling of a type name ("int4" -> "integer", "_text" -> "text[]"); 42704 when unknown."""
    return _sql_type(type_name).sql_name()


def is_known(type_name: str) -> bool:
    """Is ``type_name`` a type of the SQL layer?"""
    try:
        _sql_type(type_name)
    except HeliosError:
        return False
    return True


def user_type_oid(type_name: str) -> int | None:
    """The OID of a type made with CREATE TYPE (an enum, a composite type) or of a table's row
    type, or of an array of one, as the session
    running the statement sees it; None for every other type. PostgreSQL clients tell such
    values apart by this OID (psycopg's and asyncpg's enum adapters)."""
    try:
        t = _sql_type(type_name)
    except HeliosError:
        return None
    base = t.element or t
    own_oid = base.labels is not None or base.composite is not None or base.range_info is not None \
        or base.name == "hstore"
    return t.oid if own_oid else None


def user_range_subtype(type_name: str | int) -> tuple[bool, int] | None:
    """(is a multirange, subtype OID) of a range type made with CREATE TYPE ... AS RANGE or its
    multirange type, named or given by OID; None for every other type. Their binary format is
    the built-in ranges' with the subtype's binary bounds."""
    try:
        t = _sql_type(type_name)
    except HeliosError:
        return None
    if t.element is not None or t.range_info is None:
        return None
    return t.range_info.is_multirange, t.range_info.subtype.oid


HSTORE_OID = hstore_text.OID  # the hstore extension's type (its array: HSTORE_ARRAY_OID)
HSTORE_ARRAY_OID = hstore_text.ARRAY_OID


def hstore_from_binary(data: bytes) -> str:
    """An hstore in PostgreSQL's binary format (hstore_recv) as the text HeliosDB stores."""
    return hstore_text.format_pairs(hstore_text.from_binary(data))


def hstore_to_binary(text: str) -> bytes:
    """An hstore's stored text in PostgreSQL's binary format (hstore_send)."""
    return hstore_text.to_binary(hstore_text.parse(text))


def composite_fields(type_name: str | int) -> list[tuple[str, str]] | None:
    """(attribute name, SQL type name) of each field of a composite type (CREATE TYPE ... AS (...),
    a table's row type) named or given by OID; None for every other type. PostgreSQL's binary
    record format sends each field with its type's OID."""
    try:
        t = _sql_type(type_name)
    except HeliosError:
        return None
    if t.composite is None:
        return None
    return [(n, f.sql_name() if f.composite is None else _qualified(f)) for n, f in
            zip(t.composite.names, t.fields, strict=True)]


def _qualified(t: Any) -> str:
    return '"{}"."{}"'.format(t.composite.schema.replace('"', '""'), t.composite.name.replace('"', '""'))


def _far_dates() -> Any:
    from helios_core.sql import far_dates

    return far_dates


def date_text_of_days(days: int) -> str:
    """ISO text of a date given as days since 1970, for any date PostgreSQL has ('1000-01-01 BC')."""
    return _far_dates().date_iso(days)


def timestamp_text_of_micros(micros: int, offset: str = "") -> str:
    """ISO text of a timestamp given as microseconds since 1970 (any year PostgreSQL has)."""
    return _far_dates().timestamp_iso(micros, offset)


def arrow_type(type_name: str) -> pa.DataType:
    """The Arrow type values of this SQL type are stored in."""
    return _sql_type(type_name).arrow_type


def type_of_arrow(arrow: pa.DataType) -> str:
    """The SQL type name values of this Arrow type are read as (the fields of an anonymous record)."""
    from helios_core.sql import types

    return types.sql_type_of_arrow(arrow).sql_name()


def format_text(values: pa.Array, type_name: str) -> pa.Array:
    """A string array holding each value's text form (NULL stays NULL)."""
    from helios_core.sql.functions import to_text

    out = to_text(values, _sql_type(type_name))
    if isinstance(out, pa.ChunkedArray):
        out = out.combine_chunks()
    return out


def parse_text(strings: pa.Array, type_name: str | None, *, arrow: pa.DataType | None = None) -> pa.Array:
    """Values of ``type_name`` read from their text forms (input syntax errors raise 22P02...).

    Without a type name, the SQL type is the one ``arrow`` (the target Arrow type) stands for;
    the result is cast to ``arrow`` when given.
    """
    from helios_core.sql import functions, types

    if type_name:
        target = types.type_from_name(type_name)
    elif arrow is not None:
        target = types.sql_type_of_arrow(arrow)
    else:
        raise ValueError("parse_text needs a type name or an Arrow type")
    out = functions.cast(functions.Vec(array=strings, type=types.TEXT), target).array
    if isinstance(out, pa.ChunkedArray):
        out = out.combine_chunks()
    if arrow is not None and out.type != arrow:
        if target.name == "numeric" and pa.types.is_struct(out.type):  # NaN / Infinity into storage form
            from helios_core.sql.functions.cast import numeric_specials_to_storage

            column_type = target if arrow == target.arrow_type else types.NUMERIC
            return numeric_specials_to_storage(out, column_type)
        out = out.cast(arrow)
    return out


_SPECIAL_NUMERIC = {1: decimal.Decimal("NaN"), 2: decimal.Decimal("Infinity"), 3: decimal.Decimal("-Infinity")}


def python_values(values: pa.Array) -> list[Any]:
    """The values as Python objects: like ``to_pylist()``, except that a numeric column holding
    NaN/Infinity (a struct {v, k}) gives Decimals and an anonymous record (ROW(...)) a tuple."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    t = values.type
    if not pa.types.is_struct(t):
        return values.to_pylist()
    names = [f.name for f in t]
    valid = values.is_valid().to_pylist()
    if names == ["v", "k"]:
        return [None if not ok else _SPECIAL_NUMERIC.get(k, v) for ok, v, k in
                zip(valid, values.field(0).to_pylist(), values.field(1).to_pylist(), strict=True)]
    fields = [python_values(values.field(i)) for i in range(t.num_fields)]
    return [tuple(f[r] for f in fields) if ok else None for r, ok in enumerate(valid)]
