"""Regenerate helios_core/sql/catalog_views/builtin_routines_data.py: the built-in functions,
aggregates, window functions and operators that HeliosDB really runs, with PostgreSQL 15's OIDs
and signatures.

For every routine and operator of a reference PostgreSQL 15's pg_catalog, the same probe
statement (the routine called with typed NULL arguments, else with sample values; polymorphic
arguments as integer, integer[], int4range) runs on that PostgreSQL and on HeliosDB. A routine is kept
only when it runs on HeliosDB and its result column has the type PostgreSQL gives it: the table
lists what runs, never what merely parses.

    python tools/builtin_routines.py "host=127.0.0.1 port=5432 user=postgres dbname=postgres" \\
        "host=127.0.0.1 port=55432 user=helios dbname=helios"

The second connection string is a `helios serve` with the distribution's plugins installed: a
routine only it runs (not the kernel alone) is marked as a plugin's, and pg_proc lists it while
a plugin registers a function of that name.
"""

from __future__ import annotations

import pprint
import sys
from pathlib import Path

import psycopg

import helios_core
from helios_core.errors import HeliosError

OUT = Path(__file__).resolve().parents[1] / "helios_core" / "sql" / "catalog_views" / "builtin_routines_data.py"

_POLY = {"anyelement": "integer", "anynonarray": "integer", "anycompatible": "integer",
         "anycompatiblenonarray": "integer", '"any"': "integer", "anyarray": "integer[]",
         "anycompatiblearray": "integer[]", "anyrange": "int4range", "anycompatiblerange": "int4range",
         "anymultirange": "int4multirange", "anycompatiblemultirange": "int4multirange"}
_UNCALLABLE = {"internal", "cstring", "trigger", "event_trigger", "language_handler", "fdw_handler",
               "index_am_handler", "tsm_handler", "table_am_handler", "anyenum", "pg_ddl_command", "void",
               "record", "opaque"}

_ROUTINES = """
SELECT p.oid, p.proname, p.prokind, p.proretset, p.proisstrict, p.provolatile, p.proparallel,
       p.provariadic, p.pronargs, p.pronargdefaults, p.prorettype, p.proargtypes::oid[],
       p.proallargtypes, p.proargmodes, p.proargnames,
       pg_get_function_arguments(p.oid), pg_get_function_identity_arguments(p.oid),
       pg_get_function_result(p.oid),
       ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, n) ORDER BY n),
       a.aggkind, a.aggnumdirectargs, a.aggtranstype
FROM pg_proc p LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.prokind IN ('f', 'a', 'w')
ORDER BY p.oid"""

_OPERATORS = """
SELECT o.oid, o.oprname, o.oprkind, o.oprcanmerge, o.oprcanhash, o.oprleft, o.oprright, o.oprresult,
       o.oprcom, o.oprnegate, o.oprcode::text, o.oprcode::oid, format_type(o.oprleft, NULL), format_type(o.oprright, NULL)
FROM pg_operator o WHERE o.oprnamespace = 'pg_catalog'::regnamespace ORDER BY o.oid"""


def _ident(name: str) -> str:
    plain = name.replace("_", "a").isalnum() and name == name.lower() and not name[0].isdigit()
    return name if plain else '"' + name + '"'


def _arg(type_name: str) -> str | None:
    if type_name in _UNCALLABLE:
        return None
    return _POLY.get(type_name, type_name)


_SAMPLES = {"integer": "1", "bigint": "1", "smallint": "1", "numeric": "0.5", "double precision": "0.5",
            "real": "0.5", "text": "'day'", "character varying": "'day'", "character": "'d'", "name": "'day'",
            "boolean": "true", "date": "'2020-01-02'", "timestamp without time zone": "'2020-01-02 03:04:05'",
            "timestamp with time zone": "'2020-01-02 03:04:05+00'", "interval": "'1 day'",
            "time without time zone": "'03:04:05'", "jsonb": "'{\"a\": 1}'", "json": "'{\"a\": 1}'",
            "integer[]": "'{1,2}'", "text[]": "'{a,b}'", "bytea": "'\\x0001'", "oid": "1", "int4range": "'[1,3)'",
            "int4multirange": "'{[1,3)}'"}


def _value(type_name: str, sample: bool) -> str:
    if sample and type_name in _SAMPLES:
        return f"{_SAMPLES[type_name]}::{type_name}"
    return f"NULL::{type_name}"


def _probe(row: tuple, sample: bool = False) -> str | None:
    (_oid, name, kind, _retset, _strict, _vol, _par, variadic, _nargs, _ndef, _ret, _argoids, _all, _modes, _names,
     _args, _ident_args, _result, arg_names, aggkind, ndirect, _ttype) = row
    types = [_arg(t) for t in arg_names]
    if any(t is None for t in types):
        return None
    if variadic and types and types[-1].endswith("[]") and arg_names[-1] not in ("anyarray", "anycompatiblearray"):
        types[-1] = types[-1][:-2]  # VARIADIC text[]: one text argument
    fn = _ident(name)
    if kind == "f":
        return f"SELECT {fn}({', '.join(_value(t, sample) for t in types)})"
    cols = ", ".join(f"{_value(t, sample)} AS x{i}" for i, t in enumerate(types)) or "1 AS x"
    refs = [f"x{i}" for i in range(len(types))]
    if kind == "w":
        return f"SELECT {fn}({', '.join(refs)}) OVER () FROM (SELECT {cols}) s"
    if aggkind in ("o", "h"):
        direct = [_value(t, True) for t in types[:ndirect]]
        ordered = refs[ndirect:] if aggkind == "o" else refs[:ndirect]
        return f"SELECT {fn}({', '.join(direct)}) WITHIN GROUP (ORDER BY {', '.join(ordered)}) FROM (SELECT {cols}) s"
    return f"SELECT {fn}({', '.join(refs) or '*'}) FROM (SELECT {cols}) s"


def _pg_type(pg: psycopg.Connection, sql: str) -> int | None:
    try:
        with pg.transaction():
            cur = pg.execute(sql)
            return cur.description[0].type_code
    except psycopg.Error:
        return None


def _server_type(hx: psycopg.Connection, sql: str) -> int | None:
    try:
        cur = hx.execute(sql)
        return cur.description[0].type_code
    except psycopg.Error:
        return None


def _helios_type(session, sql: str) -> int | None:
    try:
        results = session.execute(sql)
        cols = results[-1].columns
        list(results[-1].batches)
        return cols[0].type_oid if cols else None
    except HeliosError:
        return None
    except Exception:  # noqa: BLE001 - a crash is not a routine that runs
        return None


def main(dsn: str, helios_dsn: str) -> None:
    pg = psycopg.connect(dsn, autocommit=True)
    hx = psycopg.connect(helios_dsn, autocommit=True)
    pg.execute("SET statement_timeout = '2s'")
    session = helios_core.connect()
    routines, operators = [], []
    for row in pg.execute(_ROUTINES).fetchall():
        sql = _probe(row)
        if sql is None:
            continue
        want = _pg_type(pg, sql)
        if want is None or _server_type(hx, sql) != want:
            sql = _probe(row, sample=True)
            want = _pg_type(pg, sql)
            if want is None or _server_type(hx, sql) != want:
                continue
        # a routine the kernel alone does not run comes from a plugin: listed while one registers its name
        from_plugin = _helios_type(session, sql) != want
        (oid, name, kind, retset, strict, vol, par, variadic, nargs, ndef, ret, argoids, allargs, modes, names,
         args_text, ident_text, result_text, _arg_names, aggkind, ndirect, ttype) = row
        routines.append((oid, name, kind, retset, strict, vol, par, variadic, nargs, ndef, ret, tuple(argoids),
                         tuple(allargs) if allargs else None, tuple(modes) if modes else None,
                         tuple(names) if names else None, args_text, ident_text, result_text,
                         (aggkind, ndirect, ttype) if kind == "a" else None, from_plugin))
    for row in pg.execute(_OPERATORS).fetchall():
        oid, name, kind, merge, hash_, left, right, result, com, neg, code, code_oid, ltext, rtext = row
        if kind == "b":
            sql = f"SELECT NULL::{_arg(ltext) or 'unknown'} {name} NULL::{_arg(rtext) or 'unknown'}"
        elif kind == "l":
            sql = f"SELECT {name} NULL::{_arg(rtext) or 'unknown'}"
        else:
            continue
        if "unknown" in sql:
            continue
        want = _pg_type(pg, sql)
        if want is None or _server_type(hx, sql) != want or _helios_type(session, sql) != want:
            continue
        operators.append((oid, name, kind, merge, hash_, left, right, result, com, neg, code, code_oid))
    keywords = {k for k, c in pg.execute("SELECT word, catcode FROM pg_get_keywords()").fetchall() if c != "U"}
    quoted = sorted({r[1] for r in routines} & keywords)
    kept = {o[0] for o in operators}
    operators = [(*o[:8], o[8] if o[8] in kept else 0, o[9] if o[9] in kept else 0, *o[10:]) for o in operators]
    text = ("# ruff: noqa: ISC004\n"
            f'"""Generated by tools/builtin_routines.py (do not edit): built-in routines and operators\n'
            f'HeliosDB runs, with PostgreSQL 15\'s OIDs and signatures ({len(routines)} routines, '
            f'{len(operators)} operators)."""\n\n'
            "# (oid, name, kind, retset, strict, volatility, parallel, variadic, nargs, nargdefaults, rettype,\n"
            "#  argtypes, allargtypes, argmodes, argnames, arguments, identity arguments, result,\n"
            "#  (aggkind, aggnumdirectargs, aggtranstype) of an aggregate, from a plugin)\n"
            f"ROUTINES = {pprint.pformat(routines, width=118, compact=True)}\n\n"
            "# (oid, name, kind, canmerge, canhash, left, right, result, commutator, negator, function name, its OID)\n"
            f"OPERATORS = {pprint.pformat(operators, width=118, compact=True)}\n\n"
            "# routine names that are keywords a signature quotes (\"substring\"(text,integer))\n"
            f"QUOTED_NAMES = frozenset({pprint.pformat(quoted, width=100, compact=True)})\n")
    OUT.write_text(text)
    print(f"{len(routines)} routines, {len(operators)} operators -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
