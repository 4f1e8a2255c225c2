"""A hash join's left-side keys narrowing its right-side scan (operators.join_key_filter): every
join gives the rows it gives without the narrowing, the narrowing happens where it may, and it
stays away from joins whose unmatched right rows are kept or counted."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.sql.operators import join_key_filter, parallel_map

QUERIES = [
    "SELECT o.id, l.id, l.v FROM ord o JOIN line l ON l.oid = o.id WHERE o.d < date '2024-02-01' ORDER BY 1, 2",
    "SELECT count(*), sum(l.v) FROM ord o JOIN line l ON o.id = l.oid WHERE o.flag AND l.v > 3",
    "SELECT o.id, l.id FROM ord o JOIN line l ON l.big = o.id ORDER BY 1, 2",  # int8 against int4
    "SELECT o.id, l.id FROM ord o JOIN line l ON l.d = o.d WHERE o.id % 97 = 0 ORDER BY 1, 2",  # dates
    "SELECT o.id FROM ord o WHERE EXISTS (SELECT 1 FROM line l WHERE l.oid = o.id AND l.v = 7) ORDER BY 1",
    "SELECT o.id FROM ord o WHERE o.id IN (SELECT l.oid FROM line l WHERE l.v < 2) ORDER BY 1",
    "SELECT o.id, l.id FROM ord o LEFT JOIN line l ON l.oid = o.id WHERE o.id < 40 ORDER BY 1, 2",
    "SELECT o.id, l.id FROM ord o RIGHT JOIN line l ON l.oid = o.id WHERE l.id < 300 ORDER BY 1, 2",
    "SELECT o.id, l.id FROM ord o FULL JOIN line l ON l.oid = o.id WHERE coalesce(o.id, l.id) < 60 ORDER BY 1, 2",
    ("SELECT o.id, (SELECT count(*) FROM ord p JOIN line q ON q.oid = p.id WHERE p.id = o.id) FROM ord o "
     "WHERE o.id < 30 ORDER BY 1"),
    "SELECT o.id, l.id FROM ord o JOIN line l ON l.oid = o.id AND l.v > o.id % 5 WHERE o.id < 500 ORDER BY 1, 2",
    # a large scanned left side and a small filtered right one: the right is gathered first
    "SELECT l.id, o.id, o.d FROM line l JOIN ord o ON o.id = l.oid WHERE o.id < 50 ORDER BY 1, 2",
    "SELECT count(*), min(l.id) FROM line l JOIN ord o ON o.id = l.big WHERE o.flag AND o.id BETWEEN 100 AND 400",
    "SELECT l.id FROM line l JOIN ord o ON o.d = l.d WHERE o.id = 77 ORDER BY 1",
    "SELECT l.id, o.id FROM line l LEFT JOIN ord o ON o.id = l.oid WHERE l.id < 100 AND o.id < 50 ORDER BY 1, 2",
    # the keys' mask with the scan's cheap terms (one copy), and before its other terms
    "SELECT count(*), sum(l.w) FROM ord o JOIN line l ON l.oid = o.id WHERE o.flag AND l.v > 3 AND l.w <> 7",
    ("SELECT o.id, l.id FROM ord o JOIN line l ON l.oid = o.id WHERE o.id < 300 AND l.v BETWEEN 2 AND 5 "
     "AND l.id::text LIKE '%7' ORDER BY 1, 2"),
    "SELECT count(*) FROM ord o JOIN line l ON l.oid = o.id WHERE o.id < 900 AND l.v * 3 - 2 > 10 AND l.w < 9",
]


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    s.execute("CREATE TABLE ord (id int, d date, flag bool)")
    s.execute("CREATE TABLE line (id int, oid int, big bigint, d date, v int, w int)")
    s.execute("INSERT INTO ord SELECT CASE WHEN x % 50 = 0 THEN NULL ELSE x END, date '2024-01-01' + x % 90, "
              "x % 3 = 0 FROM generate_series(-200, 4000) x")
    for part in range(4):  # several chunks; keys beyond the orders' range, negative and NULL ones too
        s.execute(f"INSERT INTO line SELECT x, CASE WHEN x % 41 = 0 THEN NULL ELSE (x * 7) % 9000 - 500 END, "
                  f"(x * 13) % 5000, date '2023-12-01' + x % 200, x % 10, x % 10 + 1 "
                  f"FROM generate_series({part * 60000}, {part * 60000 + 59999}) x")
    yield s
    s.close()


def _rows(s, sql):
    return s.execute(sql)[-1].rows()


@pytest.mark.parametrize("sql", QUERIES)
def test_joins_give_the_rows_they_give_without_the_narrowing(session, sql, monkeypatch) -> None:
    narrowed = _rows(session, sql)
    monkeypatch.setattr(join_key_filter, "install", lambda *a, **k: None)
    assert narrowed == _rows(session, sql)


@pytest.fixture
def kept(monkeypatch) -> list[tuple[int, int]]:
    """(rows offered, rows kept) of each batch a KeyFilter sees."""
    calls: list[tuple[int, int]] = []
    real = join_key_filter.KeyFilter.hits

    def spy(self, b):
        out = real(self, b)
        calls.append((b.num_rows, b.num_rows if out is None else out.true_count))
        return out

    monkeypatch.setattr(join_key_filter.KeyFilter, "hits", spy)
    return calls


def _installed_filters(monkeypatch) -> list[join_key_filter.KeyFilter]:
    """The KeyFilters the joins install from now on, as they are installed."""
    filters: list[join_key_filter.KeyFilter] = []
    real_install = join_key_filter.install

    def kept_install(kind, left_keys, right_key, right, ctx):
        made = real_install(kind, left_keys, right_key, right, ctx)
        if made is not None:
            filters.append(ctx.runtime_filters[made])
        return made

    monkeypatch.setattr(join_key_filter, "install", kept_install)
    return filters


def test_the_right_scan_is_narrowed_and_a_filter_that_keeps_everything_is_dropped(session, monkeypatch, kept) -> None:
    calls = kept
    assert _rows(session, "SELECT count(*) FROM ord o JOIN line l ON l.oid = o.id WHERE o.id < 100") == \
        [(sum(1 for x in range(240_000) if x % 41 and -200 <= (x * 7) % 9000 - 500 < 100
              and ((x * 7) % 9000 - 500) % 50),)]
    assert calls and sum(n for _, n in calls) < sum(n for n, _ in calls) // 10  # most rows never reach the join

    filters = _installed_filters(monkeypatch)
    monkeypatch.setattr(join_key_filter, "TRIAL_ROWS", 60_000)  # one chunk of the four
    monkeypatch.setattr(parallel_map, "WORKERS", 1)  # batches one after the other: counts exact
    # every line's key (1..10) is an order's: after its trial rows the filter stops testing
    assert _rows(session, "SELECT count(*) FROM ord o JOIN line l ON l.w = o.id") == [(240_000,)]
    assert len(filters) == 1 and filters[0].seen == filters[0].kept == 60_000


def test_explain_analyze_counts_the_scan_s_own_rows(session) -> None:
    plan = "\n".join(r[0] for r in _rows(session, "EXPLAIN ANALYZE SELECT count(*) FROM ord o JOIN line l "
                                                  "ON l.oid = o.id WHERE o.id < 100"))
    scan = next(line for line in plan.splitlines() if "Seq Scan on line" in line)
    assert "rows=240000 " in scan, plan


def test_a_small_right_side_is_gathered_first_and_narrows_the_left_scan(session, monkeypatch, kept) -> None:
    firsts: list[bool] = []
    real = join_key_filter.right_first
    monkeypatch.setattr(join_key_filter, "right_first", lambda *a: firsts.append(real(*a)) or firsts[-1])
    calls = kept
    got = _rows(session, "SELECT count(*) FROM line l JOIN ord o ON o.id = l.oid WHERE o.id < 50")
    assert firsts == [True]
    assert sum(n for n, _ in calls) == 240_000 and sum(k for _, k in calls) == got[0][0]
    firsts.clear()
    # sides of one size: the usual order
    assert _rows(session, "SELECT count(*) FROM line l JOIN line m ON m.id = l.id WHERE l.v = 3") == [(24_000,)]
    assert firsts == [False]



def test_keys_near_the_int64_ends_join_exactly(answered) -> None:
    """Build-side keys at the top of int64 and probe keys at both ends: a probe key's offset from
    the least build key wraps in int64 arithmetic (it may read a flag: the join still matches
    exactly); build keys at the bottom of int64 join exactly too."""
    installed = answered(join_key_filter, "install")
    s = helios_core.connect()
    try:
        top = (1 << 63) - 1
        s.execute("CREATE TABLE big_l (k int8)")
        s.execute("CREATE TABLE big_r (k int8, v int)")
        s.execute(f"INSERT INTO big_l VALUES ({top}), ({top - 5}), ({top - 3})")
        s.execute(f"INSERT INTO big_r SELECT CASE WHEN x % 3 = 0 THEN {-top - 1} + x % 11 "
                  f"WHEN x % 3 = 1 THEN {top} - x % 7 ELSE x END, x FROM generate_series(1, 30000) x")
        got = s.execute("SELECT l.k, count(*) FROM big_l l JOIN big_r r ON r.k = l.k GROUP BY l.k ORDER BY l.k")[-1].rows()
        expect: dict[int, int] = {}
        for x in range(1, 30001):
            k = (-top - 1 + x % 11) if x % 3 == 0 else (top - x % 7) if x % 3 == 1 else x
            if k in (top, top - 5, top - 3):
                expect[k] = expect.get(k, 0) + 1
        assert got == sorted(expect.items())
        assert True in installed
        s.execute(f"INSERT INTO big_l VALUES ({-top - 1}), ({-top + 9})")
        got = s.execute("SELECT l.k, count(*) FROM big_l l JOIN big_r r ON r.k = l.k WHERE l.k < 0 "
                        "GROUP BY l.k ORDER BY l.k")[-1].rows()
        low_expect = {k: sum(1 for x in range(1, 30001) if x % 3 == 0 and -top - 1 + x % 11 == k)
                      for k in (-top - 1, -top + 9)}
        assert got == sorted(low_expect.items())
    finally:
        s.close()


@pytest.mark.parametrize("probe", ["oid", "big"])  # int4 and int8 probe keys
def test_positive_build_keys_take_flags_from_zero(session, monkeypatch, probe) -> None:
    """Build keys all positive and dense enough: the flags start at 0 and an int8 probe key indexes
    them unshifted; probe keys below 1 (negative, zero), beyond the greatest build key and NULL
    still never match, and every matching row is kept."""
    filters = _installed_filters(monkeypatch)
    sql = (f"SELECT o.id, l.id FROM ord o JOIN line l ON l.{probe} = o.id "
           "WHERE o.id BETWEEN 1 AND 3000 AND o.flag ORDER BY 1, 2")
    got = _rows(session, sql)
    assert len(filters) == 1 and filters[0].low == 0 and not filters[0].flags[0] and not filters[0].flags[-1]
    monkeypatch.setattr(join_key_filter, "install", lambda *a: None)
    assert got == _rows(session, sql + " ") and got


def test_the_keys_mask_and_the_cheap_terms_make_one_copy(session, monkeypatch) -> None:
    from helios_core.sql.operators import basic

    seen = []
    real = basic.apply_scan_terms

    def spy(b, parts, simple, ctx, first=None):
        seen.append(first is not None)
        return real(b, parts, simple, ctx, first=first)

    monkeypatch.setattr(basic, "apply_scan_terms", spy)
    sql = "SELECT o.id, l.id, l.v FROM ord o JOIN line l ON l.oid = o.id WHERE o.id < 700 AND l.v > 4 ORDER BY 1, 2"
    got = _rows(session, sql)
    assert any(seen)
    monkeypatch.setattr(join_key_filter, "install", lambda *a, **k: None)
    assert got == _rows(session, sql) and len(got) > 100
