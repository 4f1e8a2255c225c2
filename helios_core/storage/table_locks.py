"""Table-level locks: DDL that replaces a table's data waits for the table's open writers.

Row locks alone cannot protect TRUNCATE, DROP TABLE or a rewriting ALTER: they point the
catalog at a fresh data set (or remove it), and rows an open transaction is still writing into
the old data set would be lost when it commits. As in PostgreSQL, writers (INSERT/UPDATE/DELETE,
SELECT FOR UPDATE/SHARE) take a "write" lock (ROW EXCLUSIVE) on the table and those DDL take an
"exclusive" lock (ACCESS EXCLUSIVE); MVCC readers take none. Locks are held until the
transaction ends. Waiters queue in order, so a waiting DDL is not starved by a stream of new
writers; a transaction that already holds a lock on the table may pass the queue (PostgreSQL
does the same to avoid self-made deadlocks). Waiting honours lock_timeout (55P03) and detects
deadlocks (40P01) across row-lock and table-lock waits.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from helios_core import statement_gate, time_budget
from helios_core.errors import DeadlockDetected, LockNotAvailable

if TYPE_CHECKING:  # pragma: no cover
    from helios_core.storage.txn import Transaction

TableKey = tuple[int, int]  # (branch_id, table_id): each branch's tables are locked independently

_CONFLICTS: dict[str, frozenset[str]] = {
    "write": frozenset({"exclusive"}),
    "exclusive": frozenset({"write", "exclusive"}),
}

_SLICE = 0.05  # seconds a waiter sleeps between looks at its transaction's interrupt_check


def waits_on(t: Transaction) -> list[Transaction]:
    """Transactions `t` is currently waiting for (row-lock wait and table-lock wait)."""
    out = list(t.table_waits)
    if t.waiting_for is not None:
        out.append(t.waiting_for)
    return out


def reaches(start: Transaction, target: Transaction) -> bool:
    """Does the waits-for graph lead from `start` to `target`? (caller holds store.mu)"""
    seen: set[int] = set()
    todo = [start]
    while todo:
        t = todo.pop()
        if t is target:
            return True
        if t.txid in seen:
            continue
        seen.add(t.txid)
        todo.extend(waits_on(t))
    return False


class TableLocks:
    """The store's table lock table; every method runs under store.mu."""

    def __init__(self, mu: threading.RLock) -> None:
        self.cv = threading.Condition(mu)
        self.holders: dict[TableKey, dict[int, set[str]]] = {}
        self.queue: dict[TableKey, list[tuple[Transaction, str]]] = {}

    def _blockers(self, txn: Transaction, key: TableKey, mode: str, entry: tuple | None) -> list[Transaction]:
        bad = _CONFLICTS[mode]
        out: list[Transaction] = []
        holders = self.holders.get(key, {})
        for txid, modes in holders.items():
            if txid != txn.txid and modes & bad:
                other = txn.store.active.get(txid)
                if other is not None:
                    out.append(other)
        if txn.txid not in holders:
            for e in self.queue.get(key, ()):
                if e is entry:
                    break
                if e[0] is not txn and e[1] in bad:
                    out.append(e[0])
        return out

    def acquire(self, txn: Transaction, key: TableKey, mode: str, nowait: bool, what: str
                ) -> list[Transaction] | None:
        """Take `mode` on the table, waiting as needed.

        Returns None if it was held already, else every transaction it waited for ([]: no wait).
        """
        waited: list[Transaction] = []
        with self.cv:
            held = self.holders.get(key, {}).get(txn.txid)
            if held and (mode in held or "exclusive" in held):
                return None
            entry: tuple[Transaction, str] | None = None
            deadline = None
            try:
                while True:
                    blockers = self._blockers(txn, key, mode, entry)
                    if not blockers:
                        self.holders.setdefault(key, {}).setdefault(txn.txid, set()).add(mode)
                        txn.table_locks.append((key, mode))
                        return waited
                    if nowait:
                        raise LockNotAvailable(f'could not obtain lock on relation "{what}"')
                    time_budget.inline()  # tried on a protocol's event loop: it waits in a worker instead
                    for b in blockers:
                        if reaches(b, txn):
                            raise DeadlockDetected(
                                "deadlock detected",
                                detail=f"Transaction {txn.txid} waits for {mode} lock on relation \"{what}\" "
                                f"held or awaited by transaction {b.txid}, which waits for this transaction.")
                    txn.table_waits = blockers
                    waited.extend(b for b in blockers if b not in waited)
                    if entry is None:
                        entry = (txn, mode)
                        self.queue.setdefault(key, []).append(entry)
                    timeout = _SLICE
                    if txn.lock_timeout:
                        if deadline is None:
                            deadline = time.monotonic() + txn.lock_timeout
                        timeout = min(_SLICE, deadline - time.monotonic())
                        if timeout <= 0:
                            raise LockNotAvailable("canceling statement due to lock timeout")
                    with statement_gate.waiting():
                        self.cv.wait(timeout)
                        check = getattr(txn, "interrupt_check", None)
                        if check is not None:
                            check()  # a cancel request or statement_timeout ends the wait
            finally:
                txn.table_waits = []
                if entry is not None:
                    q = self.queue[key]
                    q.remove(entry)
                    if not q:
                        del self.queue[key]
                    self.cv.notify_all()  # a later waiter may have been queued behind us

    def release_all(self, txn: Transaction) -> None:
        """At commit/rollback: drop every table lock of `txn` and wake the waiters."""
        self.release_since(txn, 0)

    def release_since(self, txn: Transaction, n: int) -> None:
        """Drop the locks `txn` took after its n-th (ROLLBACK TO SAVEPOINT releases them, as PostgreSQL)."""
        if len(txn.table_locks) <= n:
            return
        for key, mode in txn.table_locks[n:]:
            holders = self.holders.get(key)
            modes = holders.get(txn.txid) if holders is not None else None
            if modes is not None:
                modes.discard(mode)
                if not modes:
                    del holders[txn.txid]
                    if not holders:
                        del self.holders[key]
        del txn.table_locks[n:]
        self.cv.notify_all()
