"""The downsampling job: raw rows older than the continuous aggregates' ``start_after`` go once
every continuous aggregate over their table has materialized their buckets.

It runs only with ``[timeseries] downsampling_enabled = true``. It first refreshes the
aggregates over the table (so nothing written since their last refresh is lost), then deletes
the raw rows before the boundary (continuous.downsampling_boundary: a bucket start of every
aggregate) and freezes the aggregates' buckets there, so they are never recomputed from the
rows that are gone.
"""

from __future__ import annotations

from typing import Any

from helios_core.frontends.postgres.dialect import parse
from helios_core.sql import embedded_sql
from helios_core.sql import types as T
from helios_core.timeseries import continuous, jobs, settings
from helios_core.timeseries.options import record_of, sql_type_of


def run_downsampling(session: Any, target: str) -> str:
    if not settings.of(session.engine).downsampling_enabled:
        return "downsampling is off ([timeseries] downsampling_enabled = false)"
    txn = session.tx.current()
    tdef, gone = jobs.target_table(txn, target)
    if tdef is None:
        return gone
    record = record_of(tdef)
    if record is None:
        return "nothing to do"
    for d in continuous.over_source(txn, target):
        continuous.refresh(session, f"{d['schema']}.{d['name']}", None, None)
    boundary = continuous.downsampling_boundary(txn, target, jobs.now_usec(session))
    if boundary is None:
        return f"downsampling of {target}: nothing materialized past start_after yet"
    column = record["time_column"]
    stmt = parse(f'DELETE FROM "{tdef.schema}"."{tdef.name}" WHERE "{column}" < to_timestamp($1::float8 / 1000000)'
                 f"::{sql_type_of(tdef.column(column))}")[0].ast
    outcome = embedded_sql.run(session, stmt, [boundary], [T.INT8])
    continuous.freeze_before(txn, target, boundary)
    message = f"downsampling of {target}: removed {outcome.row_count} raw rows before {boundary}"
    jobs.log.info(message)
    return message
