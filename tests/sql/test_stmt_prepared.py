"""Prepared statements: parameter type inference, text binding, plan reuse and re-planning."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture
def s():
    session = helios_core.connect()
    session.execute("create table acc (id int primary key, bal bigint not null, name text, at date)")
    session.execute("insert into acc select g, g * 100, 'n' || g, date '2024-01-01' + g from generate_series(1, 20) g")
    yield session
    session.close()


def test_point_query_param_types_and_columns(s):
    st = s.prepare("select bal, name from acc where id = $1")
    assert st.param_type_oids == [23]
    assert [(c.name, c.type_oid) for c in st.columns] == [("bal", 20), ("name", 25)]
    assert s.execute_prepared(st, ["3"]).rows() == [(300, "n3")]
    assert s.execute_prepared(st, [4]).rows() == [(400, "n4")]
    assert s.execute_prepared(st, [999]).rows() == []
    assert s.execute_prepared(st, [None]).rows() == []


def test_given_param_types_win(s):
    st = s.prepare("select $1::text || 'x', $2", param_type_oids=[25, 20])
    assert st.param_type_oids == [25, 20]
    assert s.execute_prepared(st, ["a", "5"]).rows() == [("ax", 5)]


def test_dml_param_types_come_from_columns(s):
    ins = s.prepare("insert into acc (id, bal, name, at) values ($1, $2, $3, $4)")
    assert ins.param_type_oids == [23, 20, 25, 1082]
    assert ins.columns is None
    assert s.execute_prepared(ins, ["21", "7", "z", "2024-05-01"]).command_tag == "INSERT 0 1"
    up = s.prepare("update acc set bal = bal + $1 where id = $2")
    assert up.param_type_oids == [20, 23]
    assert s.execute_prepared(up, ["5", "21"]).command_tag == "UPDATE 1"
    assert s.execute("select bal, at from acc where id = 21")[0].rows()[0][0] == 12
    ret = s.prepare("delete from acc where id = $1 returning name")
    assert [c.name for c in ret.columns] == ["name"]
    assert s.execute_prepared(ret, [21]).rows() == [("z",)]


def test_bad_parameter_text_is_22p02(s):
    st = s.prepare("select name from acc where id = $1")
    with pytest.raises(HeliosError) as ei:
        s.execute_prepared(st, ["abc"])
    assert ei.value.sqlstate == "22P02"
    with pytest.raises(HeliosError) as ei:
        s.execute_prepared(st, [])
    assert ei.value.sqlstate == "08P01"


def test_replan_after_ddl_and_result_type_guard(s):
    st = s.prepare("select name from acc where id = $1")
    s.execute("alter table acc rename column name to label")
    with pytest.raises(HeliosError) as ei:
        s.execute_prepared(st, [1])
    assert ei.value.sqlstate == "42703"
    s.execute("alter table acc rename column label to name")
    assert s.execute_prepared(st, [1]).rows() == [("n1",)]
    star = s.prepare("select * from acc where id = $1")
    s.execute("alter table acc add column extra int")
    with pytest.raises(HeliosError) as ei:
        s.execute_prepared(star, [1])
    assert ei.value.sqlstate == "0A000"


def test_multiple_statements_cannot_be_prepared(s):
    with pytest.raises(HeliosError) as ei:
        s.prepare("select 1; select 2")
    assert ei.value.sqlstate == "42601"


def test_utility_statements_through_prepare(s):
    begin = s.prepare("begin")
    assert begin.columns is None and s.execute_prepared(begin, []).command_tag == "BEGIN"
    assert s.transaction_status == "T"
    show = s.prepare("show timezone")
    assert [c.name for c in show.columns] == ["TimeZone"]
    assert s.execute_prepared(show, []).rows() == [("UTC",)]
    assert s.execute_prepared(s.prepare("commit"), []).command_tag == "COMMIT"
    assert s.transaction_status == "I"


def test_sql_prepare_execute_deallocate(s):
    assert s.execute("prepare q (int) as select name from acc where id = $1")[0].command_tag == "PREPARE"
    assert s.execute("execute q(5)")[0].rows() == [("n5",)]
    with pytest.raises(HeliosError) as ei:
        s.execute("prepare q as select 1")
    assert ei.value.sqlstate == "42P05"
    assert s.execute("deallocate q")[0].command_tag == "DEALLOCATE"
    with pytest.raises(HeliosError) as ei:
        s.execute("execute q(5)")
    assert ei.value.sqlstate == "26000"


def test_prepared_in_failed_block_is_25p02(s):
    st = s.prepare("select 1")
    s.execute("begin")
    with pytest.raises(HeliosError):
        s.execute("select 1/0")
    with pytest.raises(HeliosError) as ei:
        s.execute_prepared(st, [])
    assert ei.value.sqlstate == "25P02"
    s.execute("rollback")
    assert s.execute_prepared(st, []).rows() == [(1,)]


def test_prepared_data_modifying_cte(s):
    st = s.prepare("with d as (delete from acc where id = $1 returning id, name) select name from d")
    assert st.param_type_oids == [23]
    assert [(c.name, c.type_oid) for c in st.columns] == [("name", 25)]
    assert s.execute_prepared(st, ["2"]).rows() == [("n2",)]
    assert s.execute("select count(*) from acc where id = 2")[0].rows() == [(0,)]
