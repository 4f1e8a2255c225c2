"""Publications against PostgreSQL 15: statement by statement, then through pg_dump.

The script runs on a fresh database of both systems (psycopg, autocommit); every statement
must end the same way: the same command tag and rows, or the same SQLSTATE and message.
Nothing is streamed by either side here: publications only name sets of tables, and UPDATE /
DELETE of a published table without a replica identity fails.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest

PG_BIN = Path("/usr/lib/postgresql/15/bin")

SETUP = [
    "CREATE SCHEMA s1",
    "CREATE SCHEMA s2",
    "CREATE TABLE s1.keyed (id int PRIMARY KEY, v text, w int)",
    "CREATE TABLE s1.loose (a int, b int)",
    "CREATE TABLE s2.other (z int)",
    "CREATE VIEW s1.vw AS SELECT 1 AS one",
    "CREATE ROLE pub_plain",
    "GRANT CREATE ON DATABASE {db} TO pub_plain",
]

SCRIPT = [
    # creation, options and their errors
    "CREATE PUBLICATION p_keyed FOR TABLE s1.keyed (id, v) WHERE (id > 5 AND v <> 'x')",
    "CREATE PUBLICATION p_keyed",
    "CREATE PUBLICATION p_bad WITH (foo)",
    "CREATE PUBLICATION p_bad WITH (publish = 'insert, vacuum')",
    "CREATE PUBLICATION p_bad WITH (publish = 'insert', publish = 'update')",
    "CREATE PUBLICATION p_bad FOR TABLE s1.vw",
    "CREATE PUBLICATION p_bad FOR TABLE s1.nope",
    "CREATE PUBLICATION p_bad FOR TABLE s1.keyed (nope)",
    "CREATE PUBLICATION p_bad FOR TABLE s1.keyed (id, id)",
    "CREATE PUBLICATION p_bad FOR TABLE s1.keyed (ctid)",
    "CREATE PUBLICATION p_bad FOR TABLE pg_class",
    "CREATE UNLOGGED TABLE s1.unlogged (a int)",
    "CREATE PUBLICATION p_bad FOR TABLE s1.unlogged",
    "CREATE PUBLICATION p_bad FOR TABLE s1.keyed WHERE (nope > 1)",
    "CREATE PUBLICATION p_bad FOR TABLE s1.keyed (id), s1.keyed",
    "CREATE PUBLICATION p_bad FOR TABLES IN SCHEMA nope",
    "CREATE PUBLICATION p_bad FOR TABLES IN SCHEMA pg_catalog",
    "CREATE PUBLICATION p_bad FOR TABLES IN SCHEMA s1, s2.x",
    "CREATE PUBLICATION p_bad FOR TABLES IN SCHEMA s1 WHERE (a > 1)",
    "CREATE PUBLICATION p_bad FOR TABLES IN SCHEMA s1 (a)",
    "CREATE PUBLICATION p_bad FOR TABLES IN SCHEMA s1, s2 WHERE (a > 1)",
    "CREATE PUBLICATION p_bad FOR TABLES IN SCHEMA s1, s2 (a)",
    "CREATE PUBLICATION p_bad FOR TABLES IN SCHEMA s1.x",
    "CREATE PUBLICATION p_bad FOR TABLE s1.keyed, CURRENT_SCHEMA",
    "CREATE PUBLICATION p_bad FOR TABLE CURRENT_SCHEMA",
    "CREATE PUBLICATION p_bad FOR s1.keyed",
    "CREATE PUBLICATION p_bad WITH (publish = 'insert', publish = 'update')",
    "CREATE PUBLICATION p_ins FOR TABLE s1.loose WITH (publish = 'insert', publish_via_partition_root = true)",
    "CREATE PUBLICATION p_schema FOR TABLES IN SCHEMA s2",
    ("SELECT pubname, puballtables, pubinsert, pubupdate, pubdelete, pubtruncate, pubviaroot FROM pg_publication "
    "ORDER BY 1"),
    "SELECT pubname, schemaname, tablename, attnames, rowfilter FROM pg_publication_tables ORDER BY 1, 2, 3",
    ("SELECT p.pubname, c.relname, r.prqual IS NOT NULL, r.prattrs::text FROM pg_publication_rel r "
    "JOIN pg_publication p ON p.oid = r.prpubid JOIN pg_class c ON c.oid = r.prrelid ORDER BY 1, 2"),
    ("SELECT p.pubname, n.nspname FROM pg_publication_namespace pn JOIN pg_publication p ON p.oid = pn.pnpubid "
    "JOIN pg_namespace n ON n.oid = pn.pnnspid"),
    "COMMENT ON PUBLICATION p_keyed IS 'keyed rows'",
    "SELECT obj_description(oid, 'pg_publication') FROM pg_publication WHERE pubname = 'p_keyed'",
    "COMMENT ON PUBLICATION nope IS 'x'",
    # replica identity: p_ins publishes inserts only, so loose may still change
    "INSERT INTO s1.loose VALUES (1, 2)",
    "UPDATE s1.loose SET b = 3",
    "ALTER PUBLICATION p_ins SET (publish = 'insert, update')",
    "UPDATE s1.loose SET b = 4",
    "DELETE FROM s1.loose",
    "ALTER PUBLICATION p_ins SET (publish = 'insert, update, delete')",
    "DELETE FROM s1.loose",
    "ALTER TABLE s1.loose REPLICA IDENTITY FULL",
    "UPDATE s1.loose SET b = 5",
    "SELECT relname, relreplident FROM pg_class WHERE relname IN ('keyed', 'loose') ORDER BY 1",
    "ALTER TABLE s1.loose REPLICA IDENTITY NOTHING",
    "DELETE FROM s1.loose",
    "ALTER TABLE s1.loose REPLICA IDENTITY DEFAULT",
    "UPDATE s1.keyed SET w = 1",
    "UPDATE s1.keyed SET v = 'y'",
    "ALTER TABLE s1.keyed REPLICA IDENTITY FULL",
    "UPDATE s1.keyed SET w = 1",
    "ALTER TABLE s1.keyed REPLICA IDENTITY DEFAULT",
    # identity through an index, MERGE and ON CONFLICT, FULL against a column list
    "CREATE TABLE s1.ix (a int NOT NULL, b int, c int)",
    "CREATE UNIQUE INDEX ix_a ON s1.ix (a)",
    "CREATE INDEX ix_b ON s1.ix (b)",
    "CREATE PUBLICATION p_ix FOR TABLE s1.ix (b, c)",
    "CREATE PUBLICATION p_ix2 FOR TABLE s1.ix (nope), s1.ix",
    "ALTER TABLE s1.ix REPLICA IDENTITY USING INDEX ix_b",
    "ALTER TABLE s1.ix REPLICA IDENTITY USING INDEX nope",
    "UPDATE s1.ix SET c = 1",
    "ALTER TABLE s1.ix REPLICA IDENTITY USING INDEX ix_a",
    "SELECT indexrelid::regclass::text, indisreplident FROM pg_index WHERE indrelid = 's1.ix'::regclass ORDER BY 1",
    "UPDATE s1.ix SET c = 1",
    "ALTER PUBLICATION p_ix SET TABLE s1.ix (a, c)",
    "ALTER TABLE s1.ix ALTER b SET NOT NULL",
    "SELECT tablename, attnames FROM pg_publication_tables WHERE pubname = 'p_ix'",
    "UPDATE s1.ix SET c = 1",
    "INSERT INTO s1.ix VALUES (1, 1, 1) ON CONFLICT (a) DO UPDATE SET c = 2",
    "ALTER TABLE s1.ix REPLICA IDENTITY FULL",
    "UPDATE s1.ix SET c = 1",
    "ALTER TABLE s1.ix REPLICA IDENTITY NOTHING",
    "ALTER PUBLICATION p_ix SET TABLE s1.ix",
    "INSERT INTO s1.ix VALUES (1, 1, 1) ON CONFLICT (a) DO UPDATE SET c = 2",
    "INSERT INTO s1.ix VALUES (2, 1, 1) ON CONFLICT (a) DO NOTHING",
    "MERGE INTO s1.ix t USING (SELECT 1 AS a) s ON t.a = s.a WHEN MATCHED THEN DELETE",
    "MERGE INTO s1.ix t USING (SELECT 3 AS a) s ON t.a = s.a WHEN NOT MATCHED THEN INSERT VALUES (3, 3, 3)",
    "CREATE TABLE s1.parted (k int, v int) PARTITION BY LIST (k)",
    "CREATE TABLE s1.parted_1 PARTITION OF s1.parted FOR VALUES IN (1)",
    "ALTER PUBLICATION p_ix ADD TABLE s1.parted",
    "UPDATE s1.parted SET v = 1 WHERE false",
    "UPDATE s1.parted SET v = 1",
    "DELETE FROM s1.parted_1",
    "CREATE PUBLICATION p_part FOR TABLE s1.parted WHERE (k > 0)",
    "CREATE PUBLICATION p_part FOR TABLE s1.parted (k)",
    "CREATE PUBLICATION p_part FOR TABLE s1.parted (k) WITH (publish_via_partition_root = true)",
    ("SELECT pubname, tablename, attnames FROM pg_publication_tables WHERE pubname IN ('p_ix', 'p_part') "
    "ORDER BY 1, 2"),
    "ALTER PUBLICATION p_part SET (publish_via_partition_root = false)",
    "DROP PUBLICATION p_part",
    "CREATE PUBLICATION p_mix FOR TABLES IN SCHEMA s2, TABLE s1.keyed (id)",
    "CREATE PUBLICATION p_mix FOR TABLE s1.keyed (id)",
    "ALTER PUBLICATION p_mix ADD TABLES IN SCHEMA s2",
    "DROP PUBLICATION p_mix",
    "DROP PUBLICATION p_ix",
    # row filters PostgreSQL refuses, columns other objects depend on
    "CREATE TABLE s1.rf (a int PRIMARY KEY, b int, c int)",
    "CREATE PUBLICATION p_rf FOR TABLE s1.rf WHERE (a < random())",
    "CREATE PUBLICATION p_rf FOR TABLE s1.rf WHERE (a IN (SELECT 1))",
    "CREATE PUBLICATION p_rf FOR TABLE s1.rf WHERE (1234)",
    "CREATE FUNCTION s1.f1() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1'",
    "CREATE PUBLICATION p_rf FOR TABLE s1.rf WHERE (a >= s1.f1())",
    "CREATE PUBLICATION p_row FOR TABLE s1.rf WHERE (ROW(a, 2) IS NULL)",
    "DROP PUBLICATION p_row",
    "CREATE TYPE s1.mood AS ENUM ('ok', 'sad')",
    "CREATE TABLE s1.moods (id int PRIMARY KEY, m s1.mood)",
    "CREATE PUBLICATION p_rf FOR TABLE s1.moods WHERE (m = 'ok')",
    "CREATE PUBLICATION p_rf FOR TABLE s1.rf WHERE (a < 5), s1.loose (a)",
    "ALTER TABLE s1.loose DROP COLUMN a",
    "ALTER TABLE s1.rf DROP COLUMN a",
    "ALTER TABLE s1.loose DROP COLUMN a CASCADE",
    "SELECT tablename FROM pg_publication_tables WHERE pubname = 'p_rf'",
    "DROP PUBLICATION p_rf",
    "ALTER TABLE s1.loose ADD COLUMN a int",
    # membership changes
    "ALTER PUBLICATION p_ins ADD TABLE s1.loose",
    "ALTER PUBLICATION p_ins DROP TABLE s1.keyed",
    "ALTER PUBLICATION p_ins DROP TABLE s1.loose WHERE (a > 1)",
    "ALTER PUBLICATION p_ins ADD TABLES IN SCHEMA s2",
    "ALTER PUBLICATION p_ins DROP TABLES IN SCHEMA s1",
    "ALTER PUBLICATION p_ins SET TABLE s1.keyed",
    "SELECT pubname, schemaname, tablename FROM pg_publication_tables WHERE pubname = 'p_ins' ORDER BY 2, 3",
    "ALTER PUBLICATION p_ins DROP TABLE s1.keyed",
    "CREATE PUBLICATION p_all FOR ALL TABLES",
    "ALTER PUBLICATION p_all ADD TABLE s1.keyed",
    "ALTER PUBLICATION p_all DROP TABLES IN SCHEMA s1",
    "UPDATE s1.loose SET b = 6",
    "DROP PUBLICATION p_all",
    # owner, rename, privileges
    "ALTER PUBLICATION p_ins RENAME TO p_keyed",
    "ALTER PUBLICATION p_ins RENAME TO p_renamed",
    "ALTER PUBLICATION p_renamed OWNER TO pub_plain",
    "SELECT pubname, pg_get_userbyid(pubowner) FROM pg_publication WHERE pubname = 'p_renamed'",
    "CREATE ROLE pub_nocreate",
    "ALTER PUBLICATION p_renamed OWNER TO pub_nocreate",
    "SET ROLE pub_plain",
    "CREATE PUBLICATION p_nope FOR ALL TABLES",
    "CREATE PUBLICATION p_nope FOR TABLE s1.keyed",
    "ALTER PUBLICATION p_keyed SET (publish = 'insert')",
    "DROP PUBLICATION p_keyed",
    "ALTER PUBLICATION p_renamed SET (publish = 'delete')",
    "DROP PUBLICATION p_renamed",
    "RESET ROLE",
    "REVOKE CREATE ON DATABASE pubs FROM pub_plain",
    "SET ROLE pub_plain",
    "CREATE PUBLICATION p_nope",
    "RESET ROLE",
    "DROP ROLE pub_nocreate",
    "DROP PUBLICATION p_keyed, p_missing",
    "DROP PUBLICATION IF EXISTS p_missing",
    "DROP TABLE s2.other",
    "SELECT pubname, schemaname, tablename FROM pg_publication_tables ORDER BY 1, 2, 3",
    "DROP PUBLICATION p_keyed, p_schema",
    "SELECT count(*) FROM pg_publication",
]


def _outcome(conn: psycopg.Connection, sql: str) -> tuple:
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            rows = [tuple(str(v) for v in r) for r in cur.fetchall()] if cur.description else []
            return ("ok", cur.statusmessage, rows)
    except psycopg.Error as e:
        return ("error", e.sqlstate, e.diag.message_primary)


@pytest.fixture(scope="module")
def helios(tmp_path_factory):
    from helios_core.testing import start_server

    server = start_server(tmp_path_factory.mktemp("publications"), only=["postgres"])
    try:
        yield server
    finally:
        server.stop()


def _fresh_database(admin_dsn: str, name: str) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
        _outcome(conn, "DROP ROLE IF EXISTS pub_plain")


def test_publication_script_matches_postgres(postgres_dsn, helios):
    pg_dsn = postgres_dsn.replace("dbname=postgres", "dbname=pubs")
    hx_dsn = helios.pg_dsn(database="pubs")
    for admin in (postgres_dsn, helios.pg_dsn()):
        _fresh_database(admin, "pubs")
    with psycopg.connect(pg_dsn, autocommit=True) as pg, psycopg.connect(hx_dsn, autocommit=True) as hx:
        for conn in (pg, hx):
            for sql in SETUP:
                _outcome(conn, sql.format(db="pubs"))
        differing = [(sql, ours, theirs) for sql in SCRIPT
                     if (ours := _outcome(hx, sql)) != (theirs := _outcome(pg, sql))]
        # nothing is streamed: subscriptions are refused, not accepted and ignored
        subscribe = _outcome(hx, "CREATE SUBSCRIPTION sub1 CONNECTION 'host=127.0.0.1' PUBLICATION p")
        for conn in (pg, hx):
            _outcome(conn, "DROP OWNED BY pub_plain")
    for admin in (postgres_dsn, helios.pg_dsn()):
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE pubs")
            _outcome(conn, "DROP ROLE pub_plain")
            _outcome(conn, "DROP ROLE pub_nocreate")
    assert differing == [], "\n".join(map(repr, differing))
    assert subscribe[:2] == ("error", "0A000")


DUMPED = """
create schema shop;
create table shop.orders (id int primary key, total numeric, note text);
create table shop.audit (at timestamptz, what text);
create publication pub_orders for table shop.orders (id, total) where (total > 100)
    with (publish = 'insert, update');
create publication pub_shop for tables in schema shop;
create publication pub_everything for all tables with (publish_via_partition_root = true);
comment on publication pub_orders is 'large orders';
"""

PUBLICATION_STATE = [
    ("select pubname, puballtables, pubinsert, pubupdate, pubdelete, pubtruncate, pubviaroot from pg_publication "
    "order by 1"),
    "select pubname, schemaname, tablename, attnames::text, rowfilter from pg_publication_tables order by 1, 2, 3",
    "select obj_description(oid, 'pg_publication') from pg_publication order by pubname",
]


def _state(dsn: str) -> list[list[tuple]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return [conn.execute(q).fetchall() for q in PUBLICATION_STATE]


def test_pg_dump_of_publications_restores_into_heliosdb(helios, tmp_path):
    with psycopg.connect(helios.pg_dsn(), autocommit=True) as conn:
        for db in ("pub_src", "pub_copy"):
            conn.execute(f"drop database if exists {db}")
            conn.execute(f"create database {db}")
    src = helios.pg_dsn(database="pub_src")
    with psycopg.connect(src, autocommit=True) as conn:
        conn.execute(DUMPED)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    port = str(helios.port("postgres"))
    dump = subprocess.run([str(PG_BIN / "pg_dump"), "-h", "127.0.0.1", "-p", port, "-U", "helios", "pub_src"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert dump.returncode == 0, dump.stderr
    assert "CREATE PUBLICATION pub_orders" in dump.stdout
    restore = subprocess.run([str(PG_BIN / "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", port,
                              "-U", "helios", "-d", "pub_copy"],
                             input=dump.stdout, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert restore.returncode == 0, restore.stderr + "\n--- dump ---\n" + dump.stdout
    assert _state(helios.pg_dsn(database="pub_copy")) == _state(src)
