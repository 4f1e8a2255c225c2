"""Statements whose failure used to take many later statements of PostgreSQL's regression files
down with them (a table not created, a transaction aborted): each done as PostgreSQL does it."""
from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture
def session():
    s = helios_core.connect()
    yield s
    s.close()


def test_temporary_table_references_itself(session):
    session.execute("create temp table department (id int primary key, parent int references department, name text)")
    session.execute("insert into department values (0, null, 'root'), (1, 0, 'a')")
    with pytest.raises(HeliosError) as err:
        session.execute("insert into department values (2, 7, 'b')")
    assert err.value.sqlstate == "23503"


def test_update_pg_class_statistics(session):
    session.execute("create table big_looking (a int)")
    session.execute("begin")
    r = session.execute("update pg_class set reltuples = 1000 where relname = 'big_looking'")[-1]
    assert r.command_tag == "UPDATE 1"
    session.execute("update pg_class set reltuples = 2, relpages = 6 + 1 where relname = 'big_looking'")
    assert session.execute("select reltuples, relpages from pg_class where relname = 'big_looking'")[-1].rows() == \
        [(2.0, 7)]
    assert session.execute("update pg_catalog.pg_class c set reltuples = 5 where c.relname = 'none'"
                           )[-1].command_tag == "UPDATE 0"
    with pytest.raises(HeliosError) as err:
        session.execute("update pg_class set relname = 'x' where relname = 'big_looking'")
    assert err.value.sqlstate == "0A000"
    session.execute("rollback")
