"""date_trunc, extract and date_part computed once per distinct value of a batch
(sql.functions.distinct_values): the answers are those of computing every row, for dates,
timestamps and timestamptz, NULLs and infinities, every truncation unit and several fields, in
UTC and in a zone whose clocks jumped at midnight; columns of many distinct values are computed
row by row."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.sql.functions import datetime_funcs, distinct_values

ROWS = 100_000  # one batch over distinct_values.MIN_ROWS

QUERIES = [
    # as text: an infinite timestamp has no Python datetime
    *(f"SELECT date_trunc('{unit}', d)::text, date_trunc('{unit}', t)::text, date_trunc('{unit}', z)::text "
      "FROM e ORDER BY k" for unit in ("day", "week", "month", "quarter", "year", "decade", "century")),
    *(f"SELECT extract({field} FROM d), extract({field} FROM t), date_part('{field}', z) FROM e ORDER BY k"
      for field in ("year", "month", "dow", "isoyear", "doy", "epoch", "quarter")),
    "SELECT date_trunc('month', z, 'Asia/Kolkata')::text, extract(julian FROM d) FROM e ORDER BY k",
    "SELECT date_trunc('month', d)::text m, count(*), sum(k) FROM e GROUP BY 1 ORDER BY 1",
]


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    s.execute("CREATE TABLE e (k int, d date, t timestamp, z timestamptz)")
    s.execute(f"""INSERT INTO e SELECT i,
        CASE WHEN i % 997 = 0 THEN NULL WHEN i % 1999 = 0 THEN 'infinity' WHEN i % 2003 = 0 THEN '-infinity'
             ELSE date '2018-10-01' + (i % 900) END,
        timestamp '2018-11-03 12:00' + (i % 500) * interval '6 hour',
        CASE WHEN i % 991 = 0 THEN NULL ELSE timestamptz '2018-11-03 12:00+00' + (i % 700) * interval '1 hour' END
        FROM generate_series(1, {ROWS}) i""")
    yield s
    s.close()


def _row_by_row(monkeypatch):
    monkeypatch.setattr(datetime_funcs, "per_distinct", lambda v, fn: fn(v))


@pytest.mark.parametrize("zone", ["UTC", "America/Sao_Paulo"])
@pytest.mark.parametrize("sql", QUERIES)
def test_per_distinct_values_answers_as_every_row(session, monkeypatch, zone, sql) -> None:
    session.execute(f"SET TimeZone = '{zone}'")
    computed = []
    real = distinct_values.per_distinct

    def spy(v, fn):
        return real(v, lambda values: computed.append(len(values)) or fn(values))

    monkeypatch.setattr(datetime_funcs, "per_distinct", spy)
    got = session.execute(sql)[-1].rows()
    assert any(n < ROWS for n in computed)  # some column was computed over its distinct values
    _row_by_row(monkeypatch)
    assert got == session.execute(sql)[-1].rows()


def test_many_distinct_values_are_computed_row_by_row(session, monkeypatch) -> None:
    session.execute("CREATE TABLE m (k int, t timestamp)")
    session.execute(f"INSERT INTO m SELECT i, timestamp '2020-01-01' + i * interval '1 second' "
                    f"FROM generate_series(1, {ROWS}) i")
    computed = []
    real = distinct_values.per_distinct
    monkeypatch.setattr(datetime_funcs, "per_distinct",
                        lambda v, fn: real(v, lambda values: computed.append(len(values)) or fn(values)))
    got = session.execute("SELECT date_trunc('hour', t), count(*) FROM m GROUP BY 1 ORDER BY 1")[-1].rows()
    assert [n for n in computed if n] == [ROWS] and len(got) == ROWS // 3600 + 1  # (an empty batch too)
    assert sum(n for _, n in got) == ROWS
