"""Unaliased result columns are named as PostgreSQL names them (FigureColname): a function call
by the name it was written with, whatever node the parser made of it."""

from __future__ import annotations

import pytest

import helios_core

# (select list, the names PostgreSQL 15 gives its columns)
CASES = [
    ("substr('abc', 2), substring('abc', 2), substring('abc' from 2)", ["substr", "substring", "substring"]),
    ("mod(7, 3), 7 % 3, power(2, 3), pow(2, 3), 2 ^ 3, div(7, 2)", ["mod", "?column?", "power", "pow", "?column?", "div"]),
    ("ceiling(1.5), ceil(1.5), char_length('x'), strpos('ab', 'b'), trunc(1.5), ln(1), log(10)",
     ["ceiling", "ceil", "char_length", "strpos", "trunc", "ln", "log"]),
    ("coalesce(1, 2), count(*), stddev(1), bool_and(true), array_length(array[1], 1), left('ab', 1)",
     ["coalesce", "count", "stddev", "bool_and", "array_length", "left"]),
    ("trim(' a '), btrim(' a '), date_part('year', date '2020-01-01'), extract(year from date '2020-01-01')",
     ["btrim", "btrim", "date_part", "extract"]),
    ("timestamp '2024-01-01' at time zone 'UTC', now() at time zone 'Asia/Tokyo'", ["timezone", "timezone"]),
    ("lower('A') collate \"C\", 'x' collate \"C\", (upper('b')) collate \"C\"", ["lower", "?column?", "upper"]),
]


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    yield s
    s.engine.close()


@pytest.mark.parametrize(("select_list", "names"), CASES)
def test_unaliased_column_names(session, select_list, names):
    result = session.execute(f"SELECT {select_list}")[0]
    assert [c.name for c in result.columns] == names


def test_json_arrow_inside_a_call_is_not_a_lambda(session):
    session.execute("""CREATE TABLE docs_cn (id int PRIMARY KEY, body jsonb)""")
    session.execute("""INSERT INTO docs_cn VALUES (1, '{"a": 1, "b": [1, 2, 3]}')""")
    rows = session.execute("SELECT jsonb_array_elements(body -> 'b') AS e FROM docs_cn")[0].batches[0]
    assert rows.column(0).to_pylist() == ["1", "2", "3"]
