"""Which secondary index a scan reads through, given the terms pushed into it.

The planner lists a table's usable indexes (helios_core.sql.planner.index_paths); the
pushdown rule asks ``choose`` for the one that answers the scan's terms best.
"""

from __future__ import annotations

from typing import Any

# operators each access method answers
INDEX_OPS = {"btree": ("=", "in", "<", "<=", ">", ">="), "hash": ("=", "in")}


def choose(indexes: list[tuple[str, str, str, bool]], terms: list[Any]) -> tuple[str, str, list[Any]] | None:
    """(index name, column, the terms it answers) for the best index: an equality or IN before a
    range; among equals, the first declared. None when no index answers a term."""
    best = None
    best_rank = 0
    for iname, column, method, _ in indexes:
        ops = INDEX_OPS[method]
        mine = [t for t in terms if t.column == column and t.op in ops]
        if not mine:
            continue
        rank = 2 if any(t.op in ("=", "in") for t in mine) else 1
        if rank > best_rank:
            best, best_rank = (iname, column, mine), rank
    return best
