"""pg_stat_user_tables, pg_stat_user_indexes and pg_locks through psycopg against a real server."""

from __future__ import annotations

import psycopg

from helios_core.testing import HeliosServer

_COUNTERS = ("select seq_scan, seq_tup_read, idx_scan, idx_tup_fetch, n_tup_ins, n_tup_upd, n_tup_del, "
             "n_live_tup, n_dead_tup from pg_stat_user_tables where relname = 'act_t'")


def test_table_and_index_counters(server: HeliosServer) -> None:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        conn.execute("create table act_t (id int primary key, v text)")
        conn.execute("create table act_plain (a int)")
        for i in range(6):
            conn.execute("insert into act_t values (%s, %s)", (i, f"v{i}"))
        before = conn.execute(_COUNTERS).fetchone()
        conn.execute("select * from act_t").fetchall()  # one sequential scan of 6 rows
        after = conn.execute(_COUNTERS).fetchone()
        assert (after[0] - before[0], after[1] - before[1]) == (1, 6)
        for i in range(3):
            conn.execute("select v from act_t where id = %s", (i,)).fetchall()  # primary-key reads
        conn.execute("select v from act_t where id = 99").fetchall()  # a key read that finds nothing
        reads = conn.execute(_COUNTERS).fetchone()
        assert (reads[2] - after[2], reads[3] - after[3]) == (4, 3)
        conn.execute("update act_t set v = 'new' where id = 4")
        conn.execute("delete from act_t where id = 5")
        _, _, _, _, ins, upd, dele, live, dead = conn.execute(_COUNTERS).fetchone()
        assert (ins, upd, dele) == (6, 1, 1)
        assert live == 5 and dead >= 2  # the replaced and the deleted version
        plain = conn.execute("select idx_scan, n_live_tup from pg_stat_user_tables where relname = 'act_plain'"
                             ).fetchone()
        assert plain == (None, 0)  # no index: NULL, as PostgreSQL
        index = conn.execute("select indexrelname, idx_scan from pg_stat_user_indexes where relname = 'act_t'"
                             ).fetchone()
        final = conn.execute(_COUNTERS).fetchone()
        assert index == ("act_t_pkey", final[2])
        names = {r[0] for r in conn.execute("select relname from pg_stat_user_tables").fetchall()}
        assert not any(n.startswith("pg_") for n in names)


def test_pg_locks_shows_table_virtualxid_and_advisory_locks(server: HeliosServer) -> None:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as holder, \
            psycopg.connect(server.pg_dsn(), autocommit=True) as watcher:
        holder.execute("create table lock_t (a int)")
        holder.execute("begin")
        holder.execute("lock table lock_t in access exclusive mode")
        holder.execute("select pg_advisory_lock(4242)")
        rows = watcher.execute(
            "select locktype, relation::regclass::text, mode, granted, objid, objsubid from pg_locks "
            "where pid = %s order by locktype", (holder.info.backend_pid,)).fetchall()
        assert ("relation", "lock_t", "AccessExclusiveLock", True, None, None) in rows
        assert ("advisory", None, "ExclusiveLock", True, 4242, 1) in rows
        assert any(r[0] == "virtualxid" and r[3] for r in rows)
        holder.execute("rollback")
        holder.execute("select pg_advisory_unlock(4242)")
        left = watcher.execute("select locktype, mode from pg_locks where pid = %s", (holder.info.backend_pid,)
                               ).fetchall()
        assert left == []
