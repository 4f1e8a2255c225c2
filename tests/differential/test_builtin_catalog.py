"""The built-in routines and operators pg_catalog lists, compared with a live PostgreSQL 15: every
pg_proc / pg_operator row HeliosDB has for a built-in is PostgreSQL's row of that OID (name, kind,
argument and result types, volatility, strictness, printed signatures), and the lookups clients
type (regprocedure casts, pg_get_function_*) answer the same."""

from __future__ import annotations

import pytest

_PROC_COLUMNS = ("oid::int, proname::text, prokind::text, proretset, provolatile::text, proparallel::text, "
                 "proisstrict, pronargs, pronargdefaults, provariadic::int, prorettype::int, proargtypes::text, "
                 "coalesce(proallargtypes::text, ''), coalesce(proargmodes::text, ''), "
                 "coalesce(proargnames::text, ''), pg_get_function_arguments(oid), pg_get_function_result(oid), "
                 "pg_get_function_identity_arguments(oid), oid::regprocedure::text")
_OPERATOR_COLUMNS = ("oid::int, oprname::text, oprkind::text, oprleft::int, oprright::int, oprresult::int, "
                     "oprcanmerge, oprcanhash, oprcode::text, oid::regoperator::text")


def _oids(hx, sql: str) -> str:
    out = hx.run(sql)
    assert out.sqlstate is None, out.detail
    assert len(out.rows) > 100
    return ", ".join(r[0] for r in out.rows)


def _same(pg, hx, sql: str) -> None:
    want, got = pg.run(sql), hx.run(sql)
    assert want.sqlstate is None, want.detail
    assert got.sqlstate is None, got.detail
    differ = [(i, w[i], g[i]) for w, g in zip(want.rows, got.rows, strict=False) for i in range(len(w)) if w[i] != g[i]]
    assert len(want.rows) == len(got.rows)
    assert differ == [], "\n".join(f"{w} != {g}" for _, w, g in differ[:30])


def test_builtin_pg_proc_rows_are_postgresql_rows(systems):
    pg, hx = systems
    oids = _oids(hx, "SELECT oid FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace")
    _same(pg, hx, f"SELECT {_PROC_COLUMNS} FROM pg_proc WHERE oid IN ({oids}) ORDER BY 1")


def test_builtin_pg_operator_rows_are_postgresql_rows(systems):
    pg, hx = systems
    oids = _oids(hx, "SELECT oid FROM pg_operator")
    _same(pg, hx, f"SELECT {_OPERATOR_COLUMNS} FROM pg_operator WHERE oid IN ({oids}) ORDER BY 1")


def test_builtin_pg_aggregate_rows_are_postgresql_rows(systems):
    pg, hx = systems
    oids = _oids(hx, "SELECT aggfnoid::oid FROM pg_aggregate")
    _same(pg, hx, "SELECT aggfnoid::oid::int, aggfnoid::regprocedure::text, aggkind::text, aggnumdirectargs, aggtranstype::int "
                  f"FROM pg_aggregate WHERE aggfnoid::oid IN ({oids}) ORDER BY 1")


@pytest.mark.parametrize("sql", [
    "SELECT 'lower(text)'::regprocedure::oid::int, 'now'::regproc::oid::int, 'now()'::regprocedure::text",
    "SELECT 'pg_catalog.substr(text, integer, integer)'::regprocedure::oid::int",
    "SELECT 'count(\"any\")'::regprocedure::oid::int, 'count()'::regprocedure::oid::int",
    "SELECT 'lower'::regproc",
    "SELECT 'lower(integer)'::regprocedure",
    "SELECT to_regprocedure('lower(integer)') IS NULL, to_regproc('upper') IS NULL",
    "SELECT '||(text,text)'::regoperator::oid::int, '=(int4,int4)'::regoperator::text",
    "SELECT pg_get_function_arguments('make_interval'::regproc)",
    "SELECT pg_get_function_result('jsonb_each(jsonb)'::regprocedure)",
    "SELECT pg_get_function_arguments('generate_series(timestamptz, timestamptz, interval)'::regprocedure)",
    "SELECT pg_get_functiondef('count(\"any\")'::regprocedure)",
    "SELECT pg_get_functiondef('lower(text)'::regprocedure), pg_get_functiondef('now'::regproc)",
    "SELECT proname::text, prokind::text FROM pg_proc WHERE proname IN ('row_number', 'lag', 'ntile') ORDER BY 1",
    ("SELECT p.proname::text, pg_get_function_result(p.oid), pg_get_function_arguments(p.oid) FROM pg_proc p "
     "WHERE p.proname = 'now' AND pg_function_is_visible(p.oid)"),
])
def test_lookups_answer_as_postgresql(systems, sql):
    pg, hx = systems
    want, got = pg.run(sql), hx.run(sql)
    assert (got.sqlstate, got.rows) == (want.sqlstate, want.rows), (got.detail, want.detail)
