"""EXPLAIN's cost line as PostgreSQL prints it: ``(cost=startup..total rows=N width=W)`` on every node
unless COSTS OFF, after it the actual figures of ANALYZE, and the same fields in FORMAT JSON (with
an index scan's node type and index name apart, as tools that draw plans read them). The row
estimate starts from the table's rows, which is what row-count shortcuts parse out of EXPLAIN."""

from __future__ import annotations

import itertools
import json
import re

import pytest

import helios_core

_COST = re.compile(r"  \(cost=(\d+\.\d\d)\.\.(\d+\.\d\d) rows=(\d+) width=(\d+)\)")


@pytest.fixture
def s():
    session = helios_core.connect()
    session.execute("create table ec (a int primary key, b text, c int)")
    session.execute("insert into ec select g, 'x' || g, g % 10 from generate_series(1, 5000) g")
    yield session
    session.close()


def _lines(s, sql):
    return [r[0] for r in s.execute(sql)[-1].rows()]


def _cost(line):
    m = _COST.search(line)
    assert m is not None, line
    return float(m[1]), float(m[2]), int(m[3]), int(m[4])


def test_every_node_has_a_cost_line_and_the_scan_counts_the_table(s):
    lines = _lines(s, "explain select c, count(*) from ec where a > 10 group by c order by c limit 3")
    nodes = [ln for ln in lines if "->" in ln or not ln.startswith(" ")]
    assert [ln.split("  (cost=")[0].replace("->", "").strip() for ln in nodes] == \
        ["Limit", "Sort", "HashAggregate", "Seq Scan on ec"]
    costs = [_cost(ln) for ln in nodes]
    assert all(start <= total for start, total, _, _ in costs)
    # a node's total is at least what its input costs before the first row (a LIMIT stops early)
    assert all(parent[1] >= child[0] for parent, child in itertools.pairwise(costs))
    assert costs[1][1] >= costs[2][1] >= costs[3][1]  # the sort and the aggregate read all their input
    assert costs[0][2] == 3  # LIMIT 3
    scan = costs[-1]
    assert 1 <= scan[2] < 5000  # a > 10 keeps part of the 5,000 rows
    assert _cost(_lines(s, "explain select * from ec")[0])[2] == 5000
    assert _cost(_lines(s, "explain select * from ec")[0])[3] == 4 + 32 + 4  # int, text, int


def test_primary_key_lookup_and_costs_off(s):
    line = _lines(s, "explain select * from ec where a = 7")[0]
    assert line.startswith("Index Scan using ec_pkey on ec  (cost=") and _cost(line)[2] == 1
    assert _lines(s, "explain (costs off) select * from ec where a = 7") == \
        ["Index Scan using ec_pkey on ec", "  Index Cond: (a = 7)"]


def test_analyze_puts_actual_figures_after_the_estimate(s):
    line = _lines(s, "explain analyze select count(*) from ec")[0]
    assert re.fullmatch(r"Aggregate  \(cost=\S+ rows=1 width=8\) \(actual time=\d+\.\d{3}\.\.\d+\.\d{3} rows=1 loops=1\)",
                        line), line
    assert _lines(s, "explain (analyze, costs off, timing off) select count(*) from ec")[0] == \
        "Aggregate (actual rows=1 loops=1)"


def test_json_has_the_cost_fields_and_index_names(s):
    doc = json.loads(_lines(s, "explain (format json) select * from ec where a = 7")[0])
    plan = doc[0]["Plan"]
    assert plan["Node Type"] == "Index Scan" and plan["Index Name"] == "ec_pkey"
    assert plan["Scan Direction"] == "Forward" and plan["Relation Name"] == "ec"
    assert plan["Plan Rows"] == 1 and plan["Startup Cost"] <= plan["Total Cost"] and plan["Plan Width"] == 40
    doc = json.loads(_lines(s, "explain (format json, costs off) select * from ec")[0])
    assert "Total Cost" not in doc[0]["Plan"]


def test_summary_has_planning_and_execution_times(s):
    lines = _lines(s, "explain analyze select * from ec where a = 3")
    assert re.fullmatch(r"Planning Time: \d+\.\d{3} ms", lines[-2]) and lines[-1].startswith("Execution Time: ")
    assert not any(ln.startswith(("Planning", "Execution")) for ln in
                   _lines(s, "explain (analyze, summary off) select * from ec"))
    assert _lines(s, "explain (summary on) select * from ec")[-1].startswith("Planning Time: ")
    doc = json.loads(_lines(s, "explain (format json, analyze) select * from ec")[0])[0]
    assert list(doc) == ["Plan", "Planning Time", "Triggers", "Execution Time"]
    values = json.loads(_lines(s, "explain (format json) select * from (values (1), (2)) v(x)")[0])[0]["Plan"]
    assert (values["Node Type"], values["Alias"], values["Plan Rows"]) == ("Values Scan", "*VALUES*", 2)
    assert _lines(s, "explain (costs off) select * from (values (1), (2)) v(x)") == ['Values Scan on "*VALUES*"']


def test_names_are_quoted_where_sql_needs_it(s):
    """As PostgreSQL prints them: "Orders" and "Orders_pkey" in the text, bare names in JSON."""
    s.execute('create table "Orders" (id int primary key, v text)')
    assert _lines(s, 'explain (costs off) select * from "Orders" "My O" where id = 1')[0] == \
        'Index Scan using "Orders_pkey" on "Orders" "My O"'
    assert _lines(s, "explain (costs off) select * from ec where a = 1")[0] == "Index Scan using ec_pkey on ec"
    plan = json.loads(_lines(s, 'explain (format json) select * from "Orders" "My O" where id = 1')[0])[0]["Plan"]
    assert (plan["Index Name"], plan["Relation Name"], plan["Alias"]) == ("Orders_pkey", "Orders", "My O")
