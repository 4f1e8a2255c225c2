"""The ``timeseries`` record of a time-series table's options, and the checks of its values.

``{"time_column", "partition_by", "chunk_interval", "retention", "compression",
"compression_after"}``: intervals as written (text), checked with durations.duration_usec.
A retention shorter than a chunk is refused: retention drops whole chunks only.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.timeseries.durations import duration_usec

OPTION = "timeseries"
PARAMETERS = ("time_column", "partition_by", "chunk_interval", "retention", "compression", "compression_after")
COMPRESSIONS = ("auto", "zstd", "none")
DEFAULTS: dict[str, Any] = {"chunk_interval": "1d", "compression": "none", "retention": None,
                            "partition_by": None, "compression_after": "7d"}
TIME_TYPES = ("timestamptz", "timestamp", "date")


def record_of(tdef: Any) -> dict | None:
    """The timeseries record of a table definition, or None for an ordinary table."""
    if tdef is None:
        return None
    value = (getattr(tdef, "options", None) or {}).get(OPTION)
    return value if isinstance(value, dict) else None


def sql_type_of(column: Any) -> str:
    """timestamptz, timestamp, date or the column's declared SQL type."""
    t = column.type
    if pa.types.is_timestamp(t):
        return "timestamptz" if t.tz else "timestamp"
    if pa.types.is_date32(t):
        return "date"
    return (column.metadata or {}).get("sql_type", str(t))


def default_time_column(tdef: Any) -> str:
    """The first NOT NULL timestamptz/timestamp column (TimescaleDB's rule, as the issue states it)."""
    for c in tdef.columns:
        if not c.nullable and sql_type_of(c) in ("timestamptz", "timestamp"):
            return c.name
    raise HeliosError(f'table "{tdef.name}" has no NOT NULL timestamptz or timestamp column',
                      sqlstate="22023", hint="Name one with WITH (time_column = '...').")


def checked(tdef: Any, record: dict) -> dict:
    """The record with every value checked against the table; raises 22023 / 22007 / 42703."""
    out = {**DEFAULTS, **record}
    if not out.get("time_column"):
        out["time_column"] = default_time_column(tdef)
    for key in ("time_column", "partition_by"):
        name = out.get(key)
        if name is None:
            continue
        col = tdef.column(name)
        if col is None:
            raise HeliosError(f'column "{name}" does not exist', sqlstate="42703")
        if key == "time_column" and sql_type_of(col) not in TIME_TYPES:
            raise HeliosError(f'invalid type for time column "{name}": {sql_type_of(col)}', sqlstate="22023",
                              hint="Use a timestamptz, timestamp or date column.")
    compression = str(out["compression"]).lower()
    if compression not in COMPRESSIONS:
        raise HeliosError(f'invalid value for parameter "compression": "{out["compression"]}"', sqlstate="22023",
                          hint="Valid values are auto, zstd and none.")
    out["compression"] = compression
    chunk = duration_usec(out["chunk_interval"], "chunk_interval")
    duration_usec(out["compression_after"], "compression_after")
    if out.get("retention") is not None and duration_usec(out["retention"], "retention") < chunk:
        raise HeliosError(f'retention "{out["retention"]}" is shorter than a chunk ("{out["chunk_interval"]}")',
                              sqlstate="22023", hint="Retention drops whole chunks: make it at least one chunk.")
    return out
