"""A smallint column compared with an int4 or int8 parameter beyond its range (psycopg sends 100000
as int4): PostgreSQL compares across the integer types, so every operator answers, through
segment pruning, a secondary index, IN lists and the primary-key point read alike; a parameter of
unknown type still takes the column's type and is refused out of range (22003), and an overflow
inside the compared expression is still an error."""

from __future__ import annotations

import operator

import pytest

import helios_core
from helios_core.errors import NumericValueOutOfRange

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "=": operator.eq, "<>": operator.ne}
ROWS = [(1, 1), (2, -5), (3, None), (-7, 30000), (32767, -32768)]
VALUES = [(100000, (23, 20)), (-100000, (23, 20)), (2, (23, 20)), (2**40, (20,)), (-(2**40), (20,))]


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    s.execute("CREATE TABLE small (k int2 PRIMARY KEY, v int2, p int2)")
    s.execute("INSERT INTO small VALUES " + ", ".join(
        f"({k}, {'NULL' if v is None else v}, {'NULL' if v is None else v})" for k, v in ROWS))
    s.execute("CREATE INDEX small_v ON small (v)")  # v through the index, p through a scan
    s.execute("CHECKPOINT")  # segments with min/max statistics for pruning
    yield s
    s.close()


def _run(s, sql: str, oids: list[int], params: list) -> list:
    return s.execute_prepared(s.prepare(sql, oids), params).rows()


@pytest.mark.parametrize("column", ["k", "v", "p"])
def test_every_operator_answers(session, column):
    values = [k if column == "k" else v for k, v in ROWS]
    for op, fn in OPS.items():
        for value, oids in VALUES:
            for oid in oids:
                want = sum(1 for x in values if x is not None and fn(x, value))
                got = _run(session, f"SELECT count(*) FROM small WHERE {column} {op} $1", [oid], [value])[0][0]
                assert got == want, (column, op, value, oid)
    sql = f"SELECT count(*) FROM small WHERE {column} IN ($1, $2)"
    assert _run(session, sql, [23, 23], [100000, 1]) == [(1,)]
    assert _run(session, sql, [23, 20], [100000, -(2**40)]) == [(0,)]


def test_point_read_and_errors_that_stay(session):
    assert _run(session, "SELECT * FROM small WHERE k = $1", [23], [100000]) == []
    assert _run(session, "SELECT v FROM small WHERE k = $1", [23], [2]) == [(-5,)]
    with pytest.raises(NumericValueOutOfRange, match="out of range for type smallint"):
        _run(session, "SELECT count(*) FROM small WHERE k < $1", [0], [100000])  # unknown type: smallint
    with pytest.raises(NumericValueOutOfRange, match="integer out of range"):
        _run(session, "SELECT * FROM small WHERE k = $1 + 1", [23], [2147483647])
