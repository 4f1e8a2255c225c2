"""A scan's WHERE terms: ``column op constant`` terms are combined into one mask and the batch
filtered once, and small decimals are compared on their unscaled integers. The answers must be
those of evaluating every term row by row: boundaries, negative values, NULLs, a constant on
either side, and a term that would fail on rows another term removes."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

import helios_core

ROWS = 6000


def _value(x: int) -> Decimal | None:
    if x % 97 == 0:
        return None
    return Decimal((x * 7919) % 2001 - 1000).scaleb(-2)  # -10.00 .. 10.00


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    s.execute("CREATE TABLE sf (id int, d numeric(15,2), e numeric(15,2) NOT NULL, z int, dt date)")
    s.execute("INSERT INTO sf SELECT x, CASE WHEN x % 97 = 0 THEN NULL ELSE ((x * 7919) % 2001 - 1000) / 100.0 END, "
              "((x * 104729) % 2001 - 1000) / 100.0, x % 5, date '2024-01-01' + x % 400 "
              "FROM generate_series(1, 6000) x")
    yield s
    s.close()


def _ids(session, where: str) -> list[int]:
    return [r[0] for r in session.execute(f"SELECT id FROM sf WHERE {where} ORDER BY id")[-1].rows()]


def _e(x: int) -> Decimal:
    return Decimal((x * 104729) % 2001 - 1000).scaleb(-2)


CASES = [
    ("d < 0.05", lambda x: _value(x) is not None and _value(x) < Decimal("0.05")),
    ("d <= -3.5", lambda x: _value(x) is not None and _value(x) <= Decimal("-3.5")),
    ("d = 1.25", lambda x: _value(x) == Decimal("1.25")),
    ("d <> 1.25", lambda x: _value(x) is not None and _value(x) != Decimal("1.25")),
    ("0.05 > e", lambda x: _e(x) < Decimal("0.05")),
    ("-2 >= e", lambda x: _e(x) <= -2),
    ("e BETWEEN -0.07 AND 0.07", lambda x: Decimal("-0.07") <= _e(x) <= Decimal("0.07")),
    ("e > 9.99", lambda x: _e(x) > Decimal("9.99")),
    ("e >= 2.555", lambda x: _e(x) >= Decimal("2.555")),
    ("d > 1 AND e < 0 AND dt >= date '2024-06-01' AND id < 5000",
     lambda x: _value(x) is not None and _value(x) > 1 and _e(x) < 0 and x % 400 >= 152 and x < 5000),
    ("d IS NULL AND e > 0", lambda x: _value(x) is None and _e(x) > 0),
    ("e = 1.250", lambda x: _e(x) == Decimal("1.25")),
    ("e < 1.255", lambda x: _e(x) < Decimal("1.255")),
    ("e < 12345678901234567.89", lambda x: True),
    ("e > -99999999999999999999", lambda x: True),
    ("e > -3 AND e < 3.000", lambda x: -3 < _e(x) < 3),
]


@pytest.mark.parametrize(("where", "want"), CASES, ids=[c[0] for c in CASES])
def test_terms_give_the_row_by_row_answer(session, where, want):
    assert _ids(session, where) == [x for x in range(1, ROWS + 1) if want(x)]


def test_a_constant_the_column_type_holds_is_compared_without_casting_the_column():
    """0.05 or 24 beside a numeric(15,2) column is converted, not the column (a cast of every
    value per batch); a constant with more digits than the column keeps the exact comparison."""
    import pyarrow as pa

    from helios_core.sql import types as T
    from helios_core.sql.functions.compare import _key_pair

    col = pa.array([Decimal("0.04"), Decimal("0.05"), Decimal("-1.00")], pa.decimal128(15, 2))
    a, b = _key_pair(col, pa.scalar(Decimal("0.05"), pa.decimal128(3, 2)), T.NUMERIC)
    assert a is col and b.type == col.type and b.as_py() == Decimal("0.05")
    b, a = _key_pair(pa.scalar(Decimal(24), pa.decimal128(10, 0)), col, T.NUMERIC)
    assert a is col and b.as_py() == Decimal("24.00")
    a, b = _key_pair(col, pa.scalar(Decimal("0.055"), pa.decimal128(4, 3)), T.NUMERIC)
    assert a.type.scale == b.type.scale == 3 and b.as_py() == Decimal("0.055")


def test_a_term_that_fails_on_removed_rows_still_runs_after_the_others(session):
    # 10 / z divides by zero on the rows z = 0 removes: PostgreSQL evaluates it after z <> 0
    assert _ids(session, "z <> 0 AND 10 / z > 3 AND e > 0") == \
        [x for x in range(1, ROWS + 1) if x % 5 and 10 // (x % 5) > 3 and _e(x) > 0]


def test_no_row_left_and_every_row_left(session):
    assert _ids(session, "e > 100 AND d < 0") == []
    assert len(_ids(session, "e >= -10 AND e <= 10")) == ROWS


@pytest.fixture(scope="module")
def chunked():
    """A table of several stored chunks (one per INSERT), so a scan yields several batches."""
    s = helios_core.connect()
    s.execute("CREATE DOMAIN small AS int CHECK (VALUE < 1000)")
    s.execute("CREATE TABLE pc (id int, v numeric(12,2), s text, k small, n text)")
    for chunk in range(6):
        s.execute(f"INSERT INTO pc SELECT x, (x % 50) / 4.0, (ARRAY['ab', 'a-b', 'xbay', 'zz'])[1 + x % 4], x % 7, "
                  f"CASE WHEN x = 5555 THEN 'oops' ELSE (x % 9)::text END "
                  f"FROM generate_series({chunk * 1000 + 1}, {chunk * 1000 + 1000}) x")
    yield s
    s.close()


def _rows(s, sql):
    return s.execute(sql)[-1].rows()


PURE = ["v > 3 AND s LIKE '%a%b%'", "v BETWEEN 1 AND 2 OR s IN ('zz', 'ab')", "NOT (v < 10) AND id > $1",
        "s ILIKE 'A%' AND v <> 5.5"]


@pytest.mark.parametrize("where", PURE)
def test_batches_filtered_in_parallel_keep_the_sequential_answer_and_order(chunked, monkeypatch, where):
    from helios_core.sql.operators import parallel_map

    sql = f"SELECT id, v, s FROM pc WHERE {where.replace('$1', '100')}"
    monkeypatch.setattr(parallel_map, "WORKERS", 1)
    sequential = _rows(chunked, sql)
    monkeypatch.setattr(parallel_map, "WORKERS", 2)
    assert _rows(chunked, sql) == sequential
    assert len(sequential) > 100
    assert _rows(chunked, sql + " LIMIT 3") == sequential[:3]  # stopping early leaves the rest unread


def test_an_error_in_a_later_batch_is_raised_in_parallel_too(chunked):
    with pytest.raises(Exception, match="invalid input syntax for type integer"):
        chunked.execute("SELECT count(*) FROM pc WHERE n::int >= 0 AND v > 1")
    assert _rows(chunked, "SELECT id FROM pc WHERE n::int >= 0 AND v > 1 LIMIT 2") == [(5,), (6,)]


def test_which_terms_are_pure(chunked):
    import sqlglot

    from helios_core.logical.pure_terms import is_pure
    from helios_core.sql.expr import Field
    from helios_core.sql.types import NUMERIC, TEXT

    fields = [Field("v", NUMERIC), Field("s", TEXT)]

    def pure(text: str) -> bool:
        return is_pure(sqlglot.parse_one(f"SELECT 1 WHERE {text}", read="postgres").args["where"].this, fields)

    assert pure("v > 3 AND s LIKE '%a%'") and pure("s IN ('a', 'b') OR v IS NULL") and pure("v < $1")
    assert not pure("length(s) > 2")  # a function call
    assert not pure("v > (SELECT 1)")  # a subquery
    assert not pure("random() < 0.5")
    assert not pure("s::small IS NOT NULL")  # a cast to a domain runs its CHECK
    assert not pure("w > 1")  # not a column of the scan


def test_small_decimals_to_float8_are_the_correctly_rounded_doubles(session):
    """numeric(p <= 15) -> float8 divides the unscaled integer by 10^s: the double strtod reads
    from the digits (ClickHouse's ``decimal_column < 0.05`` casts every row this way)."""
    got = session.execute("SELECT id, d::float8, (e / 1000)::numeric(15,7)::float8 FROM sf ORDER BY id")[-1].rows()
    for x, d, e in got:
        want_d = _value(x)
        assert d == (None if want_d is None else float(str(want_d)))
        assert e == float(str((_e(x) / 1000).quantize(Decimal("1e-7"))))
    assert session.execute("SELECT count(*) FROM sf WHERE e::float8 < 0.05::float8")[-1].rows() == \
        [(sum(1 for x in range(1, ROWS + 1) if _e(x) < Decimal("0.05")),)]


def test_string_terms_run_on_the_rows_the_other_terms_leave(chunked, monkeypatch):
    """``column op constant`` terms over strings (IN, =, LIKE-free comparisons) are evaluated after
    the fixed-width ones, on the rows those left (operators.basic.apply_scan_terms): the answer
    is the row-by-row one, and the string column's comparisons see only the surviving rows."""
    from helios_core.sql.operators import basic

    seen: list[tuple[int, list[int]]] = []
    real = basic.apply_scan_terms

    def spy(b, parts, simple, ctx):
        seen.append((b.num_rows, list(simple)))
        return real(b, parts, simple, ctx)

    monkeypatch.setattr(basic, "apply_scan_terms", spy)
    sql = "SELECT id FROM pc WHERE s IN ('ab', 'zz') AND id >= 1000 AND id < 1200 AND v > 1 ORDER BY id"
    got = _rows(chunked, sql)
    monkeypatch.setattr(basic, "apply_scan_terms", real)
    want = [(x,) for x in range(1000, 1200) if x % 4 in (0, 3) and (x % 50) / 4.0 > 1]
    assert got == want and len(want) > 40
    assert seen and all(levels.count(2) == 1 and levels.count(1) >= 2 for _, levels in seen)

    calls: list[int] = []
    from pyarrow import compute as pc

    real_is_in = pc.is_in
    monkeypatch.setattr(pc, "is_in", lambda values, *a, **k: calls.append(len(values)) or real_is_in(values, *a, **k))
    assert _rows(chunked, sql) == want
    assert calls and sum(calls) <= 200  # the IN saw only the rows with 1000 <= id < 1200


@pytest.fixture(scope="module")
def pairs():
    """Columns compared with each other: NULLs, NaN and equal values among them."""
    s = helios_core.connect()
    s.execute("CREATE TABLE cc (id int, a int, b int, f float8, g float8, d1 date, d2 date, t1 timestamp, "
              "t2 timestamp, n numeric(10,2))")
    s.execute("INSERT INTO cc SELECT x, CASE WHEN x % 11 = 0 THEN NULL ELSE x % 17 END, x % 13, "
              "CASE WHEN x % 29 = 0 THEN 'NaN'::float8 ELSE (x % 7) / 2.0 END, (x % 5) / 2.0, "
              "date '2024-01-01' + x % 30, date '2024-01-01' + x % 23, "
              "timestamp '2024-01-01' + (x % 9) * interval '1 hour', "
              "CASE WHEN x % 31 = 0 THEN NULL ELSE timestamp '2024-01-01' + (x % 4) * interval '2 hour' END, "
              "(x % 19) / 4.0 FROM generate_series(1, 3000) x")
    yield s
    s.close()


def _pair_row(x: int) -> dict:
    return {"a": None if x % 11 == 0 else x % 17, "b": x % 13, "f": float("nan") if x % 29 == 0 else (x % 7) / 2,
            "g": (x % 5) / 2, "d1": x % 30, "d2": x % 23, "t1": (x % 9) * 60, "t2": None if x % 31 == 0 else (x % 4) * 120,
            "n": (x % 19) / 4}


def _lt(p, q):  # PostgreSQL's float order: NaN above every other value; NULL is unknown
    if p is None or q is None:
        return False
    pn, qn = math.isnan(p), math.isnan(q)
    if pn or qn:
        return not pn and qn
    return p < q


PAIR_CASES = [
    ("a < b", lambda r: _lt(r["a"], r["b"])),
    ("a = b AND d1 >= d2", lambda r: r["a"] is not None and r["a"] == r["b"] and r["d1"] >= r["d2"]),
    ("f > g", lambda r: _lt(r["g"], r["f"])),
    ("f = f AND g <> f", lambda r: math.isnan(r["f"]) or r["g"] != r["f"]),  # NaN = NaN in PostgreSQL
    ("d1 < d2 AND t1 <= t2 AND id > 100", lambda r: r["d1"] < r["d2"] and r["t2"] is not None
     and r["t1"] <= r["t2"] and r["id"] > 100),
    ("a < f AND n > b", lambda r: _lt(r["a"], r["f"]) and r["n"] > r["b"]),
]


@pytest.mark.parametrize(("where", "want"), PAIR_CASES, ids=[c[0] for c in PAIR_CASES])
def test_columns_compared_with_each_other_give_the_row_by_row_answer(pairs, where, want):
    got = [r[0] for r in _rows(pairs, f"SELECT id FROM cc WHERE {where} ORDER BY id")]
    assert got == [x for x in range(1, 3001) if want({**_pair_row(x), "id": x})]


def test_fixed_width_columns_compared_join_the_first_level(pairs, monkeypatch):
    """``d1 < d2`` (two date columns) is evaluated with the constant terms on the whole batch and
    the batch filtered once; ``a < f`` (int against float8) and ``n > b`` keep their own level."""
    from helios_core.sql.operators import basic

    seen: list[list[int]] = []
    real = basic.apply_scan_terms

    def spy(b, parts, simple, ctx):
        seen.append(list(simple))
        return real(b, parts, simple, ctx)

    monkeypatch.setattr(basic, "apply_scan_terms", spy)
    _rows(pairs, "SELECT id FROM cc WHERE d1 < d2 AND id > 5 AND t1 <= t2")
    _rows(pairs, "SELECT id FROM cc WHERE a < f AND n > b AND id > 5")
    assert seen[0] == [1, 1, 1]
    assert sorted(seen[-1]) == [0, 0, 1]
