"""psql (the real /usr/bin/psql) against a real ``helios serve``: scripts, the \\d family, \\copy."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("psql") is None, reason="needs the psql client (postgresql-client)")


def psql(pg_server, script: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PGHOST=pg_server.host, PGPORT=str(pg_server.port("postgres")), PGUSER="helios",
               PGDATABASE="helios", PSQLRC="/dev/null", PGCONNECT_TIMEOUT="10")
    return subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", *args], input=script, text=True,
                          capture_output=True, env=env, timeout=60, check=check)


@pytest.fixture(scope="module")
def schema(pg_server) -> None:
    psql(pg_server, """
        drop table if exists ps_child;
        drop table if exists ps_parent;
        create table ps_parent (id int primary key, name text not null default 'x', price numeric(10,2) unique,
                                check (price > 0));
        create table ps_child (id serial primary key, parent_id int references ps_parent(id), note varchar(40));
        create index ps_child_note on ps_child (note);
        create view ps_view as select id, name from ps_parent;
        create schema ps_other;
    """)


def test_script_with_results_and_errors(pg_server) -> None:
    out = psql(pg_server, "select 1 as one, 'two' as two;\nselect 1/0;\n", "-v", "ON_ERROR_STOP=0").stdout
    assert " one | two " in out and "(1 row)" in out
    err = psql(pg_server, "select 1/0;", check=False)
    assert err.returncode == 3 and "division by zero" in err.stderr


def test_list_tables_views_indexes_schemas(pg_server, schema) -> None:
    out = psql(pg_server, "\\dt\n\\dv\n\\di\n\\dn\n\\ds\n").stdout
    assert "| ps_parent | table" in out and "| ps_child  | table" in out
    assert "| ps_view | view" in out
    assert "ps_child_note" in out and "ps_parent_pkey" in out and "ps_parent_price_key" in out
    assert "ps_other" in out and "public" in out
    assert "ps_child_id_seq" in out


def test_describe_table(pg_server, schema) -> None:
    out = psql(pg_server, "\\d ps_parent\n").stdout
    assert 'Table "public.ps_parent"' in out
    assert " id     | integer       |           | not null | " in out
    assert " name   | text          |           | not null | 'x'" in out
    assert " price  | numeric(10,2) |" in out
    assert '"ps_parent_pkey" PRIMARY KEY, btree (id)' in out
    assert '"ps_parent_price_key" UNIQUE CONSTRAINT, btree (price)' in out
    assert "CHECK (price > " in out
    assert "Referenced by:" in out and 'TABLE "ps_child" CONSTRAINT "ps_child_parent_id_fkey"' in out
    child = psql(pg_server, "\\d ps_child\n\\d+ ps_child\n").stdout
    assert "nextval('ps_child_id_seq'::regclass)" in child
    assert "Foreign-key constraints:" in child and "REFERENCES ps_parent(id)" in child
    assert "character varying(40)" in child and "Access method: heap" in child


def test_describe_view_roles_databases_functions(pg_server, schema) -> None:
    out = psql(pg_server, "\\d ps_view\n\\du\n\\l\n\\df\n").stdout
    assert 'View "public.ps_view"' in out
    assert " id     | integer |" in out  # view column types come from planning the view
    assert "helios" in out and "Superuser" in out
    assert "List of databases" in out and " postgres " in out
    assert "List of functions" in out


def test_list_extensions(pg_server) -> None:
    out = psql(pg_server, "\\dx\n").stdout
    assert "List of installed extensions" in out and " plpgsql " in out


def test_copy_from_and_to_files(pg_server, schema, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("".join(f"{i},name {i},{i}.50\n" for i in range(1, 201)))
    dst = tmp_path / "out.txt"
    out = psql(pg_server, f"""
        delete from ps_child;
        delete from ps_parent;
        \\copy ps_parent (id, name, price) from '{src}' with (format csv)
        select count(*), sum(price) from ps_parent;
        \\copy (select id, name from ps_parent where id <= 3 order by id) to '{dst}'
    """).stdout
    assert "COPY 200" in out
    assert " 200 | 20200.00" in out
    assert dst.read_text() == "1\tname 1\n2\tname 2\n3\tname 3\n"


def test_describe_partitioned_table_and_function_source(pg_server) -> None:
    """psql's \\d of a partitioned table asks pg_partition_ancestors('<oid>'); \\sf asks
    pg_get_functiondef; \\dx shows each extension's description."""
    out = psql(pg_server, """
        drop table if exists ps_events;
        create table ps_events (id int, t int, kind text check (kind <> ''), primary key (t, id)) partition by hash (t);
        create table ps_events_0 partition of ps_events for values with (modulus 2, remainder 0);
        create table ps_events_1 partition of ps_events for values with (modulus 2, remainder 1);
        create or replace function ps_touch() returns trigger language plpgsql as $$
        begin
          return new;
        end $$;
        create or replace function ps_add(a int, b int default 1) returns int language sql immutable strict
          as 'select a + b';
        create extension if not exists pgcrypto;
        \\d ps_events
        \\d ps_events_0
        \\sf ps_touch
        \\sf ps_add
        \\dx
    """).stdout
    assert 'Partitioned table "public.ps_events"' in out and "Partition key: HASH (t)" in out
    assert "Number of partitions: 2 (Use \\d+ to list them.)" in out
    assert 'Table "public.ps_events_0"' in out and "Partition of: ps_events FOR VALUES WITH (modulus 2, remainder 0)" in out
    assert ("CREATE OR REPLACE FUNCTION public.ps_touch()\n RETURNS trigger\n LANGUAGE plpgsql\nAS $function$\n"
            "        begin\n          return new;\n        end $function$\n") in out
    assert ("CREATE OR REPLACE FUNCTION public.ps_add(a integer, b integer DEFAULT 1)\n RETURNS integer\n"
            " LANGUAGE sql\n IMMUTABLE STRICT\nAS $function$select a + b$function$\n") in out
    assert "| cryptographic functions" in out and "| PL/pgSQL procedural language" in out
