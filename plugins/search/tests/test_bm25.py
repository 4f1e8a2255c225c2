"""BM25 indexes over a real server with psycopg: scores against a BM25 computed here, the query
language, MVCC (uncommitted, deleted and updated rows) and branches."""

from __future__ import annotations

import math
import random
import re
from collections import Counter

import psycopg
import pytest

K1, B = 1.2, 0.75
VOCABULARY = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
              "kilo", "lima", "mike", "november", "oscar", "papa"]


def _corpus(n: int, seed: int) -> list[tuple[int, str]]:
    rnd = random.Random(seed)
    docs = []
    for i in range(1, n + 1):
        words = [rnd.choice(VOCABULARY[: 4 + i % 12]) for _ in range(rnd.randint(1, 30))]
        words = [w.upper() if rnd.random() < 0.1 else w for w in words]
        docs.append((i, " ".join(words) + rnd.choice([".", "!", ", end", ""])))
    return docs


def _reference_bm25(docs: list[tuple[int, str]], terms: list[str]) -> dict[int, float]:
    """Okapi BM25 (k1 1.2, b 0.75, idf ln(1 + (N - df + 0.5) / (df + 0.5))) of documents that hold a
    term, words being lower-cased runs of letters and digits."""
    tokens = {i: re.findall(r"[^\W_]+", text.lower()) for i, text in docs}
    n = len(docs)
    avgdl = sum(len(t) for t in tokens.values()) / n
    out: dict[int, float] = {}
    for term in terms:
        df = sum(1 for t in tokens.values() if term in t)
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for i, t in tokens.items():
            tf = Counter(t)[term]
            if tf:
                out[i] = out.get(i, 0.0) + idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * len(t) / avgdl))
    return out


@pytest.fixture
def docs(conn: psycopg.Connection):
    conn.execute("drop table if exists bm_docs")
    conn.execute("create table bm_docs (id integer primary key, body text, title text)")
    conn.execute("create index bm_docs_idx on bm_docs using bm25 (id, body, title) with (key_field = 'id')")
    yield "bm_docs"
    conn.execute("drop table if exists bm_docs")


def test_scores_agree_with_a_reference_bm25(conn: psycopg.Connection, docs: str) -> None:
    corpus = _corpus(300, seed=17)
    with conn.cursor() as cur:
        cur.executemany("insert into bm_docs (id, body) values (%s, %s)", corpus[:150])
        cur.executemany("insert into bm_docs (id, body) values (%s, %s)", corpus[150:])
    for query, terms in [("kilo", ["kilo"]), ("papa", ["papa"]), ("lima OR oscar", ["lima", "oscar"]),
                         ("alpha", ["alpha"])]:
        got = conn.execute("select id, heliosdb.score(id) from bm_docs where body @@@ %s "
                           "order by heliosdb.score(id) desc, id", (query,)).fetchall()
        want = _reference_bm25(corpus, terms)
        assert {i for i, _ in got} == set(want), query
        for i, score in got:
            assert score == pytest.approx(want[i], rel=1e-4), (query, i)
        assert [i for i, _ in got] == [i for i, _ in sorted(want.items(), key=lambda kv: (-round(kv[1], 4), kv[0]))]
    top = conn.execute("select id from bm_docs where body @@@ 'kilo' order by heliosdb.score(id) desc, id limit 3")
    assert [r[0] for r in top] == [i for i, _ in sorted(_reference_bm25(corpus, ["kilo"]).items(),
                                                         key=lambda kv: (-round(kv[1], 4), kv[0]))][:3]


def test_top_k_from_the_index(conn: psycopg.Connection, docs: str) -> None:
    corpus = _corpus(400, seed=3)
    corpus += [(1000 + i, "kilo kilo same") for i in range(6)]  # equal scores: ties at the cut
    conn.execute("insert into bm_docs (id, body) select * from unnest(%s::int[], %s::text[])",
                 ([i for i, _ in corpus], [b for _, b in corpus]))
    full = "select id from bm_docs where body @@@ 'kilo' order by heliosdb.score(id) desc, id"
    best = [r[0] for r in conn.execute(full)]
    conn.execute("delete from bm_docs where id = any(%s)", (best[:4],))  # the index still holds them
    best = [r[0] for r in conn.execute(full)]
    for k in (1, 3, 10):
        assert [r[0] for r in conn.execute(full + f" limit {k}")] == best[:k]
    assert [r[0] for r in conn.execute(full + " limit 2 offset 3")] == best[3:5]
    plan = [r[0] for r in conn.execute("explain " + full + " limit 3")]
    assert any("Index Top-K: 3 by score" in line for line in plan)
    plan = [r[0] for r in conn.execute("explain " + full)]
    assert not any("Top-K" in line for line in plan)


def test_query_language(conn: psycopg.Connection, docs: str) -> None:
    conn.execute("insert into bm_docs values (1, 'The quick brown fox', 'Fox story'), "
                 "(2, 'quick quick shoes, running', 'Shoes'), (3, 'brown shoes', NULL), (4, 'slow turtle', 'quick')")

    def ids(cond: str, *params: object) -> list[int]:
        return [r[0] for r in conn.execute(f"select id from bm_docs where {cond} order by id", params)]

    assert ids("body @@@ 'QUICK'") == [1, 2]
    assert ids("body @@@ 'quick AND shoes'") == [2]
    assert ids("body @@@ 'quick -shoes'") == [1]
    assert ids("body @@@ 'NOT quick'") == [3, 4]
    assert ids("body @@@ '\"brown fox\"'") == [1]
    assert ids("body @@@ '\"quick running\"~2'") == [2]
    assert ids("body @@@ 'shoe*'") == [2, 3]
    assert ids("body @@@ 'qiuck~1'") == [1, 2]
    assert ids("id @@@ 'title:quick OR body:turtle'") == [4]
    assert ids("id @@@ 'quick'") == [1, 2, 4]  # every text field
    assert ids("id @@@ 'title:(fox OR shoes)'") == [1, 2]
    assert ids("body @@@ %s and title is not null", "brown") == [1]
    indexdef = conn.execute("select indexdef from pg_indexes where indexname = 'bm_docs_idx'").fetchone()[0]
    assert indexdef == "CREATE INDEX bm_docs_idx ON public.bm_docs USING bm25 (id, body, title) WITH (key_field=id)"
    plan = "\n".join(r[0] for r in conn.execute("explain select id from bm_docs where body @@@ 'quick'"))
    assert "Index Scan using bm_docs_idx on bm_docs" in plan and "Index Cond: (body @@@ 'quick')" in plan


def test_stemmer_option(conn: psycopg.Connection) -> None:
    conn.execute("drop table if exists bm_stem")
    conn.execute("create table bm_stem (id int, body text)")
    conn.execute("insert into bm_stem values (1, 'she runs daily'), (2, 'running shoes'), (3, 'a runner')")
    conn.execute("create index on bm_stem using bm25 (id, body) with (key_field = 'id', stemmer = 'english')")
    assert [r[0] for r in conn.execute("select id from bm_stem where body @@@ 'run' order by id")] == [1, 2]
    conn.execute("drop table bm_stem")


def test_errors(conn: psycopg.Connection, docs: str) -> None:
    conn.execute("insert into bm_docs values (1, 'words here', 'x')")
    with pytest.raises(psycopg.errors.SyntaxError, match="bm25 query"):
        conn.execute("select id from bm_docs where body @@@ '(unclosed'")
    with pytest.raises(psycopg.errors.SyntaxError, match="not a field"):
        conn.execute("select id from bm_docs where body @@@ 'nosuch:word'")
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="bm25 index"):
        conn.execute("select id from bm_docs where body @@@ 'words' or id = 3")
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="score"):
        conn.execute("select heliosdb.score(id) from bm_docs")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="key_field"):
        conn.execute("create index on bm_docs using bm25 (id, body)")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="stemmer"):
        conn.execute("create index on bm_docs using bm25 (id, body) with (key_field = 'id', stemmer = 'elvish')")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="unrecognized parameter"):
        conn.execute("create index on bm_docs using bm25 (id, body) with (key_field = 'id', fillfactor = 50)")
    assert conn.execute("select count(*) from bm_docs where body @@@ 'words'").fetchone() == (1,)  # still served


def test_mvcc_uncommitted_deleted_and_updated_rows(search_server, conn: psycopg.Connection, docs: str) -> None:
    conn.execute("insert into bm_docs values (1, 'shared word one', NULL), (2, 'shared word two', NULL)")

    def ids(c: psycopg.Connection, q: str = "shared") -> list[int]:
        return [r[0] for r in c.execute("select id from bm_docs where body @@@ %s order by id", (q,))]

    with psycopg.connect(search_server.pg_dsn()) as writer, \
            psycopg.connect(search_server.pg_dsn(), autocommit=True) as reader:
        writer.execute("insert into bm_docs values (3, 'shared word three', NULL)")
        writer.execute("delete from bm_docs where id = 1")
        assert ids(writer) == [2, 3]  # its own writes
        assert ids(reader) == [1, 2]  # not the uncommitted ones
        writer.commit()
        assert ids(reader) == [2, 3]
    with psycopg.connect(search_server.pg_dsn(), autocommit=True) as snap:
        snap.execute("begin isolation level repeatable read")
        assert ids(snap) == [2, 3]
        conn.execute("update bm_docs set body = 'changed text' where id = 2")
        assert ids(snap) == [2, 3]  # its snapshot still holds the old version
        assert ids(snap, "changed") == []
        snap.execute("rollback")
    assert ids(conn) == [3]
    assert ids(conn, "changed") == [2]


def test_branch_sees_its_own_documents(search_server, conn: psycopg.Connection, docs: str) -> None:
    conn.execute("insert into bm_docs values (1, 'common ground', NULL)")
    conn.execute("drop branch if exists bm_feature")
    conn.execute("create branch bm_feature from main")
    try:
        with psycopg.connect(search_server.pg_dsn(), autocommit=True,
                             options="-c heliosdb.branch=bm_feature") as feature:
            feature.execute("insert into bm_docs values (2, 'common branch only', NULL)")
            feature.execute("delete from bm_docs where id = 1")
            on_branch = [r[0] for r in feature.execute("select id from bm_docs where body @@@ 'common'")]
            assert on_branch == [2]
        conn.execute("insert into bm_docs values (3, 'common on main later', NULL)")
        assert [r[0] for r in conn.execute("select id from bm_docs where body @@@ 'common' order by id")] == [1, 3]
        assert conn.execute("select count(*) from bm_docs where body @@@ 'branch'").fetchone() == (0,)
    finally:
        conn.execute("drop branch if exists bm_feature")


def test_search_section_is_checked() -> None:
    """[search] analyzer and max_result_window: unknown values stop start-up with the key named."""
    from helios_search import bm25_index

    saved = dict(bm25_index.SETTINGS)
    try:
        with pytest.raises(ValueError, match="search.analyzer"):
            bm25_index.configure({"analyzer": "klingon"})
        with pytest.raises(ValueError, match="search.max_result_window"):
            bm25_index.configure({"max_result_window": 0})
        bm25_index.configure({"analyzer": "whitespace", "max_result_window": 50})
        assert bm25_index.SETTINGS == {"analyzer": "whitespace", "max_result_window": 50}
        words = bm25_index._analyzer("whitespace", None).analyze("E-mail ME, please")
        assert words == ["e-mail", "me,", "please"]
        assert bm25_index._analyzer("standard", "english").analyze("E-mail runners") == ["e", "mail", "runner"]
    finally:
        bm25_index.SETTINGS.update(saved)
