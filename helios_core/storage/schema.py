"""Catalog records the storage kernel understands: columns, tables, branches, write outcomes.

Column data is stored under a physical column id (``col_id``) rather than its name, so
renaming a column is a catalog-only change and a dropped column simply stops being read.
"""

from __future__ import annotations

import base64
from typing import Any

import attrs
import pyarrow as pa


@attrs.define(frozen=True)
class ColumnDef:
    """One column: Arrow type, nullability and opaque metadata for the SQL layer."""

    name: str
    type: pa.DataType
    nullable: bool = True
    metadata: dict[str, str] = attrs.field(factory=dict)
    col_id: int = 0  # physical id inside the table's data; assigned by the kernel


@attrs.define(frozen=True)
class TableDef:
    """A table as the catalog of one branch sees it at one snapshot."""

    schema: str
    name: str
    columns: list[ColumnDef]
    primary_key: list[str]
    options: dict[str, Any]
    table_id: int
    data_id: int = 0  # physical data set; TRUNCATE switches to a fresh one
    next_col_id: int = 0

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, c.type, nullable=c.nullable, metadata=c.metadata or None) for c in self.columns]
        )

    def column(self, name: str) -> ColumnDef | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    def to_record(self) -> dict[str, Any]:
        sch = pa.schema([pa.field(f"c{c.col_id}", c.type) for c in self.columns])
        return {
            "schema": self.schema,
            "name": self.name,
            "columns": [
                {"name": c.name, "nullable": c.nullable, "metadata": c.metadata, "col_id": c.col_id}
                for c in self.columns
            ],
            "types": base64.b64encode(sch.serialize().to_pybytes()).decode(),
            "primary_key": list(self.primary_key),
            "options": self.options,
            "table_id": self.table_id,
            "data_id": self.data_id,
            "next_col_id": self.next_col_id,
        }

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> TableDef:
        sch = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(rec["types"])))
        cols = [
            ColumnDef(c["name"], f.type, c["nullable"], dict(c["metadata"]), c["col_id"])
            for c, f in zip(rec["columns"], sch, strict=True)
        ]
        return cls(
            rec["schema"], rec["name"], cols, list(rec["primary_key"]), dict(rec["options"]),
            rec["table_id"], rec["data_id"], rec["next_col_id"],
        )


@attrs.define(frozen=True)
class BranchInfo:
    """A branch: metadata only (parent + fork timestamp); data is shared copy-on-write."""

    name: str
    parent: str | None
    fork_ts: int | None
    created_ts: int
    branch_id: int = 0


@attrs.define(frozen=True)
class WriteOutcome:
    """Result of update/delete/lock_rows.

    ``changed``: rowids not written because a transaction that committed after our
    snapshot made a newer version (READ COMMITTED: re-read with ``latest=True``, re-check,
    retry). ``gone``: rowids deleted meanwhile.
    """

    count: int
    changed: pa.Array = attrs.field(factory=lambda: pa.array([], pa.int64()))
    gone: pa.Array = attrs.field(factory=lambda: pa.array([], pa.int64()))
