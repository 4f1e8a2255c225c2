"""Jobs of time series (retention, continuous-aggregate refresh), as TimescaleDB's job scheduler.

A job is a catalog record of its branch (kind ``timeseries_job``, key the job id)::

    {"job_id": 1000, "kind": "retention" | "compression" | "refresh" | "downsample", "target": "schema.name",
     "schedule_interval": usec, "last_run": usec | None, "last_status": "Success" | "Failed: ...",
     "next_start": usec, "failures": n}

``CALL heliosdb.run_job(id)`` runs one now, in the caller's transaction (an error is the
caller's, as TimescaleDB's run_job raises it). The background task runs the jobs whose
``next_start`` has come; a failing run is recorded (last_status, failures) and retried after
a backoff that grows with each failure, never more than the schedule interval.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from helios_core.errors import UndefinedObject

KIND = "timeseries_job"
FIRST_JOB_ID = 1000
DEFAULT_RETENTION_SCHEDULE = 3_600_000_000  # hourly, as the issue asks
DEFAULT_COMPRESSION_SCHEDULE = 3_600_000_000
log = logging.getLogger("helios.timeseries")


def all_jobs(txn: Any) -> list[dict]:
    return sorted(txn.catalog_list(KIND).values(), key=lambda j: j["job_id"])


def _find(txn: Any, kind: str, target: str) -> dict | None:
    return next((j for j in all_jobs(txn) if j["kind"] == kind and j["target"] == target), None)


def add_job(txn: Any, kind: str, target: str, schedule_usec: int) -> dict:
    """A job of ``kind`` on ``target`` (replacing its schedule when it exists); first run: now."""
    job = _find(txn, kind, target)
    if job is None:
        used = [j["job_id"] for j in all_jobs(txn)]
        job = {"job_id": max(used, default=FIRST_JOB_ID - 1) + 1, "kind": kind, "target": target,
               "last_run": None, "last_status": None, "next_start": txn.store.now(),
               "failures": 0}
    job["schedule_interval"] = schedule_usec
    txn.catalog_put(KIND, str(job["job_id"]), job)
    return job


def remove_jobs(txn: Any, target: str) -> None:
    for j in all_jobs(txn):
        if j["target"] == target:
            txn.catalog_delete(KIND, str(j["job_id"]))


def target_table(txn: Any, target: str) -> tuple[Any, str | None]:
    """The table a job works on, or (None, what to report) when it was dropped: its jobs go with it."""
    schema, name = target.split(".", 1)
    tdef = txn.get_table(schema, name)
    if tdef is None:
        remove_jobs(txn, target)
        return None, f"{target} no longer exists: its jobs are removed"
    return tdef, None


def ensure_table_jobs(txn: Any, target: str, record: dict) -> None:
    """A retention job exists exactly while the table has a retention; a compression job always
    (it packs the chunks past compression_after, compressed or not as ``compression`` says)."""
    if record.get("retention"):
        add_job(txn, "retention", target, DEFAULT_RETENTION_SCHEDULE)
    else:
        job = _find(txn, "retention", target)
        if job is not None:
            txn.catalog_delete(KIND, str(job["job_id"]))
    if _find(txn, "compression", target) is None:
        add_job(txn, "compression", target, DEFAULT_COMPRESSION_SCHEDULE)


# ------------------------------------------------------------------------------------ running
def now_usec(session: Any) -> int:
    return session.engine.store.now()


RUNNERS: dict[str, Callable[[Any, str], str]] = {}  # kind -> runner(session, target) -> message


def register_runner(kind: str, runner: Callable[[Any, str], str]) -> None:
    RUNNERS[kind] = runner


def run_job(session: Any, job_id: int, *, raise_errors: bool = True) -> str:
    """Run a job now and record the outcome; errors are the caller's when ``raise_errors``."""
    txn = session.tx.current()
    job = txn.catalog_get(KIND, str(job_id))
    if job is None:
        raise UndefinedObject(f"job {job_id} not found")
    started = now_usec(session)
    point = txn.savepoint(None)
    try:
        message = RUNNERS[job["kind"]](session, job["target"])
    except Exception as e:
        if raise_errors:
            raise
        txn.rollback_to(point)
        job = {**job, "last_run": started, "last_status": f"Failed: {e.message if hasattr(e, 'message') else e}",
               "failures": job.get("failures", 0) + 1}
        backoff = min(job["schedule_interval"], 60_000_000 * 2 ** min(job["failures"], 10))
        job["next_start"] = started + backoff
        txn.catalog_put(KIND, str(job_id), job)
        log.warning("job %s (%s of %s) failed: %s; retried in %ds", job_id, job["kind"], job["target"], e,
                    backoff // 1_000_000)
        return job["last_status"]
    txn.release_savepoint(point)
    if txn.catalog_get(KIND, str(job_id)) is None:  # the job removed itself (its target is gone)
        return message
    job = {**job, "last_run": started, "last_status": "Success", "failures": 0,
           "next_start": started + job["schedule_interval"]}
    txn.catalog_put(KIND, str(job_id), job)
    return message


def due_jobs(txn: Any, now: int) -> list[int]:
    return [j["job_id"] for j in all_jobs(txn) if j.get("next_start", 0) <= now]
