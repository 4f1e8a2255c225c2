"""Built-in plugin: time series through the same hooks as any third-party plugin (statements,
table parameters, functions, aggregates, procedures, catalog views, the job scheduler).

Registered with the built-ins (``helios_core.plugins.DEFAULT_PLUGINS``)::

    ("helios_core.timeseries.plugin", "helios_core.timeseries.plugin"),
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from helios_core.errors import HeliosError
from helios_core.hookspecs import (
    BackgroundJob,
    SqlAggregate,
    SqlFunction,
    SqlProcedure,
    SqlStatement,
    TableParameters,
    VirtualTable,
    hookimpl,
)
from helios_core.sql import types as T
from helios_core.timeseries import (
    aggregates,
    catalog_views,
    compression,
    continuous,
    downsampling,
    gapfill,
    jobs,
    retention,
    settings,
    syntax,
    tables,
    time_bucket,
)
from helios_core.timeseries.options import PARAMETERS

log = logging.getLogger("helios.timeseries")
SCHEDULER_TICK = 10.0  # seconds between looks at the jobs' next_start
jobs.register_runner("refresh", continuous.run_refresh_job)
jobs.register_runner("retention", retention.run_retention)
jobs.register_runner("downsample", downsampling.run_downsampling)
jobs.register_runner("compression", compression.run_compression)


@hookimpl
def helios_sql_statements() -> list[SqlStatement]:
    return [
        SqlStatement(name="create_timeseries_table", first_words=("CREATE", "TIMESERIES"),
                     parse=syntax.parse_create_timeseries, run=tables.create),
        SqlStatement(name="create_continuous_aggregate", first_words=("CREATE", "CONTINUOUS"),
                     parse=syntax.parse_create_aggregate, run=continuous.create),
        SqlStatement(name="time_bucket_gapfill", word="TIME_BUCKET_GAPFILL", parse=gapfill.parse, run=gapfill.run,
                     ddl=False),
        SqlStatement(name="drop_continuous_aggregate", first_words=("DROP", "CONTINUOUS"),
                     parse=syntax.parse_drop_aggregate, run=continuous.drop),
    ]


@hookimpl
def helios_table_parameters() -> list[TableParameters]:
    return [TableParameters(names=list(PARAMETERS), apply=tables.set_parameters)]


@hookimpl
def helios_sql_functions() -> list[SqlFunction]:
    return [SqlFunction(name="time_bucket", impl=time_bucket.time_bucket, return_type=time_bucket.return_type,
                        scalar_constants=True)]


@hookimpl
def helios_sql_aggregates() -> list[SqlAggregate]:
    return aggregates.sql_aggregates()


def _run_job(session: Any, args: list[Any]) -> str | None:
    """CALL heliosdb.run_job(job_id [, raise_errors]): with raise_errors false (the scheduler's way) a
    failure is recorded in heliosdb.jobs and the call succeeds."""
    if not args or args[0] is None:
        raise HeliosError("job ID cannot be NULL", sqlstate="22004")
    raise_errors = len(args) < 2 or args[1] is None or bool(args[1])
    jobs.run_job(session, int(args[0]), raise_errors=raise_errors)
    return None


def _moment(session: Any, value: Any) -> int | None:
    """Microseconds since the epoch of a refresh bound (a timestamp, a date, text, or NULL)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = continuous._run(session, "SELECT $1::text::timestamptz", [value], [T.TEXT]).rows[0][0]
    if isinstance(value, dt.datetime):
        return continuous._usec_of(value)
    if isinstance(value, dt.date):
        return continuous._usec_of(dt.datetime.combine(value, dt.time(), dt.UTC))
    raise HeliosError(f"invalid refresh bound: {value!r}", sqlstate="22023")


def _refresh(session: Any, args: list[Any]) -> str | None:
    """CALL heliosdb.refresh_continuous_aggregate(name, from, to): NULL bounds = everything."""
    if len(args) != 3 or args[0] is None:
        raise HeliosError("refresh_continuous_aggregate takes (name, from, to)", sqlstate="42883")
    key = continuous.resolve(session, str(args[0]))
    continuous.refresh(session, key, _moment(session, args[1]), _moment(session, args[2]))
    return None


@hookimpl
def helios_sql_procedures() -> list[SqlProcedure]:
    return [SqlProcedure(schema="heliosdb", name="run_job", run=_run_job),
            SqlProcedure(schema="heliosdb", name="refresh_continuous_aggregate", run=_refresh)]


@hookimpl
def helios_startup(kernel: Any) -> None:
    """Statements and jobs follow the ``[timeseries]`` section the server was started with."""
    if kernel.engine is not None:
        settings.configure(kernel.engine, kernel.config.timeseries)


@hookimpl
def helios_virtual_tables() -> list[VirtualTable]:
    return catalog_views.virtual_tables()


def run_due_jobs(kernel: Any) -> None:
    """One tick of the scheduler: every database's due jobs on its main branch, one transaction each."""
    engine = kernel.engine
    if engine is None or not settings.of(engine).enabled:
        return
    for database in engine.store.list_databases():
        if database.startswith("_"):
            continue
        session = kernel.open_session(database=database)
        try:
            txn_jobs = session.engine.store.begin(database, "main", read_only=True)
            try:
                due = jobs.due_jobs(txn_jobs, engine.store.now())
            finally:
                txn_jobs.rollback()
            for job_id in due:
                try:  # a failure inside the job is recorded by run_job itself
                    session.execute(f"CALL heliosdb.run_job({int(job_id)}, false)")
                except Exception:  # e.g. a write conflict: the job stays due, the next tick retries it
                    log.exception("job %s could not run", job_id)
        finally:
            session.close()


@hookimpl
def helios_background_jobs(kernel: Any) -> list[BackgroundJob]:
    return [BackgroundJob(name="timeseries_jobs", interval=SCHEDULER_TICK, run=run_due_jobs)]
