"""SERIALIZABLE as PostgreSQL's serializable snapshot isolation, through psycopg.

Two and three connections replay the classic anomalies (write skew, the read-only
transaction anomaly); READ ONLY DEFERRABLE waits for a safe snapshot; an Elle-style
list-append workload under concurrency finds no cycle among committed transactions.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

SSI_MESSAGE = "could not serialize access due to read/write dependencies among transactions"


def connect(server) -> psycopg.Connection:
    return psycopg.connect(server.pg_dsn(), autocommit=True)


@pytest.fixture(scope="module")
def conns(pg_server):
    cs = [connect(pg_server) for _ in range(3)]
    yield cs
    for c in cs:
        c.close()


def begin(c, extra: str = "") -> None:
    c.execute(f"begin isolation level serializable {extra}")


def test_write_skew_fails_at_second_commit(conns):
    a, b, _ = conns
    a.execute("drop table if exists doctors")
    a.execute("create table doctors (name text primary key, on_call bool)")
    a.execute("insert into doctors values ('alice', true), ('bob', true)")
    begin(a)
    begin(b)
    assert a.execute("select count(*) from doctors where on_call").fetchone() == (2,)
    assert b.execute("select count(*) from doctors where on_call").fetchone() == (2,)
    a.execute("update doctors set on_call = false where name = 'alice'")
    b.execute("update doctors set on_call = false where name = 'bob'")
    a.execute("commit")
    with pytest.raises(psycopg.errors.SerializationFailure) as ei:
        b.execute("commit")
    d = ei.value.diag
    assert (d.sqlstate, d.message_primary) == ("40001", SSI_MESSAGE)
    assert d.message_detail == "Reason code: Canceled on identification as a pivot, during commit attempt."
    assert d.message_hint == "The transaction might succeed if retried."
    assert a.execute("select name from doctors where on_call").fetchall() == [("bob",)]


def test_repeatable_read_still_allows_write_skew(conns):
    a, b, _ = conns
    a.execute("drop table if exists doctors")
    a.execute("create table doctors (name text primary key, on_call bool)")
    a.execute("insert into doctors values ('alice', true), ('bob', true)")
    for c in (a, b):
        c.execute("begin isolation level repeatable read")
        c.execute("select count(*) from doctors where on_call")
    a.execute("update doctors set on_call = false where name = 'alice'")
    b.execute("update doctors set on_call = false where name = 'bob'")
    a.execute("commit")
    b.execute("commit")
    assert a.execute("select count(*) from doctors where on_call").fetchone() == (0,)


def test_disjoint_keys_do_not_conflict(conns):
    """Point reads and writes lock primary-key values, not the table: no false positive here."""
    a, b, _ = conns
    a.execute("drop table if exists acct")
    a.execute("create table acct (id int primary key, bal int)")
    a.execute("insert into acct select g, 100 from generate_series(1, 4) g")
    begin(a)
    begin(b)
    a.execute("update acct set bal = bal - 10 where id = 1")
    a.execute("update acct set bal = bal + 10 where id = 2")
    b.execute("update acct set bal = bal - 10 where id = 3")
    b.execute("update acct set bal = bal + 10 where id = 4")
    a.execute("commit")
    b.execute("commit")
    assert a.execute("select sum(bal) from acct").fetchone() == (400,)


def test_read_only_anomaly_fails_the_pivot_at_its_write(conns):
    """PostgreSQL's receipts/batch example: T1 reads the batch number, T2 closes the batch and
    commits, a READ ONLY T3 reports the closed batch; T1's insert into it would make the
    report wrong, so T1 fails on that INSERT."""
    t1, t2, t3 = conns
    t1.execute("drop table if exists control; drop table if exists receipts")
    t1.execute("create table control (id int primary key, batch int)")
    t1.execute("create table receipts (id serial primary key, batch int, amount int)")
    t1.execute("insert into control values (1, 1)")
    begin(t1)
    assert t1.execute("select batch from control where id = 1").fetchone() == (1,)
    begin(t2)
    t2.execute("update control set batch = batch + 1 where id = 1")
    t2.execute("commit")
    begin(t3, "read only")
    assert t3.execute("select batch from control where id = 1").fetchone() == (2,)
    assert t3.execute("select count(*) from receipts where batch = 1").fetchone() == (0,)
    t3.execute("commit")
    with pytest.raises(psycopg.errors.SerializationFailure) as ei:
        t1.execute("insert into receipts (batch, amount) values (1, 100)")
    assert ei.value.diag.message_detail == "Reason code: Canceled on identification as a pivot, during write."
    t1.execute("rollback")


def test_doomed_transaction_fails_at_next_read(conns):
    a, b, _ = conns
    a.execute("drop table if exists g2")
    a.execute("create table g2 (id int primary key, value int)")
    a.execute("insert into g2 values (1, 10), (2, 20)")
    begin(a)
    begin(b)
    a.execute("select * from g2 where value % 3 = 0")
    b.execute("select * from g2 where value % 3 = 0")
    a.execute("insert into g2 values (3, 30)")
    b.execute("insert into g2 values (4, 42)")
    a.execute("commit")
    with pytest.raises(psycopg.errors.SerializationFailure) as ei:
        b.execute("select * from g2")
    assert ei.value.diag.message_detail == ("Reason code: Canceled on identification as a pivot, "
                                            "during conflict out checking.")
    b.execute("rollback")


def test_read_only_deferrable_waits_for_a_safe_snapshot(conns):
    a, b, _ = conns
    a.execute("drop table if exists dfr")
    a.execute("create table dfr (id int primary key, v int)")
    a.execute("insert into dfr values (1, 1)")
    begin(a)
    a.execute("update dfr set v = 2 where id = 1")
    begin(b, "read only deferrable")
    assert b.execute("show transaction_deferrable").fetchone() == ("on",)
    with ThreadPoolExecutor(1) as pool:
        fut = pool.submit(lambda: b.execute("select v from dfr").fetchall())
        time.sleep(0.4)
        assert not fut.done(), "a deferrable transaction must wait while a serializable writer runs"
        a.execute("commit")
        assert fut.result(timeout=10) == [(1,)]  # its snapshot was taken before the commit
    b.execute("commit")
    begin(b, "read only deferrable")  # nothing running: no wait
    assert b.execute("select v from dfr").fetchall() == [(2,)]
    b.execute("commit")


# ---------------------------------------------------------------- Elle-style list append
KEYS = 5
LEVEL = "serializable"
THREADS = 4
SECONDS = 4.0


def _worker(dsn: str, seed: int, deadline: float, log: list) -> None:
    rnd = random.Random(seed)
    n = 0
    with psycopg.connect(dsn, autocommit=True) as c:
        while time.monotonic() < deadline:
            ops = []
            for _ in range(rnd.randint(1, 4)):
                k = rnd.randrange(KEYS)
                if rnd.random() < 0.5:
                    ops.append(("r", k, None))
                else:
                    n += 1
                    ops.append(("a", k, f"{seed}.{n}"))
            done = []
            try:
                c.execute(f"begin isolation level {LEVEL}")
                for kind, k, x in ops:
                    if kind == "r":
                        row = c.execute("select v from lists where k = %s", (k,)).fetchone()
                        done.append(("r", k, [] if row is None else row[0].split(",")))
                    else:
                        c.execute("insert into lists values (%s, %s) on conflict (k) do update "
                                  "set v = lists.v || ',' || excluded.v", (k, x))
                        done.append(("a", k, x))
                c.execute("commit")
                log.append(("ok", done))
            except (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected):
                c.execute("rollback")
                log.append(("fail", [op for op in ops if op[0] == "a"]))
            except psycopg.Error as e:  # anything else is a bug: the test reports it
                c.execute("rollback")
                log.append(("error", f"{e.diag.sqlstate}: {e}"))


def _find_cycle(edges: dict[int, set[int]], n: int) -> list[int] | None:
    color = [0] * n
    for start in range(n):
        if color[start]:
            continue
        stack = [(start, iter(edges.get(start, ())))]
        color[start] = 1
        path = [start]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                color[node] = 2
                stack.pop()
                path.pop()
            elif color[nxt] == 1:
                return path[path.index(nxt):] + [nxt]
            elif color[nxt] == 0:
                color[nxt] = 1
                stack.append((nxt, iter(edges.get(nxt, ()))))
                path.append(nxt)
    return None


def test_list_append_has_no_anomaly_at_serializable(pg_server):
    dsn = pg_server.pg_dsn()
    with connect(pg_server) as c:
        c.execute("drop table if exists lists")
        c.execute("create table lists (k int primary key, v text)")
    log: list = []
    deadline = time.monotonic() + SECONDS
    threads = [threading.Thread(target=_worker, args=(dsn, s, deadline, log)) for s in range(1, THREADS + 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with connect(pg_server) as c:
        final = {k: v.split(",") for k, v in c.execute("select k, v from lists").fetchall()}
    assert [ops for status, ops in log if status == "error"] == []
    committed = [ops for status, ops in log if status == "ok"]
    failed = [ops for status, ops in log if status == "fail"]
    assert len(committed) > 20 and failed, (len(committed), len(failed))  # real contention happened

    # every committed append is in the final list exactly once; no aborted append is
    appended_by: dict[str, int] = {}
    for i, ops in enumerate(committed):
        for kind, k, x in ops:
            if kind == "a":
                appended_by[x] = i
    for k, lst in final.items():
        assert len(lst) == len(set(lst)), f"key {k}: duplicated append"
        for x in lst:
            assert x in appended_by, f"key {k}: {x} from an aborted transaction is visible"
    for x, i in appended_by.items():
        k = next(k for kind, k, y in committed[i] if y == x)
        assert x in final.get(k, []), f"committed append {x} to key {k} was lost"

    # each read is a prefix of the final order (after the transaction's own appends), and the
    # write-write, write-read and read-write dependencies among committed transactions are acyclic
    edges: dict[int, set[int]] = {}
    for k, lst in final.items():
        for a, b in itertools.pairwise(lst):
            if appended_by[a] != appended_by[b]:
                edges.setdefault(appended_by[a], set()).add(appended_by[b])
    for i, ops in enumerate(committed):
        own: dict[int, list[str]] = {}
        for kind, k, v in ops:
            if kind == "a":
                own.setdefault(k, []).append(v)
                continue
            lst = final.get(k, [])
            assert v == lst[:len(v)], f"read of key {k} {v} is not a prefix of {lst}"
            others = [x for x in v if appended_by[x] != i]
            assert v[len(others):] == own.get(k, [])[:len(v) - len(others)], "own appends not read back"
            if others:
                w = appended_by[others[-1]]
                edges.setdefault(w, set()).add(i)  # wr
            nxt = len(others)
            following = [x for x in lst[nxt:] if appended_by[x] != i]
            if following and appended_by[following[0]] != i:
                edges.setdefault(i, set()).add(appended_by[following[0]])  # rw
    for src, dsts in edges.items():
        dsts.discard(src)
    cycle = _find_cycle(edges, len(committed))
    assert cycle is None, f"dependency cycle among committed transactions: {[committed[i] for i in cycle]}"


def test_transaction_mode_rules_as_postgres(conns):
    """PostgreSQL's answers: WARNINGs outside a block, READ WRITE only before the first query and
    never inside a read-only transaction's savepoint, COMMIT AND CHAIN keeps DEFERRABLE, and 25006
    names the statement."""
    a, _, _ = conns
    a.execute("drop table if exists modes")
    a.execute("create table modes (x int)")
    notices = []
    a.add_notice_handler(lambda n: notices.append((n.severity, n.sqlstate, n.message_primary)))
    a.execute("commit")
    assert notices == [
        ("WARNING", "25P01", "there is no transaction in progress")]
    a.execute("begin isolation level serializable read only deferrable")
    a.execute("select * from modes")
    with pytest.raises(psycopg.errors.ActiveSqlTransaction, match="must be set before any query"):
        a.execute("set transaction read write")
    a.execute("rollback")
    a.execute("begin read only")
    a.execute("savepoint x")
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction, match="inside a read-only transaction"):
        a.execute("set transaction read write")
    a.execute("rollback")
    a.execute("begin read only")
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction) as ei:
        a.execute("insert into modes values (1)")
    assert ei.value.diag.message_primary == "cannot execute INSERT in a read-only transaction"
    a.execute("rollback")
    a.execute("begin")  # READ ONLY set in a savepoint ends with it
    a.execute("savepoint x")
    a.execute("set transaction read only")
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        a.execute("insert into modes values (1)")
    a.execute("rollback to savepoint x")
    assert a.execute("show transaction_read_only").fetchone() == ("off",)
    a.execute("insert into modes values (1)")
    a.execute("savepoint y")
    a.execute("set transaction read only")
    a.execute("release savepoint y")
    assert a.execute("show transaction_read_only").fetchone() == ("off",)
    a.execute("insert into modes values (2)")
    a.execute("commit")
    assert a.execute("select count(*) from modes").fetchone() == (2,)
    a.execute("start transaction isolation level repeatable read, read write, deferrable")
    a.execute("commit and chain")
    assert a.execute("show transaction_deferrable").fetchone() == ("on",)
    a.execute("commit")


def test_transaction_ids(conns):
    """txid_current() is one value per transaction and grows from one transaction to the next;
    txid_current_if_assigned() is NULL until the transaction writes or asks for its id (PostgreSQL 15)."""
    a, b, _ = conns
    a.execute("drop table if exists txid_probe")
    a.execute("create table txid_probe (n int)")
    a.execute("begin")
    assert a.execute("select txid_current_if_assigned()").fetchone() == (None,)
    first = a.execute("select txid_current()").fetchone()[0]
    assert isinstance(first, int)
    assert a.execute("select txid_current(), txid_current_if_assigned()").fetchone() == (first, first)
    a.execute("commit")
    a.execute("begin")
    a.execute("insert into txid_probe values (1)")
    written = a.execute("select txid_current_if_assigned()").fetchone()[0]
    assert written is not None and written > first
    assert b.execute("select txid_current()").fetchone()[0] not in (first, written)
    a.execute("commit")
    assert a.execute("select txid_current()").fetchone()[0] > written  # each statement its own transaction
    assert a.execute("select pg_typeof(txid_current())::text").fetchone() == ("bigint",)
    a.execute("drop table txid_probe")
