"""Per-branch resource limits (ALTER BRANCH ... SET) and per-branch activity counters.

* ``max_connections``: the engine refuses a session over the limit at connect (53300);
  ``SET heliosdb.branch`` onto a full branch is refused the same way (``check_switch``).
* ``max_memory``: a query on the branch runs with a QueryContext whose ``check_cancel``
  (called by every operator between batches) also checks the bytes the Arrow memory pool
  gained since the query started; over the limit the query is cancelled with 53200.
  The pool is process-wide, so concurrent queries of other sessions count too: the limit
  is a guard against runaway queries, not exact accounting.
* ``max_cpu_percent``: a token bucket per branch. Statements spend the CPU time of their
  thread; the bucket refills at ``percent`` of one core per second (burst: 0.1 s). A
  statement that finds the bucket in debt waits (queued) until it is paid off: throttled,
  never failed.

Limits are cached per (database, branch) in the engine's branch service
(``engine.branches``, helios_core.branching.service) so the statement path costs a dict
lookup; lifecycle.py calls ``forget`` whenever a branch's limits change.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

import attrs
import pyarrow as pa

from helios_core.branching import records
from helios_core.errors import OutOfMemory, TooManyConnections
from helios_core.sql.context import QueryContext

BURST_SECONDS = 0.1
MAX_WAIT_SECONDS = 30.0


@attrs.define
class BranchActivity:
    """What heliosdb.branches reports about a branch's use since the server started."""

    last_used: int | None = None  # µs since the epoch
    statements: int = 0
    queued_statements: int = 0
    queued_seconds: float = 0.0
    memory_cancels: int = 0
    tokens: float = BURST_SECONDS
    refilled_at: float = attrs.field(factory=time.monotonic)
    lock: threading.Lock = attrs.field(factory=threading.Lock)


def forget(engine: Any, db: str, branch: str) -> None:
    service = engine.branches
    with service.lock:
        service.limits.pop((records.db_key(engine, db), branch), None)


def limits_of(engine: Any, db: str, branch: str, dk: tuple | None = None) -> dict:
    service = engine.branches
    key = (dk or records.db_key(engine, db), branch)
    got = service.limits.get(key)
    if got is None:
        got = dict(records.get(engine, db, records.META, branch).get("limits") or {})
        with service.lock:
            service.limits[key] = got
    return got


def activity(engine: Any, db: str, branch: str, dk: tuple | None = None) -> BranchActivity:
    service = engine.branches
    key = (dk or records.db_key(engine, db), branch)
    a = service.activity.get(key)
    if a is None:
        with service.lock:
            a = service.activity.setdefault(key, BranchActivity())
    return a


def touch(engine: Any, db: str, branch: str) -> None:
    activity(engine, db, branch).last_used = time.time_ns() // 1000


# ------------------------------------------------------------------------------ connections
def check_switch(session: Any, branch: str) -> None:
    """53300 when ``branch`` already has max_connections sessions (the session itself excluded)."""
    limit = limits_of(session.engine, session.database, branch).get("max_connections")
    if limit is None:
        return
    used = sum(1 for s in list(session.engine.sessions.values())
               if s is not session and s.database == session.database and s.branch == branch)
    if used >= int(limit):
        raise TooManyConnections(f'too many connections for branch "{branch}"')


# ------------------------------------------------------------------------------ memory
def memory_limit(session: Any) -> int | None:
    text = limits_of(session.engine, session.database, session.branch,
                     getattr(session, "_branching_db_key", None)).get("max_memory")
    if text is None:
        return None
    from helios_core.branching.lifecycle import parse_size

    return parse_size(text)


def context_class(session: Any) -> Any:
    """What to call instead of QueryContext(...) for the session's next query (memory-bounded under
    max_memory)."""
    limit = memory_limit(session)
    if limit is None:
        return QueryContext
    return functools.partial(
        MemoryBoundedContext, mem_limit=limit, mem_start=pa.total_allocated_bytes(),
        mem_branch=session.branch, mem_activity=activity(session.engine, session.database, session.branch))


@attrs.define(kw_only=True)
class MemoryBoundedContext(QueryContext):
    """A QueryContext whose cancellation check also enforces the branch's max_memory."""

    mem_limit: int = 0
    mem_start: int = 0
    mem_branch: str = ""
    mem_activity: Any = None

    def check_cancel(self) -> None:
        super().check_cancel()
        used = pa.total_allocated_bytes() - self.mem_start
        if used > self.mem_limit:
            if self.mem_activity is not None:
                self.mem_activity.memory_cancels += 1
            raise OutOfMemory(
                f'canceling statement: it needs more memory than branch "{self.mem_branch}" allows',
                detail=f"The query holds {used} bytes; max_memory is {self.mem_limit} bytes.",
                hint="Raise the limit with ALTER BRANCH ... SET max_memory, or make the query smaller.")


# ------------------------------------------------------------------------------ CPU
def before_statement(session: Any) -> None:
    """Count the statement; under max_cpu_percent wait while the branch's CPU bucket is in debt."""
    engine, db, branch = session.engine, session.database, session.branch
    dk = getattr(session, "_branching_db_key", None)  # a session's database stays the same incarnation
    if dk is None:
        dk = session._branching_db_key = records.db_key(engine, db)
    act = activity(engine, db, branch, dk)
    act.statements += 1
    act.last_used = time.time_ns() // 1000
    pct = limits_of(engine, db, branch, dk).get("max_cpu_percent")
    session._branch_cpu_start = None
    if pct is None:
        return
    rate = int(pct) / 100.0
    with act.lock:
        _refill(act, rate)
        debt = -act.tokens
    if debt > 0:
        wait = min(debt / rate, MAX_WAIT_SECONDS)
        act.queued_statements += 1
        act.queued_seconds += wait
        cancel = getattr(session, "_cancel", None)
        if cancel is not None:
            cancel.wait(wait)
        else:  # pragma: no cover - sessions always have a cancel event
            time.sleep(wait)
        with act.lock:
            _refill(act, rate)
    session._branch_cpu_start = (time.thread_time(), branch, rate)


def after_statement(session: Any) -> None:
    start = getattr(session, "_branch_cpu_start", None)
    if start is None:
        return
    session._branch_cpu_start = None
    t0, branch, rate = start
    used = max(0.0, time.thread_time() - t0)
    act = activity(session.engine, session.database, branch)
    with act.lock:
        _refill(act, rate)
        act.tokens -= used


def _refill(act: BranchActivity, rate: float) -> None:
    now = time.monotonic()
    act.tokens = min(BURST_SECONDS, act.tokens + (now - act.refilled_at) * rate)
    act.refilled_at = now
