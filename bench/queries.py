"""The analytical queries: TPC-H Q1, Q3, Q6, Q12 and five ClickBench-style queries.

TPC-H texts use the specification's validation parameters; date arithmetic such as
`date '1998-12-01' - interval '90' day` is folded into the literal date, as qgen's
output allows, so the same text runs unchanged on PostgreSQL, DuckDB and HeliosDB.
The ClickBench-style queries are the shapes ClickBench stresses (full count, count
distinct, group by + order by + limit, string search, filtered top-k), on lineitem.
"""

from __future__ import annotations

TPCH: dict[str, str] = {
    "Q1": """
SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
       sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price,
       sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
       avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc,
       count(*) AS count_order
FROM lineitem
WHERE l_shipdate <= DATE '1998-09-02'
GROUP BY l_returnflag, l_linestatus
ORDER BY l_returnflag, l_linestatus""",
    "Q3": """
SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority
FROM customer, orders, lineitem
WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey
  AND o_orderdate < DATE '1995-03-15' AND l_shipdate > DATE '1995-03-15'
GROUP BY l_orderkey, o_orderdate, o_shippriority
ORDER BY revenue DESC, o_orderdate
LIMIT 10""",
    "Q6": """
SELECT sum(l_extendedprice * l_discount) AS revenue
FROM lineitem
WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'
  AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24""",
    "Q12": """
SELECT l_shipmode,
       sum(CASE WHEN o_orderpriority = '1-URGENT' OR o_orderpriority = '2-HIGH' THEN 1 ELSE 0 END)
         AS high_line_count,
       sum(CASE WHEN o_orderpriority <> '1-URGENT' AND o_orderpriority <> '2-HIGH' THEN 1 ELSE 0 END)
         AS low_line_count
FROM orders, lineitem
WHERE o_orderkey = l_orderkey AND l_shipmode IN ('MAIL', 'SHIP')
  AND l_commitdate < l_receiptdate AND l_shipdate < l_commitdate
  AND l_receiptdate >= DATE '1994-01-01' AND l_receiptdate < DATE '1995-01-01'
GROUP BY l_shipmode
ORDER BY l_shipmode""",
}

CLICKBENCH: dict[str, str] = {
    "CB1 count(*)": "SELECT count(*) FROM lineitem",
    "CB2 count distinct": "SELECT count(DISTINCT l_partkey) FROM lineitem",
    "CB3 group+order": """
SELECT l_shipmode, count(*) AS c, avg(l_quantity) AS q
FROM lineitem GROUP BY l_shipmode ORDER BY c DESC, l_shipmode""",
    "CB4 LIKE search": "SELECT count(*) FROM lineitem WHERE l_comment LIKE '%special%requests%'",
    "CB5 filtered top-k": """
SELECT l_suppkey, sum(l_extendedprice) AS revenue, count(*) AS c
FROM lineitem WHERE l_shipdate >= DATE '1996-01-01' AND l_discount > 0.05
GROUP BY l_suppkey ORDER BY revenue DESC, l_suppkey LIMIT 10""",
}

ALL: dict[str, str] = {**TPCH, **CLICKBENCH}
