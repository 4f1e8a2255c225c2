"""row_stream.EncodedRows: runs of DataRow messages cut from per-batch buffers are the same bytes
``formats.data_rows`` gives row by row, across batch edges and limits; the end callback runs once,
when a read finds the rows exhausted."""

from __future__ import annotations

import types

import pyarrow as pa
import pytest
from helios_protocol_pg.formats import COLUMN_WISE_MIN_ROWS, data_rows
from helios_protocol_pg.pg_types import oid_of
from helios_protocol_pg.row_stream import EncodedRows


class _Column:
    def __init__(self, name: str, type_name: str) -> None:
        self.name, self.type_name = name, type_name


def _result(sizes: list[int]):
    batches = []
    start = 0
    for size in sizes:
        ids = list(range(start, start + size))
        batches.append(pa.record_batch([pa.array(ids, pa.int64()),
                                        pa.array([None if i % 7 == 0 else f"row {i}" for i in ids])], names=["a", "b"]))
        start += size
    columns = [_Column("a", "int8"), _Column("b", "text")]
    return types.SimpleNamespace(batches=batches, columns=columns)


def _expected(result, formats) -> list[bytes]:
    return [row for b in result.batches for row in data_rows(b, result.columns, formats)]


@pytest.mark.parametrize("formats", [[0, 0], [1, 0]])  # column-wise text, and per value with a binary column
@pytest.mark.parametrize("want", [1, 3, 100, COLUMN_WISE_MIN_ROWS + 5, 1 << 20])
def test_runs_are_the_rows_bytes(want, formats):
    sizes = [5, 0, COLUMN_WISE_MIN_ROWS * 2 + 1, 2, COLUMN_WISE_MIN_ROWS]
    result = _result(sizes)
    assert all(oid_of(c) for c in result.columns)
    expected = _expected(result, formats)
    rows = EncodedRows(result, result.columns, formats)
    got, counts = [], []
    while True:
        chunk, n = rows.take(want)
        if n == 0:
            assert chunk == b""
            break
        assert n <= want
        got.append(chunk)
        counts.append(n)
    assert b"".join(got) == b"".join(expected)
    assert sum(counts) == len(expected) == sum(sizes)
    assert all(c == want for c in counts[:-1])


def test_end_runs_once_when_a_read_finds_no_more():
    ended = []
    result = _result([3, 4])
    rows = EncodedRows(result, result.columns, [0, 0], then=lambda: ended.append(1))
    assert rows.take(7)[1] == 7
    assert ended == []  # exactly the rows asked for: nothing read past them yet
    assert rows.has_more() is False
    assert ended == [1]
    assert rows.take(5) == (b"", 0)
    assert rows.has_more() is False
    assert ended == [1]


def test_has_more_keeps_the_row_it_saw():
    result = _result([2, 1])
    rows = EncodedRows(result, result.columns, [0, 0])
    assert rows.take(2)[1] == 2
    assert rows.has_more() is True
    chunk, n = rows.take(10)
    assert n == 1 and chunk == _expected(result, [0, 0])[2]
