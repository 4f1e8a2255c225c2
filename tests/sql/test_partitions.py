"""Declarative partitioning through psycopg: routing, 23514, row movement, pruning, ATTACH/DETACH,
catalogs. Expected answers are PostgreSQL 15's (messages, DETAIL, relkind, pg_get_expr)."""

from __future__ import annotations

import psycopg
import pytest


@pytest.fixture(scope="module")
def db(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        yield c


@pytest.fixture
def measures(db):
    db.execute("drop table if exists measures")
    db.execute("create table measures (id int, d int, note text) partition by range (d)")
    db.execute("create table measures_low partition of measures for values from (minvalue) to (10)")
    db.execute("create table measures_mid partition of measures for values from (10) to (100)")
    yield db
    db.execute("drop table if exists measures")


def rows(db, sql, *args):
    return db.execute(sql, args or None).fetchall()


def err(db, sql, *args):
    with pytest.raises(psycopg.Error) as ei:
        db.execute(sql, args or None)
    d = ei.value.diag
    return d.sqlstate, d.message_primary, d.message_detail


def test_rows_go_to_their_partition_and_the_parent_sees_all(measures):
    db = measures
    db.execute("insert into measures values (1, 5, 'a'), (2, 50, 'b'), (3, -7, 'c')")
    assert rows(db, "select tableoid::regclass, id from measures order by id") == [
        ("measures_low", 1), ("measures_mid", 2), ("measures_low", 3)]
    assert rows(db, "select id from measures_mid") == [(2,)]
    assert rows(db, "select count(*) from only measures_low") == [(2,)]


def test_no_partition_for_row_is_23514(measures):
    db = measures
    assert err(db, "insert into measures values (9, 100, 'x')") == (
        "23514", 'no partition of relation "measures" found for row',
        "Partition key of the failing row contains (d) = (100).")
    assert err(db, "insert into measures_low values (9, 50, 'x')") == (
        "23514", 'new row for relation "measures_low" violates partition constraint',
        "Failing row contains (9, 50, x).")
    assert rows(db, "select count(*) from measures") == [(0,)]


def test_default_partition_takes_the_rest(measures):
    db = measures
    db.execute("create table measures_other partition of measures default")
    db.execute("insert into measures values (1, 500, 'far'), (2, null, 'unknown')")
    assert rows(db, "select id from measures_other order by id") == [(1,), (2,)]
    assert err(db, "create table measures_high partition of measures for values from (100) to (1000)") == (
        "23514", ('updated partition constraint for default partition "measures_other" would be violated by '
                  "some row"), None)
    assert err(db, "create table measures_d2 partition of measures default")[:2] == (
        "42P17", 'partition "measures_d2" conflicts with existing default partition "measures_other"')


def test_update_moves_rows_between_partitions(measures):
    db = measures
    db.execute("insert into measures values (1, 5, 'a'), (2, 6, 'b')")
    assert db.execute("update measures set d = d * 10 where id = 1").rowcount == 1
    assert rows(db, "select tableoid::regclass, id, d from measures order by id") == [
        ("measures_mid", 1, 50), ("measures_low", 2, 6)]
    assert err(db, "update measures_low set d = 60 where id = 2") == (
        "23514", 'new row for relation "measures_low" violates partition constraint', "Failing row contains (2, 60, b).")
    assert err(db, "update measures set d = 1000 where id = 2")[:2] == (
        "23514", 'no partition of relation "measures" found for row')
    assert db.execute("delete from measures where d > 7").rowcount == 1
    assert rows(db, "select id from measures") == [(2,)]


def test_explain_shows_only_the_partitions_needed(measures):
    db = measures

    def scans(sql):
        plan = "\n".join(r[0] for r in rows(db, "explain " + sql))
        return sorted(t for t in ("measures_low", "measures_mid") if f"on {t}" in plan)

    assert scans("select * from measures where d = 3") == ["measures_low"]
    assert scans("select * from measures where d >= 10 and id = 1") == ["measures_mid"]
    assert scans("select * from measures where d in (1, 20)") == ["measures_low", "measures_mid"]
    assert scans("select * from measures where id = 1") == ["measures_low", "measures_mid"]
    assert scans("select * from measures m where m.d = 500") == []
    db.execute("insert into measures values (1, 3, 'a'), (2, 30, 'b')")
    assert rows(db, "select id from measures where d = 30") == [(2,)]
    assert rows(db, "select id from measures where d = %s", 3) == [(1,)]  # a parameter: no plan-time pruning


def test_list_and_hash_partitions(db):
    db.execute("drop table if exists colors; drop table if exists buckets")
    db.execute("create table colors (name text, n int) partition by list (name)")
    db.execute("create table colors_warm partition of colors for values in ('red', 'orange')")
    db.execute("create table colors_null partition of colors for values in (null)")
    db.execute("insert into colors values ('red', 1), (null, 2), ('orange', 3)")
    assert rows(db, "select tableoid::regclass, n from colors order by n") == [
        ("colors_warm", 1), ("colors_null", 2), ("colors_warm", 3)]
    assert err(db, "insert into colors values ('blue', 4)")[2] == "Partition key of the failing row contains (name) = (blue)."
    assert err(db, "create table colors_x partition of colors for values in ('red')")[:2] == (
        "42P17", 'partition "colors_x" would overlap partition "colors_warm"')
    db.execute("create table buckets (k int, v text) partition by hash (k)")
    for r in range(3):
        db.execute(f"create table buckets_{r} partition of buckets for values with (modulus 3, remainder {r})")
    db.execute("insert into buckets select g, 'v' from generate_series(1, 300) g")
    counts = rows(db, "select tableoid::regclass, count(*) from buckets group by 1 order by 1")
    assert [c for c, _ in counts] == ["buckets_0", "buckets_1", "buckets_2"]
    assert sum(n for _, n in counts) == 300 and min(n for _, n in counts) > 50
    plan = "\n".join(r[0] for r in rows(db, "explain select * from buckets where k = 42"))
    assert sum(f"on buckets_{r}" in plan for r in range(3)) == 1
    assert rows(db, "select v from buckets where k = 42") == [("v",)]
    assert err(db, "create table buckets_x partition of buckets for values with (modulus 4, remainder 0)") == (
        "42P17", "every hash partition modulus must be a factor of the next larger modulus",
        'The new modulus 4 is not divisible by 3, the modulus of existing partition "buckets_0".')
    db.execute("drop table colors; drop table buckets")


def test_attach_and_detach(measures):
    db = measures
    db.execute("drop table if exists measures_high")
    db.execute("create table measures_high (id int, d int, note text)")
    db.execute("insert into measures_high values (1, 150, 'h')")
    assert err(db, "alter table measures attach partition measures_high for values from (100) to (120)") == (
        "23514", 'partition constraint of relation "measures_high" is violated by some row', None)
    db.execute("alter table measures attach partition measures_high for values from (100) to (200)")
    db.execute("insert into measures values (2, 120, 'routed')")
    assert rows(db, "select id from measures where d >= 100 order by id") == [(1,), (2,)]
    db.execute("alter table measures detach partition measures_high")
    assert rows(db, "select count(*) from measures") == [(0,)]
    assert rows(db, "select count(*) from measures_high") == [(2,)]
    assert err(db, "alter table measures detach partition measures_high")[:2] == (
        "42P01", 'relation "measures_high" is not a partition of relation "measures"')
    db.execute("alter table measures_high add column extra int")
    assert err(db, "alter table measures attach partition measures_high for values from (100) to (200)") == (
        "42804", 'table "measures_high" contains column "extra" not found in parent "measures"',
        "The new partition may contain only the columns present in parent.")
    db.execute("drop table measures_high")


def test_catalogs(measures):
    db = measures
    db.execute("create table measures_rest partition of measures default")
    assert rows(db, "select relname::text, relkind, relispartition, pg_get_expr(relpartbound, oid) from pg_class "
                    "where relname::text like 'measures%' order by 1") == [
        ("measures", "p", False, None),
        ("measures_low", "r", True, "FOR VALUES FROM (MINVALUE) TO (10)"),
        ("measures_mid", "r", True, "FOR VALUES FROM (10) TO (100)"),
        ("measures_rest", "r", True, "DEFAULT")]
    assert rows(db, "select inhrelid::regclass, inhparent::regclass, inhseqno from pg_inherits "
                    "where inhparent = 'measures'::regclass order by 1") == [
        ("measures_low", "measures", 1), ("measures_mid", "measures", 1), ("measures_rest", "measures", 1)]
    assert rows(db, "select partstrat, partnatts, partdefid::regclass from pg_partitioned_table "
                    "where partrelid = 'measures'::regclass") == [("r", 1, "measures_rest")]


def test_copy_truncate_drop(measures):
    db = measures
    with db.cursor().copy("copy measures from stdin") as cp:
        cp.write("1\t5\tlow\n2\t50\tmid\n")
    assert rows(db, "select tableoid::regclass from measures order by id") == [("measures_low",), ("measures_mid",)]
    with pytest.raises(psycopg.errors.CheckViolation), db.cursor().copy("copy measures from stdin") as cp:
        cp.write("3\t500\tnowhere\n")
    db.execute("truncate measures")
    assert rows(db, "select count(*) from measures_low") == [(0,)]
    db.execute("drop table measures")
    assert rows(db, "select count(*) from pg_class where relname::text like 'measures%'") == [(0,)]


def test_sub_partitions_and_keys(db):
    db.execute("drop table if exists ev")
    assert err(db, "create table ev (id int primary key, at date) partition by range (at)") == (
        "0A000", "unique constraint on partitioned table must include all partitioning columns",
        'PRIMARY KEY constraint on table "ev" lacks column "at" which is part of the partition key.')
    db.execute("create table ev (id int, at date, kind text, primary key (id, at, kind)) partition by range (at)")
    db.execute("create table ev_2024 partition of ev for values from ('2024-01-01') to ('2025-01-01') "
               "partition by list (kind)")
    db.execute("create table ev_2024_a partition of ev_2024 for values in ('a')")
    db.execute("create table ev_2024_b partition of ev_2024 for values in ('b')")
    db.execute("insert into ev values (1, '2024-03-01', 'a'), (2, '2024-04-01', 'b')")
    assert rows(db, "select tableoid::regclass, id from ev order by id") == [("ev_2024_a", 1), ("ev_2024_b", 2)]
    with pytest.raises(psycopg.errors.UniqueViolation):
        db.execute("insert into ev values (1, '2024-03-01', 'a')")
    assert err(db, "insert into ev values (3, '2024-05-01', 'c')")[:2] == (
        "23514", 'no partition of relation "ev_2024" found for row')
    assert err(db, "insert into ev_2024_a values (3, '2026-05-01', 'a')")[:2] == (
        "23514", 'new row for relation "ev_2024_a" violates partition constraint')
    db.execute("drop table ev")


def test_expression_keys(db):
    db.execute("drop table if exists words")
    db.execute("create table words (w text, n int) partition by list ((lower(w)))")
    db.execute("create table words_a partition of words for values in ('apple', 'avocado')")
    db.execute("create table words_b partition of words for values in ('banana')")
    db.execute("insert into words values ('Apple', 1), ('banana', 2), ('avocado', 3)")
    assert rows(db, "select tableoid::regclass, w from words order by n") == [
        ("words_a", "Apple"), ("words_b", "banana"), ("words_a", "avocado")]
    assert err(db, "insert into words values ('cherry', 4)") == (
        "23514", 'no partition of relation "words" found for row',
        "Partition key of the failing row contains (lower(w)) = (cherry).")
    db.execute("update words set w = 'Banana' where n = 1")
    assert rows(db, "select tableoid::regclass, w from words where n = 1") == [("words_b", "Banana")]
    db.execute("drop table words")
    db.execute("create table mc3 (a int, b int, c int) partition by range (a, abs(b), c)")
    db.execute("create table mc3_1 partition of mc3 for values from (1, 1, 1) to (10, 5, 10)")
    db.execute("insert into mc3 values (1, -3, 1)")
    assert err(db, "insert into mc3 values (20, 2, 3)")[2] == (
        "Partition key of the failing row contains (a, abs(b), c) = (20, 2, 3).")
    db.execute("drop table mc3")


def test_upsert_into_a_partitioned_table(db):
    db.execute("drop table if exists counters")
    db.execute("create table counters (k int, day int, n int, primary key (k, day)) partition by range (day)")
    db.execute("create table counters_1 partition of counters for values from (1) to (10)")
    db.execute("create table counters_2 partition of counters for values from (10) to (20)")
    for k, day in [(1, 5), (1, 5), (1, 15), (2, 5)]:
        db.execute("insert into counters values (%s, %s, 1) on conflict (k, day) do update "
                   "set n = counters.n + excluded.n", (k, day))
    assert rows(db, "select tableoid::regclass, k, day, n from counters order by k, day") == [
        ("counters_1", 1, 5, 2), ("counters_2", 1, 15, 1), ("counters_1", 2, 5, 1)]
    assert db.execute("insert into counters values (1, 5, 9), (3, 3, 1) on conflict do nothing").rowcount == 1
    db.execute("drop table counters")


def test_partition_info_functions(db):
    db.execute("drop table if exists pt")
    db.execute("create table pt (a int, b int) partition by range (a)")
    db.execute("create table pt0 partition of pt for values from (minvalue) to (0) partition by list (b)")
    db.execute("create table pt01 partition of pt0 for values in (1)")
    db.execute("create table pt1 partition of pt for values from (0) to (100)")
    assert rows(db, "select relid::regclass, parentrelid::regclass, level, isleaf from pg_partition_tree('pt')") == [
        ("pt", None, 0, False), ("pt0", "pt", 1, False), ("pt1", "pt", 1, True), ("pt01", "pt0", 2, True)]
    assert rows(db, "select relid::regclass from pg_partition_ancestors('pt01')") == [("pt01",), ("pt0",), ("pt",)]
    assert rows(db, "select pg_partition_root('pt01')::regclass, pg_get_partkeydef('pt'::regclass), "
                    "pg_get_partkeydef('pt0'::regclass), pg_get_partkeydef('pt1'::regclass)") == [
        ("pt", "RANGE (a)", "LIST (b)", None)]
    oid = rows(db, "select 'pt'::regclass::oid")[0][0]
    assert rows(db, f"select pg_get_partkeydef('{oid}')") == [("RANGE (a)",)]  # as pg_dump asks
    db.execute("drop table pt")


def test_a_partition_may_have_its_own_constraints(measures):
    measures.execute("create table px_child partition of measures (primary key (id)) for values from (100) to (200)")
    measures.execute("insert into measures values (1, 150, 'a')")
    state, message, _ = err(measures, "insert into measures values (1, 160, 'b')")
    assert state == "23505" and "px_child_pkey" in message, message


@pytest.mark.parametrize("sql", [
    "merge into measures m using (select 1 as id) s on m.id = s.id when matched then delete",
    "create unique index on measures (id, lower(d::text))",
])
def test_what_is_not_built_is_refused(measures, sql):
    state, message, _ = err(measures, sql)
    assert state == "0A000" and "not supported" in message, message


def test_run_time_pruning_with_parameters(pg_server, db):
    """``key = $1`` skips the partitions the parameter rules out when the statement runs: two
    SERIALIZABLE transactions that read and write disjoint partitions through the parent
    no longer see each other's writes as read/write conflicts (they did when every partition
    was read)."""
    db.execute("drop table if exists quad")
    db.execute("create table quad (id int, d int) partition by list (d)")
    for q in range(4):
        db.execute(f"create table quad_{q} partition of quad for values in ({q})")
    db.execute("insert into quad values (0, 0), (1, 1)")
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as other:
        db.execute("begin isolation level serializable")
        other.execute("begin isolation level serializable")
        assert db.execute("select id from quad where d = %s", (0,)).fetchall() == [(0,)]
        assert other.execute("select id from quad where d = %s", (1,)).fetchall() == [(1,)]
        db.execute("insert into quad values (%s, %s)", (2, 2))
        other.execute("insert into quad values (%s, %s)", (3, 3))
        db.execute("commit")
        other.execute("commit")
    assert rows(db, "select count(*) from quad") == [(4,)]
    db.execute("drop table quad")


def test_restore_statements_of_a_postgres_dump(db):
    """What pg_dump 15 writes for a partitioned table with a primary key restores as it does
    into PostgreSQL: tables, ATTACH PARTITION, keys added with ALTER TABLE ONLY, ALTER INDEX ...
    ATTACH PARTITION pairing them."""
    db.execute("drop table if exists dumped")
    for sql in [
        "CREATE TABLE public.dumped (id integer NOT NULL, d integer NOT NULL) PARTITION BY RANGE (d)",
        "CREATE TABLE public.dumped1 (id integer NOT NULL, d integer NOT NULL)",
        "ALTER TABLE ONLY public.dumped ATTACH PARTITION public.dumped1 FOR VALUES FROM (1) TO (10)",
        "ALTER TABLE ONLY public.dumped ADD CONSTRAINT dumped_pkey PRIMARY KEY (id, d)",
        "ALTER TABLE ONLY public.dumped1 ADD CONSTRAINT dumped1_pkey PRIMARY KEY (id, d)",
        "ALTER INDEX public.dumped_pkey ATTACH PARTITION public.dumped1_pkey",
    ]:
        db.execute(sql)
    db.execute("insert into dumped values (1, 5)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        db.execute("insert into dumped values (1, 5)")
    assert err(db, "alter table only dumped add constraint dumped_k2 unique (id)") == (
        "0A000", "unique constraint on partitioned table must include all partitioning columns",
        'UNIQUE constraint on table "dumped" lacks column "d" which is part of the partition key.')
    db.execute("drop table dumped")


def test_alter_table_on_a_partitioned_table_reaches_its_partitions(measures):
    db = measures
    db.execute("create table measures_high partition of measures for values from (100) to (1000) partition by list (id)")
    db.execute("create table measures_high_1 partition of measures_high for values in (1)")
    db.execute("insert into measures values (1, 5, 'a'), (2, 50, 'b'), (1, 500, 'c')")
    db.execute("alter table measures add column extra int default 7")
    db.execute("alter table measures rename column note to label")
    db.execute("alter table measures alter column id set not null")
    db.execute("alter table measures add constraint pos check (id > 0)")
    db.execute("alter table measures add constraint measures_pk primary key (id, d)")
    db.execute("alter table measures drop column extra")
    assert rows(db, "select column_name from information_schema.columns where table_name = 'measures_high_1' "
                    "order by ordinal_position") == [("id",), ("d",), ("label",)]
    assert rows(db, "select id, d, label from measures order by d") == [(1, 5, "a"), (2, 50, "b"), (1, 500, "c")]
    assert err(db, "insert into measures values (-1, 6, 'x')")[:2] == (
        "23514", 'new row for relation "measures_low" violates check constraint "pos"')
    assert err(db, "insert into measures values (2, 50, 'again')")[:2] == (
        "23505", 'duplicate key value violates unique constraint "measures_mid_pkey"')
    assert rows(db, "select conname from pg_constraint where conrelid = 'measures_mid'::regclass "
                    "and contype = 'c'") == [("pos",)]
    # what PostgreSQL refuses, with its words
    assert err(db, "alter table measures drop column d")[:2] == (
        "42P16", 'cannot drop column "d" because it is part of the partition key of relation "measures"')
    assert err(db, "alter table measures alter column id type bigint")[:2] == (
        "42P16", 'cannot alter column "id" because it is part of the partition key of relation "measures_high"')
    assert err(db, "alter table measures_low add column z int")[:2] == ("42P16", "cannot add column to a partition")
    assert err(db, "alter table measures_low rename column label to l")[:2] == (
        "42P16", 'cannot rename inherited column "label"')
    assert err(db, "alter table measures_low alter column id drop not null")[:2] == (
        "42P16", 'column "id" is marked NOT NULL in parent table')
    assert err(db, "alter table only measures add column q int")[:2] == (
        "42P16", "column must be added to child tables too")
    db.execute("alter table measures_low alter column label set default 'low'")  # a partition's own
    db.execute("insert into measures_low (id, d) values (4, 7)")
    db.execute("insert into measures (id, d) values (5, 8)")  # through the parent: the parent's default
    assert rows(db, "select id, label from measures where id > 3 order by id") == [(4, "low"), (5, None)]
    db.execute("alter table measures rename to measures_renamed")
    assert rows(db, "select count(*) from measures_renamed") == [(5,)]
    db.execute("alter table measures_renamed rename to measures")
