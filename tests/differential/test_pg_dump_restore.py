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
alter table people enable row level security;
create policy people_named on people for select to dump_reader using (name <> '');
create policy people_sku on people as restrictive for update using (sku is not null) with check (sku <> '');
create extension pg_trgm;
create type billing.money_pair as (amount numeric(10,2), "Currency" text);
create table billing.ledger (id int primary key, entry billing.money_pair, history billing.money_pair[]);
insert into billing.ledger values (1, '(12.50,EUR)', array['(1.00,"U S D")'::billing.money_pair, null]), (2, null, '{}');
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
    "select policyname, permissive, roles, cmd, qual is null, with_check is null from pg_policies order by 1",
    "select relrowsecurity, relforcerowsecurity from pg_class where oid = 'people'::regclass",
    "select extname from pg_extension where extname = 'pg_trgm'",
    "select similarity('postgres', 'postgis')",
    "select id, entry, (entry).\"Currency\", history from billing.ledger order by id",
    ("select attname, format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'billing.money_pair'::regclass "
    "order by attnum"),
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


PG_RESTORE = PG_DUMP.parent / "pg_restore"

# an application's schema as it lives in PostgreSQL 15: what a migration brings along
PG_SCHEMA = """
create extension if not exists pgcrypto;
create schema app;
create sequence app.order_no start 1000 increment 5;
create table app.accounts (
    id bigserial primary key, email text not null unique, name text not null,
    password_hash text, created_at timestamptz not null default now(), updated_at timestamptz,
    tenant text not null default current_user, balance numeric(12,2) not null default 0 check (balance >= 0));
comment on table app.accounts is 'customer accounts';
comment on column app.accounts.email is 'login e-mail';
create table app.orders (
    id int generated by default as identity primary key,
    order_no int not null default nextval('app.order_no'),
    account_id bigint not null references app.accounts(id) on delete cascade,
    status text not null default 'new' check (status in ('new', 'paid', 'shipped')),
    total numeric(10,2) not null, items jsonb not null default '[]', placed date default current_date,
    unique (account_id, order_no));
create index orders_status on app.orders (status) where status <> 'shipped';
create index orders_placed on app.orders (placed desc, id);
create view app.account_totals as
    select a.id, a.email, count(o.id) as orders, coalesce(sum(o.total), 0) as spent
    from app.accounts a left join app.orders o on o.account_id = a.id group by a.id, a.email;
create function app.touch() returns trigger language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end $$;
create trigger accounts_touch before update on app.accounts for each row execute function app.touch();
create function app.order_count(acc bigint) returns bigint language sql stable
    as 'select count(*) from app.orders where account_id = acc';
create table app.audit (id bigserial primary key, at timestamptz default now(), what text);
create function app.audit_order() returns trigger language plpgsql as $$
begin
  insert into app.audit (what) values (tg_op || ' ' || new.id);
  return new;
end $$;
create trigger orders_audit after insert on app.orders for each row execute function app.audit_order();
alter table app.orders enable row level security;
create policy tenant_orders on app.orders using (
    exists (select 1 from app.accounts a where a.id = account_id and a.tenant = current_user));
create role app_reader;
grant usage on schema app to app_reader;
grant select on all tables in schema app to app_reader;
insert into app.accounts (email, name, password_hash, tenant) values
    ('ann@example.com', 'Ann', crypt('pw', '$1$saltsalt$'), 'app_reader'),
    ('bob@example.com', 'Bob', null, 'nobody');
insert into app.orders (account_id, total, items) values
    (1, 10.50, '[{"sku": "a"}]'), (1, 99.99, '[]'), (2, 5.00, '[{"sku": "b", "n": 2}]');
update app.orders set status = 'paid' where id = 2;
"""

PG_CHECKS = [
    "select id, email, name, password_hash, tenant, balance from app.accounts order by id",
    "select id, order_no, account_id, status, total, items, placed is not null from app.orders order by id",
    "select * from app.account_totals order by id",
    "select app.order_count(1), nextval('app.order_no')",
    "select count(*) from app.audit",
    "select obj_description('app.accounts'::regclass), col_description('app.accounts'::regclass, 2)",
    "select indexname from pg_indexes where schemaname = 'app' order by 1",
    ("select tgname from pg_trigger where tgrelid in ('app.accounts'::regclass, 'app.orders'::regclass) "
    "and not tgisinternal order by 1"),
    "select policyname, cmd, roles from pg_policies where schemaname = 'app'",
    "select relrowsecurity from pg_class where oid = 'app.orders'::regclass",
    ("select has_table_privilege('app_reader', 'app.orders', 'SELECT'), "
    "has_table_privilege('app_reader', 'app.orders', 'INSERT')"),
    "select conname from pg_constraint where conrelid = 'app.orders'::regclass order by 1",
    "select extname from pg_extension where extname = 'pgcrypto'",
]


def _pg_source(postgres_dsn: str) -> str:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_roles where rolname = 'app_reader'").fetchone():
            conn.execute("create role app_reader")
        conn.execute("drop database if exists app_src")
        conn.execute("create database app_src")
    src = postgres_dsn.replace("dbname=postgres", "dbname=app_src")
    with psycopg.connect(src, autocommit=True) as conn:
        conn.execute(PG_SCHEMA.replace("create role app_reader;", ""))
    return src


def _pg_args(dsn: str) -> list[str]:
    parts = dict(p.split("=", 1) for p in dsn.split())
    return ["-h", parts["host"], "-p", parts["port"], "-U", parts["user"], parts["dbname"]]


@pytest.mark.parametrize("fmt", ["plain", "custom"])
def test_postgresql_dump_restores_into_heliosdb(helios, postgres_dsn, fmt, tmp_path):
    """A realistic PostgreSQL 15 schema: pg_dump (plain through psql, custom through pg_restore)."""
    src = _pg_source(postgres_dsn)
    out = tmp_path / f"app.{fmt}"
    dump = subprocess.run([str(PG_DUMP), "-F", "p" if fmt == "plain" else "c", "-f", str(out), *_pg_args(src)],
                          capture_output=True, text=True, env=_client_env(), timeout=120, check=False)
    assert dump.returncode == 0, dump.stderr
    db = f"app_{fmt}"
    with psycopg.connect(helios.pg_dsn(), autocommit=True) as conn:
        conn.execute(f"drop database if exists {db}")
        conn.execute(f"create database {db}")
        for role in ("app_reader", "postgres"):  # the globals a migration restores first (pg_dumpall -g)
            if not conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
                conn.execute(f"create role {role}")
    port = str(helios.port("postgres"))
    if fmt == "plain":
        restore = subprocess.run([str(PSQL), "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", port,
                                  "-U", "helios", "-d", db, "-f", str(out)],
                                 capture_output=True, text=True, env=_client_env(), timeout=120, check=False)
    else:
        restore = subprocess.run([str(PG_RESTORE), "--exit-on-error", "-h", "127.0.0.1", "-p", port,
                                  "-U", "helios", "-d", db, str(out)],
                                 capture_output=True, text=True, env=_client_env(), timeout=120, check=False)
    assert restore.returncode == 0, restore.stderr
    target = helios.pg_dsn(database=db)
    for query in PG_CHECKS:
        assert _rows(target, query) == _rows(src, query), query


def test_pg_dumpall_globals_only_both_ways(helios, postgres_dsn, tmp_path):
    """Roles with their attributes and memberships move from PostgreSQL to HeliosDB and back."""
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        for stmt in ("create role globals_owner login createdb password 'x'",
                     "create role globals_member nologin bypassrls", "grant globals_owner to globals_member"):
            _ignore_exists(conn, stmt)
    dump = subprocess.run([str(PG_DUMPALL), "--globals-only", *_pg_args(postgres_dsn)[:-1]],
                          capture_output=True, text=True, env=_client_env(), timeout=120, check=False)
    assert dump.returncode == 0, dump.stderr
    port = str(helios.port("postgres"))
    restore = subprocess.run([str(PSQL), "-X", "-h", "127.0.0.1", "-p", port, "-U", "helios", "-d", "helios"],
                             input=dump.stdout, capture_output=True, text=True, env=_client_env(), timeout=120,
                             check=False)
    errors = [line for line in restore.stderr.splitlines() if "ERROR" in line]
    assert all('role "postgres" already exists' in line or "already exists" in line for line in errors), \
        restore.stderr
    query = ("select rolname, rolcanlogin, rolcreatedb, rolbypassrls, rolsuper from pg_roles "
             "where rolname like 'globals_%' order by 1")
    assert _rows(helios.pg_dsn(), query) == _rows(postgres_dsn, query)
    member = ("select pg_has_role('globals_member', 'globals_owner', 'MEMBER')")
    assert _rows(helios.pg_dsn(), member) == [(True,)]
    back = subprocess.run([str(PG_DUMPALL), "--globals-only", "-h", "127.0.0.1", "-p", port, "-U", "helios"],
                          capture_output=True, text=True, env=_client_env(), timeout=120, check=False)
    assert back.returncode == 0, back.stderr
    assert "CREATE ROLE globals_member" in back.stdout and "GRANT globals_owner TO globals_member" in back.stdout
    into_pg = subprocess.run([str(PSQL), "-X", "-d", postgres_dsn], input=back.stdout, capture_output=True,
                             text=True, env=_client_env(), timeout=120, check=False)
    assert into_pg.returncode == 0, into_pg.stderr
    bad = [line for line in into_pg.stderr.splitlines() if "ERROR" in line and "already exists" not in line]
    assert bad == [], into_pg.stderr


def _ignore_exists(conn: psycopg.Connection, stmt: str) -> None:
    try:
        conn.execute(stmt)
    except psycopg.errors.DuplicateObject:
        pass
