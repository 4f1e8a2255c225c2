"""Ordered map of a pure function over a scan's batches on a few worker threads.

Arrow's kernels (comparisons, LIKE, filter) release the GIL, so filtering the next batches
while the consumer aggregates this one uses the machine's other cores, as DuckDB's scans do.
Results come back in input order; at most ``2 x workers`` batches are in flight. A consumer
that stops early (LIMIT) simply leaves the speculative work unread; an error is raised when
its batch is reached, as in the sequential loop. Only pure work may be handed here (see
logical/pure_terms.py): it must not touch the session, storage or the execution's state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from helios_core import parallel
from helios_core.parallel import WORKERS

# batches of fewer rows are filtered on the calling thread: handing one to a worker and back
# cost more than its comparisons (a LIMIT 1 lookup over a thousand rows written one at a time,
# in some twenty memtable chunks, spent 0.5 ms of its 1.4 waiting for workers)
HAND_OFF_MIN_ROWS = 4096


def ordered_map(fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
    """``fn(item)`` for each item, in order, computed ahead on the worker threads (batches of
    fewer than HAND_OFF_MIN_ROWS rows on the calling thread, in their turn)."""
    return parallel.ordered_map(fn, items, workers=WORKERS, here=_small)


def _small(batch: Any) -> bool:
    return getattr(batch, "num_rows", HAND_OFF_MIN_ROWS) < HAND_OFF_MIN_ROWS
