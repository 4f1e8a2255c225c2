"""num_nulls / num_nonnulls with VARIADIC: they count the elements of each row's array (every
dimension), NULL for a NULL array and 0 for an empty one, as PostgreSQL 15."""

from __future__ import annotations

import helios_core


def rows(sql: str) -> list[tuple]:
    return helios_core.connect().execute(sql)[-1].rows()


def test_variadic_null_and_empty_arrays():
    assert rows("select num_nonnulls(variadic null::text[]), num_nulls(variadic '{}'::int[])") == [(None, 0)]


def test_variadic_arrays_computed_per_row():
    assert rows("select num_nulls(variadic a), num_nonnulls(variadic a) from "
                "(values (array[1, null, 3]), (null::int[]), (array[2])) v(a)") == [(1, 2), (None, None), (0, 1)]
    assert rows("select num_nulls(variadic '{{1,null},{null,2}}'::int[])") == [(2,)]
    assert rows("select num_nulls(variadic array(select case when i <> 40 then i end "
                "from generate_series(1, 100) i))") == [(1,)]
