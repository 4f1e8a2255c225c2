"""``heliosdb.restore_branch`` to a time older than local retention, from the WAL archive on S3
(moto_server): a real ``helios serve`` with several tenant branches; one tenant's branch comes back
as it was at T while every other branch (and the original) stays as it is; main itself can be
restored, and a name that meant a branch dropped since; a time before the branch existed is refused; the secondary backend serves when the
primary lost an object. Main's segments live on a warm S3 tier when the backup is taken: the backup
copies them."""

from __future__ import annotations

import contextlib
import io
import time
import uuid

import psycopg
import pytest
from helios_storage_object.backends import open_backend

from helios_core import cli
from helios_core.testing import start_server

RETENTION = 1.0  # seconds of local history: T falls out of it quickly


def helios(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        status = cli.main(list(argv))
    return status, err.getvalue()


def wait_archived(conn, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        rows = conn.execute("select last_segment, lag_bytes from heliosdb.wal_archive_status").fetchall()
        if rows and all(seg is not None and lag == 0 for seg, lag in rows):
            return
        assert time.monotonic() < deadline, f"archive not caught up: {rows}"
        time.sleep(0.1)


def on(conn, branch: str, sql: str, params=None):
    conn.execute(f"set heliosdb.branch = '{branch}'")
    return conn.execute(sql, params)


def rows(conn, branch: str, table: str = "acct") -> list[tuple]:
    return on(conn, branch, f"select * from {table} order by 1").fetchall()


@pytest.fixture(scope="module")
def tenants(moto_server, tmp_path_factory):
    work = tmp_path_factory.mktemp("branchrestore")
    prefix = f"br-{uuid.uuid4().hex[:8]}"
    config = {"storage": {"retention": f"{RETENTION}s", "tier_warm_backend": "s3",
                          "wal_archiving": {"enabled": True, "primary_backend": "s3", "secondary_backend": "local",
                                            "archive_timeout": "200ms"},
                          "s3": moto_server.section(prefix), "local": {"path": str(work / "nas"), "prefix": prefix}}}
    leftover = work / "server" / "data" / "branch-restore-crashed"  # a crash mid-restore left it
    leftover.mkdir(parents=True)
    (leftover / "MANIFEST").write_text("{}")
    server = start_server(work / "server", config, only=["postgres"])
    try:
        assert not leftover.exists()
        conn = psycopg.connect(server.pg_dsn(), autocommit=True)
        conn.execute("create table acct (id int primary key, balance int)")
        conn.execute("insert into acct values (1, 100), (2, 200), (3, 300)")
        for t in ("tenant_a", "tenant_b", "tenant_c"):
            conn.execute(f"create branch {t} from main")
        on(conn, "tenant_a", "update acct set balance = 150 where id = 1")
        on(conn, "tenant_a", "delete from acct where id = 3")
        on(conn, "tenant_a", "insert into acct values (4, 400)")
        on(conn, "tenant_b", "create table notes (id int primary key, body text)")  # DDL on one branch only
        on(conn, "tenant_b", "insert into notes values (1, 'kept')")
        conn.execute("checkpoint")  # the backup below holds segments of every branch
        on(conn, "main", "alter table acct set (tier = 'warm')")  # main's rows live on the warm tier (S3)
        assert conn.execute("select distinct tier from heliosdb.segments where table_name = 'acct' "
                            "and branch = 'main'").fetchall() == [("warm",)]
        status, err = helios("backup", "create", "--config", str(server.config_path), "--quiet")
        assert status == 0, err
        on(conn, "tenant_a", "update acct set balance = 160 where id = 2")  # after the backup, before T
        on(conn, "main", "insert into acct values (5, 500)")
        conn.execute("create branch tenant_d from main")  # dropped and made again after T
        on(conn, "tenant_d", "update acct set balance = 111 where id = 1")
        on(conn, "tenant_d", "insert into acct values (7, 700)")
        time.sleep(0.05)
        (at,) = conn.execute("select now()").fetchone()
        time.sleep(0.05)
        expected = {b: rows(conn, b) for b in ("main", "tenant_a", "tenant_b", "tenant_c", "tenant_d")}
        expected["notes"] = rows(conn, "tenant_b", "notes")
        # after T: every branch changes
        on(conn, "tenant_a", "delete from acct")
        on(conn, "tenant_b", "drop table notes")
        on(conn, "tenant_c", "update acct set balance = 0")
        on(conn, "main", "update acct set balance = -1 where id = 1")
        on(conn, "main", "drop branch tenant_d")
        conn.execute("create branch tenant_d from main")
        on(conn, "tenant_d", "insert into acct values (8, 800)")
        wait_archived(conn)
        time.sleep(RETENTION + 0.2)
        conn.execute("set heliosdb.branch = 'main'")
        yield {"conn": conn, "at": at, "expected": expected, "server": server, "s3": moto_server.section(prefix)}
        assert not list(server.data_dir.glob("branch-restore-*"))  # every scratch restore was removed
        conn.close()
    finally:
        server.stop()


def test_one_tenant_comes_back_and_no_other_branch_changes(tenants):
    conn, at = tenants["conn"], tenants["at"]
    before = {b: rows(conn, b) for b in ("main", "tenant_a", "tenant_b", "tenant_c")}
    conn.execute("set heliosdb.branch = 'main'")
    (name,) = conn.execute("select heliosdb.restore_branch('tenant_a', %s, 'tenant_a_back')", (at,)).fetchone()
    assert name == "tenant_a_back"
    assert rows(conn, "tenant_a_back") == tenants["expected"]["tenant_a"] == [(1, 150), (2, 160), (4, 400)]
    assert {b: rows(conn, b) for b in ("main", "tenant_a", "tenant_b", "tenant_c")} == before
    branches = dict(conn.execute("select name, parent from heliosdb.branches").fetchall())
    assert branches["tenant_a_back"] == "main"  # forked where tenant_a forked
    assert not [b for b in branches if b.startswith("heliosdb restoring")]  # filled, then renamed
    # the restored branch is a branch like any other: it takes writes, its key index holds
    on(conn, "tenant_a_back", "insert into acct values (6, 600)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        on(conn, "tenant_a_back", "insert into acct values (4, 1)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        on(conn, "tenant_a_back", "insert into acct values (2, 1)")  # inherited from main, updated on the branch
    assert rows(conn, "tenant_a") == before["tenant_a"]


def test_a_branch_with_its_own_tables_and_main_itself(tenants):
    conn, at = tenants["conn"], tenants["at"]
    conn.execute("set heliosdb.branch = 'main'")
    conn.execute("select heliosdb.restore_branch('tenant_b', %s, 'tenant_b_back')", (at,))
    assert rows(conn, "tenant_b_back", "notes") == tenants["expected"]["notes"] == [(1, "kept")]
    assert rows(conn, "tenant_b_back") == tenants["expected"]["tenant_b"]
    with pytest.raises(psycopg.errors.UndefinedTable):
        rows(conn, "tenant_b", "notes")  # dropped after T on the original: still dropped
    conn.execute("set heliosdb.branch = 'main'")
    conn.execute("select heliosdb.restore_branch('main', %s, 'main_back')", (at,))
    assert rows(conn, "main_back") == tenants["expected"]["main"]
    assert (1, -1) in rows(conn, "main")


def test_a_name_that_meant_a_branch_dropped_since(tenants):
    """tenant_d at T was a branch dropped after T; the tenant_d of now was made later: the name as it
    was at T is restored, every row of it (nothing of the old fork point is kept any more)."""
    conn, at = tenants["conn"], tenants["at"]
    conn.execute("set heliosdb.branch = 'main'")
    conn.execute("select heliosdb.restore_branch('tenant_d', %s, 'tenant_d_back')", (at,))
    assert rows(conn, "tenant_d_back") == tenants["expected"]["tenant_d"] == [
        (1, 111), (2, 200), (3, 300), (5, 500), (7, 700)]
    assert rows(conn, "tenant_d") == [(1, -1), (2, 200), (3, 300), (5, 500), (8, 800)]
    with pytest.raises(psycopg.errors.UniqueViolation):
        on(conn, "tenant_d_back", "insert into acct values (5, 1)")


def test_times_the_archive_cannot_serve_are_refused(tenants):
    conn = tenants["conn"]
    conn.execute("set heliosdb.branch = 'main'")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match='"tenant_c" did not exist at that timestamp'):
        conn.execute("select heliosdb.restore_branch('tenant_c', now() - interval '30 days', 'old')")
    with pytest.raises(psycopg.errors.UndefinedObject):
        conn.execute("select heliosdb.restore_branch('nobody', %s, 'x')", (tenants["at"],))
    assert "old" not in [r[0] for r in conn.execute("select name from heliosdb.branches")]


def test_the_secondary_serves_when_the_primary_lost_an_object(tenants):
    """Last in this module: it deletes archived WAL from the primary."""
    conn, at = tenants["conn"], tenants["at"]
    s3 = open_backend("s3", tenants["s3"], timeout=10.0)
    for key in s3.list("wal/"):
        s3.delete(key)
    conn.execute("set heliosdb.branch = 'main'")
    conn.execute("select heliosdb.restore_branch('tenant_c', %s, 'tenant_c_back')", (at,))
    assert rows(conn, "tenant_c_back") == tenants["expected"]["tenant_c"] == [(1, 100), (2, 200), (3, 300)]
    assert rows(conn, "tenant_c") == [(1, 0), (2, 0), (3, 0)]
