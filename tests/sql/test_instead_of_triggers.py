"""INSTEAD OF triggers on views: INSERT, UPDATE and DELETE run the trigger per row, as PostgreSQL 15
does (answers and messages as it gives them)."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

TRIGGER_FN = """
CREATE FUNCTION io_fn() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO io_base VALUES (NEW.aa, NEW.bb);
    RETURN NEW;
  ELSIF TG_OP = 'UPDATE' THEN
    UPDATE io_base SET b = NEW.bb WHERE a = OLD.aa;
    RETURN NEW;
  ELSE
    DELETE FROM io_base WHERE a = OLD.aa;
    RETURN OLD;
  END IF;
END $$ LANGUAGE plpgsql"""


@pytest.fixture
def conn(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS io_base CASCADE")
        c.execute("DROP FUNCTION IF EXISTS io_fn()")
        c.execute("CREATE TABLE io_base (a int PRIMARY KEY, b text)")
        c.execute("INSERT INTO io_base VALUES (1, 'one'), (2, 'two')")
        # GROUP BY: not automatically updatable, only the triggers can write through it
        c.execute("CREATE VIEW io_v1 AS SELECT b AS bb, a AS aa FROM io_base WHERE a > 0 GROUP BY a, b")
        c.execute("CREATE VIEW io_v2 AS SELECT aa AS aaa, bb AS bbb FROM io_v1 WHERE aa < 10")
        c.execute(TRIGGER_FN)
        for event in ("INSERT", "UPDATE", "DELETE"):
            c.execute(f"CREATE TRIGGER io_{event.lower()} INSTEAD OF {event} ON io_v1 "
                      "FOR EACH ROW EXECUTE FUNCTION io_fn()")
        yield c


def _rows(conn, sql):
    return conn.execute(sql).fetchall()


def test_writes_through_the_triggers_also_from_a_view_above(conn):
    assert _rows(conn, "INSERT INTO io_v2 VALUES (3, 'three') RETURNING *") == [(3, "three")]
    assert _rows(conn, "INSERT INTO io_v1 (aa) VALUES (4) RETURNING *") == [(None, 4)]
    cur = conn.execute("UPDATE io_v2 SET bbb = 'THREE' WHERE aaa = 3 RETURNING aaa, upper(bbb)")
    assert (cur.statusmessage, cur.fetchall()) == ("UPDATE 1", [(3, "THREE")])
    cur = conn.execute("DELETE FROM io_v1 WHERE aa >= 4 RETURNING *")
    assert (cur.statusmessage, cur.fetchall()) == ("DELETE 1", [(None, 4)])
    assert _rows(conn, "SELECT a, b FROM io_base ORDER BY a") == [(1, "one"), (2, "two"), (3, "THREE")]
    info = _rows(conn, "SELECT is_updatable, is_trigger_updatable, is_trigger_deletable, "
                       "is_trigger_insertable_into FROM information_schema.views WHERE table_name = 'io_v1'")
    assert info == [("NO", "YES", "YES", "YES")]


def test_a_trigger_returning_null_drops_the_row(conn):
    conn.execute("DROP TRIGGER io_insert ON io_v1")
    conn.execute("CREATE FUNCTION io_skip() RETURNS trigger AS $$ BEGIN RETURN NULL; END $$ LANGUAGE plpgsql")
    conn.execute("CREATE TRIGGER io_skip INSTEAD OF INSERT ON io_v1 FOR EACH ROW EXECUTE FUNCTION io_skip()")
    cur = conn.execute("INSERT INTO io_v1 VALUES ('x', 5), ('y', 6) RETURNING *")
    assert (cur.statusmessage, cur.fetchall()) == ("INSERT 0 0", [])
    conn.execute("DROP TRIGGER io_skip ON io_v1")
    conn.execute("DROP FUNCTION io_skip()")
    with pytest.raises(errors.FeatureNotSupported, match='cannot insert into view "io_v1"'):
        conn.execute("INSERT INTO io_v1 VALUES ('x', 5)")  # no trigger left for INSERT


def test_what_postgres_refuses(conn):
    cases = [
        ("CREATE TRIGGER t INSTEAD OF INSERT ON io_v1 FOR EACH STATEMENT EXECUTE FUNCTION io_fn()",
         errors.FeatureNotSupported, "INSTEAD OF triggers must be FOR EACH ROW"),
        ("CREATE TRIGGER t INSTEAD OF UPDATE OF aa ON io_v1 FOR EACH ROW EXECUTE FUNCTION io_fn()",
         errors.FeatureNotSupported, "INSTEAD OF triggers cannot have column lists"),
        ("CREATE TRIGGER t INSTEAD OF UPDATE ON io_v1 FOR EACH ROW WHEN (OLD.aa > 0) EXECUTE FUNCTION io_fn()",
         errors.FeatureNotSupported, "INSTEAD OF triggers cannot have WHEN conditions"),
        ("CREATE TRIGGER t INSTEAD OF INSERT ON io_base FOR EACH ROW EXECUTE FUNCTION io_fn()",
         errors.WrongObjectType, '"io_base" is a table'),
        ("CREATE TRIGGER t BEFORE UPDATE ON io_v1 FOR EACH ROW EXECUTE FUNCTION io_fn()",
         errors.WrongObjectType, '"io_v1" is a view'),
        ("INSERT INTO io_v1 VALUES ('x', 1) ON CONFLICT (aa) DO NOTHING",
         errors.InvalidColumnReference, "no unique or exclusion constraint"),
    ]
    assert _rows(conn, "INSERT INTO io_v1 VALUES ('x', 5) ON CONFLICT DO NOTHING RETURNING aa") == [(5,)]
    for sql, error, message in cases:
        with pytest.raises(error, match=message):
            conn.execute(sql)


def test_on_a_temporary_view(conn):
    conn.execute("CREATE TEMP TABLE io_tb (a int)")
    conn.execute("CREATE TEMP VIEW io_tv AS SELECT a FROM io_tb GROUP BY a")
    conn.execute("CREATE FUNCTION io_tfn() RETURNS trigger AS $$ BEGIN INSERT INTO io_tb VALUES (NEW.a); "
                 "RETURN NEW; END $$ LANGUAGE plpgsql")
    conn.execute("CREATE TRIGGER io_tt INSTEAD OF INSERT ON io_tv FOR EACH ROW EXECUTE FUNCTION io_tfn()")
    assert _rows(conn, "INSERT INTO io_tv VALUES (3) RETURNING a") == [(3,)]
    assert _rows(conn, "SELECT a FROM io_tb") == [(3,)]
    conn.execute("DROP TRIGGER io_tt ON io_tv")
    conn.execute("DROP FUNCTION io_tfn()")
