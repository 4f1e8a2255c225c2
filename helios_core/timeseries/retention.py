"""The retention job: drop the chunks of a time-series table that are wholly older than its retention.

The boundary is the start of the chunk holding ``now - retention``, so only whole chunks go;
continuous aggregates over the table keep the buckets of what was dropped.
"""

from __future__ import annotations

from typing import Any

from helios_core.frontends.postgres.dialect import parse
from helios_core.sql import embedded_sql
from helios_core.sql import types as T
from helios_core.timeseries import continuous, jobs
from helios_core.timeseries.chunks import boundary_before
from helios_core.timeseries.durations import duration_usec
from helios_core.timeseries.options import record_of, sql_type_of


def run_retention(session: Any, target: str) -> str:
    """Drop the chunks wholly older than the retention: rows before the boundary chunk's start."""
    txn = session.tx.current()
    tdef, gone = jobs.target_table(txn, target)
    if tdef is None:
        return gone
    record = record_of(tdef)
    if record is None or not record.get("retention"):
        return "nothing to do"
    chunk = duration_usec(record["chunk_interval"], "chunk_interval")
    boundary = boundary_before(jobs.now_usec(session), duration_usec(record["retention"], "retention"), chunk)
    column = record["time_column"]
    cast = sql_type_of(tdef.column(column))
    stmt = parse(f'DELETE FROM "{tdef.schema}"."{tdef.name}" WHERE "{column}" < to_timestamp($1::float8 / 1000000)'
                 f"::{cast}")[0].ast
    outcome = embedded_sql.run(session, stmt, [boundary], [T.INT8])
    continuous.freeze_before(txn, target, boundary)  # their buckets stay in the continuous aggregates
    message = f"retention of {target}: removed {outcome.row_count} rows in chunks before {boundary}"
    jobs.log.info(message)
    return message
