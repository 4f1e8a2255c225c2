"""Shared machinery of the tests/sql/test_query_*.py files: each file lists statements with the
answer PostgreSQL 15 gave (column names, rows or SQLSTATE) and runs them on one in-process session
set up with SETUP. KNOWN_DIFFERENCES marks, with the reason, statements whose answer differs."""
from __future__ import annotations

import pytest

from helios_core.errors import HeliosError


def connect_with(setup):
    import helios_core

    s = helios_core.connect()
    for stmt in setup:
        s.execute(stmt)
    return s


def _norm(v):
    import datetime
    import decimal
    import json

    if isinstance(v, float):
        return ("float", v)
    if isinstance(v, decimal.Decimal):
        return ("num", str(v))
    if isinstance(v, (datetime.date, datetime.datetime, datetime.time, datetime.timedelta)):
        return ("text", str(v))
    if isinstance(v, list):
        return ("json_or_array", json.dumps(v, default=str))
    return v


def _expected(v):
    if isinstance(v, tuple) and v[0] == "float":
        return ("float", float(v[1]))
    if isinstance(v, tuple) and v[0] == "json_or_array":
        return ("json_or_array", __import__("json").dumps(__import__("json").loads(v[1]), default=str))
    return v


def _same(got, want):
    if isinstance(got, tuple) and isinstance(want, tuple) and got[0] == want[0] == "float":
        return abs(got[1] - want[1]) <= 1e-9 * max(1.0, abs(want[1]))
    if isinstance(got, str) and isinstance(want, tuple) and want[0] == "json_or_array":
        import json

        return json.dumps(json.loads(got), default=str) == want[1]
    return got == want


def _rows_equal(got, want, ordered):
    key = repr
    if not ordered:
        got = sorted(got, key=key)
        want = sorted(want, key=key)
    if len(got) != len(want):
        return False
    return all(len(g) == len(w) and all(_same(a, b) for a, b in zip(g, w)) for g, w in zip(got, want))


def check(session, sql, columns, rows, sqlstate):
    if sqlstate is not None:
        with pytest.raises(HeliosError) as err:
            for r in session.execute(sql):
                r.rows()
        assert err.value.sqlstate == sqlstate, (sql, err.value.message)
        return
    result = session.execute(sql)[-1]
    got = [tuple(_norm(v) for v in r) for r in result.rows()]
    want = [tuple(_expected(v) for v in r) for r in rows]
    assert [c.name for c in result.columns] == columns
    ordered = " order by " in sql.lower() and "limit" not in sql.lower().split("order by")[-1][:0]
    assert _rows_equal(got, want, ordered), f"{sql}\\n got: {got}\\nwant: {want}"


SETUP = [
    'create table t (a int, b text, c numeric(10,2), d date, f float8)',
    "insert into t values (1,'x',1.5,'2024-01-01',0.5),(2,'y',null,'2024-02-29',1e10),(3,null,2.25,null,-1.25),(null,'x',3,'2023-12-31',null),(2,'y',7.77,'2024-03-01',2)",
    'create table u (a int primary key, d text)',
    "insert into u values (1,'one'),(2,'two'),(5,'five')",
    'create table "MixedCase" ("Id" int, val text)',
    'insert into "MixedCase" values (1, \'a\'), (2, \'b\')',
    'create view tv as select a, b from t where a is not null',
]

KNOWN_DIFFERENCES = {'select c * 2, c + a, c / 3, round(c, 1), c::int, -c from t order by 1, 2': 'numeric division gives one '
                                                                             'display scale per column, '
                                                                             'PostgreSQL one per value',
 'select u.a, (select coalesce(max(c), -1) from t where t.a = u.a) from u order by u.a': 'a numeric column '
                                                                                         'has one display '
                                                                                         'scale (here 2); '
                                                                                         'PostgreSQL keeps '
                                                                                         "each value's own "
                                                                                         'scale (-1)'}


def params(cases):
    out = []
    for c in cases:
        reason = KNOWN_DIFFERENCES.get(c[0])
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(*c, marks=marks, id=c[0][:60]))
    return out


def make_test(cases):
    """The parametrized test of one file's cases (uses the module-scoped ``answers_session`` fixture)."""

    @pytest.mark.parametrize("sql,columns,rows,sqlstate", params(cases))
    def test_matches_postgresql(answers_session, sql, columns, rows, sqlstate):
        check(answers_session, sql, columns, rows, sqlstate)

    return test_matches_postgresql
