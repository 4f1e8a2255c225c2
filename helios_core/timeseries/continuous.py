"""Continuous aggregates: a time_bucket rollup materialized incrementally, read in real time.

``CREATE CONTINUOUS AGGREGATE name WITH (timeseries = 'src', interval = '1h', start_after = '30d')
AS SELECT time_bucket('1 hour', time) AS bucket, ... FROM src ... GROUP BY bucket, ...`` makes

* ``_materialized_<name>``: a table holding the query's rows for the buckets refreshed so far;
* ``name``: a view reading materialized buckets before the watermark plus the query over the
  raw rows from the watermark on (real-time aggregation), rewritten when the watermark moves;
* a catalog record (kind ``continuous_aggregate``) and a refresh job run every ``interval``.

Refresh is incremental: the rows of the source written, replaced or deleted since the last
refresh (the store's version stamps, helios_core.branching.changes) give the buckets they
fall in now and fell in then; those buckets join the pending ranges, and a refresh of a window
recomputes the pending buckets inside it only (delete them, insert the query over the raw rows
of exactly those buckets). A bucket's rows come only from raw rows of that bucket because the
bucket is a GROUP BY key; a definition with window functions is recomputed whole. Buckets
before ``frozen_before`` (raw rows dropped by retention or downsampling) are never recomputed.

An aggregate of an aggregate (``timeseries`` naming another continuous aggregate, whose bucket
column is then the time column) reads the other's view, and is refreshed only up to that one's
watermark, so what it materializes comes from materialized buckets alone; the rows of the other's
materialized table written since its last refresh give the buckets to recompute.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
from sqlglot import exp

from helios_core.branching.ancestry import BasePoint
from helios_core.branching.changes import candidate_rowids
from helios_core.errors import DuplicateTable, FeatureNotSupported, HeliosError, UndefinedTable
from helios_core.frontends.postgres import dialect
from helios_core.session import Result
from helios_core.sql import ddl, embedded_sql
from helios_core.sql.functions.interval_input import parse_interval_value
from helios_core.timeseries import jobs, ranges, settings
from helios_core.timeseries.chunks import time_usec, usec_to_datetime
from helios_core.timeseries.durations import duration_usec
from helios_core.timeseries.options import record_of, sql_type_of
from helios_core.timeseries.time_bucket import DEFAULT_ORIGIN_USEC

KIND = "continuous_aggregate"
OPTIONS = ("timeseries", "interval", "start_after", "after")
MIN_TS, MAX_TS = -(2**62), 2**62


class InvalidDefinition(HeliosError):
    sqlstate = "42P17"


# ----------------------------------------------------------------------------------- definition
def _qualified(session: Any, txn: Any, dotted: str, *, for_create: bool = False) -> tuple[str, str]:
    parts = dotted.split(".")
    table = exp.Table(this=exp.to_identifier(parts[-1], quoted=True),
                      db=exp.to_identifier(parts[-2], quoted=True) if len(parts) > 1 else None)
    return ddl.table_name(session, table, txn, for_create=for_create)


def _bucket_call(query: exp.Select, source_names: set[str], time_column: str) -> tuple[str, exp.Anonymous]:
    """(output column, call) of the select item time_bucket(width, <time column>) that is grouped by."""
    group = query.args.get("group")
    keys = list(group.expressions) if group is not None else []
    for i, item in enumerate(query.expressions):
        call = item.this if isinstance(item, exp.Alias) else item
        if not (isinstance(call, exp.Anonymous) and str(call.this).lower() == "time_bucket"):
            continue
        args = call.expressions
        if len(args) != 2 or not isinstance(args[1], exp.Column) or args[1].name != time_column or (
                args[1].table and args[1].table not in source_names):
            continue
        name = item.alias_or_name if isinstance(item, exp.Alias) else "time_bucket"
        grouped = any(
            (isinstance(k, exp.Column) and not k.table and k.name == name)
            or (isinstance(k, exp.Literal) and not k.is_string and int(k.this) == i + 1) or k == call
            for k in keys)
        if grouped:
            return name, call
    raise InvalidDefinition(
        f'continuous aggregate needs time_bucket(width, "{time_column}") in its select list and GROUP BY',
        hint=f'"{time_column}" is the time column of the source; time_bucket with an offset or origin is '
             "not supported here")


def _width(call: exp.Anonymous) -> int:
    """The bucket width in microseconds, from the constant first argument of time_bucket."""
    width = call.expressions[0]
    if isinstance(width, exp.Cast):
        width = width.this
    if isinstance(width, exp.Interval):
        unit = width.args.get("unit")
        text = f"{width.this.name} {unit.name}" if unit is not None else width.this.name
    elif isinstance(width, exp.Literal) and width.is_string:
        text = width.name
    else:
        raise InvalidDefinition("the width of time_bucket in a continuous aggregate must be a constant interval")
    if parse_interval_value(text)[0]:
        raise FeatureNotSupported("continuous aggregates with buckets in months are not supported")
    return duration_usec(text, "bucket width")


def create(session: Any, args: dict) -> Result:
    config = settings.require_enabled(session, "CREATE CONTINUOUS AGGREGATE")
    txn = session.tx.current()
    options = {k.lower(): v for k, v in args["options"].items()}
    for key in options:
        if key not in OPTIONS:
            raise HeliosError(f'unrecognized parameter "{key}"', sqlstate="22023")
    schema, name = _qualified(session, txn, args["name"], for_create=True)
    policy = config.continuous_aggregates.get(name) or {}  # [timeseries.continuous_aggregates] name = {...}
    options.setdefault("timeseries", policy.get("source"))
    options.setdefault("interval", policy.get("interval"))
    if "start_after" not in options and "after" not in options:
        options["start_after"] = policy.get("after")
    key = f"{schema}.{name}"
    if ddl.relation_kind(txn, schema, name) is not None:
        if args["if_not_exists"]:
            return Result(command_tag="CREATE CONTINUOUS AGGREGATE",
                          notices=[f'relation "{name}" already exists, skipping'])
        raise DuplicateTable(f'relation "{name}" already exists')
    query = dialect.parse(args["query"])[0].ast
    if not isinstance(query, exp.Select) or query.args.get("group") is None:
        raise InvalidDefinition("a continuous aggregate is a SELECT with GROUP BY time_bucket(...)")
    if query.args.get("order") is not None or query.args.get("limit") is not None:
        raise FeatureNotSupported("ORDER BY and LIMIT are not supported in a continuous aggregate")
    tables = list(query.find_all(exp.Table))
    src_name = options.get("timeseries")
    if src_name is None:
        candidates = [t for t in tables if record_of(txn.get_table(*_qualified(session, txn, _dotted(t))))]
        if not candidates:
            raise InvalidDefinition("a continuous aggregate reads a time-series table",
                                    hint="Name it with WITH (timeseries = '...').")
        src_name = _dotted(candidates[0])
    src_schema, src = _qualified(session, txn, src_name)
    tdef = txn.get_table(src_schema, src)
    parent = txn.catalog_get(KIND, f"{src_schema}.{src}") if tdef is None else None
    if tdef is None and parent is None:
        raise UndefinedTable(f'relation "{src_name}" does not exist')
    # an aggregate of an aggregate: the other's bucket column is the time column
    record = record_of(tdef) if parent is None else {"time_column": parent["bucket_column"]}
    if record is None:
        raise InvalidDefinition(f'"{src}" is not a time-series table', hint="CREATE TIMESERIES TABLE makes one.")
    refs = [t for t in tables if t.name == src]
    if not refs:
        raise InvalidDefinition(f'the query of a continuous aggregate must read "{src}"')
    source_names = {src} | {t.alias for t in refs if t.alias}
    bucket_column, call = _bucket_call(query, source_names, record["time_column"])
    width = _width(call)
    qualifier = refs[0].alias or src
    interval = duration_usec(options.get("interval") or "1h", "interval")
    start_after = options.get("start_after") or options.get("after")
    if start_after is not None:
        duration_usec(start_after, "start_after")
        if parent is not None:
            raise FeatureNotSupported("start_after (downsampling) on a continuous aggregate of a continuous aggregate",
                                      hint="Downsampling deletes raw rows: give start_after on the aggregate over the "
                                           "time-series table.")
    mat = f"_materialized_{name}"
    _run(session, f'CREATE TABLE "{schema}"."{mat}" AS {args["query"]} WITH NO DATA')
    definition = {
        "schema": schema, "name": name, "source": f"{src_schema}.{src}", "query": args["query"],
        "materialized": mat, "bucket_column": bucket_column, "width": width, "time_column": record["time_column"],
        "time_type": parent["time_type"] if parent is not None else sql_type_of(tdef.column(record["time_column"])),
        "qualifier": qualifier,
        "changes_of": f'{src_schema}.{parent["materialized"]}' if parent is not None else None,
        "interval": options.get("interval") or "1h", "start_after": start_after,
        "whole": query.find(exp.Window) is not None, "watermark": None, "last_refresh": None,
        "refreshed_at": None, "pending": [[MIN_TS, MAX_TS]], "frozen_before": None,
    }
    txn.catalog_put(KIND, key, definition)
    _write_view(session, definition)
    jobs.add_job(txn, "refresh", key, interval)
    if start_after is not None:
        jobs.add_job(txn, "downsample", definition["source"], jobs.DEFAULT_RETENTION_SCHEDULE)
    refresh(session, key, None, None)
    return Result(command_tag="CREATE CONTINUOUS AGGREGATE")


def _dotted(t: exp.Table) -> str:
    return f"{t.db}.{t.name}" if t.db else t.name


def _run(session: Any, sql: str, values: list | None = None, types: list | None = None) -> Any:
    return embedded_sql.run(session, dialect.parse(sql)[0].ast, values or [], types or [])


def _literal(d: dict, usec: int) -> str:
    moment = usec_to_datetime(usec)
    if d["time_type"] == "timestamptz":
        return f"timestamptz '{moment.isoformat()}'"
    if d["time_type"] == "date":
        return f"date '{moment.date().isoformat()}'"
    return f"timestamp '{moment.replace(tzinfo=None).isoformat()}'"


def _query_between(d: dict, lo: int | None, hi: int | None) -> str:
    """The definition's query over the raw rows with lo <= time < hi (None: unbounded)."""
    query = dialect.parse(d["query"])[0].ast
    column = exp.column(d["time_column"], table=d["qualifier"], quoted=True)
    conds = []
    if lo is not None:
        conds.append(f"{column.sql(dialect='postgres')} >= {_literal(d, lo)}")
    if hi is not None:
        conds.append(f"{column.sql(dialect='postgres')} < {_literal(d, hi)}")
    if conds:
        query = query.where(" AND ".join(conds), dialect="postgres", copy=False)
    return query.sql(dialect="postgres")


def _write_view(session: Any, d: dict) -> None:
    """The real-time view: materialized buckets before the watermark, raw rows' buckets after it."""
    mat = f'"{d["schema"]}"."{d["materialized"]}"'
    wm = d["watermark"]
    if wm is None:
        body = _query_between(d, None, None)
    else:
        body = (f'SELECT * FROM {mat} WHERE "{d["bucket_column"]}" < {_literal(d, wm)} '
                f"UNION ALL SELECT * FROM ({_query_between(d, wm, None)}) AS recent")
    _run(session, f'CREATE OR REPLACE VIEW "{d["schema"]}"."{d["name"]}" AS {body}')


# ----------------------------------------------------------------------------------- refreshing
def _bucket_of(d: dict, usec: Any) -> Any:
    w = d["width"]
    return (usec - DEFAULT_ORIGIN_USEC) // w * w + DEFAULT_ORIGIN_USEC


def _touched(session: Any, d: dict) -> list[ranges.Range] | None:
    """Bucket ranges holding rows written, changed or deleted since the last refresh; None: unknown."""
    since = d.get("refreshed_at")
    if since is None:
        return None
    txn = session.tx.current()
    schema, name = (d.get("changes_of") or d["source"]).split(".", 1)
    tdef = txn.get_table(schema, name)
    try:
        then = txn.get_table_as_of(schema, name, since)
        rowids = candidate_rowids(session.engine.store, session.database, (session.branch,),
                                  BasePoint(branch=session.branch, ts=since), (tdef, tdef, then))
        if rowids is None:
            return None
        if not len(rowids):
            return []
        ids = pa.array(rowids, pa.int64())
        starts: set[int] = set()
        for as_of in (None, since):
            for batch in txn.scan(schema, name, columns=[d["time_column"]], rowids=ids, as_of=as_of):
                if batch.num_rows:
                    starts.update(np.unique(_bucket_of(d, time_usec(batch.column(0)))).tolist())
    except HeliosError:  # e.g. the last refresh is past the time-travel window: recompute everything
        return None
    return ranges.from_buckets(starts, d["width"])


def _data_end(session: Any, d: dict) -> int | None:
    """End of the bucket holding the source's latest row, None when it has none."""
    out = _run(session, f'SELECT max("{d["time_column"]}") FROM "{d["source"].split(".")[0]}".'
                        f'"{d["source"].split(".", 1)[1]}"')
    latest = out.rows[0][0]
    if latest is None:
        return None
    if not isinstance(latest, dt.datetime):
        latest = dt.datetime.combine(latest, dt.time(), dt.UTC)
    usec = _usec_of(latest)
    return int(_bucket_of(d, usec)) + d["width"]


def _usec_of(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    delta = moment - usec_to_datetime(0)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def refresh(session: Any, key: str, lo: int | None, hi: int | None) -> str:
    """Recompute the pending buckets inside [lo, hi) (whole buckets; None: unbounded)."""
    txn = session.tx.current()
    d = txn.catalog_get(KIND, key)
    if d is None:
        raise UndefinedTable(f'continuous aggregate "{key.split(".", 1)[1]}" does not exist')
    source_schema, source = d["source"].split(".", 1)
    parent = txn.catalog_get(KIND, d["source"]) if d.get("changes_of") else None
    if (txn.get_table(source_schema, source) if not d.get("changes_of") else parent) is None:
        raise UndefinedTable(f'relation "{source}" does not exist',
                             hint=f'continuous aggregate "{d["name"]}" reads it; DROP CONTINUOUS AGGREGATE removes it')
    w = d["width"]
    window_lo = MIN_TS
    if lo is not None:  # whole buckets only: the first bucket starting at or after lo
        first = int(_bucket_of(d, lo))
        window_lo = first if first == lo else first + w
    window_hi = MAX_TS if hi is None else int(_bucket_of(d, hi))
    if lo is not None and hi is not None and window_lo >= window_hi:
        raise HeliosError("refresh window too small", sqlstate="22023",
                          detail="The refresh window must cover at least one bucket of the continuous aggregate.")
    limit = None
    if parent is not None:  # an aggregate of an aggregate: only buckets the other has materialized
        limit = MIN_TS if parent["watermark"] is None else int(_bucket_of(d, parent["watermark"]))
        window_hi = max(window_lo, min(window_hi, limit))
    touched = _touched(session, d)
    pending = [tuple(r) for r in d["pending"]]
    pending = ranges.merged(pending + ([(MIN_TS, MAX_TS)] if touched is None else touched))
    if d.get("frozen_before") is not None:
        pending = ranges.subtract(pending, (MIN_TS, d["frozen_before"]))
    todo = ranges.intersect(pending, (window_lo, window_hi))
    d["pending"] = [list(r) for r in ranges.subtract(pending, (window_lo, window_hi))]
    mat = f'"{d["schema"]}"."{d["materialized"]}"'
    recomputed = 0
    if d["whole"] and todo:  # window functions may look across buckets: the whole query again
        todo = [(MIN_TS, MAX_TS if limit is None else window_hi)]
        d["pending"] = [] if limit is None else [[window_hi, MAX_TS]]
    for a, b in todo:
        lo_b = None if a <= MIN_TS else a
        hi_b = None if b >= MAX_TS else b
        conds = [f'"{d["bucket_column"]}" >= {_literal(d, lo_b)}' if lo_b is not None else None,
                 f'"{d["bucket_column"]}" < {_literal(d, hi_b)}' if hi_b is not None else None]
        where = " AND ".join(c for c in conds if c) or "true"
        _run(session, f"DELETE FROM {mat} WHERE {where}")
        recomputed += _run(session, f"INSERT INTO {mat} {_query_between(d, lo_b, hi_b)}").row_count
    end = _data_end(session, d)
    new_wm = end if hi is None else min(window_hi, end) if end is not None else None
    if limit is not None and new_wm is not None:
        new_wm = min(new_wm, limit) if limit > MIN_TS else None
    if new_wm is not None and (d["watermark"] is None or new_wm > d["watermark"]):
        d["watermark"] = new_wm
        _write_view(session, d)
    d["refreshed_at"] = txn.snapshot_ts
    d["last_refresh"] = session.engine.store.now()
    txn.catalog_put(KIND, key, d)
    message = f"refreshed {key}: {len(todo)} range(s), {recomputed} row(s)"
    jobs.log.info(message)
    return message


def run_refresh_job(session: Any, target: str) -> str:
    return refresh(session, target, None, None)


def freeze_before(txn: Any, source: str, boundary: int) -> None:
    """Raw rows before ``boundary`` are gone on purpose (retention, downsampling): keep their buckets."""
    for key, d in txn.catalog_list(KIND).items():
        if d["source"] == source:
            start = int(_bucket_of(d, boundary))
            if d.get("frozen_before") is None or start > d["frozen_before"]:
                d["frozen_before"] = start
                txn.catalog_put(KIND, key, d)


def over_source(txn: Any, source: str) -> list[dict]:
    return [d for d in txn.catalog_list(KIND).values() if d["source"] == source]


def downsampling_boundary(txn: Any, source: str, now: int) -> int | None:
    """The time before which every continuous aggregate over ``source`` has materialized the raw rows
    and they are older than the largest ``start_after``: None when nothing may go yet."""
    aggs = over_source(txn, source)
    ages = [duration_usec(d["start_after"], "start_after") for d in aggs if d.get("start_after")]
    if not aggs or not ages:
        return None
    boundary = now - max(ages)
    for d in aggs:
        if d.get("watermark") is None:
            return None
        boundary = min(boundary, d["watermark"], *(lo for lo, _ in d["pending"] if lo > MIN_TS))
        if any(lo <= MIN_TS for lo, _ in d["pending"]):
            return None
    for _ in range(len(aggs) + 1):  # the start of a bucket of every aggregate
        boundary = min(int(_bucket_of(d, boundary)) for d in aggs)
    if any(int(_bucket_of(d, boundary)) != boundary for d in aggs):
        return None  # widths with no common bucket start near it: a bucket would lose part of its rows
    return boundary


def drop(session: Any, args: dict) -> Result:
    txn = session.tx.current()
    schema, name = _qualified(session, txn, args["name"])
    key = f"{schema}.{name}"
    d = txn.catalog_get(KIND, key)
    if d is None:
        if args["if_exists"]:
            return Result(command_tag="DROP CONTINUOUS AGGREGATE",
                          notices=[f'continuous aggregate "{name}" does not exist, skipping'])
        raise UndefinedTable(f'continuous aggregate "{name}" does not exist')
    _run(session, f'DROP VIEW "{schema}"."{name}"')
    _run(session, f'DROP TABLE "{schema}"."{d["materialized"]}"')
    txn.catalog_delete(KIND, key)
    jobs.remove_jobs(txn, key)
    return Result(command_tag="DROP CONTINUOUS AGGREGATE")


def resolve(session: Any, name: str) -> str:
    txn = session.tx.current()
    schema, bare = _qualified(session, txn, name)
    return f"{schema}.{bare}"
