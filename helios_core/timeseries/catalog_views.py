"""heliosdb.timeseries_tables, heliosdb.chunks and heliosdb.jobs: what the session's branch holds,
in the session's snapshot (``helios_virtual_tables``)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from helios_core.hookspecs import VirtualTable
from helios_core.timeseries import chunks, continuous, jobs
from helios_core.timeseries.options import record_of

_TS = pa.timestamp("us", tz="UTC")


def _timeseries(txn: Any) -> list[tuple[Any, dict]]:
    return [(t, r) for t in txn.list_tables() if (r := record_of(t)) is not None]


def _display(schema: str, name: str) -> str:
    return name if schema == "public" else f"{schema}.{name}"


def timeseries_tables(session: Any) -> pa.Table:
    rows = _timeseries(session.tx.current())
    return pa.table({
        "table_name": [_display(t.schema, t.name) for t, _ in rows],
        "time_column": [r["time_column"] for _, r in rows],
        "partition_by": pa.array([r.get("partition_by") for _, r in rows], pa.string()),
        "chunk_interval": [r["chunk_interval"] for _, r in rows],
        "retention": pa.array([r.get("retention") for _, r in rows], pa.string()),
        "compression": [r["compression"] for _, r in rows],
        "compression_after": [r.get("compression_after") for _, r in rows],
    })


def chunk_table(session: Any) -> pa.Table:
    txn = session.tx.current()
    out: dict[str, list] = {k: [] for k in ("table_name", "chunk_name", "range_start", "range_end", "rows",
                                            "bytes", "compressed", "tier")}
    for tdef, record in _timeseries(txn):
        for c in chunks.table_chunks(txn, tdef, record):
            out["table_name"].append(_display(tdef.schema, tdef.name))
            out["chunk_name"].append(chunks.chunk_name(tdef.name, c))
            out["range_start"].append(c.range_start)
            out["range_end"].append(c.range_end)
            out["rows"].append(c.rows)
            out["bytes"].append(c.bytes)
            out["compressed"].append(c.compressed)
            out["tier"].append(c.tier)
    return pa.table({
        "table_name": pa.array(out["table_name"], pa.string()),
        "chunk_name": pa.array(out["chunk_name"], pa.string()),
        "range_start": pa.array(out["range_start"], pa.int64()).cast(_TS),
        "range_end": pa.array(out["range_end"], pa.int64()).cast(_TS),
        "rows": pa.array(out["rows"], pa.int64()),
        "bytes": pa.array(out["bytes"], pa.int64()),
        "compressed": pa.array(out["compressed"], pa.bool_()),
        "tier": pa.array(out["tier"], pa.string()),
    })


def _interval(usec: int) -> pa.MonthDayNano:
    return pa.MonthDayNano([0, 0, usec * 1000])


def jobs_table(session: Any) -> pa.Table:
    rows = jobs.all_jobs(session.tx.current())
    return pa.table({
        "job_id": pa.array([j["job_id"] for j in rows], pa.int32()),
        "kind": pa.array([j["kind"] for j in rows], pa.string()),
        "target": pa.array([j["target"].removeprefix("public.") for j in rows], pa.string()),
        "schedule_interval": pa.array([_interval(j["schedule_interval"]) for j in rows],
                                      pa.month_day_nano_interval()),
        "last_run": pa.array([j.get("last_run") for j in rows], pa.int64()).cast(_TS),
        "last_status": pa.array([j.get("last_status") for j in rows], pa.string()),
        "next_start": pa.array([j.get("next_start") for j in rows], pa.int64()).cast(_TS),
        "failures": pa.array([j.get("failures", 0) for j in rows], pa.int32()),
    })


def continuous_aggregates_table(session: Any) -> pa.Table:
    rows = sorted(session.tx.current().catalog_list(continuous.KIND).values(), key=lambda d: (d["schema"], d["name"]))
    return pa.table({
        "name": pa.array([_display(d["schema"], d["name"]) for d in rows], pa.string()),
        "source": pa.array([d["source"].removeprefix("public.") for d in rows], pa.string()),
        "bucket_width": pa.array([_interval(d["width"]) for d in rows], pa.month_day_nano_interval()),
        "watermark": pa.array([d.get("watermark") for d in rows], pa.int64()).cast(_TS),
        "last_refresh": pa.array([d.get("last_refresh") for d in rows], pa.int64()).cast(_TS),
        "refresh_interval": pa.array([d["interval"] for d in rows], pa.string()),
        "start_after": pa.array([d.get("start_after") for d in rows], pa.string()),
    })


def virtual_tables() -> list[VirtualTable]:
    return [
        VirtualTable(schema="heliosdb", name="continuous_aggregates", produce=continuous_aggregates_table, columns=[
            ("name", "text"), ("source", "text"), ("bucket_width", "interval"), ("watermark", "timestamptz"),
            ("last_refresh", "timestamptz"), ("refresh_interval", "text"), ("start_after", "text")]),
        VirtualTable(schema="heliosdb", name="timeseries_tables", produce=timeseries_tables, columns=[
            ("table_name", "text"), ("time_column", "text"), ("partition_by", "text"), ("chunk_interval", "text"),
            ("retention", "text"), ("compression", "text"), ("compression_after", "text")]),
        VirtualTable(schema="heliosdb", name="chunks", produce=chunk_table, columns=[
            ("table_name", "text"), ("chunk_name", "text"), ("range_start", "timestamptz"),
            ("range_end", "timestamptz"), ("rows", "bigint"), ("bytes", "bigint"), ("compressed", "boolean"),
            ("tier", "text")]),
        VirtualTable(schema="heliosdb", name="jobs", produce=jobs_table, columns=[
            ("job_id", "integer"), ("kind", "text"), ("target", "text"), ("schedule_interval", "interval"),
            ("last_run", "timestamptz"), ("last_status", "text"), ("next_start", "timestamptz"),
            ("failures", "integer")]),
    ]


