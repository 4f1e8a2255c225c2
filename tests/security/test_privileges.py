"""The privilege model attacked from a logged-in tenant role, through psycopg against a real server.

One server per module with ``[auth.users]`` (SCRAM): ``helios`` is the superuser, ``alice``
and ``bob`` are plain login roles created from the configuration. Each test tries an
escalation, a file access or a cross-tenant read/write/drop and expects PostgreSQL 15's
SQLSTATE and message; then shows that owners and superusers can still do their work.
"""

from __future__ import annotations

import site
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from helios_core.testing import HeliosServer, start_server

USERS = {"helios": "adminpw", "alice": "alicepw", "bob": "bobpw"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    srv = start_server(tmp_path_factory.mktemp("privileges"), {"auth": {"users": USERS}}, only=["postgres"])
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def connect(server: HeliosServer) -> Iterator[Callable[..., psycopg.Connection]]:
    opened: list[psycopg.Connection] = []

    def open_(user: str = "helios", options: str | None = None) -> psycopg.Connection:
        kw = {"options": options} if options else {}
        conn = psycopg.connect(server.pg_dsn(user=user, password=USERS.get(user, "x")), autocommit=True, **kw)
        opened.append(conn)
        return conn

    yield open_
    for c in opened:
        c.close()


def denied(conn: psycopg.Connection, sql: str, message: str | None = None) -> None:
    """``sql`` must fail with 42501 (and ``message``, when given)."""
    with pytest.raises(errors.InsufficientPrivilege) as ei:
        conn.execute(sql)
    assert ei.value.sqlstate == "42501"
    if message is not None:
        assert ei.value.diag.message_primary == message


def one(conn: psycopg.Connection, sql: str) -> object:
    return conn.execute(sql).fetchone()[0]


# ---------------------------------------------------------------------------------------- roles
def test_a_login_role_cannot_make_itself_superuser(connect) -> None:
    alice = connect("alice")
    assert one(alice, "show is_superuser") == "off"
    assert alice.execute("select current_user, session_user").fetchone() == ("alice", "alice")
    denied(alice, "alter role alice superuser",
           "must be superuser to alter superuser roles or change superuser attribute")
    denied(alice, "alter role helios password 'owned'",
           "must be superuser to alter superuser roles or change superuser attribute")
    denied(alice, "create role evil superuser login password 'x'", "must be superuser to create superusers")
    denied(alice, "create role helper login", "permission denied to create role")
    denied(alice, "set role helios", 'permission denied to set role "helios"')
    denied(alice, "set session authorization helios", "permission denied to set session authorization")
    denied(alice, "select set_config('role', 'helios', false)", 'permission denied to set role "helios"')
    denied(alice, "select set_config('session_authorization', 'helios', false)",
           "permission denied to set session authorization")
    denied(alice, "grant helios to alice", "must be superuser to alter superusers")
    denied(alice, "grant pg_read_server_files to alice", 'must have admin option on role "pg_read_server_files"')
    denied(alice, "drop role bob", "permission denied to drop role")
    with pytest.raises(errors.CantChangeRuntimeParam):
        alice.execute("set is_superuser = on")
    assert one(alice, "show is_superuser") == "off"
    assert one(alice, "select current_user") == "alice"


def test_start_up_options_cannot_name_another_identity(connect) -> None:
    for option in ("-c role=helios", "-c session_authorization=helios"):
        with pytest.raises(psycopg.OperationalError, match="permission denied"):
            connect("alice", options=option)
    assert one(connect("alice", options="-c role=alice"), "select current_user") == "alice"


def test_roles_membership_set_role_and_createrole(connect) -> None:
    admin = connect()
    admin.execute("drop role if exists r_mgr, r_staff, r_temp")
    admin.execute("create role r_mgr login password 'mgrpw' createrole")
    admin.execute("create role r_staff nologin")
    admin.execute("grant r_staff to alice")
    alice = connect("alice")
    alice.execute("set role r_staff")
    assert alice.execute("select current_user, session_user").fetchone() == ("r_staff", "alice")
    alice.execute("reset role")
    assert one(alice, "select current_user") == "alice"
    denied(alice, "set role r_mgr", 'permission denied to set role "r_mgr"')
    with pytest.raises(errors.InvalidParameterValue):  # 22023 as PostgreSQL
        alice.execute("set role no_such_role")
    mgr = psycopg.connect(admin.info.dsn.replace("user=helios", "user=r_mgr") + " password=mgrpw", autocommit=True)
    try:
        mgr.execute("create role r_temp login")
        mgr.execute("alter role r_temp connection limit 2 valid until '2999-01-01'")
        denied(mgr, "alter role r_temp superuser",
               "must be superuser to alter superuser roles or change superuser attribute")
        denied(mgr, "create role r_su superuser", "must be superuser to create superusers")
        denied(mgr, "grant helios to r_temp", "must be superuser to alter superusers")
        denied(mgr, "drop role helios", None)
        with pytest.raises(errors.ReservedName):
            mgr.execute("create role pg_evil")
        mgr.execute("drop role r_temp")
    finally:
        mgr.close()
    with pytest.raises(errors.InvalidGrantOperation):  # 0LP01: no circular membership
        admin.execute("grant alice to r_staff")
    admin.execute("alter group r_staff drop user alice")  # the old spelling of REVOKE r_staff FROM alice
    denied(alice, "set role r_staff", 'permission denied to set role "r_staff"')
    notices: list[str] = []
    admin.add_notice_handler(lambda d: notices.append(d.message_primary))
    admin.execute("drop role if exists r_never_there")
    admin.execute("set client_min_messages = warning")
    admin.execute("drop role if exists r_never_there_either")
    assert notices == ['role "r_never_there" does not exist, skipping']


def test_passwords_are_scram_verifiers_and_hidden(connect) -> None:
    admin = connect()
    admin.execute("drop role if exists pw_user")
    admin.execute("create role pw_user login password 'Plain-Secret-1'")
    stored = one(admin, "select rolpassword from pg_authid where rolname = 'pw_user'")
    assert stored.startswith("SCRAM-SHA-256$") and "Plain-Secret-1" not in stored
    alice = connect("alice")
    denied(alice, "select rolpassword from pg_authid", "permission denied for table pg_authid")
    denied(alice, "select passwd from pg_shadow", "permission denied for table pg_shadow")
    assert one(alice, "select rolpassword from pg_roles where rolname = 'pw_user'") == "********"
    assert one(alice, "select has_table_privilege('pg_authid', 'select')") is False


# ---------------------------------------------------------------------------------------- server files
def test_server_files_need_the_predefined_roles(connect, server, tmp_path: Path) -> None:
    alice = connect("alice")
    target = tmp_path / "out.txt"
    denied(alice, f"copy (select 1) to '{target}'",
           "must be superuser or have privileges of the pg_write_server_files role to COPY to a file")
    denied(alice, f"copy pg_class from '{server.config_path}'",
           "must be superuser or have privileges of the pg_read_server_files role to COPY from a file")
    denied(alice, "copy (select 1) to program 'id'",
           "must be superuser or have privileges of the pg_execute_server_program role to COPY to or from an "
           "external program")
    assert not target.exists()
    for fn in ("pg_read_file('/etc/passwd')", "pg_ls_dir('.')", "lo_import('/etc/passwd')"):
        with pytest.raises(psycopg.Error):  # no such function: nothing else reads the server's files
            alice.execute(f"select {fn}")


def test_no_one_writes_code_or_data_the_server_trusts(connect, server, tmp_path: Path) -> None:
    admin = connect()
    admin.execute("create table if not exists filedata (a int)")
    admin.execute("insert into filedata values (1)")
    site_dir = Path(site.getsitepackages()[0])
    planted = site_dir / "helios_planted.pth"
    for path in (planted, server.data_dir / "planted", server.config_path):
        with pytest.raises(errors.InsufficientPrivilege):
            admin.execute(f"copy filedata to '{path}'")
    assert not planted.exists()
    with pytest.raises(errors.InsufficientPrivilege):  # the configuration holds the passwords
        admin.execute(f"copy filedata from '{server.config_path}'")
    link = tmp_path / "innocent.pth"
    link.symlink_to(planted)
    with pytest.raises(errors.InsufficientPrivilege):  # a symlink into site-packages is followed and refused
        admin.execute(f"copy filedata to '{link}'")
    assert not planted.exists()
    with pytest.raises(errors.FeatureNotSupported):  # no programs for anyone
        admin.execute("copy filedata to program 'touch /tmp/pwned'")
    # a superuser and a pg_write_server_files member may use an ordinary path
    ok = tmp_path / "export.txt"
    admin.execute(f"copy filedata to '{ok}'")
    assert ok.read_text() == "1\n"
    admin.execute("grant pg_write_server_files, pg_read_server_files to bob")
    admin.execute("grant select, insert on filedata to bob")
    try:
        bob = connect("bob")
        bob.execute(f"copy filedata to '{tmp_path / 'bob.txt'}'")
        bob.execute(f"copy filedata from '{tmp_path / 'bob.txt'}'")
        assert one(bob, "select count(*) from filedata") == 2
        with pytest.raises(errors.InsufficientPrivilege):
            bob.execute(f"copy filedata to '{planted}'")
    finally:
        admin.execute("revoke pg_write_server_files, pg_read_server_files from bob")


# ---------------------------------------------------------------------------------------- objects
@pytest.fixture(scope="module")
def tenant_schema(server: HeliosServer) -> None:
    with psycopg.connect(server.pg_dsn(user="helios", password="adminpw"), autocommit=True) as admin:
        admin.execute("create schema shop")
        admin.execute("grant usage, create on schema shop to alice")
        admin.execute("grant usage on schema shop to bob")
    with psycopg.connect(server.pg_dsn(user="alice", password="alicepw"), autocommit=True) as alice:
        alice.execute("create table shop.orders (id int primary key, customer text, secret text)")
        alice.execute("insert into shop.orders values (1, 'acme', 'alice-only')")
        alice.execute("create view shop.order_ids as select id, customer from shop.orders")


def test_public_schema_is_not_writable_by_public(connect) -> None:
    alice = connect("alice")
    denied(alice, "create table public.squat (a int)", "permission denied for schema public")
    assert one(alice, "select has_schema_privilege('public', 'create')") is False
    assert one(alice, "select has_schema_privilege('public', 'usage')") is True
    assert one(alice, "select nspacl::text from pg_namespace where nspname = 'public'") == \
        "{pg_database_owner=UC/pg_database_owner,=U/pg_database_owner}"


def test_another_roles_table_cannot_be_read_written_or_dropped(connect, tenant_schema) -> None:
    bob = connect("bob")
    msg = "permission denied for table orders"
    for sql in ("select * from shop.orders", "select count(*) from shop.orders",
                "select (select secret from shop.orders limit 1)",
                "with o as (select * from shop.orders) select * from o",
                "select * from shop.orders as of timestamp now()",
                "insert into shop.orders values (2, 'bob', 'x')",
                "update shop.orders set secret = 'x'", "delete from shop.orders",
                "merge into shop.orders o using (select 1 as id) s on o.id = s.id when matched then delete",
                "truncate shop.orders", "copy shop.orders to stdout",
                "select secret from shop.orders_missing_is_not_this"):
        if "missing" in sql:
            with pytest.raises(errors.UndefinedTable):
                bob.execute(sql)
            continue
        denied(bob, sql, msg)
    denied(bob, "drop table shop.orders", "must be owner of table orders")
    denied(bob, "alter table shop.orders add column x int", "must be owner of table orders")
    denied(bob, "alter table shop.orders owner to bob", "must be owner of table orders")
    denied(bob, "create index on shop.orders (customer)", "must be owner of table orders")
    denied(bob, "grant select on shop.orders to bob", "permission denied for table orders")
    denied(bob, "create table shop.bobs (a int)", "permission denied for schema shop")
    with psycopg.ClientCursor(bob) as cur, pytest.raises(errors.InsufficientPrivilege):
        cur.execute("select * from shop.orders where id = %s", [1])
    with pytest.raises(errors.InsufficientPrivilege):
        bob.execute("select * from shop.orders where id = %s", [1], prepare=True)
    bob.execute("begin")
    with pytest.raises(errors.InsufficientPrivilege):
        bob.execute("declare c cursor for select * from shop.orders")
    bob.execute("rollback")
    assert one(bob, "select has_table_privilege('shop.orders', 'select')") is False
    assert one(connect("alice"), "select secret from shop.orders") == "alice-only"


def test_grants_views_columns_and_revoke(connect, tenant_schema) -> None:
    alice, bob = connect("alice"), connect("bob")
    # a view reads its tables with its owner's privileges: bob sees only what the view shows
    alice.execute("grant select on shop.order_ids to bob")
    assert bob.execute("select id, customer from shop.order_ids").fetchall() == [(1, "acme")]
    denied(bob, "select * from shop.orders", "permission denied for table orders")
    # column privileges
    alice.execute("grant select (id, customer) on shop.orders to bob")
    assert bob.execute("select id, customer from shop.orders").fetchall() == [(1, "acme")]
    denied(bob, "select secret from shop.orders", "permission denied for table orders")
    denied(bob, "select * from shop.orders", "permission denied for table orders")
    assert one(bob, "select has_column_privilege('shop.orders', 'customer', 'select')") is True
    assert one(bob, "select has_column_privilege('shop.orders', 'secret', 'select')") is False
    # a prepared statement is re-checked after REVOKE
    stmt = "select id from shop.orders where id = %s"
    assert bob.execute(stmt, [1], prepare=True).fetchall() == [(1,)]
    alice.execute("revoke select (id, customer) on shop.orders from bob")
    with pytest.raises(errors.InsufficientPrivilege):
        bob.execute(stmt, [1], prepare=True)
    # table grants, WITH GRANT OPTION, relacl text, has_table_privilege
    alice.execute("grant select, insert on shop.orders to bob with grant option")
    assert one(alice, "select relacl::text from pg_class where relname = 'orders'") == \
        "{alice=arwdDxt/alice,bob=a*r*/alice}"
    bob.execute("insert into shop.orders (id, customer, secret) values (2, 'bob', 'b')")
    denied(bob, "update shop.orders set secret = 'y' where id = 2", "permission denied for table orders")
    denied(bob, "delete from shop.orders", "permission denied for table orders")
    assert one(bob, "select has_table_privilege('shop.orders', 'select with grant option')") is True
    assert one(bob, "select has_table_privilege('alice', 'shop.orders', 'delete')") is True
    with pytest.raises(errors.DependentObjectsStillExist):  # bob passed it on: CASCADE needed
        bob.execute("grant select on shop.orders to helios")
        alice.execute("grant select on shop.orders to public")
        bob.execute("grant select on shop.orders to pg_monitor")
        alice.execute("revoke grant option for select on shop.orders from bob")
    alice.execute("revoke all on shop.orders from bob cascade")
    alice.execute("revoke select on shop.orders from public")
    denied(bob, "select * from shop.orders", "permission denied for table orders")
    assert "bob" not in one(alice, "select relacl::text from pg_class where relname = 'orders'")


def test_predefined_roles_and_ownership_transfer(connect, tenant_schema) -> None:
    admin, alice, bob = connect(), connect("alice"), connect("bob")
    admin.execute("grant pg_read_all_data to bob")
    try:
        assert bob.execute("select id from shop.orders order by id").fetchall()[0] == (1,)
        denied(bob, "delete from shop.orders", "permission denied for table orders")
    finally:
        admin.execute("revoke pg_read_all_data from bob")
    denied(bob, "select * from shop.orders")
    admin.execute("grant bob to alice")
    admin.execute("grant create on schema shop to bob")
    alice.execute("create table shop.handover (a int)")
    alice.execute("alter table shop.handover owner to bob")
    assert one(admin, "select pg_get_userbyid(relowner) from pg_class where relname = 'handover'") == "bob"
    bob.execute("drop table shop.handover")  # the new owner may drop it
    admin.execute("revoke bob from alice")


def test_signals_only_to_own_sessions(connect) -> None:
    alice, bob = connect("alice"), connect("bob")
    bob_pid = one(bob, "select pg_backend_pid()")
    admin_pid = one(connect(), "select pg_backend_pid()")
    denied(alice, f"select pg_cancel_backend({bob_pid})",
           "must be a member of the role whose query is being canceled or member of pg_signal_backend")
    denied(alice, f"select pg_terminate_backend({bob_pid})",
           "must be a member of the role whose process is being terminated or member of pg_signal_backend")
    denied(alice, f"select pg_terminate_backend({admin_pid})", "must be a superuser to terminate superuser process")
    assert one(bob, "select 1") == 1
    other = connect("alice")
    assert one(alice, f"select pg_cancel_backend({one(other, 'select pg_backend_pid()')})") is True


def test_database_and_superuser_paths_still_work(connect) -> None:
    admin = connect()
    alice = connect("alice")
    denied(alice, "create database alices_db", "permission denied to create database")
    denied(alice, "create schema mine", "permission denied for database helios")
    admin.execute("grant create on database helios to alice")
    alice.execute("create schema alice_space")
    alice.execute("create table alice_space.t (a int)")
    alice.execute("insert into alice_space.t values (1)")
    assert one(admin, "select count(*) from alice_space.t") == 1  # the superuser reads everything
    admin.execute("drop schema alice_space cascade")
    admin.execute("revoke create on database helios from alice")
    assert one(admin, "select datacl::text from pg_database where datname = 'helios'") == \
        "{helios=CTc/helios,=Tc/helios}"


def test_execute_temp_references_connect_and_default_privileges(connect, server, tenant_schema) -> None:
    admin, alice, bob = connect(), connect("alice"), connect("bob")
    admin.execute("revoke execute on function md5(text) from public")
    admin.execute("grant execute on function md5(text) to bob")
    try:
        denied(alice, "select md5('x')", "permission denied for function md5")
        assert one(bob, "select md5('x')") == "9dd4e461268c8034f5c8564e155c67a6"
        assert one(alice, "select has_function_privilege('md5(text)', 'execute')") is False
    finally:
        admin.execute("grant execute on function md5(text) to public")
    assert one(alice, "select md5('x')") == "9dd4e461268c8034f5c8564e155c67a6"
    # a foreign key onto another role's table needs REFERENCES
    denied(bob, "create temp table fk_probe (o int references shop.orders (id))", None)
    # CREATE TEMP needs TEMPORARY on the database (PUBLIC's by default)
    admin.execute("revoke temporary on database helios from public")
    try:
        denied(bob, "create temp table scratch (a int)",
               'permission denied to create temporary tables in database "helios"')
    finally:
        admin.execute("grant temporary on database helios to public")
    bob.execute("create temp table scratch (a int)")
    # ALTER DEFAULT PRIVILEGES: alice's future tables in shop are readable by bob
    alice.execute("alter default privileges in schema shop grant select on tables to bob")
    alice.execute("create table shop.later (a int)")
    alice.execute("insert into shop.later values (7)")
    assert one(bob, "select a from shop.later") == 7
    # CONNECT: revoked from PUBLIC, a role without a grant cannot log in
    admin.execute("revoke connect on database helios from public")
    try:
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            connect("bob")
        admin.execute("grant connect on database helios to bob")
        assert one(connect("bob"), "select current_user") == "bob"
    finally:
        admin.execute("grant connect on database helios to public")


def test_row_locks_lock_table_and_what_dml_reads(connect, tenant_schema) -> None:
    alice, bob = connect("alice"), connect("bob")
    alice.execute("create table shop.stock (sku int primary key, qty int)")
    alice.execute("insert into shop.stock values (1, 5)")
    alice.execute("grant select on shop.stock to bob")
    denied(bob, "select * from shop.stock for update", "permission denied for table stock")
    bob.execute("begin")
    denied(bob, "lock table shop.stock in access exclusive mode", "permission denied for table stock")
    bob.execute("rollback")
    bob.execute("begin")
    bob.execute("lock table shop.stock in access share mode")  # SELECT is enough for ACCESS SHARE
    bob.execute("rollback")
    # UPDATE without SELECT: allowed while it reads none of the table's columns, as PostgreSQL
    alice.execute("revoke select on shop.stock from bob")
    alice.execute("grant update (qty) on shop.stock to bob")
    bob.execute("update shop.stock set qty = 0")
    bob.execute("begin")  # a write privilege is not enough for ACCESS SHARE (PostgreSQL 15)
    denied(bob, "lock table shop.stock in access share mode", "permission denied for table stock")
    bob.execute("rollback")
    denied(bob, "update shop.stock set qty = qty + 1", "permission denied for table stock")
    denied(bob, "update shop.stock set qty = 1 where sku = 1", "permission denied for table stock")
    denied(bob, "update shop.stock set sku = 2", "permission denied for table stock")
    denied(bob, "update shop.stock set qty = 1 returning sku", "permission denied for table stock")
    assert one(alice, "select qty from shop.stock") == 0
    with pytest.raises(errors.FeatureNotSupported):
        alice.execute("grant select on shop.stock to bob granted by bob")


def test_valid_until_connection_limit_and_discard_all(connect, server) -> None:
    admin = connect()
    admin.execute("drop role if exists r_expired, r_limited")
    admin.execute("create role r_expired login password 'exp-pw' valid until '2000-01-01'")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(server.pg_dsn(user="r_expired", password="exp-pw"))
    admin.execute("alter role r_expired valid until 'infinity'")
    psycopg.connect(server.pg_dsn(user="r_expired", password="exp-pw")).close()
    admin.execute("create role r_limited login password 'lim-pw' connection limit 1")
    first = psycopg.connect(server.pg_dsn(user="r_limited", password="lim-pw"))
    try:
        with pytest.raises(psycopg.OperationalError, match='too many connections for role "r_limited"'):
            psycopg.connect(server.pg_dsn(user="r_limited", password="lim-pw"))
    finally:
        first.close()
    # a pooler's DISCARD ALL must not hand the next client a SET ROLE of the previous one
    admin.execute("create role r_pooled")
    admin.execute("set role r_pooled")
    assert one(admin, "select current_user") == "r_pooled"
    admin.execute("discard all")
    assert admin.execute("select current_user, session_user").fetchone() == ("helios", "helios")


def test_schema_authorization_and_comments(connect) -> None:
    admin, alice, bob = connect(), connect("alice"), connect("bob")
    admin.execute("create schema authorization alice")  # named after its owner
    admin.execute("create schema alice_extra authorization alice")
    owners = admin.execute("select nspname, pg_get_userbyid(nspowner) from pg_namespace "
                           "where nspname in ('alice', 'alice_extra') order by 1").fetchall()
    assert owners == [("alice", "alice"), ("alice_extra", "alice")]
    alice.execute("create table alice.notes (a int)")  # the owner creates in it without a grant
    alice.execute("comment on table alice.notes is 'mine'")
    denied(bob, "comment on table alice.notes is 'defaced'", "must be owner of table notes")
    denied(bob, "comment on schema alice is 'defaced'", "must be owner of schema alice")
    denied(bob, "create schema authorization alice", "permission denied for database helios")
    admin.execute("drop schema alice cascade")
    admin.execute("drop schema alice_extra cascade")


def test_information_schema_shows_grants_truthfully(connect, tenant_schema) -> None:
    alice, bob = connect("alice"), connect("bob")
    alice.execute("create table shop.catalogue (a int)")
    alice.execute("grant select on shop.catalogue to bob with grant option")
    rows = bob.execute("select grantor, grantee, privilege_type, is_grantable from information_schema.table_privileges "
                       "where table_name = 'catalogue'").fetchall()
    assert rows == [("alice", "bob", "SELECT", "YES")]  # bob sees what he holds, not alice's own rows
    assert ("bob",) in bob.execute("select role_name from information_schema.enabled_roles").fetchall()


def test_a_dropped_and_recreated_role_inherits_nothing(connect) -> None:
    admin = connect()
    admin.execute("create role r_gone login")
    admin.execute("create table keepsake (a int)")
    admin.execute("create branch keepsake_br")  # forked before the grant: main alone holds it
    admin.execute("grant select on keepsake to r_gone")
    admin.execute("grant usage on branch keepsake_br to r_gone")
    with pytest.raises(errors.DependentObjectsStillExist) as ei:  # its branch privilege holds it
        admin.execute("drop role r_gone")
    assert "privileges for branch keepsake_br" in ei.value.diag.message_detail
    admin.execute("revoke usage on branch keepsake_br from r_gone")
    admin.execute("drop role r_gone")  # the grant on this branch's table goes with it
    admin.execute("create role r_gone login")
    assert one(admin, "select has_table_privilege('r_gone', 'keepsake', 'select')") is False


def test_column_aliases_do_not_hide_which_columns_are_read(connect, tenant_schema) -> None:
    """t(a, b) renames the columns: the privilege check judges the columns the aliases stand for."""
    alice, bob = connect("alice"), connect("bob")
    alice.execute("create table shop.ledger (id int, amount int, note text)")
    alice.execute("insert into shop.ledger values (1, 100, 'private')")
    alice.execute("revoke all on shop.ledger from bob")  # whatever default privileges gave
    alice.execute("grant select (id) on shop.ledger to bob")
    assert one(bob, "select id from shop.ledger") == 1
    denied(bob, "select id from shop.ledger l(x, id)", "permission denied for table ledger")
    denied(bob, "select n from shop.ledger l(i, a, n)", "permission denied for table ledger")
    denied(bob, "select y from (shop.ledger a join shop.ledger b(id, x, y) using (id))",
           "permission denied for table ledger")
    assert one(bob, "select renamed from shop.ledger l(renamed)") == 1


def test_on_conflict_do_update_column_privileges(connect, tenant_schema) -> None:
    """INSERT on the inserted columns, UPDATE on the ones DO UPDATE sets, SELECT on the arbiter's
    columns (ON CONSTRAINT's too), on what SET/WHERE/EXCLUDED/RETURNING read, as PostgreSQL 15."""
    alice, bob = connect("alice"), connect("bob")
    alice.execute("create table shop.upserts (k int unique, v int, w int, z int unique)")
    alice.execute("revoke all on shop.upserts from bob")
    alice.execute("grant select (k), insert (k, z), update (v) on shop.upserts to bob")
    bob.execute("insert into shop.upserts (k) values (1) on conflict (k) do update set v = 10")
    bob.execute("insert into shop.upserts (k) values (1) on conflict (k) do update set v = excluded.k")
    for sql in ("insert into shop.upserts (k) values (1) on conflict (k) do update set v = excluded.w",
                "insert into shop.upserts (k) values (1) on conflict (k) do update set w = 1",
                "insert into shop.upserts (k) values (1) on conflict (k) do update set v = 1 returning w",
                "insert into shop.upserts (z) values (1) on conflict (z) do update set v = 1",
                "insert into shop.upserts (z) values (1) on conflict on constraint upserts_z_key do update set v = 1"):
        denied(bob, sql, "permission denied for table upserts")


def test_merge_checks_each_action_on_its_own_columns(connect, tenant_schema) -> None:
    """MERGE: INSERT on the inserted columns, UPDATE on the set ones, SELECT on the target columns
    that ON, a MATCHED condition or a SET expression reads, as PostgreSQL 15."""
    alice, bob = connect("alice"), connect("bob")
    alice.execute("create table shop.mt (a int, b text)")
    alice.execute("create table shop.ms (a int, b text)")
    alice.execute("insert into shop.mt values (1, 'old')")
    alice.execute("insert into shop.ms values (1, 'new'), (2, 'two')")
    alice.execute("revoke all on shop.mt, shop.ms from bob")
    alice.execute("grant select on shop.ms to bob")
    alice.execute("grant select (a), insert (a, b), update (b) on shop.mt to bob")
    bob.execute("merge into shop.mt t using shop.ms s on t.a = s.a when matched then update set b = s.b "
                "when not matched then insert values (s.a, s.b)")
    assert alice.execute("select a, b from shop.mt order by a").fetchall() == [(1, "new"), (2, "two")]
    for sql in ("merge into shop.mt t using shop.ms s on t.a = s.a when matched then update set a = 1",
                "merge into shop.mt t using shop.ms s on t.a = s.a when matched then update set b = t.b",
                "merge into shop.mt t using shop.ms s on t.a = s.a when matched and t.b = 'x' then delete",
                "merge into shop.mt t using shop.ms s on t.b = s.b when matched then update set b = 'x'"):
        denied(bob, sql, "permission denied for table mt")
