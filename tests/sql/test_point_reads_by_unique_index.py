"""Point reads through a unique index on one column (sql.point_reads, ``by_index``): a prepared
``WHERE email = $1`` over a UNIQUE text, varchar or integer column runs as one storage read through
the index, by the prepared path and by ``execute_point``, and answers as the same query that cannot
use the index: present, missing and NULL keys, updated and deleted rows, a transaction's own
uncommitted rows and not another's, a REPEATABLE READ snapshot, a compressed segment after a
checkpoint, deferred duplicates; shapes it cannot vouch for keep the operator tree."""

from __future__ import annotations

import pytest

import helios_core


def _point(s, stmt):
    return stmt.plan.cache.get("point")


@pytest.fixture
def session(tmp_path):
    s = helios_core.connect(str(tmp_path / "data"))
    s.execute("create table u (id int primary key, email text unique, code int unique, handle varchar(20) unique, "
              "name text, grp int, a int, b int, tag char(4) unique, unique (a, b))")
    s.execute("create index u_grp on u (grp)")
    s.execute("insert into u select g, 'user' || g || '@x', g * 10, 'h' || g, 'n' || g, g % 7, g, g % 3, "
              "lpad(g::text, 4, '0') from generate_series(1, 3000) g")
    for g in range(3001, 3031):  # rows written one at a time: small chunks
        s.execute(f"insert into u values ({g}, 'user{g}@x', {g * 10}, 'h{g}', 'n{g}', {g % 7}, {g}, 0, '{g}')")
    yield s
    s.engine.close()


def _both(s, sql: str, hidden: str, params: list) -> tuple[list, list]:
    """(rows of ``sql`` prepared, rows of ``hidden``: the same query the index cannot answer)."""
    got = sorted(s.execute_prepared(s.prepare(sql), params).rows())
    want = sorted(s.execute_prepared(s.prepare(hidden), params).rows())
    return got, want


LOOKUPS = [
    ("select id, name from u where email = $1", "select id, name from u where email || '' = $1",
     ["user17@x", "user3010@x", "nobody", None]),
    ("select * from u where code = $1", "select * from u where code + 0 = $1", [170, 30100, 5, None]),
    ("select name, id from u where handle = $1", "select name, id from u where handle || '' = $1",
     ["h17", "h3020", "h99999", None]),
]


@pytest.mark.parametrize("sql,hidden,keys", LOOKUPS)
def test_answers_as_the_query_without_the_index(session, sql, hidden, keys):
    stmt = session.prepare(sql)
    session.execute_prepared(stmt, [keys[0]])
    point = _point(session, stmt)
    assert point is not None and point.by_index
    for key in keys:
        got, want = _both(session, sql, hidden, [key])
        assert got == want, key
        fast = session.execute_point(stmt, [key])
        if key is not None:  # a NULL key is left to the prepared path
            assert fast is not None and sorted(fast.rows()) == want, key
    session.execute("checkpoint")
    for key in keys:
        assert _both(session, sql, hidden, [key])[0] == _both(session, sql, hidden, [key])[1]


def test_writes_and_snapshots(session):
    sql = "select id, email from u where email = $1"
    stmt = session.prepare(sql)

    def found(s, email):
        fast = s.execute_point(stmt, [email]) if s is session else None
        rows = sorted(s.execute_prepared(stmt if s is session else s.prepare(sql), [email]).rows())
        if fast is not None:
            assert sorted(fast.rows()) == rows
        return rows

    assert found(session, "user5@x") == [(5, "user5@x")]
    session.execute("update u set email = 'moved5@x' where id = 5")
    assert found(session, "user5@x") == [] and found(session, "moved5@x") == [(5, "moved5@x")]
    session.execute("delete from u where id = 3015")
    assert found(session, "user3015@x") == []
    other = session.engine.connect(user="helios", database="helios", branch="main")
    other.execute("begin")
    other.execute("insert into u (id, email) values (9000, 'fresh@x')")
    assert found(other, "fresh@x") == [(9000, "fresh@x")]  # its own uncommitted row
    assert found(session, "fresh@x") == []  # not another's
    session.execute("begin isolation level repeatable read")
    assert found(session, "fresh@x") == []
    other.execute("commit")
    assert found(session, "fresh@x") == []  # the snapshot holds
    session.execute("commit")
    assert found(session, "fresh@x") == [(9000, "fresh@x")]


def test_an_integer_beyond_the_column_type(session):
    stmt = session.prepare("select id from u where code = $1::int8")
    for key in (170, 1 << 40, -(1 << 40)):
        rows = session.execute_prepared(stmt, [key]).rows()
        assert rows == ([(17,)] if key == 170 else [])


def test_deferred_duplicates_inside_a_transaction(session):
    session.execute("create table d (id int primary key, k text unique deferrable initially deferred)")
    session.execute("insert into d values (1, 'a'), (2, 'b')")
    stmt = session.prepare("select id from d where k = $1")
    assert session.execute_prepared(stmt, ["a"]).rows() == [(1,)]
    assert _point(session, stmt).by_index
    session.execute("begin")
    session.execute("update d set k = 'a' where id = 2")
    assert sorted(session.execute_prepared(stmt, ["a"]).rows()) == [(1,), (2,)]
    session.execute("update d set k = 'c' where id = 2")
    session.execute("commit")
    assert session.execute_prepared(stmt, ["a"]).rows() == [(1,)]


@pytest.mark.parametrize("sql,params", [
    ("select id from u where grp = $1", [3]),  # not unique
    ("select id from u where a = $1", [17]),  # the leading column of a two-column unique
    ("select id from u where email = $1 and name = 'n17'", ["user17@x"]),  # another term
    ("select id from u where email = $1 for update", ["user17@x"]),  # row locks
    ("select id from u where tag = $1", ["0017"]),  # char(n): blanks do not count
    ("select id from u where email > $1", ["user9"]),  # a range
    ("select upper(email) from u where email = $1", ["user17@x"]),  # computed output
])
def test_other_shapes_keep_the_tree(session, sql, params):
    stmt = session.prepare(sql)
    rows = session.execute_prepared(stmt, params).rows()
    point = _point(session, stmt)
    assert point is None or not point.by_index
    assert rows  # (each finds its row)


def test_no_point_read_while_a_chunk_would_sort_its_column_first(session):
    """``execute_point`` runs on a server's event loop: a lookup that would first sort a new
    chunk's column (``Transaction.index_ready``) is left to the ordinary path, which builds it."""
    stmt = session.prepare("select id from u where email = $1")
    assert session.execute_prepared(stmt, ["user9@x"]).rows() == [(9,)]
    assert session.execute_point(stmt, ["user9@x"]).rows() == [(9,)]
    session.execute("insert into u (id, email) select g, 'bulk' || g || '@x' from generate_series(5001, 5600) g")
    assert session.execute_point(stmt, ["bulk5100@x"]) is None  # 600 rows whose sorted copy is not made yet
    assert session.execute_prepared(stmt, ["bulk5100@x"]).rows() == [(5100,)]
    assert session.execute_point(stmt, ["bulk5200@x"]).rows() == [(5200,)]


def test_a_cast_parameter_as_sqlalchemy_writes_it(session):
    """SQLAlchemy's psycopg dialect casts each parameter (``= %(sku_1)s::VARCHAR``): the lookup is
    still a point read, and a cast that changes the value (varchar(n) cuts it) is the cast's."""
    session.execute("insert into u (id, handle) values (8000, 'abc')")
    for sql, key, want in [("select id from u where u.handle = $1::VARCHAR", "h17", [(17,)]),
                           ("select id from u where handle = $1::varchar(3)", "abcdef", [(8000,)]),
                           ("select id from u where handle = $1::text", "h18", [(18,)])]:
        stmt = session.prepare(sql)
        assert session.execute_prepared(stmt, [key]).rows() == want, sql
        assert _point(session, stmt).by_index, sql
        assert session.execute_prepared(stmt, [key]).rows() == want, sql
        fast = session.execute_point(stmt, [key])
        assert fast is None or fast.rows() == want, sql
