"""EXPLAIN (FORMAT JSON): the plan as one json document in PostgreSQL's shape, which psycopg parses
(Django's QuerySet.explain(format='json'), pgAdmin and other plan viewers read it)."""

from __future__ import annotations

import json

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture
def s():
    session = helios_core.connect()
    session.execute("create table ej (id int primary key, grp text, v int)")
    session.execute("insert into ej select g, 'g' || (g % 3), g from generate_series(1, 30) g")
    return session


def _document(s, sql: str) -> list:
    result = s.execute(sql)[-1]
    assert [c.type_name for c in result.columns] == ["json"]
    return json.loads(result.batches[0].column(0)[0].as_py())


def test_explain_json_shape(s):
    doc = _document(s, "explain (format json) select grp, count(*) from ej where v > 3 group by grp order by 2 desc")
    plan = doc[0]["Plan"]
    assert plan["Node Type"] == "Sort" and plan["Sort Key"] == ["2 DESC"]
    kinds, node = [], plan
    while node:
        kinds.append(node["Node Type"])
        node = (node.get("Plans") or [None])[0]
    assert "HashAggregate" in kinds and kinds[-1].endswith("Scan")
    assert all(p["Parent Relationship"] == "Outer" for p in plan["Plans"])


def test_explain_analyze_json_counts_rows(s):
    doc = _document(s, "explain (analyze, format json) select * from ej where v <= 10")
    assert doc[0]["Plan"]["Actual Rows"] == 10 and doc[0]["Plan"]["Actual Loops"] == 1
    assert doc[0]["Execution Time"] >= 0


def test_other_formats_and_json_of_merge_are_refused(s):
    for sql in ("explain (format yaml) select 1",
                "explain (format json) merge into ej using (select 1 as k) x on ej.id = x.k when matched then delete"):
        with pytest.raises(HeliosError) as e:
            s.execute(sql)
        assert e.value.sqlstate == "0A000"


def test_json_of_writes_is_a_modify_table_node(s):
    doc = _document(s, "explain (format json) insert into ej values (99, 'x', 1)")[0]["Plan"]
    assert (doc["Node Type"], doc["Operation"], doc["Relation Name"]) == ("ModifyTable", "Insert", "ej")
    assert doc["Plans"][0]["Node Type"] == "Values Scan"
    assert s.execute("select count(*) from ej where id = 99")[0].rows() == [(0,)]
    doc = _document(s, "explain (format json, analyze) insert into ej values (100, 'y', 1000)")[0]
    assert doc["Plan"]["Actual Rows"] == 0 and doc["Triggers"] == [] and doc["Execution Time"] >= 0
    assert s.execute("select count(*) from ej where id = 100")[0].rows() == [(1,)]  # ANALYZE inserted it
    doc = _document(s, "explain (format json, analyze) delete from ej where id = 100")[0]
    assert doc["Plan"]["Operation"] == "Delete" and doc["Plan"]["Plans"][0]["Relation Name"] == "ej"
    assert s.execute("select count(*) from ej where id = 100")[0].rows() == [(0,)]


def test_projections_and_scan_filters_fold_into_the_scan_node(s):
    """PostgreSQL's plans have no projection nodes and keep a scan's filter on the scan: asyncpg's
    ``PreparedStatement.explain()`` users read ``plan['Plan']['Relation Name']``."""
    plan = _document(s, "explain (format json) select typname from pg_type")[0]["Plan"]
    assert (plan["Node Type"], plan["Relation Name"]) == ("Seq Scan", "pg_type") and "Plans" not in plan
    assert "Output" not in plan  # VERBOSE only
    plan = _document(s, "explain (format json, verbose) select typname, typlen from pg_type where typlen > 2")[0]["Plan"]
    assert (plan["Node Type"], plan["Relation Name"]) == ("Seq Scan", "pg_type")
    assert plan["Output"] == ["typname", "typlen"] and "typlen > 2" in plan["Filter"]
    doc = _document(s, "explain (format json, analyze) select v + 1 from ej where v > 3")
    assert doc[0]["Plan"]["Node Type"] == "Seq Scan" and doc[0]["Plan"]["Actual Rows"] == 27
    lines = [r[0] for r in s.execute("explain (costs off) select v from ej where v > 3")[-1].rows()]
    assert lines[0] == "Seq Scan on ej" and lines[1].strip().startswith("Filter:")
