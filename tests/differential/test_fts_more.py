"""Full-text search edge cases against PostgreSQL 15, each a statement that once differed: the
default parser's blanks and token boundaries, configurations whose ASCII words go to English,
lower-casing, query builders, ranking, headlines and the tsvector/tsquery functions. The same
text must come back (float4 ranks as PostgreSQL prints them), or the same SQLSTATE."""

from __future__ import annotations

import psycopg
import pytest

pytest.importorskip("helios_search", reason="the search plugin (plugins/search) is not installed")


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _debug(config: str, text: str) -> str:
    return f"SELECT alias, token, dictionaries, dictionary, lexemes FROM ts_debug({_q(config)}, {_q(text)})"


STATEMENTS = [
    # russian and hindi send all-ASCII words to english_stem (stop words and stemming)
    "SELECT to_tsvector('russian', 'The quick brown foxes jumped over быстро бегущие кошки')",
    "SELECT to_tsvector('hindi', 'the running dogs')",
    _debug("russian", "running-dogs кошки"),
    "SELECT plainto_tsquery('russian', 'the running кошки'), to_tsquery('russian', 'dogs & кошки')",
    # one character to one lower-casing (capital I with dot above becomes i)
    "SELECT to_tsvector('simple', 'İstanbul'), to_tsvector('english', 'İSTANBUL'), ts_lexize('simple', 'İ')",
    # a blank ends before < - + & / (each tries a token); other characters after a blank stay in it
    _debug("english", "!!!???...;;; --- +++"),
    _debug("english", "C++ a--b &amp &AMP; </> ;-@# x>-y"),
    _debug("simple", "path ~user/x ../rel/path"),
    "SELECT to_tsvector('simple', 'path ~user/x ../rel/path'), to_tsvector('simple', '~user/x')",
    "SELECT to_tsvector('english', 'a //x http://x.y'), websearch_to_tsquery('simple', 'http://x.y')",
    # numbers end where letters start (a signed number or a float is no numword)
    _debug("simple", "1.2com -1a -1.2a 1.2.3a 12a"),
    # hyphenated words whose parts start with digits; digits after a hyphenated word
    _debug("simple", "1a-2b 12a-b x-1a a-1b-c x-1.2 a-b-1.5"),
    "SELECT to_tsvector('english', 'hello-world-2024 2024-hello'), phraseto_tsquery('simple', 'hello-world-2024')",
    # file names: ASCII only, '~' and './' at a token's start, no '//' or '/-', no final '.'
    _debug("simple", "~x-y x~y /a~b a-b/c a_b/c a/-b /x//y /x. /x.é é/b 12/A ./x ../x/y.z"),
    "SELECT to_tsvector('simple', './run.sh /usr//lib ~/notes.txt')",
    # hosts: ASCII labels, a port, and no alphanumeric right after
    _debug("simple", "abc.def-g abc.def_g é.org x.org:1212 a.bc.d_e"),
    # ts_rank counts operands that differ only in prefix or weight once (the first as stored)
    "SELECT ts_rank('ab:1 a:2 b:3'::tsvector, 'a:* & b & a'), ts_rank('ab:1 a:2 b:3'::tsvector, 'a & b & a:*')",
    ("SELECT ts_rank(setweight(to_tsvector('english', 'over'), 'D') || to_tsvector('english', 'cat fox jump fox quick"
    " lazy fox the lazy quick lazy over fox brown fox cat'), to_tsquery('english', 'dog <-> quick:* <2> quick'), 63)"),
    # no match: 1e-20 as a float4, then normalized; r/(r+1) adds in float4
    ("SELECT n, ts_rank(v, 'x <-> b', n) FROM generate_series(0, 63) AS n, (VALUES ('a:1 b:2 c:3'::tsvector),"
    " (to_tsvector('english', 'lazy fox run fox fox jump run the the quick run'))) AS t(v) ORDER BY n, v"),
    ("SELECT ts_rank(to_tsvector('english', 'lazy fox run fox fox jump run'), 'fox & run', n)"
    " FROM generate_series(32, 63) AS n"),
    # phrase operators: digits or '-' right after '<', '>' right after them
    "SELECT 'a <-1> b'::tsquery", "SELECT 'a < -> b'::tsquery", "SELECT 'a <- > b'::tsquery",
    "SELECT 'a <1 > b'::tsquery", "SELECT to_tsquery('simple', 'a < 1> b')", "SELECT 'a <16384> b'::tsquery",
    # an empty quoted operand is a syntax error for to_tsquery too
    "SELECT to_tsquery('english', '''''')", "SELECT to_tsquery('simple', 'a & ''''')",
    "SELECT to_tsquery('simple', 'a & '' ''')",
    # websearch: '-' negates the next operand even across spaces
    ("SELECT websearch_to_tsquery('simple', '- a'), websearch_to_tsquery('english', 'a - b'),"
    " websearch_to_tsquery('simple', 'a - - b'), websearch_to_tsquery('simple', 'a - or b')"),
    # ts_delete(tsvector, text) takes an unknown literal, '{a,b}' too, as one lexeme
    "SELECT ts_delete('a b {a,b}'::tsvector, '{a,b}'), ts_delete('a b c'::tsvector, '{a,b}'::text[])",
    "SELECT array_to_tsvector('{a,\"\"}')",
    # a weight is a "char": its first character; setweight's own errors
    "SELECT setweight('a:1'::tsvector, 'AB'), ts_filter('a:1A b:2'::tsvector, '{AB}')",
    "SELECT setweight('a:1'::tsvector, 'x')", "SELECT setweight('a:1'::tsvector, '')",
    "SELECT setweight('a:1 b:2'::tsvector, 'x', '{a}')", "SELECT ts_filter('a:1'::tsvector, '{x}')",
    # ts_headline: the query's weights play no part in finding a cover
    ("SELECT ts_headline('english', 'dog. jump. lazy. quick. dog. the. lazy. fox. run. lazy. run. jump. dog. cat. jump. dog."
    " the. brown. lazy. cat. the. lazy. run. dog. brown. quick. cat. dog. fox. cat. quick. fox',"
    " to_tsquery('english', 'brown & brown:AB'))"),
    ("SELECT ts_headline('english', 'cat, the, brown, brown, over, fox, dog, cat, lazy, fox, run, fox, fox, over, run, brown,"
    " quick, lazy, brown, run, run, jump, run, jump, the, the, quick, run, quick, quick, run, fox, over, brown, lazy,"
    " quick, cat, cat, run, brown, lazy, fox, dog, cat, lazy', to_tsquery('english', 'lazy & dog:AB'), 'ShortWord=1')"),
    "SELECT ts_headline('simple', 'a b c d e f', 'b:A <-> c:B', 'MaxWords=3, MinWords=1')",
    # ts_headline: a word matching several operands belongs to the last one written (PostgreSQL
    # stores operands right to left), the others are repeated entries after it
    ("SELECT ts_headline('english', 'run. cat. over. cat. lazy. dog. cat. lazy. quick. cat. fox. lazy. jump. cat. brown. over."
    " cat. the. brown. brown. quick. brown. jump. jump. brown. lazy. cat. dog. lazy. the. cat. brown. quick. cat. dog.',"
    " to_tsquery('english', 'quick <-> brown:* & !quick:*'), 'StartSel=<<, StopSel=>>')"),
    ("SELECT ts_headline('english', 'over. dog. over. jump. dog. brown. lazy. dog. dog. dog. quick. jump. jump. fox. dog. brown. dog."
     " brown. over. run. run. run. dog. over. the. quick. lazy. the. quick. cat. the. dog. jump. the',"
    " to_tsquery('english', 'cat & !cat:* & over:AB'), 'ShortWord=5, MaxWords=8, MinWords=4')"),
    # letters and digits as PostgreSQL's C.UTF-8 sees them: '²', '½', '①' are no digits or
    # letters, an Arabic-Indic digit and a combining mark are letters
    _debug("simple", "x² ½ a①b a٣b x\u0303y 〇"),
    "SELECT to_tsvector('english', 'H₂O x² 50½ Ⅻ'), plainto_tsquery('simple', 'x² y')",
    # websearch: '>' is no operator character; '~/' starts a file name at a word's start
    "SELECT websearch_to_tsquery('simple', '<em>emph</em> ~/.bashrc a>b')",
    # PostgreSQL 15's Snowball stemmers (2.2): the older Dutch algorithm, German and Swedish '-et'
    ("SELECT to_tsvector('dutch', 'café naïve Müller state lopen huizen'), ts_lexize('german_stem', 'huset'),"
    " ts_lexize('swedish_stem', 'huset')"),
    # ts_headline's fragment mode: covers cut into MaxWords pieces, the best MaxFragments stretched,
    # shown with FragmentDelimiter; the cover search reaches MaxFragments times further
    ("SELECT ts_headline('english', 'fox - cat - run - brown - brown - brown - brown - the - jump - brown - over - dog - jump"
    " - quick - jump - quick - fox - dog - the - jump - jump - jump - brown - lazy - brown - quick - fox - dog - run - over"
    " - run - the - fox - cat - quick - quick', to_tsquery('english', 'fox'),"
    " 'MaxFragments=3, FragmentDelimiter='' ... '', MaxWords=6, MinWords=3')"),
    ("SELECT ts_headline('english', 'jump - brown - run - the - brown - run - the - over - dog - the - over - over - dog - lazy"
    " - dog - brown - cat - the - the - the - dog - the - dog - brown - lazy - the - cat - run - over - brown - dog - cat"
    " - quick - over - fox - lazy - run - fox', to_tsquery('english', 'fox & jump'), 'MaxFragments=3,MaxWords=6, MinWords=3')"),
    ("SELECT ts_headline('english', 'brown. jump. dog. brown. the. cat. over. over. fox. the. cat. cat. dog. cat. jump. jump."
    " run. brown. run. cat. brown. lazy. jump. cat. the. lazy. the. brown. the. quick. over. run. cat. the. fox. run. run."
    " the. jump. the. dog. fox. jump. cat. the. over. run. over. dog. lazy. fox. jump. dog', to_tsquery('english',"
    " 'fox <2> dog:A'), 'MaxFragments=4, MaxWords=5, MinWords=2, ShortWord=0, StartSel=[, StopSel=]')"),
    "SELECT ts_headline('simple', 'a b c', 'z'::tsquery, 'MaxFragments=2, MinWords=2, MaxWords=3')",
    # a headline option's value may be in single quotes too
    "SELECT ts_headline('simple', 'a b c', 'b'::tsquery, 'StartSel=''<'', StopSel=''>''')",
    # tsvector input: a ':' that starts a bare lexeme belongs to it
    "SELECT ':1'::tsvector, '::1'::tsvector, ':a:1'::tsvector, 'a :1'::tsvector",
    # ts_rewrite in PostgreSQL's form: '&'/'|' operands flattened and sorted (operators first,
    # lexemes by their CRC), a subset match replaced and the node sorted again, then made binary
    ("SELECT ts_rewrite('a & b'::tsquery, 'a'::tsquery, 'c | d'::tsquery),"
    " ts_rewrite('(d | c) & (b | a)'::tsquery, 'x'::tsquery, 'z'::tsquery)"),
    ("SELECT ts_rewrite('a & b & c'::tsquery, 'c & a'::tsquery, 'z'::tsquery),"
    " ts_rewrite('!b & a'::tsquery, 'a'::tsquery, 'c'::tsquery)"),
    ("SELECT ts_rewrite('a & b'::tsquery, 'a'::tsquery, 'z & (y | x)'::tsquery),"
    " ts_rewrite('z & y & x'::tsquery, 'q'::tsquery, 'c'::tsquery)"),
    ("SELECT ts_rewrite('(e <-> f) | (a & b:*) | !c'::tsquery, 'b'::tsquery, 'g <2> h'::tsquery),"
    " ts_rewrite('a | b'::tsquery, 'a'::tsquery, ''::tsquery), ts_rewrite('!a'::tsquery, 'a'::tsquery, ''::tsquery)"),
    # a sign before a version is a blank; a host ends before a non-ASCII letter; a URL needs a
    # path after its '/'; a file name never ends with '/' or '.'; a word with digits and other
    # letters, then '.', starts a file name
    _debug("simple", "-1.21.2 +1.2.3 z.orgé ab.orgz/ x/ /9/. ab/./ é1.2 ab12éwww.com 9éz.12x"),
    "SELECT to_tsvector('simple', 'see http://localhost:8080/ and www.example.com/ now')",
    # an e-mail's local part: letters and digits with single '.', '-' or '_' between them
    _debug("simple", "a..b@c.com a+b@c.com a-@c.com a_.b@c.com _a@c.com x.y-z_w@v.org"),
    "SELECT to_tsvector('english', 'mail a..b@c.com'), plainto_tsquery('simple', 'a+b@c.com')",
    # weights given as an untyped array literal holding NULL
    "SELECT ts_rank('{0.1,0.2,0.3,NULL}', 'a:1'::tsvector, 'a'::tsquery)",
    "SELECT ts_rank_cd('{NULL,0.2,0.3,0.4}', 'a:1'::tsvector, 'a'::tsquery)",
    # websearch_to_tsquery read as PostgreSQL's state machine: operator characters skipped
    # between operands (a '-' pending across them), OR only after an operand with something
    # after it, a ':' starting a word belongs to it
    ("SELECT websearch_to_tsquery('simple', 'fox|| or x'), websearch_to_tsquery('simple', 'fox|| Or & <'),"
    " websearch_to_tsquery('simple', 'fox or <'), websearch_to_tsquery('simple', 'fox & or')"),
    ("SELECT websearch_to_tsquery('simple', 'dog dog -& dog *'), websearch_to_tsquery('simple', ':-dog foxa-b: '),"
    " websearch_to_tsquery('simple', 'fox \"the dog\" &-| or-| \" '), websearch_to_tsquery('simple', 'fox or or x')"),
]


@pytest.fixture(scope="module")
def connections(postgres_dsn, tmp_path_factory):
    from helios_core.testing import start_server

    server = start_server(tmp_path_factory.mktemp("fts-more"), only=["postgres"])
    try:
        with psycopg.connect(postgres_dsn, autocommit=True) as pg, \
                psycopg.connect(server.pg_dsn(), autocommit=True) as hx:
            yield pg, hx
    finally:
        server.stop()


def _outcome(conn: psycopg.Connection, sql: str) -> tuple:
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return ("ok", [tuple(None if v is None else str(v) for v in r) for r in cur.fetchall()])
    except psycopg.Error as e:
        return ("error", e.sqlstate)


@pytest.mark.parametrize("sql", STATEMENTS)
def test_agrees_with_postgres(connections, sql: str) -> None:
    pg, hx = connections
    assert _outcome(hx, sql) == _outcome(pg, sql)
