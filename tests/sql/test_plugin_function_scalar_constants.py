"""A plugin's SQL function with ``scalar_constants`` (hookspecs.SqlFunction) gets each constant
argument one element long beside the full-length columns; NULL constants and NULL rows of a
strict function behave as without it; ``time_bucket`` uses it for its width."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

import helios_core
from helios_core.hookspecs import SqlFunction
from helios_core.sql.functions import register_function


def _scaled(seen: list):
    def impl(args: list[pa.Array]) -> pa.Array:
        seen.append([len(a) for a in args])
        factor = args[1][0] if len(args[1]) == 1 else args[1]
        return pc.multiply(args[0], factor)
    return impl


def test_constants_arrive_one_element_long():
    seen: list[list[int]] = []
    register_function(SqlFunction(name="helios_test_scaled", impl=_scaled(seen), return_type="bigint",
                                  scalar_constants=True))
    s = helios_core.connect()
    s.execute("create table sc (a int, b int)")
    s.execute("insert into sc select x, x % 3 from generate_series(1, 500) x")
    assert s.execute("select sum(helios_test_scaled(a, 10)) from sc")[0].rows() == [(1_252_500,)]
    assert [500, 1] in seen and [500, 500] not in seen
    assert s.execute("select sum(helios_test_scaled(a, b)) from sc")[0].rows() == [
        (sum(x * (x % 3) for x in range(1, 501)),)]
    assert [500, 500] in seen
    assert s.execute("select helios_test_scaled(4, 5)")[0].rows() == [(20,)]
    calls = len(seen)
    assert s.execute("select count(helios_test_scaled(a, null)) from sc")[0].rows() == [(0,)]
    assert len(seen) == calls  # a NULL constant: NULL on every row, the impl not called
    s.execute("create table sn (a int)")
    s.execute("insert into sn select case when x % 100 = 0 then null else x end from generate_series(1, 500) x")
    before = len(seen)
    assert s.execute("select count(*), count(helios_test_scaled(a, 2)) from sn")[0].rows() == [(500, 495)]
    assert [495, 495] in seen[before:]  # rows with NULL: the strict path gives the impl full rows without them


def test_time_bucket_with_a_literal_width_and_with_a_width_per_row():
    s = helios_core.connect()
    s.execute("create table tb (t timestamptz, w interval)")
    s.execute("insert into tb select '2024-01-01 00:00+00'::timestamptz + x * interval '17 minutes', "
              "case when x % 2 = 0 then interval '1 hour' else interval '15 minutes' end "
              "from generate_series(0, 99) x")
    s.execute("insert into tb values (null, '1 hour')")
    literal = s.execute("select time_bucket('1 hour', t) from tb order by t")[0].rows()
    per_row = s.execute("select time_bucket(w, t), w from tb order by t")[0].rows()
    binned = s.execute("select date_bin(w, t, '2000-01-03 00:00+00') from tb order by t")[0].rows()
    hourly = s.execute("select date_bin('1 hour', t, '2000-01-03 00:00+00') from tb order by t")[0].rows()
    assert literal == hourly and literal[-1] == (None,)
    assert [r[0] for r in per_row] == [r[0] for r in binned]
    assert s.execute("select time_bucket(null::interval, t) from tb limit 1")[0].rows() == [(None,)]


def test_time_bucket_of_no_rows_beside_constants():
    """An empty batch beside one-element constants (width, origin) gives no rows, not an error."""
    from helios_core.timeseries.time_bucket import time_bucket

    empty = pa.array([], pa.timestamp("us", "UTC"))
    origin = pa.array([0], pa.timestamp("us", "UTC"))
    assert len(time_bucket([pa.array(["1 hour"]), empty])) == 0
    assert len(time_bucket([pa.array(["1 hour"]), empty, origin])) == 0
    assert len(time_bucket([pa.array(["15 minutes"]), empty, pa.array(["5 minutes"])])) == 0


def test_time_bucket_of_a_constant_time_by_a_width_per_row():
    s = helios_core.connect()
    s.execute("create table wb (w text)")  # widths as text: one value on every row
    s.execute("insert into wb select '1 hour' from generate_series(1, 3)")
    rows = s.execute("select time_bucket(w, timestamptz '2024-01-01 10:17+00') from wb")[0].rows()
    assert len(rows) == 3 and len(set(rows)) == 1 and rows[0][0].hour == 10 and rows[0][0].minute == 0
