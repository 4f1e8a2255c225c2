"""What every top-level statement cost: pg_stat_statements' entries and the Prometheus series.

The statement path is hot (a pgbench -S transaction is about a hundred microseconds), so
``record`` only queues what the statement was (one deque append, safe from any thread); the
queue is folded into plain dicts under one lock every ``FOLD_AT`` statements and whenever the
Prometheus collector (helios_core.metrics) or the catalog views read them.

Label cardinality is bounded: ``kind`` is one of ``KINDS``, errors are labelled by SQLSTATE
class (two characters), and branches get their own label only for the first
``max_branch_labels`` (database, branch) pairs that ran a statement; the others share
``branch="other"``, so a server with thousands of tenant branches exports a bounded set.
"""

from __future__ import annotations

import bisect
import collections
import logging
import math
import threading
import time
from typing import Any

from helios_core.statement_text import normalize

log = logging.getLogger("helios.statement")

# seconds: from a primary-key read on the event loop to a long analytical query
BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
           5.0, 10.0, 30.0)
FOLD_AT = 1024  # statements queued by ``record`` before they are folded into the counters
KINDS = ("select", "insert", "update", "delete", "merge", "copy", "ddl", "transaction", "utility", "other")
_KIND_OF = {"SELECT": "select", "INSERT": "insert", "UPDATE": "update", "DELETE": "delete", "MERGE": "merge",
            "COPY": "copy", "BEGIN": "transaction", "START TRANSACTION": "transaction", "COMMIT": "transaction",
            "ROLLBACK": "transaction", "SAVEPOINT": "transaction", "RELEASE": "transaction",
            "PREPARE TRANSACTION": "transaction", "SET": "utility", "SHOW": "utility", "RESET": "utility",
            "EXPLAIN": "utility", "PREPARE": "utility", "EXECUTE": "utility", "DEALLOCATE": "utility",
            "DISCARD": "utility", "LISTEN": "utility", "NOTIFY": "utility", "UNLISTEN": "utility",
            "FETCH": "select", "MOVE": "utility", "DECLARE CURSOR": "utility", "CLOSE CURSOR": "utility",
            "VALUES": "select", "TABLE": "select", "WITH": "select", "CALL": "utility", "DO": "utility",
            "VACUUM": "utility", "ANALYZE": "utility", "CHECKPOINT": "utility", "LOCK TABLE": "utility"}
_DDL_WORDS = ("CREATE", "ALTER", "DROP", "TRUNCATE", "COMMENT", "GRANT", "REVOKE", "REFRESH", "REINDEX",
              "CLUSTER", "SECURITY", "MERGE BRANCH")
_WRITE_KINDS = ("insert", "update", "delete", "merge", "copy")
# SQLSTATEs that mean a configured limit refused or cancelled the work
LIMIT_OF_SQLSTATE = {"53300": "connections", "53200": "memory", "53400": "configuration_limit",
                     "57014": "statement_timeout", "25P03": "idle_in_transaction_timeout"}
MAX_ENTRIES = 5000  # pg_stat_statements.max
# Reading a thread's CPU clock is a system call (microseconds on a VM): one statement in CPU_SAMPLE of
# each session is measured and counts CPU_SAMPLE times, an unbiased estimate of per-branch CPU seconds.
CPU_SAMPLE = 8


def kind_of(tag_kind: str) -> str:
    """One of KINDS for a Result's kind (``"CREATE TABLE"`` -> ``"ddl"``)."""
    k = _KIND_OF.get(tag_kind)
    if k is not None:
        return k
    upper = tag_kind.upper()
    k = _KIND_OF.get(upper)
    if k is None:
        k = "ddl" if upper.startswith(_DDL_WORDS) else "other"
    _KIND_OF[tag_kind] = k
    return k


def kind_of_text(sql: str) -> str:
    """The kind of a statement that failed before it had a Result: from its first words."""
    words = sql.lstrip(" \t\r\n(").split(None, 2)
    if not words:
        return "other"
    first = words[0].upper().rstrip(";")
    two = f"{first} {words[1].upper()}" if len(words) > 1 else first
    if two in _KIND_OF:
        return _KIND_OF[two]
    return kind_of(first)


def cpu_sample_start(statement_number: int) -> float | None:
    """The thread's CPU clock when this statement is one of the sampled ones, else None."""
    return time.thread_time() if statement_number % CPU_SAMPLE == 0 else None


def cpu_since(started: float | None) -> float:
    """The estimated CPU seconds of a statement (see CPU_SAMPLE): 0 for one not sampled."""
    return (time.thread_time() - started) * CPU_SAMPLE if started is not None else 0.0


class Entry:
    """One pg_stat_statements row: calls, times (ms) and rows of one normalized statement."""

    __slots__ = ("calls", "max_ms", "min_ms", "query", "rows", "sum_sq", "total_ms")

    def __init__(self, query: str) -> None:
        self.query = query
        self.calls = 0
        self.total_ms = 0.0
        self.min_ms = math.inf
        self.max_ms = 0.0
        self.sum_sq = 0.0
        self.rows = 0

    def add_runs(self, ms: list[float], rows: int) -> None:
        """Runs of the statement that took ``ms`` each and returned or wrote ``rows`` in all."""
        self.calls += len(ms)
        self.total_ms += sum(ms)
        self.sum_sq += sum(x * x for x in ms)
        self.min_ms = min(self.min_ms, *ms)
        self.max_ms = max(self.max_ms, *ms)
        self.rows += rows

    @property
    def mean_ms(self) -> float:
        return self.total_ms / self.calls if self.calls else 0.0

    @property
    def stddev_ms(self) -> float:
        if not self.calls:
            return 0.0
        mean = self.mean_ms
        return math.sqrt(max(0.0, self.sum_sq / self.calls - mean * mean))


class StatementStats:
    """The server's statement statistics (one per engine); ``record`` is called once per statement."""

    def __init__(self, max_branch_labels: int = 100) -> None:
        self.lock = threading.Lock()
        self.max_branch_labels = max_branch_labels
        self.enabled = True  # [metrics] statement_statistics: False records nothing
        self._entries: dict[tuple[str, str, str], Entry] = {}
        self._queued: collections.deque[tuple] = collections.deque()  # record()'s, not yet folded
        self.statements: dict[tuple[str, str, str], int] = {}  # (protocol, kind, outcome)
        self.histograms: dict[tuple[str, str], list[float]] = {}  # (protocol, kind): buckets..., sum, count
        self.errors: dict[tuple[str, str], int] = {}  # (protocol, SQLSTATE class)
        self.limit_rejections: dict[str, int] = {}
        self.rows_read: dict[str, int] = {}  # protocol -> rows returned by queries
        self.rows_written: dict[tuple[str, str], int] = {}  # (protocol, kind)
        self.branches: dict[tuple[str, str], list[float]] = {}  # (db, label): statements, seconds, cpu seconds
        self._branch_label: dict[tuple[str, str], str] = {}
        self.connections_refused: dict[str, int] = {}
        self.reset_at: float | None = None

    # ------------------------------------------------------------------ recording
    def branch_label(self, database: str, branch: str) -> str:
        key = (database, branch)
        label = self._branch_label.get(key)
        if label is None:
            label = branch if len(self._branch_label) < self.max_branch_labels else "other"
            self._branch_label[key] = label
        return label

    def record(self, session: Any, text: str, kind: str, seconds: float, cpu_seconds: float, rows: int | None,
               sqlstate: str | None) -> None:
        """Count one finished top-level statement (``sqlstate`` set when it failed)."""
        queued = self._queued
        queued.append((session.user, session.database, session.branch, session.protocol, text, kind, seconds,
                       cpu_seconds, rows, sqlstate))
        if len(queued) >= FOLD_AT:
            self.fold()

    def fold(self) -> None:
        """Count the queued statements (popped one by one: a ``record`` meanwhile is never lost),
        the runs of one statement text and outcome together."""
        with self.lock:
            queued = self._queued
            groups: dict[tuple, list[tuple[float, float, int]]] = {}
            while queued:
                user, database, branch, protocol, text, kind, seconds, cpu_seconds, rows, sqlstate = queued.popleft()
                key = (user, database, branch, protocol, text, kind, sqlstate)
                runs = groups.get(key)
                if runs is None:
                    runs = groups[key] = []
                runs.append((seconds, cpu_seconds, rows or 0))
            for key, runs in groups.items():
                self._count(*key, runs)

    def _count(self, user: str, database: str, branch: str, protocol: str, text: str, kind: str,
               sqlstate: str | None, runs: list[tuple[float, float, int]]) -> None:
        """``runs`` (seconds, CPU seconds, rows) of one statement text, kind and outcome."""
        n = len(runs)
        seconds = [r[0] for r in runs]
        total_seconds = sum(seconds)
        rows = sum(r[2] for r in runs)
        key = (user, database, normalize(text))
        entry = self._entries.get(key)
        if entry is None:
            if len(self._entries) >= MAX_ENTRIES:
                self._evict()
            entry = self._entries[key] = Entry(key[2])
        if sqlstate is None:  # as pg_stat_statements: a failed statement is not counted
            entry.add_runs([x * 1000.0 for x in seconds], rows)
        skey = (protocol, kind, "error" if sqlstate else "ok")
        self.statements[skey] = self.statements.get(skey, 0) + n
        hkey = (protocol, kind)
        hist = self.histograms.get(hkey)
        if hist is None:
            hist = self.histograms[hkey] = [0.0] * (len(BUCKETS) + 3)  # buckets, +Inf, sum, count
        for x in seconds:
            hist[bisect.bisect_left(BUCKETS, x)] += 1
        hist[-2] += total_seconds
        hist[-1] += n
        bkey = (database, self.branch_label(database, branch))
        per_branch = self.branches.get(bkey)
        if per_branch is None:
            per_branch = self.branches[bkey] = [0, 0.0, 0.0]
        per_branch[0] += n
        per_branch[1] += total_seconds
        per_branch[2] += sum(r[1] for r in runs)
        if sqlstate is not None:
            ekey = (protocol, sqlstate[:2])
            self.errors[ekey] = self.errors.get(ekey, 0) + n
            limit = LIMIT_OF_SQLSTATE.get(sqlstate)
            if limit is not None:
                self.limit_rejections[limit] = self.limit_rejections.get(limit, 0) + n
        elif rows:
            if kind == "select":
                self.rows_read[protocol] = self.rows_read.get(protocol, 0) + rows
            elif kind in _WRITE_KINDS:
                wkey = (protocol, kind)
                self.rows_written[wkey] = self.rows_written.get(wkey, 0) + rows

    def refused(self, protocol: str, limit: str = "connections") -> None:
        """A protocol refused a connection (too many connections)."""
        with self.lock:
            self.connections_refused[protocol] = self.connections_refused.get(protocol, 0) + 1
            self.limit_rejections[limit] = self.limit_rejections.get(limit, 0) + 1

    def _evict(self) -> None:
        """Make room as pg_stat_statements does: drop the least-called tenth of the entries."""
        victims = sorted(self._entries.items(), key=lambda kv: kv[1].calls)[: max(1, MAX_ENTRIES // 10)]
        for key, _ in victims:
            del self._entries[key]

    # ------------------------------------------------------------------ reading
    @property
    def entries(self) -> dict[tuple[str, str, str], Entry]:
        """pg_stat_statements' entries by (user, database, normalized text), the queue folded."""
        self.fold()
        return self._entries

    def statement_rows(self) -> list[tuple[tuple[str, str, str], Entry]]:
        self.fold()
        with self.lock:
            return [(k, e) for k, e in self._entries.items() if e.calls]

    def reset_statements(self, user: str | None = None, database: str | None = None,
                         query: str | None = None) -> None:
        """pg_stat_statements_reset(): forget the entries matching every filter given."""
        self.fold()
        with self.lock:
            for key in [k for k in self._entries if (user is None or k[0] == user)
                        and (database is None or k[1] == database) and (query is None or k[2] == query)]:
                del self._entries[key]

    def snapshot(self) -> dict[str, Any]:
        """Copies of the counters, for one scrape."""
        self.fold()
        with self.lock:
            return {
                "statements": dict(self.statements),
                "histograms": {k: list(v) for k, v in self.histograms.items()},
                "errors": dict(self.errors),
                "limit_rejections": dict(self.limit_rejections),
                "rows_read": dict(self.rows_read),
                "rows_written": dict(self.rows_written),
                "branches": {k: list(v) for k, v in self.branches.items()},
                "connections_refused": dict(self.connections_refused),
            }


_CANONICAL_UNITS_MS = (("ms", 1), ("min", 60_000), ("s", 1000), ("h", 3_600_000), ("d", 86_400_000))


def slow_statement_ms(session: Any, cache: dict[str, int] = {}) -> int:  # noqa: B006 - a parse cache
    """log_min_duration_statement of the session in ms (-1: off). The setting holds its canonical
    form ("-1", "0", "250ms", "2s", "1min"; helios_core.sql.settings normalizes what SET gets)."""
    raw = session.settings_obj.values.get("log_min_duration_statement", "-1")
    ms = cache.get(raw)
    if ms is None:
        ms = int(raw) if raw.lstrip("-").isdigit() else -1
        for unit, factor in _CANONICAL_UNITS_MS:
            if raw.endswith(unit) and raw[: -len(unit)].isdigit():
                ms = int(raw[: -len(unit)]) * factor
                break
        cache[raw] = ms
    return ms


def log_slow(session: Any, text: str, seconds: float) -> None:
    """PostgreSQL's slow-statement line: ``duration: 1234.567 ms  statement: ...``."""
    log.info("duration: %.3f ms  statement: %s  user=%s database=%s branch=%s protocol=%s pid=%s",
             seconds * 1000.0, text, session.user, session.database, session.branch, session.protocol,
             session.pid)
