"""The value rows written before ALTER TABLE ADD COLUMN show for the new column, kept in the table's
catalog record.

The record is JSON, and a Python value of most column types does not survive JSON as itself
(a date, a timestamp, a decimal, bytes, an interval came back as their str() text, which the
column's Arrow type refused or, for bytes, took as other bytes). So the fill is kept as the Arrow
IPC bytes of a one-row array of the column's type, base64 text under the key ``ipc``; a value
recorded before this form (a JSON number, boolean or string) is read as before, a string cast to
the column's type when Arrow can.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pyarrow as pa

__all__ = ["encode", "rows"]

_DECODED: dict[str, pa.Array] = {}  # decoded fills by their text (a scan presents one per batch)


def encode(value: Any, arrow_type: pa.DataType) -> Any:
    """The JSON-safe record of ``value`` as the fill of a column of ``arrow_type``."""
    if value is None:
        return None
    try:
        one = pa.array([value], arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        return value  # a type Arrow cannot build from the Python value: kept as it was
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, pa.schema([("v", arrow_type)])) as writer:
        writer.write_batch(pa.record_batch([one], names=["v"]))
    return {"ipc": base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")}


def rows(stored: Any, arrow_type: pa.DataType, n: int) -> pa.Array:
    """``n`` rows of the fill recorded as ``stored`` (None: NULLs)."""
    if stored is None:
        return pa.nulls(n, arrow_type)
    one = _one(stored, arrow_type)
    return one.take(pa.array(np.zeros(n, dtype=np.int64)))


def _one(stored: Any, arrow_type: pa.DataType) -> pa.Array:
    if isinstance(stored, dict) and "ipc" in stored:
        text = stored["ipc"]
        one = _DECODED.get(text)
        if one is None:
            if len(_DECODED) > 1024:
                _DECODED.clear()
            reader = pa.ipc.open_stream(base64.b64decode(text))
            one = _DECODED[text] = reader.read_all().column(0).combine_chunks()
        return one if one.type == arrow_type else one.cast(arrow_type)
    try:
        return pa.array([stored], arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([stored]).cast(arrow_type)  # an older record's text of a date, decimal ...
