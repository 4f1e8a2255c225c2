"""SQL/MED's catalog objects against PostgreSQL 15, statement by statement through psycopg.

Both systems run the same script on a fresh database (autocommit): wrappers, servers, user
mappings, foreign tables, their options and privileges, and the catalogs psql's \\dew \\des
\\deu \\det read. Every statement must end the same way: the same command tag and rows, or
the same SQLSTATE and message. Neither side has a handler for these wrappers, so reading a
foreign table fails on both (55000).
"""

from __future__ import annotations

import psycopg
import pytest

ROLES = ("fdw_plain", "fdw_super", "fdw_user")

SCRIPT = [
    "SET SESSION AUTHORIZATION fdw_super",  # the same owner name on both sides
    "CREATE FOREIGN DATA WRAPPER w1",
    "CREATE FOREIGN DATA WRAPPER w1",
    "CREATE FOREIGN DATA WRAPPER wpg VALIDATOR postgresql_fdw_validator",
    "CREATE FOREIGN DATA WRAPPER wbad VALIDATOR nope",
    "CREATE FOREIGN DATA WRAPPER wbad OPTIONS (a '1', a '2')",
    "COMMENT ON FOREIGN DATA WRAPPER w1 IS 'first'",
    "ALTER FOREIGN DATA WRAPPER w1 OPTIONS (a '1', b '2')",
    "ALTER FOREIGN DATA WRAPPER w1 OPTIONS (SET c '4')",
    "ALTER FOREIGN DATA WRAPPER w1 OPTIONS (DROP c)",
    "ALTER FOREIGN DATA WRAPPER w1 OPTIONS (ADD x '1', DROP x)",
    "ALTER FOREIGN DATA WRAPPER w1 OPTIONS (DROP a, SET b '3', ADD c '4')",
    "ALTER FOREIGN DATA WRAPPER w1 OPTIONS (b '4')",
    "ALTER FOREIGN DATA WRAPPER wpg OPTIONS (nonexistent 'x')",
    "ALTER FOREIGN DATA WRAPPER w1 OWNER TO fdw_plain",
    "ALTER FOREIGN DATA WRAPPER w1 RENAME TO w1b",
    "ALTER FOREIGN DATA WRAPPER w1b RENAME TO w1",
    "DROP FOREIGN DATA WRAPPER IF EXISTS nope",
    "DROP FOREIGN DATA WRAPPER nope",
    "SET ROLE fdw_plain",
    "CREATE FOREIGN DATA WRAPPER w2",
    "ALTER FOREIGN DATA WRAPPER w1 OPTIONS (ADD d '5')",
    "CREATE SERVER s0 FOREIGN DATA WRAPPER w1",
    "RESET ROLE",
    "CREATE SERVER s1 FOREIGN DATA WRAPPER w1",
    "CREATE SERVER s1 FOREIGN DATA WRAPPER w1",
    "CREATE SERVER IF NOT EXISTS s1 FOREIGN DATA WRAPPER w1",
    "CREATE SERVER s2 TYPE 'oracle' VERSION '17.0' FOREIGN DATA WRAPPER w1 OPTIONS (host 'a', dbname 'b')",
    "CREATE SERVER s3 FOREIGN DATA WRAPPER wpg OPTIONS (foo '1')",
    "CREATE SERVER s3 FOREIGN DATA WRAPPER wpg OPTIONS (host 'localhost', dbname 'db')",
    "ALTER SERVER s3 OPTIONS (connect_timeout '30', SET dbname 'db1', DROP host)",
    "ALTER SERVER s1 VERSION '1.0' OPTIONS (servername 's1')",
    "ALTER SERVER nope OPTIONS (a '1')",
    "COMMENT ON SERVER s1 IS 'a server'",
    "GRANT USAGE ON FOREIGN DATA WRAPPER w1 TO fdw_plain",
    "GRANT USAGE ON FOREIGN SERVER s1 TO fdw_plain WITH GRANT OPTION",
    "GRANT SELECT ON FOREIGN SERVER s1 TO fdw_plain",
    "SET ROLE fdw_plain",
    "CREATE SERVER t1 FOREIGN DATA WRAPPER w1",
    "ALTER SERVER s1 VERSION '2.0'",
    "CREATE USER MAPPING FOR current_user SERVER s1 OPTIONS (user 'me')",
    "CREATE USER MAPPING FOR public SERVER s1",
    "CREATE USER MAPPING FOR current_user SERVER s2",
    "GRANT USAGE ON FOREIGN SERVER s2 TO fdw_user",
    "RESET ROLE",
    "CREATE USER MAPPING FOR current_user SERVER s1",
    "CREATE USER MAPPING FOR current_user SERVER s1",
    "CREATE USER MAPPING IF NOT EXISTS FOR current_user SERVER s1",
    "CREATE USER MAPPING FOR public SERVER s3 OPTIONS (username 'x')",
    "CREATE USER MAPPING FOR public SERVER s3 OPTIONS (user 'x', password 'y')",
    "CREATE USER MAPPING FOR nobody_here SERVER s1",
    "ALTER USER MAPPING FOR public SERVER s1 OPTIONS (a '1')",
    "ALTER USER MAPPING FOR public SERVER s3 OPTIONS (DROP user, SET password 'z')",
    "DROP USER MAPPING IF EXISTS FOR nobody_here SERVER s1",
    "DROP USER MAPPING IF EXISTS FOR public SERVER nope",
    "DROP USER MAPPING IF EXISTS FOR public SERVER s2",
    ("SELECT fdwname, fdwhandler::regproc, fdwvalidator::regproc, fdwoptions, fdwacl FROM pg_foreign_data_wrapper "
    "ORDER BY 1"),
    ("SELECT s.srvname, f.fdwname, s.srvtype, s.srvversion, s.srvoptions, pg_get_userbyid(s.srvowner) "
    "FROM pg_foreign_server s JOIN pg_foreign_data_wrapper f ON f.oid = s.srvfdw ORDER BY 1"),
    "SELECT srvname, usename, umoptions FROM pg_user_mappings ORDER BY 1, 2",
    ("SELECT d.description FROM pg_foreign_server s JOIN pg_description d ON d.classoid = s.tableoid "
    "AND d.objoid = s.oid"),
    "SELECT * FROM information_schema.foreign_servers ORDER BY 2",
    "SELECT * FROM information_schema.user_mapping_options ORDER BY 1, 3, 4",
    ("SELECT grantor, grantee, object_name, object_type, is_grantable FROM information_schema.usage_privileges "
    "WHERE object_type LIKE 'FOREIGN%' ORDER BY 1, 2, 3"),
    ("SELECT has_server_privilege('fdw_plain', 's1', 'USAGE'), has_foreign_data_wrapper_privilege('fdw_user', "
    "'w1', 'USAGE')"),
    # foreign tables
    "CREATE FOREIGN TABLE ft1 () SERVER nope",
    "CREATE FOREIGN TABLE ft1 (c1 int PRIMARY KEY) SERVER s1",
    "CREATE FOREIGN TABLE ft1 (c1 int, UNIQUE (c1)) SERVER s1",
    ("CREATE FOREIGN TABLE ft1 (c1 integer OPTIONS (\"param 1\" 'v1') NOT NULL, c2 text CHECK (c2 <> ''), c3 date)"
    " SERVER s1 OPTIONS (delimiter ',', \"be quoted\" 'value')"),
    "COMMENT ON FOREIGN TABLE ft1 IS 'ft1'",
    "SELECT * FROM ft1",
    "INSERT INTO ft1 VALUES (1)",
    "COPY ft1 TO STDOUT",
    "CREATE TABLE parted (a int) PARTITION BY LIST (a)",
    "CREATE TABLE parted_2 PARTITION OF parted FOR VALUES IN (2)",
    "CREATE FOREIGN TABLE parted_1 PARTITION OF parted FOR VALUES IN (1) SERVER s1",
    "SELECT * FROM parted",
    "SELECT * FROM parted WHERE a = 2",
    "INSERT INTO parted VALUES (1)",
    "INSERT INTO parted VALUES (2)",
    "CREATE TABLE inh_parent (a int)",
    "CREATE FOREIGN TABLE inh_child () INHERITS (inh_parent) SERVER s1",
    "SELECT * FROM inh_parent",
    "SELECT * FROM ONLY inh_parent",
    "DROP TABLE parted, inh_parent CASCADE",
    "CREATE INDEX ON ft1 (c2)",
    "ALTER FOREIGN TABLE ft1 ADD COLUMN c4 integer OPTIONS (p1 'v1')",
    "ALTER FOREIGN TABLE ft1 ALTER COLUMN c4 OPTIONS (ADD p2 'v2'), ALTER COLUMN c2 OPTIONS (ADD p1 'x')",
    "ALTER FOREIGN TABLE ft1 ALTER COLUMN xmin OPTIONS (ADD p1 'v1')",
    "ALTER FOREIGN TABLE ft1 OPTIONS (DROP delimiter, SET \"be quoted\" 'v2', ADD escape '@')",
    "ALTER FOREIGN TABLE ft1 ADD PRIMARY KEY (c1)",
    "ALTER FOREIGN TABLE ft1 DROP COLUMN c3",
    "ALTER FOREIGN TABLE IF EXISTS nope ADD COLUMN c4 integer",
    ("SELECT c.relname, c.relkind, s.srvname, ft.ftoptions FROM pg_foreign_table ft JOIN pg_class c "
    "ON c.oid = ft.ftrelid JOIN pg_foreign_server s ON s.oid = ft.ftserver"),
    ("SELECT attname, attfdwoptions FROM pg_attribute WHERE attrelid = 'ft1'::regclass AND attnum > 0 "
    "AND NOT attisdropped ORDER BY attnum"),
    "SELECT foreign_table_name, foreign_server_name FROM information_schema.foreign_tables",
    "SELECT option_name, option_value FROM information_schema.foreign_table_options ORDER BY 1",
    "IMPORT FOREIGN SCHEMA r FROM SERVER s1 INTO public",
    "IMPORT FOREIGN SCHEMA r FROM SERVER s1 INTO nowhere",
    "IMPORT FOREIGN SCHEMA r LIMIT TO (a, b) FROM SERVER nope INTO public OPTIONS (x 'y')",
    "GRANT SELECT ON FOREIGN DATA WRAPPER w1 TO fdw_user",
    "GRANT ALL ON FOREIGN DATA WRAPPER w1 TO fdw_user",
    "REVOKE ALL ON FOREIGN DATA WRAPPER w1 FROM fdw_user",
    "GRANT USAGE ON FOREIGN SERVER nope TO fdw_user",
    "GRANT USAGE ON FOREIGN DATA WRAPPER nope TO fdw_user",
    "REVOKE USAGE ON FOREIGN SERVER s1 FROM fdw_plain",
    "REVOKE USAGE ON FOREIGN SERVER s1 FROM fdw_plain CASCADE",
    "SELECT srvacl FROM pg_foreign_server WHERE srvname = 's1'",
    "SET ROLE fdw_plain",
    "ALTER SERVER t1 OWNER TO fdw_user",
    "DROP USER MAPPING FOR public SERVER s1",
    "DROP SERVER t1",
    "RESET ROLE",
    "CREATE FOREIGN TABLE ft1 (x int) SERVER s1",
    "CREATE FOREIGN TABLE IF NOT EXISTS ft1 (x int) SERVER s1",
    "CREATE TABLE plain_t (a int)",
    "ALTER FOREIGN TABLE plain_t ADD COLUMN b int",
    "ALTER FOREIGN TABLE plain_t OPTIONS (ADD a '1')",
    "ALTER FOREIGN TABLE ft1 OPTIONS (ADD escape '#')",
    "ALTER FOREIGN TABLE ft1 ALTER COLUMN nope OPTIONS (ADD a '1')",
    "ALTER FOREIGN TABLE ft1 RENAME COLUMN c4 TO c44",
    "ALTER FOREIGN TABLE ft1 RENAME TO ft1r",
    "ALTER FOREIGN TABLE ft1r RENAME TO ft1",
    "DROP FOREIGN TABLE plain_t",
    "DROP SERVER s1",
    "DROP TABLE ft1",
    "DROP FOREIGN TABLE IF EXISTS nope",
    "DROP FOREIGN TABLE nope",
    "DROP FOREIGN TABLE ft1",
    "DROP ROLE fdw_plain",
    "DROP SERVER s1 CASCADE",
    "DROP FOREIGN DATA WRAPPER w1",
    "DROP FOREIGN DATA WRAPPER w1 CASCADE",
    "DROP FOREIGN DATA WRAPPER wpg CASCADE",
]


def _outcome(conn: psycopg.Connection, sql: str) -> tuple:
    notices: list[str] = []

    def keep(d: psycopg.errors.Diagnostic) -> None:
        notices.append(f"{d.severity}: {d.message_primary} | {d.message_detail}")

    conn.add_notice_handler(keep)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            rows = [tuple(str(v) for v in r) for r in cur.fetchall()] if cur.description else []
            return ("ok", cur.statusmessage, rows, notices)
    except psycopg.Error as e:
        return ("error", e.sqlstate, e.diag.message_primary, e.diag.message_hint, notices)
    finally:
        conn.remove_notice_handler(keep)


@pytest.fixture(scope="module")
def helios(tmp_path_factory):
    from helios_core.testing import start_server

    server = start_server(tmp_path_factory.mktemp("foreign-data"), only=["postgres"])
    try:
        yield server
    finally:
        server.stop()


def _fresh(admin_dsn: str) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS fdw")
        conn.execute("CREATE DATABASE fdw")
        for role in ROLES:
            _outcome(conn, f"DROP ROLE IF EXISTS {role}")
        conn.execute("CREATE ROLE fdw_plain")
        conn.execute("CREATE ROLE fdw_user")
        conn.execute("CREATE ROLE fdw_super SUPERUSER")


def test_foreign_data_script_matches_postgres(postgres_dsn, helios):
    admins = (postgres_dsn, helios.pg_dsn())
    for admin in admins:
        _fresh(admin)
    pg_dsn = postgres_dsn.replace("dbname=postgres", "dbname=fdw")
    with psycopg.connect(pg_dsn, autocommit=True) as pg, \
            psycopg.connect(helios.pg_dsn(database="fdw"), autocommit=True) as hx:
        differing = [(sql, ours, theirs) for sql in SCRIPT
                     if (ours := _outcome(hx, sql)) != (theirs := _outcome(pg, sql))]
    for admin in admins:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE fdw")
            for role in ROLES:
                _outcome(conn, f"DROP ROLE IF EXISTS {role}")
    assert differing == [], "\n".join(map(repr, differing))


PSQL_SETUP = [
    "SET SESSION AUTHORIZATION fdw_super",
    "CREATE FOREIGN DATA WRAPPER wpsql OPTIONS (debug 'true')",
    "COMMENT ON FOREIGN DATA WRAPPER wpsql IS 'for psql'",
    "CREATE SERVER spsql TYPE 'pg' VERSION '15' FOREIGN DATA WRAPPER wpsql OPTIONS (host 'h', port '5432')",
    "GRANT USAGE ON FOREIGN SERVER spsql TO fdw_plain",
    "CREATE USER MAPPING FOR fdw_plain SERVER spsql OPTIONS (user 'u', password 'secret')",
    "CREATE USER MAPPING FOR public SERVER spsql",
    ("CREATE FOREIGN TABLE fpsql (a int OPTIONS (column_name 'x') NOT NULL, b text) SERVER spsql "
    "OPTIONS (table_name 'remote')"),
    "COMMENT ON FOREIGN TABLE fpsql IS 'remote rows'",
]


def _psql(dsn: str, command: str) -> str:
    import subprocess
    from pathlib import Path

    params = dict(part.split("=", 1) for part in dsn.split())
    psql = Path("/usr/lib/postgresql/15/bin/psql")
    out = subprocess.run([str(psql), "-X", "-h", params["host"], "-p", params["port"], "-U", params["user"],
                          "-d", "fdw", "-c", command], capture_output=True, text=True, timeout=60, check=False)
    return out.stdout + out.stderr


def test_psql_describes_foreign_objects_as_postgres(postgres_dsn, helios):
    admins = (postgres_dsn, helios.pg_dsn())
    for admin in admins:
        _fresh(admin)
    for dsn in (postgres_dsn.replace("dbname=postgres", "dbname=fdw"), helios.pg_dsn(database="fdw")):
        with psycopg.connect(dsn, autocommit=True) as conn:
            for sql in PSQL_SETUP:
                conn.execute(sql)
    try:
        for command in ("\\dew+", "\\des+", "\\deu+", "\\det+", "\\d+ fpsql"):
            assert _psql(helios.pg_dsn(), command) == _psql(postgres_dsn, command), command
    finally:
        for admin in admins:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("DROP DATABASE fdw")
                for role in ROLES:
                    _outcome(conn, f"DROP ROLE IF EXISTS {role}")


DUMPED = """
create foreign data wrapper w_dump options (a '1');
create server s_dump type 't' version '1' foreign data wrapper w_dump options (host 'h');
grant usage on foreign server s_dump to fdw_plain;
create user mapping for public server s_dump options (user 'u');
create foreign table ft_dump (a int options (c 'x') not null, b text check (b <> '')) server s_dump
    options (t 'r');
comment on server s_dump is 'a server';
"""

DUMP_STATE = [
    "select fdwname, fdwoptions from pg_foreign_data_wrapper",
    "select srvname, srvtype, srvversion, srvoptions, srvacl from pg_foreign_server",
    "select srvname, usename, umoptions from pg_user_mappings",
    "select c.relname, ft.ftoptions from pg_foreign_table ft join pg_class c on c.oid = ft.ftrelid",
    "select attname, attfdwoptions, attnotnull from pg_attribute where attrelid = 'ft_dump'::regclass and attnum > 0",
    "select obj_description(oid, 'pg_foreign_server') from pg_foreign_server",
]


def test_pg_dump_of_foreign_objects_restores_into_heliosdb(helios):
    import os
    import subprocess
    from pathlib import Path

    bin_dir = Path("/usr/lib/postgresql/15/bin")
    with psycopg.connect(helios.pg_dsn(), autocommit=True) as conn:
        for db in ("fdw_src", "fdw_copy"):
            conn.execute(f"drop database if exists {db}")
            conn.execute(f"create database {db}")
        _outcome(conn, "create role fdw_plain")
    src = helios.pg_dsn(database="fdw_src")
    with psycopg.connect(src, autocommit=True) as conn:
        conn.execute(DUMPED)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    port = str(helios.port("postgres"))
    dump = subprocess.run([str(bin_dir / "pg_dump"), "-h", "127.0.0.1", "-p", port, "-U", "helios", "fdw_src"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert dump.returncode == 0, dump.stderr
    assert "CREATE FOREIGN TABLE public.ft_dump" in dump.stdout
    restore = subprocess.run([str(bin_dir / "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", port,
                              "-U", "helios", "-d", "fdw_copy"],
                             input=dump.stdout, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert restore.returncode == 0, restore.stderr + "\n--- dump ---\n" + dump.stdout

    def state(dsn: str) -> list[list[tuple]]:
        with psycopg.connect(dsn, autocommit=True) as conn:
            return [conn.execute(q).fetchall() for q in DUMP_STATE]

    assert state(helios.pg_dsn(database="fdw_copy")) == state(src)
