"""Per-table activity counters (pg_stat_user_tables): scans, rows read, rows written.

One list of integers per table (keyed by its table id, shared by the table's branches), bumped
by the read and write paths with plain ``+=``: the OLTP path pays an index and an add. Counts are
since the server started, as PostgreSQL's are since the statistics were last reset.
"""

from __future__ import annotations

SEQ_SCAN, SEQ_TUP_READ, IDX_SCAN, IDX_TUP_FETCH, N_TUP_INS, N_TUP_UPD, N_TUP_DEL = range(7)
FIELDS = 7


def new() -> list[int]:
    return [0] * FIELDS
