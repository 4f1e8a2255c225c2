"""The geometric types through real clients: asyncpg decodes and encodes point, lseg, line, box,
path, polygon and circle natively in the binary format; psycopg gets PostgreSQL's text and the
binary bytes PostgreSQL 15 sends; tables, COPY, arrays and the errors PostgreSQL gives."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Iterator

import asyncpg
import psycopg
import pytest
from asyncpg import types as at

from helios_core.testing import HeliosServer

SETUP_SQL = [
    "CREATE TABLE shapes (id int, p point, s lseg, l line, b box, pa path, pg polygon, c circle)",
    ("INSERT INTO shapes VALUES (1, '(1,2)', '[(0,0),(3,4)]', '{1,-1,0}', '(3,4),(1,2)', '[(0,0),(1,1),(2,0)]', "
    "'((0,0),(4,0),(4,4))', '<(1,1),2>'), (2, '(-1.5,1e-7)', '(1,1),(2,2)', '[(0,0),(0,5)]', '1,1,0,0', "
    "'((1,2),(3,4))', '(1,1),(2,2),(3,1)', '((0,0),0.5)'), (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"),
]


@pytest.fixture(params=[False, True], ids=["text", "binary"])
def cur(server: HeliosServer, request: pytest.FixtureRequest) -> Iterator[psycopg.Cursor]:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        yield c.cursor(binary=request.param)


def _asyncpg(server: HeliosServer, fn):
    async def run():
        conn = await asyncpg.connect(host=server.host, port=server.port("postgres"), user="helios",
                                     database="helios")
        try:
            return await fn(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def test_asyncpg_decodes_every_type(server: HeliosServer) -> None:
    row = _asyncpg(server, lambda c: c.fetchrow("SELECT p, s, l, b, pa, pg, c FROM shapes WHERE id = 1"))
    assert row["p"] == at.Point(1.0, 2.0)
    assert row["s"] == at.LineSegment((0.0, 0.0), (3.0, 4.0))
    assert row["l"] == at.Line(1.0, -1.0, 0.0)
    assert row["b"] == at.Box((3.0, 4.0), (1.0, 2.0))
    assert row["pa"] == at.Path((0.0, 0.0), (1.0, 1.0), (2.0, 0.0), is_closed=False)
    assert row["pg"] == at.Polygon((0.0, 0.0), (4.0, 0.0), (4.0, 4.0))
    assert row["c"] == at.Circle((1.0, 1.0), 2.0)
    second = _asyncpg(server, lambda c: c.fetchrow("SELECT p, pa, l FROM shapes WHERE id = 2"))
    assert second["p"] == at.Point(-1.5, 1e-7)
    assert second["pa"].is_closed and second["l"] == at.Line(-1.0, 0.0, 0.0)


def test_asyncpg_parameters_and_arrays(server: HeliosServer) -> None:
    async def go(c):
        text = await c.fetchrow("SELECT $1::point::text, $2::box::text, $3::path::text, $4::polygon::text, "
                                "$5::circle::text, $6::lseg::text, $7::line::text",
                                at.Point(1, 2), at.Box((0, 0), (2, 3)), at.Path((0, 0), (1, 1), is_closed=True),
                                at.Polygon((0, 0), (1, 0), (1, 1)), at.Circle((0, 0), 1.5),
                                at.LineSegment((0, 0), (1, 1)), at.Line(1, 2, 3))
        dist = await c.fetchval("SELECT $1::point <-> $2::point", at.Point(0, 0), at.Point(3, 4))
        arr = await c.fetchval("SELECT ARRAY[p] || ARRAY[point '(5,6)'] FROM shapes WHERE id = 1")
        await c.execute("INSERT INTO shapes (id, p, c) VALUES (10, $1, $2)", at.Point(7, 8), at.Circle((1, 2), 3))
        back = await c.fetchrow("SELECT p, c FROM shapes WHERE id = 10")
        await c.execute("DELETE FROM shapes WHERE id = 10")
        return text, dist, arr, back

    text, dist, arr, back = _asyncpg(server, go)
    assert tuple(text) == ("(1,2)", "(2,3),(0,0)", "((0,0),(1,1))", "((0,0),(1,0),(1,1))", "<(0,0),1.5>",
                           "[(0,0),(1,1)]", "{1,2,3}")
    assert dist == 5.0
    assert arr == [at.Point(1, 2), at.Point(5, 6)]
    assert back["p"] == at.Point(7, 8) and back["c"] == at.Circle((1, 2), 3)


def test_psycopg_text_and_binary(cur: psycopg.Cursor) -> None:
    row = cur.execute("SELECT p, b, c, pa FROM shapes WHERE id = 1").fetchone()
    if not isinstance(row[0], str):  # binary: the bytes of PostgreSQL's point_send and the others
        assert bytes(row[0]) == struct.pack("!dd", 1, 2)
        assert bytes(row[1]) == struct.pack("!dddd", 3, 4, 1, 2)
        assert bytes(row[2]) == struct.pack("!ddd", 1, 1, 2)
        assert bytes(row[3]) == struct.pack("!?i6d", False, 3, 0, 0, 1, 1, 2, 0)
    else:
        assert row == ("(1,2)", "(3,4),(1,2)", "<(1,1),2>", "[(0,0),(1,1),(2,0)]")
    desc = [(d.name, d.type_code) for d in cur.description]
    assert desc == [("p", 600), ("b", 603), ("c", 718), ("pa", 602)]


def test_operators_and_functions(cur: psycopg.Cursor) -> None:
    row = cur.execute("SELECT p <-> point '(4,6)', area(b), @@ c, npoints(pg), s ?# lseg '[(0,3),(3,0)]', "
                      "pg @> point '(1,1)', (b # box '(2,3),(5,5)')::text, c && circle '<(3,1),0.5>' "
                      "FROM shapes WHERE id = 1").fetchone()
    center = row[2] if isinstance(row[2], str) else struct.unpack("!dd", bytes(row[2]))
    assert (row[0], row[1], row[3], row[4], row[5], row[6], row[7]) == (5.0, 4.0, 3, True, True, "(3,4),(2,3)", True)
    assert center in ("(1,1)", (1.0, 1.0))


def test_copy_out_and_in(server: HeliosServer) -> None:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        with c.cursor().copy("COPY shapes (id, p, b, pa, c) TO STDOUT") as cp:
            out = b"".join(bytes(chunk) for chunk in cp)
        assert out.splitlines()[0] == b"1\t(1,2)\t(3,4),(1,2)\t[(0,0),(1,1),(2,0)]\t<(1,1),2>"
        c.execute("CREATE TABLE shapes_copy (id int, p point, b box, pa path, c circle)")
        with c.cursor().copy("COPY shapes_copy FROM STDIN") as cp:
            cp.write(out)
        got = c.execute("SELECT id, p::text, b::text, pa::text, c::text FROM shapes_copy ORDER BY id").fetchall()
        assert got[0] == (1, "(1,2)", "(3,4),(1,2)", "[(0,0),(1,1),(2,0)]", "<(1,1),2>")
        assert got[2] == (3, None, None, None, None)
        c.execute("DELETE FROM shapes_copy")
        with c.cursor().copy("COPY (SELECT p, b FROM shapes WHERE id = 1) TO STDOUT (FORMAT binary)") as cp:
            binary = b"".join(bytes(chunk) for chunk in cp)
        # PostgreSQL 15's bytes: each field its length and point_send/box_send
        assert struct.pack("!i2d", 16, 1, 2) + struct.pack("!i4d", 32, 3, 4, 1, 2) in binary
        with c.cursor().copy("COPY shapes_copy (p, b) FROM STDIN (FORMAT binary)") as cp:
            cp.write(binary)
        assert c.execute("SELECT p::text, b::text FROM shapes_copy").fetchall() == [("(1,2)", "(3,4),(1,2)")]
        c.execute("DROP TABLE shapes_copy")


@pytest.mark.parametrize("sql", ["SELECT p FROM shapes ORDER BY p", "SELECT DISTINCT b FROM shapes",
                                 "SELECT c, count(*) FROM shapes GROUP BY c", "SELECT p = p FROM shapes"])
def test_no_ordering_or_equality_42883(cur: psycopg.Cursor, sql: str) -> None:
    with pytest.raises(psycopg.errors.UndefinedFunction):
        cur.execute(sql)


def test_indexes_refused(cur: psycopg.Cursor) -> None:
    """PostgreSQL has GiST/SP-GiST operator classes for these types, which HeliosDB does not build
    (0A000), and no btree or hash ones (42704, as there)."""
    with pytest.raises(psycopg.errors.FeatureNotSupported):
        cur.execute("CREATE INDEX shapes_gist ON shapes USING gist (b)")
    with pytest.raises(psycopg.errors.UndefinedObject, match='no default operator class for access method "btree"'):
        cur.execute("CREATE INDEX shapes_btree ON shapes (p)")
    with pytest.raises(psycopg.errors.UndefinedObject, match='access method "hash"'):
        cur.execute("CREATE INDEX shapes_hash ON shapes USING hash (c)")


def test_bad_input_points_at_the_literal_every_time(cur: psycopg.Cursor) -> None:
    """Even once the INSERT's text is served from the statement cache (its fourth run on)."""
    cur.execute("CREATE TABLE IF NOT EXISTS pts (p point)")
    for _ in range(4):
        cur.execute("INSERT INTO pts VALUES ('(1,2)')")
    for bad, state in (("(1,2", psycopg.errors.InvalidTextRepresentation),
                       ("(1,1e400)", psycopg.errors.NumericValueOutOfRange)):
        sql = f"INSERT INTO pts VALUES ('{bad}')"
        with pytest.raises(state) as info:
            cur.execute(sql)
        assert info.value.diag.statement_position == str(sql.index("'") + 1)
    cur.execute("DROP TABLE pts")
