"""Serial and identity columns in a schema other than public."""

from __future__ import annotations

import pytest

import helios_core


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    yield s
    s.close()


def test_serial_outside_public_schema(session) -> None:
    """The sequence default of a serial column names its schema, so inserts find it."""
    session.execute("create schema app")
    session.execute("create table app.t (id serial primary key, v text)")
    session.execute("insert into app.t (v) values ('a'), ('b')")
    assert session.execute("select id, v from app.t order by id")[0].rows() == [(1, "a"), (2, "b")]
    default = session.execute("select column_default from information_schema.columns "
                              "where table_schema = 'app' and column_name = 'id'")[0].rows()
    assert default == [("nextval('app.t_id_seq'::regclass)",)]
