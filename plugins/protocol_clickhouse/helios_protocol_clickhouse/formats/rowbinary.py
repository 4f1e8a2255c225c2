"""RowBinary, RowBinaryWithNames and RowBinaryWithNamesAndTypes: values row after row.

The header (WithNames...) is the column count as a varuint, the names, then (AndTypes) the
ClickHouse type names, as varuint-length strings. A value is encoded as in Native for one
row, except that a Nullable value is a flag byte followed by the value only when not NULL,
and an Array is its length as a varuint followed by its elements.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from helios_protocol_clickhouse.formats.native_format import encode_column, write_string, write_varuint
from helios_protocol_clickhouse.types import ChType, parse_type


def _value(t: ChType, array: pa.Array, out: bytearray) -> None:
    """One value (``array`` has length 1)."""
    if t.name == "LowCardinality":
        _value(t.args[0], array, out)
    elif t.name == "Nullable":
        if array.null_count:
            out.append(1)
        else:
            out.append(0)
            _value(t.args[0], array, out)
    elif t.name == "Array":
        items = array.to_pylist()[0] or []
        write_varuint(len(items), out)
        element = t.args[0]
        values = array.flatten() if len(items) else None
        for i in range(len(items)):
            _value(element, values.slice(i, 1), out)
    elif t.name == "Tuple":
        for i, arg in enumerate(t.args):
            _value(getattr(arg, "type", arg), array.field(i), out)
    else:
        encode_column(t, array, out)


def _write(result: Any, settings: dict[str, str], *, names: bool, types: bool) -> tuple[bytes, str]:
    out = bytearray()
    columns = result.columns or []
    if names:
        write_varuint(len(columns), out)
        for c in columns:
            write_string(c.name, out)
    if types:
        for c in columns:
            write_string(c.type, out)
    parsed = [parse_type(c.type) for c in columns]
    for batch in result.batches:
        for r in range(batch.num_rows):
            for t, column in zip(parsed, batch.columns, strict=True):
                _value(t, column.slice(r, 1), out)
    return bytes(out), "application/octet-stream"


WRITERS = {
    "RowBinary": lambda r, s: _write(r, s, names=False, types=False),
    "RowBinaryWithNames": lambda r, s: _write(r, s, names=True, types=False),
    "RowBinaryWithNamesAndTypes": lambda r, s: _write(r, s, names=True, types=True),
}
