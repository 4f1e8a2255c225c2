"""Blocks: the columnar unit of the native protocol, built from and read into Arrow.

A block is its info fields (is_overflows, bucket_num), the number of columns and rows, then per
column its name, its type name, a custom-serialization flag (revision 54454 on) and its data.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import attrs
import pyarrow as pa

from helios_protocol_clickhouse.native import columns as col
from helios_protocol_clickhouse.native.types import ChType, TypeNameError, parse_type
from helios_protocol_clickhouse.native.wire import ProtocolError, Reader, Writer

REVISION_WITH_BLOCK_INFO = 51903
REVISION_WITH_CUSTOM_SERIALIZATION = 54454
MAX_COLUMNS = 1 << 16
MAX_ROWS = 1 << 32


@attrs.define
class Block:
    """Column names, ClickHouse type names and Arrow arrays of one block."""

    names: list[str]
    types: list[str]
    arrays: list[pa.Array]
    num_rows: int
    is_overflows: bool = False
    bucket_num: int = -1

    @property
    def empty(self) -> bool:
        return not self.names and self.num_rows == 0


@functools.lru_cache(maxsize=1024)
def cached_type(name: str) -> ChType:
    return parse_type(name)


def write_block(w: Writer, names: Sequence[str], types: Sequence[str], arrays: Sequence[pa.Array] | None,
                num_rows: int, revision: int, *, timezone: str | None = None, is_overflows: bool = False,
                with_info: bool = True) -> None:
    """Append one block; ``arrays`` may be None for a header block (no rows)."""
    if with_info and revision >= REVISION_WITH_BLOCK_INFO:
        w.write_varint(1)
        w.write_u8(1 if is_overflows else 0)
        w.write_varint(2)
        w.write_i32(-1)
        w.write_varint(0)
    w.write_varint(len(names))
    w.write_varint(num_rows)
    for i, (name, type_name) in enumerate(zip(names, types, strict=True)):
        w.write_str(name)
        w.write_str(type_name)
        if revision >= REVISION_WITH_CUSTOM_SERIALIZATION:
            w.write_u8(0)
        if num_rows:
            assert arrays is not None
            t = cached_type(type_name)
            values = arrays[i]
            if len(values) != num_rows:
                raise ValueError(f"column {name} has {len(values)} values in a block of {num_rows} rows")
            col.write_prefix(t, w)
            col.encode_column(t, values, w, timezone)


def encode_block(names: Sequence[str], types: Sequence[str], arrays: Sequence[pa.Array] | None, num_rows: int,
                 revision: int, *, timezone: str | None = None, is_overflows: bool = False,
                 with_info: bool = True) -> bytes:
    w = Writer()
    write_block(w, names, types, arrays, num_rows, revision, timezone=timezone, is_overflows=is_overflows,
                with_info=with_info)
    return w.getvalue()


def read_block(r: Reader, revision: int, *, timezone: str | None = None, with_info: bool = True) -> Block:
    """Read one block; malformed input raises ProtocolError, bad type names TypeNameError."""
    is_overflows = False
    bucket_num = -1
    if with_info and revision >= REVISION_WITH_BLOCK_INFO:
        while True:
            field = r.read_varint()
            if field == 0:
                break
            if field == 1:
                is_overflows = bool(r.read_u8())
            elif field == 2:
                bucket_num = r.read_i32()
            else:
                raise ProtocolError(f"unknown block info field {field}")
    n_columns = r.read_varint()
    n_rows = r.read_varint()
    if n_columns > MAX_COLUMNS or n_rows > MAX_ROWS:
        raise ProtocolError(f"a block of {n_columns} columns and {n_rows} rows is beyond the limits")
    names: list[str] = []
    types: list[str] = []
    arrays: list[pa.Array] = []
    for _ in range(n_columns):
        names.append(r.read_str())
        type_name = r.read_str()
        types.append(type_name)
        if revision >= REVISION_WITH_CUSTOM_SERIALIZATION and r.read_u8():
            raise ProtocolError(f"column {names[-1]} uses a custom (sparse) serialization, which is not supported")
        t = cached_type(type_name)
        if n_rows:
            col.read_prefix(t, r)
            arrays.append(col.decode_column(t, n_rows, r, timezone))
        else:
            arrays.append(pa.nulls(0, type=col.arrow_type(t, timezone)))
    return Block(names, types, arrays, n_rows, is_overflows, bucket_num)


__all__ = ["Block", "TypeNameError", "cached_type", "encode_block", "read_block", "write_block"]
