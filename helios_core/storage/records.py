"""WAL record payloads: a JSON header followed by binary blobs (Arrow IPC data, int64 arrays).

Kinds: ``c`` commit (the versions a transaction wrote and the rowids it ended),
``db+``/``db-`` database created/dropped, ``br+``/``br-``/``br~`` branch created/dropped/renamed.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np
import pyarrow as pa

_U32 = struct.Struct("<I")


def encode(header: dict[str, Any], blobs: list[bytes | pa.Buffer] = ()) -> list[bytes | memoryview]:
    """The payload as a list of parts (big Arrow blobs are not copied into one bytes object)."""
    header = dict(header)
    header["blobs"] = [len(b) if isinstance(b, bytes) else b.size for b in blobs]
    h = json.dumps(header, separators=(",", ":")).encode()
    parts: list[bytes | memoryview] = [_U32.pack(len(h)), h]
    parts.extend(b if isinstance(b, bytes) else memoryview(b) for b in blobs)
    return parts


def decode(payload: bytes) -> tuple[dict[str, Any], list[memoryview]]:
    (n,) = _U32.unpack_from(payload, 0)
    header = json.loads(payload[4:4 + n])
    view = memoryview(payload)
    pos = 4 + n
    blobs = []
    for size in header["blobs"]:
        blobs.append(view[pos:pos + size])
        pos += size
    if pos != len(payload):
        raise ValueError("record length mismatch")
    return header, blobs


_IPC_OPTIONS = pa.ipc.IpcWriteOptions()  # the defaults, made once (new_stream reads the environment for them)


def batch_to_ipc(batch: pa.RecordBatch) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    with pa.ipc.RecordBatchStreamWriter(sink, batch.schema, options=_IPC_OPTIONS) as w:
        w.write_batch(batch)
    return sink.getvalue()


def ipc_to_batch(blob: memoryview | bytes) -> pa.RecordBatch:
    reader = pa.ipc.open_stream(pa.py_buffer(bytes(blob)))
    batches = list(reader)
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches, schema=reader.schema).combine_chunks().to_batches()[0]


def ints_to_blob(values: list[int] | np.ndarray) -> bytes:
    return np.asarray(values, dtype="<i8").tobytes()


def blob_to_ints(blob: memoryview | bytes) -> np.ndarray:
    return np.frombuffer(bytes(blob), dtype="<i8")
