"""A statement's outcome in ClickHouse's terms: columns with ClickHouse type names, Arrow batches."""

from __future__ import annotations

import attrs
import pyarrow as pa


@attrs.define
class ChColumn:
    """A result column as ClickHouse describes it: name and ClickHouse type name."""

    name: str
    type: str


@attrs.define
class ChResult:
    """One statement's outcome. ``columns`` is None for statements that return no rows."""

    kind: str
    columns: list[ChColumn] | None = None
    batches: list[pa.RecordBatch] = attrs.Factory(list)
    row_count: int = 0
    written_rows: int = 0
    totals: pa.RecordBatch | None = None
    extremes: pa.RecordBatch | None = None  # two rows: each column's minimum, then its maximum
    format: str | None = None
    rows_before_limit: int | None = None
    settings: dict[str, str] = attrs.Factory(dict)
    block_starts: list[int] | None = None  # rows where a block of its own begins (Pretty formats draw one table each)

    @property
    def rows(self) -> int:
        return sum(b.num_rows for b in self.batches)
