"""Binary formats: Parquet, Arrow, ArrowStream (pyarrow writes them).

Native and RowBinary are in ``native_format`` and ``rowbinary`` (both on the native protocol's codecs).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


def _table(result: Any) -> pa.Table:
    names = [c.name for c in result.columns or []]
    if result.batches:
        table = pa.Table.from_batches(result.batches)
    else:
        table = pa.table({n: pa.array([], pa.null()) for n in names})
    return table.rename_columns(names)


def _arrow_file(result: Any, settings: dict[str, str]) -> tuple[bytes, str]:
    sink = pa.BufferOutputStream()
    table = _table(result)
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes(), "application/octet-stream"


def _arrow_stream(result: Any, settings: dict[str, str]) -> tuple[bytes, str]:
    sink = pa.BufferOutputStream()
    table = _table(result)
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes(), "application/octet-stream"


def _parquet(result: Any, settings: dict[str, str]) -> tuple[bytes, str]:
    sink = pa.BufferOutputStream()
    pq.write_table(_table(result), sink)
    return sink.getvalue().to_pybytes(), "application/octet-stream"


WRITERS = {"Arrow": _arrow_file, "ArrowStream": _arrow_stream, "Parquet": _parquet}


def _read_arrow(payload: bytes, columns: list[tuple[str, str]], settings: dict[str, str]) -> pa.Table:
    try:
        return pa.ipc.open_stream(pa.py_buffer(payload)).read_all()
    except pa.ArrowInvalid:
        return pa.ipc.open_file(pa.py_buffer(payload)).read_all()


def _read_parquet(payload: bytes, columns: list[tuple[str, str]], settings: dict[str, str]) -> pa.Table:
    return pq.read_table(pa.BufferReader(payload))


READERS = {"Arrow": _read_arrow, "ArrowStream": _read_arrow, "Parquet": _read_parquet}
