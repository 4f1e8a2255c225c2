"""WITH ORDINALITY on set-returning functions in FROM adds the row number column, as PostgreSQL."""

from __future__ import annotations

import pytest

import helios_core


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    yield s
    s.close()


@pytest.mark.parametrize(("sql", "names", "rows"), [
    ("select * from generate_series(1, 3) with ordinality as x(a, o)", ["a", "o"], [(1, 1), (2, 2), (3, 3)]),
    ("select * from generate_series(5, 6) with ordinality", ["generate_series", "ordinality"], [(5, 1), (6, 2)]),
    ("select n, v from generate_series(10, 30, 10) with ordinality as g(v, n) where v > 10",
     ["n", "v"], [(2, 20), (3, 30)]),
    ("""select * from jsonb_array_elements_text('["a","b"]') with ordinality""",
     ["value", "ordinality"], [("a", 1), ("b", 2)]),
    ("select * from unnest(array[7, 8]) with ordinality as u(x, n)", ["x", "n"], [(7, 1), (8, 2)]),
])
def test_ordinality_column(session, sql: str, names: list[str], rows: list[tuple]) -> None:
    result = session.execute(sql)[0]
    assert [c.name for c in result.columns] == names
    assert result.rows() == rows
