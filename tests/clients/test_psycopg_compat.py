"""What psycopg's own test suite showed missing, checked through psycopg against a real server.

Each test names the client-visible behaviour PostgreSQL 15 has and HeliosDB lacked when
psycopg's suite was run against ``helios serve`` (see CLIENT_SUITES.md).
"""

from __future__ import annotations

import datetime as dt
import uuid

import psycopg
import pytest
from psycopg import IsolationLevel

from helios_core.testing import HeliosServer


def test_pg_typeof_is_a_regtype_that_casts_to_oid(conn: psycopg.Connection) -> None:
    row = conn.execute("select pg_typeof(2::int8), pg_typeof(2::int8)::oid, pg_typeof(array[1.5])").fetchone()
    assert row == ("bigint", 20, "numeric[]")
    assert conn.execute("select pg_typeof(1)").description[0].type_code == 2206


def test_regtype_reads_names_and_prints_them(conn: psycopg.Connection) -> None:
    assert conn.execute("select 'double precision'::regtype, 'int4[]'::regtype::oid").fetchone() == (
        "double precision", 1007)
    assert conn.execute("select 25::regtype::text").fetchone() == ("text",)
    with pytest.raises(psycopg.errors.UndefinedObject):
        conn.execute("select 'no_such_type'::regtype")


@pytest.mark.parametrize("spelling", [
    "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
    "a0eebc999c0b4ef8bb6d6bb9bd380a11",
    "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
])
def test_uuid_input_spellings(conn: psycopg.Connection, spelling: str) -> None:
    got = conn.execute("select %s::uuid", [spelling]).fetchone()[0]
    assert got == uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")


def test_uuid_input_rejects_misplaced_hyphens(conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        conn.execute("select 'a0eeb-c999c0b4ef8bb6d6bb9bd380a11'::uuid")


def test_text_array_keeps_control_characters(conn: psycopg.Connection) -> None:
    # psycopg quotes only array_in's blanks; \x1c-\x1f and \x85 arrive unquoted and are data
    chars = [chr(c) for c in range(1, 256)] + ["€"]
    cur = conn.cursor(binary=False)
    assert cur.execute("select %t::text[]", [chars]).fetchone()[0] == chars


def test_read_uncommitted_is_reported_as_asked(conn: psycopg.Connection) -> None:
    conn.isolation_level = IsolationLevel.READ_UNCOMMITTED
    conn.autocommit = False
    with conn.transaction():
        assert conn.execute("show transaction_isolation").fetchone() == ("read uncommitted",)
    conn.execute("set default_transaction_isolation to 'read uncommitted'")
    assert conn.execute("select current_setting('transaction_isolation')").fetchone() == ("read uncommitted",)


def test_deferrable_transaction_settings(conn: psycopg.Connection) -> None:
    assert conn.execute("show transaction_deferrable").fetchone() == ("off",)
    conn.autocommit = False
    conn.deferrable = True
    conn.read_only = True
    with conn.transaction():
        assert conn.execute("show transaction_deferrable").fetchone() == ("on",)
        assert conn.execute("show transaction_read_only").fetchone() == ("on",)
    conn.deferrable = None
    conn.read_only = None
    conn.execute("set default_transaction_deferrable = on")
    assert conn.execute("show transaction_deferrable").fetchone() == ("on",)
    conn.rollback()
    assert conn.execute("show max_prepared_transactions").fetchone() == ("0",)


@pytest.mark.parametrize(("datestyle", "expected"), [
    ("ISO, MDY", ("2024-03-05", "2024-03-05 14:07:09.25", "2024-07-01 10:00:00+02")),
    ("SQL, MDY", ("03/05/2024", "03/05/2024 14:07:09.25", "07/01/2024 10:00:00 CEST")),
    ("SQL, DMY", ("05/03/2024", "05/03/2024 14:07:09.25", "01/07/2024 10:00:00 CEST")),
    ("Postgres, MDY", ("03-05-2024", "Tue Mar 05 14:07:09.25 2024", "Mon Jul 01 10:00:00 2024 CEST")),
    ("Postgres, DMY", ("05-03-2024", "Tue 05 Mar 14:07:09.25 2024", "Mon 01 Jul 10:00:00 2024 CEST")),
    ("German", ("05.03.2024", "05.03.2024 14:07:09.25", "01.07.2024 10:00:00 CEST")),
])
def test_datestyle_shapes_date_output(conn: psycopg.Connection, datestyle: str, expected: tuple) -> None:
    conn.execute("set timezone = 'Europe/Berlin'")
    conn.execute(f"set datestyle = '{datestyle}'")
    query = ("select '2024-03-05'::date::text, '2024-03-05 14:07:09.25'::timestamp::text, "
             "'2024-07-01 08:00:00+00'::timestamptz::text")
    assert conn.execute(query).fetchone() == expected
    # psycopg reads the DateStyle the server reports and parses the values it sends in that style
    got = conn.execute("select '2024-03-05'::date, '2024-03-05 14:07:09.25'::timestamp").fetchone()
    assert got == (dt.date(2024, 3, 5), dt.datetime(2024, 3, 5, 14, 7, 9, 250000))


def test_prepared_query_follows_a_later_datestyle(conn: psycopg.Connection) -> None:
    query = "select '2024-03-05'::date::text"
    for _ in range(3):
        assert conn.execute(query, prepare=True).fetchone() == ("2024-03-05",)
    conn.execute("set datestyle = 'German'")
    assert conn.execute(query, prepare=True).fetchone() == ("05.03.2024",)


def test_scrollable_server_cursor_moves_both_ways(server: HeliosServer) -> None:
    with psycopg.connect(server.pg_dsn()) as c:
        cur = c.cursor("walker", scrollable=True)
        cur.execute("select g * 10 from generate_series(1, 8) g")
        cur.scroll(6)
        assert cur.fetchone() == (70,)
        cur.scroll(-3)
        assert cur.fetchone() == (50,)
        cur.scroll(0, "absolute")
        assert [r[0] for r in cur.fetchmany(2)] == [10, 20]
        cur.scroll(-1, "relative")
        assert cur.fetchone() == (20,)
        assert c.execute("fetch last from walker").fetchone() == (80,)
        assert c.execute("fetch prior from walker").fetchone() == (70,)
        assert c.execute("fetch backward all from walker").fetchall() == [(60,), (50,), (40,), (30,), (20,), (10,)]
        assert c.execute("fetch absolute -2 from walker").fetchone() == (70,)
        assert c.execute("move forward all in walker").rowcount == 1


def test_no_scroll_cursor_refuses_to_go_back(server: HeliosServer) -> None:
    with psycopg.connect(server.pg_dsn()) as c:
        cur = c.cursor("ahead", scrollable=False)
        cur.execute("select generate_series(1, 5)")
        cur.scroll(3)
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="only scan forward"):
            cur.scroll(-1)


def test_pg_cursors_lists_declared_cursors(server: HeliosServer) -> None:
    with psycopg.connect(server.pg_dsn()) as c:
        cur = c.cursor("listed", scrollable=True, withhold=True)
        cur.execute("select 1")
        row = c.execute("select statement, is_holdable, is_binary, is_scrollable, creation_time is not null "
                        "from pg_cursors where name = 'listed'").fetchone()
        assert row == ('DECLARE "listed" SCROLL CURSOR WITH HOLD FOR select 1', True, False, True, True)
        cur.close()  # psycopg asks pg_cursors whether the cursor is still there before closing it
        assert c.execute("select count(*) from pg_cursors where name = 'listed'").fetchone() == (0,)


def test_pg_prepared_statements_lists_protocol_and_sql_statements(conn: psycopg.Connection) -> None:
    conn.prepare_threshold = 0
    conn.execute("select %s::int * 2", [21])
    conn.execute("prepare doubled(int8) as select $1 * 2")
    conn.execute("execute doubled(4)")
    conn.execute("execute doubled(5)")
    rows = conn.execute("select statement, parameter_types::text, from_sql, generic_plans "
                        "from pg_prepared_statements where name != ''", prepare=False).fetchall()
    assert ("select $1::int * 2", "{smallint}", False, 1) in rows
    assert ("prepare doubled(int8) as select $1 * 2", "{bigint}", True, 2) in rows
    conn.execute("deallocate all")
    assert conn.execute("select count(*) from pg_prepared_statements where from_sql",
                        prepare=False).fetchone() == (0,)


def test_client_encoding_converts_text_both_ways(server: HeliosServer) -> None:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        c.execute("create table latin_notes (note text)")
        c.execute("set client_encoding to 'iso-8859-15'")
        assert c.info.encoding == "iso8859-15"  # reported to the client as LATIN9
        c.execute("insert into latin_notes values (%s)", ["10 € le café"])
        with c.cursor().copy("copy latin_notes from stdin") as copy:
            copy.write("Größe Œ\n")
        rows = c.execute("select note, length(note), octet_length(note) from latin_notes order by note").fetchall()
        assert rows == [("10 € le café", 12, 15), ("Größe Œ", 7, 10)]  # stored as UTF-8
        c.execute("set client_encoding to latin1")
        with pytest.raises(psycopg.errors.UntranslatableCharacter, match='no equivalent in encoding "LATIN1"'):
            c.execute("select note from latin_notes where note like '10%'").fetchall()
        c.execute("set client_encoding to 'EUC_JP'")
        assert c.execute("select '東京' || %s", ["駅"]).fetchone() == ("東京駅",)


def test_client_encoding_from_the_startup_packet(server: HeliosServer) -> None:
    with psycopg.connect(server.pg_dsn() + " client_encoding=win1252") as c:
        assert c.execute("show client_encoding").fetchone() == ("WIN1252",)
        assert c.execute("select chr(8364) || 'é'").fetchone() == ("€é",)


def test_client_encoding_without_conversion_is_refused(conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="EUC_TW"):
        conn.execute("set client_encoding to euc_tw")
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        conn.execute("set client_encoding to klingon")


def test_a_statement_that_fails_to_prepare_aborts_the_transaction(server: HeliosServer) -> None:
    with psycopg.connect(server.pg_dsn()) as c:
        c.execute("select 1")
        with pytest.raises(psycopg.errors.SyntaxError):
            for _ in c.cursor().stream("selec 1"):  # single-row mode: Parse fails first
                pass
        assert c.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            c.execute("select 1")


def test_select_without_columns_returns_empty_rows(conn: psycopg.Connection) -> None:
    conn.execute("create table five_rows as select generate_series(1, 5) as n")
    assert conn.execute("select").fetchall() == [()]
    assert conn.execute("select from five_rows where n > 2").fetchall() == [(), (), ()]
    assert list(conn.cursor().stream("select from five_rows where n < 3")) == [(), ()]  # described: 0 fields
    assert conn.execute("select from five_rows", prepare=True).rowcount == 5


def test_numeric_timezone_settings_are_posix_as_in_postgresql(conn: psycopg.Connection) -> None:
    instant = "'2024-01-01 00:00+00'::timestamptz"
    conn.execute("set timezone to '-02:00'")  # POSIX: two hours EAST of Greenwich
    assert conn.execute(f"select {instant}::text, '2024-01-01 00:00'::timestamptz::text").fetchone() == (
        "2024-01-01 02:00:00+02", "2024-01-01 00:00:00+02")
    conn.execute("set timezone = 'UTC+3'")
    assert conn.execute(f"select {instant}::text").fetchone() == ("2023-12-31 21:00:00-03",)
    conn.execute("set time zone 4")  # a number is hours east, stored in POSIX form
    assert conn.execute(f"select {instant}::text, current_setting('timezone')").fetchone() == (
        "2024-01-01 04:00:00+04", "<+04>-04")
    conn.execute("set time zone interval '+05:30'")
    assert conn.execute(f"select {instant}::text").fetchone() == ("2024-01-01 05:30:00+05:30",)
    conn.execute("set timezone = 'UTC'")
    row = conn.execute(f"select ({instant} at time zone '+05')::text, "
                       f"({instant} at time zone interval '+05:00')::text, "
                       "make_timestamptz(2024, 1, 1, 0, 0, 0, '+05')::text").fetchone()
    assert row == ("2023-12-31 19:00:00", "2024-01-01 05:00:00", "2023-12-31 19:00:00+00")
    # psycopg reads timestamptz values sent in such a zone to the right instant
    conn.execute("set timezone to '-02:00'")
    got = conn.execute("select '2024-01-01 00:00'::timestamptz").fetchone()[0]
    assert got == dt.datetime(2023, 12, 31, 22, 0, tzinfo=dt.UTC)


def test_deleting_a_whole_self_referencing_chain_at_once(conn: psycopg.Connection) -> None:
    conn.execute("create table org (id int primary key, boss int references org(id))")
    conn.execute("insert into org values (1, null), (2, 1), (3, 2), (4, 1)")
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match=r"Key \(id\)=\(2\) is still referenced"):
        conn.execute("delete from org where id = 2")  # 3 still points at 2
    assert conn.execute("delete from org where id in (2, 3)").rowcount == 2  # both go together
    assert conn.execute("delete from org").rowcount == 2  # 4 points at 1, and both go


def test_comparing_intervals_beyond_64_bit_microseconds(conn: psycopg.Connection) -> None:
    longest = dt.timedelta(days=999999999, hours=23, minutes=59, seconds=59, microseconds=999999)
    assert conn.execute("select %s = '999999999 days 23:59:59.999999'::interval, %s > '1 day'::interval",
                        [longest, longest]).fetchone() == (True, True)
    rows = conn.execute("select i from (values (%s::interval), ('1 day'), (%s)) v(i) order by i",
                        [longest, -dt.timedelta(days=999999999)]).fetchall()
    assert [r[0] for r in rows] == [-dt.timedelta(days=999999999), dt.timedelta(days=1), longest]


def test_more_than_32767_parameters(conn: psycopg.Connection) -> None:
    """Parameter counts are unsigned 16-bit on the wire: PostgreSQL takes up to 65,535 (over
    32,767 the count was read as negative and ParameterDescription failed to encode)."""
    conn.execute("create temp table many_params (a int)")
    n = 40000
    sql = "insert into many_params values " + ",".join(["(%s)"] * n)
    assert conn.execute(sql, list(range(n))).rowcount == n
    assert conn.execute(sql, list(range(n)), prepare=True).rowcount == n
    assert conn.execute("select count(*), sum(a) from many_params").fetchone() == (2 * n, n * (n - 1))


def test_row_description_names_table_and_column(conn) -> None:
    """A column read unchanged from a table carries the table's OID and the column's number (libpq's
    PQftable/PQftablecol); an expression carries 0, as in PostgreSQL."""
    conn.execute("drop table if exists rd_t")
    conn.execute("create table rd_t (id int primary key, name text, amt numeric)")
    cur = conn.execute("select name, amt + 1, r.id from rd_t r")
    oid = conn.execute("select 'rd_t'::regclass::oid").fetchone()[0]
    res = cur.pgresult
    assert [(res.ftable(i), res.ftablecol(i)) for i in range(3)] == [(oid, 2), (0, 0), (oid, 1)]


def test_terminating_ones_own_backend_is_fatal(server: HeliosServer) -> None:
    """pg_terminate_backend of one's own pid ends the connection with FATAL 57P01, not with the
    statement's cancel (57014): libpq marks the connection bad and psycopg closes it."""
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        with pytest.raises(psycopg.errors.AdminShutdown):
            c.execute("select pg_terminate_backend(%s)", [c.pgconn.backend_pid])
        assert c.closed
    with psycopg.connect(server.pg_dsn()) as c:
        with pytest.raises(psycopg.errors.AdminShutdown):
            c.execute("select pg_terminate_backend(pg_backend_pid())")
        assert c.pgconn.status == psycopg.pq.ConnStatus.BAD


def test_binary_parameters_read_as_postgresql_reads_them(conn: psycopg.Connection) -> None:
    """Values psycopg sends in binary: a numeric past 76 digits beside a text parameter, numeric[]
    with NaN, and inet[]/jsonb[] elements, which the element type's input puts in canonical form."""
    import decimal
    import ipaddress

    from psycopg.types.json import Jsonb

    big = decimal.Decimal("1e1000")
    got, want = conn.execute("select %b::text, %s::decimal::text", [big, "1e1000"]).fetchone()
    assert got == want == "1" + "0" * 1000
    for fmt in ("s", "b", "t"):
        (arr,) = conn.execute(f"select %{fmt} as arr", ([decimal.Decimal("nan")],)).fetchone()
        assert len(arr) == 1 and arr[0].is_nan()
    addr = ipaddress.ip_interface("192.168.0.1")
    assert conn.execute("select %b = array[null, %s]::inet[], %b::text",
                        ([None, addr], "192.168.0.1", [None, addr])).fetchone() == (True, "{NULL,192.168.0.1}")
    assert conn.execute("select %b::text = array[%s::jsonb]::text",
                        ([Jsonb("\u00e0\u20ac")], '"\\u00e0\\u20ac"')).fetchone() == (True,)


def test_time_24_00_in_binary(conn: psycopg.Connection) -> None:
    """'24:00:00' is a time of its own (after 23:59:59): binary output sends its 86,400 seconds,
    which psycopg refuses to load as a Python time, as it does against PostgreSQL."""
    cur = conn.cursor(binary=True)
    cur.execute("select '24:00'::time, '24:00'::time > '23:59:59'::time")
    assert cur.pgresult.get_value(0, 0) == (86_400 * 1_000_000).to_bytes(8, "big")
    with pytest.raises(psycopg.DataError):
        cur.fetchone()


def test_cursor_declared_in_a_multi_statement_query(server: HeliosServer) -> None:
    """A cursor that ``begin; declare ...`` (one simple query) opened is the one later FETCH,
    Describe (portal) and CLOSE name, as in PostgreSQL; CLOSE ALL's tag is CLOSE CURSOR ALL."""
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        pg = c.pgconn
        res = pg.exec_(b"begin; declare cur cursor for select * from generate_series(1,10) foo;")
        assert res.status == psycopg.pq.ExecStatus.COMMAND_OK
        res = pg.describe_portal(b"cur")
        assert res.status == psycopg.pq.ExecStatus.COMMAND_OK, res.error_message
        assert (res.nfields, res.fname(0)) == (1, b"foo")
        res = pg.exec_(b"fetch 2 from cur")
        assert [res.get_value(i, 0) for i in range(res.ntuples)] == [b"1", b"2"]
        assert pg.exec_(b"close cur").command_status == b"CLOSE CURSOR"
        assert b"does not exist" in pg.exec_(b"fetch 1 from cur").error_message
        pg.exec_(b"rollback")
        pg.exec_(b"begin; declare c1 cursor for select 1;")
        assert pg.exec_(b"close all").command_status == b"CLOSE CURSOR ALL"
        assert b'cursor "c1" does not exist' in pg.exec_(b"fetch c1").error_message
        pg.exec_(b"rollback")
        # the Close message of a portal closes a cursor of that name, however it was declared
        for declare in ([b"begin; declare c2 cursor for select 1;"], [b"begin", b"declare c2 cursor for select 1"]):
            for sql in declare:
                assert pg.exec_(sql).status == psycopg.pq.ExecStatus.COMMAND_OK
            assert pg.close_portal(b"c2").status == psycopg.pq.ExecStatus.COMMAND_OK
            assert pg.describe_portal(b"c2").status == psycopg.pq.ExecStatus.FATAL_ERROR
            pg.exec_(b"rollback")


def test_deallocate_reaches_statements_prepared_by_parse(server: HeliosServer) -> None:
    """DEALLOCATE name and DEALLOCATE ALL drop the statements the extended protocol prepared (one
    namespace, as in PostgreSQL): psycopg sends DEALLOCATE ALL after a DROP or ALTER and expects
    pg_prepared_statements empty; the unnamed statement stays."""
    listed = "select name from pg_prepared_statements where name != '' order by name"
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        c.execute("select 1", prepare=True)
        c.execute("select 2", prepare=True)
        assert c.execute(listed, prepare=False).fetchall() == [("_pg3_0",), ("_pg3_1",)]
        assert c.pgconn.exec_(b"deallocate _pg3_0").command_status == b"DEALLOCATE"
        assert c.execute(listed, prepare=False).fetchall() == [("_pg3_1",)]
        assert b"does not exist" in c.pgconn.exec_(b"deallocate _pg3_0").error_message
        c.execute("drop table if exists noprep; create table noprep()")  # psycopg: DEALLOCATE ALL
        assert c.execute(listed, prepare=False).fetchall() == []
        assert c.execute("select 3", prepare=True).fetchone() == (3,)


def test_cancel_during_copy_to_stdout_fails_the_statement(server: HeliosServer) -> None:
    """psycopg leaves a COPY TO STDOUT block early by sending a cancel request and reading on: the
    statement ends with 57014 and the transaction block is aborted, as in PostgreSQL."""
    with psycopg.connect(server.pg_dsn()) as c:
        cur = c.cursor()
        with pytest.raises(RuntimeError), cur.copy("copy (select generate_series(1, 1000000)) to stdout") as copy:
            copy.read_row()
            raise RuntimeError("leaving the copy with most rows unread")
        assert c.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        c.rollback()
        with cur.copy("copy (select generate_series(1, 20000)) to stdout") as copy:  # read to the end
            assert sum(1 for _ in copy.rows()) == 20000
        assert c.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS


def test_parameter_passed_only_to_an_any_argument_is_undetermined(conn: psycopg.Connection) -> None:
    """``concat(%s, %s)`` with psycopg's untyped strings: nothing types the parameters, and
    PostgreSQL refuses with 42P18 naming the first (concat_ws's and format's first argument is text)."""
    for sql, n, which in (("select concat(%s, %s)", 2, 1), ("select concat_ws(%s, %s)", 2, 2),
                          ("select format(%s, %s)", 2, 2), ("select jsonb_build_object(%s, %s)", 2, 1),
                          ("select concat(%s, 1) where %s = 'a'", 2, 1)):
        with pytest.raises(psycopg.errors.IndeterminateDatatype, match=rf"parameter \${which}"):
            conn.execute(sql, ["a"] * n)
    assert conn.execute("select concat(%s::text, %s::int), %s", ["a", 1, "b"]).fetchone() == ("a1", "b")
    # typed by its other use
    assert conn.execute("select concat(%(a)s, 'x') where %(a)s = 'b'::text", {"a": "b"}).fetchall() == [("bx",)]


def test_numeric_typmods_with_negative_or_large_scales(conn: psycopg.Connection) -> None:
    """PostgreSQL 15 takes numeric(p, s) with s < 0 or s > p: RowDescription's typmod holds the
    scale in 11 bits (psycopg shows numeric(2,-3)), and a scale past 76 digits is a type too."""
    for t, want in (("numeric(2,-3)", 12000), ("numeric(1,1000)", None), ("numeric(1,-1000)", 0)):
        cur = conn.execute(f"select null::{t}, {0 if want is None else 12345}::{t}")
        assert cur.description[0].type_display == t
        assert (cur.description[0].precision, cur.description[0].scale) == tuple(
            int(x) for x in t[8:-1].split(","))
        if want is not None:
            assert cur.fetchone()[1] == want
    with pytest.raises(psycopg.errors.NumericValueOutOfRange):
        conn.execute("select 5::numeric(1,1000)")
