"""SQL/MED in the kernel: wrappers, servers, user mappings and foreign tables are catalog objects
with PostgreSQL 15's rules (superuser-only wrappers, USAGE on wrappers and servers, generic
options with ADD/SET/DROP), and a foreign table's rows are never reached (no handler: 55000)."""

from __future__ import annotations

import pytest

from helios_core.engine import Engine
from helios_core.errors import HeliosError


@pytest.fixture()
def engine(tmp_path):
    e = Engine.open(str(tmp_path))
    yield e
    e.close()


def _rows(s, sql):
    return s.execute(sql)[-1].rows()


def _error(s, sql) -> tuple[str, str]:
    with pytest.raises(HeliosError) as err:
        s.execute(sql)
    return err.value.sqlstate, str(err.value)


def test_wrapper_options_follow_add_set_drop(engine):
    s = engine.connect()
    s.execute("create foreign data wrapper w options (a '1', b '2')")
    assert _error(s, "create foreign data wrapper w") == ("42710", 'foreign-data wrapper "w" already exists')
    assert _error(s, "alter foreign data wrapper w options (set c '4')") == ("42704", 'option "c" not found')
    assert _error(s, "alter foreign data wrapper w options (b '3')") == ("42710", 'option "b" provided more than once')
    s.execute("alter foreign data wrapper w options (drop a, set b '3', add c '4')")
    assert _rows(s, "select fdwname, fdwoptions from pg_foreign_data_wrapper") == [("w", ["b=3", "c=4"])]
    assert _error(s, "create foreign data wrapper v validator nope") == ("42883", "function nope(text[], oid) does not exist")


def test_postgresql_validator_names_the_valid_options(engine):
    s = engine.connect()
    s.execute("create foreign data wrapper pg validator postgresql_fdw_validator")
    state, message = _error(s, "create server s foreign data wrapper pg options (foo '1')")
    assert (state, message) == ("42601", 'invalid option "foo"')
    s.execute("create server s foreign data wrapper pg options (host 'h', dbname 'd')")
    assert _error(s, "create user mapping for current_user server s options (username 'x')")[1] == \
        'invalid option "username"'
    s.execute("create user mapping for current_user server s options (user 'x', password 'y')")
    assert _rows(s, "select srvname, umoptions from pg_user_mappings") == [("s", ["user=x", "password=y"])]


def test_privileges_of_wrappers_servers_and_mappings(engine):
    s = engine.connect()
    s.execute("create role plain login")
    s.execute("create foreign data wrapper w")
    s.execute("create server s foreign data wrapper w")
    other = engine.connect(user="plain")
    assert _error(other, "create foreign data wrapper w2")[0] == "42501"
    assert _error(other, "create server s2 foreign data wrapper w") == (
        "42501", "permission denied for foreign-data wrapper w")
    assert _error(other, "create user mapping for current_user server s") == (
        "42501", "permission denied for foreign server s")
    assert _error(other, "create user mapping for public server s") == ("42501", "must be owner of foreign server s")
    s.execute("grant usage on foreign data wrapper w to plain")
    s.execute("grant usage on foreign server s to plain")
    other.execute("create server s2 foreign data wrapper w")
    other.execute("create user mapping for current_user server s")
    assert _rows(s, "select has_server_privilege('plain', 's', 'USAGE'), "
                    "has_foreign_data_wrapper_privilege('plain', 'w', 'USAGE')") == [(True, True)]
    assert _rows(s, "select srvacl from pg_foreign_server where srvname = 's'") == [
        (["helios=U/helios", "plain=U/helios"],)]
    state, _ = _error(s, "drop role plain")
    assert state == "2BP01"
    other.close()


def test_drop_cascades_in_postgres_order(engine):
    s = engine.connect()
    s.execute("create foreign data wrapper w")
    s.execute("create server s1 foreign data wrapper w")
    s.execute("create user mapping for public server s1")
    s.execute("create server s2 foreign data wrapper w")
    state, message = _error(s, "drop foreign data wrapper w")
    assert (state, message) == ("2BP01", "cannot drop foreign-data wrapper w because other objects depend on it")
    notices = s.execute("drop foreign data wrapper w cascade")[-1].notices
    assert [getattr(n, "detail", None) for n in notices] == [
        ("drop cascades to server s1\ndrop cascades to user mapping for public on server s1\n"
        "drop cascades to server s2")]
    assert _rows(s, "select count(*) from pg_foreign_server") == [(0,)]


def test_foreign_table_is_a_table_without_a_handler(engine):
    s = engine.connect()
    s.execute("create foreign data wrapper w")
    s.execute("create server s foreign data wrapper w")
    assert _error(s, "create foreign table f (a int) server nope") == ("42704", 'server "nope" does not exist')
    assert _error(s, "create foreign table f (a int primary key) server s")[0] == "0A000"
    s.execute("create foreign table f (a int options (col 'x') not null, b text check (b <> '')) "
              "server s options (t '1')")
    assert _rows(s, "select relkind from pg_class where relname = 'f'") == [("f",)]
    assert _rows(s, "select ftoptions from pg_foreign_table") == [(["t=1"],)]
    assert _rows(s, "select attname, attfdwoptions from pg_attribute a join pg_class c on c.oid = a.attrelid "
                    "where c.relname = 'f' and attnum > 0 order by attnum") == [("a", ["col=x"]), ("b", None)]
    for sql in ("select * from f", "insert into f values (1, 'x')", "explain select * from f"):
        assert _error(s, sql) == ("55000", 'foreign-data wrapper "w" has no handler')
    assert _error(s, "create index on f (a)")[0] == "42809"
    s.execute("alter foreign table f options (set t '2', add u '3'), alter column b options (add c 'y')")
    assert _rows(s, "select ftoptions from pg_foreign_table") == [(["t=2", "u=3"],)]
    s.execute("alter foreign table f add column c int")
    s.execute("alter foreign table f alter column c type bigint")  # no rows to rewrite
    assert _error(s, "alter foreign table f alter column c type int using c::int") == ("42809", '"f" is not a table')
    assert _error(s, "drop table f") == ("42809", '"f" is not a table')
    s.execute("create table plain_t (a int)")
    assert _error(s, "drop foreign table plain_t") == ("42809", '"plain_t" is not a foreign table')
    assert _error(s, "import foreign schema r from server s into public") == (
        "55000", 'foreign-data wrapper "w" has no handler')
    assert _error(s, "import foreign schema r from server s into nowhere") == (
        "3F000", 'schema "nowhere" does not exist')
    s.execute("drop foreign table f")
    assert _rows(s, "select count(*) from pg_foreign_table") == [(0,)]


def test_renamed_role_keeps_its_wrappers_servers_and_mappings(engine):
    s = engine.connect()
    s.execute("create role old_name superuser")
    s.execute("set role old_name")
    s.execute("create foreign data wrapper w")
    s.execute("create server s foreign data wrapper w")
    s.execute("create user mapping for old_name server s options (user 'x')")
    s.execute("reset role")
    s.execute("alter role old_name rename to new_name")
    assert _rows(s, "select pg_get_userbyid(fdwowner) from pg_foreign_data_wrapper") == [("new_name",)]
    assert _rows(s, "select usename, umoptions from pg_user_mappings") == [("new_name", ["user=x"])]


def test_alter_if_exists_forms_notice_and_skip(engine):
    s = engine.connect()
    s.execute("create foreign data wrapper w")
    s.execute("create server s foreign data wrapper w")
    s.execute("create foreign table f (a int) server s")
    for sql, text in (("alter foreign table f add column if not exists a int",
                       'column "a" of relation "f" already exists, skipping'),
                      ("alter foreign table f drop column if exists zz",
                       'column "zz" of relation "f" does not exist, skipping'),
                      ("alter foreign table f drop constraint if exists zz",
                       'constraint "zz" of relation "f" does not exist, skipping')):
        result = s.execute(sql)[-1]
        assert (result.command_tag, [str(n) for n in result.notices]) == ("ALTER FOREIGN TABLE", [text])


def test_foreign_partitions_follow_postgres_rules(engine):
    s = engine.connect()
    s.execute("create foreign data wrapper w")
    s.execute("create server s foreign data wrapper w")
    s.execute("create table p (a int not null, b text, constraint p_ck check (b <> '')) partition by list (a)")
    s.execute("create foreign table fp (a int, b text) server s")
    assert _error(s, "alter table p attach partition fp for values in (1)") == (
        "42804", 'column "a" in child table must be marked NOT NULL')
    s.execute("alter foreign table fp alter a set not null")
    assert _error(s, "alter table p attach partition fp for values in (1)") == (
        "42804", 'child table is missing constraint "p_ck"')
    s.execute("alter foreign table fp add constraint p_ck check (b <> '')")
    s.execute("alter table p attach partition fp for values in (1)")
    assert _error(s, "create unique index on p (a)") == (
        "42809", 'cannot create unique index on partitioned table "p"')
    s.execute("alter table p detach partition fp")
    s.execute("create unique index on p (a)")
    assert _error(s, "alter table p attach partition fp for values in (1)") == (
        "42809", 'cannot attach foreign table "fp" as partition of partitioned table "p"')
    assert _error(s, "create foreign table fp2 partition of p for values in (2) server s") == (
        "42809", 'cannot create foreign partition of partitioned table "p"')
    s.execute("create temp table tp (a int) partition by list (a)")
    assert _error(s, "create foreign table fp3 partition of tp default server s") == (
        "42809", 'cannot create a permanent relation as partition of temporary relation "tp"')


def test_grant_of_nothing_leaves_no_acl_item(engine):
    s = engine.connect()
    s.execute("create role giver")
    s.execute("create role taker")
    s.execute("create foreign data wrapper w")
    s.execute("grant usage on foreign data wrapper w to giver")  # without grant option
    s.execute("set role giver")
    result = s.execute("grant usage on foreign data wrapper w to taker")[-1]
    assert [(getattr(n, "severity", ""), str(n)) for n in result.notices] == [
        ("WARNING", 'no privileges were granted for "w"')]
    s.execute("reset role")
    assert _rows(s, "select fdwacl from pg_foreign_data_wrapper") == [(["helios=U/helios", "giver=U/helios"],)]


def test_drop_server_cascade_drops_its_foreign_tables_as_drop_foreign_table_would(engine):
    s = engine.connect()
    s.execute("create foreign data wrapper w")
    s.execute("create server s foreign data wrapper w")
    s.execute("create table p (a int) partition by list (a)")
    s.execute("create foreign table f partition of p for values in (1) server s")
    assert _error(s, "drop server s") == ("2BP01", "cannot drop server s because other objects depend on it")
    notices = s.execute("drop server s cascade")[-1].notices
    assert [str(n) for n in notices] == ["drop cascades to foreign table f"]
    assert _rows(s, "select relname from pg_class where relname in ('f', 'p')") == [("p",)]
    assert _rows(s, "select count(*) from pg_inherits") == [(0,)]  # the partition left its parent too


def test_foreign_partitions_and_children_are_not_read_or_written(engine):
    s = engine.connect()
    s.execute("create foreign data wrapper w")
    s.execute("create server s foreign data wrapper w")
    s.execute("create table p (a int) partition by list (a)")
    s.execute("create table p2 partition of p for values in (2)")
    s.execute("create foreign table p1 partition of p for values in (1) server s")
    s.execute("create table q (a int)")
    s.execute("create foreign table qf () inherits (q) server s")
    no_handler = ("55000", 'foreign-data wrapper "w" has no handler')
    for sql in ("select * from p", "insert into p values (1)", "select * from q", "update q set a = 1"):
        assert _error(s, sql) == no_handler, sql
    s.execute("insert into p values (2)")  # the foreign partition is pruned, as in PostgreSQL
    assert _rows(s, "select * from p where a = 2") == [(2,)]
    assert _rows(s, "select count(*) from only q") == [(0,)]
