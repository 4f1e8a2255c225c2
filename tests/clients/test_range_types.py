"""Range and multirange types through psycopg (text and binary), as PostgreSQL 15 has them.

psycopg loads int4range ... tstzrange and their multiranges into its Range/Multirange objects
by type OID; its suite dumps them both ways, compares them with ``=``, stores them in tables
and copies them in. The expected values are PostgreSQL 15's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest
from psycopg.types.multirange import Multirange
from psycopg.types.range import Range

from helios_core.testing import HeliosServer


@pytest.fixture(params=[False, True], ids=["text", "binary"])
def conn(server: HeliosServer, request: pytest.FixtureRequest) -> Iterator[psycopg.Connection]:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        c.execute("set timezone to 'UTC'")
        c.cursor_factory = psycopg.Cursor
        c.binary = request.param  # type: ignore[attr-defined]
        yield c


def one(conn: psycopg.Connection, sql: str, params: tuple | list | None = None):
    cur = conn.cursor(binary=conn.binary)  # type: ignore[attr-defined]
    return cur.execute(sql, params).fetchone()


def test_literals_are_canonical(conn: psycopg.Connection) -> None:
    assert one(conn, "select '[1,5]'::int4range, '(1,5]'::int8range, 'empty'::numrange") == (
        Range(1, 6, "[)"), Range(2, 6, "[)"), Range(empty=True))
    assert one(conn, "select '(,)'::daterange, '[2020-01-01,2020-01-01)'::daterange") == (
        Range(None, None, "()"), Range(empty=True))
    assert one(conn, "select '[1,5]'::int4range::text, '(,\"2020-01-02\"]'::daterange::text") == ("[1,6)", "(,2020-01-03)")
    assert one(conn, "select tstzrange('2000-01-01 00:00+02', null)::text") == ('["1999-12-31 22:00:00+00",)',)


def test_constructors_and_bound_functions(conn: psycopg.Connection) -> None:
    assert one(conn, "select numrange(-100, 100.123, '(]'), int4range(10, 20, '[]')") == (
        Range(Decimal(-100), Decimal("100.123"), "(]"), Range(10, 21, "[)"))
    row = one(conn, "select lower(int4range(3,7)), upper('[1.5,2.5]'::numrange), isempty('empty'::int4range), "
                    "lower_inf('(,3)'::int4range), upper_inc('[1,2]'::numrange)")
    assert row == (3, Decimal("2.5"), True, True, True)


def test_parameters_both_formats(conn: psycopg.Connection) -> None:
    r = Range(dt.date(2000, 1, 1), dt.date(2020, 1, 1), "[)")
    assert one(conn, "select daterange('2000-01-01', '2020-01-01') = %s", [r]) == (True,)
    assert one(conn, "select 'empty'::int4range = %b", [Range(empty=True)]) == (True,)
    assert one(conn, "select %s::numrange", [Range(Decimal("1.5"), None, "(]")]) == (Range(Decimal("1.5"), None, "()"),)


def test_operators(conn: psycopg.Connection) -> None:
    assert one(conn, "select int4range(1,10) @> 5, 3 <@ int4range(1,2), int4range(1,10) && int4range(9,20), "
                     "int4range(1,3) -|- int4range(3,5), int4range(1,3) << int4range(5,7)") == (
        True, False, True, True, True)
    assert one(conn, "select '{[1,2), [4,5)}'::int4multirange @> 4, '{[1,2), [4,5)}'::int4multirange && int4range(2,4)"
               ) == (True, False)


def test_multiranges_merge_and_sort(conn: psycopg.Connection) -> None:
    got = one(conn, "select '{[9,10], [1,3), [2,7)}'::int4multirange, int4multirange(), "
                    "range_merge('{[1,2), [4,5)}'::int4multirange)")
    assert got == (Multirange([Range(1, 7, "[)"), Range(9, 11, "[)")]), Multirange(), Range(1, 5, "[)"))
    assert one(conn, "select %s::datemultirange::text",
               [Multirange([Range(dt.date(2020, 1, 3), dt.date(2020, 1, 9)),
                            Range(dt.date(2020, 1, 1), dt.date(2020, 1, 5))])]) == ("{[2020-01-01,2020-01-09)}",)


def test_arrays_of_ranges_and_multiranges(conn: psycopg.Connection) -> None:
    assert one(conn, "select array['empty'::int4range, '(,)'::int4range]") == ([Range(empty=True), Range(bounds="()")],)
    assert one(conn, "select array['{}'::int8multirange, '{(,)}']") == ([Multirange(), Multirange([Range(bounds="()")])],)
    assert one(conn, "select '{empty,\"(,)\"}'::int4range[] = %s", [[Range(empty=True), Range(bounds="()")]]) == (True,)


def test_columns_order_and_filters(conn: psycopg.Connection) -> None:
    conn.execute("drop table if exists booking")
    conn.execute("create table booking (id int, r int4range, days datemultirange)")
    conn.execute("insert into booking values (1, '[5,10)', '{[2020-01-01,2020-02-01)}'), (2, 'empty', '{}'), "
                 "(3, '(,3]', '{[2020-01-01,2020-01-05), [2020-01-03,2020-01-09]}')")
    cur = conn.cursor(binary=conn.binary)  # type: ignore[attr-defined]
    assert [r[0] for r in cur.execute("select id from booking order by r").fetchall()] == [2, 3, 1]
    assert cur.execute("select id from booking where r @> 7").fetchall() == [(1,)]
    assert cur.execute("select days from booking where id = 3").fetchone() == (
        Multirange([Range(dt.date(2020, 1, 1), dt.date(2020, 1, 10))]),)
    with cur.copy("copy booking (id, r) from stdin") as copy:
        copy.write_row([4, Range(20, 30, "(]")])
    assert cur.execute("select r from booking where id = 4").fetchone() == (Range(21, 31, "[)"),)


@pytest.mark.parametrize(("sql", "error"), [
    ("select '[3,1]'::int4range", psycopg.errors.DataException),
    ("select '[1,2'::int4range", psycopg.errors.InvalidTextRepresentation),
    ("select int4range(1, 2, 'x]')", psycopg.errors.SyntaxError),
    ("select '[2147483647,2147483647]'::int4range", psycopg.errors.NumericValueOutOfRange),
    ("select '[1,5]'::int4multirange", psycopg.errors.InvalidTextRepresentation),
])
def test_errors_are_postgresql_s(conn: psycopg.Connection, sql: str, error: type) -> None:
    with pytest.raises(error):
        one(conn, sql)


def test_numrange_bounds_of_many_integral_digits(conn: psycopg.Connection) -> None:
    """An integral numeric bound of more digits than Python's default decimal precision (28) goes
    out whole (binary output failed with an internal error, psycopg's faker found it)."""
    got = conn.execute("select numrange(-3.05615E+24, -8.5914537E-9), numrange(1e30, 1e31)").fetchone()
    assert got == (Range(Decimal(-3056150000000000000000000), Decimal("-8.5914537E-9"), "[)"),
                   Range(Decimal(10) ** 30, Decimal(10) ** 31, "[)"))
