"""heliosdb.index_advice() through psycopg against a real server: a workload filtering an unindexed
column gets that index advised; once it is created the same queries read a few rows instead of
the whole table (EXPLAIN ANALYZE's rows removed by the filter) and EXPLAIN shows the index."""

from __future__ import annotations

import re

import psycopg

from helios_core.testing import HeliosServer

ROWS = 20_000
CUSTOMERS = 1_000
QUERY = "select count(*), sum(amount) from adv_orders where customer = %s"


def _rows_read(conn: psycopg.Connection, customer: int) -> tuple[int, str]:
    """Rows the scan of adv_orders read (returned + removed by its filter), and the plan text."""
    lines = [r[0] for r in conn.execute(f"explain (analyze) {QUERY.replace('%s', str(customer))}").fetchall()]
    text = "\n".join(lines)
    scan = next(ln for ln in lines if "Scan" in ln and "adv_orders" in ln)
    returned = int(re.search(r"rows=(\d+)", scan).group(1))
    removed = re.search(r"Rows Removed by Filter: (\d+)", text)
    return returned + (int(removed.group(1)) if removed else 0), text


def test_advice_for_an_unindexed_filter_column(server: HeliosServer) -> None:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        conn.execute("create table adv_orders (id int primary key, customer int, amount int, note text)")
        conn.execute(f"insert into adv_orders select g, g % {CUSTOMERS}, g % 97, 'order ' || g "
                     f"from generate_series(1, {ROWS}) g")
        conn.execute("select pg_stat_statements_reset()")
        answers = {c: conn.execute(QUERY, (c,), prepare=True).fetchone() for c in range(0, 200, 10)}
        conn.execute("select * from adv_orders where id = %s", (5,)).fetchall()  # a key read: nothing to advise

        advice = conn.execute("select table_name, columns, create_statement, statements, total_time_ms, "
                              "estimated_saving_ms from heliosdb.index_advice()").fetchall()
        mine = [a for a in advice if a[0] == "adv_orders"]
        assert [a[1] for a in mine] == [["customer"]], advice
        _, _, create, statements, total_ms, saving_ms = mine[0]
        schema = conn.execute("select current_schema()").fetchone()[0]  # public, or the user's own schema
        assert create == f"CREATE INDEX ON {schema}.adv_orders (customer)"
        assert statements == ["select count(*), sum(amount) from adv_orders where customer = $1"]
        recorded = dict(conn.execute("select query, total_exec_time from pg_stat_statements").fetchall())
        assert statements[0] in recorded, recorded
        recorded = recorded[statements[0]]
        assert 0 < total_ms <= recorded
        assert 0.9 * total_ms < saving_ms < total_ms  # 1,000 customers: an index read keeps ~0.1% of the rows

        read_before, plan_before = _rows_read(conn, 30)
        assert "Seq Scan on adv_orders" in plan_before and read_before >= ROWS, plan_before

        conn.execute(create)
        plan = [r[0] for r in conn.execute(f"explain {QUERY.replace('%s', '30')}").fetchall()]
        assert any("Index Scan using adv_orders_customer_idx on adv_orders" in ln for ln in plan), plan
        buffers = "\n".join(r[0] for r in conn.execute(
            f"explain (analyze, buffers) {QUERY.replace('%s', '30')}").fetchall())
        assert re.search(r"Segments: \d+ read, \d+ skipped, [1-9]\d* through adv_orders_customer_idx", buffers), buffers
        assert re.search(r"Buffers: segments hit=\d+ read=\d+ skipped=\d+\n\s*Segments Read: \S", buffers), buffers
        read_after, plan_after = _rows_read(conn, 30)
        assert read_after <= 2 * ROWS // CUSTOMERS, plan_after  # the matching rows, not the table
        assert {c: conn.execute(QUERY, (c,), prepare=True).fetchone() for c in answers} == answers

        conn.execute("select pg_stat_statements_reset()")
        for c in range(5):
            conn.execute(QUERY, (c,), prepare=True).fetchone()
        after = conn.execute("select table_name, columns from heliosdb.index_advice()").fetchall()
        assert ("adv_orders", ["customer"]) not in [tuple(a) for a in after], after
