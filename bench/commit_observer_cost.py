"""What a commit pays for the change-stream observer (helios_commit_observers).

In-process store (no WAL, no server): single-row and 1,000-row insert commits with the MongoDB
plugin's ChangeHistory registered as commit observer; prints the microseconds per commit spent
in ``storage.commit_feed.tell`` (describing the commit and queueing it), which runs under the
store's commit lock. Not part of the test suite.

    python -m bench.commit_observer_cost
"""

from __future__ import annotations

import time

import pyarrow as pa
from helios_core.storage import ColumnDef, Store, commit_feed
from helios_protocol_mongo.change_streams import ChangeHistory


def observer_cost(commits: int, rows: int) -> float:
    """Mean µs per commit in the observer path."""
    store = Store.open()
    store.create_database("db")
    with store.begin("db") as t:
        t.create_table("public", "t", [ColumnDef("_id", pa.string()), ColumnDef("doc", pa.string())],
                       primary_key=["_id"])
    store.commit_observers = [ChangeHistory().observe]
    spent = [0.0]
    tell = commit_feed.tell

    def timed(observers: list, txn: object, ts: int) -> None:
        started = time.perf_counter()
        tell(observers, txn, ts)
        spent[0] += time.perf_counter() - started

    commit_feed.tell = timed
    try:
        key = 0
        for _ in range(commits):
            ids = [str(key + i) for i in range(rows)]
            key += rows
            with store.begin("db") as t:
                t.insert("public", "t", pa.table({"_id": ids, "doc": ['{"a": 1}'] * rows}))
    finally:
        commit_feed.tell = tell
    return spent[0] / commits * 1e6


def main() -> None:
    for rows, commits in ((1, 5000), (1000, 200)):
        print(f"{rows:5d}-row commits: {observer_cost(commits, rows):6.1f} µs per commit in the observer path")


if __name__ == "__main__":
    main()
