"""ClickHouse's Native format over HTTP: the native protocol's blocks, one after another.

A Native body is what ClickHouse's NativeWriter writes for client revision 0: per block the
column and row counts, then per column its name, type name and data, with neither the block
info fields nor the custom-serialization flag that later protocol revisions add. The column
codecs are the native protocol's (``native.blocks``), so both transports encode alike.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from helios_protocol_clickhouse.errors import ClickHouseError
from helios_protocol_clickhouse.native.blocks import TypeNameError, read_block, write_block
from helios_protocol_clickhouse.native.columns import ColumnError
from helios_protocol_clickhouse.native.wire import NeedMore, ProtocolError, Reader, Writer

HTTP_REVISION = 0  # no block info, no serialization flags: the layout of ClickHouse's Native format
_UNKNOWN_TYPE = 50
_CANNOT_READ_ALL_DATA = 33
_INCORRECT_DATA = 117
_TYPE_MISMATCH = 53


def _native(result: Any, settings: dict[str, str]) -> tuple[bytes, str]:
    if result.columns is None:
        return b"", "application/octet-stream"
    names = [c.name for c in result.columns]
    types = [c.type for c in result.columns]
    w = Writer()
    batches = [b for b in result.batches if b.num_rows]
    try:
        if not batches:  # the header block: the names and types of an empty result
            write_block(w, names, types, None, 0, HTTP_REVISION, with_info=False)
        for batch in batches:
            write_block(w, names, types, list(batch.columns), batch.num_rows, HTTP_REVISION, with_info=False)
    except TypeNameError as e:
        raise ClickHouseError(_UNKNOWN_TYPE, str(e)) from None
    except ColumnError as e:
        raise ClickHouseError(_TYPE_MISMATCH, str(e)) from None
    return w.getvalue(), "application/octet-stream"


def _read_native(payload: bytes, columns: list[tuple[str, str]], settings: dict[str, str]) -> pa.Table | list:
    """INSERT data: the blocks' columns by position, as one table."""
    reader = Reader()
    reader.feed(payload)
    tables: list[pa.Table] = []
    field_names = [f"c{i}" for i in range(len(columns))]
    try:
        while reader.available:
            block = read_block(reader, HTTP_REVISION, with_info=False)
            if block.empty:  # no columns and no rows: a client's end-of-data marker, not a data block
                continue
            if len(block.arrays) != len(columns):
                raise ClickHouseError(10, f"Native block has {len(block.arrays)} columns, "
                                          f"the INSERT names {len(columns)}")
            if block.num_rows:
                tables.append(pa.Table.from_arrays(block.arrays, names=field_names))
    except NeedMore:
        raise ClickHouseError(_CANNOT_READ_ALL_DATA,
                              "Cannot read all data in Native format: unexpected end of data") from None
    except TypeNameError as e:
        raise ClickHouseError(_UNKNOWN_TYPE, str(e)) from None
    except (ProtocolError, ColumnError) as e:
        raise ClickHouseError(_INCORRECT_DATA, f"Cannot read Native data: {e}") from None
    if not tables:
        return []
    return pa.concat_tables(tables, promote_options="permissive")


WRITERS = {"Native": _native}
READERS = {"Native": _read_native}
