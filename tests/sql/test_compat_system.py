"""current_schema() skips search_path entries that name no schema; the tableoid system column.

Expected answers were recorded from PostgreSQL 15 (user table OIDs differ between systems, so
tableoid is compared through pg_class / regclass)."""
from __future__ import annotations

import helios_core


def one(s, sql):
    return s.execute(sql)[-1].rows()


def test_current_schema_skips_missing_user_schema() -> None:
    s = helios_core.connect()  # user "helios", search_path "$user", public; no schema helios
    r = s.execute("select current_schema(), current_schema")[-1]
    assert [c.name for c in r.columns] == ["current_schema", "current_schema"]
    assert r.rows() == [("public", "public")]
    s.execute("create schema helios")
    assert one(s, "select current_schema()") == [("helios",)]
    s.execute("set search_path = nope, public")
    assert one(s, "select current_schema()") == [("public",)]
    s.execute("set search_path = nope")
    assert one(s, "select current_schema()") == [(None,)]


def test_tableoid() -> None:
    s = helios_core.connect()
    s.execute("create table tt (id int primary key, v text)")
    s.execute("insert into tt values (1, 'a'), (2, 'b')")
    assert one(s, "select count(*) from tt where tableoid = 'tt'::regclass") == [(2,)]
    assert one(s, "select c.relname, t.id from tt t join pg_class c on c.oid = t.tableoid order by 2") == [
        ("tt", 1), ("tt", 2)]
    r = s.execute("select tableoid, * from tt where id = 1")[-1]
    assert [c.name for c in r.columns] == ["tableoid", "id", "v"] and r.columns[0].type_oid == 26
    assert [c.name for c in s.execute("select * from tt")[-1].columns] == ["id", "v"]  # hidden from *
