"""Statement scripts run on a real PostgreSQL 15 and on HeliosDB: tags, SQLSTATEs and rows must agree.

Each script runs statement by statement on a fresh PostgreSQL database (psycopg, autocommit so
BEGIN/COMMIT in the script drive the transaction) and on a fresh HeliosDB session. For every
statement the command tag (or the SQLSTATE of the error) and the returned rows are compared.
The PostgreSQL cluster is created with initdb in a temporary directory on a free loopback
port and removed at the end; without the Debian postgresql-15 binaries the test is skipped.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import helios_core
from helios_core.errors import HeliosError

PG_BIN = Path(os.environ.get("HELIOS_PG_BIN", "/usr/lib/postgresql/15/bin"))

SCRIPTS: dict[str, list[str]] = {
    "ddl_and_dml_tags": [
        "create table t (id serial primary key, v text not null default 'd', n numeric(8,2))",
        "insert into t (v, n) values ('a', 1.5), ('b', 2)",
        "insert into t (v) values ('c') returning id, v, n",
        "insert into t default values returning id, v",
        "update t set n = n * 2 where n is not null returning id, n",
        "update t set v = 'zz' where false",
        "delete from t where id = 3 returning *",
        "select id, v, n from t order by id",
        "insert into t (id, v) values (1, 'dup')",
        "insert into t (v) values (null)",
        "insert into t (id, v) values (1, 'x') on conflict (id) do update set v = excluded.v || t.v returning id, v",
        "insert into t (id, v) values (1, 'y'), (50, 'z') on conflict do nothing",
        "select id, v from t order by id",
        "truncate t",
        "select count(*) from t",
        "drop table t",
        "drop table t",
        "drop table if exists t",
    ],
    "with_on_data_modifying_statements": [
        "create table wz (a int primary key, v text)",
        "with aa as (select 1 a) insert into wz select a, 'x' from aa",
        "with aa as (select 2 a) insert into wz values ((select a from aa), 'y')",
        "with aa as (select 1 a) update wz set v = 'u' from aa where wz.a = aa.a returning wz.*",
        "with aa as (select 2 a) update wz set v = (select 'w' from aa where aa.a = wz.a) returning *",
        "with aa as (select 1 a) insert into wz values (1, 'c') on conflict (a) do update set v = (select 'conf' || a from aa) returning *",
        "with aa as (select 2 a) delete from wz using aa where wz.a = aa.a returning wz.*",
        "with t as (delete from wz returning *) insert into wz select a + 10, v from t returning *",
        ("with recursive t(a) as (select 0 union all select a + 1 from t where a + 1 < 3), "
         "t2 as (insert into wz select a, 'r' from t returning *) select * from t2 order by a"),
        "with x as (select 5 a) merge into wz using x on wz.a = x.a when not matched then insert values (x.a, 'm')",
        "select * from wz order by a",
        "with wz as (select 99 a) insert into wz select a, 'target is the table' from wz",
        "select * from wz order by a",
    ],
    "storage_parameters": [
        "create table sp1 (a int) with (fillfactor = 70, autovacuum_enabled = false)",
        "create table sp2 (a int) with (foo = 1)",
        "create table sp3 (a int) with (toast.autovacuum_enabled = false, parallel_workers = 2)",
        "create table sp4 (a int) with (toast.fillfactor = 50)",
        "create table sp5 (a int) with (bar.x = 1)",
        "create table sp6 (a int) without oids",
        "create table sp7 (a int) with (oids = false)",
        "create table sp8 (a int) with (oids = true)",
        "insert into sp1 values (1), (2)",
        "insert into sp6 values (3)",
        "select a from sp1 order by a",
        "select a from sp6",
    ],
    "constraints": [
        "create table p (id int primary key, code text unique)",
        "create table c (id int primary key, pid int references p on delete cascade, v int check (v > 0))",
        "insert into p values (1, 'a'), (2, 'b')",
        "insert into c values (10, 1, 5), (11, 2, 6)",
        "insert into c values (12, 3, 1)",
        "insert into c values (13, 1, 0)",
        "insert into p values (3, 'a')",
        "update p set code = 'b' where id = 1",
        "delete from p where id = 1",
        "select id, pid from c order by id",
        "alter table c add constraint small check (v < 100)",
        "insert into c values (14, 2, 1000)",
        "alter table c drop constraint small",
        "insert into c values (14, 2, 1000)",
        "drop table p",
        "drop table p cascade",
        "insert into c values (15, 99, 1)",
    ],
    "transactions": [
        "create table tx (a int primary key)",
        "begin",
        "insert into tx values (1)",
        "savepoint s1",
        "insert into tx values (1)",
        "select 1",
        "rollback to savepoint s1",
        "insert into tx values (2)",
        "release savepoint s1",
        "commit",
        "select a from tx order by a",
        "begin",
        "select 1 / 0",
        "select 1",
        "commit",
        "commit",
        "rollback",
        "savepoint nope",
        "begin isolation level repeatable read",
        "set transaction isolation level read committed",
        "show transaction_isolation",
        "rollback",
    ],
    "sequences_and_identity": [
        "create sequence s start 10 increment 5",
        "select nextval('s'), nextval('s')",
        "select currval('s')",
        "select setval('s', 100)",
        "select nextval('s')",
        "create sequence s2 maxvalue 2",
        "select nextval('s2'), nextval('s2')",
        "select nextval('s2')",
        "create table g (id int generated always as identity, v int)",
        "insert into g (v) values (1), (2) returning id",
        "insert into g (id, v) values (9, 9)",
        "insert into g overriding system value values (9, 9)",
        "select id, v from g order by id",
        "alter sequence s restart with 7",
        "select nextval('s')",
        "drop sequence s",
        "select nextval('s')",
    ],
    "schemas_views_alter": [
        "create schema app",
        "create schema app",
        "create table app.items (id int primary key, name text)",
        "insert into app.items values (1, 'one'), (2, 'two')",
        "create view app.v as select id, upper(name) as up from app.items where id > 1",
        "select * from app.v",
        "drop table app.items",
        "alter table app.items add column qty int default 3",
        "select id, qty from app.items order by id",
        "alter table app.items rename column name to label",
        "select label from app.items order by id",
        "alter table app.items rename to things",
        "select count(*) from app.things",
        "create index things_label on app.things (label)",
        "create unique index things_qty on app.things (qty)",
        "drop schema app",
        "drop schema app cascade",
    ],
    "assignment_casts_and_joins": [
        "create table a (id int primary key, s varchar(3), c char(4), n numeric(5,2), b boolean, d date)",
        "insert into a values (1, 'abc', 'x', 1.005, 't', '2024-02-29')",
        "insert into a values (2, 'abcd', 'x', 1, true, null)",
        "insert into a values (2, 'ab', 'x', 12345.6, true, null)",
        "insert into a values (2, 'ab', 'x', '7.125', 'no', '2024-03-01')",
        "insert into a values (3000000000, 'a', 'x', 1, true, null)",
        "insert into a values ('4', 'a', 'x', 1, 'maybe', null)",
        "insert into a (id, n) values (5.5, 2)",
        "select id, s, c, n, b, d from a order by id",
        "create table j (id int, w text)",
        "insert into j values (1, 'J1'), (2, 'J2'), (2, 'J2b'), (9, 'none')",
        "update a set s = left(j.w, 3) from j where j.id = a.id and j.w like 'J%' returning a.id, a.s",
        "delete from a using j where j.id = a.id and j.w = 'J1' returning a.id",
        "select id, s from a order by id",
        "insert into a (id, s) values (6, 'q') on conflict (id) do update set s = 'never' where a.s = 'zzz'",
        ("insert into a (id, s) values (6, 'r') on conflict (id) do update set s = excluded.s where a.s = 'q' "
        "returning id, s"),
        "insert into a (id, s) values (7, 'x'), (7, 'y') on conflict (id) do update set s = excluded.s",
        "insert into a (id, s) values (7, 'x') on conflict (s) do nothing",
    ],
    "ddl_edges": [
        "create table d (id int primary key, v text)",
        "create table if not exists d (x int)",
        "insert into d values (1, 'a'), (2, 'b')",
        "alter table d add column must int not null",
        "alter table d add column fill int not null default 7",
        "select id, fill from d order by id",
        "alter table d alter column fill type bigint",
        "alter table d alter column v set not null",
        "insert into d (id) values (3)",
        "alter table d alter column v drop not null",
        "insert into d (id) values (3)",
        "alter table d rename to d",
        "create table d2 as select id, v from d where id < 3",
        "select * from d2 order by id",
        "create view dv (k, val) as select id, v from d",
        "select k, val from dv order by k",
        "alter table d alter column v type varchar(10)",
        "alter table d rename column v to w",
        "select k, val from dv order by k",
        "alter table d rename to dd",
        "select * from dv order by k",
        "alter table dd rename to d",
        "alter table d drop column w",
        "drop view dv",
        "alter table d drop column w",
        "create table t1 (a int); create table t2 (a int)",
        "alter table t1 rename to t2",
        "drop table t1, t2",
        "drop table d, d2",
        "create table r (id int references nosuch)",
        "create table k (a int, b int, primary key (a, b), unique (b))",
        "insert into k values (1, 1), (2, 2)",
        "insert into k values (1, 2)",
        "insert into k values (3, 1)",
        "select * from k order by a",
    ],
    "prepare_execute_and_more": [
        "create table pe (id int primary key, v text default 'dv', n int check (n >= 0))",
        "prepare ins (int, text) as insert into pe (id, v) values ($1, $2) returning id, v, n",
        "execute ins(1, 'one')",
        "execute ins(2, null)",
        "execute ins(1, 'again')",
        "execute ins('x', 'bad')",
        "prepare sel as select id, v from pe where id >= $1 order by id",
        "execute sel(1)",
        "execute sel",
        "deallocate sel",
        "execute sel(1)",
        "prepare ins (int) as select 1",
        "deallocate all",
        "insert into pe (id, n) select g, g * 10 from generate_series(3, 6) g order by g desc limit 2",
        "select id, v, n from pe order by id",
        "insert into pe (id, n) values (9, -1)",
        "update pe set n = -5 where id = 6",
        "begin",
        "declare hc cursor with hold for select id from pe order by id",
        "commit",
        "fetch forward 2 from hc",
        "fetch all from hc",
        "close hc",
        "close hc",
        "comment on table pe is 'people'",
        "comment on column pe.nope is 'x'",
    ],
    "transactional_ddl": [
        "create table base (id serial primary key, v int)",
        "insert into base (v) values (1), (2)",
        "begin",
        "create table tmp (a int)",
        "drop table base",
        "alter sequence base_id_seq restart with 100",
        "rollback",
        "select count(*) from base",
        "select * from tmp",
        "insert into base (v) values (3) returning id",
        "begin",
        "truncate base",
        "insert into base (v) values (4)",
        "select count(*) from base",
        "rollback",
        "select count(*) from base",
        "begin",
        "alter table base add column extra text default 'e'",
        "create index base_v on base (v)",
        "commit",
        "select id, v, extra from base order by id",
        "create index bad on base (nope)",
        "create index base_v on base (v)",
        "create index if not exists base_v on base (v)",
        "drop index base_v",
        "drop index if exists base_v",
        "create unique index base_uv on base (v)",
        "insert into base (v) values (1)",
        "begin",
        "insert into base (v) values (10)",
        "savepoint a",
        "drop table base",
        "rollback to a",
        "select count(*) from base",
        "commit",
    ],
    "dml_edges": [
        "create table e (id int primary key, grp int, amt numeric(10,2))",
        "insert into e select g, g % 3, g * 1.5 from generate_series(1, 9) g",
        ("update e set amt = (select max(amt) from e e2 where e2.grp = e.grp) where id in (select id from e where "
        "grp = 1)"),
        "select id, amt from e where grp = 1 order by id",
        "delete from e where amt > (select avg(amt) from e) returning id",
        "select count(*), sum(amt) from e",
        "update e set grp = grp + 10, amt = amt + grp returning id, grp, amt",
        ("insert into e (id, grp) values (1, 0) on conflict (id) do update set amt = e.amt * 2 "
        "returning id, grp, amt"),
        ("merge into e using (select g as id from generate_series(1, 3) g) s on e.id = s.id "
        "when matched and e.grp > 10 then delete when not matched then insert (id, grp, amt) values (s.id, 0, 0)"),
        "select id, grp, amt from e order by id",
        "merge into e using (values (1), (1)) s(id) on e.id = s.id when matched then update set grp = 99",
        "with moved as (delete from e where grp = 0 returning *) select count(*) from moved",
        "insert into e values (50, 1, 1), (51, 1, 1) returning id",
        "update e set id = id + 100 where id >= 50 returning id",
        "delete from e",
    ],
    "settings_and_errors": [
        "set application_name = 'x1'",
        "show application_name",
        "set statement_timeout = 1500",
        "show statement_timeout",
        "set datestyle = 'german'",
        "show datestyle",
        "reset datestyle",
        "show datestyle",
        "set no_such_thing = 1",
        "set extra_float_digits = 9",
        "set myapp.k = 'v'",
        "select current_setting('myapp.k')",
        "select set_config('myapp.k', 'w', false)",
        "show myapp.k",
        "selec 1",
        "select * from no_such_table",
        "create table e (a int)",
        "insert into e (nope) values (1)",
        "insert into e values ('x')",
        "insert into e values (1, 2)",
        "update e set nope = 1",
        "create table e (b int)",
        "discard all",
        "show application_name",
    ],
    "merge_and_cursors": [
        "create table m (id int primary key, v text)",
        "insert into m values (1, 'a'), (2, 'b')",
        ("merge into m using (values (2, 'B'), (3, 'C')) as s(id, v) on m.id = s.id "
        "when matched then update set v = s.v when not matched then insert values (s.id, s.v)"),
        "select id, v from m order by id",
        "begin",
        "declare cur cursor for select id from m order by id",
        "fetch 2 from cur",
        "move 1 in cur",
        "fetch next from cur",
        "close cur",
        "commit",
    ],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pg_conninfo() -> Iterator[str]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL 15 binaries not found in {PG_BIN} (Debian package postgresql-15)")
    psycopg = pytest.importorskip("psycopg", reason="psycopg is needed to talk to the reference PostgreSQL")
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root needs runuser to start PostgreSQL as the postgres user")
        prefix = ["runuser", "-u", "postgres", "--"]
    tmp = Path(tempfile.mkdtemp(prefix="helios-stmtpg-"))
    if prefix:
        shutil.chown(tmp, "postgres")
    data, port = tmp / "data", _free_port()
    subprocess.run([*prefix, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                    "--locale=C.UTF-8", "--no-sync"], check=True, capture_output=True)
    opts = (f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c timezone=UTC -c fsync=off "
            "-c synchronous_commit=off -c max_connections=20")
    subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(tmp / "log"), "-w",
                    "-t", "60", "start"], check=True, capture_output=True)
    try:
        yield f"host=127.0.0.1 port={port} user=postgres"
    finally:
        subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       check=False, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
        del psycopg


def _norm(rows: list[tuple] | None) -> list[tuple] | None:
    return None if rows is None else [tuple(str(v) if v is not None else None for v in r) for r in rows]


def _run_pg(conninfo: str, db: str, script: list[str]) -> list[tuple]:
    import psycopg

    with psycopg.connect(conninfo + " dbname=postgres", autocommit=True) as admin:
        admin.execute(f"drop database if exists {db}")
        admin.execute(f"create database {db}")
    out = []
    with psycopg.connect(conninfo + f" dbname={db}", autocommit=True) as conn:
        for sql in script:
            cur = conn.cursor()
            try:
                cur.execute(sql)
            except psycopg.Error as e:
                out.append(("error", e.sqlstate, None))
                continue
            rows = cur.fetchall() if cur.description is not None else None
            out.append(("ok", cur.statusmessage, _norm(rows)))
    return out


def _run_helios(script: list[str]) -> list[tuple]:
    s = helios_core.connect()
    out = []
    for sql in script:
        try:
            r = s.execute(sql)[-1]
        except HeliosError as e:
            out.append(("error", e.sqlstate, None))
            continue
        out.append(("ok", r.command_tag, _norm(r.rows()) if r.columns is not None else None))
    s.close()
    return out


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_statements_agree_with_postgresql(pg_conninfo: str, name: str) -> None:
    script = SCRIPTS[name]
    expected = _run_pg(pg_conninfo, f"d_{name}", script)
    got = _run_helios(script)
    diffs = [f"{sql}\n    postgres: {e}\n    helios:   {g}" for sql, e, g in zip(script, expected, got, strict=True)
             if e != g]
    assert not diffs, "\n".join(diffs)
