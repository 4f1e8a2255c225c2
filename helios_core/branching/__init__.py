"""Branches in SQL: privileges, limits, catalog views, diff, merge and cross-branch queries.

The SQL layer (helios_core.sql.session_impl and helios_core.sql.ddl) calls in here:

* ``session_started(session)``  at connect: 42501 without usage on the start branch, last-used.
* ``check_switch(session, b)``  at ``SET heliosdb.branch``: privilege (42501), max_connections (53300).
* ``check_as_of(session, ts)``  at ``AS OF``: time travel before the fork needs usage on the ancestor.
* ``lifecycle.create_branch / drop_branch / rename_branch / set_limits``  CREATE/DROP/ALTER BRANCH.
* ``merge.merge_branch``        MERGE BRANCH a INTO b [WITH (on_conflict = ...)].
* ``privileges.grant_statement``  GRANT/REVOKE ... ON BRANCH.
* ``limits.context_class / before_statement / after_statement``  max_memory and max_cpu_percent.

Modules: policy (the [branching] config), records (branch records on main's catalog),
privileges, lifecycle, limits, usage (rows/bytes a branch owns), catalog_views
(heliosdb.branches, heliosdb.branch_history), ancestry (common point), diff, merge,
table_functions + sql_functions (heliosdb.branch_diff, heliosdb.cross_branch_query),
plugin (hands the server config to the engine), service (the branch service each engine holds:
every piece of branching state kept in memory).
"""

from __future__ import annotations

from typing import Any

from helios_core.branching import limits, privileges


def session_started(session: Any) -> None:
    """A new session on ``session.branch``: refuse it without usage (42501), note the use."""
    privileges.check_use(session, session.branch)
    limits.touch(session.engine, session.database, session.branch)


def check_switch(session: Any, branch: str) -> None:
    """Before ``SET heliosdb.branch = branch``."""
    if branch == session.branch:
        return
    privileges.check_use(session, branch)
    limits.check_switch(session, branch)
    limits.touch(session.engine, session.database, branch)


def check_as_of(session: Any, ts: int) -> None:
    """``AS OF ts`` on a branch before its fork reads its ancestors' past, beyond what the branch
    inherited: under strict isolation that needs usage on each ancestor read that way (42501)."""
    store = session.engine.store
    info = store.get_branch(session.database, session.branch)
    while info is not None and info.parent is not None and ts < info.fork_ts:
        privileges.check_use(session, info.parent)
        info = store.get_branch(session.database, info.parent)


def check_plan_as_of(session: Any, ast: Any) -> None:
    """Every plan's ``AS OF`` clauses, whichever path planned them (simple query, prepared, DML):
    literal timestamps get ``check_as_of``; a timestamp only known later (a parameter) on a forked
    branch needs usage on every ancestor up front, since it may reach before the fork."""
    from sqlglot import exp

    versions = [t.args["version"] for t in ast.find_all(exp.Table) if t.args.get("version") is not None]
    if not versions:
        return
    from helios_core.sql import ddl

    for v in versions:
        node = v.expression
        if isinstance(node, exp.Literal) and not node.is_string:
            check_as_of(session, int(node.this))
        elif isinstance(node, exp.Literal):
            check_as_of(session, ddl.parse_timestamp(session, node.this))
        else:
            check_as_of(session, -1)
