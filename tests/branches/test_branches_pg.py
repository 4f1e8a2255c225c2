"""Branches through the PostgreSQL protocol: psycopg against a real ``helios serve``.

Each test uses its own table and branch names: the server (and database) is shared by the module.
"""

from __future__ import annotations

import time

import psycopg
import pytest
from psycopg import errors


def rows(conn: psycopg.Connection, sql: str, params: object = None) -> list[tuple]:
    return conn.execute(sql, params).fetchall()


def test_month_end_snapshot(connect):
    c = connect()
    c.execute("create table ledger (id int primary key, amount numeric(12,2))")
    c.execute("insert into ledger values (1, 100.00), (2, 250.50)")
    month_end = rows(c, "select now()::text")[0][0]
    time.sleep(0.01)  # the next commits get later timestamps than month_end
    c.execute("insert into ledger values (3, 999.99)")
    c.execute("update ledger set amount = 0 where id = 1")
    c.execute(f"create branch month_end_202411 from main at timestamp '{month_end}'")
    c.execute("set heliosdb.branch = 'month_end_202411'")
    assert rows(c, "show heliosdb.branch") == [("month_end_202411",)]
    assert rows(c, "select id, amount::text from ledger order by id") == [(1, "100.00"), (2, "250.50")]
    # the snapshot is a branch: reporting work on it stays there
    c.execute("insert into ledger values (9, 1.00)")
    c.execute("set heliosdb.branch = 'main'")
    assert rows(c, "select id, amount::text from ledger order by id") == [(1, "0.00"), (2, "250.50"),
                                                                          (3, "999.99")]
    info = rows(c, "select parent, fork_timestamp < created from heliosdb.branches where name = 'month_end_202411'")
    assert info == [("main", True)]


def test_per_tenant_provisioning_isolated_reads_and_writes(connect):
    admin = connect()
    admin.execute("create table accounts (id int primary key, name text)")
    admin.execute("insert into accounts values (1, 'shared-seed')")
    for t in ("acme", "globex"):
        admin.execute(f"create role tenant_{t} login")
        admin.execute(f"create branch customer_{t} from main")
        admin.execute(f"grant usage on branch customer_{t} to tenant_{t}")
        # table privileges are catalog data of the branch: granted on the tenant's branch only
        connect(branch=f"customer_{t}").execute(f"grant select, insert, update on accounts to tenant_{t}")
    acme = connect("tenant_acme", branch="customer_acme")
    globex = connect("tenant_globex", branch="customer_globex")
    acme.execute("insert into accounts values (2, 'acme-only')")
    globex.execute("update accounts set name = 'globex-renamed' where id = 1")
    assert rows(acme, "select id, name from accounts order by id") == [(1, "shared-seed"), (2, "acme-only")]
    assert rows(globex, "select id, name from accounts order by id") == [(1, "globex-renamed")]
    assert rows(admin, "select id, name from accounts order by id") == [(1, "shared-seed")]
    # each tenant's catalog view shows its own branch (and main, open to PUBLIC), never the other's
    names = {r[0] for r in rows(acme, "select name from heliosdb.branches")}
    assert "customer_acme" in names and "customer_globex" not in names
    owned = rows(admin, "select rows from heliosdb.branches where name = 'customer_acme'")
    assert owned == [(1,)]


def test_denied_access_every_path(connect, refused):
    admin = connect()
    admin.execute("create table secrets (id int primary key, v text)")
    admin.execute("create role tenant_a login")
    admin.execute("create role tenant_b login")
    admin.execute("create branch tenant_a_br from main")
    admin.execute("create branch tenant_b_br from main")
    admin.execute("grant usage on branch tenant_a_br to tenant_a")
    admin.execute("grant usage on branch tenant_b_br to tenant_b")
    for t in ("a", "b"):
        connect(branch=f"tenant_{t}_br").execute(f"grant select, insert on secrets to tenant_{t}")
    a = connect("tenant_a", branch="tenant_a_br")
    a.execute("insert into secrets values (1, 'a-secret')")
    # connecting straight onto someone else's branch
    assert refused("tenant_b", "tenant_a_br") == "42501"
    b = connect("tenant_b", branch="tenant_b_br")
    with pytest.raises(errors.InsufficientPrivilege):
        b.execute("set heliosdb.branch = 'tenant_a_br'")
    assert rows(b, "show heliosdb.branch") == [("tenant_b_br",)]
    with pytest.raises(errors.InsufficientPrivilege):
        b.execute("select * from heliosdb.branch_diff('tenant_a_br', 'tenant_b_br', 'secrets')")
    with pytest.raises(errors.InsufficientPrivilege):
        b.execute("select * from heliosdb.cross_branch_query(query := 'select * from secrets', "
                  "branches := ARRAY['tenant_a_br'])")
    with pytest.raises(errors.InsufficientPrivilege):
        b.execute("merge branch tenant_a_br into tenant_b_br")
    with pytest.raises(errors.InsufficientPrivilege):
        b.execute("create branch stolen from tenant_a_br")
    with pytest.raises(errors.InsufficientPrivilege):
        b.execute("drop branch tenant_a_br")
    assert rows(b, "select count(*) from heliosdb.branches where name = 'tenant_a_br'") == [(0,)]
    assert rows(b, "select count(*) from heliosdb.branch_history where branch = 'tenant_a_br'") == [(0,)]
    # AS OF on b's own branch reaches only b's lineage
    ts = rows(b, "select now()::text")[0][0]
    assert rows(b, f"select count(*) from secrets as of timestamp '{ts}'") == [(0,)]
    # revoking takes the branch away from its tenant
    admin.execute("revoke usage on branch tenant_a_br from tenant_a")
    assert refused("tenant_a", "tenant_a_br") == "42501"


def test_branch_diff_kinds(connect):
    c = connect()
    c.execute("create table items (id int primary key, qty int, note text)")
    c.execute("insert into items values (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c'), (4, 40, 'd')")
    c.execute("create branch diff_dev from main")
    d = connect(branch="diff_dev")
    d.execute("update items set qty = 11 where id = 1")
    d.execute("delete from items where id = 2")
    d.execute("insert into items values (5, 50, 'e')")
    d.execute("update items set note = 'dev' where id = 3")
    c.execute("update items set note = 'main' where id = 3")
    c.execute("update items set qty = 44 where id = 4")
    got = rows(c, "select branch_name, diff_type, conflict, id, qty, note "
                  "from heliosdb.branch_diff('diff_dev', 'main', 'items')")
    assert got == [
        ("diff_dev", "modified", False, 1, 11, "a"),
        ("diff_dev", "removed", False, 2, 20, "b"),
        ("diff_dev", "modified", True, 3, 30, "dev"),
        ("main", "modified", True, 3, 30, "main"),
        ("main", "modified", False, 4, 44, "d"),
        ("diff_dev", "added", False, 5, 50, "e"),
    ]
    # usable like any relation: filters, aggregates
    assert rows(c, "select diff_type, count(*) from heliosdb.branch_diff('diff_dev', 'main', 'items') "
                   "where branch_name = 'diff_dev' group by diff_type order by 1") == [
        ("added", 1), ("modified", 2), ("removed", 1)]


def test_merge_without_conflicts(connect):
    c = connect()
    c.execute("create table orders (id int primary key, status text)")
    c.execute("insert into orders values (1, 'new'), (2, 'new'), (3, 'new')")
    c.execute("create branch merge_ok from main")
    f = connect(branch="merge_ok")
    f.execute("update orders set status = 'shipped' where id = 1")
    f.execute("delete from orders where id = 2")
    f.execute("insert into orders values (4, 'new')")
    c.execute("update orders set status = 'paid' where id = 3")  # main's own change, untouched by the merge
    cur = c.execute("merge branch merge_ok into main")
    assert cur.statusmessage == "MERGE 3"  # PostgreSQL's MERGE tag: rows inserted, updated or deleted
    assert cur.rowcount == 3
    assert rows(c, "select id, status from orders order by id") == [(1, "shipped"), (3, "paid"), (4, "new")]
    # the merge moved the common point: merging again finds nothing of merge_ok's left to apply
    c.execute("merge branch merge_ok into main")
    assert rows(c, "select count(*) from orders") == [(3,)]
    assert rows(c, "select count(*) from heliosdb.branch_diff('merge_ok', 'main', 'orders') "
                   "where branch_name = 'merge_ok'") == [(0,)]
    # later work on the branch merges on top
    f.execute("update orders set status = 'delivered' where id = 1")
    c.execute("merge branch merge_ok into main")
    assert rows(c, "select status from orders where id = 1") == [("delivered",)]
    hist = rows(c, "select event, role from heliosdb.branch_history where branch = 'main' and event = 'merge'")
    assert len(hist) == 3 and hist[0] == ("merge", "helios")


def test_merge_conflict_aborts_with_report_then_policies(connect):
    c = connect()
    c.execute("create table prices (sku text primary key, price int)")
    c.execute("insert into prices values ('a', 1), ('b', 2), ('c', 3)")
    c.execute("create branch pricing from main")
    p = connect(branch="pricing")
    p.execute("update prices set price = 10 where sku = 'a'")
    p.execute("update prices set price = 20 where sku = 'b'")
    c.execute("update prices set price = 100 where sku = 'a'")
    with pytest.raises(errors.SerializationFailure) as ei:
        c.execute("merge branch pricing into main")
    diag = ei.value.diag
    assert ei.value.sqlstate == "40001"
    assert "1 conflicting change" in diag.message_primary
    assert "public.prices (sku)=(a): modified on pricing, modified on main" in diag.message_detail
    # atomic: nothing of the non-conflicting change to 'b' was applied
    assert rows(c, "select sku, price from prices order by sku") == [("a", 100), ("b", 2), ("c", 3)]
    # ours = the target keeps its row; the rest is merged
    c.execute("merge branch pricing into main with (on_conflict = 'ours')")
    assert rows(c, "select sku, price from prices order by sku") == [("a", 100), ("b", 20), ("c", 3)]
    # theirs = the source wins
    c.execute("create branch pricing2 from main")
    p2 = connect(branch="pricing2")
    p2.execute("update prices set price = 7 where sku = 'c'")
    c.execute("update prices set price = 70 where sku = 'c'")
    c.execute("merge branch pricing2 into main with (on_conflict = 'theirs')")
    assert rows(c, "select price from prices where sku = 'c'") == [(7,)]
    with pytest.raises(errors.InvalidParameterValue):
        c.execute("merge branch pricing2 into main with (on_conflict = 'newest')")


def test_as_of_time_travel_and_joins(connect):
    c = connect()
    c.execute("create table stock (id int primary key, qty int)")
    c.execute("create table names (id int primary key, name text)")
    c.execute("insert into stock values (1, 5), (2, 7)")
    c.execute("insert into names values (1, 'bolt'), (2, 'nut')")
    before = rows(c, "select now()::text")[0][0]
    time.sleep(0.01)
    c.execute("update stock set qty = 0 where id = 1")
    c.execute("delete from names where id = 2")
    assert rows(c, f"select id, qty from stock as of timestamp '{before}' order by id") == [(1, 5), (2, 7)]
    assert rows(c, f"select n.name, s.qty from stock as of timestamp '{before}' s "
                   f"join names as of timestamp '{before}' n on n.id = s.id order by n.name") == [
        ("bolt", 5), ("nut", 7)]
    assert rows(c, "select id, qty from stock order by id") == [(1, 0), (2, 7)]
    with pytest.raises(psycopg.Error) as ei:
        c.execute("select * from stock as of timestamp '2000-01-01'")
    assert ei.value.sqlstate == "22023"


def test_drop_branch(connect, refused):
    c = connect()
    c.execute("create role dropper login")
    c.execute("create branch to_drop from main")
    c.execute("grant usage on branch to_drop to dropper")
    other = connect("dropper", branch="main")
    with pytest.raises(errors.InsufficientPrivilege):
        other.execute("drop branch to_drop")
    user = connect(branch="to_drop")
    with pytest.raises(psycopg.Error) as ei:
        user.execute("drop branch to_drop")
    assert ei.value.sqlstate == "55006"
    user.close()
    c.execute("drop branch to_drop")
    assert rows(c, "select count(*) from heliosdb.branches where name = 'to_drop'") == [(0,)]
    with pytest.raises(psycopg.Error) as ei:
        c.execute("set heliosdb.branch = 'to_drop'")
    assert ei.value.sqlstate == "42704"
    # a namesake starts clean: the old grants do not come back
    c.execute("create branch to_drop from main")
    assert refused("dropper", "to_drop") == "42501"
    events = [r[0] for r in rows(c, "select event from heliosdb.branch_history where branch = 'to_drop'")]
    assert events == ["create", "grant", "drop", "create"]


def test_limits(connect, refused):
    c = connect()
    c.execute("create branch limited from main")
    c.execute("alter branch limited set max_connections = 2, max_memory = '16MB', max_cpu_percent = 20")
    assert rows(c, "select max_connections, max_memory, max_cpu_percent from heliosdb.branches "
                   "where name = 'limited'") == [(2, "16MB", 20)]
    first, second = connect(branch="limited"), connect(branch="limited")
    assert refused("helios", "limited") == "53300"
    with pytest.raises(errors.TooManyConnections):
        c.execute("set heliosdb.branch = 'limited'")
    second.close()
    # memory: a query that builds ~50 MB of strings is cancelled; a small one runs
    with pytest.raises(psycopg.Error) as ei:
        first.execute("select count(*) from (select repeat('x', 100000) || g::text as s "
                      "from generate_series(1, 500) g) q")
    assert ei.value.sqlstate == "53200"
    assert rows(first, "select count(*) from generate_series(1, 1000)") == [(1000,)]
    # CPU: statements over the share are queued, never failed
    # (a bounded loop, not a fixed count: a busy machine gives the statements fewer CPU seconds per
    # wall second, so the bucket fills faster against them and more statements fit in the share)
    heavy = "select count(distinct g::text) from generate_series(1, 200000) g"
    queued = 0
    for _ in range(30):
        assert rows(first, heavy) == [(200000,)]
        queued = rows(c, "select queued_statements from heliosdb.branches where name = 'limited'")[0][0]
        if queued:
            break
    assert queued >= 1
    with pytest.raises(psycopg.Error) as ei:
        c.execute("alter branch limited set max_cpu_percent = 500")
    assert ei.value.sqlstate == "22023"


def test_cross_branch_query(connect):
    c = connect()
    c.execute("create table metrics (id int primary key, v int)")
    c.execute("insert into metrics values (1, 1), (2, 2)")
    for t in ("x1", "x2"):
        c.execute(f"create branch cb_{t} from main")
    connect(branch="cb_x1").execute("insert into metrics values (3, 30)")
    connect(branch="cb_x2").execute("update metrics set v = 20 where id = 2")
    c.execute("create role analyst login")
    analyst = connect("analyst")
    q = ("select * from heliosdb.cross_branch_query(query := 'select id, v from metrics where v >= $1', "
         "branches := ARRAY['cb_x1', 'cb_x2'], params := ARRAY[2]) order by branch_name, id")
    with pytest.raises(errors.InsufficientPrivilege):
        analyst.execute(q)
    c.execute("grant cross_branch_read on branch cb_x1, cb_x2 to analyst")
    with pytest.raises(errors.InsufficientPrivilege):  # the branch grant does not open its tables
        analyst.execute(q)
    for t in ("x1", "x2"):  # each branch's own catalog decides (not the session's branch)
        connect(branch=f"cb_{t}").execute("grant select on metrics to analyst")
    assert rows(analyst, q) == [("cb_x1", 2, 2), ("cb_x1", 3, 30), ("cb_x2", 2, 20)]
    cur = analyst.execute(q)
    assert [d.name for d in cur.description] == ["branch_name", "id", "v"]
    # params may be bound by the client (a prepared statement runs again with new values)
    bound = ("select * from heliosdb.cross_branch_query(query := 'select id from metrics where v >= $1', "
             "branches := ARRAY['cb_x1', 'cb_x2'], params := %s) order by 1, 2")
    assert rows(analyst, bound, [[20]]) == [("cb_x1", 3), ("cb_x2", 2)]
    assert analyst.execute(bound, [[30]], prepare=True).fetchall() == [("cb_x1", 3)]
    assert analyst.execute(bound, [[21]], prepare=True).fetchall() == [("cb_x1", 3)]
    # the query itself decides the columns: it must be literal
    with pytest.raises(errors.FeatureNotSupported):
        analyst.execute("select * from heliosdb.cross_branch_query(query := %s, branches := ARRAY['cb_x1'])",
                        ["select 1"])
    # the grant is for reading across, not for switching there
    with pytest.raises(errors.InsufficientPrivilege):
        analyst.execute("set heliosdb.branch = 'cb_x1'")


def test_rename_keeps_grants_and_limits(connect):
    c = connect()
    c.execute("create role renamer login")
    c.execute("create branch old_name from main")
    c.execute("grant usage on branch old_name to renamer")
    c.execute("alter branch old_name set max_connections = 5")
    c.execute("alter branch old_name rename to new_name")
    r = connect("renamer", branch="new_name")
    assert rows(r, "show heliosdb.branch") == [("new_name",)]
    assert rows(c, "select max_connections, owner from heliosdb.branches where name = 'new_name'") == [
        (5, "helios")]
