"""Statements HeliosDB does not do are refused with 0A000 naming them, never accepted and ignored."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    s.execute("create table src (a int)")
    yield s
    s.close()


@pytest.mark.parametrize(("sql", "names"), [
    ("create continuous aggregate c with (timeseries = 'm', interval = '1h') as select 1",
     "CREATE CONTINUOUS AGGREGATE"),
])
def test_refused_with_the_feature_named(session, sql: str, names: str) -> None:
    with pytest.raises(HeliosError) as err:
        session.execute(sql)
    assert err.value.sqlstate == "0A000"
    assert names in str(err.value)

