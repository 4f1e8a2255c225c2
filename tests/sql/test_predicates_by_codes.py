"""String predicates worked out once per distinct value through a stored slice's kept codes
(sql.functions.distinct_values.by_stored_codes over storage.string_codes): LIKE, ILIKE, NOT LIKE,
POSIX regexes and SIMILAR TO answer as they do row by row, alone and beside other terms, over
chunks with values their neighbours lack; the codes were used from a slice's second query (a
one-off query does not pay the encoding); a column whose slices hold many
distinct values, or hold them in long runs, is not coded; a slice whose first rows look varied but
whose values are few is (the sample is spread over the slice)."""

from __future__ import annotations

import pytest

from helios_core.errors import HeliosError
from helios_core.sql.functions import distinct_values
from helios_core.storage import narrowed, string_codes

WORDS = ["special", "requests", "furiously", "quick", "deposits", "Ünïcode", "日本語", "slyly", "even", "pending"]


@pytest.fixture
def session(kept_slices_session):
    return kept_slices_session


@pytest.fixture
def coded_answers(monkeypatch):
    """Counts the predicates answered through kept codes."""
    answered = []
    inner = distinct_values.by_stored_codes

    def counting(strings, predicate):
        out = inner(strings, predicate)
        if out is not None:
            answered.append(len(out))
        return out

    monkeypatch.setattr(distinct_values, "by_stored_codes", counting)
    return answered


def _rows(s, sql: str) -> list[tuple]:
    return sorted(s.execute(sql)[-1].rows())


def _row_by_row(s, sql: str, monkeypatch) -> list[tuple]:
    with monkeypatch.context() as m:
        m.setattr(string_codes, "codes_of", lambda arr, **kwargs: None)
        return _rows(s, sql)


def _load(s, chunks: int = 3, rows: int = 20_000) -> None:
    s.execute("CREATE TABLE c (k int, q int, note text)")
    words = "ARRAY[" + ", ".join(f"'{w}'" for w in WORDS) + "]"
    for part in range(chunks):  # one stored chunk each of 100 x (10 + part) values, some its own
        s.execute(f"""INSERT INTO c SELECT i, i % 50,
              {words}[1 + i % 10] || ' ' || {words}[1 + (i / 10) % 10] || ' ' || ((i / 100) % (10 + {part}) * 7)::text
            FROM generate_series({part * rows}, {part * rows + rows - 1}) i""")


PREDICATES = [
    "note LIKE '%special%requests%'",
    "note LIKE 'quick%'",
    "note LIKE '%1_3'",
    "note NOT LIKE '%even%'",
    "note ILIKE '%SPECIAL%'",
    "note ILIKE '%ünïcode%'",
    "note LIKE '%日本語%'",
    "note ~ '^(slyly|even) .* 1[0-9]+$'",
    "note ~* 'DEPOSITS'",
    "note !~ 'a'",
    "note SIMILAR TO '(quick|slyly)%[0-9]{3}'",
    "note NOT SIMILAR TO '%(s|q)%'",
    "q > 25 AND note LIKE '%requests%'",
    "note LIKE '%furiously%' OR q = 3",
]


@pytest.mark.parametrize("predicate", PREDICATES)
def test_answers_are_those_row_by_row(session, monkeypatch, coded_answers, predicate):
    _load(session)
    for sql in (f"SELECT count(*) FROM c WHERE {predicate}",
                f"SELECT k, note FROM c WHERE {predicate} ORDER BY k LIMIT 50",
                f"SELECT q, count(*) FROM c WHERE {predicate} GROUP BY q"):
        want = _row_by_row(session, sql, monkeypatch)
        assert _rows(session, sql) == want, sql  # the first asks for the slices' codes
        assert _rows(session, sql) == want, sql  # the second codes them
        assert _rows(session, sql) == want, sql  # the next reads the kept codes
    assert coded_answers, "no predicate was answered through the codes"


def test_codes_answer_a_whole_scan_and_an_invalid_regex_is_still_refused(session, monkeypatch, coded_answers):
    _load(session)
    sql = "SELECT count(*) FROM c WHERE note LIKE '%special%'"
    want = _row_by_row(session, sql, monkeypatch)
    assert want[0][0] > 0
    assert _rows(session, sql) == want
    assert not coded_answers  # a one-off query does not pay the encoding
    assert _rows(session, sql) == want
    assert sum(coded_answers) == 60_000  # the second: every row's answer came through the codes
    with pytest.raises(HeliosError) as e:
        session.execute("SELECT count(*) FROM c WHERE note ~ '(unclosed'")
    assert e.value.sqlstate == "2201B"


def test_many_distinct_values_are_matched_row_by_row(session, monkeypatch, coded_answers):
    session.execute("CREATE TABLE u (note text)")
    session.execute("INSERT INTO u SELECT 'note ' || i || ' special' FROM generate_series(1, 30000) i")
    sql = "SELECT count(*) FROM u WHERE note LIKE '%1%special'"
    assert _rows(session, sql) == _row_by_row(session, sql, monkeypatch)
    assert _rows(session, sql) == _row_by_row(session, sql, monkeypatch)
    assert not coded_answers
    assert not any(isinstance(v, tuple) and v[0] == "codes" and v[1] is not None
                   for slices, key in ((s, k) for (_, k), (s, _c) in narrowed._kept.items())
                   for v in [slices.get(key)])


def test_values_in_long_runs_are_judged_from_the_whole_slice(session, monkeypatch, coded_answers):
    # the first 5,000 rows repeat one value: a first-rows sample would take the column for few values
    session.execute("CREATE TABLE r (note text)")
    session.execute("INSERT INTO r SELECT CASE WHEN i <= 5000 THEN 'same' ELSE 'v' || i END "
                    "FROM generate_series(1, 40000) i")
    sql = "SELECT count(*) FROM r WHERE note LIKE 'v1%'"
    assert _rows(session, sql) == _row_by_row(session, sql, monkeypatch)
    assert _rows(session, sql) == _row_by_row(session, sql, monkeypatch)
    assert not coded_answers


def test_few_values_that_first_look_varied_are_coded(session, monkeypatch, coded_answers):
    # 3,000 values in turn: the first 4,096 rows hold 3,000 of them, the slice of 40,000 no more
    session.execute("CREATE TABLE f (note text)")
    session.execute("INSERT INTO f SELECT 'item ' || (i % 3000) FROM generate_series(1, 40000) i")
    sql = "SELECT count(*) FROM f WHERE note LIKE 'item 12%'"
    want = _row_by_row(session, sql, monkeypatch)
    assert _rows(session, sql) == want == [(int(sum(1 for i in range(1, 40001) if str(i % 3000).startswith("12"))),)]
    assert _rows(session, sql) == want
    assert sum(coded_answers) == 40_000


@pytest.mark.parametrize("pattern,reason", [
    ("(oops", "parentheses () not balanced"),
    ("a)", "parentheses () not balanced"),
    ("[ab", "brackets [] not balanced"),
    ("x**", "quantifier operand invalid"),
    ("a{3,1}", "invalid repetition count(s)"),
])
def test_a_refused_regex_is_worded_as_postgresql_words_it(session, pattern, reason):
    session.execute("CREATE TABLE w (note text)")
    session.execute("INSERT INTO w VALUES ('a')")
    for sql in (f"SELECT note ~ '{pattern}' FROM w", f"SELECT note SIMILAR TO '{pattern}' FROM w"):
        if "SIMILAR" in sql and pattern in ("x**", "a{3,1}"):
            continue  # SIMILAR TO's own syntax reads these otherwise
        with pytest.raises(HeliosError) as e:
            session.execute(sql)
        assert e.value.sqlstate == "2201B"
        assert str(e.value) == f"invalid regular expression: {reason}", sql
