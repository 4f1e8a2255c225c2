"""PostgreSQL's rendering of the session's neutral column types (OID, typmod, size) and tags."""

from __future__ import annotations

import pytest
from helios_protocol_pg.command_tags import command_tag
from helios_protocol_pg.pg_types import describe, name_of_oid

import helios_core
from helios_core.session import Result

# what PostgreSQL 15's RowDescription says for these expressions: (oid, typmod, typlen)
EXPECTED = {
    "1::int2": (21, -1, 2), "1": (23, -1, 4), "1::int8": (20, -1, 8), "1.5::real": (700, -1, 4),
    "1.5::float8": (701, -1, 8), "1.5": (1700, -1, -1), "1.5::numeric(15,2)": (1700, 983046, -1),
    "'a'": (25, -1, -1), "'a'::varchar(10)": (1043, 14, -1), "'a'::char(3)": (1042, 7, -1),
    "'a'::name": (19, -1, 64), "true": (16, -1, 1), "'\\x00'::bytea": (17, -1, -1),
    "date '2024-01-02'": (1082, -1, 4), "time '10:00'": (1083, -1, 8),
    "timestamp '2024-01-02 10:00'": (1114, -1, 8), "now()": (1184, -1, 8),
    "now()::timestamptz(3)": (1184, 3, 8), "interval '1 day'": (1186, -1, 16),
    "gen_random_uuid()": (2950, -1, 16), "'{}'::json": (114, -1, -1), "'{}'::jsonb": (3802, -1, -1),
    "array[1, 2]": (1007, -1, -1), "array['a']": (1009, -1, -1), "array[1.5::numeric(4,1)]": (1231, 262149, -1),
    "1::oid": (26, -1, 4), "'x'::\"char\"": (18, -1, 1),
}


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    s.execute("create table t (a int)")
    yield s
    s.engine.close()


@pytest.mark.parametrize("expr", sorted(EXPECTED))
def test_neutral_type_renders_as_postgresql_does(session, expr):
    col = session.execute(f"select {expr} as x")[0].columns[0]
    t = describe(col.sql_type)
    assert (t.oid, t.typmod, t.size) == EXPECTED[expr], col.sql_type
    # the SQL layer's own rendering (kept for its callers) agrees with the protocol's
    assert t.oid == col.type_oid


def test_every_type_of_pg_type_maps_to_its_oid(session):
    """Each type the catalog lists (as format_type spells it) comes back to its own OID."""
    rows = session.execute("select oid::int8, format_type(oid, null) from pg_catalog.pg_type "
                           "where typtype in ('b', 'p') and oid not in (705)")[0].rows()
    assert len(rows) > 40
    wrong = [(oid, name, describe(name).oid) for oid, name in rows if describe(name).oid != oid]
    assert wrong == []


def test_a_type_postgresql_does_not_have_travels_as_text():
    assert describe("geometry_of_dreams").oid == 25
    assert describe("geometry_of_dreams[]").oid == 1009  # an array of them as text[]


def test_oid_names_for_parameters():
    assert name_of_oid(23) == "int4" and name_of_oid(1009) == "_text" and name_of_oid(999999) is None


@pytest.mark.parametrize(("tag", "sent", "wire"), [
    ("INSERT 0 3", None, "INSERT 0 3"), ("SELECT 5", 2, "SELECT 2"), ("UPDATE 4", 9, "UPDATE 4"),
    ("CREATE TABLE", None, "CREATE TABLE"), ("FETCH 3", 1, "FETCH 1"), ("MERGE 2", None, "MERGE 2"),
    ("DISCARD ALL", None, "DISCARD ALL"),
])
def test_command_tags(tag, sent, wire):
    assert command_tag(Result(command_tag=tag), sent) == wire


def test_command_tag_from_kind_and_count():
    assert command_tag(Result(kind="DELETE", row_count=7)) == "DELETE 7"
