"""Full-text search against PostgreSQL 15 on generated text in several languages.

Documents are drawn (fixed seed) from small vocabularies of each language, mixed with the
token kinds of PostgreSQL's default parser (numbers, hyphenated words, e-mail addresses,
hosts, paths, tags); every function and operator of the search plugin is evaluated on both
systems and must give the same text (float4 ranks compared as PostgreSQL prints them).
"""

from __future__ import annotations

import random

import psycopg
import pytest

pytest.importorskip("helios_search", reason="the search plugin (plugins/search) is not installed")

VOCABULARY = {
    "english": ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dogs", "running", "runner", "ran", "houses", "housing", "connected", "connection", "beautiful", "beauty", "studies", "studying", "generously", "abilities", "national", "nationality", "was", "were", "is", "a", "of", "project", "launch", "launched", "launching", "rockets", "stars", "supernovae", "fishing", "fished"],
    "french": ["le", "la", "les", "chat", "chats", "maison", "maisons", "rapidement", "manger", "mangeons", "mangé", "nationale", "belle", "beaux", "et", "est", "sont", "une", "des", "continuer", "continuation"],
    "german": ["der", "die", "das", "haus", "häuser", "schnell", "laufen", "läuft", "gelaufen", "schöne", "schönheit", "und", "ist", "sind", "eine", "kinder", "kindern"],
    "spanish": ["el", "la", "los", "gato", "gatos", "casa", "casas", "rápidamente", "comer", "comiendo", "comieron", "nacional", "y", "es", "son", "una", "corriendo"],
    "russian": ["и", "в", "не", "он", "на", "я", "что", "кошка", "кошки", "дом", "дома", "быстро", "бежать", "бегу", "красивая"],
    "simple": ["alpha", "beta", "gamma", "delta", "Alpha", "BETA"],
}
EXTRAS = ["foo-bar", "self-driving", "3.14", "-7", "42", "1.2.3", "1e5", "user@example.com",
          "www.example.org/path", "/usr/local/bin", "<b>", "x12y", "über-cool", "don't"]


def _document(rng: random.Random, language: str) -> str:
    words = [rng.choice(VOCABULARY[language]) for _ in range(rng.randint(3, 14))]
    if rng.random() < 0.5:
        words.insert(rng.randrange(len(words) + 1), rng.choice(EXTRAS))
    return " ".join(words)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _statements() -> list[str]:
    rng = random.Random(17)
    out: list[str] = []
    for language, vocabulary in VOCABULARY.items():
        config = _quote(language)
        for _ in range(2):
            doc = _quote(_document(rng, language))
            a, b, c = (rng.choice(vocabulary) for _ in range(3))
            vec = f"to_tsvector({config}, {doc})"
            web = _quote(a + " or -" + b + ' "' + b + " " + c + '"')
            queries = [f"to_tsquery({config}, {_quote(f'{a} & {b}')})",
                       f"to_tsquery({config}, {_quote(f'{a} <-> {b} | !{c}')})",
                       f"to_tsquery({config}, {_quote(f'{a[:3]}:* & ({b} | {c})')})",
                       f"plainto_tsquery({config}, {_quote(f'{a} {b} {c}')})",
                       f"phraseto_tsquery({config}, {_quote(f'{a} {b} {c}')})",
                       f"websearch_to_tsquery({config}, {web})"]
            out.append(f"SELECT {vec}")
            out.append(f"SELECT length({vec}), strip({vec}), setweight({vec}, 'B') || {vec}")
            for q in queries:
                out.append(f"SELECT {q}, numnode({q}), querytree({q})")
                out.append(f"SELECT {vec} @@ {q}, ts_rank({vec}, {q}), ts_rank_cd({vec}, {q}),"
                           f" ts_rank('{{0.1, 0.3, 0.5, 0.9}}', setweight({vec}, 'A'), {q}, {rng.choice([0, 1, 2, 8, 32])}),"
                           f" ts_rank_cd({vec}, {q}, {rng.choice([0, 1, 4, 16])})")
            out.append(f"SELECT {queries[0]} && {queries[3]}, {queries[0]} || {queries[4]},"
                       f" !! {queries[1]}, {queries[0]} <-> {queries[3]}")
            out.append(f"SELECT ts_headline({config}, {doc}, {queries[0]}),"
                       f" ts_headline({config}, {doc}, {queries[3]}, 'MaxWords=5, MinWords=2, StartSel=[, StopSel=]')")
            out.append(f"SELECT ts_lexize({_quote(language + '_stem' if language != 'simple' else 'simple')}, {_quote(a)})")
    out += [
        "SELECT 'a & b <-> c | !d'::tsquery, '''x y'':1A,3 z:2B'::tsvector",
        "SELECT 'a:1 b:2'::tsvector @@ 'a <2> b', 'a:1 b:3'::tsvector @@ 'a <2> b'",
        "SELECT to_tsquery('english', 'bad &')",
        "SELECT to_tsvector('nosuchconfig', 'x')",
        "SELECT 'a & (b'::tsquery",
    ]
    return out


STATEMENTS = _statements()


def _outcome(conn: psycopg.Connection, sql: str) -> tuple:
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return ("ok", [tuple(str(v) for v in r) for r in cur.fetchall()])
    except psycopg.Error as e:
        return ("error", e.sqlstate, e.diag.message_primary)


@pytest.fixture(scope="module")
def helios_dsn(tmp_path_factory):
    from helios_core.testing import start_server

    server = start_server(tmp_path_factory.mktemp("fts"), only=["postgres"])
    try:
        yield server.pg_dsn()
    finally:
        server.stop()


def test_full_text_search_matches_postgres(postgres_dsn, helios_dsn):
    mismatches = []
    with psycopg.connect(postgres_dsn, autocommit=True) as pg, psycopg.connect(helios_dsn, autocommit=True) as hx:
        for sql in STATEMENTS:
            mine, theirs = _outcome(hx, sql), _outcome(pg, sql)
            if mine != theirs:
                mismatches.append(f"{sql}\n  helios:   {mine}\n  postgres: {theirs}")
    assert not mismatches, f"{len(mismatches)} of {len(STATEMENTS)} differ:\n" + "\n".join(mismatches[:10])
