"""Values with more fractional digits than an unconstrained numeric column stores (16, see
helios_core.sql.types) are rounded on the way in, whichever way they arrive: a literal, a literal
the statement cache turned into a parameter (the same INSERT run again), a bound parameter, an
array element. They failed with an internal error (XX000) before."""

from __future__ import annotations

from decimal import Decimal

import pytest

import helios_core


@pytest.fixture
def s():
    sess = helios_core.connect()
    yield sess
    sess.close()


VALUES = ["6E-19", "541224.24475771046563414", "1.12345678901234567", "0.00000000000000005", "-1.99999999999999999",
          "1.5"]
STORED = ["0", "541224.2447577104656341", "1.1234567890123457", "0.0000000000000001", "-2", "1.5"]


def _texts(s, sql: str) -> list[str]:
    return [r[0] for r in s.execute(sql)[-1].rows()]


def test_literals_rounded_into_an_unconstrained_column(s) -> None:
    s.execute("create table n1 (id serial, n numeric)")
    for v in VALUES:  # the second and later INSERTs reuse the cached plan with the literal as a parameter
        s.execute(f"insert into n1 (n) values ({v})")
    assert _texts(s, "select n::text from n1 order by id") == STORED


def test_parameters_and_array_elements_rounded(s) -> None:
    s.execute("create table n2 (id serial, n numeric, a numeric[], c numeric(10,3))")
    stmt = s.prepare("insert into n2 (n, a, c) values ($1, $2, $1)", [1700, 1231])
    for v in VALUES:
        s.execute_prepared(stmt, [Decimal(v), [Decimal(v), None]])
    for v in VALUES:
        s.execute(f"insert into n2 (n, a, c) values ({v}, array[{v}], {v})")
    assert _texts(s, "select n::text from n2 order by id") == STORED * 2
    assert _texts(s, "select a[1]::text from n2 order by id") == STORED * 2
    assert _texts(s, "select c::text from n2 order by id")[:3] == ["0.000", "541224.245", "1.123"]


def test_other_dimensionality_is_refused_not_an_internal_error(s) -> None:
    """A two-dimensional numeric array for a numeric[] column (through a domain, as asyncpg binds
    it) is the documented 0A000 of one dimensionality per column, not an internal error."""
    from helios_core.errors import HeliosError

    s.execute("create domain num_array numeric[]")
    s.execute("create table n3 (num num_array)")
    stmt = s.prepare("insert into n3 (num) values ($1)")
    s.execute_prepared(stmt, [[Decimal("1.00000000000000001")]])
    with pytest.raises(HeliosError) as err:
        s.execute_prepared(stmt, [[[Decimal(1), Decimal(2)]]])
    assert err.value.sqlstate == "0A000"
    assert _texts(s, "select num::text from n3") == ["{1}"]  # rounded to 16 digits, printed at its scale


def test_numeric_range_bounds_round_or_overflow_as_a_column_does(s) -> None:
    """numrange/nummultirange bounds are stored as unconstrained numeric: rounded to 16 places,
    22003 past 59 integer digits (an internal error before, for bounds past 76 digits too)."""
    from helios_core.errors import HeliosError

    assert _texts(s, "select numrange(1.123456789012345678, 1e50)::text") == [
        "[1.1234567890123457,100000000000000000000000000000000000000000000000000)"]
    assert _texts(s, "select '{[1,5.037845093374103648E+37], [-3, -2]}'::nummultirange::text") == [
        "{[-3,-2],[1,50378450933741036480000000000000000000]}"]
    for sql in ("select numrange(1, 1e80)", "select '{[-1e70,5]}'::nummultirange",
                "select '{[1,5.037845093374103648E+60]}'::nummultirange"):
        with pytest.raises(HeliosError) as err:
            s.execute(sql)
        assert err.value.sqlstate == "22003", sql


def test_union_of_a_stored_column_and_another_numeric_prints_the_stored_values_as_the_column_does(s) -> None:
    """UNION ALL of an unconstrained numeric column (kept at 16 places) and a numeric of another
    scale (sum of bigint, a literal): the column's values print at the scale the column alone
    prints them with, not at its 16 storage places."""
    s.execute("create table whole (n numeric)")
    s.execute("insert into whole values (11), (10)")
    s.execute("create table halves (n numeric)")
    s.execute("insert into halves values (1.5), (2.5)")
    assert _texts(s, "select n::text from (select n from whole union all "
                     "select sum(g::bigint) from generate_series(1, 3) g) u") == ["11", "10", "6"]
    assert _texts(s, "select n::text from (select n from halves union all select 6.125) u") == ["1.5", "2.5", "6.125"]
    assert _texts(s, "select n::text from (select n from whole union all select n from halves) u") == [
        "11", "10", "1.5", "2.5"]
