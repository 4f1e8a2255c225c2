"""has_table_privilege / has_column_privilege argument forms as PostgreSQL 15 answers them: an object
given by OID or a column by number that does not exist answers NULL, a role OID that names no role
holds nothing, a column name the table lacks is 42703; a GRANT without grant options warns (01007)."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture
def s():
    s = helios_core.connect()
    s.execute("create table forms_t (f1 int, f2 int)")
    return s


def one(s, sql: str) -> tuple:
    return next(tuple(r.values()) for b in s.execute(sql)[-1].batches for r in b.to_pylist())


def test_missing_objects_by_oid_answer_null(s):
    assert one(s, "select has_table_privilege(1, 'select') a, has_column_privilege(9999, 'f1', 'select') b, "
                  "has_column_privilege('forms_t', 99::int2, 'select') c, "
                  "has_column_privilege('forms_t', 1::int2, 'select') d") == (None, None, None, True)


def test_a_role_oid_that_names_no_role_holds_nothing(s):
    assert one(s, "select has_table_privilege(-999999, 'forms_t', 'select')") == (False,)
    with pytest.raises(HeliosError) as e:
        s.execute("select has_table_privilege('no_such_role', 'forms_t', 'select')")
    assert e.value.sqlstate == "42704"


def test_a_column_name_the_table_lacks_is_an_error(s):
    with pytest.raises(HeliosError) as e:
        s.execute("select has_column_privilege('forms_t', 'nosuchcol', 'select')")
    assert (e.value.sqlstate, str(e.value)) == ("42703", 'column "nosuchcol" of relation "forms_t" does not exist')


def test_granting_without_grant_option_warns(s):
    s.execute("create role forms_owner; create role forms_user")
    s.execute("alter table forms_t owner to forms_owner")
    s.execute("grant select on forms_t to forms_user")
    s.execute("set role forms_user")
    result = s.execute("grant select, update on forms_t to public")[-1]
    (w,) = result.notices
    assert (w.severity, w.sqlstate, str(w)) == ("WARNING", "01007", 'no privileges were granted for "forms_t"')
    s.execute("reset role")
    assert one(s, "select has_table_privilege('public', 'forms_t', 'select')") == (False,)


def test_dropping_a_schema_forgets_its_default_privileges(s):
    s.execute("create role forms_reader; create schema forms_ns")
    s.execute("alter default privileges in schema forms_ns grant select on tables to forms_reader")
    assert one(s, "select defaclobjtype, defaclacl::text from pg_default_acl "
                  "where defaclnamespace = 'forms_ns'::regnamespace") == ("r", "{forms_reader=r/helios}")
    s.execute("drop schema forms_ns cascade; create schema forms_ns; create table forms_ns.t (x int)")
    assert one(s, "select has_table_privilege('forms_reader', 'forms_ns.t', 'select'), "
                  "(select count(*) from pg_default_acl)") == (False, 0)


@pytest.mark.parametrize(("sql", "message"), [
    ("grant pg_database_owner to forms_member", 'role "pg_database_owner" cannot have explicit members'),
    ("grant forms_member to pg_database_owner", 'role "pg_database_owner" cannot be a member of any role'),
])
def test_pg_database_owner_membership_is_implicit_only(s, sql, message):
    s.execute("create role forms_member")
    with pytest.raises(HeliosError) as e:
        s.execute(sql)
    assert (e.value.sqlstate, str(e.value)) == ("0LP01", message)
    assert one(s, "select pg_has_role('forms_member', 'pg_database_owner', 'MEMBER')") == (False,)


def test_pg_log_backend_memory_contexts_is_the_superusers_and_refused(s):
    s.execute("create role forms_logger")
    assert one(s, "select has_function_privilege('forms_logger', 'pg_log_backend_memory_contexts(integer)', "
                  "'EXECUTE')") == (False,)
    s.execute("set role forms_logger")
    with pytest.raises(HeliosError) as e:
        s.execute("select pg_log_backend_memory_contexts(pg_backend_pid())")
    assert e.value.sqlstate == "42501"
    s.execute("reset role")
    s.execute("grant execute on function pg_log_backend_memory_contexts(integer) to forms_logger")
    assert one(s, "select has_function_privilege('forms_logger', 'pg_log_backend_memory_contexts(integer)', "
                  "'EXECUTE')") == (True,)
    with pytest.raises(HeliosError) as e:
        s.execute("select pg_log_backend_memory_contexts(pg_backend_pid())")
    assert e.value.sqlstate == "0A000"
