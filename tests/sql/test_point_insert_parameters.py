"""A one-row INSERT's integer parameters bound at another width than their columns (drivers type
a parameter by its value: psycopg binds 7 as a smallint) are taken as they are within the
column's range (point_writes._taken_as_is): the same rows and the same 22003 past the range as
the general path gives (INSERT ... SELECT of the same parameters)."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError

INT2, INT4, INT8, TEXT = 21, 23, 20, 25
CASES = [  # (parameter types, values)
    ([INT2, INT2, TEXT, INT2], [1, 2, "x", 3]),
    ([INT4, INT4, TEXT, INT8], [2, 40000, "y", 1]),
    ([INT8, INT2, TEXT, INT8], [3, None, None, 2**40]),
    ([INT4, INT2, TEXT, INT8], [4, -32768, "z", -(2**31)]),
    ([INT8, INT8, TEXT, INT8], [2**62, -(2**15) - 1, "w", 7]),
    ([INT2, INT4, TEXT, INT4], [6, 32767, "", 2**31 - 1]),
]


def _outcome(session, sql, types, values):
    try:
        session.execute_prepared(session.prepare(sql, types), values)
    except HeliosError as e:
        return ("error", e.sqlstate, str(e))
    rows = None
    for rows in session.execute("SELECT * FROM t ORDER BY a"):
        pass
    return ("rows", rows.rows())


@pytest.mark.parametrize(("types", "values"), CASES)
def test_point_insert_takes_integers_as_the_general_path_does(types, values):
    outcomes = []
    for sql in ("INSERT INTO t (a, b, c, d) VALUES ($1, $2, $3, $4)",
                "INSERT INTO t (a, b, c, d) SELECT $1, $2, $3, $4"):
        s = helios_core.connect()
        s.execute("CREATE TABLE t (a bigint PRIMARY KEY, b smallint, c text, d int)")
        outcomes.append(_outcome(s, sql, types, values))
    assert outcomes[0] == outcomes[1]


def test_point_insert_takes_them_without_the_general_path(monkeypatch):
    from helios_core.sql import dml

    s = helios_core.connect()
    s.execute("CREATE TABLE t (a bigint PRIMARY KEY, b smallint, c text, d int)")
    p = s.prepare("INSERT INTO t (a, b, c, d) VALUES ($1, $2, $3, $4)", [INT2, INT4, TEXT, INT8])
    s.execute_prepared(p, [1, 2, "x", 3])  # planned
    general = []
    real = dml.source_rows
    monkeypatch.setattr(dml, "source_rows", lambda *a, **k: general.append(a) or real(*a, **k))
    s.execute_prepared(p, [2, 3, "y", 4])
    assert general == []
    with pytest.raises(HeliosError) as e:  # past the column's range: the general path, and its 22003
        s.execute_prepared(p, [3, 40000, "z", 5])
    assert e.value.sqlstate == "22003" and len(general) == 1


NUMERIC = 1700


@pytest.mark.parametrize("value", ["12.50", "12.555", "-0.005", "99999999.994", "99999999.995", "7", "0.1", "NaN",
                                   "1e3", "123456789012345678901234567890.12345"])
def test_numeric_parameters_insert_as_the_general_path_does(value):
    outcomes = []
    for sql in ("INSERT INTO n (a, b, c) VALUES ($1, $2, $3)", "INSERT INTO n (a, b, c) SELECT $1, $2, $3"):
        s = helios_core.connect()
        s.execute("CREATE TABLE n (a int PRIMARY KEY, b numeric(10,2), c numeric)")
        try:
            s.execute_prepared(s.prepare(sql, [INT4, NUMERIC, NUMERIC]), [1, value, value])
            rows = None
            for rows in s.execute("SELECT a, b::text, c::text FROM n"):
                pass
            outcomes.append(rows.rows())
        except HeliosError as e:
            outcomes.append((e.sqlstate, str(e)))
    assert outcomes[0] == outcomes[1]
