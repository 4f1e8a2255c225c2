"""A plugin's SQL function may derive its return type from its arguments' types (hookspecs.SqlFunction)."""

from __future__ import annotations

import pyarrow as pa

import helios_core
from helios_core.hookspecs import SqlFunction
from helios_core.sql.functions import register_function


def _first(args: list[pa.Array]) -> pa.Array:
    return pa.array([v[0] if v else None for v in args[0].to_pylist()], args[0].type.value_type)


def test_return_type_follows_the_arguments():
    register_function(SqlFunction(name="helios_test_first_of", impl=_first,
                                  return_type=lambda types: types[0].removesuffix("[]")))
    session = helios_core.connect()
    result = session.execute("select helios_test_first_of(array[7, 8]) as i, "
                             "helios_test_first_of(array['a', 'b']) as t, "
                             "helios_test_first_of(array[1.5]::float8[]) as f")[0]
    assert result.rows() == [(7, "a", 1.5)]
    assert [c.type_name for c in result.columns] == ["integer", "text", "double precision"]


def test_a_strict_function_is_called_on_the_rows_without_null():
    """NULL in, NULL out without the impl seeing the row; with no NULL argument every row reaches it
    (the registry skips its per-row check then)."""
    seen: list[list] = []

    def double(args: list[pa.Array]) -> pa.Array:
        seen.append([a.to_pylist() for a in args])
        return pa.array([None if v is None else v * 2 for v in args[0].to_pylist()], pa.int64())

    register_function(SqlFunction(name="helios_test_strict_double", impl=double, return_type="bigint"))
    session = helios_core.connect()
    session.execute("create table strict_args (a int, b int)")
    session.execute("insert into strict_args values (1, 1), (2, null), (3, 3)")
    rows = session.execute("select helios_test_strict_double(a, b) from strict_args order by a")[0].rows()
    assert rows == [(2,), (None,), (6,)] and seen[-1] == [[1, 3], [1, 3]]
    rows = session.execute("select helios_test_strict_double(a, a) from strict_args order by a")[0].rows()
    assert rows == [(2,), (4,), (6,)] and seen[-1] == [[1, 2, 3], [1, 2, 3]]
