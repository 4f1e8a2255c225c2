"""Which table scans have every row read by the operator above them.

An aggregate, a sort, a window or a hash join gathers its whole input before it gives a row; a
filter, a projection or an append between it and a scan passes every row on. Such a scan may
filter its rows in long slices (``scan.WHOLE_READ_SLICE_ROWS``): nothing waits for its first
rows, and the worker threads then pay for fewer GIL hand-offs. Anything else in between (a LIMIT
stops early; a join re-run per row reads part) leaves the scan with short slices, so its first
rows leave soon and its read-ahead stays small.
"""

from __future__ import annotations

from helios_core.sql.operators.aggregate import HashAggregate
from helios_core.sql.operators.base import Operator
from helios_core.sql.operators.basic import Filter, Project
from helios_core.sql.operators.join import HashJoin
from helios_core.sql.operators.scan import TableScan
from helios_core.sql.operators.setop import Append
from helios_core.sql.operators.sort import Sort
from helios_core.sql.operators.window import WindowOp

WHOLE_READERS = (HashAggregate, Sort, WindowOp, HashJoin)
_PASS_EVERY_ROW = (Filter, Project, Append)


def mark(op: Operator) -> None:
    """Mark the scans under ``op`` whose every row it reads, when it is a whole reader."""
    if isinstance(op, WHOLE_READERS):
        for child in op.children:
            _mark_below(child)


def _mark_below(op: Operator) -> None:
    if type(op) is TableScan:
        op.read_whole = True
    elif type(op) in _PASS_EVERY_ROW:
        for child in op.children:
            _mark_below(child)
