"""Branch semantics in-process (engine + sessions, no server): merge bases, tables without keys,
schema-level merges, the shared isolation mode, option parsing."""

from __future__ import annotations

import pytest

from helios_core.branching import ancestry, lifecycle, policy
from helios_core.engine import Engine
from helios_core.errors import HeliosError


@pytest.fixture
def engine():
    e = Engine.open(None)
    yield e
    e.close()


def q(session, sql):
    r = session.execute(sql)[-1]
    out = []
    for b in r.batches:
        out += [tuple(row.values()) for row in b.to_pylist()]
    return out


def test_common_point_of_cousins_and_after_merge(engine):
    s = engine.connect()
    q(s, "create table t (id int primary key, v text)")
    q(s, "insert into t values (1, 'a')")
    q(s, "create branch dev from main")
    dev = engine.connect(branch="dev")
    q(dev, "create branch fix from dev")
    q(s, "create branch feature from main")
    store = engine.store
    fix_fork = store.get_branch("helios", "fix").fork_ts
    dev_fork = store.get_branch("helios", "dev").fork_ts
    assert [n for n, _ in ancestry.lineage(store, "helios", "fix")] == ["fix", "dev", "main"]
    assert ancestry.common_point(engine, "helios", "fix", "dev") == ancestry.BasePoint("dev", fix_fork)
    assert ancestry.common_point(engine, "helios", "fix", "feature") == ancestry.BasePoint("main", dev_fork)
    fix = engine.connect(branch="fix")
    q(fix, "update t set v = 'fixed' where id = 1")
    q(s, "merge branch fix into main")
    assert q(s, "select v from t") == [("fixed",)]
    # the grandchild's change reached main; the base between them moved to the merge
    base = ancestry.common_point(engine, "helios", "fix", "main")
    assert base.branch == "fix" and base.ts > fix_fork


def test_table_without_primary_key_is_keyed_by_row_identity(engine):
    s = engine.connect()
    q(s, "create table log (msg text, n int)")
    q(s, "insert into log values ('keep', 1), ('change', 2), ('drop', 3)")
    q(s, "create branch nopk from main")
    b = engine.connect(branch="nopk")
    q(b, "update log set n = 20 where msg = 'change'")
    q(b, "delete from log where msg = 'drop'")
    q(b, "insert into log values ('new', 4), ('new', 4)")  # duplicates are distinct rows
    kinds = q(s, "select diff_type, msg, n from heliosdb.branch_diff('nopk', 'main', 'log') order by msg, n")
    assert kinds == [("modified", "change", 20), ("removed", "drop", 3), ("added", "new", 4), ("added", "new", 4)]
    q(s, "merge branch nopk into main")
    assert q(s, "select msg, n from log order by msg, n") == [("change", 20), ("keep", 1), ("new", 4), ("new", 4)]


def test_merge_carries_new_and_dropped_tables(engine):
    s = engine.connect()
    q(s, "create table old_stuff (id int primary key)")
    q(s, "insert into old_stuff values (1)")
    q(s, "create branch schema_dev from main")
    d = engine.connect(branch="schema_dev")
    q(d, "create table new_stuff (id int primary key, label text not null)")
    q(d, "insert into new_stuff values (1, 'one'), (2, 'two')")
    q(d, "drop table old_stuff")
    q(s, "merge branch schema_dev into main")
    assert q(s, "select id, label from new_stuff order by id") == [(1, "one"), (2, "two")]
    with pytest.raises(HeliosError) as ei:
        q(s, "select * from old_stuff")
    assert ei.value.sqlstate == "42P01"
    # constraints of the carried table hold on the target
    with pytest.raises(HeliosError) as ei:
        q(s, "insert into new_stuff values (3, null)")
    assert ei.value.sqlstate == "23502"


def test_identical_changes_on_both_sides_are_no_conflict(engine):
    s = engine.connect()
    q(s, "create table kv (k text primary key, v float8)")
    q(s, "insert into kv values ('a', 1.0), ('b', 'NaN'), ('c', null)")
    q(s, "create branch same from main")
    b = engine.connect(branch="same")
    for sess in (s, b):
        q(sess, "update kv set v = 2.5 where k = 'a'")
        q(sess, "delete from kv where k = 'c'")
    rows = q(s, "select branch_name, diff_type, conflict, k from heliosdb.branch_diff('same', 'main', 'kv')")
    assert rows == [("same", "modified", False, "a"), ("main", "modified", False, "a"),
                    ("same", "removed", False, "c"), ("main", "removed", False, "c")]
    q(s, "merge branch same into main")  # nothing conflicts: NaN = NaN, NULL = NULL, equal updates
    assert q(s, "select k, v from kv order by k") == [("a", 2.5), ("b", pytest.approx(float("nan"), nan_ok=True))]


def test_merge_into_a_child_and_history(engine):
    s = engine.connect()
    q(s, "create table cfg (k text primary key, v text)")
    q(s, "insert into cfg values ('x', '1')")
    q(s, "create branch child from main")
    q(s, "update cfg set v = '2' where k = 'x'")
    q(s, "merge branch main into child")
    child = engine.connect(branch="child")
    assert q(child, "select v from cfg") == [("2",)]
    events = q(s, "select branch, event from heliosdb.branch_history order by event_time")
    assert events == [("child", "create"), ("child", "merge")]


def test_shared_isolation_opens_branches_but_not_cross_branch_reads(engine):
    admin = engine.connect()
    q(admin, "create role guest login")
    q(admin, "create table t (id int primary key)")
    q(admin, "create branch private from main")
    with pytest.raises(HeliosError) as ei:
        engine.connect(user="guest", branch="private")
    assert ei.value.sqlstate == "42501"
    policy.configure(engine, {"branch_isolation": "shared"})
    guest = engine.connect(user="guest", branch="private")
    assert q(guest, "show heliosdb.branch") == [("private",)]
    with pytest.raises(HeliosError) as ei:
        q(guest, "select * from heliosdb.cross_branch_query(query := 'select 1', branches := ARRAY['main'])")
    assert ei.value.sqlstate == "42501"
    with pytest.raises(ValueError):
        policy.configure(engine, {"branch_isolation": "loose"})


def test_branch_cap_from_policy(engine):
    s = engine.connect()
    policy.configure(engine, {"max_branches": 3})
    q(s, "create branch one")
    q(s, "create branch two")
    with pytest.raises(HeliosError) as ei:
        q(s, "create branch three")
    assert ei.value.sqlstate == "54000"


def test_limit_options_are_validated():
    assert lifecycle.parse_size("2GB") == 2 * 1024**3
    assert lifecycle.parse_size("512kB") == 512 * 1024
    assert lifecycle.normalize_limits({"max_connections": "20", "max_cpu_percent": "25", "max_memory": "2GB"}) == {
        "max_connections": 20, "max_cpu_percent": 25, "max_memory": "2GB"}
    assert lifecycle.normalize_limits({"max_memory": "none"}) == {"max_memory": None}
    for bad in ({"max_memory": "lots"}, {"max_connections": "0"}, {"max_cpu_percent": "101"}, {"max_disk": "1"}):
        with pytest.raises(HeliosError) as ei:
            lifecycle.normalize_limits(bad)
        assert ei.value.sqlstate == "22023"


def test_grant_validation(engine):
    s = engine.connect()
    q(s, "create branch g1")
    with pytest.raises(HeliosError) as ei:
        q(s, "grant usage on branch g1 to nobody")
    assert ei.value.sqlstate == "42704"
    q(s, "create role someone login")
    with pytest.raises(HeliosError) as ei:
        q(s, "grant truncate on branch g1 to someone")
    assert ei.value.sqlstate == "0LP01"
    q(s, "grant all privileges on branch g1 to someone")
    other = engine.connect(user="someone", branch="g1")
    assert q(other, "select name from heliosdb.branches where name = 'g1'") == [("g1",)]
    # membership: a role granted to another passes its branch privileges on
    q(s, "create role team")
    q(s, "create role member login in role team")
    q(s, "grant usage on branch g1 to team")
    assert q(engine.connect(user="member", branch="g1"), "show heliosdb.branch") == [("g1",)]


def test_as_of_before_the_fork_needs_the_parent(engine):
    import time

    admin = engine.connect()
    q(admin, "create table t (id int primary key, owner text)")
    q(admin, "create role tenant login")
    q(admin, "grant select on t to tenant")  # object privileges travel with the fork
    q(admin, "insert into t values (1, 'other-tenant')")
    before = q(admin, "select now()::text")[0][0]
    time.sleep(0.01)
    q(admin, "delete from t")
    q(admin, "create branch tenant_t from main")
    q(admin, "grant usage on branch tenant_t to tenant")
    q(admin, "revoke usage on branch main from public")
    tenant = engine.connect(user="tenant", branch="tenant_t")
    after = q(tenant, "select now()::text")[0][0]
    assert q(tenant, f"select count(*) from t as of timestamp '{after}'") == [(0,)]
    with pytest.raises(HeliosError) as ei:
        q(tenant, f"select * from t as of timestamp '{before}'")
    assert ei.value.sqlstate == "42501"
    with pytest.raises(HeliosError) as ei:
        engine.connect(user="tenant", branch="main")
    assert ei.value.sqlstate == "42501"
    assert q(admin, f"select owner from t as of timestamp '{before}'") == [("other-tenant",)]


def test_limits_are_the_operators_and_forks_inherit_them(engine):
    admin = engine.connect()
    q(admin, "create role owner_t login")
    q(admin, "create branch capped")
    q(admin, "grant usage on branch capped to owner_t")
    q(admin, "alter branch capped set max_connections = 3, max_cpu_percent = 10")
    t = engine.connect(user="owner_t", branch="capped")
    q(t, "create branch capped_child from capped")  # owner_t owns the fork ...
    with pytest.raises(HeliosError) as ei:  # ... but cannot lift the caps it inherited
        q(t, "alter branch capped_child set max_connections = 100")
    assert ei.value.sqlstate == "42501"
    got = q(admin, "select owner, max_connections, max_cpu_percent from heliosdb.branches "
                   "where name = 'capped_child'")
    assert got == [("owner_t", 3, 10)]
    q(t, "drop branch capped_child")  # owners may drop their own forks


def test_merge_moves_serial_sequences_past_merged_ids(engine):
    s = engine.connect()
    q(s, "create table tickets (id serial primary key, title text)")
    q(s, "insert into tickets (title) values ('main-1')")
    q(s, "create branch support from main")
    sup = engine.connect(branch="support")
    q(sup, "insert into tickets (title) values ('sup-2'), ('sup-3')")
    q(sup, "create table notes (id serial primary key, body text)")
    q(sup, "insert into notes (body) values ('n1')")
    q(s, "merge branch support into main")
    merged_top = q(s, "select max(id) from tickets")[0][0]
    for _ in range(40):  # well past any block the sequence had persisted ahead: no 23505
        q(s, "insert into tickets (title) values ('main-next')")
    got = q(s, "select title from tickets order by id")
    assert got[:3] == [("main-1",), ("sup-2",), ("sup-3",)] and len(got) == 43
    assert q(s, "select min(id) from tickets where title = 'main-next'")[0][0] > merged_top
    q(s, "insert into notes (body) values ('n2')")  # the carried table's sequence came along
    assert [b for _, b in q(s, "select id, body from notes order by id")] == ["n1", "n2"]


def test_as_of_before_the_fork_is_checked_in_prepared_statements_too(engine):
    import time

    admin = engine.connect()
    q(admin, "create table p (id int primary key)")
    q(admin, "insert into p values (1)")
    before = q(admin, "select now()::text")[0][0]
    time.sleep(0.01)
    q(admin, "delete from p")
    q(admin, "create branch tp from main")
    q(admin, "create role tp_user login")
    q(admin, "grant usage on branch tp to tp_user")
    q(admin, "revoke usage on branch main from public")
    t = engine.connect(user="tp_user", branch="tp")
    for sql, oids in ((f"select * from p as of timestamp '{before}'", ()),
                      ("select * from p as of timestamp $1", (1184,))):
        with pytest.raises(HeliosError) as ei:
            t.prepare(sql, oids)
        assert ei.value.sqlstate == "42501"


def test_a_side_that_emptied_the_table(engine):
    s = engine.connect()
    q(s, "create table t (id int primary key, v text)")
    q(s, "insert into t values (1, 'a'), (2, 'b')")
    q(s, "create branch wipe")
    q(engine.connect(branch="wipe"), "delete from t")
    q(s, "update t set v = 'B' where id = 2")
    assert q(s, "select branch_name, diff_type, conflict, id from heliosdb.branch_diff('wipe', 'main', 't')") == [
        ("wipe", "removed", False, 1), ("wipe", "removed", True, 2), ("main", "modified", True, 2)]
    with pytest.raises(HeliosError) as ei:
        q(s, "merge branch wipe into main")
    assert ei.value.sqlstate == "40001" and "(id)=(2): removed on wipe, modified on main" in ei.value.detail
    q(s, "merge branch wipe into main with (on_conflict = 'ours')")
    assert q(s, "select id, v from t") == [(2, "B")]
    # a row inserted and deleted again on a branch is no change at all
    q(s, "create branch flicker")
    f = engine.connect(branch="flicker")
    q(f, "insert into t values (7, 'z')")
    q(f, "delete from t where id = 7")
    assert q(s, "select count(*) from heliosdb.branch_diff('flicker', 'main', 't')") == [(0,)]


def test_rows_both_sides_modified_merge_cell_by_cell(engine):
    s = engine.connect()
    q(s, "create table acct (id int primary key, email text, plan text, seats int)")
    q(s, "insert into acct values (1, 'a@x', 'free', 1), (2, 'b@x', 'free', 1)")
    q(s, "create branch billing")
    bill = engine.connect(branch="billing")
    q(bill, "update acct set plan = 'pro', seats = 5 where id = 1")
    q(bill, "update acct set seats = 3 where id = 2")
    q(s, "update acct set email = 'a@new' where id = 1")  # another cell of the same row: no conflict
    q(s, "update acct set seats = 4 where id = 2")  # the same cell: a conflict
    got = q(s, "select branch_name, id, conflict from heliosdb.branch_diff('billing', 'main', 'acct')")
    assert got == [("billing", 1, False), ("main", 1, False), ("billing", 2, True), ("main", 2, True)]
    with pytest.raises(HeliosError):
        q(s, "merge branch billing into main")
    q(s, "merge branch billing into main with (on_conflict = 'ours')")
    assert q(s, "select id, email, plan, seats from acct order by id") == [(1, "a@new", "pro", 5),
                                                                          (2, "b@x", "free", 4)]


def test_merge_carries_added_columns(engine):
    s = engine.connect()
    q(s, "create table users (id int primary key, name text)")
    q(s, "insert into users values (1, 'ann'), (2, 'bob'), (3, 'cy')")
    q(s, "create branch migr")
    m = engine.connect(branch="migr")
    q(m, "alter table users add column tier text not null default 'basic'")
    q(m, "update users set tier = 'gold' where id = 2")
    q(m, "insert into users values (4, 'dee', 'silver')")
    q(s, "update users set name = 'ann2' where id = 1")  # main's own change, other column
    q(s, "insert into users values (5, 'eve')")  # main's new row: gets the column's value for old rows
    diff = q(s, "select branch_name, diff_type, conflict, id from heliosdb.branch_diff('migr', 'main', 'users')")
    assert diff == [("main", "modified", False, 1), ("migr", "modified", False, 2), ("migr", "added", False, 4),
                    ("main", "added", False, 5)]
    q(s, "merge branch migr into main")
    assert q(s, "select id, name, tier from users order by id") == [
        (1, "ann2", "basic"), (2, "bob", "gold"), (3, "cy", "basic"), (4, "dee", "silver"), (5, "eve", "basic")]
    q(s, "insert into users (id, name) values (6, 'fay')")  # the default came along with the column
    assert q(s, "select tier from users where id = 6") == [("basic",)]
    # the other way round: the target added a column, the source only changed rows
    q(s, "create branch plain")
    p = engine.connect(branch="plain")
    q(s, "alter table users add column score int default 0")
    q(p, "update users set name = 'cy2' where id = 3")
    q(s, "merge branch plain into main")
    assert q(s, "select name, score from users where id = 3") == [("cy2", 0)]


def test_diff_of_touched_rows_equals_full_diff_on_flushed_segments(tmp_path, monkeypatch):
    """branch_diff/merge read only rows some layer touched since the base (changes.candidate_rowids);
    after checkpoints (segments on disk) that must give what reading every row gives."""
    nvme = pytest.importorskip("helios_storage_nvme", reason="the storage_nvme plugin is not installed")
    from helios_core.branching import changes

    def run(where, full: bool):
        if full:
            monkeypatch.setattr(changes, "candidate_rowids", lambda *a, **k: None)
        e = Engine.open(str(where), tier=nvme.DiskTier(str(where)))
        s = e.connect()
        q(s, "create table t (id int primary key, v int)")
        q(s, "insert into t select g, g from generate_series(1, 3000) g")
        e.checkpoint()
        q(s, "create branch x")
        x = e.connect(branch="x")
        q(x, "update t set v = -v where id % 97 = 0")
        q(x, "delete from t where id % 101 = 0")
        q(s, "update t set v = 0 where id % 89 = 0")
        e.checkpoint()
        q(x, "insert into t select g, g from generate_series(6000, 6100) g")
        q(s, "delete from t where id % 83 = 0")
        rows = q(s, "select branch_name, diff_type, conflict, id, v from heliosdb.branch_diff('x', 'main', 't')")
        q(s, "merge branch x into main with (on_conflict = 'ours')")
        final = q(s, "select id, v from t order by id")
        e.close()
        monkeypatch.undo()
        return rows, final

    touched = run(tmp_path / "touched", full=False)
    full = run(tmp_path / "full", full=True)
    assert len(touched[0]) > 100 and touched == full


def _burn(seconds: float) -> int:
    """Spin for ``seconds`` of this thread's CPU time; the thread's id."""
    import threading
    import time

    started = time.thread_time()
    while time.thread_time() - started < seconds:
        pass
    return threading.get_ident()


def test_worker_thread_cpu_is_counted_for_the_statement_that_started_it(monkeypatch):
    import threading
    import time

    from helios_core import parallel

    monkeypatch.setattr(parallel, "WORKERS", 2)
    account = parallel.CpuAccount()
    token = parallel.CPU_ACCOUNT.set(account)
    try:
        piece = parallel.start(_burn, 0.2)
        time.sleep(0.05)  # a worker has taken it
        assert piece.result() != threading.get_ident()
        assert account.take() >= 0.19
        assert account.take() == 0.0  # taken once
        monkeypatch.setattr(parallel, "WORKERS", 1)  # done by the asking thread: its own CPU time has it
        assert parallel.start(_burn, 0.05).result() == threading.get_ident()
        assert account.take() == 0.0
    finally:
        parallel.CPU_ACCOUNT.reset(token)


def test_branch_cpu_share_charges_pieces_run_on_worker_threads(engine, monkeypatch):
    """max_cpu_percent: a statement whose percentile sorting ran on a worker thread is charged
    that thread's CPU too; the branch's next statement waits for the debt."""
    from helios_core import parallel
    from helios_core.branching import limits
    from helios_core.sql.operators import aggregate

    admin = engine.connect()
    q(admin, "create table spread as select g % 100 as k, g::float8 as v from generate_series(1, 70000) g")
    q(admin, "create branch metered")  # the table comes along: the branch's bucket is full
    q(admin, "alter branch metered set max_cpu_percent = 50")
    s = engine.connect(branch="metered")
    monkeypatch.setattr(parallel, "WORKERS", 2)
    monkeypatch.setattr(parallel.Started, "result",  # always the worker's run, never the caller's
                        lambda self: self._future.result() if self._future is not None else self._fn())
    sorted_runs = aggregate._sorted_runs
    where: list[int] = []

    def heavy(*args):
        where.append(_burn(0.5))
        return sorted_runs(*args)

    monkeypatch.setattr(aggregate, "_sorted_runs", heavy)
    act = limits.activity(engine, "helios", "metered")
    queued = act.queued_statements
    q(s, "select k, percentile_cont(0.5) within group (order by v) from spread group by k")
    import threading

    assert where and where[0] != threading.get_ident(), "the sorting ran on a worker thread"
    q(s, "select 1")
    assert act.queued_statements > queued, "the worker's 0.5 s put the branch in debt"
