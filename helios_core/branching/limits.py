"""Per-branch resource limits (ALTER BRANCH ... SET) and per-branch activity counters.

* ``max_connections``: the engine refuses a session over the limit at connect (53300);
  ``SET heliosdb.branch`` onto a full branch is refused the same way (``check_switch``).
* ``max_memory``: a query on the branch counts the bytes it holds in materialized tables
  (what operators ``collect``: sort, join and aggregate inputs, recursive work tables) in its
  own account and in the branch's total; its QueryContext's ``check_cancel`` (called by every
  operator between batches) cancels it with 53200 when it alone is over the limit, or when the
  branch's queries together are and it holds the most. Other branches' queries never count:
  one tenant's big query cannot make another's small one fail. Not counted: transient
  buffers inside one Arrow kernel call, and a result set the protocol has not sent yet.
* ``max_cpu_percent``: a token bucket per branch. Statements spend the CPU time of their
  thread and of the worker threads that did pieces of them (``parallel.CPU_ACCOUNT``); the bucket refills at ``percent`` of one core per second (burst: 0.1 s). A
  statement that finds the bucket in debt waits (queued) until it is paid off, and a running
  one pays as it goes: at each cancellation check between batches it spends what it used
  and sleeps while the bucket is in debt. Throttled, never failed.

Limits are cached per (database, branch) in the engine's branch service
(``engine.branches``, helios_core.branching.service) so the statement path costs a dict
lookup; lifecycle.py calls ``forget`` whenever a branch's limits change.
"""

from __future__ import annotations

import functools
import threading
import time
import weakref
from typing import Any

import attrs

from helios_core import parallel, statement_gate, time_budget
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
    memory_held: int = 0  # bytes the branch's running queries hold in materialized tables
    holders: dict = attrs.Factory(dict)  # id -> MemoryAccount of each query under max_memory
    tokens: float = BURST_SECONDS
    refilled_at: float = attrs.field(factory=time.monotonic)
    lock: threading.RLock = attrs.field(factory=threading.RLock)  # re-entered by weakref finalizers


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
    """What to call instead of QueryContext(...) for the session's next query: bounded under
    max_memory, throttled while it runs under max_cpu_percent."""
    limit = memory_limit(session)
    cpu = session._branch_cpu_start if getattr(session, "_branch_cpu_start", None) is not None else None
    if limit is None and cpu is None:
        return QueryContext
    act = activity(session.engine, session.database, session.branch)
    return functools.partial(MemoryBoundedContext, mem_limit=limit or 0, mem_branch=session.branch,
                             mem_activity=act, memory=MemoryAccount(act) if limit is not None else None,
                             cpu_rate=cpu[2] if cpu is not None else 0.0)


class MemoryAccount:
    """The bytes one query holds in materialized tables, counted in its branch's total too.

    Only queries of the branch count against its max_memory: what other tenants' queries
    allocate never does (the process-wide Arrow pool is not looked at).
    """

    def __init__(self, act: BranchActivity) -> None:
        self.act = act
        self.held = 0
        with act.lock:
            act.holders[id(self)] = self
        weakref.finalize(self, _forget_holder, act, id(self))

    def add(self, n: int) -> None:
        with self.act.lock:
            self.held += n
            self.act.memory_held += n

    def release(self, n: int) -> None:
        if n:
            self.add(-n)

    def release_with(self, obj: Any, n: int) -> None:
        """Release ``n`` bytes once ``obj`` (the table holding them) is garbage."""
        if n:
            weakref.finalize(obj, self.release, n)


def _forget_holder(act: BranchActivity, key: int) -> None:
    with act.lock:
        gone = act.holders.pop(key, None)
        if gone is not None:
            act.memory_held -= gone.held
            gone.held = 0


@attrs.define(kw_only=True)
class MemoryBoundedContext(QueryContext):
    """A QueryContext whose cancellation check also enforces the branch's max_memory.

    The offender is cancelled: a query over the limit on its own, or, when the branch's
    queries together are over it, the one holding the most.
    """

    mem_limit: int = 0
    mem_branch: str = ""
    mem_activity: Any = None
    cpu_rate: float = 0.0  # max_cpu_percent / 100, or 0 when the branch has no CPU limit
    cpu_throttled: bool = False

    def check_cancel(self) -> None:
        super().check_cancel()
        if self.cpu_rate:
            self._throttle()
        mine = self.memory.held if self.memory is not None else 0
        act = self.mem_activity
        if mine <= 0 or act is None:
            return
        total = act.memory_held
        if mine <= self.mem_limit and total <= self.mem_limit:
            return
        if mine <= self.mem_limit:
            with act.lock:
                largest = max((h.held for h in act.holders.values()), default=0)
            if mine < largest:
                return  # another query of the branch holds more: it is the one to stop
        act.memory_cancels += 1
        raise OutOfMemory(
            f'canceling statement: it needs more memory than branch "{self.mem_branch}" allows',
            detail=f"The query holds {mine} bytes (the branch's queries {total}); max_memory is "
                   f"{self.mem_limit} bytes.",
            hint="Raise the limit with ALTER BRANCH ... SET max_memory, or make the query smaller.")

    def _throttle(self) -> None:
        """max_cpu_percent while the statement runs: spend the CPU time used since the last check
        from the branch's bucket and, in debt, sleep until it is paid (a cancel still wakes it)."""
        session = self.session
        start = getattr(session, "_branch_cpu_start", None)
        if start is None:
            return
        t0, branch, rate, thread = (*start, None)[:4]
        now = time.thread_time()
        session._branch_cpu_start = (now, branch, rate, threading.get_ident())
        workers = _workers_cpu()
        if thread not in (None, threading.get_ident()):
            now = t0  # thread_time of another thread: nothing to compare with, only the workers' time
        act = self.mem_activity
        with act.lock:
            _refill(act, rate)
            act.tokens -= max(0.0, now - t0) + workers
            debt = -act.tokens
        if debt <= 0:
            return
        wait = min(debt / rate, MAX_WAIT_SECONDS)
        if not self.cpu_throttled:
            self.cpu_throttled = True
            act.queued_statements += 1
        act.queued_seconds += wait
        cancel = self.cancel_event
        with statement_gate.waiting():
            if cancel is not None:
                cancel.wait(wait)
            else:  # pragma: no cover - sessions always have a cancel event
                time.sleep(wait)
        with act.lock:
            _refill(act, rate)
        session._branch_cpu_start = (time.thread_time(), branch, rate, threading.get_ident())
        super().check_cancel()  # cancelled or timed out while waiting


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
        parallel.CPU_ACCOUNT.set(None)
        return
    parallel.CPU_ACCOUNT.set(parallel.CpuAccount())  # the statement's pieces on worker threads
    rate = int(pct) / 100.0
    with act.lock:
        _refill(act, rate)
        debt = -act.tokens
    if debt > 0:
        time_budget.inline()  # never queue on a protocol's event loop: it runs this in a worker instead
        wait = min(debt / rate, MAX_WAIT_SECONDS)
        act.queued_statements += 1
        act.queued_seconds += wait
        cancel = getattr(session, "_cancel", None)
        with statement_gate.waiting():
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
    t0, branch, rate = start[:3]
    used = _workers_cpu()
    parallel.CPU_ACCOUNT.set(None)
    if len(start) <= 3 or start[3] == threading.get_ident():  # else the last check ran in another thread
        used += max(0.0, time.thread_time() - t0)
    act = activity(session.engine, session.database, branch)
    with act.lock:
        _refill(act, rate)
        act.tokens -= used


def _workers_cpu() -> float:
    """CPU seconds worker threads spent on this statement's pieces since last asked."""
    account = parallel.CPU_ACCOUNT.get()
    return account.take() if account is not None else 0.0


def _refill(act: BranchActivity, rate: float) -> None:
    now = time.monotonic()
    act.tokens = min(BURST_SECONDS, act.tokens + (now - act.refilled_at) * rate)
    act.refilled_at = now
