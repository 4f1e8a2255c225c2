"""A session's transaction state: implicit per query string, explicit blocks, failure, savepoints.

PostgreSQL semantics kept here:
- Outside BEGIN, each query string (simple query) or each prepared execution runs in an
  implicit transaction that commits at its end and rolls back on error.
- Inside BEGIN ... COMMIT the storage transaction lives across statements; an error
  puts the block in the failed state ("E"): every statement but ROLLBACK (or COMMIT,
  which then rolls back, or ROLLBACK TO SAVEPOINT) is 25P02.
- The storage transaction starts lazily, at the first statement that needs it, so a
  REPEATABLE READ snapshot is taken at the first query, not at BEGIN.
- READ COMMITTED takes a fresh snapshot per statement (``txn.new_statement()``).
- Savepoints use the storage transaction's ``savepoint(name)``/``rollback_to(token)``
  when the storage kernel offers them; otherwise SAVEPOINT is 0A000.
"""

from __future__ import annotations

from typing import Any

from helios_core.errors import FeatureNotSupported, HeliosError, InFailedTransaction
from helios_core.sql import advisory_locks, deferred_checks, notifications
from helios_core.sql.settings import parse_duration_ms


class NoActiveTransaction(HeliosError):
    sqlstate = "25P01"


class ActiveTransaction(HeliosError):
    sqlstate = "25001"


class TransactionState:
    """What the session knows about its current transaction."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.txn: Any = None  # storage transaction, begun lazily
        self.in_block = False  # explicit BEGIN seen
        self.failed = False
        self.isolation: str | None = None  # for the block (None: the default setting)
        self.read_only: bool | None = None
        self.deferrable: bool | None = None
        self.savepoints: list[tuple[str, Any, Any]] = []  # (name, storage token, settings snapshot)
        self.savepoint_read_only: list[bool | None] = []  # READ ONLY as each savepoint began (per savepoint)
        self.wrote_ddl = False
        self.started_at: Any = None  # datetime of the transaction's first statement (now())
        self.deferred: Any = None  # deferred_constraints.DeferredState of the block, made on first use
        self._synced: tuple = ()  # what _sync_isolation_settings last wrote from (unchanged: nothing to do)

    # ------------------------------------------------------------------ status
    @property
    def status(self) -> str:
        if self.failed:
            return "E"
        return "T" if self.in_block else "I"

    def check_not_failed(self) -> None:
        if self.failed:
            raise InFailedTransaction(
                "current transaction is aborted, commands ignored until end of transaction block"
            )

    # ------------------------------------------------------------------ storage txn
    def effective_isolation(self) -> str:
        iso = self.isolation or self.session.settings_obj.get("default_transaction_isolation")
        return iso if iso in ("repeatable read", "serializable") else "read committed"

    def effective_deferrable(self) -> bool:
        if self.deferrable is not None:
            return self.deferrable
        return self.session.settings_obj.get("default_transaction_deferrable") == "on"

    def effective_read_only(self) -> bool:
        if self.read_only is not None:
            return self.read_only
        return self.session.settings_obj.get("default_transaction_read_only") == "on"

    def current(self) -> Any:
        """The storage transaction, begun now if needed."""
        if self.txn is None:
            s = self.session
            lock_ms = _ms(s.settings_obj.get("lock_timeout"))
            self.txn = s.engine.store.begin(
                s.database,
                s.branch,
                isolation=self.effective_isolation(),
                read_only=self.effective_read_only(),
                lock_timeout=(lock_ms / 1000.0) if lock_ms else None,
            )
            self.txn.interrupt_check = getattr(s, "check_cancel", None)  # cancel ends a lock wait
            if self.txn.isolation != "read committed" and self.effective_deferrable() \
                    and self.effective_read_only() and getattr(self.txn, "sx", None) is not None:
                self.txn.wait_for_safe_snapshot()  # SERIALIZABLE READ ONLY DEFERRABLE
        return self.txn

    def statement_start(self) -> None:
        """A new statement: READ COMMITTED sees what committed since the last one."""
        if self.txn is not None and self.txn.isolation == "read committed":
            self.txn.new_statement()

    # ------------------------------------------------------------------ blocks
    def begin_block(self, modes: dict[str, Any]) -> list[str]:
        notices: list[str] = []
        if self.in_block:
            notices.append(warning("there is already a transaction in progress", "25001"))
            return notices
        self.in_block = True
        self.isolation = modes.get("isolation")
        self.read_only = modes.get("read_only")
        self.deferrable = modes.get("deferrable")
        self.session.settings_obj.begin_block()
        self._sync_isolation_settings()
        return notices

    def set_transaction(self, modes: dict[str, Any]) -> None:
        if modes.get("read_only") is False and self.in_block and self.effective_read_only():
            if self.savepoints:
                raise HeliosError("cannot set transaction read-write mode inside a read-only transaction",
                                  sqlstate="25006")
            if self.txn is not None:
                raise ActiveTransaction("transaction read-write mode must be set before any query")
        if "isolation" in modes:
            if self.txn is not None and self.in_block:
                raise ActiveTransaction(
                    "SET TRANSACTION ISOLATION LEVEL must be called before any query", sqlstate="25001"
                )
            self.isolation = modes["isolation"]
        if "read_only" in modes:
            self.read_only = modes["read_only"]
            self._apply_read_only()
        if "deferrable" in modes:
            self.deferrable = modes["deferrable"]
        self._sync_isolation_settings()

    def _sync_isolation_settings(self) -> None:
        settings = self.session.settings_obj
        state = (settings.version, self.isolation, self.read_only, self.deferrable)
        if state == self._synced:  # every implicit transaction's end: the same values again
            return
        vals = settings.values
        vals["transaction_isolation"] = self.isolation or vals.get("default_transaction_isolation",
                                                                   "read committed")
        ro = self.effective_read_only()
        vals["transaction_read_only"] = "on" if ro else "off"
        deferrable = self.deferrable
        if deferrable is None:
            deferrable = vals.get("default_transaction_deferrable", "off") == "on"
        vals["transaction_deferrable"] = "on" if deferrable else "off"
        self._synced = (settings.version, self.isolation, self.read_only, self.deferrable)

    def commit(self) -> str:
        """COMMIT: returns the command tag ("COMMIT", or "ROLLBACK" for a failed block)."""
        if not self.in_block:
            self._finish(commit=True)
            return "COMMIT"
        if self.failed:
            self._finish(commit=False)
            return "ROLLBACK"
        self._finish(commit=True)
        return "COMMIT"

    def rollback(self) -> None:
        self._finish(commit=False)

    def ending_is_small(self) -> bool:
        """COMMIT or ROLLBACK of this block now does work for a few rows only (Session.ending_is_quick):
        no deferred constraint to check, no cursor to close or keep, no ON COMMIT action on a
        temporary table, no DDL (its commit replans every session's statements), a small write set."""
        if not self.in_block or self.wrote_ddl or self.session.cursors or getattr(self.session, "temp_on_commit", None):
            return False
        if self.deferred is not None and self.deferred.pending:
            return False
        return self.txn is None or self.txn.writes_are_small()

    def end_implicit(self) -> None:
        """End of a query string / prepared execution outside a block: commit."""
        if not self.in_block:
            self._finish(commit=True)

    def on_error(self) -> None:
        """An error: a block fails; an implicit transaction rolls back."""
        if self.in_block:
            self.failed = True
        else:
            self._finish(commit=False)

    def _finish(self, *, commit: bool) -> None:
        try:
            self._finish_transaction(commit=commit)
        finally:
            if getattr(self.session, "advisory_xact_holds", None):  # pg_advisory_xact_lock's locks
                advisory_locks.at_transaction_end(self.session)

    def _finish_transaction(self, *, commit: bool) -> None:
        txn, self.txn = self.txn, None
        was_block = self.in_block
        self.in_block = False
        self.failed = False
        self.isolation = None
        self.read_only = None
        self.deferrable = None
        self.savepoints = []
        self.savepoint_read_only = []
        ddl, self.wrote_ddl = self.wrote_ddl, False
        self.started_at = None
        if self.session.cursors:
            from helios_core.sql.prepared import cursors_at_transaction_end

            try:
                cursors_at_transaction_end(self.session, commit)
            except BaseException:
                commit = False  # a WITH HOLD cursor failed to materialize: the commit fails
                if txn is not None:
                    txn.rollback()
                if was_block:
                    self.session.settings_obj.end_block(committed=False)
                self._sync_isolation_settings()
                notifications.at_transaction_end(self.session, False)
                raise
        deferred, self.deferred = self.deferred, None
        try:
            if txn is not None:
                if commit and deferred is not None and deferred.pending:
                    self._check_deferred(txn, deferred)
                if commit and getattr(self.session, "temp_on_commit", None):
                    from helios_core.sql.temp_tables import at_commit

                    at_commit(self.session, txn)  # ON COMMIT DROP / DELETE ROWS
                if commit:
                    txn.commit()
                else:
                    txn.rollback()
        except BaseException:
            if was_block:
                self.session.settings_obj.end_block(committed=False)
            self._sync_isolation_settings()
            if ddl:
                self.session.engine.bump_plan_generation()
            notifications.at_transaction_end(self.session, False)
            raise
        if was_block:
            self.session.settings_obj.end_block(committed=commit)
        self._sync_isolation_settings()
        if ddl:
            self.session.engine.bump_plan_generation()
        notifications.at_transaction_end(self.session, commit)  # LISTEN/NOTIFY take effect at commit

    def _check_deferred(self, txn: Any, deferred: Any) -> None:
        """Deferred foreign keys at COMMIT: a violation rolls the transaction back (23503)."""
        self.deferred = deferred
        try:
            deferred_checks.check_pending(self.session, txn)
        except BaseException:
            txn.rollback()
            raise
        finally:
            self.deferred = None

    # ------------------------------------------------------------------ savepoints
    def savepoint(self, name: str) -> None:
        if not self.in_block:
            raise NoActiveTransaction("SAVEPOINT can only be used in transaction blocks", sqlstate="25P01")
        txn = self.current()
        if not hasattr(txn, "savepoint"):
            raise FeatureNotSupported("SAVEPOINT is not supported by this storage kernel yet")
        token = txn.savepoint(name) if _takes_arg(txn.savepoint) else txn.savepoint()
        self.savepoints.append((name, token, self.session.settings_obj.snapshot()))
        self.savepoint_read_only.append(self.read_only)

    def _find(self, name: str) -> int:
        for i in range(len(self.savepoints) - 1, -1, -1):
            if self.savepoints[i][0] == name:
                return i
        raise HeliosError(f'savepoint "{name}" does not exist', sqlstate="3B001")

    def release(self, name: str) -> None:
        if not self.in_block:
            raise NoActiveTransaction("RELEASE SAVEPOINT can only be used in transaction blocks",
                                      sqlstate="25P01")
        i = self._find(name)
        txn = self.current()
        token = self.savepoints[i][1]
        if hasattr(txn, "release_savepoint"):
            txn.release_savepoint(token)
        if getattr(self.session, "advisory_xact_holds", None):
            advisory_locks.at_release_savepoint(self.session, i)
        del self.savepoints[i:]
        self._restore_read_only(i)
        del self.savepoint_read_only[i:]

    def rollback_to(self, name: str) -> None:
        if not self.in_block:
            raise NoActiveTransaction("ROLLBACK TO SAVEPOINT can only be used in transaction blocks",
                                      sqlstate="25P01")
        i = self._find(name)
        _, token, snap = self.savepoints[i]
        txn = self.current()
        txn.rollback_to(token) if hasattr(txn, "rollback_to") else txn.rollback_to_savepoint(token)
        if getattr(self.session, "advisory_xact_holds", None):  # locks taken since the savepoint go
            advisory_locks.at_rollback_to(self.session, i)
        del self.savepoints[i + 1:]
        self.session.settings_obj.restore(snap)
        self._restore_read_only(i)
        del self.savepoint_read_only[i + 1:]
        self.failed = False

    def _restore_read_only(self, i: int) -> None:
        """A subtransaction's SET TRANSACTION READ ONLY ends with it (RELEASE or ROLLBACK TO)."""
        if i < len(self.savepoint_read_only):
            self.read_only = self.savepoint_read_only[i]
            self._apply_read_only()
            self._sync_isolation_settings()

    def _apply_read_only(self) -> None:
        """The storage transaction, once begun, follows SET TRANSACTION READ ONLY / READ WRITE."""
        if self.txn is not None and hasattr(self.txn, "read_only"):
            self.txn.read_only = self.effective_read_only()


def warning(message: str, sqlstate: str) -> HeliosError:
    """A WARNING for the client's notices (PostgreSQL warns, not notices, about transaction blocks)."""
    w = HeliosError(message, sqlstate=sqlstate)
    w.severity = "WARNING"
    return w


def _takes_arg(fn: Any) -> bool:
    import inspect

    try:
        return len(inspect.signature(fn).parameters) >= 1
    except (TypeError, ValueError):
        return True


def _ms(text: str | None) -> int:
    if not text:
        return 0
    return parse_duration_ms(text)
