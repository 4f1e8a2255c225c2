"""`python -m bench.selfcheck`: fast pytest-free checks of the harness itself (no servers).

Checks what would silently skew results if broken: the generator is deterministic and
TPC-H-shaped, decimals are exact, COPY text has one line per row, every query runs on
DuckDB and returns rows, answer comparison catches a changed value, ratios and n/a
cells render as documented. Exits non-zero on the first failure.
"""

from __future__ import annotations

import decimal
import sys

import duckdb
import numpy as np

from bench import datagen, queries
from bench.answers import difference, normalize
from bench.measure import Plan, Row, alternate
from bench.pgwire import copy_text_chunks, create_table_sql
from bench.report import render_text, results_stem


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"selfcheck FAILED: {what}")
    print(f"ok  {what}")


def main() -> int:
    scale = 0.002
    c1 = datagen.generate_customer(scale)
    o1, l1 = datagen.generate_orders_and_lineitem(scale)
    o2, l2 = datagen.generate_orders_and_lineitem(scale)
    check(l1.equals(l2) and o1.equals(o2), "generator is deterministic")
    check(c1.num_rows == 300 and o1.num_rows == 3000, "customer and orders row counts follow the scale")
    check(3.5 < l1.num_rows / o1.num_rows < 4.5, "about 4 lineitems per order")
    cents = np.array([0, 1, -1, 123456, -99999, 999_999_999_999], dtype=np.int64)
    got = datagen.money_from_cents(cents).to_pylist()
    check(got == [decimal.Decimal(int(c)).scaleb(-2) for c in cents], "decimal(15,2) built exactly from cents")
    ddl = create_table_sql("lineitem")
    check(all(column in ddl for column, _ in datagen.SQL_COLUMNS["lineitem"]), "DDL names every column")
    chunks = copy_text_chunks(l1)
    check(sum(chunk.count(b"\n") for chunk in chunks) == l1.num_rows, "COPY text has one line per row")

    con = duckdb.connect()
    tables = {"customer": c1, "orders": o1, "lineitem": l1}
    for name, table in tables.items():
        con.execute(create_table_sql(name))
        con.register("src", table)
        con.execute(f"INSERT INTO {name} SELECT * FROM src")
        con.unregister("src")
    for name, sql in queries.ALL.items():
        rows = normalize(con.execute(sql).fetchall())
        check(bool(rows) and difference(rows, rows) is None, f"{name} runs on DuckDB and returns rows")
    q6 = normalize(con.execute(queries.TPCH["Q6"]).fetchall())
    check(difference(q6, [(q6[0][0] * 1.01,)]) is not None, "a changed answer is detected")

    row = Row("t", "x", "ms", False)
    alternate(row, {"helios": lambda: 2.0, "postgres": lambda: 4.0,
                    "duckdb": lambda: (_ for _ in ()).throw(RuntimeError("boom"))}, Plan(runs=3))
    check(row.ratio("postgres") == 0.5 and row.ratio("duckdb") is None, "ratio of medians; none for errors")
    text = render_text([row])
    check("n/a (error: RuntimeError: boom)" in text and "0.5×" in text, "table shows n/a cells and ratios")
    every = ("tpch", "pgbench", "kernel")
    whole = results_stem({"machine": {"git_sha": "abc"}, "workloads": list(every)}, quick=False, every=every)
    part = results_stem({"machine": {"git_sha": "abc"}, "workloads": ["pgbench"]}, quick=False, every=every)
    check(whole.endswith("-abc") and part.endswith("-abc-pgbench"),
          "a run of some workloads names them and does not overwrite the whole run's results")
    print("selfcheck passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
