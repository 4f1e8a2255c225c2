"""Values assigned to columns by INSERT and UPDATE against a real PostgreSQL 15, whether the rows
are a few literals or a batch load long enough to be lifted into parameters and bound a column
at a time: quoted literals into integers and booleans, numeric literals into integers (rounded),
text and floats, a smallint overflow, explicit casts between boolean and integer.

Known gap, not tested here: PostgreSQL refuses an integer assigned to a boolean column (and the
reverse) without an explicit cast (42804); HeliosDB converts them, because the ClickHouse
protocol's statements rely on it (its comparisons are integers, its Bool columns take them)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("helios_difftest", Path(__file__).with_name("test_differential.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
Postgres, Helios, assert_steps_agree = _mod.Postgres, _mod.Helios, _mod.assert_steps_agree


def _batch(columns: str, cells: list[str], rows: int = 300) -> str:
    """A batch load long enough for the one-pass lifting of plain VALUES rows."""
    return f"INSERT INTO ins_assign ({columns}) VALUES " + ", ".join(
        f"({cells[i % len(cells)]})" for i in range(rows))


STEPS = [
    "DROP TABLE IF EXISTS ins_assign",
    "CREATE TABLE ins_assign (k serial primary key, a int, b bool, c text, d smallint, f float8, r real)",
    "INSERT INTO ins_assign (a, b) VALUES (1::bool::int, 0::boolean), (CAST(true AS integer), 't')",
    _batch("a, b", ["'12', 'yes'", "' 7 ', 'off'"]),
    _batch("a, c, f, r", ["2.5, 17, 0.1, 1.1", "-2.5, 4, 62.6, 16777217", "3.5, 9, 94573.3837993, 0.3"]),
    _batch("d", ["40000", "1"]),
    "UPDATE ins_assign SET b = 1::bool WHERE a = 1",
    "SELECT count(*), count(b), count(*) FILTER (WHERE b), sum(a), sum(d) FROM ins_assign",
    "SELECT a, c, f, r FROM ins_assign WHERE c IS NOT NULL GROUP BY a, c, f, r ORDER BY a, c, f",
    "SELECT a, b FROM ins_assign WHERE c IS NULL GROUP BY a, b ORDER BY a, b",
    "DROP TABLE ins_assign",
]


@pytest.fixture(scope="module")
def systems(postgres_dsn):
    pg = Postgres(postgres_dsn)
    yield pg, Helios()
    pg.run("DROP TABLE IF EXISTS ins_assign")
    pg.close()


def test_assignments_agree_with_postgresql(systems):
    pg, hx = systems
    assert_steps_agree(pg, hx, STEPS)
