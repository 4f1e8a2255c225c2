"""Results of one bench run: a Row per measured thing, a Cell per system, and the
alternating warm-up-then-N-runs loop that fills them.

A Cell holds raw samples or the error that prevented them; it never holds a number that
was not measured. Ratios are computed from medians of the same run only.
"""

from __future__ import annotations

import statistics
import time
import traceback
from collections.abc import Callable

import attrs

SYSTEMS = ("helios", "postgres", "duckdb")


@attrs.define
class Cell:
    samples: list[float] = attrs.Factory(list)
    error: str | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.samples)

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.ok else None


@attrs.define
class Row:
    group: str  # workload name, e.g. "pgbench", "tpch"
    name: str  # what was measured, e.g. "Q1"
    unit: str  # "tps", "ms", "rows/s", "MB", "µs"
    higher_is_better: bool
    cells: dict[str, Cell] = attrs.Factory(dict)

    def cell(self, system: str) -> Cell:
        return self.cells.setdefault(system, Cell())

    def ratio(self, other: str) -> float | None:
        """helios median / other median, in the row's own unit (see `better` for direction)."""
        mine, theirs = self.cells.get("helios"), self.cells.get(other)
        if mine is None or theirs is None or not mine.ok or not theirs.ok or not theirs.median:
            return None
        return mine.median / theirs.median


def describe_error(exc: BaseException) -> str:
    """One line a reader can act on: exception type and message, clipped."""
    sqlstate = getattr(exc, "sqlstate", None)  # psycopg errors: the server's SQLSTATE says more
    label = f"SQLSTATE {sqlstate}" if sqlstate else type(exc).__name__
    text = " ".join(f"{label}: {exc}".split())
    return text[:300]


@attrs.define
class Plan:
    """How many runs: a warm-up, then `runs` measured; one measured run when the warm-up
    alone took longer than `slow_seconds` (noted in the cell)."""

    runs: int
    warmup: bool = True
    slow_seconds: float = 60.0


def alternate(row: Row, actions: dict[str, Callable[[], float]], plan: Plan) -> Row:
    """Run each system's action in turn: warm-up round, then `plan.runs` rounds.

    An action returns one sample in the row's unit or raises; a system that raised is
    not run again in this row and its cell carries the error.
    """
    active = dict(actions)
    runs_for: dict[str, int] = {name: plan.runs for name in actions}

    def attempt(name: str, record: bool) -> None:
        started = time.perf_counter()
        try:
            value = active[name]()
        except Exception as exc:
            row.cell(name).error = describe_error(exc)
            if isinstance(exc, _LIKELY_BENCH_BUGS):
                row.cell(name).error += " @ " + _where(exc)
            del active[name]
            return
        if record:
            row.cell(name).samples.append(value)
        elif time.perf_counter() - started > plan.slow_seconds:
            runs_for[name] = 1
            row.cell(name).note = f"1 run (warm-up took {time.perf_counter() - started:.0f}s)"

    if plan.warmup:
        for name in list(active):
            attempt(name, record=False)
    for round_no in range(plan.runs):
        for name in list(active):
            if round_no < runs_for[name]:
                attempt(name, record=True)
    return row


_LIKELY_BENCH_BUGS = (KeyError, AttributeError, TypeError, NameError, IndexError, AssertionError)


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno}"
