"""Enums as types of their own (CREATE TYPE ... AS ENUM), through psycopg.

psycopg's EnumInfo reads pg_type and pg_enum, then loads and dumps values by the enum's OID
in text and binary; applications compare and sort enum columns in declaration order. The
expected values are PostgreSQL 15's.
"""

from __future__ import annotations

import datetime as dt
import enum

import psycopg
import pytest
from psycopg.types.enum import EnumInfo, register_enum


class Mood(enum.Enum):
    sad = "sad"
    ok = "ok"
    happy = "happy"


SETUP_SQL = (
    "create type mood as enum ('sad', 'ok', 'happy')",
    'create type "Shouting" as enum (\'A\', \'B\')',
    "create table person (name text, current_mood mood)",
    "insert into person values ('a', 'happy'), ('b', 'sad'), ('c', 'ok'), ('d', null)",
)


def test_catalog_describes_the_enum(conn: psycopg.Connection) -> None:
    info = EnumInfo.fetch(conn, "mood")
    assert info is not None and info.labels == ["sad", "ok", "happy"]
    assert info.oid != info.array_oid and info.array_oid > 0
    row = conn.execute("select t.typtype, t.typcategory, a.typname, 'mood'::regtype::oid = t.oid "
                       "from pg_type t join pg_type a on a.oid = t.typarray where t.typname = 'mood'").fetchone()
    assert row == ("e", "E", "_mood", True)
    assert conn.execute("""select to_regtype('mood')::text, '"Shouting"'::regtype::text""").fetchone() == (
        "mood", '"Shouting"')


@pytest.mark.parametrize("binary", [False, True])
def test_values_load_and_dump_by_oid(conn: psycopg.Connection, binary: bool) -> None:
    info = EnumInfo.fetch(conn, "mood")
    register_enum(info, conn, enum=Mood)
    cur = conn.cursor(binary=binary)
    assert cur.execute("select 'ok'::mood, %s::mood", [Mood.happy]).fetchone() == (Mood.ok, Mood.happy)
    assert cur.execute("select %s::mood[]", [[Mood.sad, Mood.ok]]).fetchone() == ([Mood.sad, Mood.ok],)
    assert cur.description[0].type_code == info.array_oid
    assert cur.execute("select current_mood from person where name = 'a'").fetchone() == (Mood.happy,)


def test_order_is_the_declaration_order(conn: psycopg.Connection) -> None:
    assert conn.execute("select name from person where current_mood > 'sad' order by current_mood").fetchall() == [
        ("c",), ("a",)]
    assert conn.execute("select name from person order by current_mood desc nulls last").fetchall() == [
        ("a",), ("c",), ("b",), ("d",)]
    assert conn.execute("select max(current_mood)::text, min(current_mood)::text from person").fetchone() == (
        "happy", "sad")
    assert conn.execute("select 'ok'::mood < 'happy'::mood, 'ok'::mood > 'sad'").fetchone() == (True, True)


def test_enum_functions(conn: psycopg.Connection) -> None:
    row = conn.execute("select enum_range(null::mood)::text, enum_first(null::mood)::text, "
                       "enum_last('ok'::mood)::text, enum_range('ok'::mood, null)::text").fetchone()
    assert row == ("{sad,ok,happy}", "sad", "happy", "{ok,happy}")


def test_bad_labels_are_refused(conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InvalidTextRepresentation, match='invalid input value for enum mood: "angry"'):
        conn.execute("select 'angry'::mood")
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        conn.execute("insert into person values ('e', 'angry')")
    assert conn.execute("select null::mood").fetchone() == (None,)


def test_min_max_of_intervals_compare_spans(conn: psycopg.Connection) -> None:
    row = conn.execute("select max(x), min(x) from (values (interval '1 day'), (interval '25 hours'), "
                       "(interval '1 mon'), (null)) v(x)").fetchone()
    assert row == (dt.timedelta(days=30), dt.timedelta(days=1))
    grouped = conn.execute("select g, max(x) from (values (1, interval '1 day'), (1, interval '23 hours'), "
                           "(2, null)) v(g, x) group by g order by g").fetchall()
    assert grouped == [(1, dt.timedelta(days=1)), (2, None)]
