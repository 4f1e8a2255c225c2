"""GIN indexes over tsvector answer ``@@``: the same rows as a scan of an unindexed copy, for
queries with every tsquery operator, over a column and an expression; EXPLAIN shows the
bitmap scan; deleted and uncommitted rows stay unseen."""

from __future__ import annotations

import random

import psycopg
import pytest

WORDS = ["project", "launch", "plan", "running", "runner", "budget", "team", "review", "deadline", "party"]
QUERIES = ["project & launch", "project | budget", "!project", "run:*", "launch <-> parti", "plan <2> team",
           "project & !launch", "team:A", "(budget | review) & !(deadline & plan)", "the & project", "nomatch",
           "!nomatch & team"]


@pytest.fixture
def tables(conn: psycopg.Connection):
    rnd = random.Random(5)
    rows = [(i, " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 12)))) for i in range(1, 301)]
    for name in ("gin_docs", "gin_plain"):
        conn.execute(f"drop table if exists {name}")
        conn.execute(f"create table {name} (id int, body text, tsv tsvector)")
        conn.execute(f"insert into {name} (id, body) select * from unnest(%s::int[], %s::text[])",
                     ([i for i, _ in rows], [b for _, b in rows]))
        conn.execute(f"update {name} set tsv = setweight(to_tsvector('english', body), "
                     "case when id % 3 = 0 then 'A' else 'D' end)")
    conn.execute("create index gin_docs_tsv on gin_docs using gin (tsv)")
    conn.execute("create index gin_docs_body on gin_docs using gin (to_tsvector('english', body))")
    yield
    conn.execute("drop table gin_docs")
    conn.execute("drop table gin_plain")


def _ids(conn: psycopg.Connection, sql: str, *params: object) -> list[int]:
    return [r[0] for r in conn.execute(sql, params)]


def test_gin_finds_what_a_scan_finds(conn: psycopg.Connection, tables: None) -> None:
    for q in QUERIES:
        want = _ids(conn, "select id from gin_plain where tsv @@ to_tsquery('english', %s) order by id", q)
        got = _ids(conn, "select id from gin_docs where tsv @@ to_tsquery('english', %s) order by id", q)
        assert got == want, q
        want = _ids(conn, "select id from gin_plain where to_tsvector('english', body) @@ to_tsquery(%s) order by id", q)
        got = _ids(conn, "select id from gin_docs where to_tsvector('english', body) @@ to_tsquery(%s) order by id", q)
        assert got == want, q
    assert len(_ids(conn, "select id from gin_docs where tsv @@ to_tsquery('project & launch')")) > 5
    quantified = "select id from {} where tsv @@ any ('{{budget,review}}') order by id"  # not for the index
    assert _ids(conn, quantified.format("gin_docs")) == _ids(conn, quantified.format("gin_plain"))


def test_explain_shows_the_bitmap_scan(conn: psycopg.Connection, tables: None) -> None:
    plan = [r[0] for r in conn.execute("explain select id from gin_docs where tsv @@ to_tsquery('project')")]
    text = "\n".join(plan)
    assert "Bitmap Heap Scan on gin_docs" in text
    assert "Bitmap Index Scan on gin_docs_tsv" in text and "Index Cond: (tsv @@ to_tsquery('project'))" in text
    plan = [r[0] for r in conn.execute(
        "explain select id from gin_docs where to_tsvector('english', body) @@ to_tsquery('project')")]
    assert any("Bitmap Index Scan on gin_docs_body" in line for line in plan)
    plan = [r[0] for r in conn.execute("explain select id from gin_plain where tsv @@ to_tsquery('project')")]
    assert any("Seq Scan on gin_plain" in line for line in plan)


def test_deleted_and_uncommitted_rows(search_server, conn: psycopg.Connection, tables: None) -> None:
    before = _ids(conn, "select id from gin_docs where tsv @@ to_tsquery('launch') order by id")
    conn.execute("delete from gin_docs where id = %s", (before[0],))
    with psycopg.connect(search_server.pg_dsn()) as writer:
        writer.execute("insert into gin_docs values (1000, 'launch', to_tsvector('launch'))")
        assert _ids(writer, "select id from gin_docs where tsv @@ to_tsquery('launch') order by id") == \
            before[1:] + [1000]
        assert _ids(conn, "select id from gin_docs where tsv @@ to_tsquery('launch') order by id") == before[1:]
        writer.rollback()
    assert _ids(conn, "select id from gin_docs where tsv @@ to_tsquery('launch') order by id") == before[1:]


def test_gin_over_jsonb_answers_containment_and_key_tests(conn: psycopg.Connection) -> None:
    rows = ['{"a": 1, "b": "x", "c": {"d": 2}}', '{"a": 2}', '["a", "z"]', None, '{"a": 1.0, "b": "x"}', '"a"',
            '{"a": [1, 2]}', '{"b": true, "n": null}']
    for name in ("gin_json", "gin_json_plain"):
        conn.execute(f"drop table if exists {name}")
        conn.execute(f"create table {name} (id int, doc jsonb)")
        conn.execute(f"insert into {name} select i, d::jsonb from unnest(%s::text[]) with ordinality u(d, i)", (rows,))
    conn.execute("create index gin_json_doc on gin_json using gin (doc)")
    try:
        for cond in ["""doc @> '{"a": 1}'""", "doc ? 'a'", """doc @> '{"c": {"d": 2}}'""", """doc @> '["a"]'""",
                     """doc @> '{"a": 1, "b": "x"}'""", "doc @> '{}'", """doc @> '{"a": [1]}'""",
                     """doc @> '{"b": true, "n": null}'""", "doc ? 'zz'"]:
            got = _ids(conn, f"select id from gin_json where {cond} order by id")
            assert got == _ids(conn, f"select id from gin_json_plain where {cond} order by id"), cond
        plan = [r[0] for r in conn.execute("""explain select id from gin_json where doc @> '{"a": 1}'""")]
        assert any("Bitmap Index Scan on gin_json_doc" in line for line in plan)
    finally:
        conn.execute("drop table gin_json")
        conn.execute("drop table gin_json_plain")
