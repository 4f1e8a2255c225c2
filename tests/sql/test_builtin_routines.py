"""The built-in routines pg_catalog lists (pg_proc, pg_aggregate, pg_operator): every one runs, and
clients find them as in PostgreSQL 15: psql's \\df, \\da and \\do, regproc / regprocedure casts,
pg_get_function_arguments / pg_get_function_result, under PostgreSQL's OIDs."""

from __future__ import annotations

import os
import shutil
import subprocess

import psycopg
import pytest

import helios_core
from helios_core.errors import HeliosError
from helios_core.sql.catalog_views import builtin_routines as B

# polymorphic argument types called with a concrete type
_POLY = {2283: "integer", 2776: "integer", 5077: "integer", 5079: "integer", 2276: "integer", 2277: "integer[]",
         5078: "integer[]", 3831: "int4range", 5080: "int4range", 4537: "int4multirange", 4538: "int4multirange"}
_SAMPLES = {"integer": "1", "bigint": "1", "smallint": "1", "numeric": "0.5", "double precision": "0.5",
            "real": "0.5", "text": "'day'", "character varying": "'day'", "boolean": "true", "date": "'2020-01-02'",
            "timestamp without time zone": "'2020-01-02 03:04:05'", "timestamp with time zone": "'2020-01-02 03:04:05+00'",
            "interval": "'1 day'", "time without time zone": "'03:04:05'", "jsonb": "'{\"a\": 1}'",
            "json": "'{\"a\": 1}'", "integer[]": "'{1,2}'", "text[]": "'{a,b}'", "bytea": "'\\x0001'",
            "oid": "1", "int4range": "'[1,3)'", "int4multirange": "'{[1,3)}'", "character": "'d'", "name": "'day'"}


def _probes(r: B.BuiltinRoutine) -> list[str]:
    types = [_POLY.get(t) or B.type_name(t) for t in r.argtypes]
    if r.variadic and types and types[-1].endswith("[]") and r.argtypes[-1] not in (2277, 5078):
        types[-1] = types[-1][:-2]
    out = []
    for sample in (False, True):
        values = [f"{_SAMPLES[t]}::{t}" if sample and t in _SAMPLES else f"NULL::{t}" for t in types]
        name = r.name if r.name.replace("_", "a").isalnum() else f'"{r.name}"'
        cols = ", ".join(f"{v} AS x{i}" for i, v in enumerate(values)) or "1 AS x"
        refs = [f"x{i}" for i in range(len(types))]
        if r.kind == "f":
            out.append(f"SELECT {name}({', '.join(values)})")
        elif r.kind == "w":
            out.append(f"SELECT {name}({', '.join(refs)}) OVER () FROM (SELECT {cols}) s")
        elif r.aggregate and r.aggregate[0] in ("o", "h"):
            n = r.aggregate[1]
            direct = [f"{_SAMPLES.get(t, 'NULL')}::{t}" for t in types[:n]]
            ordered = refs[n:] if r.aggregate[0] == "o" else refs[:n]
            out.append(f"SELECT {name}({', '.join(direct)}) WITHIN GROUP (ORDER BY {', '.join(ordered)}) "
                       f"FROM (SELECT {cols}) s")
        else:
            out.append(f"SELECT {name}({', '.join(refs) or '*'}) FROM (SELECT {cols}) s")
    return out


def test_every_listed_routine_of_the_kernel_runs():
    """Each pg_proc built-in the kernel lists is called (typed NULLs, else sample values) and gives
    a result of its pg_proc result type (polymorphic ones: any)."""
    s = helios_core.connect()
    listed = [r for r in B.routines() if not r.from_plugin]
    assert len(listed) > 900
    failures = []
    for r in listed:
        for sql in _probes(r):
            try:
                result = s.execute(sql)[-1]
                list(result.batches)
            except HeliosError as e:
                last = f"{sql}: {e.sqlstate} {e}"
                continue
            got = result.columns[0].type_oid
            if r.rettype in (2283, 2277, 3831, 4537, 5077, 5078, 5080, 4538, 2249) or got == r.rettype:
                break
            last = f"{sql}: result type {got}, pg_proc says {r.rettype}"
        else:
            failures.append(last)
    assert failures == [], "\n".join(failures)


def test_every_listed_routine_of_a_plugin_runs_on_the_server(db):
    """The routines a plugin registers (full-text search) are listed by the server that loads it,
    and each call runs there."""
    listed = rows(db, "select oid::int from pg_proc where oid < 16384")
    plugin = [r for r in B._all_routines() if r.from_plugin]
    assert plugin and {r.oid for r in plugin} <= {oid for (oid,) in listed}
    failures = []
    for r in plugin:
        for sql in _probes(r):
            try:
                db.execute(sql).fetchall()
                break
            except psycopg.Error as e:
                last = f"{sql}: {e.sqlstate} {e}"
        else:
            failures.append(last)
    assert failures == [], "\n".join(failures)


def test_listed_names_have_no_duplicate_signatures():
    seen = {(r.name, r.argtypes) for r in B.routines()}
    assert len(seen) == len(B.routines())
    assert len({r.oid for r in B.routines()}) == len(B.routines())


@pytest.fixture(scope="module")
def db(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        yield c


def rows(db, sql, *args):
    return db.execute(sql, *args).fetchall()


def test_regproc_and_regprocedure_use_postgresql_oids(db):
    assert rows(db, "select 'now'::regproc::oid, 'lower(text)'::regprocedure::oid, "
                    "'lower(text)'::regprocedure::text, 'pg_catalog.substr(text, int)'::regprocedure::text, "
                    "870::regprocedure::text, 1299::regproc::text") == [
        (1299, 870, "lower(text)", "substr(text,integer)", "lower(text)", "now")]
    with pytest.raises(psycopg.errors.AmbiguousFunction) as e:
        db.execute("select 'lower'::regproc")
    assert e.value.diag.message_primary == 'more than one function named "lower"'
    with pytest.raises(psycopg.errors.UndefinedFunction):
        db.execute("select 'lower(int)'::regprocedure")
    assert rows(db, "select to_regprocedure('lower(int)'), to_regproc('lower'), to_regproc('now')::oid") == [
        (None, None, 1299)]


def test_signature_functions_of_builtins(db):
    assert rows(db, "select pg_get_function_arguments('substr(text,int,int)'::regprocedure), "
                    "pg_get_function_identity_arguments('make_date'::regproc), "
                    "pg_get_function_result('generate_series(int,int)'::regprocedure), "
                    "pg_get_function_result('now'::regproc), pg_get_function_arguments(0)") == [
        ("text, integer, integer", "year integer, month integer, day integer", "SETOF integer",
         "timestamp with time zone", None)]
    assert rows(db, "select pg_get_functiondef('lower(text)'::regprocedure)") == [(
        ("CREATE OR REPLACE FUNCTION pg_catalog.lower(text)\n RETURNS text\n LANGUAGE internal\n"
         " IMMUTABLE PARALLEL SAFE STRICT\nAS $function$lower$function$\n"),)]
    with pytest.raises(psycopg.errors.WrongObjectType):
        db.execute("select pg_get_functiondef('count(\"any\")'::regprocedure)")


def test_catalog_rows_of_builtins(db):
    assert rows(db, "select proname, prokind, proretset, provolatile, pronargs, prorettype::regtype::text, "
                    "proargtypes::text from pg_proc where oid in (1299, 870, 2147, 3100) order by oid") == [
        ("lower", "f", False, "i", 1, "text", "25"), ("now", "f", False, "s", 0, "timestamp with time zone", ""),
        ("count", "a", False, "i", 1, "bigint", "2276"), ("row_number", "w", False, "i", 0, "bigint", "")]
    assert rows(db, "select aggkind, aggnumdirectargs from pg_aggregate where aggfnoid = 'count(\"any\")'::regprocedure"
                ) == [("n", 0)]
    assert rows(db, "select oprname, oprleft::regtype::text, oprright::regtype::text, oprresult::regtype::text, "
                    "oprcode::text, oprcom::regoperator::text, oprnegate::regoperator::text from pg_operator "
                    "where oid = '=(int4,int4)'::regoperator") == [
        ("=", "integer", "integer", "boolean", "int4eq", "=(integer,integer)", "<>(integer,integer)")]
    # a user function beside the built-ins keeps its own rows
    db.execute("create function br_twice(x int) returns int language sql as 'select x * 2'")
    assert rows(db, "select count(*) from pg_proc where proname in ('br_twice', 'lower')") == [(4,)]


def _psql(pg_server, command: str) -> str:
    env = dict(os.environ, PGHOST=pg_server.host, PGPORT=str(pg_server.port("postgres")), PGUSER="helios",
               PGDATABASE="helios", PSQLRC="/dev/null", PGCONNECT_TIMEOUT="10")
    return subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-c", command], text=True,
                          capture_output=True, env=env, timeout=60, check=True).stdout


@pytest.mark.skipif(shutil.which("psql") is None, reason="needs the psql client (postgresql-client)")
def test_psql_lists_builtins(pg_server):
    assert _psql(pg_server, r"\df now") == "pg_catalog|now|timestamp with time zone||func\n"
    assert _psql(pg_server, r"\df lower").splitlines() == [
        "pg_catalog|lower|anyelement|anymultirange|func", "pg_catalog|lower|anyelement|anyrange|func",
        "pg_catalog|lower|text|text|func"]
    assert "pg_catalog|lower|text|text|func|immutable|safe|" in _psql(pg_server, r"\df+ lower")
    assert "pg_catalog|count|bigint|*|" in _psql(pg_server, r"\da count")
    assert "pg_catalog|string_agg|text|text, text|" in _psql(pg_server, r"\da string_agg")
    assert "pg_catalog||||text|text|text|" in _psql(pg_server, r"\do ||")
    assert "pg_catalog|=|integer|integer|boolean|int4eq|" in _psql(pg_server, r"\do+ =")
