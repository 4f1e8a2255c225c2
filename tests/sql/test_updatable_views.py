"""INSERT, UPDATE and DELETE through views, as PostgreSQL's automatically updatable views behave
(expected answers and messages as PostgreSQL 15 gives them)."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors


@pytest.fixture
def conn(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        yield c


def _rows(conn, sql):
    return conn.execute(sql).fetchall()


def test_writes_go_to_the_table_and_see_only_the_view_rows(conn):
    conn.execute("CREATE TABLE uv_base (a int PRIMARY KEY, b text DEFAULT 'dflt', c int)")
    conn.execute("INSERT INTO uv_base SELECT i, 'r' || i, i * 10 FROM generate_series(-2, 3) i")
    conn.execute("CREATE VIEW uv_pos AS SELECT b AS bb, a AS aa, upper(b) AS ub FROM uv_base WHERE a > 0")
    conn.execute("INSERT INTO uv_pos (aa) VALUES (7)")  # the table's default fills b
    assert _rows(conn, "SELECT a, b, c FROM uv_base WHERE a = 7") == [(7, "dflt", None)]
    # UPDATE and DELETE only reach the rows the view shows
    cur = conn.execute("UPDATE uv_pos SET bb = 'x' WHERE aa < 3")
    assert cur.rowcount == 2
    assert _rows(conn, "SELECT a, b FROM uv_base WHERE a <= 2 ORDER BY a") == [
        (-2, "r-2"), (-1, "r-1"), (0, "r0"), (1, "x"), (2, "x")]
    assert conn.execute("DELETE FROM uv_pos WHERE aa <= 2").rowcount == 2
    assert _rows(conn, "SELECT count(*) FROM uv_base WHERE a <= 0") == [(3,)]
    # RETURNING speaks in the view's columns, computed ones included
    assert _rows(conn, "UPDATE uv_pos v SET bb = 'q' WHERE v.aa = 3 RETURNING *") == [("q", 3, "Q")]
    assert _rows(conn, "INSERT INTO uv_pos VALUES ('n', 9) RETURNING ub, aa") == [("N", 9)]
    # ON CONFLICT names the view's columns, excluded too
    conn.execute("INSERT INTO uv_pos (aa, bb) VALUES (9, 'm') ON CONFLICT (aa) DO UPDATE SET bb = excluded.bb || '!'")
    assert _rows(conn, "SELECT b FROM uv_base WHERE a = 9") == [("m!",)]


def test_refusals_name_what_is_missing(conn):
    conn.execute("CREATE TABLE uv_r (a int, b text)")
    conn.execute("CREATE VIEW uv_distinct AS SELECT DISTINCT a FROM uv_r")
    conn.execute("CREATE VIEW uv_agg AS SELECT count(*) AS n FROM uv_r")
    conn.execute("CREATE VIEW uv_join AS SELECT x.a FROM uv_r x, uv_r y")
    conn.execute("CREATE VIEW uv_expr AS SELECT a, upper(b) AS u, a AS a2 FROM uv_r")
    conn.execute("CREATE VIEW uv_over AS SELECT * FROM uv_distinct")
    conn.execute("CREATE VIEW uv_srf AS SELECT a, b, generate_series(1, a) g FROM uv_r")
    cases = [
        ("UPDATE uv_srf SET b = upper(b)", 'cannot update view "uv_srf"', "return set-returning functions"),
        ("DELETE FROM uv_distinct", 'cannot delete from view "uv_distinct"', "containing DISTINCT"),
        ("UPDATE uv_agg SET n = 1", 'cannot update view "uv_agg"', "return aggregate functions"),
        ("INSERT INTO uv_join VALUES (1)", 'cannot insert into view "uv_join"', "single table or view"),
        ("INSERT INTO uv_over VALUES (1)", 'cannot insert into view "uv_distinct"', "containing DISTINCT"),
        ("INSERT INTO uv_expr VALUES (1, 'x')", 'cannot insert into column "u" of view "uv_expr"',
         "not columns of their base relation"),
    ]
    for sql, message, detail in cases:
        with pytest.raises(errors.FeatureNotSupported) as e:
            conn.execute(sql)
        assert e.value.diag.message_primary == message
        assert detail in e.value.diag.message_detail
    with pytest.raises(errors.SyntaxError, match='multiple assignments to same column "a"'):
        conn.execute("UPDATE uv_expr SET a = 1, a2 = 2")
    with pytest.raises(errors.WrongObjectType):
        conn.execute("MERGE INTO uv_expr t USING uv_r s ON t.a = s.a WHEN MATCHED THEN DELETE")
    info = _rows(conn, "SELECT table_name, is_updatable, is_insertable_into FROM information_schema.views "
                       "WHERE table_name IN ('uv_distinct', 'uv_expr') ORDER BY 1")
    assert info == [("uv_distinct", "NO", "NO"), ("uv_expr", "YES", "YES")]
    cols = _rows(conn, "SELECT column_name, is_updatable FROM information_schema.columns "
                       "WHERE table_name = 'uv_expr' ORDER BY ordinal_position")
    assert cols == [("a", "YES"), ("u", "NO"), ("a2", "YES")]


def test_check_option_local_and_cascaded(conn):
    conn.execute("CREATE TABLE uv_c (a int)")
    conn.execute("CREATE VIEW uv_c1 AS SELECT a FROM uv_c WHERE a > 0 WITH CHECK OPTION")
    conn.execute("CREATE VIEW uv_c2 AS SELECT a FROM uv_c1 WHERE a < 10")  # no option: uv_c1's still holds
    conn.execute("CREATE VIEW uv_c3 AS SELECT a FROM uv_c2 WHERE a <> 5 WITH LOCAL CHECK OPTION")
    conn.execute("INSERT INTO uv_c2 VALUES (20)")  # outside uv_c2, but uv_c2 has no check option
    with pytest.raises(errors.WithCheckOptionViolation) as e:
        conn.execute("INSERT INTO uv_c2 VALUES (-1)")
    assert e.value.diag.message_primary == 'new row violates check option for view "uv_c1"'
    assert e.value.diag.message_detail == "Failing row contains (-1)."
    with pytest.raises(errors.WithCheckOptionViolation, match='"uv_c3"'):
        conn.execute("INSERT INTO uv_c3 VALUES (5)")
    conn.execute("INSERT INTO uv_c3 VALUES (30)")  # LOCAL: uv_c2's a < 10 is not checked
    conn.execute("INSERT INTO uv_c3 VALUES (7)")
    with pytest.raises(errors.WithCheckOptionViolation, match='"uv_c1"'):
        conn.execute("UPDATE uv_c3 SET a = -a WHERE a = 7")
    assert _rows(conn, "SELECT a FROM uv_c ORDER BY a") == [(7,), (20,), (30,)]
    assert _rows(conn, "SELECT check_option FROM information_schema.views WHERE table_name = 'uv_c3'") == [("LOCAL",)]
    conn.execute("ALTER VIEW uv_c3 RESET (check_option)")
    conn.execute("INSERT INTO uv_c3 VALUES (5)")
    with pytest.raises(errors.InvalidParameterValue, match="check_option"):
        conn.execute("ALTER VIEW uv_c3 SET (check_option = sometimes)")
    with pytest.raises(errors.FeatureNotSupported, match="only on automatically updatable views"):
        conn.execute("CREATE VIEW uv_c4 AS SELECT DISTINCT a FROM uv_c WITH CHECK OPTION")


def test_view_defaults_and_renamed_columns(conn):
    conn.execute("CREATE TABLE uv_d (a int, b text DEFAULT 'table')")
    conn.execute("CREATE VIEW uv_dv AS SELECT a, b FROM uv_d")
    conn.execute("ALTER VIEW uv_dv ALTER COLUMN b SET DEFAULT 'view'")
    conn.execute("INSERT INTO uv_dv (a) VALUES (1)")
    conn.execute("INSERT INTO uv_dv VALUES (2, DEFAULT)")
    conn.execute("INSERT INTO uv_d (a) VALUES (3)")  # the table's own default is untouched
    assert _rows(conn, "SELECT a, b FROM uv_d ORDER BY a") == [(1, "view"), (2, "view"), (3, "table")]
    conn.execute("ALTER VIEW uv_dv RENAME COLUMN a TO id")
    assert _rows(conn, "UPDATE uv_dv SET b = 'r' WHERE id = 3 RETURNING id, b") == [(3, "r")]


def test_privileges_are_the_views_and_its_owners(conn):
    conn.execute("CREATE TABLE uv_p (a int, secret text)")
    conn.execute("CREATE VIEW uv_pv AS SELECT a FROM uv_p")
    conn.execute("CREATE VIEW uv_pi WITH (security_invoker = true) AS SELECT a FROM uv_p")
    conn.execute("CREATE ROLE uv_clerk")
    conn.execute("GRANT SELECT, INSERT, UPDATE ON uv_pv, uv_pi TO uv_clerk")
    conn.execute("SET ROLE uv_clerk")
    try:
        conn.execute("INSERT INTO uv_pv VALUES (1)")  # the table is written with the owner's rights
        assert conn.execute("UPDATE uv_pv SET a = 2 WHERE a = 1").rowcount == 1
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied for view uv_pv"):
            conn.execute("DELETE FROM uv_pv")
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied for table uv_p"):
            conn.execute("SELECT * FROM uv_pi")  # security_invoker: the reader's own rights
    finally:
        conn.execute("RESET ROLE")
    assert _rows(conn, "SELECT a FROM uv_p") == [(2,)]


def test_a_view_over_a_view_its_owner_cannot_read_is_created_and_refused_when_used(conn):
    conn.execute("CREATE TABLE uv_n (a int)")
    conn.execute("CREATE ROLE uv_u1")
    conn.execute("CREATE ROLE uv_u2")
    conn.execute("GRANT CREATE, USAGE ON SCHEMA public TO uv_u1, uv_u2")
    conn.execute("SET ROLE uv_u1")
    try:
        conn.execute("CREATE VIEW uv_n1 AS SELECT * FROM uv_n")  # u1 may not read uv_n: fine to create
        conn.execute("GRANT SELECT ON uv_n1 TO uv_u2")
        conn.execute("SET ROLE uv_u2")
        conn.execute("CREATE VIEW uv_n2 AS SELECT * FROM uv_n1")  # privileges count when it is used
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied for table uv_n"):
            conn.execute("SELECT * FROM uv_n2")
    finally:
        conn.execute("RESET ROLE")


def test_invoker_views_write_with_the_callers_rights_and_row_locks_need_update(conn):
    conn.execute("CREATE TABLE uv_i (a int, b text)")
    conn.execute("INSERT INTO uv_i VALUES (1, 'x')")
    conn.execute("CREATE VIEW uv_iv WITH (security_invoker = true) AS SELECT a, b FROM uv_i")
    conn.execute("CREATE VIEW uv_ov AS SELECT a, b FROM uv_i")
    conn.execute("CREATE ROLE uv_caller")
    conn.execute("GRANT SELECT, UPDATE ON uv_iv, uv_ov TO uv_caller")
    conn.execute("GRANT SELECT ON uv_i TO uv_caller")
    conn.execute("SET ROLE uv_caller")
    try:
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied for table uv_i"):
            conn.execute("UPDATE uv_iv SET b = 'y'")  # the caller has no UPDATE on the table
        assert conn.execute("UPDATE uv_ov SET b = 'y'").rowcount == 1  # the owner's rights
        assert _rows(conn, "SELECT a FROM uv_ov FOR UPDATE") == [(1,)]
        conn.execute("RESET ROLE")
        conn.execute("REVOKE UPDATE ON uv_ov FROM uv_caller")
        conn.execute("SET ROLE uv_caller")
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied for view uv_ov"):
            conn.execute("SELECT a FROM uv_ov FOR UPDATE")
    finally:
        conn.execute("RESET ROLE")


def test_check_option_with_a_subquery_that_reads_the_view_row(conn):
    conn.execute("CREATE TABLE uv_ck1 (a int, b text, c int)")
    conn.execute("CREATE TABLE uv_ck2 (cc int)")
    conn.execute("INSERT INTO uv_ck2 VALUES (10), (20)")
    conn.execute("CREATE VIEW uv_ckv1 AS SELECT * FROM uv_ck1 WHERE a > 0 WITH CHECK OPTION")
    conn.execute("CREATE VIEW uv_ckv2 AS SELECT * FROM uv_ckv1 WHERE EXISTS (SELECT 1 FROM uv_ck2 "
                 "WHERE uv_ck2.cc = uv_ckv1.c) WITH CHECK OPTION")
    conn.execute("INSERT INTO uv_ckv2 VALUES (2, 'two', 20)")
    for sql in ("INSERT INTO uv_ckv2 VALUES (3, 'three', 30)", "UPDATE uv_ckv2 x SET c = 30 WHERE a = 2"):
        with pytest.raises(errors.WithCheckOptionViolation, match='new row violates check option for view "uv_ckv2"'):
            conn.execute(sql)
    assert _rows(conn, "SELECT a, c FROM uv_ck1") == [(2, 20)]


def test_pg_relation_and_column_is_updatable(conn):
    conn.execute("CREATE TABLE uv_ru (a int PRIMARY KEY, b text)")
    conn.execute("CREATE VIEW uv_ru1 AS SELECT a, b, upper(b) AS u FROM uv_ru")
    conn.execute("CREATE VIEW uv_ru3 AS SELECT upper(b) AS u FROM uv_ru1")  # no updatable column, deletable
    conn.execute("CREATE VIEW uv_rud AS SELECT DISTINCT a FROM uv_ru")
    assert _rows(conn, "SELECT pg_relation_is_updatable('uv_ru'::regclass, false), "
                       "pg_relation_is_updatable('uv_ru1'::regclass, false), "
                       "pg_relation_is_updatable('uv_ru3'::regclass, false), "
                       "pg_relation_is_updatable('uv_rud'::regclass, false)") == [(28, 28, 16, 0)]
    assert _rows(conn, "SELECT pg_column_is_updatable('uv_ru1'::regclass, 1::smallint, false), "
                       "pg_column_is_updatable('uv_ru1'::regclass, 3::smallint, false)") == [(True, False)]
    conn.execute("CREATE FUNCTION uv_ru_fn() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql")
    conn.execute("CREATE TRIGGER uv_ru_t INSTEAD OF UPDATE ON uv_rud FOR EACH ROW EXECUTE FUNCTION uv_ru_fn()")
    assert _rows(conn, "SELECT pg_relation_is_updatable('uv_rud'::regclass, false), "
                       "pg_relation_is_updatable('uv_rud'::regclass, true)") == [(0, 4)]


def test_a_default_of_a_computed_view_column_is_applied_and_refused(conn):
    conn.execute("CREATE TABLE uv_dc (a int PRIMARY KEY, b text)")
    conn.execute("CREATE VIEW uv_dcv AS SELECT a, upper(b) FROM uv_dc")
    conn.execute("INSERT INTO uv_dcv (a) VALUES (1)")  # no default on upper yet: fine
    conn.execute("ALTER VIEW uv_dcv ALTER COLUMN upper SET DEFAULT 'NOT SET'")
    for sql in ("INSERT INTO uv_dcv (a) VALUES (4)",
                "INSERT INTO uv_dcv (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET upper = 'x'"):
        with pytest.raises(errors.FeatureNotSupported, match='cannot insert into column "upper" of view "uv_dcv"'):
            conn.execute(sql)
    assert _rows(conn, "SELECT a FROM uv_dc") == [(1,)]


def test_writing_through_a_view_does_not_open_the_table_to_subqueries(conn):
    conn.execute("CREATE TABLE uv_s (a int, secret text)")
    conn.execute("INSERT INTO uv_s VALUES (1, 'hidden')")
    conn.execute("CREATE VIEW uv_sv AS SELECT a FROM uv_s")
    conn.execute("CREATE ROLE uv_snoop")
    conn.execute("GRANT SELECT, UPDATE ON uv_sv TO uv_snoop")
    conn.execute("SET ROLE uv_snoop")
    try:
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied for table uv_s"):
            conn.execute("UPDATE uv_sv SET a = (SELECT length(secret) FROM uv_s LIMIT 1)")
        assert conn.execute("UPDATE uv_sv SET a = a + 1").rowcount == 1
    finally:
        conn.execute("RESET ROLE")


def test_security_barrier_view_conditions_run_before_the_callers(conn):
    """A leaky function in the caller's WHERE never sees a row the view's own condition removes
    (PostgreSQL's security_barrier; HeliosDB keeps every view's conditions below the caller's)."""
    seen = []
    conn.add_notice_handler(lambda diag: seen.append(diag.message_primary))
    conn.execute("CREATE TABLE sb_phone (person text, phone text)")
    conn.execute("INSERT INTO sb_phone VALUES ('ann', '412-1'), ('bob', '555-2')")
    conn.execute("CREATE FUNCTION sb_leak(text, text) RETURNS bool LANGUAGE plpgsql COST 0.0000001 "
                 "AS $$ BEGIN RAISE NOTICE '% %', $1, $2; RETURN true; END $$")
    conn.execute("CREATE VIEW sb_view WITH (security_barrier) AS "
                 "SELECT person, phone FROM sb_phone WHERE phone NOT LIKE '412%'")
    conn.execute("CREATE TABLE sb_other (p text)")
    conn.execute("INSERT INTO sb_other VALUES ('ann'), ('bob')")
    statements = [
        "SELECT * FROM sb_view WHERE sb_leak(person, phone)",
        "SELECT * FROM sb_other o JOIN sb_view v ON v.person = o.p WHERE sb_leak(v.person, v.phone)",
        "SELECT * FROM sb_view WHERE person = 'ann' OR sb_leak(person, phone)",
        "UPDATE sb_view SET phone = phone WHERE sb_leak(person, phone)",
        "DELETE FROM sb_view WHERE sb_leak(person, phone) AND person = 'nobody'",
    ]
    for sql in statements:
        conn.execute(sql)
    assert seen and set(seen) == {"bob 555-2"}
    assert conn.execute("SELECT reloptions FROM pg_class WHERE relname = 'sb_view'").fetchone()[0] == [
        "security_barrier=true"]
