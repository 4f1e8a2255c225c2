"""Sums and averages of small decimals computed in the narrowest integer type their bound fits
(sql.planner.decimal_fast.unscaled_of, sql.operators.aggregate): the answers are Python's exact
Decimal arithmetic for columns whose stored slices narrow to int16, int32 and int64, values at
those types' edges, negative values, products and sums that need a wider type than their
operands, and work slices that came out in different widths (widened to one type)."""

from __future__ import annotations

import decimal
import random

import pytest

from helios_core.sql.operators import aggregate

D = decimal.Decimal
ROWS = 5000  # per stored chunk: over the narrowed slices' minimum


@pytest.fixture
def session(kept_slices_session, monkeypatch):
    monkeypatch.setattr(aggregate, "WORK_SLICE_ROWS", ROWS)  # a work slice per chunk in a small table
    return kept_slices_session


def _load(s, rng: random.Random) -> list[tuple]:
    """Four chunks: values up to 327.67 (int16 unscaled), to 327.68 and -327.68 (int32), to
    21,474,836.47 (int32's edge) and beyond it (int64)."""
    s.execute("CREATE TABLE t (g text, x numeric(15,2), y numeric(15,2))")
    spans = [(0, 32767), (-32768, 32768), (-2147483647, 2147483647), (-10**12, 10**12)]
    rows = []
    for lo, hi in spans:
        part = [(rng.choice("ab"), D(rng.randint(lo, hi)) / 100, D(rng.randint(0, 10)) / 100) for _ in range(ROWS)]
        part[0] = (part[0][0], D(hi) / 100, part[0][2])  # each span's edge is in the data
        part[1] = (part[1][0], D(lo) / 100, part[1][2])
        values = ", ".join(f"('{g}', {x}, {y})" for g, x, y in part)
        s.execute(f"INSERT INTO t VALUES {values}")
        rows.extend(part)
    return rows


def _work_types(monkeypatch) -> list[set]:
    seen: list[set] = []
    real = aggregate._hash_aggregate

    def spy(work, ks, aggs):
        seen.append({str(f.type) for f in work.schema if f.name.startswith("a")})
        return real(work, ks, aggs)

    monkeypatch.setattr(aggregate, "_hash_aggregate", spy)
    return seen


def test_sums_in_narrow_types_are_exact(session, monkeypatch):
    rows = _load(session, random.Random(3))
    seen = _work_types(monkeypatch)
    exprs = {
        "x": lambda x, y: x,
        "x * (1 - y)": lambda x, y: x * (1 - y),
        "x * (1 - y) * (1 + y)": lambda x, y: x * (1 - y) * (1 + y),
        "x + y": lambda x, y: x + y,
        "y - x": lambda x, y: y - x,
        "y * 100 - 5": lambda x, y: y * 100 - 5,
    }
    for expr, fn in exprs.items():
        for where, keep in (("", lambda x: True), (" WHERE x < 300", lambda x: x < 300)):
            got = {r[0]: (r[1], r[2]) for r in session.execute(
                f"SELECT g, sum({expr}), avg({expr}) FROM t{where} GROUP BY g")[-1].rows()}
            for g in "ab":
                values = [fn(x, y) for gg, x, y in rows if gg == g and keep(x)]
                total = sum(values, D(0))
                assert got[g][0] == total, (expr, where, g)
                assert got[g][1] == (total / len(values)).quantize(got[g][1]), (expr, where, g)
            grand = session.execute(f"SELECT sum({expr}) FROM t{where}")[-1].rows()[0][0]
            assert grand == sum((fn(x, y) for _g, x, y in rows if keep(x)), D(0)), (expr, where)
    assert seen and all(len(types) == 1 for types in seen)  # the slices' widths made one


def test_small_values_are_summed_in_two_and_four_bytes(session, monkeypatch):
    session.execute("CREATE TABLE s (g int, x numeric(15,2), y numeric(15,2))")
    rng = random.Random(5)
    rows = [(i % 4, D(rng.randint(-32767, 32767)) / 100, D(rng.randint(0, 10)) / 100) for i in range(2 * ROWS)]
    for part in (rows[:ROWS], rows[ROWS:]):
        session.execute("INSERT INTO s VALUES " + ", ".join(f"({g}, {x}, {y})" for g, x, y in part))
    seen = _work_types(monkeypatch)
    got = session.execute("SELECT g, sum(x), sum(x * (1 - y)), sum(x * (1 - y) * (1 + y)), avg(x) "
                          "FROM s GROUP BY g ORDER BY g")[-1].rows()
    for g, sx, sd, sc, ax in got:
        mine = [(x, y) for gg, x, y in rows if gg == g]
        assert sx == sum((x for x, _ in mine), D(0))
        assert sd == sum((x * (1 - y) for x, y in mine), D(0))
        assert sc == sum((x * (1 - y) * (1 + y) for x, y in mine), D(0))
        assert ax == (sx / len(mine)).quantize(ax)
    assert seen == [{"int16", "int32"}]  # x in two bytes, its products (bound 32767 * 110 * 110) in four


def test_work_slices_of_different_widths_are_widened_to_one(session, monkeypatch):
    session.execute("CREATE TABLE w (g int, x numeric(12,2))")
    for lo, hi in ((0, 100), (0, 100), (0, 100), (0, 100), (10**9, 10**9 + 5)):  # the last slice: int64
        session.execute(f"INSERT INTO w SELECT i % 3, ({lo} + i % ({hi - lo} + 1)) / 100.0 "
                        f"FROM generate_series(1, {ROWS}) i")
    seen = _work_types(monkeypatch)
    built = []
    real = aggregate.HashAggregate._work_by_slices
    monkeypatch.setattr(aggregate.HashAggregate, "_work_by_slices",
                        lambda self, *a, **k: built.append(real(self, *a, **k)) or built[-1])
    got = dict(session.execute("SELECT g, sum(x * 2) FROM w GROUP BY g")[-1].rows())
    assert built and built[0] is not None  # built by slices, not again over the whole input
    want: dict[int, D] = {}
    for lo, hi in ((0, 100), (0, 100), (0, 100), (0, 100), (10**9, 10**9 + 5)):
        for i in range(1, ROWS + 1):
            want[i % 3] = want.get(i % 3, D(0)) + (D(lo + i % (hi - lo + 1)) / 100) * 2
    assert got == want
    assert seen and all(len(types) == 1 for types in seen)


def test_a_large_constant_times_a_column_of_zeros_or_small_values(session):
    session.execute("CREATE TABLE z (g int, x numeric(10,2), y numeric(10,2))")
    session.execute(f"INSERT INTO z SELECT i % 3, 0, (i % 2) / 100.0 FROM generate_series(1, {2 * ROWS}) i")
    got = session.execute("SELECT g, sum(x * 100000), sum(x * 1000000000), sum(y * 1000000), sum(100000 * y) "
                          "FROM z GROUP BY g ORDER BY g")[-1].rows()
    for g, a, b, c, d in got:
        ones = sum(1 for i in range(1, 2 * ROWS + 1) if i % 3 == g and i % 2)
        assert (a, b) == (0, 0)
        assert c == d * 10 == D(ones) * D("0.01") * 1000000
