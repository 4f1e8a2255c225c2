"""The SQL engine over one storage Store: sessions, roles and server-wide state.

The kernel (and embedded users through ``helios_core.connect``) open one Engine per
data directory and ask it for sessions::

    engine = Engine.open(None)                 # in memory
    session = engine.connect(user="helios", database="helios", branch="main")
    session.execute("select 1")
    engine.get_role("helios")                  # {"name", "superuser", "login", "password", ...}
    engine.close()

Roles are server-wide as in PostgreSQL, so they live outside every user database:
catalog kind ``"role"`` on branch main of the hidden database ``_system``
(``engine.list_databases()`` leaves it out). Role ``helios`` (superuser) and the
databases ``helios`` and ``postgres`` exist from the start.

Sequences are not transactional (as in PostgreSQL): their current values are kept here,
per (database, branch, sequence), and persisted ahead in blocks by an autonomous
transaction (see helios_core.sql.sequences).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Sequence
from typing import Any

from helios_core import roles
from helios_core.errors import HeliosError, InvalidCatalogName, TooManyConnections
from helios_core.plugins import get_plugin_manager, statement_hook
from helios_core.plugins import sql_functions as plugin_sql_functions
from helios_core.statement_stats import StatementStats

SYSTEM_DB = "_system"
DEFAULT_DATABASES = ("helios", "postgres")
# Listed in pg_database as PostgreSQL has them (psql's \l, tools that look for template1), but
# not connectable (datallowconn false): CREATE DATABASE makes an empty database, copying nothing.
TEMPLATE_DATABASES = ("template0", "template1")
BOOTSTRAP_ROLE = "helios"


class Engine:
    """One storage Store plus what sessions share: roles, sequences, running sessions."""

    def __init__(self, store: Any, *, data_dir: str | None = None) -> None:
        self.store = store
        self.data_dir = data_dir
        self.lock = threading.RLock()
        self.sessions: dict[int, Any] = {}  # backend pid -> session
        self._pids = itertools.count(10001)
        self.sequence_cache: dict[tuple[str, str, str], Any] = {}
        self.plan_generation = 0  # bumped by every DDL commit: prepared plans re-plan
        self.roles_version = 0  # bumped by every role change: helios_core.roles rebuilds its graph
        self.closed = False
        self.plugin_manager: Any = None  # the kernel's; None: the process-wide one (embedded use)
        self._statement_hook: Any = None  # helios_run_statement when a plugin wraps statements
        self.wal_archive: Any = None  # the WalShipper when [storage.wal_archiving] is on (helios_core.archiving)
        from helios_core.branching.service import BranchService

        self.branches = BranchService()
        self.statement_stats = StatementStats()  # pg_stat_statements and the statement metrics  # all branching state in memory (helios_core.branching.service)

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(
        cls,
        data_dir: str | None,
        *,
        tier: Any = None,
        sql_functions: Sequence[Any] = (),
        retention_seconds: int = 7 * 86400,
        plugin_manager: Any = None,
        tiers: Any = None,
    ) -> Engine:
        """Open (or create) the store in ``data_dir`` (None = in memory) and bootstrap it.

        ``tiers``: a TierSet (hot plus warm/cold tiers) instead of the single ``tier``.
        """
        from helios_core.storage import Store

        kwargs: dict[str, Any] = {"retention_seconds": retention_seconds}
        if tier is not None:
            kwargs["tier"] = tier
        if tiers is not None:
            kwargs["tiers"] = tiers
        store = Store.open(data_dir, **kwargs)
        engine = cls(store, data_dir=data_dir)
        engine.plugin_manager = plugin_manager
        from helios_core.sql import extension_operators, extension_types

        extension_types.load_installed()  # SQL types of the installed plugins (helios_sql_types)
        extension_operators.load_installed()  # and their operators (helios_sql_operators)
        if not sql_functions:  # embedded use: the functions of the built-in and installed plugins
            sql_functions = plugin_sql_functions(plugin_manager or get_plugin_manager())
        if sql_functions:
            from helios_core.sql import functions

            for fn in sql_functions:
                functions.register_function(fn)
        engine._bootstrap()
        return engine

    def _bootstrap(self) -> None:
        existing = set(self.store.list_databases())
        for db in (SYSTEM_DB, *DEFAULT_DATABASES):
            if db not in existing:
                self.store.create_database(db)
        if self.get_role(BOOTSTRAP_ROLE) is None:
            self.put_role(roles.new_role(BOOTSTRAP_ROLE, superuser=True, login=True, createdb=True,
                                         createrole=True, replication=True, bypassrls=True))
        for rec in roles.predefined_role_records():
            if self.get_role(rec["name"]) is None:
                self.put_role(rec)
        for db in (*DEFAULT_DATABASES,):
            self._ensure_public_schema(db)

    def _ensure_public_schema(self, db: str) -> None:
        txn = self.store.begin(db, "main")
        try:
            if txn.catalog_get("schema", "public") is None:
                txn.catalog_put("schema", "public", {"name": "public", "owner": "pg_database_owner"})
            txn.commit()
        except BaseException:
            txn.rollback()
            raise

    def checkpoint(self) -> None:
        from helios_core.sql import sequences

        sequences.persist_all(self)
        self.store.checkpoint()

    def close(self, *, checkpoint: bool = True) -> None:
        """Close sessions, persist sequences and checkpoint; ``checkpoint=False`` after a failed one
        (a full disk): the WAL is closed as it is and replayed at the next start."""
        if self.closed:
            return
        for session in list(self.sessions.values()):
            with contextlib.suppress(Exception):  # closing must go on for the others
                session.close()
        from helios_core.sql import sequences

        if checkpoint:
            sequences.persist_all(self)
        self.store.close(checkpoint=checkpoint)
        self.closed = True

    # ------------------------------------------------------------------ sessions
    def connect(
        self,
        user: str = "helios",
        database: str = "helios",
        branch: str = "main",
        options: dict[str, str] | None = None,
    ) -> Any:
        """A new Session (helios_core.sql.session_impl.SqlSession) for user on database/branch."""
        from helios_core.sql.session_impl import SqlSession

        if database in TEMPLATE_DATABASES:
            raise HeliosError(
                f'database "{database}" is not currently accepting connections',
                sqlstate="55000",
                hint='HeliosDB lists template0 and template1 but serves no data in them: '
                'connect to "helios" (the default) or another database of \\l.',
            )
        if database == SYSTEM_DB or database not in self.store.list_databases():
            raise InvalidCatalogName(f'database "{database}" does not exist')
        role = self.get_role(user)
        if role is None:
            raise HeliosError(f'role "{user}" does not exist', sqlstate="28000")
        if not role.get("login", True):
            raise HeliosError(f'role "{user}" is not permitted to log in', sqlstate="28000")
        from helios_core.sql import object_privileges

        object_privileges.check_connect(self, user, database)  # 42501 without CONNECT
        opts = dict(options or {})
        branch = opts.pop("heliosdb.branch", branch)
        if self.store.get_branch(database, branch) is None:
            raise HeliosError(f'branch "{branch}" does not exist', sqlstate="42704")
        limit = self._branch_connection_limit(database, branch)
        with self.lock:
            if limit is not None:
                used = sum(1 for s in self.sessions.values() if s.database == database and s.branch == branch)
                if used >= limit:
                    raise TooManyConnections(f'too many connections for branch "{branch}"')
            role_limit = int(role.get("connection_limit", -1) or -1)
            if role_limit >= 0 and not role.get("superuser") and role_limit <= sum(
                    1 for s in self.sessions.values() if getattr(s, "authenticated_user", None) == user):
                raise TooManyConnections(f'too many connections for role "{user}"')
            pid = next(self._pids)
            session = SqlSession(self, user=user, database=database, branch=branch, options=opts, pid=pid)
            self.sessions[pid] = session
        return session

    def _branch_connection_limit(self, database: str, branch: str) -> int | None:
        from helios_core.sql.ddl import branch_meta

        limits = branch_meta(self, database, branch).get("limits") or {}
        v = limits.get("max_connections")
        return int(v) if v is not None else None

    def forget_session(self, pid: int) -> None:
        with self.lock:
            self.sessions.pop(pid, None)

    def list_databases(self) -> list[str]:
        return [d for d in self.store.list_databases() if d != SYSTEM_DB]

    # ------------------------------------------------------------------ roles
    def _system_txn(self) -> Any:
        return self.store.begin(SYSTEM_DB, "main")

    def get_role(self, name: str) -> dict | None:
        """The role record, or None: {"name","superuser","login","password", ...}."""
        txn = self._system_txn()
        try:
            return txn.catalog_get("role", name)
        finally:
            txn.rollback()

    def list_roles(self) -> dict[str, dict]:
        txn = self._system_txn()
        try:
            return txn.catalog_list("role")
        finally:
            txn.rollback()

    def put_role(self, role: dict) -> None:
        txn = self._system_txn()
        try:
            txn.catalog_put("role", role["name"], role)
            txn.commit()
        except BaseException:
            txn.rollback()
            raise
        finally:
            self.roles_version += 1

    def delete_role(self, name: str) -> None:
        txn = self._system_txn()
        try:
            txn.catalog_delete("role", name)
            txn.commit()
        except BaseException:
            txn.rollback()
            raise
        finally:
            self.roles_version += 1

    def ensure_login_roles(self, names: Sequence[str]) -> None:
        """Users of ``[auth.users]`` that have no role yet become LOGIN roles (no superuser; the
        password stays in the configuration, so none is stored here)."""
        for name in names:
            if self.get_role(name) is None:
                self.put_role(roles.new_role(name, login=True))

    def statement_hook(self) -> Any:
        """The ``helios_run_statement`` hook caller when some plugin wraps statements, else None."""
        hook = self._statement_hook
        if hook is None:
            hook = statement_hook(self.plugin_manager or get_plugin_manager()) or False
            self._statement_hook = hook
        return hook or None

    def bump_plan_generation(self) -> None:
        with self.lock:
            self.plan_generation += 1
