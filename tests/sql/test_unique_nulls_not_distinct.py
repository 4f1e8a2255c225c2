"""UNIQUE NULLS NOT DISTINCT (PostgreSQL 15) is refused with 0A000 in each of its spellings, and
nothing is made: it was accepted and ignored, so a second NULL went in where PostgreSQL refuses it."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.mark.parametrize("sql", [
    "CREATE TABLE v (a int UNIQUE NULLS NOT DISTINCT)",
    "CREATE TABLE v (a int, b int, UNIQUE NULLS NOT DISTINCT (a, b))",
    "ALTER TABLE u ADD CONSTRAINT u_a_key UNIQUE NULLS NOT DISTINCT (a)",
    "CREATE UNIQUE INDEX u_a ON u (a) NULLS NOT DISTINCT",
])
def test_refused_and_nothing_made(sql):
    s = helios_core.connect()
    s.execute("CREATE TABLE u (id int PRIMARY KEY, a int)")
    with pytest.raises(HeliosError) as e:
        s.execute(sql)
    assert e.value.sqlstate == "0A000"
    assert "NULLS NOT DISTINCT" in str(e.value)
    assert s.execute("SELECT count(*) FROM pg_class WHERE relname IN ('v', 'u_a', 'u_a_key')")[-1].rows() == [(0,)]
    s.execute("INSERT INTO u VALUES (1, NULL), (2, NULL)")  # u's NULLs are distinct, as before
    s.close()
