"""pg_dump 15 of a HeliosDB database restores into PostgreSQL 15 with no error and the same data.

The dump must come out in an order PostgreSQL can replay (tables before the views on them,
sequences before the defaults that call them) with every name qualified (pg_dump empties
search_path), which is what pg_depend, pg_rewrite and the pg_get_* functions tell pg_dump.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from helios_core.testing import HeliosServer, start_server

PG_DUMP = Path("/usr/lib/postgresql/15/bin/pg_dump")
PSQL = Path("/usr/lib/postgresql/15/bin/psql")

SCHEMA = """
create table customers (id serial primary key, name text not null, email text unique,
                        created timestamptz default now());
create schema billing;
create table billing.invoices (id bigint primary key, customer_id int references customers(id),
                               total numeric(10,2) check (total >= 0), note varchar(20), tags text[]);
create index invoices_customer on billing.invoices (customer_id);
create view billing.big_invoices as select id, total from billing.invoices where total > 100;
create view customer_totals as
    select c.name, sum(i.total) as total from customers c join billing.invoices i on i.customer_id = c.id
    group by c.name;
create table people (id int generated always as identity primary key, name text not null, sku text);
comment on table people is 'who is who';
comment on column people.name is 'full name';
create unique index people_lower_sku on people (lower(sku));
create index people_named on people (name) where name <> '';
create role dump_reader login;
grant select on people to dump_reader;
insert into people (name, sku) values ('ann', 'A1'), ('bob', 'b2');
insert into customers (name, email) values ('ann', 'ann@example.com'), ('bob', null), ('o''hara', 'x@y');
insert into billing.invoices values (1, 1, 150.50, 'first', '{a,b}'), (2, 1, 20.00, null, null),
                                    (3, 3, 999.99, 'tab	and "quote"', '{}');
create table notes (id int primary key, body jsonb, title text generated always as (body ->> 'title') stored,
                    touched int default 0);
create function add_tax(amount numeric, rate numeric default 0.2) returns numeric language sql immutable
    as 'select amount * (1 + rate)';
create function bump() returns trigger language plpgsql as $$
begin
  new.touched := coalesce(old.touched, 0) + 1;
  return new;
end $$;
create trigger notes_bump before insert or update on notes for each row execute function bump();
insert into notes (id, body) values (1, '{"title": "hi"}');
create materialized view note_titles as select id, title from notes;
create unique index note_titles_id on note_titles (id);
"""

CHECKS = [
    "select id, name, email from customers order by id",
    "select id, customer_id, total, note, tags from billing.invoices order by id",
    "select * from billing.big_invoices order by id",
    "select * from customer_totals order by name",
    "select nextval('customers_id_seq')",
    "select id, name, sku from people order by id",
    "select obj_description('people'::regclass), col_description('people'::regclass, 2)",
    "select indexname from pg_indexes where tablename = 'people' order by 1",
    "select has_table_privilege('dump_reader', 'people', 'SELECT'), has_table_privilege('dump_reader', 'people', 'INSERT')",
    "select attname, attidentity from pg_attribute where attrelid = 'people'::regclass and attnum > 0 order by attnum",
    "select id, title, touched from notes",
    "select * from note_titles",
    "select add_tax(10), add_tax(10, 0.5)",
    "select tgname from pg_trigger where tgrelid = 'notes'::regclass",
    "select attname, attgenerated from pg_attribute where attrelid = 'notes'::regclass and attnum > 0 order by attnum",
]

pytestmark = pytest.mark.skipif(not PG_DUMP.exists(), reason="needs pg_dump 15 (postgresql-15)")


@pytest.fixture(scope="module")
def helios(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    srv = start_server(tmp_path_factory.mktemp("pgdump"), only=["postgres"])
    try:
        yield srv
    finally:
        srv.stop()


def _rows(dsn: str, query: str) -> list[tuple]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(query).fetchall()


def test_dump_restores_into_postgresql_with_the_same_data(helios, postgres_dsn):
    with psycopg.connect(helios.pg_dsn(), autocommit=True) as conn:
        conn.execute("create database dump_src")
    src = helios.pg_dsn(database="dump_src")
    with psycopg.connect(src, autocommit=True) as conn:
        conn.execute(SCHEMA)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    dump = subprocess.run(
        [
            str(PG_DUMP),
            "-h",
            "127.0.0.1",
            "-p",
            str(helios.port("postgres")),
            "-U",
            "helios",
            "--no-owner",
            "dump_src",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert dump.returncode == 0, dump.stderr
    assert dump.stderr == ""
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_roles where rolname = 'dump_reader'").fetchone():
            conn.execute("create role dump_reader login")
        conn.execute("drop database if exists helios_restored")
        conn.execute("create database helios_restored")
    target = postgres_dsn.replace("dbname=postgres", "dbname=helios_restored")
    restore = subprocess.run(
        [str(PSQL), "-X", "-v", "ON_ERROR_STOP=1", "-d", target],
        input=dump.stdout,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert restore.returncode == 0, restore.stderr + "\n--- dump ---\n" + dump.stdout
    for query in CHECKS:
        assert _rows(target, query) == _rows(src, query), query


PG_DUMPALL = PG_DUMP.parent / "pg_dumpall"
CREATEDB = PG_DUMP.parent / "createdb"


def _client_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def test_createdb_with_template0_and_encoding(helios):
    port = str(helios.port("postgres"))
    ok = subprocess.run(
        [
            str(CREATEDB),
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-U",
            "helios",
            "-T",
            "template0",
            "-E",
            "UTF8",
            "made_by_createdb",
        ],
        capture_output=True,
        text=True,
        env=_client_env(),
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    refused = subprocess.run(
        [str(CREATEDB), "-h", "127.0.0.1", "-p", port, "-U", "helios", "-E", "LATIN1", "latin_db"],
        capture_output=True,
        text=True,
        env=_client_env(),
        timeout=60,
        check=False,
    )
    assert refused.returncode == 1
    assert "CREATE DATABASE with ENCODING LATIN1 is not supported" in refused.stderr
    names = [r[0] for r in _rows(helios.pg_dsn(), "select datname from pg_database")]
    assert "made_by_createdb" in names and "latin_db" not in names


def test_pg_dumpall_restores_into_a_fresh_heliosdb(tmp_path):
    source = start_server(tmp_path / "source", only=["postgres"])
    fresh = start_server(tmp_path / "fresh", only=["postgres"])
    try:
        with psycopg.connect(source.pg_dsn(), autocommit=True) as conn:
            conn.execute('create database "Shop"')
            conn.execute("create role dumpall_clerk login password 'pw'")
        with psycopg.connect(source.pg_dsn(database="Shop"), autocommit=True) as conn:
            conn.execute("create table items (id serial primary key, name text)")
            conn.execute("comment on column items.name is 'what it is'")
            conn.execute("insert into items (name) values ('bolt'), ('nut')")
            conn.execute("create table tickets (id int generated always as identity primary key, title text)")
            conn.execute("insert into tickets (title) values ('first'), ('second')")
        dump = subprocess.run(
            [str(PG_DUMPALL), "-h", "127.0.0.1", "-p", str(source.port("postgres")), "-U", "helios"],
            capture_output=True,
            text=True,
            env=_client_env(),
            timeout=120,
            check=False,
        )
        assert dump.returncode == 0, dump.stderr
        restore = subprocess.run(
            [
                str(PSQL),
                "-X",
                "-h",
                "127.0.0.1",
                "-p",
                str(fresh.port("postgres")),
                "-U",
                "helios",
                "-d",
                "postgres",
            ],
            input=dump.stdout,
            capture_output=True,
            text=True,
            env=_client_env(),
            timeout=120,
            check=False,
        )
        errors = [line for line in restore.stderr.splitlines() if "ERROR" in line]
        # what a fresh server already has, as restoring into a fresh PostgreSQL cluster reports too
        expected = ('role "helios" already exists', 'database "helios" already exists')
        assert all(any(e in line for e in expected) for line in errors), restore.stderr
        shop = fresh.pg_dsn(database="Shop")
        assert _rows(shop, "select id, name from items order by id") == [(1, "bolt"), (2, "nut")]
        assert _rows(shop, "select nextval('items_id_seq')") == [(3,)]
        assert _rows(shop, "select col_description('items'::regclass, 2)") == [("what it is",)]
        with psycopg.connect(shop, autocommit=True) as conn:  # still an identity column, continuing after 2
            assert conn.execute("insert into tickets (title) values ('third') returning id").fetchone() == (
                3,
            )
            with pytest.raises(psycopg.errors.GeneratedAlways):
                conn.execute("insert into tickets (id, title) values (9, 'forced')")
        assert _rows(fresh.pg_dsn(), "select rolcanlogin from pg_roles where rolname = 'dumpall_clerk'") == [
            (True,)
        ]
    finally:
        source.stop()
        fresh.stop()
