"""Plans: EXPLAIN / EXPLAIN ANALYZE, primary-key lookups, plan reuse with parameters,
cancellation, and the planner API the statement layer uses (plan_query, compile_scalar)."""

from __future__ import annotations

import threading

import pyarrow as pa
import pytest
import sqlglot

import helios_core
from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.context import QueryContext
from helios_core.sql.expr import Scope, compile_scalar
from helios_core.sql.planner import plan_query
from helios_core.storage import ColumnDef, Store


@pytest.fixture()
def session():
    s = helios_core.connect()
    s.execute("create table items (id int primary key, name text, price numeric(10,2))")
    s.execute("insert into items select g, 'item' || g, g * 1.5 from generate_series(1, 200) g")
    s.execute("create table tags (item_id int, tag text)")
    s.execute("insert into tags values (1, 'a'), (1, 'b'), (2, 'a'), (3, 'c')")
    yield s
    s.close()


def explain(session, sql: str) -> list[str]:
    return [r[0] for r in session.execute("explain " + sql)[-1].rows()]


def test_explain_shows_operator_tree(session):
    lines = explain(session, "select t.tag, count(*) from items i join tags t on i.id = t.item_id "
                             "where i.price > 1 group by t.tag order by 2 desc")
    text = "\n".join(lines)
    assert lines[0].startswith("Sort")
    assert "HashAggregate" in text
    assert "Hash Join" in text and "Hash Cond: i.id = t.item_id" in text
    assert "Seq Scan on items i" in text and "Seq Scan on tags t" in text
    assert "Filter: i.price > 1" in text
    # children are indented below their parent with PostgreSQL's arrows
    assert any(line.lstrip().startswith("->  Hash Join") for line in lines)


def test_a_named_primary_key_is_shown_by_its_name(session):
    session.execute("create table named_pk (id int constraint named_pk_key primary key, v text)")
    assert any("Index Scan using named_pk_key on named_pk" in line
               for line in explain(session, "select v from named_pk where id = 1"))


def test_explain_analyze_reports_rows_and_time(session):
    lines = explain(session, "analyze select name from items where id > 150")
    scan = next(line for line in lines if "Seq Scan on items" in line)
    assert "rows=50" in scan and "actual time=" in scan and "loops=1" in scan
    assert lines[-1].startswith("Execution Time:")


def test_primary_key_equality_uses_lookup(session):
    lines = explain(session, "select name from items where id = 42")
    assert any("Index Scan using items_pkey on items" in line for line in lines)
    assert session.execute("select name, price from items where id = 42")[-1].rows() == [
        ("item42", pytest.approx(63))]
    assert session.execute("select name from items where id = 4242")[-1].rows() == []
    # extra conditions stay filters on the looked-up row
    assert session.execute("select name from items where id = 42 and name = 'x'")[-1].rows() == []


def test_prepared_point_query_reuses_plan_with_new_params(session):
    stmt = session.prepare("select name from items where id = $1")
    assert stmt.param_type_oids == [23]  # inferred from the column: integer
    assert session.execute_prepared(stmt, [7]).rows() == [("item7",)]
    assert session.execute_prepared(stmt, [8]).rows() == [("item8",)]
    assert session.execute_prepared(stmt, [None]).rows() == []


def test_parameters_in_expressions_and_limits(session):
    stmt = session.prepare("select id from items where price > $1 order by id limit $2")
    assert session.execute_prepared(stmt, [297, 2]).rows() == [(199,), (200,)]


def test_cancel_between_batches_raises_57014():
    store = Store.open(None)
    store.create_database("db")
    txn = store.begin("db")
    txn.create_table("public", "big", [ColumnDef("x", pa.int64(), metadata={"sql_type": "bigint"})])
    txn.insert("public", "big", pa.table({"x": pa.array(range(1000), pa.int64())}))
    cancel = threading.Event()
    cancel.set()
    ctx = QueryContext(txn=txn, cancel_event=cancel)
    plan = plan_query(sqlglot.parse_one("select x from big", read="postgres"), ctx)
    with pytest.raises(HeliosError) as err:
        list(plan.execute(ctx))
    assert err.value.sqlstate == "57014"


def test_plan_query_and_compile_scalar_api():
    store = Store.open(None)
    store.create_database("db")
    txn = store.begin("db")
    txn.create_table("public", "t", [ColumnDef("a", pa.int32(), metadata={"sql_type": "integer"}),
                                     ColumnDef("b", pa.string(), metadata={"sql_type": "text"})])
    txn.insert("public", "t", pa.table({"a": pa.array([1, 2, None], pa.int32()), "b": ["x", "y", "z"]}))
    ctx = QueryContext(txn=txn)
    plan = plan_query(sqlglot.parse_one("select b, a * 2 as twice from t where a is not null order by a",
                                        read="postgres"), ctx)
    assert [(n, t.name) for n, t in plan.columns] == [("b", "text"), ("twice", "int4")]
    assert plan.to_table(QueryContext(txn=txn)).to_pylist() == [{"b": "x", "twice": 2}, {"b": "y", "twice": 4}]
    # the same plan runs again with a new context (prepared statements)
    assert plan.to_table(QueryContext(txn=txn)).num_rows == 2
    # compile_scalar: column i of the scope is column i of the batch
    scope = Scope.of_table("t", [("a", T.INT4), ("b", T.TEXT)])
    pred = compile_scalar(sqlglot.parse_one("a > 1 or b = 'z'", read="postgres"), scope, ctx)
    assert pred.type.name == "bool"
    batch = pa.RecordBatch.from_pydict({"a": pa.array([1, 2, None], pa.int32()), "b": ["x", "y", "z"]})
    assert pred.array(batch, ctx).to_pylist() == [False, True, True]
    with pytest.raises(HeliosError) as err:
        compile_scalar(sqlglot.parse_one("nope + 1", read="postgres"), scope, ctx)
    assert err.value.sqlstate == "42703"


def test_views_and_quoted_identifiers(session):
    session.execute('create view "Cheap" as select id, name as "Name" from items where price < 3')
    assert session.execute('select "Name" from "Cheap" order by id')[-1].rows() == [("item1",)]
    with pytest.raises(HeliosError) as err:
        session.execute("select name from cheap")
    assert err.value.sqlstate == "42P01"
    with pytest.raises(HeliosError) as err:
        session.execute('select name from "Cheap"')
    assert err.value.sqlstate == "42703"


def test_rowid_is_selectable_for_dml(session):
    rows = session.execute("select _rowid, id from items where id <= 2 order by id")[-1].rows()
    assert [r[1] for r in rows] == [1, 2]
    assert len({r[0] for r in rows}) == 2
    # but * does not show it
    assert "_rowid" not in [c.name for c in session.execute("select * from items limit 1")[-1].columns]


def test_time_travel_reads_the_table_as_of_a_timestamp():
    s = helios_core.connect()
    s.execute("create table hist (a int)")
    s.execute("insert into hist values (1)")
    before = s.execute("select clock_timestamp()::text")[-1].rows()[0][0]
    s.execute("insert into hist values (2)")
    assert s.execute(f"select a from hist as of timestamp '{before}' h order by a")[-1].rows() == [(1,)]
    assert s.execute("select a from hist order by a")[-1].rows() == [(1,), (2,)]


def test_view_column_names():
    s = helios_core.connect()
    s.execute("create table base (a int, b text)")
    s.execute("insert into base values (1, 'x')")
    s.execute("create view v2 (p, q) as select a, b from base")
    result = s.execute("select * from v2")[-1]
    assert [c.name for c in result.columns] == ["p", "q"]
    assert result.rows() == [(1, "x")]


def test_jsonb_primary_key_equality_uses_lookup():
    """A jsonb key (MongoDB collections are ``_id jsonb primary key``) is looked up, not scanned."""
    s = helios_core.connect()
    s.execute("create table docs (_id jsonb primary key, doc jsonb)")
    s.execute("insert into docs select to_jsonb('k' || g), jsonb_build_object('n', g) from generate_series(1, 300) g")
    s.execute("""insert into docs values ('{"b": 2, "a": 1}', '{"n": -1}'), ('1.5', '{"n": -2}')""")
    lines = explain(s, """select doc from docs where _id = '"k7"'""")
    assert any("Index Scan using docs_pkey on docs" in line for line in lines)
    assert s.execute("""select doc->'n' from docs where _id = '"k7"'""")[-1].rows() == [("7",)]
    assert s.execute("""select doc->'n' from docs where _id = '{"a": 1, "b": 2}'""")[-1].rows() == [("-1",)]
    assert s.execute("""select doc->'n' from docs where _id = '"missing"'""")[-1].rows() == []
    stmt = s.prepare("select doc->'n' from docs where _id = $1", param_types=["jsonb"])
    assert s.execute_prepared(stmt, ["1.5"]).rows() == [("-2",)]
    assert s.execute("""select count(*) from docs where _id <> '"k7"'""")[-1].rows() == [(301,)]


def test_primary_key_lookup_survives_left_joins(session):
    sql = ("select i.name, t.tag from items i left join tags t on t.item_id = i.id "
           "where i.id = 1 order by t.tag")
    assert any("Index Scan using items_pkey on items i" in line for line in explain(session, sql))
    assert session.execute(sql)[-1].rows() == [("item1", "a"), ("item1", "b")]


def test_correlated_subqueries_become_joins(session):
    text = "\n".join(explain(session, "select id from items i where exists "
                                      "(select 1 from tags t where t.item_id = i.id) order by id"))
    assert "Hash Semi Join" in text
    assert session.execute("select id from items i where exists (select 1 from tags t where t.item_id = i.id) "
                           "order by id")[-1].rows() == [(1,), (2,), (3,)]
    assert session.execute("select count(*) from items i where not exists "
                           "(select 1 from tags t where t.item_id = i.id)")[-1].rows() == [(197,)]
    assert session.execute("select i.id, (select count(*) from tags t where t.item_id = i.id) from items i "
                           "where i.id <= 4 order by 1")[-1].rows() == [(1, 2), (2, 1), (3, 1), (4, 0)]
