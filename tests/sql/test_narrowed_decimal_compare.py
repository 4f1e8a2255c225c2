"""A decimal column compared with a constant through a stored chunk's narrowed values
(storage.narrowed, functions.decimal_compare): the answers are those of the 16-byte
comparison for every operator and for constants below, at and beyond the values' range; a
chunk dropped or replaced is never compared through another's narrowed values; a span too wide
to narrow, NULLs and a kept budget smaller than the data still answer exactly. Also the scan's
grouping of ``numeric_column op number`` with the other cheap terms (one filter for them all)."""

from __future__ import annotations

import decimal
import importlib
import random

import pytest

import helios_core
from helios_core.storage import narrowed

D = decimal.Decimal
# the module (the rules package exports its rule function under the same name)
push_filters_into_scans = importlib.import_module("helios_core.logical.rules.push_filters_into_scans")
OPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
       ">=": lambda a, b: a >= b, "=": lambda a, b: a == b, "<>": lambda a, b: a != b}


def _count(s, sql, params=None) -> int:
    if params is None:
        return s.execute(sql)[-1].rows()[0][0]
    return s.execute_prepared(s.prepare(sql, [1700] * len(params)), params).rows()[0][0]  # numeric


def _kept_slices() -> int:
    return len(narrowed._kept)


@pytest.fixture
def session(kept_slices_session):
    return kept_slices_session


def _fill(s, table: str, values: list) -> None:
    s.execute(f"CREATE TABLE {table} (k int, v numeric(15,2))")
    rows = ", ".join(f"({i}, {'NULL' if v is None else v})" for i, v in enumerate(values))
    s.execute(f"INSERT INTO {table} VALUES {rows}")


def _fill_series(s, table: str, n: int, sql_expr: str, py_expr) -> list:
    """``table`` (k int, v numeric(15,2)) of rows i = 0..n-1 with v = ``sql_expr`` (one statement,
    quicker than a VALUES list); returns the values as ``py_expr(i)`` computes them."""
    s.execute(f"CREATE TABLE {table} (k int, v numeric(15,2))")
    s.execute(f"INSERT INTO {table} SELECT i, {sql_expr} FROM generate_series(0, {n - 1}) i")
    return [py_expr(i) for i in range(n)]


def test_every_operator_and_constant_answers_as_the_wide_compare(session):
    rng = random.Random(7)
    values = [D(rng.randint(-5000, 5000)) / 100 for _ in range(20_000)]
    _fill(session, "t", values)
    lo, hi = min(values), max(values)
    constants = [lo - 1, lo, lo + D("0.01"), D(0), D("-0.01"), D("12.34"), hi - D("0.01"), hi, hi + 1,
                 D("99999999999.99"), D("-99999999999.99")]
    for round_ in range(2):  # the first pass narrows the chunk's slices, the second reads them
        for op, fn in OPS.items():
            for c in constants:
                want = sum(1 for v in values if fn(v, c))
                assert _count(session, f"SELECT count(*) FROM t WHERE v {op} {c}") == want, (op, c, round_)
        assert _kept_slices() > 0  # the comparisons went through narrowed values


def test_an_integer_constant_a_parameter_and_between(session):
    values = _fill_series(session, "q", 30_000, "(i % 5000) / 100.0", lambda i: D(i % 5000) / 100)
    assert _count(session, "SELECT count(*) FROM q WHERE v < 24") == sum(1 for v in values if v < 24)
    assert _count(session, "SELECT count(*) FROM q WHERE v BETWEEN 0.05 AND 0.07") == \
        sum(1 for v in values if D("0.05") <= v <= D("0.07"))
    assert _count(session, "SELECT count(*) FROM q WHERE -1 < v AND v <= $1", [D("3.5")]) == \
        sum(1 for v in values if v <= D("3.5"))
    assert _count(session, "SELECT count(*) FROM q WHERE v > 24.005") == sum(1 for v in values if v > D("24.005"))
    assert _kept_slices() > 0


def test_a_dropped_table_is_never_compared_through_its_narrowed_values(session):
    for round_ in range(4):
        values = _fill_series(session, "r", 10_000, f"{round_ * 1000} + i % 700", lambda i, r=round_: D(r * 1000 + i % 700))
        for c in (D(round_ * 1000 + 350), D(500)):
            assert _count(session, f"SELECT count(*) FROM r WHERE v < {c}") == sum(1 for v in values if v < c)
        session.execute("DROP TABLE r")


def test_updated_rows_are_compared_as_they_are_now(session):
    _fill_series(session, "u", 10_000, "i % 100", lambda i: D(i % 100))
    assert _count(session, "SELECT count(*) FROM u WHERE v >= 50") == 5_000
    session.execute("UPDATE u SET v = v + 1000 WHERE k < 5000")
    assert _count(session, "SELECT count(*) FROM u WHERE v >= 50") == 5_000 + 2_500
    assert _count(session, "SELECT count(*) FROM u WHERE v >= 1000") == 5_000


def test_a_span_too_wide_to_narrow_and_nulls(session):
    session.execute("CREATE TABLE w (v numeric(18,0))")
    session.execute("INSERT INTO w SELECT CASE WHEN x % 2 = 0 THEN 900000000000000000 ELSE -900000000000000000 + x END "
                    "FROM generate_series(1, 10000) x")
    for _ in range(2):
        assert _count(session, "SELECT count(*) FROM w WHERE v > 0") == 5_000
        assert _count(session, "SELECT count(*) FROM w WHERE v < -899999999999990000") == 5_000
    values = [None if i % 3 == 0 else D(i % 50) for i in range(10_000)]
    _fill(session, "n", values)
    for _ in range(2):
        assert _count(session, "SELECT count(*) FROM n WHERE v < 10") == sum(1 for v in values if v is not None and v < 10)


def test_a_budget_smaller_than_the_data(session, monkeypatch):
    monkeypatch.setattr(narrowed, "KEPT_BYTES", 30_000)  # room for one slice of 20,000 two-byte values
    for name in ("a", "b", "c"):
        _fill(session, name, [D(i % 300) for i in range(20_000)])
    for _ in range(3):
        for name in ("a", "b", "c"):
            assert _count(session, f"SELECT count(*) FROM {name} WHERE v < 150") == sum(1 for i in range(20_000) if i % 300 < 150)
            assert narrowed._size <= 30_000


def test_numeric_column_against_a_number_is_a_cheap_term():
    from sqlglot import parse_one

    from helios_core.logical import nodes as L
    from helios_core.sql import types as T

    class Field:
        def __init__(self, name, typ):
            self.name, self.type = name, typ

    fields = [Field("q", T.numeric(15, 2)), Field("s", T.TEXT), Field("w", T.numeric(30, 2)), Field("u", T.NUMERIC)]

    def level(sql: str) -> int:
        ast = parse_one(f"SELECT 1 WHERE {sql}", dialect="postgres").args["where"].this
        return push_filters_into_scans.simple_level(L.ScanTerm(ast, None), fields)

    assert level("q < 24") == 1
    assert level("24 > q") == 1
    assert level("q BETWEEN 0.05 AND 0.07") == 1
    assert level("q >= -1.5") == 1
    assert level("q < $1") == 1
    assert level("q < s") == 0  # not a number
    assert level("w < 24") == 0  # wider than 18 digits: after the cheap terms
    assert level("u < 24") == 0
    assert level("q + 1 < 24") == 0
    assert level("q < abs(-2)") == 0


def test_sum_and_avg_over_stored_chunks_read_their_narrowed_values(session):
    session.execute("CREATE TABLE s (v numeric(15,2))")
    parts = [[D(-123456) / 100 + D(i % 977) / 100 for i in range(8_000)], [D(i % 50_000) / 100 for i in range(9_000)]]
    for part in parts:  # one chunk each: the aggregate reads a column of several chunks
        session.execute("INSERT INTO s VALUES " + ", ".join(f"({v})" for v in part))
    values = parts[0] + parts[1]
    want_sum = sum(values)
    for _ in range(2):
        row = session.execute("SELECT sum(v), avg(v), count(*) FROM s")[-1].rows()[0]
        assert row[0] == want_sum and row[2] == len(values)
        assert abs(row[1] - want_sum / len(values)) < D("1e-12")
    assert _kept_slices() >= 2  # both chunks' values were narrowed by the aggregate


@pytest.mark.parametrize("codec", ["zstd", None])
def test_segments_after_a_checkpoint_are_compared_through_narrowed_values(tmp_path, codec):
    narrowed.forget()
    s = helios_core.connect(str(tmp_path / "data"))
    try:
        s.engine.store.segment_codec = codec  # zstd: the chunk reads its segment through the tiers' cache
        values = _fill_series(s, "c", 40_000, "(i % 4000) / 100.0 - 7", lambda i: D(i % 4000) / 100 - 7)
        s.execute("CHECKPOINT")
        chunk = next(ch for b in s.engine.store.branches.values() for lay in b.layers.values()
                     for ch in lay.chunks.values() if ch.num_rows == 40_000)
        assert chunk.resident == (codec is None)
        for c in (D(-7), D("0.5"), D(33), D(100)):
            for _ in range(2):
                assert _count(s, f"SELECT count(*) FROM c WHERE v < {c}") == sum(1 for v in values if v < c)
        assert chunk.narrowed  # its slices were narrowed, whether resident or read from the tier
        # a repack or a move rewrites the chunk's data: its narrowed slices start again
        chunk.make_remote(chunk.source, chunk.tier) if codec else setattr(chunk, "data", chunk.data)
        assert chunk.narrowed is None
        assert _count(s, "SELECT count(*) FROM c WHERE v >= 0") == sum(1 for v in values if v >= 0)
    finally:
        s.close()
        narrowed.forget()
