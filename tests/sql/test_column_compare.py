"""``column op constant`` through the comparison kernel directly (sql.planner.column_compare):
every operator, either way round, over integer, date, timestamp and numeric columns (narrow and
wide decimals) with NULLs, against constants below, inside and beyond the values, an integer
beside a numeric or another integer width (one beyond the column's range), a parameter, NULL
and numeric NaN, answers as Python computes it; and the
direct path is the one the plain cases take; two columns of one type too."""

from __future__ import annotations

import datetime as dt
import decimal
import operator

import pytest

import helios_core
from helios_core.sql.planner import column_compare

D = decimal.Decimal
N = 3000
OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "=": operator.eq, "<>": operator.ne}
FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"}
EPOCH = dt.datetime(2000, 1, 1)

# column: (SQL type, SQL expression of i, the same in Python, constants as SQL literals with their values)
COLUMNS = {
    "a": ("int2", "(i * 37) % 200 - 100", lambda i: (i * 37) % 200 - 100,
          [("-101", -101), ("0", 0), ("57", 57), ("100", 100)]),
    "b": ("int4", "(i * 7919) % 100000", lambda i: (i * 7919) % 100000,
          [("-1", -1), ("50000", 50000), ("7919", 7919), ("100000", 100000)]),
    "c": ("int8", "(i::int8 * 1000003) % 10000000000 - 5000000000", lambda i: (i * 1000003) % 10000000000 - 5000000000,
          [("-5000000001", -5000000001), ("0", 0), ("1000003", 1000003 - 5000000000 + 5000000000)]),
    "d": ("date", "DATE '1995-01-01' + (i * 13) % 3000", lambda i: dt.date(1995, 1, 1) + dt.timedelta((i * 13) % 3000),
          [("DATE '1994-12-31'", dt.date(1994, 12, 31)), ("DATE '1997-06-30'", dt.date(1997, 6, 30)),
           ("DATE '2003-03-20'", dt.date(2003, 3, 20))]),
    "t": ("timestamp", "TIMESTAMP '2000-01-01' + (i * 3607) * INTERVAL '1 second'",
          lambda i: EPOCH + dt.timedelta(seconds=i * 3607),
          [("TIMESTAMP '2000-01-01'", EPOCH), ("TIMESTAMP '2000-02-01 12:00'", dt.datetime(2000, 2, 1, 12)),
           ("TIMESTAMP '2001-01-01'", dt.datetime(2001, 1, 1))]),
    "z": ("timestamptz", "TIMESTAMPTZ '2000-01-01 00:00+00' + (i * 3607) * INTERVAL '1 second'",
          lambda i: EPOCH + dt.timedelta(seconds=i * 3607),
          [("TIMESTAMPTZ '2000-01-01 05:00+05'", EPOCH), ("TIMESTAMPTZ '2000-03-01 00:00+00'", dt.datetime(2000, 3, 1))]),
    "n": ("numeric(12,2)", "((i * 37) % 2000 - 1000) / 100.0", lambda i: D((i * 37) % 2000 - 1000) / 100,
          [("-10.01", D("-10.01")), ("0", D(0)), ("3.7", D("3.7")), ("5", D(5)), ("9.99", D("9.99")),
           ("0.001", D("0.001")), ("-0.005", D("-0.005"))]),
    "w": ("numeric(30,5)", "((i * 37) % 2000 - 1000) * 12345678901234.5", lambda i: D((i * 37) % 2000 - 1000)
          * D("12345678901234.5"), [("0", D(0)), ("123456789012345", D(123456789012345))]),
}


def _value(col: str, i: int):
    return None if i % 17 == 0 else COLUMNS[col][2](i)


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    s.execute("SET TimeZone = 'UTC'")
    cols = ", ".join(f"{c} {spec[0]}" for c, spec in COLUMNS.items())
    values = ", ".join(f"CASE WHEN i % 17 = 0 THEN NULL ELSE {spec[1]} END" for spec in COLUMNS.values())
    s.execute(f"CREATE TABLE cc (i int, {cols})")
    s.execute(f"INSERT INTO cc SELECT i, {values} FROM generate_series(0, {N - 1}) i")
    yield s
    s.close()


def _count(s, sql: str) -> int:
    return s.execute(sql)[-1].rows()[0][0]


def _expected(col: str, op: str, value) -> int:
    py = [_value(col, i) for i in range(N)]
    if isinstance(value, dt.datetime) and col == "z":
        value = value.replace(tzinfo=None)
    return sum(1 for v in py if v is not None and OPS[op](v, value))


@pytest.mark.parametrize("col", list(COLUMNS))
def test_every_operator_either_way_round(session, col):
    for literal, value in COLUMNS[col][3]:
        for op in OPS:
            want = _expected(col, op, value)
            assert _count(session, f"SELECT count(*) FROM cc WHERE {col} {op} {literal}") == want, (col, op, literal)
            assert _count(session, f"SELECT count(*) FROM cc WHERE {literal} {FLIP[op]} {col}") == want, \
                (col, op, literal)


def test_parameters_null_and_nan(session):
    s = session
    for op in OPS:
        stmt = s.prepare(f"SELECT count(*) FROM cc WHERE n {op} $1", [1700])
        for value in (D("-3.5"), D("0.00"), D("4.25"), D("0.001")):
            assert s.execute_prepared(stmt, [value]).rows()[0][0] == _expected("n", op, value), (op, value)
        stmt = s.prepare(f"SELECT count(*) FROM cc WHERE b {op} $1", [23])
        for value in (0, 7919, 99999):
            assert s.execute_prepared(stmt, [value]).rows()[0][0] == _expected("b", op, value), (op, value)
        assert s.execute_prepared(stmt, [None]).rows()[0][0] == 0
        assert _count(s, f"SELECT count(*) FROM cc WHERE d {op} NULL") == 0
    non_null = sum(1 for i in range(N) if i % 17)
    # PostgreSQL orders numeric NaN above every number and equal to itself
    assert _count(s, "SELECT count(*) FROM cc WHERE n < 'NaN'::numeric") == non_null
    assert _count(s, "SELECT count(*) FROM cc WHERE n = 'NaN'::numeric") == 0
    assert _count(s, "SELECT count(*) FROM cc WHERE n BETWEEN -1 AND 1.5") == sum(
        1 for i in range(N) if (v := _value("n", i)) is not None and D(-1) <= v <= D("1.5"))


def test_two_columns(session):
    rows = [(_value("a", i), _value("b", i), _value("n", i), _value("w", i)) for i in range(N)]
    for op, fn in OPS.items():
        assert _count(session, f"SELECT count(*) FROM cc WHERE a {op} b") == sum(
            1 for a, b, _, _ in rows if a is not None and b is not None and fn(a, b)), op
        # two numeric columns of different scales: the general comparison (their Arrow types differ)
        assert _count(session, f"SELECT count(*) FROM cc WHERE n {op} w") == sum(
            1 for _, _, n, w in rows if n is not None and w is not None and fn(n, w)), op
        assert _count(session, f"SELECT count(*) FROM cc WHERE b {op} i") == sum(
            1 for i, (_, b, _, _) in enumerate(rows) if b is not None and fn(b, i)), op
        assert _count(session, f"SELECT count(*) FROM cc WHERE d {op} d") == sum(
            1 for i in range(N) if i % 17 and fn(0, 0)), op


def test_plain_comparisons_take_the_direct_path(session, monkeypatch):
    taken: list[str] = []
    direct = column_compare.direct

    def spy(op, left, right, general):
        fn = direct(op, left, right, general)
        if fn is not None:
            taken.append(op)
        return fn

    monkeypatch.setattr(column_compare, "direct", spy)
    session.execute("SELECT count(*) FROM cc WHERE a < 5 AND 7 >= b AND d <> DATE '1996-01-01' AND n >= 2 "
                    "AND b <= i AND t < z::timestamp")
    assert sorted(taken) == ["<", "<=", "<>", ">=", ">="]  # as written: 7 >= b is b <= 7; a cast is not a column
    taken.clear()
    # floats (NaN ordering) and text (collations) keep the general comparison
    session.execute("SELECT count(*) FROM cc WHERE a::float8 < 5.5 AND i::text < '5'")
    assert taken == []
    assert _count(session, "SELECT count(*) FROM cc WHERE a < 100000 AND a > -40000") == N - len(range(0, N, 17))
