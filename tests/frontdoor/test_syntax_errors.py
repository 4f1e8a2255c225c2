"""Syntax errors say where PostgreSQL 15 says they are: "at end of input" when the statement stops
where it needed more, "at or near" the token that is wrong otherwise (positions 1-based)."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError

CASES = [  # (text, PostgreSQL 15's message, its position)
    ("select 1 +", "syntax error at end of input", 11),
    ("select * from t where", "syntax error at end of input", 22),
    ("select * from", "syntax error at end of input", 14),
    ("select (1", "syntax error at end of input", 10),
    ("insert into t values (1,", "syntax error at end of input", 25),
    ("select * from t order by", "syntax error at end of input", 25),
    ("select 1 2", 'syntax error at or near "2"', 10),
    ("select 1 +; select 2", 'syntax error at or near ";"', 11),
    ("select $1,$2 from where", 'syntax error at or near "where"', 19),
]


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    yield s
    s.engine.close()


@pytest.mark.parametrize(("sql", "message", "position"), CASES)
def test_syntax_error_message_and_position(session, sql, message, position):
    with pytest.raises(HeliosError) as err:
        session.execute(sql)
    assert (err.value.sqlstate, err.value.message, err.value.position) == ("42601", message, position)


def test_a_literal_never_reached_is_still_read_as_the_result_type(session):
    with pytest.raises(HeliosError) as err:
        session.execute("select coalesce(1, 'a')")
    assert err.value.sqlstate == "22P02"
    assert session.execute("select coalesce(1, '2')")[0].rows() == [(1,)]
