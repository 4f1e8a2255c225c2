"""CREATE TEMPORARY VIEW (and a view over a temporary table) lives in the session's temp schema."""

from __future__ import annotations

import psycopg
import pytest


def test_temporary_views_are_private_and_dropped_at_close(pg_server):
    dsn = pg_server.pg_dsn()
    with psycopg.connect(dsn, autocommit=True) as other:
        other.execute("CREATE TABLE tv_base (a int)")
        other.execute("INSERT INTO tv_base VALUES (1), (2)")
        with psycopg.connect(dsn, autocommit=True) as owner:
            owner.execute("CREATE TEMPORARY VIEW big AS SELECT a FROM tv_base WHERE a > 1")
            assert owner.execute("SELECT * FROM big").fetchall() == [(2,)]
            assert owner.execute("SELECT relpersistence FROM pg_class WHERE relname = 'big'").fetchone() == ("t",)
            with pytest.raises(psycopg.errors.UndefinedTable):
                other.execute("SELECT * FROM big")
            owner.execute("CREATE TEMP TABLE scratch (b int)")
            notices: list[str] = []
            owner.add_notice_handler(lambda d: notices.append(d.message_primary))
            owner.execute("CREATE VIEW over_scratch AS SELECT b FROM scratch")
            assert notices == ['view "over_scratch" will be a temporary view']
        assert other.execute("SELECT count(*) FROM pg_class WHERE relname IN ('big', 'over_scratch')").fetchone() == (0,)
        other.execute("CREATE VIEW big AS SELECT 1")  # the name is free again


def test_view_over_a_temporary_table_in_a_named_schema_is_refused(pg_server):
    """PostgreSQL says the view will be temporary, then refuses it in a non-temporary schema."""
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as conn:
        conn.execute("CREATE SCHEMA tvn_s")
        conn.execute("CREATE TEMP TABLE tvn_temp (a int)")
        notices: list[str] = []
        conn.add_notice_handler(lambda d: notices.append(d.message_primary))
        with pytest.raises(psycopg.errors.InvalidTableDefinition, match="non-temporary schema"):
            conn.execute("CREATE VIEW tvn_s.v AS SELECT * FROM tvn_temp")
        assert notices == ['view "v" will be a temporary view']
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relname = 'v'").fetchone() == (0,)
        conn.execute("CREATE VIEW pg_temp.v AS SELECT * FROM tvn_temp")
        assert conn.execute("SELECT relpersistence FROM pg_class WHERE relname = 'v'").fetchone() == ("t",)


def test_writing_through_a_temporary_view(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        c.execute("CREATE TEMP TABLE tvw (i int GENERATED ALWAYS AS IDENTITY, b text)")
        c.execute("CREATE TEMP VIEW tvw_v AS SELECT * FROM tvw")
        assert c.execute("INSERT INTO tvw_v (b) VALUES ('x') RETURNING i, b").fetchall() == [(1, "x")]
        assert c.execute("WITH w AS (SELECT 'y' AS b) INSERT INTO tvw_v (b) SELECT b FROM w RETURNING i").fetchall() \
            == [(2,)]
        assert c.execute("UPDATE tvw_v SET b = 'z' WHERE i = 1").rowcount == 1
        assert c.execute("DELETE FROM tvw_v WHERE i = 2").rowcount == 1
        assert c.execute("SELECT i, b FROM tvw").fetchall() == [(1, "z")]
