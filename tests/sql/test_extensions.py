"""Extensions through a real server: listed, installed per database, functions only once installed."""

from __future__ import annotations

import psycopg
import pytest


@pytest.fixture
def conn(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        yield c


def test_available_and_unknown_extensions(conn):
    names = [r[0] for r in conn.execute("SELECT name FROM pg_available_extensions ORDER BY 1").fetchall()]
    assert {"pg_trgm", "pgcrypto", "uuid-ossp", "plpgsql", "citext"} <= set(names)
    with pytest.raises(psycopg.errors.FeatureNotSupported, match='extension "postgis" is not available'):
        conn.execute("CREATE EXTENSION postgis")
    with pytest.raises(psycopg.errors.UndefinedObject, match='extension "pg_trgm" does not exist'):
        conn.execute("DROP EXTENSION pg_trgm")


def test_functions_exist_once_installed(conn):
    with pytest.raises(psycopg.errors.UndefinedFunction, match=r"function similarity\(unknown, unknown\)"):
        conn.execute("SELECT similarity('a', 'b')")
    conn.execute("CREATE EXTENSION pg_trgm")
    conn.execute('CREATE EXTENSION "uuid-ossp"')
    conn.execute("CREATE EXTENSION pgcrypto")
    try:
        assert conn.execute("SELECT similarity('word', 'two words')::float8, "
                            "word_similarity('word', 'two words')").fetchone() == (pytest.approx(4 / 11), pytest.approx(0.8))
        conn.execute("CREATE TABLE people (name text)")
        conn.execute("INSERT INTO people VALUES ('Maria'), ('Mario'), ('Jonathan')")
        assert conn.execute("SELECT name FROM people WHERE name % 'marie' ORDER BY 1").fetchall() == \
            [("Maria",), ("Mario",)]
        assert conn.execute("SELECT uuid_generate_v5(uuid_ns_dns(), 'example.com')::text").fetchone() == \
            ("cfbff0d1-9375-5685-968c-48ce8b15ae17",)
        assert conn.execute("SELECT encode(digest('abc', 'sha1'), 'hex')").fetchone() == \
            ("a9993e364706816aba3e25717850c26c9cd0d89d",)
        assert conn.execute("SELECT crypt('password', '$1$saltsalt$')").fetchone() == \
            ("$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/",)
        hashed = conn.execute("SELECT crypt('pw', gen_salt('bf', 4))").fetchone()[0]
        assert conn.execute("SELECT crypt('pw', %s) = %s, crypt('no', %s) = %s",
                            (hashed, hashed, hashed, hashed)).fetchone() == (True, False)
    finally:
        conn.execute("DROP TABLE IF EXISTS people")
        for ext in ("pg_trgm", '"uuid-ossp"', "pgcrypto"):
            conn.execute(f"DROP EXTENSION {ext}")
    with pytest.raises(psycopg.errors.UndefinedFunction):
        conn.execute("SELECT digest('abc', 'sha1')")


def test_trigram_index_answers_like_and_ilike(conn):
    """A gin_trgm_ops index finds LIKE/ILIKE candidates (EXPLAIN shows it, rechecked); the rows
    are those a scan finds, under MVCC: another session's uncommitted row is not among them."""
    conn.execute("CREATE EXTENSION pg_trgm")
    try:
        conn.execute("CREATE TABLE docs (id int PRIMARY KEY, body text)")
        conn.execute("INSERT INTO docs SELECT g, 'note ' || g || CASE WHEN g % 5 = 0 THEN ' Launch plan' ELSE '' END "
                     "FROM generate_series(1, 1000) g")
        scan = conn.execute("SELECT id FROM docs WHERE body ILIKE '%launch%' ORDER BY id").fetchall()
        conn.execute("CREATE INDEX docs_trgm ON docs USING gin (body gin_trgm_ops)")
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN SELECT id FROM docs WHERE body ILIKE '%launch%'"))
        assert "Bitmap Index Scan on docs_trgm" in plan and "Recheck Cond" in plan
        assert conn.execute("SELECT id FROM docs WHERE body ILIKE '%launch%' ORDER BY id").fetchall() == scan
        assert len(scan) == 200
        assert conn.execute("SELECT count(*) FROM docs WHERE body LIKE '%launch%'").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM docs WHERE body LIKE '%7 Launch%'").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM docs WHERE body LIKE '%5 Launch%'").fetchone() == (100,)
        with psycopg.connect(conn.info.dsn) as other:
            other.execute("INSERT INTO docs VALUES (5000, 'launch party')")
            assert conn.execute("SELECT count(*) FROM docs WHERE body ILIKE '%launch p%'").fetchone() == (200,)
            other.commit()
        assert conn.execute("SELECT count(*) FROM docs WHERE body ILIKE '%launch p%'").fetchone() == (201,)
    finally:
        conn.execute("DROP TABLE IF EXISTS docs")
        conn.execute("DROP EXTENSION pg_trgm")
