"""ALTER TYPE enum ADD VALUE / RENAME VALUE through psycopg against a real server: sort positions
in pg_enum, ordering, stored values following a rename, and 55P04 for a label not yet committed.
Expected answers are PostgreSQL 15's."""

from __future__ import annotations

import psycopg
import pytest


@pytest.fixture(scope="module")
def db(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        yield c


@pytest.fixture
def notices(db):
    got: list[str] = []
    db.add_notice_handler(lambda d: got.append(d.message_primary))
    yield got
    db._notice_handlers.clear()


def test_add_value_places_labels_with_pg_sort_positions(db) -> None:
    db.execute("drop table if exists ev_t")
    db.execute("drop type if exists ev_planets")
    db.execute("create type ev_planets as enum ('venus', 'earth', 'mars')")
    db.execute("alter type ev_planets add value 'uranus'")
    db.execute("alter type ev_planets add value 'mercury' before 'venus'")
    db.execute("alter type ev_planets add value 'saturn' before 'uranus'")
    db.execute("alter type ev_planets add value 'jupiter' after 'mars'")
    db.execute("alter type ev_planets add value 'neptune' after 'uranus'")
    rows = db.execute("select enumlabel, enumsortorder from pg_enum where enumtypid = 'ev_planets'::regtype "
                      "order by enumlabel::ev_planets").fetchall()
    assert rows == [("mercury", 0.0), ("venus", 1.0), ("earth", 2.0), ("mars", 3.0), ("jupiter", 3.25),
                    ("saturn", 3.5), ("uranus", 4.0), ("neptune", 5.0)]
    db.execute("create table ev_t (p ev_planets)")
    db.execute("insert into ev_t values ('neptune'), ('jupiter'), ('mercury')")  # the column takes new labels
    assert [r[0] for r in db.execute("select p from ev_t order by p")] == ["mercury", "jupiter", "neptune"]
    assert db.execute("select 'saturn'::ev_planets < 'uranus', enum_last(null::ev_planets)").fetchone() == (
        True, "neptune")


def test_add_value_errors_and_if_not_exists(db, notices) -> None:
    db.execute("drop type if exists ev_small")
    db.execute("create type ev_small as enum ('a', 'b')")
    with pytest.raises(psycopg.errors.DuplicateObject, match='enum label "a" already exists'):
        db.execute("alter type ev_small add value 'a'")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match='"zz" is not an existing enum label') as e:
        db.execute("alter type ev_small add value 'c' after 'zz'")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="invalid enum label") as e:
        db.execute(f"alter type ev_small add value '{'x' * 64}'")
    assert e.value.diag.message_detail == "Labels must be 63 bytes or less."
    db.execute("alter type ev_small add value if not exists 'a'")
    assert notices[-1:] == ['enum label "a" already exists, skipping']


def test_many_insertions_before_one_label_renumber(db) -> None:
    db.execute("drop type if exists ev_ins")
    db.execute("create type ev_ins as enum ('L1', 'L2')")
    for i in range(1, 31):
        db.execute(f"alter type ev_ins add value 'i{i}' before 'L2'")
    rows = db.execute("select enumlabel, enumsortorder from pg_enum where enumtypid = 'ev_ins'::regtype "
                      "order by enumsortorder").fetchall()
    assert [r[0] for r in rows] == ["L1", *(f"i{i}" for i in range(1, 31)), "L2"]
    assert [r[1] for r in rows[:20]] == [float(i) for i in range(1, 21)]  # renumbered 1..n on the way
    assert len({r[1] for r in rows}) == 32


def test_rename_value_rewrites_stored_values(db) -> None:
    db.execute("drop table if exists ev_child, ev_parent")
    db.execute("drop type if exists ev_color")
    db.execute("create type ev_color as enum ('red', 'green', 'blue')")
    db.execute("create table ev_parent (id ev_color primary key)")
    db.execute("create table ev_child (parent ev_color references ev_parent)")
    db.execute("insert into ev_parent values ('red'), ('blue')")
    db.execute("insert into ev_child values ('red')")
    db.execute("alter type ev_color rename value 'red' to 'crimson'")
    assert db.execute("select p.id, c.parent from ev_parent p left join ev_child c on c.parent = p.id "
                      "order by p.id").fetchall() == [("crimson", "crimson"), ("blue", None)]
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        db.execute("insert into ev_child values ('red')")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match='"red" is not an existing enum label'):
        db.execute("alter type ev_color rename value 'red' to 'x'")
    with pytest.raises(psycopg.errors.DuplicateObject, match='enum label "green" already exists'):
        db.execute("alter type ev_color rename value 'blue' to 'green'")
    assert db.execute("select enum_range(null, 'green'::ev_color)").fetchone() == ("{crimson,green}",)


def test_new_value_is_unsafe_until_commit(db) -> None:
    db.execute("drop type if exists ev_bogus")
    db.execute("create type ev_bogus as enum ('good')")
    with db.transaction():
        db.execute("alter type ev_bogus add value 'new'")
        for sql in ("select 'new'::ev_bogus", "select enum_last(null::ev_bogus)", "select enum_range(null::ev_bogus)"):
            with pytest.raises(psycopg.errors.UnsafeNewEnumValueUsage, match='unsafe use of new value "new"') as e, \
                    db.transaction():
                db.execute(sql)
            assert e.value.diag.message_hint == "New enum values must be committed before they can be used."
        assert db.execute("select enum_first(null::ev_bogus)").fetchone() == ("good",)
    assert db.execute("select 'new'::ev_bogus").fetchone() == ("new",)
    # even for a type made in the same transaction
    with pytest.raises(psycopg.errors.UnsafeNewEnumValueUsage), db.transaction():
        db.execute("create type ev_fresh as enum ('a')")
        db.execute("alter type ev_fresh add value 'b'")
        db.execute("select 'b'::ev_fresh")
