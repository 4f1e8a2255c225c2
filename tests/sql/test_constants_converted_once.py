"""A constant or parameter compared with a numeric column is converted once per execution, not
once per batch (compare.converted_constant, the parameter's Vec kept for the execution), and
the answers stay those of the per-batch conversion: constants the column's type cannot hold
exactly, integers against decimals, and a prepared statement run with other values each time."""

from __future__ import annotations

import decimal

import pytest

import helios_core
from helios_core.sql.functions import compare, vec

ROWS = 300_000  # several scan batches
D = decimal.Decimal


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    s.execute("CREATE TABLE m (k int, q numeric(15,2), d numeric(4,3))")
    s.execute(f"INSERT INTO m SELECT x, (x % 5000) / 100.0, (x % 11) / 100.0 FROM generate_series(1, {ROWS}) x")
    yield s
    s.close()


QUERIES = [
    ("SELECT count(*) FROM m WHERE q < 24", lambda k, q, d: q < 24),
    ("SELECT count(*) FROM m WHERE d BETWEEN 0.05 AND 0.07 AND q >= 10.5", lambda k, q, d: D("0.05") <= d <= D("0.07") and q >= D("10.5")),
    ("SELECT count(*) FROM m WHERE q > 24.005", lambda k, q, d: q > D("24.005")),  # not exact in (15,2)
    ("SELECT count(*) FROM m WHERE q <= -1 OR q = 49.99", lambda k, q, d: q == D("49.99")),
    ("SELECT count(*) FROM m WHERE d <> 0.1 AND 3 > q", lambda k, q, d: d != D("0.1") and q < 3),
]


def _expected(pred):
    n = 0
    for x in range(1, ROWS + 1):
        q = decimal.Decimal(x % 5000) / 100
        d = decimal.Decimal(x % 11) / 100
        n += bool(pred(x, q, d))
    return n


@pytest.mark.parametrize("sql,pred", QUERIES, ids=[f"q{i}" for i in range(len(QUERIES))])
def test_answers_with_constants_converted_once(session, sql, pred):
    assert session.execute(sql)[-1].rows() == [(_expected(pred),)]


def test_a_constant_is_converted_once_per_execution(session, monkeypatch):
    casts = []
    real = compare.constant_in_type_of

    def spy(arr, typ):
        casts.append(typ)
        return real(arr, typ)

    monkeypatch.setattr(compare, "constant_in_type_of", spy)
    vec._converted.clear()
    session.execute("SELECT count(*) FROM m WHERE d BETWEEN 0.05 AND 0.07 AND q >= 10.5 ")
    assert 1 <= len(casts) <= 3 * 2  # three constants, at most twice each (two scan threads at once)


def test_prepared_parameters_each_execution_its_own(session):
    stmt = session.prepare("SELECT count(*) FROM m WHERE q < $1 AND d >= $2", [1700, 1700])  # numeric
    for limit, low in (("24", "0.05"), ("3.5", "0"), ("49.99", "0.1"), ("0", "0")):
        got = session.execute_prepared(stmt, [decimal.Decimal(limit), decimal.Decimal(low)]).rows()
        want = _expected(lambda k, q, d, a=decimal.Decimal(limit), b=decimal.Decimal(low): q < a and d >= b)
        assert got == [(want,)]
    ints = session.prepare("SELECT count(*) FROM m WHERE q < $1", [23])  # int4 against numeric(15,2)
    for limit in (24, 7, 0, 50):
        assert session.execute_prepared(ints, [limit]).rows() == [(_expected(lambda k, q, d, a=limit: q < a),)]
