"""A scan's WHERE handed to the GROUP BY above it as a flag column (operators.kept_rows_column):
every answer equals the one the filtered scan gives, and the flags are really used where they
apply."""

from __future__ import annotations

import datetime

import pytest

import helios_core
from helios_core.sql.operators import kept_rows_column

ROWS = 150_000  # several scan batches and over the by-ids threshold


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    s.execute("CREATE TABLE li (k int, flag char(1), g int, q numeric(15,2), p numeric(15,2), d numeric(15,2), "
              "f float8, n int, t text, day date)")
    step = 10_000
    for start in range(0, ROWS, step):
        s.execute(f"""INSERT INTO li SELECT x, substr('ANR', x % 3 + 1, 1), CASE WHEN x % 11 = 0 THEN NULL ELSE x % 7 END,
            (x % 50)::numeric + 0.25, (x % 997) * 10.5, (x % 11) / 100.0,
            x / 3.0, CASE WHEN x % 13 = 0 THEN NULL ELSE x % 5 END, 'w' || (x % 9),
            DATE '2020-01-01' + (x % 1000)
            FROM generate_series({start}, {start + step - 1}) x""")
    yield s
    s.close()


QUERIES = [
    # kept by most rows: the flags
    ("SELECT flag, g, count(*), sum(q), avg(p), sum(p * (1 - d)), sum(p * (1 - d) * (1 + d)), min(t), max(day), "
     "count(n) FROM li WHERE day <= DATE '2022-06-01' GROUP BY flag, g ORDER BY flag, g"),
    "SELECT g, count(*), sum(q) FROM li WHERE n IS NOT NULL AND k <> 17 GROUP BY g ORDER BY g",
    "SELECT flag, max(f), min(f), count(*) FROM li WHERE n < 4 OR n IS NULL GROUP BY flag ORDER BY flag",
    # NULL terms keep no row; a group whose rows are all dropped disappears
    "SELECT g, count(*) FROM li WHERE n > 0 GROUP BY g ORDER BY g",
    "SELECT g, count(*), sum(q) FROM li WHERE g IS NOT NULL AND g <> 3 GROUP BY g ORDER BY g",
    # no row kept
    "SELECT g, count(*) FROM li WHERE k < 0 GROUP BY g",
    # few rows kept: filtered as before
    "SELECT flag, count(*), sum(q) FROM li WHERE k % 10 = 0 GROUP BY flag ORDER BY flag",
    # a term that fails on rows another term drops: not evaluated on them
    "SELECT g, count(*) FROM li WHERE n <> 0 AND 10 / n > 1 GROUP BY g ORDER BY g",
    # HAVING, ORDER BY an aggregate, LIMIT
    ("SELECT flag, g, sum(q) AS s FROM li WHERE day > DATE '2020-02-01' GROUP BY flag, g HAVING sum(q) > 1000 "
     "ORDER BY s DESC LIMIT 5"),
    # shapes left to the filter: integer arithmetic, DISTINCT, FILTER, float sums, grand aggregates
    "SELECT g, sum(n * 2) FROM li WHERE day <= DATE '2022-06-01' GROUP BY g ORDER BY g",
    "SELECT g, count(DISTINCT n) FROM li WHERE day <= DATE '2022-06-01' GROUP BY g ORDER BY g",
    "SELECT g, count(*) FILTER (WHERE n = 1) FROM li WHERE day <= DATE '2022-06-01' GROUP BY g ORDER BY g",
    "SELECT g, sum(f) FROM li WHERE day <= DATE '2022-06-01' GROUP BY g ORDER BY g",
    "SELECT count(*), sum(q) FROM li WHERE day <= DATE '2022-06-01'",
]


def _rows(s, sql):
    return s.execute(sql)[-1].rows()


@pytest.mark.parametrize("sql", QUERIES, ids=[f"q{i}" for i in range(len(QUERIES))])
def test_answers_equal_the_filtered_scan(session, sql, monkeypatch):
    flagged = _rows(session, sql)
    monkeypatch.setattr(kept_rows_column, "applies", lambda *a: False)
    filtered = _rows(session, sql + " ")  # another text: planned again, without the flags
    assert flagged == filtered


def test_flags_are_used_where_they_apply(session, monkeypatch):
    whole = []
    real = kept_rows_column._with_flags

    def spy(b, kept):
        whole.append(kept is not None)
        return real(b, kept)

    monkeypatch.setattr(kept_rows_column, "_with_flags", spy)
    _rows(session, QUERIES[0] + "  ")
    assert whole and all(whole)  # every batch handed over whole, none copied
    whole.clear()
    _rows(session, QUERIES[6] + "  ")
    assert whole and not any(whole)  # a tenth kept: filtered, flagged all 1
    whole.clear()
    _rows(session, QUERIES[9] + "  ")
    assert not whole  # integer arithmetic could overflow on a dropped row: no flags


def test_prepared_parameters_and_explain_analyze(session):
    stmt = session.prepare("SELECT flag, count(*), sum(q) FROM li WHERE day <= $1 GROUP BY flag ORDER BY flag",
                           [1082])  # date
    got = session.execute_prepared(stmt, [datetime.date(2022, 6, 1)]).rows()
    assert got == _rows(session, "SELECT flag, count(*), sum(q) FROM li WHERE day <= DATE '2022-06-01' "
                                 "GROUP BY flag ORDER BY flag")
    plan = "\n".join(r[0] for r in _rows(session, "EXPLAIN ANALYZE SELECT flag, count(*) FROM li "
                                                  "WHERE day <= DATE '2022-06-01' GROUP BY flag"))
    kept = sum(r[1] for r in _rows(session, "SELECT flag, count(*) FROM li WHERE day <= DATE '2022-06-01' "
                                            "GROUP BY flag"))
    assert f"rows={kept} " in plan and f"Rows Removed by Filter: {ROWS - kept}" in plan


def test_terms_evaluated_once_when_they_keep_little(session, monkeypatch):
    """A batch the terms keep too little of is filtered by the mask already computed: the terms
    are not evaluated a second time by the ordinary filter (only a term that raised sends the
    batch there)."""
    from helios_core.sql.operators import basic

    calls = []
    real = basic.apply_scan_terms

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(basic, "apply_scan_terms", spy)
    got = _rows(session, QUERIES[6] + "   ")
    assert not calls
    assert got == _rows(session, QUERIES[6])
    _rows(session, QUERIES[7] + "   ")  # 10 / n raises where n = 0: those batches go the ordinary way
    assert calls


def test_only_the_columns_read_above_are_filtered(session):
    """A batch kept too little is filtered only in the columns the aggregate reads; one only the
    WHERE read stands as a zero-copy slice of itself (same schema, length of the kept rows)."""
    import pyarrow as pa

    b = pa.record_batch({"k": pa.array(range(10)), "q": pa.array([x * 1.5 for x in range(10)]),
                         "t": pa.array([f"w{x}" for x in range(10)])})
    kept = pa.array([x % 3 == 0 for x in range(10)])
    out = kept_rows_column._kept_columns(b, kept, 4, frozenset({0, 1}))
    assert out.schema == b.schema and out.num_rows == 4
    assert out.column(0).to_pylist() == [0, 3, 6, 9] and out.column(1).to_pylist() == [0.0, 4.5, 9.0, 13.5]
    assert out.column(2).buffers()[2].address == b.column(2).buffers()[2].address  # not copied
    assert kept_rows_column._kept_columns(b, kept, 4, None).to_pylist() == b.filter(kept).to_pylist()
    # a WHERE column also read by the aggregate is filtered with the rest
    sql = "SELECT flag, min(k), max(k), count(*) FROM li WHERE k % 10 = 0 AND n > 1 GROUP BY flag ORDER BY flag"
    got = _rows(session, sql)
    rows = [(x, substr) for x, substr in ((x, "ANR"[x % 3]) for x in range(ROWS))
            if x % 10 == 0 and x % 13 != 0 and x % 5 > 1]
    expect = sorted((f, min(x for x, g in rows if g == f), max(x for x, g in rows if g == f),
                     sum(1 for _, g in rows if g == f)) for f in {g for _, g in rows})
    assert got == expect


def test_flags_all_one_are_not_grouped_by(session, monkeypatch):
    """When every batch was filtered (flags all 1, CB5's shape) the aggregate groups by its keys
    alone; flags with some 0 among them stay a key whose 0 groups are dropped."""
    import pyarrow as pa

    from helios_core.sql.operators import aggregate, aggregate_by_ids

    keys_seen = []
    real_hash, real_ids = aggregate._hash_aggregate, aggregate_by_ids.aggregate
    monkeypatch.setattr(aggregate, "_hash_aggregate", lambda work, ks, aggs: (
        keys_seen.append(list(ks)), real_hash(work, ks, aggs))[1])
    monkeypatch.setattr(aggregate_by_ids, "aggregate", lambda work, ks, aggs, memo: (
        keys_seen.append(list(ks)), real_ids(work, ks, aggs, memo))[1])
    got = _rows(session, QUERIES[6] + "    ")  # a tenth kept: every batch filtered, flagged all 1
    assert keys_seen and all(kept_rows_column.KEEP_COLUMN not in ks for ks in keys_seen)
    assert got == _rows(session, QUERIES[6])
    keys_seen.clear()
    _rows(session, QUERIES[0] + "    ")  # most rows kept: whole batches, some flags 0
    assert keys_seen and all(kept_rows_column.KEEP_COLUMN in ks for ks in keys_seen)
    assert kept_rows_column.all_kept(pa.chunked_array([[1, 1], [1]], "int8"))
    assert not kept_rows_column.all_kept(pa.chunked_array([[1, 1], [0]], "int8"))
