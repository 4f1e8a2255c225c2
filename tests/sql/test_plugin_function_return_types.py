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
