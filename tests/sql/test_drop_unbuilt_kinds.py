"""DROP [IF EXISTS] of every object kind through psycopg against a real server: PostgreSQL 15's
errors and "does not exist, skipping" notices for kinds HeliosDB does not build (collations,
conversions, text search objects, operators, casts, rules, servers...), the missing schema or type
named first, built-in objects that cannot be dropped, and DROP DATABASE ... WITH (FORCE)."""

from __future__ import annotations

import psycopg
import pytest


@pytest.fixture(scope="module")
def db(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        c.execute("create table if not exists dx_t (a int)")
        yield c


@pytest.fixture
def notices(db):
    got: list[str] = []
    db.add_notice_handler(lambda d: got.append(d.message_primary))
    yield got
    db._notice_handlers.clear()


SKIPPED = [
    ("DROP COLLATION IF EXISTS dx_coll", 'collation "dx_coll" does not exist, skipping'),
    ("DROP CONVERSION IF EXISTS dx_conv", 'conversion "dx_conv" does not exist, skipping'),
    ("DROP TEXT SEARCH PARSER IF EXISTS dx_p", 'text search parser "dx_p" does not exist, skipping'),
    ("DROP TEXT SEARCH DICTIONARY IF EXISTS dx_d", 'text search dictionary "dx_d" does not exist, skipping'),
    ("DROP TEXT SEARCH TEMPLATE IF EXISTS dx_t", 'text search template "dx_t" does not exist, skipping'),
    ("DROP TEXT SEARCH CONFIGURATION IF EXISTS dx_c", 'text search configuration "dx_c" does not exist, skipping'),
    ("DROP OPERATOR IF EXISTS @#@ (int, int)", "operator @#@ does not exist, skipping"),
    ("DROP LANGUAGE IF EXISTS dx_lang", 'language "dx_lang" does not exist, skipping'),
    ("DROP CAST IF EXISTS (text AS text)", "cast from type text to type text does not exist, skipping"),
    ("DROP RULE IF EXISTS r ON dx_t", 'rule "r" for relation "dx_t" does not exist, skipping'),
    ("DROP RULE IF EXISTS r ON dx_missing", 'relation "dx_missing" does not exist, skipping'),
    ("DROP FOREIGN DATA WRAPPER IF EXISTS dx_fdw", 'foreign-data wrapper "dx_fdw" does not exist, skipping'),
    ("DROP SERVER IF EXISTS dx_srv", 'server "dx_srv" does not exist, skipping'),
    ("DROP OPERATOR CLASS IF EXISTS dx_oc USING btree",
     'operator class "dx_oc" does not exist for access method "btree", skipping'),
    ("DROP OPERATOR FAMILY IF EXISTS dx_of USING hash",
     'operator family "dx_of" does not exist for access method "hash", skipping'),
    ("DROP ACCESS METHOD IF EXISTS dx_am", 'access method "dx_am" does not exist, skipping'),
    ("DROP FOREIGN TABLE IF EXISTS dx_ft", 'foreign table "dx_ft" does not exist, skipping'),
    ("DROP EVENT TRIGGER IF EXISTS dx_et", 'event trigger "dx_et" does not exist, skipping'),
    ("DROP STATISTICS IF EXISTS dx_st", 'statistics object "dx_st" does not exist, skipping'),
    ("DROP TRANSFORM IF EXISTS FOR int LANGUAGE sql",
     'transform for type pg_catalog.int4 language "sql" does not exist, skipping'),
    # the missing schema (or type) is named first, whatever the kind
    ("DROP TABLE IF EXISTS dx_nosch.foo", 'schema "dx_nosch" does not exist, skipping'),
    ("DROP INDEX IF EXISTS dx_nosch.foo", 'schema "dx_nosch" does not exist, skipping'),
    ("DROP TYPE IF EXISTS dx_nosch.foo", 'schema "dx_nosch" does not exist, skipping'),
    ("DROP DOMAIN IF EXISTS dx_nosch.foo", 'schema "dx_nosch" does not exist, skipping'),
    ("DROP COLLATION IF EXISTS dx_nosch.foo", 'schema "dx_nosch" does not exist, skipping'),
    ("DROP FUNCTION IF EXISTS dx_nosch.foo()", 'schema "dx_nosch" does not exist, skipping'),
    ("DROP FUNCTION IF EXISTS foo(dx_notype)", 'type "dx_notype" does not exist, skipping'),
    ("DROP AGGREGATE IF EXISTS foo(dx_nosch.t)", 'schema "dx_nosch" does not exist, skipping'),
    ("DROP OPERATOR IF EXISTS + (dx_notype, dx_notype)", 'type "dx_notype" does not exist, skipping'),
    ("DROP CAST IF EXISTS (dx_nosch.foo AS integer)", 'schema "dx_nosch" does not exist, skipping'),
    ("DROP TRIGGER IF EXISTS tr ON dx_nosch.bar", 'schema "dx_nosch" does not exist, skipping'),
    ("DROP RULE IF EXISTS r ON dx_nosch.bar", 'schema "dx_nosch" does not exist, skipping'),
    # PostgreSQL prints the grammar's type names in these notices
    ("DROP FUNCTION IF EXISTS dx_f(int, text, int[])",
     "function dx_f(pg_catalog.int4,text,pg_catalog.int4[]) does not exist, skipping"),
    ("DROP AGGREGATE IF EXISTS dx_agg(*)", "aggregate dx_agg() does not exist, skipping"),
]


@pytest.mark.parametrize(("sql", "notice"), SKIPPED)
def test_if_exists_gives_postgresql_notice(db, notices, sql: str, notice: str) -> None:
    db.execute(sql)
    assert notices == [notice]


ERRORS = [
    ("DROP CONVERSION dx_conv", "42704", 'conversion "dx_conv" does not exist'),
    ("DROP COLLATION dx_coll", "42704", 'collation "dx_coll" for encoding "UTF8" does not exist'),
    ("DROP OPERATOR @#@ (int, int)", "42883", "operator does not exist: integer @#@ integer"),
    ("DROP OPERATOR @#@ (NONE, int)", "42883", "operator does not exist: @#@ integer"),
    ("DROP CAST (text AS text)", "42704", "cast from type text to type text does not exist"),
    ("DROP RULE r ON dx_t", "42704", 'rule "r" for relation "dx_t" does not exist'),
    ("DROP OPERATOR CLASS dx_oc USING no_am", "42704", 'access method "no_am" does not exist'),
    ("DROP OPERATOR FAMILY IF EXISTS dx_of USING no_am", "42704", 'access method "no_am" does not exist'),
    ("DROP TRIGGER tr ON dx_nosch.bar", "3F000", 'schema "dx_nosch" does not exist'),
    ("DROP TABLE dx_nosch.foo", "3F000", 'schema "dx_nosch" does not exist'),
    ("DROP AGGREGATE dx_agg(*)", "42883", "aggregate dx_agg(*) does not exist"),
    ("DROP FOREIGN TABLE dx_t", "42809", '"dx_t" is not a foreign table'),
    ("DROP COLLATION \"C\"", "2BP01", 'cannot drop collation "C" because it is required by the database system'),
    ("DROP LANGUAGE sql", "2BP01", "cannot drop language sql because it is required by the database system"),
    ("DROP ACCESS METHOD btree", "2BP01", "cannot drop access method btree because it is required by the database system"),
    ("DROP OPERATOR + (int, int)", "0A000", "built-in operators cannot be dropped"),
    ("DROP CAST (int AS int8)", "0A000", "casts between built-in types cannot be dropped"),
]


@pytest.mark.parametrize(("sql", "sqlstate", "message"), ERRORS)
def test_drop_errors_are_postgresqls(db, sql: str, sqlstate: str, message: str) -> None:
    with pytest.raises(psycopg.Error) as e:
        db.execute(sql)
    assert e.value.sqlstate == sqlstate
    assert message in e.value.diag.message_primary


def test_creating_unbuilt_kinds_stays_refused(db) -> None:
    for sql in ("CREATE CONVERSION c FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8",
                "CREATE OPERATOR @#@ (leftarg = int8, rightarg = int8, procedure = int8xor)"):
        with pytest.raises(psycopg.errors.FeatureNotSupported):
            db.execute(sql)


def test_ambiguous_routine_hint_names_the_kind(db) -> None:
    db.execute("create or replace procedure dx_amb(int) language sql as $$ select 1 $$")
    db.execute("create or replace procedure dx_amb(text) language sql as $$ select 1 $$")
    with pytest.raises(psycopg.errors.AmbiguousFunction) as e:
        db.execute("drop procedure if exists dx_amb")
    assert e.value.diag.message_hint == "Specify the argument list to select the procedure unambiguously."
    db.execute("drop procedure dx_amb(int)")
    db.execute("drop procedure dx_amb(text)")


def test_drop_database_with_force_ends_other_sessions(db, pg_server) -> None:
    db.execute("drop database if exists dx_db with (force)")
    db.execute("create database dx_db")
    other = psycopg.connect(pg_server.pg_dsn(database="dx_db"), autocommit=True)
    try:
        assert other.info.dbname == "dx_db"
        with pytest.raises(psycopg.errors.ObjectInUse):
            db.execute("drop database dx_db")
        db.execute("drop database dx_db with (force)")
        with pytest.raises(psycopg.OperationalError):
            other.execute("select 1")
    finally:
        other.close()
    with pytest.raises(psycopg.errors.SyntaxError, match='unrecognized DROP DATABASE option "nope"'):
        db.execute("drop database if exists dx_db (nope)")
