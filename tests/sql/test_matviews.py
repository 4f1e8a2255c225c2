"""Materialized views through real clients: MVCC of REFRESH, SQLAlchemy reflection."""

from __future__ import annotations

import psycopg
import pytest


@pytest.fixture(scope="module")
def dsn(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        c.execute("CREATE TABLE orders (id int PRIMARY KEY, customer text, total int)")
        c.execute("INSERT INTO orders VALUES (1, 'ann', 10), (2, 'bob', 20), (3, 'ann', 5)")
        c.execute("CREATE MATERIALIZED VIEW by_customer AS "
                  "SELECT customer, sum(total) AS spent FROM orders GROUP BY customer")
        c.execute("CREATE UNIQUE INDEX by_customer_key ON by_customer (customer)")
    return pg_server.pg_dsn()


def test_create_answers_select_n(dsn):
    with psycopg.connect(dsn, autocommit=True) as c:
        cur = c.execute("CREATE MATERIALIZED VIEW big_orders AS SELECT * FROM orders WHERE total >= 10")
        assert cur.statusmessage == "SELECT 2"
        cur = c.execute("CREATE MATERIALIZED VIEW empty_yet AS SELECT * FROM orders WITH NO DATA")
        assert cur.statusmessage == "CREATE MATERIALIZED VIEW"
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="has not been populated"):
            c.execute("SELECT * FROM empty_yet")


def test_refresh_is_seen_by_others_at_commit(dsn):
    with psycopg.connect(dsn, autocommit=True) as a, psycopg.connect(dsn, autocommit=True) as b:
        a.execute("INSERT INTO orders VALUES (10, 'cy', 7)")
        with a.transaction():
            a.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY by_customer")
            assert a.execute("SELECT spent FROM by_customer WHERE customer = 'cy'").fetchall() == [(7,)]
            assert b.execute("SELECT spent FROM by_customer WHERE customer = 'cy'").fetchall() == []
        assert b.execute("SELECT spent FROM by_customer WHERE customer = 'cy'").fetchall() == [(7,)]
        a.execute("DELETE FROM orders WHERE id = 10")
        a.execute("REFRESH MATERIALIZED VIEW by_customer")
        assert b.execute("SELECT count(*) FROM by_customer WHERE customer = 'cy'").fetchone() == (0,)


def test_refresh_rolled_back_keeps_old_rows(dsn):
    with psycopg.connect(dsn) as a:
        a.execute("INSERT INTO orders VALUES (11, 'dee', 1)")
        a.execute("REFRESH MATERIALIZED VIEW by_customer")
        assert a.execute("SELECT count(*) FROM by_customer WHERE customer = 'dee'").fetchone() == (1,)
        a.rollback()
        assert a.execute("SELECT count(*) FROM by_customer WHERE customer = 'dee'").fetchone() == (0,)


def test_unique_index_is_enforced_by_refresh(dsn):
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE MATERIALIZED VIEW customers AS SELECT customer FROM orders")
        with pytest.raises(psycopg.errors.UniqueViolation):
            c.execute("CREATE UNIQUE INDEX customers_key ON customers (customer)")


def test_sqlalchemy_reflects_materialized_views(dsn, pg_server):
    sqlalchemy = pytest.importorskip("sqlalchemy")
    engine = sqlalchemy.create_engine(f"postgresql+psycopg://helios@{pg_server.host}:{pg_server.port('postgres')}/helios")
    try:
        insp = sqlalchemy.inspect(engine)
        assert "by_customer" in insp.get_materialized_view_names()
        assert "by_customer" not in insp.get_table_names()
        assert "by_customer" not in insp.get_view_names()
        assert [c["name"] for c in insp.get_columns("by_customer")] == ["customer", "spent"]
        assert [i["name"] for i in insp.get_indexes("by_customer")] == ["by_customer_key"]
        assert "sum(total)" in insp.get_view_definition("by_customer").lower()
    finally:
        engine.dispose()
