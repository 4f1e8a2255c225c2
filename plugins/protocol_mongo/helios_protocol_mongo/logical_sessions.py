"""Logical sessions (``lsid``) and their multi-document transactions on kernel transactions.

A transaction (``startTransaction: true, autocommit: false``) gets its own kernel session
in a REPEATABLE READ transaction (MongoDB's snapshot read concern); every command of that
``txnNumber`` runs on it, whichever pooled connection sends it; commitTransaction and
abortTransaction end it. A kernel error inside the transaction aborts it (as a write error
aborts a MongoDB transaction); a write-write conflict is error 112 with the
TransientTransactionError label so drivers' ``with_transaction`` retries. Retryable writes
(``txnNumber`` without ``autocommit``) remember the last reply per session, so a write the
driver sends again after a network error is answered, not applied twice.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import attrs

from helios_core.errors import HeliosError
from helios_protocol_mongo.errors import MongoError, from_helios_error
from helios_protocol_mongo.store import CollectionStore

IDLE_TIMEOUT_MINUTES = 30
LOCK_TIMEOUT_MS = 5


@attrs.define(eq=False)
class LogicalSession:
    lsid: bytes
    lock: threading.RLock = attrs.Factory(threading.RLock)
    txn_number: int = -1
    state: str = "none"  # none | in_progress | committed | aborted
    kernel_session: Any = None
    store: CollectionStore | None = None
    retry_txn_number: int = -1
    retry_reply: dict[str, Any] | None = None
    last_used: float = attrs.Factory(time.monotonic)

    def start(self, open_session: Any, txn_number: int, read_concern: dict[str, Any] | None) -> None:
        if txn_number < self.txn_number or (txn_number == self.txn_number and self.state != "none"):
            raise MongoError(225, f"Cannot start transaction {txn_number} on session because a newer transaction "
                                  f"{self.txn_number} has already started",
                             ) if txn_number < self.txn_number else MongoError(
                                 251, f"Given transaction number {txn_number} does not match any in-progress "
                                      "transactions.", labels=("TransientTransactionError",))
        self._rollback_quietly()
        if self.kernel_session is None:
            self.kernel_session = open_session()
            # MongoDB's maxTransactionLockRequestTimeoutMillis: a write that meets another
            # transaction's write fails at once (112, retried by the driver), it does not wait
            self.kernel_session.execute(f"set lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
            self.store = CollectionStore(self.kernel_session)
        self.txn_number = txn_number
        self.state = "in_progress"
        level = (read_concern or {}).get("level")
        if level not in (None, "snapshot", "majority", "local"):
            raise MongoError(72, f"read concern level {level!r} is not valid in a transaction")
        self.kernel_session.execute("begin isolation level repeatable read")

    def check_active(self, txn_number: int) -> CollectionStore:
        if txn_number != self.txn_number or self.state not in ("in_progress",):
            if txn_number == self.txn_number and self.state == "committed":
                raise MongoError(256, "Transaction has been committed and no further operations are allowed")
            raise MongoError(251, f"Transaction with {{ txnNumber: {txn_number} }} has been aborted."
                             if txn_number == self.txn_number and self.state == "aborted" else
                             f"Given transaction number {txn_number} does not match any in-progress transactions. "
                             f"The active transaction number is {self.txn_number}",
                             labels=("TransientTransactionError",))
        assert self.store is not None
        return self.store

    def commit(self, txn_number: int) -> None:
        if txn_number == self.txn_number and self.state == "committed":
            return  # a retried commit
        self.check_active(txn_number)
        try:
            self.kernel_session.execute("commit")
        except HeliosError as exc:
            self.state = "aborted"
            self._rollback_quietly()
            error = from_helios_error(exc)
            if error.code == 112:
                raise error from None
            raise MongoError(error.code, error.message, labels=("UnknownTransactionCommitResult",)) from None
        self.state = "committed"

    def abort(self, txn_number: int) -> None:
        if txn_number == self.txn_number and self.state == "committed":
            raise MongoError(256, "Cannot abort transaction after it has been committed")
        if txn_number == self.txn_number and self.state == "aborted":
            raise MongoError(251, "Transaction has been aborted.", labels=("TransientTransactionError",))
        self.check_active(txn_number)
        self._rollback_quietly()
        self.state = "aborted"

    def fail(self) -> None:
        """A command of the transaction failed: MongoDB aborts the whole transaction."""
        if self.state == "in_progress":
            self._rollback_quietly()
            self.state = "aborted"

    def _rollback_quietly(self) -> None:
        if self.kernel_session is not None and self.kernel_session.transaction_state != "idle":
            try:
                self.kernel_session.execute("rollback")
            except HeliosError:
                pass

    def close(self) -> None:
        self._rollback_quietly()
        if self.kernel_session is not None:
            self.kernel_session.close()
            self.kernel_session = None
            self.store = None


class LogicalSessions:
    def __init__(self, server: Any) -> None:
        self.server = server
        self._sessions: dict[bytes, LogicalSession] = {}
        self._lock = threading.Lock()

    def get(self, lsid: bytes) -> LogicalSession:
        with self._lock:
            session = self._sessions.get(lsid)
            if session is None:
                session = LogicalSession(lsid)
                self._sessions[lsid] = session
            session.last_used = time.monotonic()
            return session

    def end(self, lsid: bytes) -> None:
        with self._lock:
            session = self._sessions.pop(lsid, None)
        if session is not None:
            with session.lock:
                session.close()
        self.server.cursors.kill_session(lsid)

    def expire_idle(self) -> None:
        cutoff = time.monotonic() - IDLE_TIMEOUT_MINUTES * 60
        with self._lock:
            stale = [s for s in self._sessions.values() if s.last_used < cutoff]
            for s in stale:
                del self._sessions[s.lsid]
        for s in stale:
            with s.lock:
                s.close()

    def lsids(self) -> list[bytes]:
        with self._lock:
            return list(self._sessions)

    def __len__(self) -> int:
        return len(self._sessions)
