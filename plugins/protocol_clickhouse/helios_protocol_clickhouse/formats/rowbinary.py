"""RowBinary, RowBinaryWithNames and RowBinaryWithNamesAndTypes: values row after row.

The header (WithNames...) is the column count as a varuint, the names, then (AndTypes) the
ClickHouse type names, as varuint-length strings. A value is encoded as a one-row Native column
(the native protocol's column codecs), except that a Nullable value is a flag byte followed by
the value only when not NULL, and an Array is its length as a varuint followed by its elements.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from helios_protocol_clickhouse.errors import ClickHouseError
from helios_protocol_clickhouse.native.blocks import cached_type
from helios_protocol_clickhouse.native.columns import ColumnError, encode_column
from helios_protocol_clickhouse.native.types import ChType, TypeNameError
from helios_protocol_clickhouse.native.wire import Writer


def _value(t: ChType, array: pa.Array, out: Writer) -> None:
    """One value (``array`` has length 1)."""
    if t.name == "LowCardinality":
        _value(t.args[0], array, out)
    elif t.name == "Nullable":
        if array.null_count:
            out.write_u8(1)
        else:
            out.write_u8(0)
            _value(t.args[0], array, out)
    elif t.name == "Array":
        items = array.to_pylist()[0] or []
        out.write_varint(len(items))
        element = t.args[0]
        values = array.flatten() if len(items) else None
        for i in range(len(items)):
            _value(element, values.slice(i, 1), out)
    elif t.name == "Tuple":
        for i, element in enumerate(t.types):
            _value(element, array.field(i), out)
    elif t.name == "Map":
        raise ClickHouseError(50, f"Type {t} is not supported in the RowBinary formats yet")
    else:
        encode_column(t, array, out)


def _write(result: Any, settings: dict[str, str], *, names: bool, types: bool) -> tuple[bytes, str]:
    out = Writer()
    columns = result.columns or []
    if names:
        out.write_varint(len(columns))
        for c in columns:
            out.write_str(c.name)
    if types:
        for c in columns:
            out.write_str(c.type)
    try:
        parsed = [cached_type(c.type) for c in columns]
        for batch in result.batches:
            for r in range(batch.num_rows):
                for t, column in zip(parsed, batch.columns, strict=True):
                    _value(t, column.slice(r, 1), out)
    except TypeNameError as e:
        raise ClickHouseError(50, str(e)) from None
    except ColumnError as e:
        raise ClickHouseError(53, str(e)) from None
    return out.getvalue(), "application/octet-stream"


WRITERS = {
    "RowBinary": lambda r, s: _write(r, s, names=False, types=False),
    "RowBinaryWithNames": lambda r, s: _write(r, s, names=True, types=False),
    "RowBinaryWithNamesAndTypes": lambda r, s: _write(r, s, names=True, types=True),
}
