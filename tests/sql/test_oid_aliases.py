"""The OID alias types (regoper, regoperator, regprocedure, regnamespace, regrole, regcollation, and
regclass/regtype/regproc): a catalog object's name in, its OID held, its name out; the to_reg* forms
answer NULL for a name that names nothing, as PostgreSQL 15 does."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture
def s():
    return helios_core.connect()


def one(s, sql: str):
    return next(tuple(r.values()) for b in s.execute(sql)[-1].batches for r in b.to_pylist())


def test_names_round_trip_through_every_alias_type(s):
    s.execute("create role alias_role")
    got = one(s, "select regoper('||/')::text, regoperator('+(int4,int4)')::text, regprocedure('abs(numeric)')::text, "
                 "regclass('pg_catalog.pg_class')::text, regtype('int4')::text, regcollation('\"POSIX\"')::text, "
                 "regnamespace('\"pg_catalog\"')::text, regrole('alias_role')::text")
    assert got == ("||/", "+(integer,integer)", "abs(numeric)", "pg_class", "integer", '"POSIX"', "pg_catalog",
                   "alias_role")


def test_the_type_name_called_as_a_function_is_a_cast(s):
    assert one(s, "select 'pg_catalog'::regnamespace = regnamespace('pg_catalog'), "
                  "pg_typeof(regoper('||/'))::text") == (True, "regoper")


@pytest.mark.parametrize(("sql", "sqlstate", "message"), [
    ("select regoper('||//')", "42883", "operator does not exist: ||//"),
    ("select regoper('+')", "42725", "more than one operator named +"),
    ("select regoperator('++(int4,int4)')", "42883", "operator does not exist: ++(int4,int4)"),
    ("select regprocedure('absinthe(numeric)')", "42883", 'function "absinthe(numeric)" does not exist'),
    ("select regproc('ng_catalog.now')", "3F000", 'schema "ng_catalog" does not exist'),
    ("select regclass('ng_catalog.pg_class')", "3F000", 'schema "ng_catalog" does not exist'),
    ("select regrole('\"Nonexistent\"')", "42704", 'role "Nonexistent" does not exist'),
    ("select regrole('foo.bar')", "42602", "invalid name syntax"),
    ("select regnamespace('Nonexistent')", "3F000", 'schema "nonexistent" does not exist'),
    ("select to_regnamespace('foo.bar')", "42602", "invalid name syntax"),
])
def test_unknown_names_raise_postgresql_errors(s, sql, sqlstate, message):
    with pytest.raises(HeliosError) as e:
        s.execute(sql)
    assert (e.value.sqlstate, str(e.value)) == (sqlstate, message)


def test_to_reg_functions_answer_null_for_unknown_names(s):
    got = one(s, "select to_regoper('||//'), to_regoperator('++(int4,int4)'), to_regproc('know'), "
                 "to_regprocedure('absinthe(numeric)'), to_regclass('pg_classes') e, to_regtype('int3'), "
                 "to_regcollation('notacollation'), to_regrole('nobody_here'), to_regnamespace('nowhere'), "
                 "to_regclass('ng_catalog.pg_class') j")
    assert got == (None,) * 10
    assert one(s, "select to_regclass('pg_class')::text, to_regnamespace('pg_catalog')::text") == (
        "pg_class", "pg_catalog")


def test_pseudo_types_round_trip_through_regtype() -> None:
    import helios_core

    s = helios_core.connect()
    row = s.execute("select 'pg_catalog.trigger'::pg_catalog.regtype::oid, 'event_trigger'::regtype::oid, "
                    "'trigger'::regtype::text")[-1].rows()[0]
    assert row == (2279, 3838, "trigger")
