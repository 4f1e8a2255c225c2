"""The real psql (and pg_dump's version check) against a real server, as a new user meets them.

psql without -U logs in as the operating-system user and must be told which role exists;
every HeliosDB statement must come back with a command tag libpq understands (stderr stays
clean); the server presents itself as PostgreSQL 15 everywhere a client looks; \\l lists
the template databases.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from helios_core.testing import HeliosServer, start_server

PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump"

pytestmark = pytest.mark.skipif(
    shutil.which("psql") is None, reason="needs the psql client (postgresql-client)"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    srv = start_server(tmp_path_factory.mktemp("psql-client"), only=["postgres"])
    try:
        yield srv
    finally:
        srv.stop()


def psql(
    server: HeliosServer, script: str, *args: str, user: str | None = "helios"
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PSQLRC="/dev/null", PGCONNECT_TIMEOUT="10")
    command = ["psql", "-X", "-h", "127.0.0.1", "-p", str(server.port("postgres")), "-v", "ON_ERROR_STOP=1"]
    if user is not None:
        command += ["-U", user]
    return subprocess.run(
        [*command, *args], input=script, text=True, capture_output=True, env=env, timeout=60, check=False
    )


def test_psql_without_user_names_the_default_role(server):
    proc = psql(server, "select 1;\n", "helios", user=None)  # as the OS user, e.g. root
    assert proc.returncode == 2
    os_user = os.environ.get("USER") or __import__("getpass").getuser()
    assert f'FATAL:  role "{os_user}" does not exist' in proc.stderr
    assert (
        'HINT:  The role created with a new HeliosDB server is "helios": connect with -U helios'
        in proc.stderr
    )
    assert f'CREATE ROLE "{os_user}" LOGIN;' in proc.stderr


def test_unknown_role_is_sqlstate_28000(server):
    import psycopg

    with pytest.raises(psycopg.OperationalError) as info:
        psycopg.connect(server.pg_dsn(user="nobody_here"))
    assert 'role "nobody_here" does not exist' in str(info.value)
    assert "-U helios" in str(info.value)


BRANCH_SCRIPT = """
create table accounts (id int primary key, balance int);
insert into accounts values (1, 100), (2, 200);
create branch psql_dev from main;
create branch psql_past from main at timestamp now();
alter branch psql_dev set max_connections = 20, max_memory = '2GB', max_cpu_percent = 25;
grant usage on branch psql_dev to helios;
revoke usage on branch psql_dev from helios;
grant usage on branch psql_dev to helios;
set heliosdb.branch = 'psql_dev';
update accounts set balance = 150 where id = 1;
insert into accounts values (3, 300);
set heliosdb.branch = 'main';
select * from heliosdb.branch_diff('psql_dev', 'main', 'accounts') order by 1, 2;
merge branch psql_dev into main;
select id, balance from accounts order by id;
alter branch psql_dev rename to psql_renamed;
drop branch psql_renamed;
drop branch psql_past;
drop branch if exists psql_gone;
select name from heliosdb.branches order by name;
"""


def test_every_branch_statement_prints_cleanly(server):
    proc = psql(server, BRANCH_SCRIPT)
    assert proc.returncode == 0, proc.stderr
    noise = [
        line
        for line in proc.stderr.splitlines()
        if not line.startswith(("NOTICE:", "psql:<stdin>")) or "could not interpret" in line
    ]
    assert noise == [], proc.stderr
    assert "could not interpret" not in proc.stdout + proc.stderr
    out = proc.stdout
    for tag in ("CREATE BRANCH", "ALTER BRANCH", "GRANT", "REVOKE", "DROP BRANCH", "SET"):
        assert f"\n{tag}\n" in out, (tag, out)
    assert "\nMERGE 2\n" in out  # one row updated, one inserted
    assert "merged psql_dev into main" in proc.stderr  # the NOTICE with the details


def test_merge_sets_row_count(server):
    proc = psql(
        server,
        "create table rc (id int primary key);\ncreate branch rc_dev;\nset heliosdb.branch = 'rc_dev';\n"
        "insert into rc values (1), (2), (3);\nset heliosdb.branch = 'main';\n"
        "merge branch rc_dev into main;\n\\echo rows=:ROW_COUNT\ndrop branch rc_dev;\n",
    )
    assert proc.returncode == 0, proc.stderr
    assert "rows=3" in proc.stdout
    assert "could not interpret" not in proc.stderr


def test_server_presents_itself_as_postgresql_15_everywhere(server):
    script = (
        "\\echo name=:SERVER_VERSION_NAME num=:SERVER_VERSION_NUM\n"  # from the startup ParameterStatus
        "select version();\nshow server_version;\nshow server_version_num;\n"
        "select current_setting('server_version'), current_setting('server_version_num');\n"
        "select name, setting from pg_settings where name like 'server_version%' order by name;\n"
    )
    proc = psql(server, script, "-A", "-t")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    name, num = lines[0].removeprefix("name=").split(" num=")
    assert name.startswith("15.") and num == f"1500{int(name.split('.')[1]):02d}"
    assert lines[1].startswith(f"PostgreSQL {name} (HeliosDB ")
    assert lines[2:] == [name, num, f"{name}|{num}", f"server_version|{name}", f"server_version_num|{num}"]


@pytest.mark.skipif(not os.path.exists(PG_DUMP), reason="needs pg_dump 15 (postgresql-15)")
def test_pg_dump_15_dumps_tables_views_sequences_and_rows(server):
    setup = psql(
        server,
        "create table dump_customers (id serial primary key, name text not null, email text unique);\n"
        "create table dump_orders (id int primary key, customer_id int references dump_customers(id),"
        " total numeric(10,2), note varchar(20) check (note <> ''));\n"
        "create index on dump_orders (customer_id);\n"
        "create view dump_big_orders as select * from dump_orders where total > 100;\n"
        "insert into dump_customers (name, email) values ('ann', 'ann@example.com'), ('bob', 'bob@example.com');\n"
        "insert into dump_orders values (1, 1, 150.50, 'first'), (2, 2, 20.00, null);\n",
    )
    assert setup.returncode == 0, setup.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    proc = subprocess.run(
        [PG_DUMP, "-h", "127.0.0.1", "-p", str(server.port("postgres")), "-U", "helios", "helios"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr  # no version refusal, every catalog query answered
    dump = proc.stdout
    assert "CREATE TABLE public.dump_orders (" in dump
    assert "    total numeric(10,2)," in dump
    assert "CREATE VIEW public.dump_big_orders AS" in dump and "total > 100;" in dump
    assert "CREATE SEQUENCE public.dump_customers_id_seq" in dump
    assert "SELECT pg_catalog.setval('public.dump_customers_id_seq', 2, true);" in dump
    assert "COPY public.dump_orders (id, customer_id, total, note) FROM stdin;" in dump
    assert "1\t1\t150.50\tfirst" in dump and "2\t2\t20.00\t\\N" in dump
    assert "PRIMARY KEY (id)" in dump and "FOREIGN KEY (customer_id)" in dump
    assert "REVOKE" not in dump  # the public schema's privileges are what a new database has


def test_list_databases_shows_the_templates(server):
    proc = psql(
        server,
        "\\l\nselect datname, datistemplate, datallowconn from pg_database order by datname;\n",
        "-A",
    )
    assert proc.returncode == 0, proc.stderr
    listed = [line.split("|")[0] for line in proc.stdout.splitlines() if "|" in line]
    for name in ("helios", "postgres", "template0", "template1"):
        assert name in listed
    assert "template0|t|f" in proc.stdout and "template1|t|f" in proc.stdout
    assert "helios|f|t" in proc.stdout and "postgres|f|t" in proc.stdout


def test_connecting_to_a_template_is_refused_clearly(server):
    proc = psql(server, "select 1;\n", "template1")
    assert proc.returncode == 2
    assert 'FATAL:  database "template1" is not currently accepting connections' in proc.stderr
    assert 'connect to "helios"' in proc.stderr
    # \c to a template keeps the session usable in an interactive session; in a script it stops
    proc = psql(server, "\\c template0\n", "-v", "ON_ERROR_STOP=0")
    assert 'database "template0" is not currently accepting connections' in proc.stderr


def test_template_databases_cannot_be_created_or_dropped(server):
    proc = psql(server, "create database template1;\n")
    assert 'database "template1" already exists' in proc.stderr
    proc = psql(server, "drop database template0;\n")
    assert "cannot drop a template database" in proc.stderr


def test_meta_commands_of_the_first_hour_answer_without_errors(server):
    commands = [
        "\\l+",
        "\\dn+",
        "\\du",
        "\\dx",
        "\\dT",
        "\\df",
        "\\dO",
        "\\dp",
        "\\dt+",
        "\\dv+",
        "\\di+",
        "\\z",
    ]
    for command in commands:
        proc = psql(server, command + "\n")
        assert proc.returncode == 0 and proc.stderr == "", (command, proc.stderr)
    listing = psql(server, "\\l+\n", "-A").stdout
    assert "template0|helios|UTF8|" in listing and "|0 bytes|pg_default|" in listing
