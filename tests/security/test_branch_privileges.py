"""Tenants on branches attacking each other and the server's branch cap, through psycopg.

One server per module: ``[auth.users]`` (SCRAM), strict isolation, ``[branching]
max_branches_per_role = 2``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import errors

from helios_core.testing import HeliosServer, start_server

USERS = {"helios": "adminpw", "tenant_x": "xpw", "tenant_y": "ypw", "watcher": "wpw"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    config = {"auth": {"users": USERS},
              "branching": {"branch_isolation": "strict", "max_branches_per_role": 2}}
    srv = start_server(tmp_path_factory.mktemp("branch-privileges"), config, only=["postgres"])
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def connect(server: HeliosServer) -> Iterator[Callable[..., psycopg.Connection]]:
    opened: list[psycopg.Connection] = []

    def open_(user: str = "helios", branch: str | None = None) -> psycopg.Connection:
        kw = {"options": f"-c heliosdb.branch={branch}"} if branch else {}
        conn = psycopg.connect(server.pg_dsn(user=user, password=USERS[user]), autocommit=True, **kw)
        opened.append(conn)
        return conn

    yield open_
    for c in opened:
        c.close()


def test_a_role_cannot_fill_the_servers_branch_cap(connect) -> None:
    x = connect("tenant_x")
    x.execute("create branch x_one")
    x.execute("create branch x_two")
    with pytest.raises(errors.ConfigurationLimitExceeded) as ei:  # 53400
        x.execute("create branch x_three")
    assert 'role "tenant_x" already owns 2 branches' in ei.value.diag.message_primary
    x.execute("drop branch x_two")
    x.execute("create branch x_three")  # dropping one frees a place
    admin = connect()
    for i in range(3):  # the operator provisions without the per-role cap
        admin.execute(f"create branch ops_{i}")


def test_cross_branch_query_is_judged_by_each_target_branch(connect) -> None:
    admin = connect()
    admin.execute("create table ledger (id int primary key, amount int)")
    admin.execute("insert into ledger values (1, 10)")
    admin.execute("create branch ledger_a")
    admin.execute("create branch ledger_b")
    admin.execute("grant cross_branch_read on branch ledger_a, ledger_b to watcher")
    admin.execute("grant select on ledger to watcher")  # on main, the watcher's own branch only
    watcher = connect("watcher")
    q = ("select * from heliosdb.cross_branch_query(query := 'select id, amount from ledger', "
         "branches := ARRAY['ledger_a'])")
    with pytest.raises(errors.InsufficientPrivilege) as ei:  # ledger_a's catalog never granted it
        watcher.execute(q)
    assert ei.value.diag.message_primary == "permission denied for table ledger"
    connect(branch="ledger_a").execute("grant select on ledger to watcher")
    assert watcher.execute(q).fetchall() == [("ledger_a", 1, 10)]
    with pytest.raises(errors.InsufficientPrivilege):  # ledger_b still refuses
        watcher.execute(q.replace("ledger_a", "ledger_b"))
    # the grant on a branch stays there: the tenant of ledger_a cannot read main's copy through AS OF either
    admin.execute("revoke select on ledger from watcher")
    with pytest.raises(errors.InsufficientPrivilege):
        watcher.execute("select * from ledger as of timestamp now()")


def test_pg_stat_activity_hides_other_tenants_queries(connect) -> None:
    admin = connect()
    admin.execute("create branch activity_x")
    admin.execute("grant usage on branch activity_x to tenant_x")
    x = connect("tenant_x", branch="activity_x")
    x_pid = x.execute("select pg_backend_pid()").fetchone()[0]
    x.execute("select 'x-secret-query-text'")
    y = connect("tenant_y")
    seen = y.execute("select usename, query, state from pg_stat_activity where pid = %s", [x_pid]).fetchone()
    assert seen == ("tenant_x", "<insufficient privilege>", None)
    assert "x-secret-query-text" in admin.execute("select query from pg_stat_activity where pid = %s",
                                                  [x_pid]).fetchone()[0]
    admin.execute("grant pg_monitor to tenant_y")
    try:
        shown = y.execute("select query from pg_stat_activity where pid = %s", [x_pid]).fetchone()[0]
        assert "x-secret-query-text" in shown
    finally:
        admin.execute("revoke pg_monitor from tenant_y")
    own = x.execute("select query from pg_stat_activity where pid = pg_backend_pid()").fetchone()[0]
    assert "pg_stat_activity" in own  # a role always sees its own sessions


def test_config_key_is_validated(tmp_path) -> None:
    from helios_core.config import ConfigError, load_config

    path = tmp_path / "helios.toml"
    path.write_text("[branching]\nmax_branches_per_role = 0\n")
    with pytest.raises(ConfigError, match="branching.max_branches_per_role"):
        load_config(path, {})


def test_diff_and_merge_respect_each_branchs_table_privileges(connect) -> None:
    admin = connect()
    admin.execute("create table payroll (id int primary key, salary int)")
    admin.execute("insert into payroll values (1, 100)")
    admin.execute("create branch tenant_y_br")
    admin.execute("grant usage on branch tenant_y_br to tenant_y")
    # on its own branch tenant_y may read and write payroll; on main it holds nothing
    connect(branch="tenant_y_br").execute("grant select, insert, update, delete on payroll to tenant_y")
    y = connect("tenant_y", branch="tenant_y_br")
    y.execute("insert into payroll values (2, 999)")
    with pytest.raises(errors.InsufficientPrivilege) as ei:  # main's rows are not y's to read through a diff
        y.execute("select * from heliosdb.branch_diff('main', 'tenant_y_br', 'payroll')")
    assert ei.value.diag.message_primary == "permission denied for table payroll"
    with pytest.raises(errors.InsufficientPrivilege):  # nor to write by merging into main
        y.execute("merge branch tenant_y_br into main")
    assert admin.execute("select count(*) from payroll").fetchone()[0] == 1
    admin.execute("grant select, insert, update, delete on payroll to tenant_y")
    try:
        y.execute("merge branch tenant_y_br into main")
        assert admin.execute("select count(*) from payroll").fetchone()[0] == 2
    finally:
        admin.execute("revoke all on payroll from tenant_y")
